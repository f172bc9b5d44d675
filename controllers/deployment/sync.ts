// The Deployment controller's pure core (upstream pkg/controller/deployment: sync.go,
// rolling.go, recreate.go, progress.go). reconcileDeployment takes a Deployment, the
// ReplicaSets it owns and their pods, and returns the API writes one sync makes, in order:
// create the new ReplicaSet (named <deployment>-<pod-template-hash>), scale ReplicaSets,
// delete old ones beyond revisionHistoryLimit, then one status write (counters, conditions
// and the revision annotation). It follows upstream's decision sequence step by step on
// local copies, so a later step sees what an earlier one changed:
//   selector selects everything → SelectingAll, nothing else;
//   being deleted → status only;
//   paused, or a scaling event (desired-replicas annotations differ from spec.replicas) →
//     proportional scaling across the active ReplicaSets (and, paused, clean-up);
//   Recreate → scale old ReplicaSets to 0, wait for their pods to go, then the new one up;
//   RollingUpdate → scale the new ReplicaSet up within maxSurge, else old ones down within
//     maxUnavailable (unhealthy replicas first); clean up once complete.
import { getControllerOf, newControllerRef } from '../runtime/controller-ref.ts';
import type { Pod } from '../runtime/pods.ts';
import { cloneSelectorAndAddLabel, isEmptySelector } from '../runtime/selector.ts';
import { rfc3339 } from '../runtime/types.ts';
import { specReplicas } from '../replicaset/replicaset.ts';
import {
  FOUND_NEW_RS_REASON,
  NEW_RS_AVAILABLE_REASON,
  NEW_RS_CREATED_REASON,
  PAUSED_REASON,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  RESUMED_REASON,
  RS_UPDATED_REASON,
  TIMED_OUT_REASON,
  availableReplicaCount,
  byCreationTimestamp,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  calculateDeploymentStatus,
  canonicalJson,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentReplicas,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  filterActiveReplicaSets,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  removeCondition,
  replicaCount,
  replicaSetProportion,
  replicaSetToDeploymentCondition,
  replicasAnnotationsNeedUpdate,
  setCondition,
  setDeploymentRevision,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  statusEqual,
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  type RS,
} from './util.ts';

export interface DeploymentEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type DeploymentOp =
  /** Create the new ReplicaSet; `event` once created. */
  | { op: 'createReplicaSet'; rs: RS; event?: DeploymentEvent }
  /** Update (PUT) a ReplicaSet: replicas, annotations, minReadySeconds; `event` once done. */
  | { op: 'updateReplicaSet'; rs: RS; event?: DeploymentEvent }
  | { op: 'deleteReplicaSet'; rs: RS }
  /** PUT the status subresource (status and the revision annotation). */
  | { op: 'updateStatus'; deployment: Deployment };

export interface DeploymentPlan {
  ops: DeploymentOp[];
  /** Events not tied to a write. */
  events: DeploymentEvent[];
  /** Sync again after this long (to check the progress deadline). */
  requeueAfterMs?: number;
}

export interface DeploymentSyncInput {
  deployment: Deployment;
  /** The ReplicaSets the Deployment owns (after adoption/release). */
  replicaSets: RS[];
  /** Pods by the uid of the ReplicaSet controlling them (for Recreate). */
  podMap?: Map<string, Pod[]>;
  now: number;
}

const DEPLOYMENT_API_VERSION = 'apps/v1';
const DEPLOYMENT_KIND = 'Deployment';

class Planner {
  readonly d: Deployment;
  private readonly orig: Deployment;
  private readonly rsList: RS[];
  private readonly podMap: Map<string, Pod[]>;
  private readonly now: number;
  readonly ops: DeploymentOp[] = [];
  readonly events: DeploymentEvent[] = [];
  requeueAfterMs: number | undefined;

  constructor(input: DeploymentSyncInput) {
    this.orig = input.deployment;
    this.d = structuredClone(input.deployment);
    this.d.status ??= {};
    this.d.spec ??= {};
    this.rsList = input.replicaSets.map((rs) => structuredClone(rs));
    this.podMap = input.podMap ?? new Map();
    this.now = input.now;
  }

  private get status(): DeploymentStatus {
    return (this.d.status ??= {});
  }

  run(): DeploymentPlan {
    const d = this.d;
    if (isEmptySelector(d.spec?.selector)) {
      this.events.push({ type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' });
      const gen = d.metadata?.generation ?? 0;
      if ((this.status.observedGeneration ?? 0) < gen) this.status.observedGeneration = gen;
      return this.finish();
    }
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
      this.syncDeploymentStatus([...oldRSs, newRS], newRS);
      return this.finish();
    }
    this.checkPausedConditions();
    if (d.spec?.paused) {
      this.sync();
      return this.finish();
    }
    if (this.isScalingEvent()) {
      this.sync();
      return this.finish();
    }
    if (d.spec?.strategy?.type === 'Recreate') this.rolloutRecreate();
    else this.rolloutRolling();
    return this.finish();
  }

  /** One status write for everything this sync changed on the Deployment. */
  private finish(): DeploymentPlan {
    const annotationsChanged = canonicalJson(this.orig.metadata?.annotations ?? {}) !== canonicalJson(this.d.metadata?.annotations ?? {});
    if (annotationsChanged || !statusEqual(this.orig.status, this.d.status)) this.ops.push({ op: 'updateStatus', deployment: structuredClone(this.d) });
    return { ops: this.ops, events: this.events, requeueAfterMs: this.requeueAfterMs };
  }

  // --- ReplicaSets -------------------------------------------------------------------------

  private getAllReplicaSetsAndSyncRevision(createIfNotExisted: boolean): { newRS: RS | undefined; oldRSs: RS[] } {
    const { all: oldRSs } = findOldReplicaSets(this.d, this.rsList);
    const newRS = this.getNewReplicaSet(oldRSs, createIfNotExisted);
    return { newRS, oldRSs };
  }

  /**
   * The ReplicaSet whose template is the Deployment's, with its annotations and revision
   * brought up to date; created (scaled as the strategy allows) when asked and missing.
   */
  private getNewReplicaSet(oldRSs: RS[], createIfNotExisted: boolean): RS | undefined {
    const d = this.d;
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = maxRevision(oldRSs) + 1n;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyNeedsUpdate = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        const spec = (copy.spec ??= {});
        if (d.spec?.minReadySeconds) spec.minReadySeconds = d.spec.minReadySeconds;
        else delete spec.minReadySeconds;
        existing.metadata = copy.metadata;
        existing.spec = copy.spec;
        this.ops.push({ op: 'updateReplicaSet', rs: structuredClone(existing) });
        return existing;
      }
      setDeploymentRevision(d, existing.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(this.status, 'Progressing')) {
        setCondition(this.status, newCondition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${existing.metadata?.name}"`, this.now));
      }
      return existing;
    }
    if (!createIfNotExisted) return undefined;

    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    const tm = (template.metadata ??= {});
    tm.labels = { ...(tm.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata?.name}-${hash}`;
    const rs: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata?.namespace,
        labels: { ...tm.labels },
        ownerReferences: [newControllerRef(d, DEPLOYMENT_API_VERSION, DEPLOYMENT_KIND)],
      },
      spec: {
        replicas: 0,
        ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
        selector: cloneSelectorAndAddLabel(d.spec?.selector, POD_TEMPLATE_HASH_LABEL, hash),
        template,
      },
    };
    rs.spec!.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    const replicas = rs.spec!.replicas;
    this.ops.push({
      op: 'createReplicaSet',
      rs: structuredClone(rs),
      event: replicas > 0 ? { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${name} to ${replicas}` } : undefined,
    });
    // The local copy stands for the created object in the rest of this sync.
    rs.metadata!.creationTimestamp = rfc3339(new Date(this.now));
    rs.status = { replicas: 0 };
    this.rsList.push(rs);
    setDeploymentRevision(d, String(newRevision));
    if (hasProgressDeadline(d)) {
      setCondition(this.status, newCondition('Progressing', 'True', NEW_RS_CREATED_REASON, `Created new replica set "${name}"`, this.now));
    }
    return rs;
  }

  /**
   * scaleReplicaSet: new size and replicas annotations; true when the size changed. Events are
   * worded as the 1.30 controller words them (the version k8ts reports): "to N from M"
   * (1.31 reordered it to "from M to N").
   */
  private scaleReplicaSet(rs: RS, newScale: number, operation: string): boolean {
    const d = this.d;
    const n = deploymentReplicas(d);
    const max = n + maxSurge(d);
    const oldScale = specReplicas(rs);
    const sizeNeedsUpdate = oldScale !== newScale;
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, n, max)) return false;
    (rs.spec ??= {}).replicas = newScale;
    setReplicasAnnotations(rs, n, max);
    this.ops.push({
      op: 'updateReplicaSet',
      rs: structuredClone(rs),
      event: sizeNeedsUpdate ? { type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${operation} replica set ${rs.metadata?.name} to ${newScale} from ${oldScale}` } : undefined,
    });
    return sizeNeedsUpdate;
  }

  private scaleReplicaSetAndRecordEvent(rs: RS, newScale: number): boolean {
    const cur = specReplicas(rs);
    if (cur === newScale) return false;
    return this.scaleReplicaSet(rs, newScale, cur < newScale ? 'up' : 'down');
  }

  // --- pause, scaling events, proportional scaling ----------------------------------------

  /** Progressing Unknown DeploymentPaused / DeploymentResumed (never over ProgressDeadlineExceeded). */
  private checkPausedConditions(): void {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(this.status, 'Progressing');
    if (cond?.reason === TIMED_OUT_REASON) return;
    const pausedExists = cond?.reason === PAUSED_REASON;
    if (d.spec?.paused && !pausedExists) setCondition(this.status, newCondition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused', this.now));
    else if (!d.spec?.paused && pausedExists) setCondition(this.status, newCondition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed', this.now));
  }

  /** A ReplicaSet's desired-replicas annotation differs from spec.replicas: the Deployment was resized. */
  private isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    const n = deploymentReplicas(this.d);
    for (const rs of filterActiveReplicaSets([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== n) return true;
    }
    return false;
  }

  /** Resize (and, when paused, clean up) without rolling anything out. */
  private sync(): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanupDeployment(oldRSs);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** Upstream scale(): one active ReplicaSet takes it all; otherwise a proportional split within maxSurge. */
  private scale(newRS: RS | undefined, oldRSs: RS[]): void {
    const d = this.d;
    const n = deploymentReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (specReplicas(activeOrLatest) !== n) this.scaleReplicaSetAndRecordEvent(activeOrLatest, n);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActiveReplicaSets(oldRSs)) this.scaleReplicaSetAndRecordEvent(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = filterActiveReplicaSets([...oldRSs, newRS]);
    const allowed = n > 0 ? n + maxSurge(d) : 0;
    const toAdd = allowed - replicaCount(all);
    let operation = '';
    if (toAdd > 0) {
      all.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      all.sort(bySizeOlder);
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      const name = rs.metadata?.name ?? '';
      if (toAdd !== 0) {
        const p = replicaSetProportion(rs, d, toAdd, added);
        sizes.set(name, specReplicas(rs) + p);
        added += p;
      } else sizes.set(name, specReplicas(rs));
    }
    all.forEach((rs, i) => {
      const name = rs.metadata?.name ?? '';
      // Leftovers go to the largest ReplicaSet.
      if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
      this.scaleReplicaSet(rs, sizes.get(name)!, operation);
    });
  }

  /** Deletes the oldest ReplicaSets beyond revisionHistoryLimit (only empty, settled ones). */
  private cleanupDeployment(oldRSs: RS[]): void {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - d.spec!.revisionHistoryLimit!;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0) || rs.metadata?.deletionTimestamp) continue;
      this.ops.push({ op: 'deleteReplicaSet', rs: structuredClone(rs) });
    }
  }

  // --- rolling update -----------------------------------------------------------------------

  private rolloutRolling(): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(true);
    const all = [...oldRSs, newRS!];
    if (this.reconcileNewReplicaSet(all, newRS!)) return this.syncRolloutStatus(all, newRS);
    if (this.reconcileOldReplicaSets(all, filterActiveReplicaSets(oldRSs), newRS!)) return this.syncRolloutStatus(all, newRS);
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  /** Scale the new ReplicaSet up as far as maxSurge allows (or down to spec.replicas). */
  private reconcileNewReplicaSet(allRSs: RS[], newRS: RS): boolean {
    const n = deploymentReplicas(this.d);
    const cur = specReplicas(newRS);
    if (cur === n) return false;
    if (cur > n) return this.scaleReplicaSetAndRecordEvent(newRS, n);
    return this.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(this.d, allRSs, newRS));
  }

  /** Scale old ReplicaSets down as far as maxUnavailable allows, unhealthy replicas first. */
  private reconcileOldReplicaSets(allRSs: RS[], oldRSs: RS[], newRS: RS): boolean {
    const oldPods = replicaCount(oldRSs);
    if (oldPods === 0) return false;
    const allPods = replicaCount(allRSs);
    const minAvailable = deploymentReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
    const scaledDown = this.scaleDownOldReplicaSetsForRollingUpdate([...oldRSs, newRS], oldRSs);
    return cleaned + scaledDown > 0;
  }

  private cleanupUnhealthyReplicas(oldRSs: RS[], maxCleanup: number): number {
    oldRSs.sort(byCreationTimestamp);
    let total = 0;
    for (const rs of oldRSs) {
      if (total >= maxCleanup) break;
      const replicas = specReplicas(rs);
      const available = rs.status?.availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const count = Math.min(maxCleanup - total, replicas - available);
      const newCount = replicas - count;
      if (newCount > replicas) {
        throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata?.namespace}/${rs.metadata?.name} ${replicas} -> ${newCount}`);
      }
      this.scaleReplicaSetAndRecordEvent(rs, newCount);
      total += count;
    }
    return total;
  }

  private scaleDownOldReplicaSetsForRollingUpdate(allRSs: RS[], oldRSs: RS[]): number {
    const minAvailable = deploymentReplicas(this.d) - maxUnavailable(this.d);
    const available = availableReplicaCount(allRSs);
    if (available <= minAvailable) return 0;
    oldRSs.sort(byCreationTimestamp);
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of oldRSs) {
      if (total >= toScaleDown) break;
      const replicas = specReplicas(rs);
      if (replicas === 0) continue;
      const count = Math.min(replicas, toScaleDown - total);
      this.scaleReplicaSetAndRecordEvent(rs, replicas - count);
      total += count;
    }
    return total;
  }

  // --- recreate -----------------------------------------------------------------------------

  private rolloutRecreate(): void {
    let { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(false);
    let all: (RS | undefined)[] = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of filterActiveReplicaSets(oldRSs)) if (this.scaleReplicaSetAndRecordEvent(rs, 0)) scaledDown = true;
    if (scaledDown) return this.syncRolloutStatus(all, newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(all, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(true));
      all = [...oldRSs, newRS];
    }
    this.scaleReplicaSetAndRecordEvent(newRS!, deploymentReplicas(this.d));
    if (deploymentComplete(this.d, this.status)) this.cleanupDeployment(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  /** Old ReplicaSets still report replicas, or pods of theirs are not terminal. */
  private oldPodsRunning(newRS: RS | undefined, oldRSs: RS[]): boolean {
    if (oldRSs.reduce((s, rs) => s + (rs.status?.replicas ?? 0), 0) > 0) return true;
    for (const [uid, pods] of this.podMap) {
      if (newRS && newRS.metadata?.uid === uid) continue;
      for (const pod of pods) {
        const phase = pod.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  // --- status -------------------------------------------------------------------------------

  private syncDeploymentStatus(allRSs: (RS | undefined)[], newRS: RS | undefined): void {
    const s = calculateDeploymentStatus(allRSs, newRS, this.d, this.now);
    if (!statusEqual(this.d.status, s)) this.d.status = s;
  }

  /** Status with the Progressing condition (progress, completion, deadline) and ReplicaFailure. */
  private syncRolloutStatus(allRSs: (RS | undefined)[], newRS: RS | undefined): void {
    const d = this.d;
    const s = calculateDeploymentStatus(allRSs, newRS, d, this.now);
    if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const isComplete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && current?.reason === NEW_RS_AVAILABLE_REASON;
    if (hasProgressDeadline(d) && !isComplete) {
      const rsName = newRS?.metadata?.name;
      if (deploymentComplete(d, s)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata?.name}" has successfully progressed.`;
        setCondition(s, newCondition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, msg, this.now));
      } else if (deploymentProgressing(d, s)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
        const cond: DeploymentCondition = newCondition('Progressing', 'True', RS_UPDATED_REASON, msg, this.now);
        // Progress refreshes lastUpdateTime even with the same reason; the transition time stays.
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(s, 'Progressing');
        }
        setCondition(s, cond);
      } else if (deploymentTimedOut(d, s, this.now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata?.name}" has timed out progressing.`;
        setCondition(s, newCondition('Progressing', 'False', TIMED_OUT_REASON, msg, this.now));
      }
    }
    const failures = replicaFailures(allRSs, newRS);
    if (failures.length) setCondition(s, failures[0]!);
    else removeCondition(s, 'ReplicaFailure');
    if (statusEqual(d.status, s)) {
      this.requeueStuckDeployment(s);
      return;
    }
    d.status = s;
  }

  /** Without progress, look again when the progress deadline passes. */
  private requeueStuckDeployment(s: DeploymentStatus): void {
    const d = this.d;
    const current = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, s) || current.reason === TIMED_OUT_REASON) return;
    const last = Date.parse(current.lastUpdateTime ?? '') || 0;
    const after = last + d.spec!.progressDeadlineSeconds! * 1000 - this.now;
    this.requeueAfterMs = Math.max(1000, after);
  }
}

/** ReplicaFailure conditions of the new ReplicaSet, else of any ReplicaSet, as Deployment conditions. */
function replicaFailures(allRSs: (RS | undefined)[], newRS: RS | undefined): DeploymentCondition[] {
  const of = (rs: RS | undefined) => (rs?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(replicaSetToDeploymentCondition);
  const fromNew = of(newRS);
  if (fromNew.length) return fromNew;
  return allRSs.flatMap((rs) => of(rs));
}

/** One sync of a Deployment: the writes to make, in order (see the file comment). */
export function reconcileDeployment(input: DeploymentSyncInput): DeploymentPlan {
  return new Planner(input).run();
}

/** The ReplicaSets of rsList controlled by d (by controllerRef uid). */
export function ownedReplicaSets(d: Deployment, rsList: RS[]): RS[] {
  return rsList.filter((rs) => getControllerOf(rs)?.uid === d.metadata?.uid);
}

/** The event message when creating the new ReplicaSet failed. */
export function createFailureMessage(rsName: string, err: Error): string {
  return `Failed to create new replica set "${rsName}": ${err.message}`;
}

/** The Deployment with Progressing False ReplicaSetCreateError, when it has a progress deadline. */
export function withCreateFailure(d: Deployment, rsName: string, err: Error, now: number): Deployment | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const out = structuredClone(d);
  setCondition((out.status ??= {}), newCondition('Progressing', 'False', 'ReplicaSetCreateError', createFailureMessage(rsName, err), now));
  return out;
}

/** The Deployment with status.collisionCount raised by one (a hash collision with a ReplicaSet it does not own). */
export function withCollision(d: Deployment): Deployment {
  const out = structuredClone(d);
  const status = (out.status ??= {});
  status.collisionCount = (status.collisionCount ?? 0) + 1;
  return out;
}
