// The LimitRanger admission plugin for pod creation (upstream plugin/pkg/admission/limitranger):
// the namespace's LimitRanges default each container's limits and requests (type Container:
// `default`, `defaultRequest`) and bound them (`min`, `max`, `maxLimitRequestRatio`, per
// container and, for type Pod, summed over the pod). Violations are 403 Forbidden with
// upstream's messages.
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { addQuantity, compareQuantity, formatQuantity, quantityMilliValue, tryParseQuantity, type Quantity } from '../validation/quantity.ts';

type ResourceList = Record<string, unknown>;

interface LimitRangeItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

interface Container {
  name?: string;
  resources?: { limits?: ResourceList; requests?: ResourceList; [k: string]: unknown };
  [k: string]: unknown;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function list(v: unknown): ResourceList {
  return isObj(v) ? v : {};
}

function items(limitRanges: KubeObject[]): LimitRangeItem[] {
  const out: LimitRangeItem[] = [];
  for (const lr of limitRanges) {
    const limits = (lr.spec as { limits?: unknown } | undefined)?.limits;
    if (Array.isArray(limits)) for (const it of limits) if (isObj(it)) out.push(it as LimitRangeItem);
  }
  return out;
}

function containersOf(pod: KubeObject): Container[] {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const all: Container[] = [];
  for (const field of ['initContainers', 'containers']) {
    const cs = spec[field];
    if (Array.isArray(cs)) for (const c of cs) if (isObj(c)) all.push(c as Container);
  }
  return all;
}

/** Upstream's defaultContainerResourceRequirements: one LimitRange's Container defaults (a later item wins). */
function containerDefaults(limitRange: KubeObject): { limits: ResourceList; requests: ResourceList } {
  const limits: ResourceList = {};
  const requests: ResourceList = {};
  for (const item of items([limitRange])) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, list(item.defaultRequest));
    Object.assign(limits, list(item.default));
  }
  return { limits, requests };
}

/**
 * Upstream's mergeContainerResources: what the container does not set comes from the defaults.
 * Returns the notes for the `kubernetes.io/limit-ranger` annotation ("cpu, memory request for container web").
 */
function applyDefaults(c: Container, defaults: { limits: ResourceList; requests: ResourceList }, prefix: string): string[] {
  const notes: string[] = [];
  for (const field of ['requests', 'limits'] as const) {
    const entries = Object.entries(defaults[field]);
    if (entries.length === 0) continue;
    const res = (c.resources = isObj(c.resources) ? c.resources : {});
    const target = (res[field] = isObj(res[field]) ? res[field] : {});
    const set: string[] = [];
    for (const [k, v] of entries) {
      if (k in target) continue;
      target[k] = v;
      set.push(k);
    }
    if (set.length) notes.push(`${set.sort().join(', ')} ${field === 'requests' ? 'request' : 'limit'} for ${prefix} ${c.name ?? ''}`);
  }
  return notes;
}

function q(v: unknown): Quantity | undefined {
  return tryParseQuantity(v);
}

function fmt(v: unknown): string {
  const p = q(v);
  return p ? formatQuantity(p) : String(v);
}

/** Upstream's minConstraint / maxConstraint / limitRequestRatioConstraint for one resource. */
function checkItem(kind: 'Container' | 'Pod', item: LimitRangeItem, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  for (const [res, minV] of Object.entries(list(item.min))) {
    const min = q(minV);
    if (!min) continue;
    const req = q(requests[res]);
    const lim = q(limits[res]);
    if (!req) errs.push(`minimum ${res} usage per ${kind} is ${fmt(minV)}.  No request is specified`);
    else if (compareQuantity(req, min) < 0) errs.push(`minimum ${res} usage per ${kind} is ${fmt(minV)}, but request is ${formatQuantity(req)}`);
    if (lim && compareQuantity(lim, min) < 0) errs.push(`minimum ${res} usage per ${kind} is ${fmt(minV)}, but limit is ${formatQuantity(lim)}`);
  }
  for (const [res, maxV] of Object.entries(list(item.max))) {
    const max = q(maxV);
    if (!max) continue;
    const req = q(requests[res]);
    const lim = q(limits[res]);
    if (!lim) errs.push(`maximum ${res} usage per ${kind} is ${fmt(maxV)}.  No limit is specified`);
    else if (compareQuantity(lim, max) > 0) errs.push(`maximum ${res} usage per ${kind} is ${fmt(maxV)}, but limit is ${formatQuantity(lim)}`);
    if (req && compareQuantity(req, max) > 0) errs.push(`maximum ${res} usage per ${kind} is ${fmt(maxV)}, but request is ${formatQuantity(req)}`);
  }
  for (const [res, ratioV] of Object.entries(list(item.maxLimitRequestRatio))) {
    const ratio = q(ratioV);
    if (!ratio) continue;
    const req = q(requests[res]);
    const lim = q(limits[res]);
    if (!req || !lim) {
      errs.push(`${res} max limit to request ratio per ${kind} is ${fmt(ratioV)}, but no ${!req ? 'request' : 'limit'} is specified`);
      continue;
    }
    const reqMilli = quantityMilliValue(req);
    const observed = reqMilli > 0 ? quantityMilliValue(lim) / reqMilli : Infinity;
    if (observed > quantityMilliValue(ratio) / 1000) {
      errs.push(`${res} max limit to request ratio per ${kind} is ${fmt(ratioV)}, but provided ratio is ${observed.toFixed(6).replace(/\.?0+$/, '')}`);
    }
  }
}

function sum(containers: Container[], field: 'requests' | 'limits'): ResourceList {
  const out: Record<string, Quantity> = {};
  for (const c of containers) {
    for (const [k, v] of Object.entries(list(c.resources?.[field]))) {
      const p = q(v);
      if (p) out[k] = out[k] ? addQuantity(out[k]!, p) : p;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, formatQuantity(v)]));
}

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/**
 * The mutating half (upstream's mergePodResourceRequirements, once per LimitRange): containers,
 * then init containers, get the defaults they lack, and the pod's `kubernetes.io/limit-ranger`
 * annotation says what was set.
 */
export function defaultPodLimits(pod: KubeObject, limitRanges: KubeObject[]): void {
  const spec = isObj(pod.spec) ? pod.spec : {};
  for (const lr of limitRanges) {
    const defaults = containerDefaults(lr);
    const notes: string[] = [];
    for (const [field, prefix] of [['containers', 'container'], ['initContainers', 'init container']] as const) {
      const cs = spec[field];
      if (Array.isArray(cs)) for (const c of cs) if (isObj(c)) notes.push(...applyDefaults(c as Container, defaults, prefix));
    }
    if (notes.length === 0) continue;
    const meta = (pod.metadata ??= {});
    meta.annotations = { ...(meta.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

/** The validating half: 403 Forbidden when the pod is outside the LimitRanges' bounds. */
export function checkPodLimits(pod: KubeObject, limitRanges: KubeObject[]): void {
  const all = items(limitRanges);
  const containers = containersOf(pod);
  const errs: string[] = [];
  for (const item of all.filter((i) => i.type === 'Container')) {
    for (const c of containers) checkItem('Container', item, list(c.resources?.requests), list(c.resources?.limits), errs);
  }
  for (const item of all.filter((i) => i.type === 'Pod')) checkItem('Pod', item, sum(containers, 'requests'), sum(containers, 'limits'), errs);
  if (errs.length) {
    const name = pod.metadata?.name ?? '';
    const msg = errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
    throw new ApiError(403, 'Forbidden', `pods "${name}" is forbidden: ${msg}`, { name, kind: 'pods' });
  }
}
