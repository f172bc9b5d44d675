// Resource arithmetic as the scheduler's framework.Resource: CPU in millicores, memory and
// ephemeral storage in bytes, the pod count, and scalar (extended, hugepages) resources.
// A pod's request is upstream's resource.PodRequests: the sum of its containers and sidecars,
// at least the largest init container (with the sidecars started before it), plus overhead.
import { milliValue, value } from './quantity.ts';
import type { Container, Node, Pod, ResourceList } from './types.ts';

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  scalar: Record<string, number>;
}

/** What a container without a CPU or memory request counts as when spreading (schedutil defaults). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: {} };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: { ...r.scalar } };
}

/** Extended resources, hugepages and attachable volumes (schedutil.IsScalarResourceName). */
export function isScalarResourceName(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

/** A ResourceList as a Resource (framework.NewResource). */
export function resourceFromList(list: ResourceList | undefined): Resource {
  const r = emptyResource();
  addList(r, list);
  return r;
}

function addList(r: Resource, list: ResourceList | undefined): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    switch (name) {
      case 'cpu':
        r.milliCPU += milliValue(q) || 0;
        break;
      case 'memory':
        r.memory += value(q) || 0;
        break;
      case 'ephemeral-storage':
        r.ephemeralStorage += value(q) || 0;
        break;
      case 'pods':
        r.allowedPodNumber += value(q) || 0;
        break;
      default:
        if (isScalarResourceName(name)) r.scalar[name] = (r.scalar[name] ?? 0) + (value(q) || 0);
    }
  }
}

export function add(into: Resource, r: Resource): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.allowedPodNumber += r.allowedPodNumber;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + v;
}

export function subtract(from: Resource, r: Resource): void {
  from.milliCPU -= r.milliCPU;
  from.memory -= r.memory;
  from.ephemeralStorage -= r.ephemeralStorage;
  from.allowedPodNumber -= r.allowedPodNumber;
  for (const [k, v] of Object.entries(r.scalar)) from.scalar[k] = (from.scalar[k] ?? 0) - v;
}

function max(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

/** A container's requests, with defaults for missing CPU/memory requests when asked (NonMissingContainerRequests). */
function containerRequests(c: Container, nonMissing: boolean): Resource {
  const requests = c.resources?.requests ?? {};
  const r = resourceFromList(requests);
  if (nonMissing) {
    if (!('cpu' in requests)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in requests)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * resource.PodRequests: containers and restartable init containers (sidecars) add up; a
 * regular init container runs alone beside the sidecars started before it, so the pod needs
 * at least the largest of those; overhead on top. `nonMissing` fills containers' missing CPU
 * and memory requests with the defaults (what spreading counts, NonZeroRequested).
 */
export function podRequests(pod: Pod, nonMissing = false): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) add(reqs, containerRequests(c, nonMissing));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c, nonMissing);
    let effective: Resource;
    if (c.restartPolicy === 'Always') {
      add(reqs, r);
      add(sidecars, r);
      effective = sidecars;
    } else {
      effective = cloneResource(r);
      add(effective, sidecars);
    }
    max(initMax, effective);
  }
  max(reqs, initMax);
  if (pod.spec?.overhead) add(reqs, resourceFromList(pod.spec.overhead));
  return reqs;
}

/** Whether a container, init container or the overhead of the pod names the resource (a hot path of scoring: no allocations). */
function requestsResource(pod: Pod, name: string): boolean {
  for (const list of [pod.spec?.containers, pod.spec?.initContainers]) {
    for (const c of list ?? []) if (c.resources?.requests && name in c.resources.requests) return true;
  }
  return !!pod.spec?.overhead && name in pod.spec.overhead;
}

/**
 * The incoming pod's request of one resource for scoring (schedutil.GetRequestForResource):
 * with `nonZero`, an unset CPU or memory request of the whole pod counts as the default.
 */
export function requestForResource(pod: Pod, reqs: Resource, resource: string, nonZero: boolean): number {
  switch (resource) {
    case 'cpu':
      return nonZero && !requestsResource(pod, 'cpu') ? DEFAULT_MILLI_CPU_REQUEST : reqs.milliCPU;
    case 'memory':
      return nonZero && !requestsResource(pod, 'memory') ? DEFAULT_MEMORY_REQUEST : reqs.memory;
    case 'ephemeral-storage':
      return reqs.ephemeralStorage;
    default:
      return reqs.scalar[resource] ?? 0;
  }
}

export function resourceValue(r: Resource, resource: string): number {
  switch (resource) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.allowedPodNumber;
    default:
      return r.scalar[resource] ?? 0;
  }
}

/** A node's allocatable resources (what NodeInfo.Allocatable holds). */
export function nodeAllocatable(node: Node): Resource {
  return resourceFromList(node.status?.allocatable);
}
