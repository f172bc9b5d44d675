// The EndpointSlice controller's pure core (upstream k8s.io/endpointslice Reconciler): from a
// Service, the pods it selects and the slices it already has, which slices to create, update
// and delete. Endpoints are grouped by the ports they resolve to; an endpoint stays in the
// slice that holds it, changed endpoints are rewritten in place, new ones fill the slices
// being updated first, then the unchanged slice they fit best, then new slices of at most
// maxEndpointsPerSlice. A service with no endpoints keeps one empty placeholder slice, and a
// create that would go with a delete becomes an update of the slice to delete.
import { isPodReady } from '../runtime/pods.ts';
import type { KubeObject, ObjectMeta, OwnerReference } from '../runtime/types.ts';
import type { ObjectReference } from '../endpoints/endpoints.ts';
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
} from '../endpoints/service-pods.ts';

/** discovery.LabelServiceName. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** discovery.LabelManagedBy. */
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** v1.LabelTopologyZone. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export type AddressType = 'IPv4' | 'IPv6';

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  [k: string]: unknown;
}

export interface SlicePort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: SliceEndpoint[];
  ports?: SlicePort[];
}

/** What the reconciler reads of a node: its zone label. */
export type NodeLike = KubeObject;

export interface SliceReconcileInput {
  service: Service;
  /** The pods the service selects. */
  pods: EndpointPod[];
  /** The service's slices managed by this controller (none pending deletion). */
  existing: EndpointSlice[];
  /** The node a pod runs on (for its zone); undefined when there is no such node. */
  node: (name: string) => NodeLike | undefined;
  maxEndpointsPerSlice?: number;
  /** ms; the last-change-trigger-time annotation of what is written (undefined: none). */
  triggerTime?: number;
  controllerName?: string;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Pods left out for now (their node is not known yet): the caller retries. */
  errors: string[];
}

/** getAddressTypesForService: the service's IP families, or what its cluster IP implies. */
export function addressTypesFor(svc: Service): AddressType[] {
  const fams = (svc.spec?.ipFamilies ?? []).filter((f): f is AddressType => f === 'IPv4' || f === 'IPv6');
  if (fams.length) return [...new Set(fams)];
  if (isServiceIPSet(svc)) return [isIPv6(svc.spec!.clusterIP!) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** A port as the server stores it (name and protocol defaulted). */
function normalPort(p: SlicePort): SlicePort {
  const out: SlicePort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port };
  if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
  return out;
}

/** NewPortMapKey: the same ports in any order give the same key. */
export function portMapKey(ports: SlicePort[] | undefined): string {
  return (ports ?? []).map((p) => canonicalJson(normalPort(p))).sort().join('|');
}

/** getEndpointPorts: the service's ports as this pod resolves them. */
function endpointPorts(svc: Service, pod: EndpointPod): SlicePort[] {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0 && svc.spec?.clusterIP === 'None') return [];
  const out: SlicePort[] = [];
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push(normalPort({ name: sp.name, protocol: sp.protocol, port, appProtocol: sp.appProtocol }));
  }
  return out;
}

/** podToEndpoint. */
function podToEndpoint(pod: EndpointPod, node: NodeLike | undefined, svc: Service, type: AddressType): SliceEndpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // Never ready while terminating, unless the service publishes not-ready addresses.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: SliceEndpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (type === 'IPv6')),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
  return ep;
}

/** hashEndpoint: an endpoint's identity (addresses, hostname, target). */
function endpointHash(ep: SliceEndpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** EndpointsEqualBeyondHash (target resourceVersions ignored). */
function equalBeyondHash(a: SliceEndpoint, b: SliceEndpoint): boolean {
  const ref = (r: ObjectReference | undefined) => (r ? canonicalJson({ ...r, resourceVersion: undefined }) : '');
  const c = (e: SliceEndpoint) => [e.conditions?.ready, e.conditions?.serving, e.conditions?.terminating];
  return (a.nodeName ?? null) === (b.nodeName ?? null) && (a.zone ?? null) === (b.zone ?? null) && JSON.stringify(c(a)) === JSON.stringify(c(b)) && ref(a.targetRef) === ref(b.targetRef);
}

/** setEndpointSliceLabels: the service's labels plus the reserved ones; changed when the service's differ. */
function sliceLabels(current: Record<string, string> | undefined, svc: Service, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const reserved = (k: string) => k === SERVICE_NAME_LABEL || k === MANAGED_BY_LABEL || k === HEADLESS_LABEL;
  const strip = (l: Record<string, string> | undefined) => Object.fromEntries(Object.entries(l ?? {}).filter(([k]) => !reserved(k)));
  const svcLabels = strip(svc.metadata?.labels);
  const changed = canonicalJson(strip(current)) !== canonicalJson(svcLabels);
  const labels: Record<string, string> = { ...svcLabels };
  if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = svc.metadata?.name ?? '';
  labels[MANAGED_BY_LABEL] = controllerName;
  return { labels, changed };
}

/** getEndpointSlicePrefix: `<service>-` (the server adds five random characters). */
export function slicePrefix(serviceName: string): string {
  return `${serviceName}-`;
}

function ownerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** ownedBy: the slice has the service (this uid) among its owners. */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

function newSlice(svc: Service, ports: SlicePort[], type: AddressType, controllerName: string): EndpointSlice {
  const metadata: ObjectMeta = {
    generateName: slicePrefix(svc.metadata?.name ?? ''),
    namespace: svc.metadata?.namespace,
    ownerReferences: [ownerRef(svc)],
    labels: sliceLabels({}, svc, controllerName).labels,
  };
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType: type, endpoints: [], ports };
}

/** placeholderSliceCompare: the same namespace, labels, owners, type, ports and no endpoints. */
function isSamePlaceholder(a: EndpointSlice, b: EndpointSlice): boolean {
  const key = (s: EndpointSlice) =>
    canonicalJson([s.metadata?.namespace, s.metadata?.labels ?? {}, s.metadata?.ownerReferences ?? [], s.addressType, portMapKey(s.ports), (s.endpoints ?? []).length]);
  return key(a) === key(b);
}

interface PortGroupResult {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** reconcileByPortMapping: one group of slices sharing a port set. */
function reconcilePortGroup(svc: Service, existing: EndpointSlice[], desired: Map<string, SliceEndpoint>, ports: SlicePort[], type: AddressType, max: number, controllerName: string): PortGroupResult {
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();
  // 1. Keep the endpoints still desired where they are (rewritten when changed), drop the rest.
  for (const slice of existing) {
    const name = slice.metadata!.name!;
    byName.set(name, slice);
    const kept: SliceEndpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const h = endpointHash(ep);
      const want = desired.get(h);
      if (!want) continue;
      kept.push(want);
      if (!equalBeyondHash(want, ep)) changed = true;
      desired.delete(h);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice.metadata?.labels, svc, controllerName);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        byName.set(name, { ...structuredClone(slice), endpoints: kept, metadata: { ...structuredClone(slice.metadata), labels } });
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...structuredClone(slice), metadata: { ...structuredClone(slice.metadata), labels } });
      toUpdate.add(name);
    } else unchanged.add(name);
  }
  const pop = (): SliceEndpoint => {
    const [h, ep] = desired.entries().next().value as [string, SliceEndpoint];
    desired.delete(h);
    return ep;
  };
  // 2. Fill the slices being updated, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) while (desired.size > 0 && (s.endpoints ??= []).length < max) s.endpoints.push(pop());
  }
  // 3. The rest: the unchanged slice closest to full once they are in, or new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let fill: EndpointSlice | undefined;
    if (desired.size < max && unchanged.size > 0) {
      let closest = max;
      for (const n of unchanged) {
        const diff = max - (desired.size + (byName.get(n)!.endpoints?.length ?? 0));
        if (diff >= 0 && diff < closest) {
          closest = diff;
          fill = byName.get(n);
        }
      }
    }
    if (fill) {
      fill = structuredClone(fill);
      byName.set(fill.metadata!.name!, fill);
    } else fill = newSlice(svc, ports, type, controllerName);
    while (desired.size > 0 && (fill.endpoints ??= []).length < max) fill.endpoints.push(pop());
    const name = fill.metadata?.name;
    if (name) {
      toUpdate.add(name);
      unchanged.delete(name);
    } else create.push(fill);
  }
  const sorted = (names: Set<string>) => [...names].sort().map((n) => byName.get(n)!);
  return { create, update: sorted(toUpdate), delete: sorted(toDelete) };
}

/** reconcileByAddressType. */
function reconcileAddressType(input: SliceReconcileInput, existing: EndpointSlice[], type: AddressType, plan: SlicePlan): void {
  const { service: svc } = input;
  const max = input.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const controllerName = input.controllerName ?? CONTROLLER_NAME;
  const toDelete: EndpointSlice[] = [];
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      toDelete.push(s);
      continue;
    }
    const k = portMapKey(s.ports);
    existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
  }
  const desiredByPorts = new Map<string, { ports: SlicePort[]; endpoints: Map<string, SliceEndpoint> }>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const k = portMapKey(ports);
    let group = desiredByPorts.get(k);
    if (!group) desiredByPorts.set(k, (group = { ports, endpoints: new Map() }));
    const node = pod.spec?.nodeName ? input.node(pod.spec.nodeName) : undefined;
    if (!node && !svc.spec?.publishNotReadyAddresses) {
      // The pod garbage collector will remove a pod of a vanished node; until then, retry.
      plan.errors.push(`skipping Pod ${pod.metadata?.name} for Service ${svc.metadata?.namespace}/${svc.metadata?.name}: Node ${pod.spec?.nodeName ?? ''} Not Found`);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, type);
    if (ep.addresses.length > 0) group.endpoints.set(endpointHash(ep), ep);
  }
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  for (const [k, group] of desiredByPorts) {
    const r = reconcilePortGroup(svc, existingByPorts.get(k) ?? [], group.endpoints, group.ports, type, max, controllerName);
    create.push(...r.create);
    update.push(...r.update);
    toDelete.push(...r.delete);
  }
  // Port sets no longer wanted.
  for (const [k, slices] of existingByPorts) if (!desiredByPorts.has(k)) toDelete.push(...slices);
  // No endpoints at all: one placeholder slice (kept when it is already there).
  if (existing.length === toDelete.length && create.length === 0) {
    const placeholder = newSlice(svc, [], type, controllerName);
    if (toDelete.length === 1 && isSamePlaceholder(toDelete[0]!, placeholder)) toDelete.length = 0;
    else create.push(placeholder);
  }
  finalize(input, create, update, toDelete, plan);
}

/** finalize: creates paired with deletes become updates of the slices to delete. */
function finalize(input: SliceReconcileInput, create: EndpointSlice[], update: EndpointSlice[], del: EndpointSlice[], plan: SlicePlan): void {
  const svc = input.service;
  for (let i = 0; i < del.length && create.length > 0; ) {
    const gone = del[i]!;
    const next = create[create.length - 1]!;
    if (gone.addressType === next.addressType && ownedBy(gone, svc)) {
      create.pop();
      const { generateName: _g, ...meta } = next.metadata ?? {};
      update.push({ ...next, metadata: { ...structuredClone(gone.metadata), ...meta, name: gone.metadata?.name } });
      del.splice(i, 1);
    } else i++;
  }
  const stamp = (s: EndpointSlice) => {
    const annotations: Record<string, string> = { ...(s.metadata?.annotations ?? {}) };
    if (input.triggerTime !== undefined) annotations[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(input.triggerTime);
    else delete annotations[LAST_CHANGE_TRIGGER_TIME];
    return { ...s, metadata: { ...s.metadata, annotations } };
  };
  // No new slices for a service being deleted: the garbage collector is removing them.
  if (!svc.metadata?.deletionTimestamp) plan.create.push(...create.map(stamp));
  plan.update.push(...update.map(stamp));
  plan.delete.push(...del);
}

/** Reconcile: the plan for every address type the service has; slices of other types go. */
export function reconcileSlices(input: SliceReconcileInput): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [], errors: [] };
  const types = addressTypesFor(input.service);
  const byType = new Map<string, EndpointSlice[]>();
  for (const s of input.existing) {
    if (!types.includes(s.addressType as AddressType)) plan.delete.push(s);
    else byType.set(s.addressType!, [...(byType.get(s.addressType!) ?? []), s]);
  }
  const pods = [...input.pods].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const type of types) reconcileAddressType({ ...input, pods }, byType.get(type) ?? [], type, plan);
  return plan;
}
