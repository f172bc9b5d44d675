// The pod garbage collector's pure core (upstream pkg/controller/podgc): which pods to force
// delete in a pass. Terminated pods beyond the threshold (evicted ones first, then the
// oldest), pods bound to nodes confirmed gone, terminating pods on nodes not ready and taken
// out of service, and terminating pods never scheduled.
import { parseTime, type Pod } from '../runtime/pods.ts';
import { nodeCondition, TAINT_OUT_OF_SERVICE, type Node } from '../nodelifecycle/node-util.ts';

/** Upstream --terminated-pod-gc-threshold. */
export const DEFAULT_TERMINATED_POD_THRESHOLD = 12500;

export type GcReason = 'terminated' | 'orphaned' | 'terminating-out-of-service' | 'unscheduled-terminating';

export interface Collect {
  pod: Pod;
  reason: GcReason;
  /** The DisruptionTarget condition to record on it first, if any. */
  condition?: { type: 'DisruptionTarget'; status: 'True'; reason: string; message: string };
}

export interface GcInput {
  pods: Pod[];
  /** The nodes in the cache, by name. */
  nodes: Map<string, Node>;
  /** Nodes confirmed gone (quarantined long enough, and missing from a live read). */
  deletedNodes: Set<string>;
  /** 0 disables the terminated-pod collection. */
  terminatedPodThreshold: number;
}

/** isPodTerminated: neither Pending, Running nor Unknown. */
export function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase ?? '';
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

function isEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status?.reason === 'Evicted';
}

/** byEvictionAndCreationTimestamp: evicted first, then oldest, then by name. */
function byEvictionAndCreation(a: Pod, b: Pod): number {
  const ea = isEvicted(a);
  if (ea !== isEvicted(b)) return ea ? -1 : 1;
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) return ta - tb;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Node names pods are bound to that the cache does not know (candidates for quarantine). */
export function unknownNodes(pods: Pod[], nodes: Map<string, Node>): Set<string> {
  const out = new Set<string>();
  for (const p of pods) if (p.spec?.nodeName && !nodes.has(p.spec.nodeName)) out.add(p.spec.nodeName);
  return out;
}

/** One gc pass: the pods to mark failed and force delete, each once. */
export function podsToCollect(input: GcInput): Collect[] {
  const out: Collect[] = [];
  const seen = new Set<Pod>();
  const push = (c: Collect) => {
    if (seen.has(c.pod)) return;
    seen.add(c.pod);
    out.push(c);
  };
  if (input.terminatedPodThreshold > 0) {
    const terminated = input.pods.filter(isPodTerminated);
    const excess = terminated.length - input.terminatedPodThreshold;
    if (excess > 0) for (const pod of terminated.sort(byEvictionAndCreation).slice(0, excess)) push({ pod, reason: 'terminated' });
  }
  const outOfService = input.pods
    .filter((p) => p.metadata?.deletionTimestamp && p.spec?.nodeName)
    .filter((p) => {
      const node = input.nodes.get(p.spec!.nodeName!);
      return node && nodeCondition(node, 'Ready')?.status !== 'True' && (node.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE);
    });
  for (const pod of outOfService.sort(byEvictionAndCreation)) push({ pod, reason: 'terminating-out-of-service' });
  for (const pod of input.pods) {
    if (pod.spec?.nodeName && input.deletedNodes.has(pod.spec.nodeName)) {
      push({ pod, reason: 'orphaned', condition: { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' } });
    }
  }
  for (const pod of input.pods) if (pod.metadata?.deletionTimestamp && !pod.spec?.nodeName) push({ pod, reason: 'unscheduled-terminating' });
  return out;
}
