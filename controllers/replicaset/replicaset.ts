// The ReplicaSet controller's pure core (upstream pkg/controller/replicaset): how many pods
// to create, which pods to delete, and the status to report, from the ReplicaSet and the pods
// it owns. ReplicationControllers (core/v1) use the same core with a map selector.
import type { ResourceRef } from '../runtime/client.ts';
import { filterActivePods, isPodAvailable, isPodReady, rankPodsForDeletion, type Pod, type PodTemplateSpec } from '../runtime/pods.ts';
import { labelSelectorAsSelector, selectorFromSet, type LabelSelector, type Selector } from '../runtime/selector.ts';
import { rfc3339, type KubeObject } from '../runtime/types.ts';

/** Upstream BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;
/** Upstream SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
  [k: string]: unknown;
}

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  /** A LabelSelector (apps/v1) or a label map (core/v1 ReplicationController). */
  selector?: LabelSelector | Record<string, string>;
  template?: PodTemplateSpec;
  [k: string]: unknown;
}

/** A ReplicaSet or a ReplicationController as it travels in JSON. */
export interface ReplicaSetObject extends KubeObject {
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

/** What differs between the two kinds this controller runs for. */
export interface ReplicaSetKind {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** The event source and controller name (upstream's). */
  component: string;
  /** The selector of an object of this kind (throws when invalid). */
  selector(obj: ReplicaSetObject): Selector;
}

export const REPLICASETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, kind: 'ReplicaSet' };
export const REPLICATIONCONTROLLERS: ResourceRef = { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' };
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };

export const REPLICASET_KIND: ReplicaSetKind = {
  ref: REPLICASETS,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  component: 'replicaset-controller',
  selector: (rs) => labelSelectorAsSelector(rs.spec?.selector as LabelSelector | undefined),
};

export const REPLICATIONCONTROLLER_KIND: ReplicaSetKind = {
  ref: REPLICATIONCONTROLLERS,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  component: 'replication-controller',
  // A ReplicationController with no selector selects nothing (the server defaults it to the template's labels).
  selector: (rc) => {
    const sel = rc.spec?.selector as Record<string, string> | undefined;
    return sel && Object.keys(sel).length ? selectorFromSet(sel) : labelSelectorAsSelector(undefined);
  },
};

export function specReplicas(rs: ReplicaSetObject): number {
  return typeof rs.spec?.replicas === 'number' ? rs.spec.replicas : 1;
}

export const REPLICA_FAILURE = 'ReplicaFailure';

/**
 * Upstream calculateStatus: counts of the (active, claimed) pods, and the ReplicaFailure
 * condition set when managing replicas failed and removed when it succeeded.
 */
export function calculateReplicaSetStatus(rs: ReplicaSetObject, pods: Pod[], manageError: Error | undefined, now: number): ReplicaSetStatus {
  const prev = rs.status ?? { replicas: 0 };
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions = (prev.conditions ?? []).map((c) => ({ ...c }));
  const failure = conditions.find((c) => c.type === REPLICA_FAILURE);
  if (manageError && !failure) {
    const diff = pods.length - specReplicas(rs);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: REPLICA_FAILURE, status: 'True', lastTransitionTime: rfc3339(new Date(now)), reason, message: manageError.message });
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== REPLICA_FAILURE);
  }
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  const gen = rs.metadata?.generation ?? prev.observedGeneration;
  if (gen) status.observedGeneration = gen;
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether a status update is needed (upstream compares the counters, observedGeneration and conditions). */
export function replicaSetStatusChanged(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const x = a ?? { replicas: 0 };
  return (
    n(x.replicas) !== n(b.replicas) ||
    n(x.fullyLabeledReplicas) !== n(b.fullyLabeledReplicas) ||
    n(x.readyReplicas) !== n(b.readyReplicas) ||
    n(x.availableReplicas) !== n(b.availableReplicas) ||
    n(x.observedGeneration) !== n(b.observedGeneration) ||
    JSON.stringify(x.conditions ?? []) !== JSON.stringify(b.conditions ?? [])
  );
}

/** Upstream getPodsToDelete: the first `count` pods in deletion order (ActivePodsWithRanks). */
export function podsToDelete<T extends Pod>(pods: T[], relatedPods: Pod[], count: number, now: number): T[] {
  if (count >= pods.length) return pods.slice(0, count);
  return rankPodsForDeletion(pods, relatedPods, now).slice(0, count);
}

export interface ReconcileOptions {
  /** Pods of the ReplicaSet and its siblings (same controller) to rank pods on crowded nodes first; none for a ReplicaSet without a controller. */
  relatedPods?: Pod[];
  /** False while expectations are pending or the ReplicaSet is being deleted: no creates or deletes. */
  needsSync?: boolean;
  burstReplicas?: number;
}

export interface ReconcileResult<T extends Pod = Pod> {
  /** Pods to create from the template. */
  create: number;
  /** Pods to delete, in deletion order. */
  delete: T[];
  /** The status to report if the creates and deletes succeed. */
  status: ReplicaSetStatus;
  /** Active pods minus desired replicas. */
  diff: number;
}

/**
 * One sync of a ReplicaSet (upstream manageReplicas + calculateStatus) over the pods it owns:
 * too few active pods → create the difference (at most burstReplicas); too many → delete the
 * excess, preferring unscheduled, pending, not-ready, recently-ready, often-restarted and new pods.
 */
export function reconcileReplicaSet<T extends Pod>(rs: ReplicaSetObject, pods: T[], now: number, opts: ReconcileOptions = {}): ReconcileResult<T> {
  const active = filterActivePods(pods);
  const burst = opts.burstReplicas ?? BURST_REPLICAS;
  const needsSync = (opts.needsSync ?? true) && !rs.metadata?.deletionTimestamp;
  const diff = active.length - specReplicas(rs);
  const status = calculateReplicaSetStatus(rs, active, undefined, now);
  if (!needsSync || diff === 0) return { create: 0, delete: [], status, diff };
  if (diff < 0) return { create: Math.min(-diff, burst), delete: [], status, diff };
  return { create: 0, delete: podsToDelete(active, opts.relatedPods ?? [], Math.min(diff, burst), now), status, diff };
}

/**
 * Upstream slowStartBatch: calls fn count times in batches of 1, 2, 4, ... (each batch in
 * parallel); stops after the first batch with a failure. Returns the successes and that error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: Error }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason as Error };
    remaining -= batch;
  }
  return { successes };
}
