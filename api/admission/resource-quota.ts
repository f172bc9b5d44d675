// The ResourceQuota admission plugin for creates (upstream's quotaEvaluator.CheckRequest): each
// quota of the namespace that covers the new object (its status.hard names something the
// object's evaluator tracks, and its scopes match) must have its usage computed, must allow the
// object's constraints (`must specify limits.cpu for: app`), and must still hold once the object
// is charged; otherwise 403 Forbidden with upstream's messages. The caller stores the charged
// quotas (status.used grown) in the same transaction as the object, conditional on the quotas
// being unchanged since read, so concurrent creates can never exceed a quota together.
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { compareQuantity } from '../validation/quantity.ts';
import {
  addLists,
  evaluatorFor,
  exceededNames,
  formatResourceList,
  maskList,
  parseResourceList,
  prettyPrint,
  quotaMatches,
  type ResourceList,
} from './quota-usage.ts';

/** The resource being created, as the request names it. */
export interface QuotaTarget {
  group: string;
  plural: string;
}

/** Upstream's ignored resources that reach storage: quota never limits events. */
const IGNORED = new Set(['events.']);

function forbidden(t: QuotaTarget, name: string, message: string): ApiError {
  const what = t.group ? `${t.plural}.${t.group}` : t.plural;
  return new ApiError(403, 'Forbidden', `${what} "${name}" is forbidden: ${message}`, { name, group: t.group, kind: t.plural });
}

function nonZero(list: ResourceList): ResourceList {
  return Object.fromEntries(Object.entries(list).filter(([, q]) => q.value !== 0n));
}

/**
 * Checks the new object against the namespace's quotas (as stored) and returns the quotas it
 * charges, with status.used grown; throws 403 Forbidden when a quota refuses it.
 */
export function chargeQuotas(target: QuotaTarget, obj: KubeObject, quotas: KubeObject[], now: number): KubeObject[] {
  if (quotas.length === 0 || IGNORED.has(`${target.plural}.${target.group}`)) return [];
  const evaluator = evaluatorFor({ group: target.group, resource: target.plural });
  const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
  const covering: KubeObject[] = [];
  for (const quota of quotas) {
    if (!quotaMatches(quota, evaluator, obj)) continue;
    const quotaName = quota.metadata?.name ?? '';
    const status = (quota.status ?? {}) as { hard?: unknown; used?: unknown };
    const restricted = evaluator.matchingResources(Object.keys(parseResourceList(status.hard)));
    const constraint = evaluator.constraints(restricted, obj);
    if (constraint) throw forbidden(target, name, `failed quota: ${quotaName}: ${constraint}`);
    const used = parseResourceList(status.used);
    if (restricted.some((r) => !used[r])) throw forbidden(target, name, `status unknown for quota: ${quotaName}, resources: ${[...restricted].sort().join(',')}`);
    covering.push(quota);
  }
  if (covering.length === 0) return [];
  const usage = evaluator.usage(obj, now);
  const negative = Object.keys(usage).filter((k) => compareQuantity(usage[k]!, { value: 0n, scale: 0, format: 'DecimalSI' }) < 0);
  if (negative.length) throw forbidden(target, name, `quota usage is negative for resource(s): ${negative.sort().join(',')}`);
  const delta = nonZero(usage);
  const charged: KubeObject[] = [];
  for (const quota of covering) {
    const status = (quota.status ?? {}) as { hard?: unknown; used?: unknown };
    const hard = parseResourceList(status.hard);
    const used = parseResourceList(status.used);
    const requested = maskList(delta, Object.keys(hard));
    if (Object.keys(requested).length === 0) continue;
    const newUsage = addLists(used, requested);
    const exceeded = exceededNames(maskList(newUsage, Object.keys(requested)), hard);
    if (exceeded.length) {
      const msg = `exceeded quota: ${quota.metadata?.name ?? ''}, requested: ${prettyPrint(maskList(requested, exceeded))}, used: ${prettyPrint(maskList(used, exceeded))}, limited: ${prettyPrint(maskList(hard, exceeded))}`;
      throw forbidden(target, name, msg);
    }
    charged.push({ ...quota, status: { ...(quota.status as object), used: formatResourceList(newUsage) } });
  }
  return charged;
}
