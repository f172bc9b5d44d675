// The DaemonSet controller's pure core (upstream daemon_controller.go and update.go): which
// nodes need a daemon pod and which pods must go (manage), which old pods a rolling update
// replaces now (within maxUnavailable, or surging within maxSurge), the status, and the
// ControllerRevision bookkeeping (constructHistory, cleanupHistory).
import { isPodAvailable, isPodReady, type Pod } from '../runtime/pods.ts';
import type { Node } from '../../scheduler/types.ts';
import { computeHash } from '../deployment/util.ts';
import { equalRevision, maxRevision, newControllerRevision, revisionsToTruncate, templatePatch, type ControllerRevision } from '../history/history.ts';
import {
  allowsSurge,
  byCreationTimestampAndPhase,
  HASH_LABEL,
  isPodUpdated,
  nodeShouldRunDaemonPod,
  surgeCount,
  targetNodeName,
  templateGeneration,
  unavailableCount,
  type DaemonSet,
  type DaemonSetStatus,
} from './util.ts';

const isTerminal = (pod: Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const deleting = (pod: Pod) => !!pod.metadata?.deletionTimestamp;

/**
 * getNodesToDaemonPods: the daemon pods by the node they run on or are pinned to. Terminal
 * pods being deleted are left out unless asked for (history keeps their revisions).
 */
export function daemonPodsByNode(pods: Pod[], includeDeletedTerminal = false): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!includeDeletedTerminal && isTerminal(pod) && deleting(pod)) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    out.set(node, [...(out.get(node) ?? []), pod]);
  }
  return out;
}

export interface DaemonEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ManageInput {
  ds: DaemonSet;
  nodes: Node[];
  byNode: Map<string, Pod[]>;
  hash: string;
  now: number;
  /** The back-off (ms) still to wait before deleting another failed pod on this node, or 0. */
  failedBackoff?: (nodeName: string) => number;
}

export interface ManageResult {
  /** Nodes to create a daemon pod for. */
  create: string[];
  delete: Pod[];
  events: DaemonEvent[];
  /** Nodes whose failed pod is deleted now (their back-off grows). */
  failedNodes: string[];
  /** Look again after this long (a failed pod waits out its back-off). */
  requeueAfterMs?: number;
}

/** podsShouldBeOnNode + getUnscheduledPodsWithoutNode over every node: the core of manage. */
export function manage(input: ManageInput): ManageResult {
  const { ds, byNode, hash, now } = input;
  const res: ManageResult = { create: [], delete: [], events: [], failedNodes: [] };
  const surge = allowsSurge(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of input.nodes) {
    const name = node.metadata?.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name);
    if (shouldRun && !pods?.length) {
      res.create.push(name);
      continue;
    }
    if (!pods?.length) continue;
    if (!shouldContinueRunning) {
      res.delete.push(...pods.filter((p) => !deleting(p)));
      continue;
    }
    const running: Pod[] = [];
    for (const pod of pods) {
      if (deleting(pod)) continue;
      if (pod.status?.phase === 'Failed') {
        // The kubelet may keep rejecting the pod: back off before replacing it again.
        const wait = input.failedBackoff?.(name) ?? 0;
        if (wait > 0) {
          res.requeueAfterMs = Math.min(res.requeueAfterMs ?? Infinity, wait);
          continue;
        }
        res.failedNodes.push(name);
        res.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${name}, will try to kill it` });
        res.delete.push(pod);
      } else if (pod.status?.phase === 'Succeeded') {
        res.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message: `Found succeeded daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${name}, will try to delete it` });
        res.delete.push(pod);
      } else running.push(pod);
    }
    running.sort(byCreationTimestampAndPhase);
    if (!surge) {
      // One pod per node: all but the oldest go.
      res.delete.push(...running.slice(1));
      continue;
    }
    if (running.length <= 1) {
      if (running.length === 0 && shouldRun) res.create.push(name);
      continue;
    }
    // Surging: keep the oldest new pod and, while it is not available yet, the oldest old one if ready.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const pod of running) {
      if (pod.metadata?.labels?.[HASH_LABEL] === hash) {
        if (!oldestNew) {
          oldestNew = pod;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = pod;
        continue;
      }
      res.delete.push(pod);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) res.delete.push(oldestOld);
  }
  // getUnscheduledPodsWithoutNode: pods pinned to a node that is gone and never bound go; bound
  // ones are the pod garbage collector's (it force-deletes the pods of vanished nodes).
  const present = new Set(input.nodes.map((n) => n.metadata?.name ?? ''));
  for (const [name, pods] of byNode) {
    if (!present.has(name)) res.delete.push(...pods.filter((p) => !p.spec?.nodeName && !deleting(p)));
  }
  return res;
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, or not ok. */
function updatedPodsOnNode(ds: DaemonSet, pods: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  const gen = templateGeneration(ds);
  for (const pod of pods) {
    if (deleting(pod)) continue;
    if (isPodUpdated(pod, hash, gen)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface RollingUpdateInput {
  ds: DaemonSet;
  nodes: Node[];
  byNode: Map<string, Pod[]>;
  hash: string;
  now: number;
}

/** rollingUpdate: the old pods to delete and the nodes to surge onto, this round. */
export function rollingUpdate(input: RollingUpdateInput): { create: string[]; delete: Pod[] } {
  const { ds, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, now);
  // updatedDesiredNodeCounts: every node that should run a pod is considered, with or without one.
  const byNode = new Map(input.byNode);
  const nodesByName = new Map(input.nodes.map((n) => [n.metadata?.name ?? '', n]));
  let desired = 0;
  for (const node of input.nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata?.name ?? '')) byNode.set(node.metadata?.name ?? '', []);
  }
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const shouldRun = (name: string) => {
    const node = nodesByName.get(name);
    return !!node && nodeShouldRunDaemonPod(node, ds).shouldRun;
  };

  if (maxSurge === 0) {
    // Delete just enough old pods to stay within maxUnavailable; manage makes their replacements.
    let unavailable = 0;
    const replace: Pod[] = [];
    const candidates: Pod[] = [];
    for (const pods of byNode.values()) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        unavailable++;
        continue;
      }
      if (newPod) {
        if (!available(newPod)) unavailable++;
        continue;
      }
      if (!available(oldPod!)) {
        replace.push(oldPod!);
        unavailable++;
      } else if (unavailable < maxUnavailable) candidates.push(oldPod!);
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { create: [], delete: [...replace, ...candidates.slice(0, room)] };
  }

  // Surging: a new pod beside each old one (at most maxSurge at a time); an old pod goes once its replacement is available.
  const toDelete: Pod[] = [];
  const notWanted: Pod[] = [];
  const candidates: string[] = [];
  const allowed: string[] = [];
  let surging = 0;
  let availableCount = 0;
  for (const [name, pods] of byNode) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
    if (!ok) {
      surging++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod && available(newPod)) availableCount++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(name)) toDelete.push(oldPod);
        else allowed.push(name);
      } else if (!shouldRun(name)) notWanted.push(oldPod);
      else if (surging < maxSurge) candidates.push(name);
      continue;
    }
    if (!available(newPod)) surging++;
    else toDelete.push(oldPod);
  }
  // Pods on nodes the daemon left go only while enough others are available.
  const deletable = Math.min(Math.max(0, availableCount - desired), notWanted.length);
  toDelete.push(...notWanted.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - surging), candidates.length);
  return { create: [...allowed, ...candidates.slice(0, room)], delete: toDelete };
}

export interface StatusInput {
  ds: DaemonSet;
  nodes: Node[];
  byNode: Map<string, Pod[]>;
  hash: string;
  now: number;
  /** False while expectations are pending: the generation acted on is not this one yet. */
  observed: boolean;
}

/** updateDaemonSetStatus: counts over the nodes that exist (pods of vanished nodes do not count). */
export function daemonSetStatus(input: StatusInput): DaemonSetStatus {
  const { ds, byNode, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const gen = templateGeneration(ds);
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  for (const node of input.nodes) {
    const pods = byNode.get(node.metadata?.name ?? '') ?? [];
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = [...pods].sort(byCreationTimestampAndPhase)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isPodUpdated(pod, hash, gen)) updated++;
  }
  const status: DaemonSetStatus = {
    ...(ds.status ?? {}),
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
  if (input.observed) status.observedGeneration = ds.metadata?.generation;
  return status;
}

const COUNTERS = ['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'observedGeneration'] as const;

/** storeDaemonSetStatus's check: a write is needed when a counter or the observed generation changed. */
export function statusChanged(ds: DaemonSet, next: DaemonSetStatus): boolean {
  const cur = (ds.status ?? {}) as Partial<DaemonSetStatus>;
  return COUNTERS.some((k) => (cur[k] ?? 0) !== (next[k] ?? 0));
}

// --- history -------------------------------------------------------------------------------

/** The revision the DaemonSet's template makes now (snapshot): named after the template hash. */
export function snapshotRevision(ds: DaemonSet, revision: number): ControllerRevision {
  const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
  return newControllerRevision({
    owner: ds,
    ownerApiVersion: 'apps/v1',
    ownerKind: 'DaemonSet',
    templateLabels: ds.spec?.template?.metadata?.labels,
    data: templatePatch(ds),
    revision,
    hash,
    annotations: ds.metadata?.annotations,
  });
}

export interface HistoryPlan {
  /** The revision holding the current template, when one does. */
  current?: ControllerRevision;
  /** Other revisions holding it too: deleted (their pods relabelled to current's hash). */
  duplicates: ControllerRevision[];
  /** Revisions of other templates. */
  old: ControllerRevision[];
  /** The number current must have: it becomes the newest. */
  revision: number;
}

/** constructHistory, the decision part. */
export function historyPlan(ds: DaemonSet, revisions: ControllerRevision[]): HistoryPlan {
  const probe: ControllerRevision = { data: templatePatch(ds) };
  const matching = revisions.filter((r) => equalRevision(r, probe));
  const old = revisions.filter((r) => !matching.includes(r));
  const revision = maxRevision(old) + 1;
  if (!matching.length) return { duplicates: [], old, revision };
  // dedupCurHistories: keep the highest-numbered one.
  const current = matching.reduce((keep, r) => ((r.revision ?? 0) >= (keep.revision ?? 0) ? r : keep));
  return { current, duplicates: matching.filter((r) => r !== current), old, revision };
}

/** cleanupHistory: old revisions past revisionHistoryLimit that no pod (even a finished one) uses. */
export function historyToDelete(ds: DaemonSet, old: ControllerRevision[], allPods: Pod[]): ControllerRevision[] {
  const liveHashes = new Set(allPods.map((p) => p.metadata?.labels?.[HASH_LABEL]).filter((h): h is string => !!h));
  return revisionsToTruncate(old, (r) => liveHashes.has(r.metadata?.labels?.[HASH_LABEL] ?? ''), ds.spec?.revisionHistoryLimit ?? 10, true);
}
