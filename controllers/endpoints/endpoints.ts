// The Endpoints controller's pure core (upstream pkg/controller/endpoint): the subsets of a
// Service's Endpoints from the pods it selects (ready pods under addresses, the others under
// notReadyAddresses unless the service publishes not-ready addresses; ports resolved per
// pod, named targetPorts included), repacked into upstream's canonical layout, and the
// Endpoints object to write, or nothing when what is stored already says the same.
import { isPodReady } from '../runtime/pods.ts';
import type { KubeObject } from '../runtime/types.ts';
import {
  canonicalJson,
  findPort,
  HEADLESS_LABEL,
  isIPv6,
  isServiceIPSet,
  LAST_CHANGE_TRIGGER_TIME,
  podIPs,
  rfc3339Nano,
  shouldPodBeInEndpoints,
  shouldSetHostname,
  type EndpointPod,
  type Service,
} from './service-pods.ts';

/** Upstream maxCapacity: more addresses than this are truncated. */
export const MAX_CAPACITY = 1000;
/** v1.EndpointsOverCapacity. */
export const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

/** podToEndpointAddressForService: the pod's IP of the service's (first) family. */
function addressFor(svc: Service, pod: EndpointPod): EndpointAddress | undefined {
  const family = svc.spec?.ipFamilies?.[0];
  const wantV6 = family ? family === 'IPv6' : isServiceIPSet(svc) ? isIPv6(svc.spec!.clusterIP!) : isIPv6(pod.status?.podIP ?? '');
  const ip = podIPs(pod).find((a) => isIPv6(a) === wantV6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname;
  return addr;
}

/** The subsets for the pods the service selects (callers pass only those), repacked. */
export function desiredSubsets(svc: Service, pods: EndpointPod[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  const subsets: EndpointSubset[] = [];
  const add = (pod: EndpointPod, addr: EndpointAddress, port: EndpointPort | undefined) => {
    const ready = publish || isPodReady(pod);
    subsets.push({ [ready ? 'addresses' : 'notReadyAddresses']: [addr], ports: port ? [port] : [] });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const addr = addressFor(svc, pod);
    if (!addr) continue;
    if (ports.length === 0) {
      // A headless service may have no ports.
      if (svc.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of ports) {
      const num = findPort(pod, sp);
      if (num === undefined) continue;
      // An unnamed port has no name field (upstream's omitempty).
      const port: EndpointPort = { ...(sp.name ? { name: sp.name } : {}), port: num, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol !== undefined) port.appProtocol = sp.appProtocol;
      add(pod, addr, port);
    }
  }
  return repackSubsets(subsets);
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
}

/** LessEndpointAddress: by IP (bytewise), then by target uid. */
function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => {
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * RepackSubsets: expands the subsets to (address, port, ready) and regroups them so that each
 * subset holds the addresses offering exactly the same ports; not ready on any port wins.
 * Addresses sort by IP then uid; ports and subsets in a fixed order (upstream orders them by
 * a hash; any fixed order serves the same purpose: equal endpoints compare equal).
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  // port key → address key → ready
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports?.length ? ss.ports : [undefined];
    for (const port of ports) {
      const pk = port ? canonicalJson(port) : '';
      let entry = byPort.get(pk);
      if (!entry) byPort.set(pk, (entry = { port, ready: new Map() }));
      for (const [list, ready] of [
        [ss.addresses ?? [], true],
        [ss.notReadyAddresses ?? [], false],
      ] as const) {
        for (const a of list) {
          const ak = addressKey(a);
          if (!addrs.has(ak)) addrs.set(ak, a);
          const was = entry.ready.get(ak);
          if (was === undefined || was) entry.ready.set(ak, ready);
        }
      }
    }
  }
  // Group the ports by the exact set of (address, ready) offering them.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const gk = [...ready].map(([k, r]) => `${k}\u0000${r}`).sort().join('\u0001');
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const { ready, ports } of groups.values()) {
    const ss: EndpointSubset = {};
    const r = [...ready].filter(([, v]) => v).map(([k]) => addrs.get(k)!).sort(compareAddresses);
    const nr = [...ready].filter(([, v]) => !v).map(([k]) => addrs.get(k)!).sort(compareAddresses);
    if (r.length) ss.addresses = r;
    if (nr.length) ss.notReadyAddresses = nr;
    if (ports.length) ss.ports = ports.sort(byKey(canonicalJson));
    if (r.length || nr.length) out.push(ss);
  }
  return out.sort(byKey(canonicalJson));
}

/** truncateEndpoints: at most MAX_CAPACITY addresses, ready ones first, proportionally per subset. */
export function truncateSubsets(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= MAX_CAPACITY) return { subsets, truncated: false };
  const truncateReady = totalReady > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  const out = subsets.map((s) => {
    const n = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toBeAdded = Math.min(Math.ceil((n / numTotal) * max), canBeAdded);
    const next: EndpointSubset = { ...s };
    if (truncateReady) {
      next.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete next.notReadyAddresses;
      canBeAdded -= next.addresses.length;
    } else {
      next.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= next.notReadyAddresses.length;
    }
    if (!next.addresses?.length) delete next.addresses;
    if (!next.notReadyAddresses?.length) delete next.notReadyAddresses;
    return next;
  });
  return { subsets: out, truncated: true };
}

/** Subsets compared as upstream does: target resourceVersions ignored, empty lists as absent. */
function normalized(subsets: EndpointSubset[] | undefined): string {
  const addr = (a: EndpointAddress) => {
    const { targetRef, ...rest } = a;
    if (!targetRef) return rest;
    const { resourceVersion: _rv, ...ref } = targetRef;
    return { ...rest, targetRef: ref };
  };
  return canonicalJson(
    (subsets ?? []).map((s) => ({
      addresses: (s.addresses ?? []).map(addr),
      notReadyAddresses: (s.notReadyAddresses ?? []).map(addr),
      ports: (s.ports ?? []).map((p) => ({ ...p, name: p.name || undefined, protocol: p.protocol ?? 'TCP' })),
    })),
  );
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}

function capacityAnnotationSetCorrectly(ep: Endpoints): boolean {
  const n = (ep.subsets ?? []).reduce((k, s) => k + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (n > MAX_CAPACITY) return false;
  return !(OVER_CAPACITY in (ep.metadata?.annotations ?? {}));
}

/**
 * The Endpoints to write for the service (create when `current` is undefined), or undefined
 * when the stored subsets, labels and capacity annotation already match. `triggerTime` (ms)
 * becomes the last-change-trigger-time annotation; undefined removes it.
 */
export function endpointsToWrite(svc: Service, current: Endpoints | undefined, subsets: EndpointSubset[], triggerTime: number | undefined): Endpoints | undefined {
  const svcLabels = svc.metadata?.labels;
  if (current) {
    const { [HEADLESS_LABEL]: _h, ...compareLabels } = current.metadata?.labels ?? {};
    if (normalized(current.subsets) === normalized(subsets) && sameLabels(compareLabels, svcLabels) && capacityAnnotationSetCorrectly(current)) return undefined;
  }
  const base: Endpoints = current ? structuredClone(current) : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc.metadata?.name } };
  const meta = (base.metadata ??= {});
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  if (triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(triggerTime);
  else delete annotations[LAST_CHANGE_TRIGGER_TIME];
  const { subsets: kept, truncated } = truncateSubsets(subsets);
  if (truncated) annotations[OVER_CAPACITY] = 'truncated';
  else delete annotations[OVER_CAPACITY];
  meta.annotations = annotations;
  const labels: Record<string, string> = { ...(svcLabels ?? {}) };
  if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  meta.labels = labels;
  base.subsets = kept;
  return base;
}
