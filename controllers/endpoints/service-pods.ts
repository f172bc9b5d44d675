// What the Endpoints and EndpointSlice controllers share about Services and the pods they
// select (upstream k8s.io/endpointslice/util): which pods belong in endpoints, which port a
// service port resolves to on a pod, which services a pod change concerns, and the
// last-change trigger time.
import type { ResourceRef } from '../runtime/client.ts';
import type { Informer } from '../runtime/informer.ts';
import { isPodReady, parseTime, type Pod } from '../runtime/pods.ts';
import { selectorFromSet } from '../runtime/selector.ts';
import { objectKey, type KubeObject } from '../runtime/types.ts';

export const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' };
export const ENDPOINTS: ResourceRef = { group: '', version: 'v1', resource: 'endpoints', namespaced: true, kind: 'Endpoints' };

/** v1.EndpointsLastChangeTriggerTime. */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** v1.IsHeadlessService: set on the Endpoints and EndpointSlices of a headless Service. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  appProtocol?: string;
  [k: string]: unknown;
}

export interface Service extends KubeObject {
  spec?: {
    type?: string;
    selector?: Record<string, string> | null;
    ports?: ServicePort[];
    clusterIP?: string;
    ipFamilies?: string[];
    publishNotReadyAddresses?: boolean;
    [k: string]: unknown;
  };
}

interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

interface Container {
  ports?: ContainerPort[];
  restartPolicy?: string;
}

/** A pod as these controllers read it. */
export interface EndpointPod extends Pod {
  spec?: Pod['spec'] & { hostname?: string; subdomain?: string; containers?: Container[]; initContainers?: Container[] };
  status?: Pod['status'] & { podIP?: string; podIPs?: { ip: string }[] };
}

export const isIPv6 = (ip: string): boolean => ip.includes(':');

/**
 * The selector of a Service these controllers manage, or undefined for one they leave alone:
 * ExternalName services and services without a selector (their endpoints are written by
 * hand). An empty selector is no selector, as it is once upstream has stored it.
 */
export function managedSelector(svc: Service): Record<string, string> | undefined {
  if (svc.spec?.type === 'ExternalName') return undefined;
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** The pods of `pods` the service selects (callers pass its namespace's pods). */
export function selectedPods<T extends Pod>(svc: Service, pods: T[]): T[] {
  const sel = managedSelector(svc);
  if (!sel) return [];
  const s = selectorFromSet(sel);
  return pods.filter((p) => s.matches(p.metadata?.labels));
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless asked. */
export function shouldPodBeInEndpoints(pod: EndpointPod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/** ShouldSetHostname: the pod names a hostname and the service as its subdomain. */
export function shouldSetHostname(pod: EndpointPod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata?.name && svc.metadata?.namespace === pod.metadata?.namespace;
}

/** The pod's IPs (status.podIPs, or status.podIP on its own). */
export function podIPs(pod: EndpointPod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  return ips.length ? ips : pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * podutil.FindPort: a numeric targetPort is the port; a named one is the containerPort of
 * that name and the service port's protocol (regular containers, then sidecars).
 */
export function findPort(pod: EndpointPod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string' || target === '') return undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol && p.containerPort) return p.containerPort;
  }
  return undefined;
}

/** isServiceIPSet: a ClusterIP that is neither empty nor None (not headless). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * podEndpointsChanged: [the pod changed in a way that may change endpoints, its labels (or
 * hostname/subdomain) changed in a way that may change which services select it].
 */
export function podEndpointsChanged(old: EndpointPod, cur: EndpointPod): [boolean, boolean] {
  const labelsChanged =
    !sameJson(old.metadata?.labels, cur.metadata?.labels) || old.spec?.hostname !== cur.spec?.hostname || old.spec?.subdomain !== cur.spec?.subdomain;
  if (old.metadata?.deletionTimestamp !== cur.metadata?.deletionTimestamp) return [true, labelsChanged];
  if (isPodReady(old) !== isPodReady(cur)) return [true, labelsChanged];
  if (!sameJson(podIPs(old), podIPs(cur))) return [true, labelsChanged];
  // Also what the endpoints say about the pod beside its IP and readiness.
  if (old.spec?.nodeName !== cur.spec?.nodeName || old.status?.phase !== cur.status?.phase) return [true, labelsChanged];
  return [false, labelsChanged];
}

/** GetPodServiceMemberships: keys of the services (of the pod's namespace) selecting the pod. */
export function podServiceKeys(services: Service[], pod: Pod): Set<string> {
  const out = new Set<string>();
  for (const svc of services) {
    const sel = managedSelector(svc);
    if (sel && selectorFromSet(sel).matches(pod.metadata?.labels)) out.add(objectKey(svc));
  }
  return out;
}

/** GetServicesToUpdateOnPodChange: the services a pod update concerns. */
export function servicesToUpdateOnPodChange(services: Service[], old: EndpointPod, cur: EndpointPod): Set<string> {
  if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return new Set();
  const [podChanged, labelsChanged] = podEndpointsChanged(old, cur);
  if (!podChanged && !labelsChanged) return new Set();
  const now = podServiceKeys(services, cur);
  if (!labelsChanged) return now;
  const before = podServiceKeys(services, old);
  if (podChanged) return new Set([...now, ...before]);
  // Only the labels changed: the services that gained or lost the pod.
  return new Set([...[...now].filter((k) => !before.has(k)), ...[...before].filter((k) => !now.has(k))]);
}

/**
 * The event handlers both controllers put on services and pods: a service change queues the
 * service, a pod change queues the services it concerns (before and after it).
 */
export function queueServicesOnChanges(services: Informer<Service>, pods: Informer<EndpointPod>, enqueue: (serviceKey: string) => void): void {
  const ofPod = (pod: Pod) => services.store.listByNamespace(pod.metadata?.namespace ?? '');
  const all = (keys: Set<string>) => keys.forEach(enqueue);
  const service = (svc: Service) => enqueue(objectKey(svc));
  services.addEventHandler({ add: service, update: (_old, cur) => service(cur), delete: service });
  pods.addEventHandler({
    add: (pod) => all(podServiceKeys(ofPod(pod), pod)),
    update: (old, cur) => all(servicesToUpdateOnPodChange(ofPod(cur), old, cur)),
    delete: (pod) => all(podServiceKeys(ofPod(pod), pod)),
  });
}

/** Go's time.RFC3339Nano of a UTC time: fractional seconds without trailing zeros. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

interface TriggerState {
  service: number;
  pods: Map<string, number>;
}

/**
 * TriggerTimeTracker: the EndpointsLastChangeTriggerTime of a sync is the earliest trigger
 * (a pod's Ready transition, the service's creation) that changed since the service's
 * previous sync; a service seen for the first time reports its creation time.
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, TriggerState>();

  /** ms since the epoch, or undefined when no trigger changed (the annotation is dropped). */
  compute(svc: Service, pods: Pod[]): number | undefined {
    const key = objectKey(svc);
    const prev = this.states.get(key);
    const podTimes = new Map<string, number>();
    let min: number | undefined;
    const consider = (t: number) => {
      if (min === undefined || t < min) min = t;
    };
    for (const pod of pods) {
      const t = parseTime((pod.status?.conditions ?? []).find((c) => c.type === 'Ready')?.lastTransitionTime);
      if (!t) continue;
      podTimes.set(pod.metadata?.name ?? '', t);
      if (t > (prev?.pods.get(pod.metadata?.name ?? '') ?? 0)) consider(t);
    }
    const created = parseTime(svc.metadata?.creationTimestamp);
    if (created > (prev?.service ?? 0)) consider(created);
    this.states.set(key, { service: created, pods: podTimes });
    if (!prev) return created || undefined;
    return min;
  }

  deleteService(key: string): void {
    this.states.delete(key);
  }
}

/** Key order does not matter when comparing API objects. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val));
}
