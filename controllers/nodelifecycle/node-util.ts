// Node facts the node lifecycle, taint eviction and pod GC controllers share (upstream
// pkg/controller/util/node and pkg/util/taints): conditions, taint sets, the taint writes
// the controllers make (each added taint stamped with timeAdded), and pods by node name.
import type { Api, ResourceRef } from '../runtime/client.ts';
import { isConflict } from '../runtime/errors.ts';
import type { Indexer } from '../runtime/store.ts';
import { rfc3339, type KubeObject } from '../runtime/types.ts';
import type { Pod } from '../runtime/pods.ts';
import { ensureIndex } from '../runtime/controller-ref.ts';
import type { Taint } from '../../scheduler/types.ts';

export type { Taint };

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean; [k: string]: unknown };
  status?: { conditions?: NodeCondition[]; [k: string]: unknown };
}

export function nodeCondition(node: Node | undefined, type: string): NodeCondition | undefined {
  return (node?.status?.conditions ?? []).find((c) => c.type === type);
}

/** MatchTaint: the same key and effect. */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: Taint[] | undefined, t: Taint): boolean {
  return (taints ?? []).some((x) => sameTaint(x, t));
}

/**
 * The taints after adding `add` (a taint already there with the same key, effect and value
 * is kept as it is; otherwise replaced and stamped with timeAdded) and removing `remove`;
 * undefined when nothing changes.
 */
export function swapTaints(taints: Taint[] | undefined, add: Taint[], remove: Taint[], now: number): Taint[] | undefined {
  let out = [...(taints ?? [])];
  let changed = false;
  for (const t of add) {
    const i = out.findIndex((x) => sameTaint(x, t));
    if (i >= 0 && (out[i]!.value ?? '') === (t.value ?? '')) continue;
    const stamped: Taint = { ...t, timeAdded: rfc3339(new Date(now)) };
    if (i >= 0) out[i] = stamped;
    else out.push(stamped);
    changed = true;
  }
  const before = out.length;
  out = out.filter((x) => !remove.some((r) => sameTaint(x, r)));
  if (out.length !== before) changed = true;
  return changed ? out : undefined;
}

/**
 * SwapNodeControllerTaint: writes the node's taints with `add` added and `remove` removed,
 * starting from `node` (usually the cached copy) and re-reading it on a conflict. A no-op
 * makes no request.
 */
export async function swapNodeTaints(api: Api, node: Node, add: Taint[], remove: Taint[], now: () => number): Promise<void> {
  let cur = node;
  for (let attempt = 0; ; attempt++) {
    const taints = swapTaints(cur.spec?.taints, add, remove, now());
    if (!taints) return;
    try {
      await api.patch(NODES, undefined, cur.metadata!.name!, { metadata: { resourceVersion: cur.metadata?.resourceVersion }, spec: { taints: taints.length ? taints : null } });
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
      cur = await api.get<Node>(NODES, undefined, cur.metadata!.name!);
    }
  }
}

/** Upstream's PodNodeNameKeyIndex. */
export const POD_NODE_NAME_INDEX = 'spec.nodeName';

export function ensurePodNodeNameIndex(store: Indexer<Pod>): void {
  ensureIndex(store, POD_NODE_NAME_INDEX, (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []));
}

export function podsOnNode<T extends Pod>(store: Indexer<T>, nodeName: string): T[] {
  return store.byIndex(POD_NODE_NAME_INDEX, nodeName);
}
