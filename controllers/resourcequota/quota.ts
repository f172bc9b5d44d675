// A ResourceQuota's status from the namespace's objects (upstream syncResourceQuota with
// quota.CalculateUsage): status.hard is spec.hard; status.used sums, for every resource the quota
// names that some evaluator tracks, the usage of the objects matching the quota's scopes (zero
// when none do). The evaluators are the admission plugin's, so both count alike.
import {
  EVALUATED_RESOURCES,
  addLists,
  evaluatorFor,
  formatResourceList,
  groupResourceOfCountName,
  maskList,
  matchesScopes,
  parseResourceList,
  scopeSelectorsOf,
  zeroed,
  type GroupResource,
  type ResourceList,
} from '../../api/admission/quota-usage.ts';
import type { KubeObject } from '../runtime/types.ts';

export interface QuotaStatus {
  hard: Record<string, string>;
  used: Record<string, string>;
}

export function grKey(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** The resources whose objects the quota's hard names count, each with the names it covers. */
export function trackedResources(quota: KubeObject): { gr: GroupResource; names: string[] }[] {
  const hardNames = Object.keys(parseResourceList((quota.spec as { hard?: unknown } | undefined)?.hard));
  const candidates = new Map<string, GroupResource>();
  for (const gr of EVALUATED_RESOURCES) candidates.set(grKey(gr), gr);
  for (const n of hardNames) {
    const gr = groupResourceOfCountName(n);
    if (gr) candidates.set(grKey(gr), gr);
  }
  const out: { gr: GroupResource; names: string[] }[] = [];
  for (const gr of candidates.values()) {
    const names = evaluatorFor(gr).matchingResources(hardNames);
    if (names.length) out.push({ gr, names });
  }
  return out;
}

/**
 * The quota's status over `objects` (by grKey; a resource missing from the map could not be
 * listed and gets no used value, as upstream drops resources whose usage failed).
 */
export function quotaStatus(quota: KubeObject, objects: Map<string, KubeObject[]>, now: number): QuotaStatus {
  const hard = parseResourceList((quota.spec as { hard?: unknown } | undefined)?.hard);
  const scopes = scopeSelectorsOf(quota);
  let used: ResourceList = {};
  const measured = new Set<string>();
  for (const { gr, names } of trackedResources(quota)) {
    const items = objects.get(grKey(gr));
    if (!items) continue;
    const evaluator = evaluatorFor(gr);
    let usage = zeroed(names);
    for (const obj of items) if (matchesScopes(evaluator, scopes, obj)) usage = addLists(usage, evaluator.usage(obj, now));
    used = addLists(used, usage);
    for (const n of names) measured.add(n);
  }
  return { hard: formatResourceList(hard), used: formatResourceList(maskList(used, measured)) };
}

/** Whether the stored status already says this (quota.Equals on hard and used). */
export function statusUpToDate(quota: KubeObject, status: QuotaStatus): boolean {
  const st = (quota.status ?? {}) as { hard?: unknown; used?: unknown };
  const same = (a: Record<string, string>, b: unknown) => JSON.stringify(a) === JSON.stringify(formatResourceList(parseResourceList(b)));
  return same(status.hard, st.hard) && same(status.used, st.used);
}
