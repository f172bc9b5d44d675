// NodeResourcesFit: the pod's requests must fit the node's allocatable minus what the pods
// already on it request, and one more pod must fit the pod count (filter); LeastAllocated
// prefers emptier nodes (score). NodeResourcesBalancedAllocation prefers nodes whose CPU and
// memory use stay balanced (score).
import { MAX_NODE_SCORE, unschedulable, type CycleContext, type FilterPlugin, type NodeInfo, type ScorePlugin, type Status } from '../framework.ts';
import { podRequests, requestForResource, resourceValue, type Resource } from '../resources.ts';
import type { Pod } from '../types.ts';

export const FIT = 'NodeResourcesFit';
export const BALANCED = 'NodeResourcesBalancedAllocation';

export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/** fitsRequest: every resource the pod does not get, in upstream's order (pods, cpu, memory, ephemeral-storage, scalars). */
export function fitsRequest(request: Resource, node: Pick<NodeInfo, 'allocatable' | 'requested'> & { podCount: number }): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const { allocatable: alloc, requested: used } = node;
  if (node.podCount + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: node.podCount, capacity: alloc.allowedPodNumber });
  }
  const scalars = Object.entries(request.scalar).filter(([, v]) => v !== 0);
  if (request.milliCPU === 0 && request.memory === 0 && request.ephemeralStorage === 0 && scalars.length === 0) return out;
  if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU) {
    out.push({ resourceName: 'cpu', reason: 'Insufficient cpu', requested: request.milliCPU, used: used.milliCPU, capacity: alloc.milliCPU });
  }
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) {
    out.push({ resourceName: 'memory', reason: 'Insufficient memory', requested: request.memory, used: used.memory, capacity: alloc.memory });
  }
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push({ resourceName: 'ephemeral-storage', reason: 'Insufficient ephemeral-storage', requested: request.ephemeralStorage, used: used.ephemeralStorage, capacity: alloc.ephemeralStorage });
  }
  for (const [name, q] of scalars) {
    const capacity = alloc.scalar[name] ?? 0;
    const inUse = used.scalar[name] ?? 0;
    if (q > capacity - inUse) out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: q, used: inUse, capacity });
  }
  return out;
}

export function nodeResourcesFitFilter(request: Resource, node: NodeInfo): Status | undefined {
  const insufficient = fitsRequest(request, { allocatable: node.allocatable, requested: node.requested, podCount: node.pods.size });
  return insufficient.length ? unschedulable(...insufficient.map((i) => i.reason)) : undefined;
}

/** The default scoring resources: cpu and memory, weight 1 each. */
export const DEFAULT_RESOURCES = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** leastRequestedScore: the free share of a resource, 0..100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over the weighted resources (integer arithmetic as upstream). */
export function leastAllocatedScore(requested: number[], allocatable: number[], weights: number[]): number {
  let score = 0;
  let weightSum = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    score += leastRequestedScore(requested[i]!, allocatable[i]!) * weights[i]!;
    weightSum += weights[i]!;
  }
  return weightSum === 0 ? 0 : Math.trunc(score / weightSum);
}

/** balancedResourceScorer: (1 - standard deviation of the used fractions) * 100. */
export function balancedAllocationScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(1, requested[i]! / allocatable[i]!);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    std = Math.sqrt(fractions.reduce((s, f) => s + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/**
 * What a node would have allocated with the pod on it, per resource (calculateResourceAllocatableRequest):
 * NonZeroRequested and the pod's non-zero request for LeastAllocated, the plain requests for
 * BalancedAllocation. An extended resource the pod does not request is left out (0, 0).
 */
export function allocation(pod: Pod, podReq: Resource, node: NodeInfo, resources: string[], useRequested: boolean): { requested: number[]; allocatable: number[] } {
  const base = useRequested ? node.requested : node.nonZeroRequested;
  const requested: number[] = [];
  const allocatable: number[] = [];
  for (const r of resources) {
    const podRequest = requestForResource(pod, podReq, r, !useRequested);
    if (podRequest === 0 && r !== 'cpu' && r !== 'memory' && r !== 'ephemeral-storage') {
      requested.push(0);
      allocatable.push(0);
      continue;
    }
    requested.push(resourceValue(base, r) + podRequest);
    allocatable.push(resourceValue(node.allocatable, r));
  }
  return { requested, allocatable };
}

function podRequestsOf(ctx: CycleContext): Resource {
  let r = ctx.state.get(FIT) as Resource | undefined;
  if (!r) {
    r = podRequests(ctx.pod);
    ctx.state.set(FIT, r);
  }
  return r;
}

export const nodeResourcesFitPlugin: FilterPlugin & ScorePlugin = {
  name: FIT,
  weight: 1,
  preFilter: (ctx) => {
    ctx.state.set(FIT, podRequests(ctx.pod));
    return undefined;
  },
  filter: (ctx, node) => nodeResourcesFitFilter(podRequestsOf(ctx), node),
  score: (ctx, node) => {
    const names = DEFAULT_RESOURCES.map((r) => r.name);
    const { requested, allocatable } = allocation(ctx.pod, podRequestsOf(ctx), node, names, false);
    return leastAllocatedScore(requested, allocatable, DEFAULT_RESOURCES.map((r) => r.weight));
  },
};

export const balancedAllocationPlugin: ScorePlugin = {
  name: BALANCED,
  weight: 1,
  score: (ctx, node) => {
    const { requested, allocatable } = allocation(ctx.pod, podRequestsOf(ctx), node, ['cpu', 'memory'], true);
    return balancedAllocationScore(requested, allocatable);
  },
};
