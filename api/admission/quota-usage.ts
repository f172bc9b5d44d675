// What an object charges against a ResourceQuota, as upstream's quota evaluators
// (k8s.io/apiserver/pkg/quota/v1 and pkg/quota/v1/evaluator/core): pods (count, compute
// requests and limits, scopes), services (count, node ports, load balancers), claims (count and
// storage, also per storage class) and an object count (`count/<resource>.<group>`) for every
// other resource. The ResourceQuota admission plugin charges a new object with it and the quota
// controller sums it over a namespace, so both agree on every number.
import type { KubeObject } from '../registry/descriptor.ts';
import { computePodQOS } from '../resources/core/pod-qos.ts';
import { isObj, objs, str, strs, type J } from '../resources/core/json.ts';
import { addQuantity, compareQuantity, formatQuantity, tryParseQuantity, type Quantity } from '../validation/quantity.ts';

/** A resource list with parsed quantities (corev1.ResourceList). */
export type ResourceList = Record<string, Quantity>;

export interface GroupResource {
  group: string;
  resource: string;
}

export interface ScopeSelectorRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface Evaluator {
  /** The quota resource names among `names` this evaluator accounts for. */
  matchingResources(names: string[]): string[];
  /** What the object charges. */
  usage(obj: KubeObject, now: number): ResourceList;
  /** Whether the object falls under the scope (objects other than pods fall under none). */
  matchesScope(req: ScopeSelectorRequirement, obj: KubeObject): boolean;
  /** Why the object cannot be admitted under a quota tracking `required` ('' when it can). */
  constraints(required: string[], obj: KubeObject): string;
}

const ONE: Quantity = { value: 1n, scale: 0, format: 'DecimalSI' };
const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** generic.ObjectCountQuotaResourceNameFor: `count/pods`, `count/deployments.apps`. */
export function objectCountName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/** The resource a `count/…` quota name counts (undefined for other names). */
export function groupResourceOfCountName(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

// --- resource list arithmetic (quota.Add, Mask, LessThanOrEqual) ----------------------------

export function parseResourceList(v: unknown): ResourceList {
  const out: ResourceList = {};
  if (!isObj(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    const q = tryParseQuantity(raw);
    if (q) out[k] = q;
  }
  return out;
}

export function formatResourceList(list: ResourceList): Record<string, string> {
  return Object.fromEntries(Object.keys(list).sort().map((k) => [k, formatQuantity(list[k]!)]));
}

/** Quantity.Add: a zero takes the format of what is added to it (0 + 64Mi stays binary). */
function add(a: Quantity, b: Quantity): Quantity {
  const sum = addQuantity(a, b);
  return a.value === 0n ? { ...sum, format: b.format } : sum;
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, q] of Object.entries(b)) out[k] = out[k] ? add(out[k]!, q) : q;
  return out;
}

export function maskList(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (list[n]) out[n] = list[n]!;
  return out;
}

/** quota.LessThanOrEqual: the names of `a` above their value in `b` (names `b` lacks are fine). */
export function exceededNames(a: ResourceList, b: ResourceList): string[] {
  return Object.keys(a)
    .filter((k) => b[k] && compareQuantity(a[k]!, b[k]!) > 0)
    .sort();
}

export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && compareQuantity(a[k]!, b[k]!) === 0);
}

/** prettyPrint of upstream's admission errors: `pods=1,requests.cpu=500m`, sorted. */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((k) => `${k}=${formatQuantity(list[k]!)}`)
    .join(',');
}

/** Every resource tracked gets a value, zero if nothing charged it (CalculateUsageStats). */
export function zeroed(names: string[]): ResourceList {
  return Object.fromEntries(names.map((n) => [n, ZERO]));
}

function max(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, q] of Object.entries(b)) if (!out[k] || compareQuantity(q, out[k]!) > 0) out[k] = q;
  return out;
}

// --- pods -----------------------------------------------------------------------------------

const POD_RESOURCES = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);
const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];
/** Upstream's "mistake" kept for compatibility: quota on these makes every container state them. */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** helper.IsNativeResource: no domain, or a kubernetes.io one. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

function containerResources(c: J, field: 'requests' | 'limits'): ResourceList {
  return parseResourceList(isObj(c.resources) ? c.resources[field] : undefined);
}

/**
 * resourcehelper.PodRequests / PodLimits: the main containers and restartable (sidecar) init
 * containers add up; a regular init container needs its own amount plus the sidecars started
 * before it; the pod needs the larger of the two, plus its overhead.
 */
function podAggregate(spec: J, field: 'requests' | 'limits'): ResourceList {
  let total: ResourceList = {};
  for (const c of objs(spec.containers)) total = addLists(total, containerResources(c, field));
  let sidecars: ResourceList = {};
  let init: ResourceList = {};
  for (const c of objs(spec.initContainers)) {
    const own = containerResources(c, field);
    if (c.restartPolicy === 'Always') {
      total = addLists(total, own);
      sidecars = addLists(sidecars, own);
      init = max(init, sidecars);
    } else init = max(init, addLists(own, sidecars));
  }
  total = max(total, init);
  if (isObj(spec.overhead)) total = addLists(total, parseResourceList(spec.overhead));
  return total;
}

/** podComputeUsageHelper: requests and limits as quota resource names. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) {
      out[r] = requests[r]!;
      out[`requests.${r}`] = requests[r]!;
    }
    if (limits[r]) out[`limits.${r}`] = limits[r]!;
  }
  for (const [name, q] of Object.entries(requests)) {
    if (name.startsWith('hugepages-')) {
      out[name] = q;
      out[`requests.${name}`] = q;
    }
    if (isExtendedResourceName(name)) out[`requests.${name}`] = q;
  }
  return out;
}

/** QuotaV1Pod: finished pods, and pods past their deletion grace period, are not charged. */
export function podCharged(pod: KubeObject, now: number): boolean {
  const phase = str((pod.status as J | undefined)?.phase);
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = pod.metadata ?? {};
  if (m.deletionTimestamp && typeof m.deletionGracePeriodSeconds === 'number') {
    const deadline = Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000;
    if (now > deadline) return false;
  }
  return true;
}

function podSpec(pod: KubeObject): J {
  return isObj(pod.spec) ? pod.spec : {};
}

function isTerminating(pod: KubeObject): boolean {
  const ads = podSpec(pod).activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

function crossNamespaceTerms(terms: unknown): boolean {
  return objs(terms).some((t) => {
    const term = isObj(t.podAffinityTerm) ? t.podAffinityTerm : t;
    return strs(term.namespaces).length > 0 || isObj(term.namespaceSelector);
  });
}

function usesCrossNamespacePodAffinity(pod: KubeObject): boolean {
  const aff = podSpec(pod).affinity;
  if (!isObj(aff)) return false;
  return [aff.podAffinity, aff.podAntiAffinity].some(
    (a) => isObj(a) && (crossNamespaceTerms(a.requiredDuringSchedulingIgnoredDuringExecution) || crossNamespaceTerms(a.preferredDuringSchedulingIgnoredDuringExecution)),
  );
}

/** A PriorityClass scope selector over {PriorityClass: <name>} (ScopedResourceSelectorRequirementsAsSelector). */
function priorityClassMatches(pod: KubeObject, req: ScopeSelectorRequirement): boolean {
  const name = str(podSpec(pod).priorityClassName);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'Exists':
      return name !== '';
    case 'DoesNotExist':
      return name === '';
    case 'In':
      return name !== '' && values.includes(name);
    case 'NotIn':
      return name === '' || !values.includes(name);
    default:
      return false;
  }
}

const podEvaluator: Evaluator = {
  matchingResources(names) {
    return names.filter(
      (n) => POD_RESOURCES.has(n) || POD_RESOURCE_PREFIXES.some((p) => n.startsWith(p)) || (!isNativeResource(n) && n.startsWith('requests.')),
    );
  },
  usage(pod, now) {
    // count/pods counts every pod in storage; the compute resources only live ones.
    const out: ResourceList = { 'count/pods': ONE };
    if (!podCharged(pod, now)) return out;
    const spec = podSpec(pod);
    return addLists(out, computeUsage(podAggregate(spec, 'requests'), podAggregate(spec, 'limits')));
  },
  matchesScope(req, pod) {
    switch (req.scopeName) {
      case 'Terminating':
        return isTerminating(pod);
      case 'NotTerminating':
        return !isTerminating(pod);
      case 'BestEffort':
        return computePodQOS(podSpec(pod)) === 'BestEffort';
      case 'NotBestEffort':
        return computePodQOS(podSpec(pod)) !== 'BestEffort';
      case 'PriorityClass':
        return priorityClassMatches(pod, req);
      case 'CrossNamespacePodAffinity':
        return usesCrossNamespacePodAffinity(pod);
      default:
        return false;
    }
  },
  constraints(required, pod) {
    const needed = required.filter((r) => VALIDATION_SET.has(r));
    if (needed.length === 0) return '';
    const missing = new Map<string, Set<string>>();
    const spec = podSpec(pod);
    for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
      const have = computeUsage(containerResources(c, 'requests'), containerResources(c, 'limits'));
      for (const r of needed) {
        if (have[r]) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(str(c.name));
      }
    }
    if (missing.size === 0) return '';
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

// --- services -------------------------------------------------------------------------------

const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.nodeports', 'services.loadbalancers']);

const serviceEvaluator: Evaluator = {
  matchingResources: (names) => names.filter((n) => SERVICE_RESOURCES.has(n)),
  usage(svc) {
    const spec: J = isObj(svc.spec) ? svc.spec : {};
    const out: ResourceList = { 'count/services': ONE, services: ONE };
    const ports = objs(spec.ports);
    const count = (n: number): Quantity => ({ value: BigInt(n), scale: 0, format: 'DecimalSI' });
    if (spec.type === 'NodePort') out['services.nodeports'] = count(ports.length);
    else if (spec.type === 'LoadBalancer') {
      // Without allocated node ports only the ports that name one explicitly count.
      out['services.nodeports'] = count(spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => p.nodePort).length : ports.length);
      out['services.loadbalancers'] = ONE;
    }
    return out;
  },
  matchesScope: () => false,
  constraints: () => '',
};

// --- persistent volume claims ---------------------------------------------------------------

const PVC_RESOURCES = ['persistentvolumeclaims', 'requests.storage'];

/** storagehelpers.GetPersistentVolumeClaimClass: the beta annotation wins over the field. */
export function claimClass(pvc: KubeObject): string {
  const beta = pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  return str((pvc.spec as J | undefined)?.storageClassName);
}

/** The larger of what the claim requests and what was allocated to it. */
function claimStorage(pvc: KubeObject): Quantity | undefined {
  const requested = parseResourceList((pvc.spec as J | undefined)?.resources?.requests).storage;
  const allocated = parseResourceList((pvc.status as J | undefined)?.allocatedResources).storage;
  if (requested && allocated) return compareQuantity(allocated, requested) > 0 ? allocated : requested;
  return requested ?? allocated;
}

const pvcEvaluator: Evaluator = {
  matchingResources: (names) =>
    names.filter((n) => n === 'count/persistentvolumeclaims' || PVC_RESOURCES.includes(n) || PVC_RESOURCES.some((r) => n.endsWith(STORAGE_CLASS_SUFFIX + r))),
  usage(pvc) {
    const out: ResourceList = { persistentvolumeclaims: ONE, 'count/persistentvolumeclaims': ONE };
    const cls = claimClass(pvc);
    if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE;
    const storage = claimStorage(pvc);
    if (storage) {
      out['requests.storage'] = storage;
      if (cls) out[`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`] = storage;
    }
    return out;
  },
  matchesScope: () => false,
  constraints: () => '',
};

// --- object counts --------------------------------------------------------------------------

/** The core resources quota also counts under their legacy names (`configmaps`, `secrets`, ...). */
const LEGACY_COUNT_NAMES: Record<string, string> = {
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
  secrets: 'secrets',
};

function objectCountEvaluator(gr: GroupResource): Evaluator {
  const names = new Set([objectCountName(gr)]);
  const legacy = gr.group === '' ? LEGACY_COUNT_NAMES[gr.resource] : undefined;
  if (legacy) names.add(legacy);
  return {
    matchingResources: (input) => input.filter((n) => names.has(n)),
    usage: () => Object.fromEntries([...names].map((n) => [n, ONE])),
    matchesScope: () => false,
    constraints: () => '',
  };
}

/** The evaluator for a resource (an object count for anything without a dedicated one). */
export function evaluatorFor(gr: GroupResource): Evaluator {
  if (gr.group === '') {
    if (gr.resource === 'pods') return podEvaluator;
    if (gr.resource === 'services') return serviceEvaluator;
    if (gr.resource === 'persistentvolumeclaims') return pvcEvaluator;
  }
  return objectCountEvaluator(gr);
}

/** The resources with a dedicated evaluator or a legacy count name (those a quota may name without `count/`). */
export const EVALUATED_RESOURCES: GroupResource[] = [
  { group: '', resource: 'pods' },
  { group: '', resource: 'services' },
  { group: '', resource: 'persistentvolumeclaims' },
  ...Object.keys(LEGACY_COUNT_NAMES).map((resource) => ({ group: '', resource })),
];

// --- quotas ---------------------------------------------------------------------------------

/** getScopeSelectorsFromQuota: spec.scopes (as Exists) and spec.scopeSelector's expressions. */
export function scopeSelectorsOf(quota: KubeObject): ScopeSelectorRequirement[] {
  const spec: J = isObj(quota.spec) ? quota.spec : {};
  const out: ScopeSelectorRequirement[] = strs(spec.scopes).map((s) => ({ scopeName: s, operator: 'Exists' }));
  if (isObj(spec.scopeSelector)) {
    for (const e of objs(spec.scopeSelector.matchExpressions)) out.push({ scopeName: str(e.scopeName), operator: str(e.operator), values: strs(e.values) });
  }
  return out;
}

export function matchesScopes(evaluator: Evaluator, scopes: ScopeSelectorRequirement[], obj: KubeObject): boolean {
  return scopes.every((s) => evaluator.matchesScope(s, obj));
}

/** generic.Matches: the quota's (status) hard names include something the evaluator tracks, and every scope matches. */
export function quotaMatches(quota: KubeObject, evaluator: Evaluator, obj: KubeObject): boolean {
  const hard = Object.keys(parseResourceList((quota.status as J | undefined)?.hard));
  return evaluator.matchingResources(hard).length > 0 && matchesScopes(evaluator, scopeSelectorsOf(quota), obj);
}
