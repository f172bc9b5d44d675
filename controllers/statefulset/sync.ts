// The StatefulSet controller's pure core (upstream defaultStatefulSetControl): which revision
// is current and which is the update, and, from the set, its pods and their claims, the
// writes of one sync in order and the status to report.
//
// OrderedReady (monotonic) sets create pods 0..n-1 one at a time, each once its predecessors
// are Running and Ready (and available), and remove pods from the highest ordinal down, one
// at a time; Parallel sets do all of it at once. A RollingUpdate replaces pods from the
// highest ordinal down to the partition, one at a time, each once the previous is healthy.
import type { Pod } from '../runtime/pods.ts';
import { equalRevision, findEqualRevisions, newControllerRevision, hashRevisionData, nextRevision, revisionsToTruncate, templatePatch, type ControllerRevision } from '../history/history.ts';
import {
  allowsBurst,
  applyRevision,
  claimIsStale,
  claimOwnerRefs,
  endOrdinal,
  identityMatches,
  inOrdinalRange,
  isFailed,
  isHealthy,
  isPending,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  newVersionedPod,
  ordinalOf,
  podClaims,
  podRevision,
  setReplicas,
  startOrdinal,
  storageMatches,
  updateIdentity,
  updateStorage,
  type PersistentVolumeClaim,
  type StatefulSet,
  type StatefulSetStatus,
} from './util.ts';

// --- revisions -------------------------------------------------------------------------------

/** newRevision: the revision the set's template makes now. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const data = templatePatch(set);
  return newControllerRevision({
    owner: set,
    ownerApiVersion: 'apps/v1',
    ownerKind: 'StatefulSet',
    templateLabels: set.spec?.template?.metadata?.labels,
    data,
    revision,
    hash: hashRevisionData(data, collisionCount),
    annotations: set.metadata?.annotations,
  });
}

export type RevisionAction =
  /** The latest revision already holds the template. */
  | { action: 'reuse'; revision: ControllerRevision }
  /** An older revision holds it (a rollback): renumber it as the newest. */
  | { action: 'renumber'; revision: ControllerRevision; to: number }
  /** No revision holds it: create this one. */
  | { action: 'create'; revision: ControllerRevision };

/** getStatefulSetRevisions, the decision part: what the update revision is or must become. */
export function updateRevisionAction(set: StatefulSet, revisions: ControllerRevision[]): RevisionAction {
  const collisionCount = set.status?.collisionCount ?? 0;
  const candidate = newRevision(set, nextRevision(revisions), collisionCount);
  const equal = findEqualRevisions(revisions, candidate);
  const latest = revisions[revisions.length - 1];
  if (equal.length && equalRevision(latest, equal[equal.length - 1])) return { action: 'reuse', revision: latest! };
  if (equal.length) return { action: 'renumber', revision: equal[equal.length - 1]!, to: candidate.revision! };
  return { action: 'create', revision: candidate };
}

/** The current revision: the one status names, or (a new set) the update revision. */
export function currentRevisionOf(set: StatefulSet, revisions: ControllerRevision[], update: ControllerRevision): ControllerRevision {
  return revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
}

/** truncateHistory: the revisions no pod, current or update uses, beyond revisionHistoryLimit. */
export function revisionsToDelete(set: StatefulSet, revisions: ControllerRevision[], pods: Pod[], current: ControllerRevision, update: ControllerRevision): ControllerRevision[] {
  const live = new Set([current.metadata?.name, update.metadata?.name, ...pods.map(podRevision)]);
  return revisionsToTruncate(revisions, (r) => live.has(r.metadata?.name), set.spec?.revisionHistoryLimit ?? 10, false);
}

// --- pods ----------------------------------------------------------------------------------

export type StatefulSetOp =
  /** Create the missing claims, then the pod. */
  | { op: 'createPod'; pod: Pod; claims: PersistentVolumeClaim[] }
  /** A pending pod's claims went missing: create them again. */
  | { op: 'createClaims'; pod: Pod; claims: PersistentVolumeClaim[] }
  /** Restore the pod's identity and storage (UpdateStatefulPod). */
  | { op: 'updatePod'; pod: Pod }
  /** Set the claim's owner references as the retention policy says. */
  | { op: 'updateClaim'; pod: Pod; claim: PersistentVolumeClaim }
  | { op: 'deletePod'; pod: Pod };

export interface SyncInput {
  set: StatefulSet;
  /** The pods the set owns (claimed). */
  pods: Pod[];
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
  /** The claims that exist, by name. */
  claim(name: string): PersistentVolumeClaim | undefined;
  now: number;
}

export interface SyncPlan {
  /**
   * The writes, in phases run one after another; the writes of one phase may run at once
   * (always one write per phase for OrderedReady sets). The first failure ends the sync.
   */
  phases: StatefulSetOp[][];
  /** The status to write (completeRollingUpdate applied). */
  status: StatefulSetStatus;
}

/** computeReplicaStatus over the pods that exist (placeholders for pods to create do not count). */
export function replicaStatus(pods: Pod[], minReadySeconds: number, current: string, update: string, now: number) {
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const pod of pods) {
    if (!pod.metadata?.uid) continue;
    s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, now)) s.availableReplicas++;
    }
    if (!isTerminating(pod)) {
      const rev = podRevision(pod);
      if (rev === current) s.currentReplicas++;
      if (rev === update) s.updatedReplicas++;
    }
  }
  return s;
}

function claimsToCreate(input: SyncInput, pod: Pod): PersistentVolumeClaim[] {
  const out: PersistentVolumeClaim[] = [];
  for (const claim of podClaims(input.set, ordinalOf(pod)).values()) {
    if (input.claim(claim.metadata!.name!)) continue;
    const refs = claimOwnerRefs(input.set, pod, claim);
    if (refs?.length) claim.metadata!.ownerReferences = refs;
    out.push(claim);
  }
  return out;
}

/** Claims of an existing pod whose owner references do not follow the retention policy. */
function claimUpdates(input: SyncInput, pod: Pod): StatefulSetOp[] {
  const out: StatefulSetOp[] = [];
  for (const c of podClaims(input.set, ordinalOf(pod)).values()) {
    const existing = input.claim(c.metadata!.name!);
    if (!existing) continue;
    const refs = claimOwnerRefs(input.set, pod, existing);
    if (refs) out.push({ op: 'updateClaim', pod, claim: { ...structuredClone(existing), metadata: { ...structuredClone(existing.metadata), ownerReferences: refs } } });
  }
  return out;
}

/** updateStatefulSet: one sync of the set's pods. */
export function syncStatefulSet(input: SyncInput): SyncPlan {
  const { set, current, update, now } = input;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const currentSet = applyRevision(set, current);
  const updateSet = applyRevision(set, update);
  const currentName = current.metadata?.name ?? '';
  const updateName = update.metadata?.name ?? '';
  const start = startOrdinal(set);

  const replicas: Pod[] = new Array(Math.max(0, setReplicas(set)));
  const condemned: Pod[] = [];
  for (const pod of input.pods) {
    const ord = ordinalOf(pod);
    if (inOrdinalRange(pod, set)) replicas[ord - start] = pod;
    else if (ord >= 0) condemned.push(pod);
  }
  for (let ord = start; ord <= endOrdinal(set); ord++) {
    replicas[ord - start] ??= newVersionedPod(currentSet, updateSet, currentName, updateName, ord);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const firstUnhealthy = replicas.find((p) => !isHealthy(p)) ?? [...condemned].reverse().find((p) => !isHealthy(p));

  let currentReplicasDelta = 0;
  const phases: StatefulSetOp[][] = [];
  const finish = (): SyncPlan => {
    const counts = replicaStatus([...replicas, ...condemned], minReady, currentName, updateName, now);
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata?.generation,
      replicas: counts.replicas,
      readyReplicas: counts.readyReplicas,
      currentReplicas: counts.currentReplicas + currentReplicasDelta,
      updatedReplicas: counts.updatedReplicas,
      availableReplicas: counts.availableReplicas,
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount: input.collisionCount,
    };
    // completeRollingUpdate
    if ((set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    return { phases: phases.filter((p) => p.length > 0), status };
  };
  if (set.metadata?.deletionTimestamp) return finish();

  const monotonic = !allowsBurst(set);
  /** Runs step over the pods: monotonic, each step a phase and a blocked step ends the plan. */
  const runForAll = (pods: Pod[], step: (pod: Pod) => { ops: StatefulSetOp[]; exit: boolean }): boolean => {
    if (!monotonic) {
      const batch = pods.flatMap((p) => step(p).ops);
      phases.push(batch);
      return false;
    }
    for (const pod of pods) {
      const { ops, exit } = step(pod);
      for (const op of ops) phases.push([op]);
      if (exit) return true;
    }
    return false;
  };

  const processReplica = (pod: Pod): { ops: StatefulSetOp[]; exit: boolean } => {
    // Finished pods are deleted and made again on a later sync.
    if (isFailed(pod) || isSucceeded(pod)) return { ops: isTerminating(pod) ? [] : [{ op: 'deletePod', pod }], exit: true };
    if (!pod.metadata?.uid) {
      const stale = [...podClaims(set, ordinalOf(pod)).values()].some((c) => {
        const existing = input.claim(c.metadata!.name!);
        return existing && claimIsStale(set, existing, undefined);
      });
      if (stale) return { ops: [], exit: true };
      return { ops: [{ op: 'createPod', pod, claims: claimsToCreate(input, pod) }], exit: monotonic };
    }
    const ops: StatefulSetOp[] = [];
    if (isPending(pod)) {
      const missing = claimsToCreate(input, pod);
      if (missing.length) ops.push({ op: 'createClaims', pod, claims: missing });
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return { ops, exit: true };
    if (!identityMatches(set, pod) || !storageMatches(set, pod)) {
      const fixed = structuredClone(pod);
      updateIdentity(updateSet, fixed);
      updateStorage(updateSet, fixed);
      ops.push({ op: 'updatePod', pod: fixed });
    }
    ops.push(...claimUpdates(input, pod));
    return { ops, exit: false };
  };
  if (runForAll(replicas, processReplica)) return finish();

  // Claims of condemned pods get their retention owner references before the pods go.
  if (runForAll(condemned, (pod) => ({ ops: claimUpdates(input, pod), exit: false }))) return finish();

  const processCondemned = (pod: Pod): { ops: StatefulSetOp[]; exit: boolean } => {
    if (isTerminating(pod)) return { ops: [], exit: monotonic };
    if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return { ops: [], exit: true };
    return { ops: [{ op: 'deletePod', pod }], exit: true };
  };
  if (runForAll(condemned, processCondemned)) return finish();

  if (set.spec?.updateStrategy?.type === 'OnDelete') return finish();
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  // The pod with the highest ordinal not at the update revision goes; the next waits for it.
  for (let target = replicas.length - 1; target >= partition; target--) {
    const pod = replicas[target]!;
    if (podRevision(pod) !== updateName && !isTerminating(pod)) {
      phases.push([{ op: 'deletePod', pod }]);
      currentReplicasDelta = -1;
      return finish();
    }
    if (!isHealthy(pod)) break;
  }
  return finish();
}

/** inconsistentStatus: whether the status must be written. */
export function statusChanged(a: StatefulSetStatus | undefined, b: StatefulSetStatus): boolean {
  const x = (a ?? {}) as Partial<StatefulSetStatus>;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  for (const k of ['observedGeneration', 'replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'collisionCount'] as const) {
    if (n(x[k]) !== n(b[k])) return true;
  }
  return (x.currentRevision ?? '') !== (b.currentRevision ?? '') || (x.updateRevision ?? '') !== (b.updateRevision ?? '');
}
