// The ReplicaSet / ReplicationController controller's shell (upstream ReplicaSetController):
// informers on the owners and on pods feed owner keys into a work queue; a sync claims the
// owner's pods (adopting matching orphans, releasing pods that stopped matching), creates
// or deletes pods as reconcileReplicaSet says (creations in slow-start batches, guarded by
// expectations so a lagging cache never causes double creation), and writes the status.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { WorkQueue } from '../runtime/queue.ts';
import {
  CONTROLLER_UID_INDEX,
  ControllerRefManager,
  controllerUidIndexFunc,
  ensureIndex,
  getControllerOf,
  newControllerRef,
  objectsForOwner,
  recheckDeletionTimestamp,
} from '../runtime/controller-ref.ts';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { ControllerExpectations } from '../runtime/expectations.ts';
import type { Informer } from '../runtime/informer.ts';
import { filterActivePods, isPodReady, podFromTemplate, podKey, type Pod } from '../runtime/pods.ts';
import { objectKey, splitKey, type KubeObject, type OwnerReference } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import {
  BURST_REPLICAS,
  PODS,
  SLOW_START_INITIAL_BATCH_SIZE,
  calculateReplicaSetStatus,
  reconcileReplicaSet,
  replicaSetStatusChanged,
  slowStartBatch,
  specReplicas,
  type ReplicaSetKind,
  type ReplicaSetObject,
  type ReplicaSetStatus,
} from './replicaset.ts';

export interface ReplicaSetControllerOptions {
  api: Api;
  kind: ReplicaSetKind;
  /** Informer on the owners (replicasets or replicationcontrollers). */
  owners: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
  burstReplicas?: number;
  /** Informer resync of the owners (default 10 min; 0 for none). */
  resyncMs?: number;
}

const noRecorder: EventRecorder = { event() {} };

export class ReplicaSetController {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly api: Api;
  private readonly kind: ReplicaSetKind;
  private readonly owners: Informer<ReplicaSetObject>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly log;

  constructor(opts: ReplicaSetControllerOptions) {
    this.api = opts.api;
    this.kind = opts.kind;
    this.owners = opts.owners as Informer<ReplicaSetObject>;
    this.pods = opts.pods as Informer<Pod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new ControllerExpectations({ clock: this.clock });
    this.log = logger.child({ component: opts.kind.component });
    this.controller = new Controller({
      name: opts.kind.component,
      queue: new WorkQueue<string>({ name: opts.kind.component, clock: this.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
    ensureIndex(this.pods.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    ensureIndex(this.owners.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);

    this.owners.addEventHandler(
      {
        add: (rs) => this.enqueue(rs),
        update: (_old, cur) => this.enqueue(cur),
        delete: (rs) => {
          const key = objectKey(rs);
          this.expectations.delete(key);
          this.controller.enqueue(key);
        },
      },
      opts.resyncMs ?? 10 * 60_000,
    );
    this.pods.addEventHandler({
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    });
  }

  private enqueue(rs: KubeObject, afterMs = 0): void {
    const key = objectKey(rs);
    if (afterMs > 0) this.controller.queue.addAfter(key, afterMs);
    else this.controller.enqueue(key);
  }

  /** The owner a controllerRef points at, if it is of our kind and in the cache with that uid. */
  private resolveControllerRef(namespace: string, ref: OwnerReference): ReplicaSetObject | undefined {
    if (ref.kind !== this.kind.kind) return undefined;
    const rs = this.owners.store.getByName(namespace, ref.name);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** Owners in the pod's namespace whose (non-empty) selector matches it (upstream GetPodReplicaSets). */
  private ownersMatching(pod: Pod): ReplicaSetObject[] {
    const out: ReplicaSetObject[] = [];
    for (const rs of this.owners.store.listByNamespace(pod.metadata?.namespace ?? '')) {
      try {
        const sel = this.kind.selector(rs);
        if (!sel.nothing && !sel.everything && sel.matches(pod.metadata?.labels)) out.push(rs);
      } catch {
        /* an invalid selector matches nothing */
      }
    }
    return out;
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Restarted with a pod already being deleted: a deletion, for expectations.
      this.deletePod(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
      if (!rs) return;
      this.expectations.creationObserved(objectKey(rs));
      this.enqueue(rs);
      return;
    }
    // An orphan: whoever matches may adopt it.
    for (const rs of this.ownersMatching(pod)) this.enqueue(rs);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion: expect the deletion now rather than when the pod is finally gone.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata?.namespace ?? '', oldRef);
      if (rs) this.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolveControllerRef(cur.metadata?.namespace ?? '', curRef);
      if (!rs) return;
      this.enqueue(rs);
      // A pod that just became ready is available minReadySeconds later: look again then.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.enqueue(rs, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.ownersMatching(cur)) this.enqueue(rs);
  }

  private deletePod(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.controller.enqueue(key);
  }

  /** The owner with its kind and apiVersion (for events and references). */
  private typed(rs: ReplicaSetObject): ReplicaSetObject {
    return { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind };
  }

  /**
   * Pods of the owner and its siblings (owned by the same controller, e.g. a Deployment's
   * ReplicaSets), to prefer deleting pods on crowded nodes. Upstream lists them by each
   * sibling's selector; the controller-uid index finds the same pods without a scan.
   */
  private relatedPods(rs: ReplicaSetObject): Pod[] {
    const ref = getControllerOf(rs);
    if (!ref) return [];
    const ns = rs.metadata?.namespace ?? '';
    const out: Pod[] = [];
    for (const sibling of this.owners.store.byIndex(CONTROLLER_UID_INDEX, ref.uid)) {
      if ((sibling.metadata?.namespace ?? '') !== ns || !sibling.metadata?.uid) continue;
      for (const pod of this.pods.store.byIndex(CONTROLLER_UID_INDEX, sibling.metadata.uid)) if ((pod.metadata?.namespace ?? '') === ns) out.push(pod);
    }
    return out;
  }

  /** One sync of the owner under key (upstream syncReplicaSet). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.owners.store.getByName(namespace, name);
    if (!cached) {
      this.expectations.delete(key);
      return {};
    }
    const rs = this.typed(structuredClone(cached));
    const needsSync = this.expectations.satisfied(key);
    let selector;
    try {
      selector = this.kind.selector(rs);
    } catch (err) {
      this.log.warn({ key, err: errorMessage(err) }, 'invalid selector; not syncing');
      return {};
    }
    // Pods it controls (even if they stopped matching) and the namespace's orphans.
    const candidates = filterActivePods(objectsForOwner(this.pods.store, rs, true));
    const manager = new ControllerRefManager({
      api: this.api,
      resource: PODS,
      owner: rs,
      ownerApiVersion: this.kind.apiVersion,
      ownerKind: this.kind.kind,
      match: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: recheckDeletionTimestamp(() => this.api.get(this.kind.ref, namespace, name), rs),
    });
    const { claimed, errors } = await manager.claim(candidates);
    if (errors.length) throw errors[0];
    const pods = claimed as Pod[];
    const now = this.clock.now();

    let manageError: Error | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      const plan = reconcileReplicaSet(rs, pods, now, { relatedPods: this.relatedPods(rs), burstReplicas: this.burst });
      try {
        if (plan.create > 0) await this.createPods(key, rs, plan.create);
        else if (plan.delete.length > 0) await this.deletePods(key, rs, plan.delete);
      } catch (err) {
        manageError = err as Error;
      }
    }

    const status = calculateReplicaSetStatus(rs, pods, manageError, now);
    const updated = await this.updateStatus(rs, status);
    if (manageError) throw manageError;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    const st = updated.status ?? { replicas: 0 };
    const replicas = specReplicas(updated);
    // Pods ready but not yet available: look again once minReadySeconds have passed.
    if (minReady > 0 && (st.readyReplicas ?? 0) === replicas && (st.availableReplicas ?? 0) !== replicas) return { requeueAfterMs: minReady * 1000 };
    return {};
  }

  private async createPods(key: string, rs: ReplicaSetObject, count: number): Promise<void> {
    const ns = rs.metadata?.namespace;
    const ref = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
    const labels = rs.spec?.template?.metadata?.labels ?? {};
    // Expect the creations before making them: the informer may report them before create returns.
    this.expectations.expectCreations(key, count);
    const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
      try {
        const pod = await this.api.create<Pod>(PODS, ns, podFromTemplate(rs.spec?.template, rs.metadata!.name!, ref));
        this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
      } catch (err) {
        // Every creation would fail in a namespace being deleted; nothing to report.
        if (isNamespaceTerminating(err)) return;
        this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
        throw err;
      }
    });
    // Creations never attempted (or failed) will not be observed.
    for (let i = successes; i < count; i++) this.expectations.creationObserved(key);
    if (error) throw error;
  }

  private async deletePods(key: string, rs: ReplicaSetObject, pods: Pod[]): Promise<void> {
    this.expectations.expectDeletions(key, pods.map(podKey));
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        try {
          await this.api.delete(PODS, pod.metadata?.namespace, pod.metadata!.name!);
          this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
        } catch (err) {
          // This deletion will not be observed.
          this.expectations.deletionObserved(key, podKey(pod));
          if (isNotFound(err)) return;
          this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Writes the status when it changed (one retry on a fresh copy, as upstream). */
  private async updateStatus(rs: ReplicaSetObject, status: ReplicaSetStatus): Promise<ReplicaSetObject> {
    if (!replicaSetStatusChanged(rs.status, status)) return rs;
    let cur = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.api.update<ReplicaSetObject>(this.kind.ref, cur.metadata?.namespace, { ...cur, status }, 'status');
      } catch (err) {
        if (attempt >= 1 || isNotFound(err)) throw err;
        cur = await this.api.get<ReplicaSetObject>(this.kind.ref, cur.metadata?.namespace, cur.metadata!.name!);
        // observedGeneration stays the generation acted on, not the fresh copy's.
        if (cur.metadata?.uid !== rs.metadata?.uid) throw err;
      }
    }
  }
}

export function replicaSetController(opts: ReplicaSetControllerOptions): Controller {
  return new ReplicaSetController(opts).controller;
}
