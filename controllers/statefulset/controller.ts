// The StatefulSet controller's shell (upstream StatefulSetController + StatefulPodControl):
// informers on StatefulSets and pods feed set keys into a work queue; a sync claims the set's
// pods and ControllerRevisions (adopting matching orphans, releasing what stopped matching),
// settles the current and update revisions, runs the writes syncStatefulSet plans (claims
// before their pods), writes the status and trims the revision history.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { CONTROLLER_UID_INDEX, ControllerRefManager, controllerUidIndexFunc, ensureIndex, objectsForOwner, recheckDeletionTimestamp } from '../runtime/controller-ref.ts';
import { errorMessage, isAlreadyExists, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { labelSelectorAsSelector, type Selector } from '../runtime/selector.ts';
import { objectKey, splitKey } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { PODS, slowStartBatch } from '../replicaset/replicaset.ts';
import { claimRevisions, createRevision, deleteRevision, renumberRevision } from '../history/control.ts';
import { sortRevisions, type ControllerRevision } from '../history/history.ts';
import { routePodEvents } from '../history/pod-events.ts';
import { currentRevisionOf, revisionsToDelete, statusChanged, syncStatefulSet, updateRevisionAction, type StatefulSetOp } from './sync.ts';
import { isMemberOf, PERSISTENTVOLUMECLAIMS, setReplicas, STATEFULSETS, type PersistentVolumeClaim, type StatefulSet, type StatefulSetStatus } from './util.ts';

export const COMPONENT = 'statefulset-controller';
const KIND = { ref: STATEFULSETS, apiVersion: 'apps/v1', kind: 'StatefulSet' };

export interface StatefulSetControllerOptions {
  api: Api;
  statefulSets: Informer;
  pods: Informer;
  revisions: Informer;
  claims: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
  /** Informer resync of the sets (default 10 min; 0 for none). */
  resyncMs?: number;
}

const noRecorder: EventRecorder = { event() {} };

export class StatefulSetController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly sets: Informer<StatefulSet>;
  private readonly pods: Informer<Pod>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly log = logger.child({ component: COMPONENT });

  constructor(opts: StatefulSetControllerOptions) {
    this.api = opts.api;
    this.sets = opts.statefulSets as Informer<StatefulSet>;
    this.pods = opts.pods as Informer<Pod>;
    this.revisions = opts.revisions as Informer<ControllerRevision>;
    this.claims = opts.claims as Informer<PersistentVolumeClaim>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: COMPONENT, clock: this.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
    ensureIndex(this.pods.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    ensureIndex(this.revisions.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    const enqueue = (set: StatefulSet, afterMs = 0) => (afterMs > 0 ? this.controller.queue.addAfter(objectKey(set), afterMs) : this.controller.enqueue(objectKey(set)));
    this.sets.addEventHandler({ add: (s) => enqueue(s), update: (_o, s) => enqueue(s), delete: (s) => enqueue(s) }, opts.resyncMs ?? 10 * 60_000);
    routePodEvents(this.pods, {
      kind: 'StatefulSet',
      owners: this.sets,
      selector: (s) => labelSelectorAsSelector(s.spec?.selector),
      enqueue,
      minReadySeconds: (s) => s.spec?.minReadySeconds ?? 0,
    });
  }

  /** The pods the set owns: matching its selector and named after it (getPodsForStatefulSet). */
  private async podsFor(set: StatefulSet, selector: Selector): Promise<Pod[]> {
    const ns = set.metadata?.namespace ?? '';
    const manager = new ControllerRefManager({
      api: this.api,
      resource: PODS,
      owner: set,
      ownerApiVersion: KIND.apiVersion,
      ownerKind: KIND.kind,
      match: (pod) => selector.matches(pod.metadata?.labels) && isMemberOf(set, pod),
      canAdopt: recheckDeletionTimestamp(() => this.api.get(STATEFULSETS, ns, set.metadata!.name!), set),
    });
    const { claimed, errors } = await manager.claim(objectsForOwner(this.pods.store, set, true));
    if (errors.length) throw errors[0];
    return claimed as Pod[];
  }

  /** getStatefulSetRevisions: the current and update revisions, creating or renumbering as needed. */
  private async settleRevisions(set: StatefulSet, revisions: ControllerRevision[]): Promise<{ current: ControllerRevision; update: ControllerRevision; collisionCount: number }> {
    let collisionCount = set.status?.collisionCount ?? 0;
    const action = updateRevisionAction(set, revisions);
    let update: ControllerRevision;
    if (action.action === 'reuse') update = action.revision;
    else if (action.action === 'renumber') update = await renumberRevision(this.api, action.revision, action.to);
    else ({ revision: update, collisionCount } = await createRevision(this.api, set, action.revision, collisionCount));
    return { current: currentRevisionOf(set, revisions, update), update, collisionCount };
  }

  /** One sync of the set under key (upstream syncStatefulSet + UpdateStatefulSet). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.sets.store.getByName(namespace, name);
    if (!cached) return {};
    const set: StatefulSet = { ...structuredClone(cached), apiVersion: 'apps/v1', kind: 'StatefulSet' };
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(set.spec?.selector);
    } catch (err) {
      this.log.warn({ key, err: errorMessage(err) }, 'invalid selector; not syncing');
      return {};
    }
    const revisions = sortRevisions(await claimRevisions(this.api, this.revisions.store, set, KIND, selector));
    const pods = await this.podsFor(set, selector);
    const { current, update, collisionCount } = await this.settleRevisions(set, revisions);
    const plan = syncStatefulSet({
      set,
      pods,
      current,
      update,
      collisionCount,
      claim: (n) => this.claims.store.getByName(namespace, n),
      now: this.clock.now(),
    });
    let failure: unknown;
    try {
      for (const phase of plan.phases) {
        let i = 0;
        const { error } = await slowStartBatch(phase.length, 1, () => this.execute(set, phase[i++]!));
        if (error) throw error;
      }
    } catch (err) {
      failure = err;
    }
    // The status is written even when a write failed, then the history trimmed.
    const written = await this.updateStatus(set, plan.status);
    for (const rev of revisionsToDelete(set, revisions, pods, current, update)) await deleteRevision(this.api, rev);
    if (failure) throw failure;
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (written.status?.availableReplicas ?? 0) !== setReplicas(set)) return { requeueAfterMs: minReady * 1000 };
    return {};
  }

  private podEvent(set: StatefulSet, verb: string, pod: Pod, err?: unknown): void {
    const reason = `${verb[0]!.toUpperCase()}${verb.slice(1)}`;
    const podName = pod.metadata?.name;
    if (err === undefined) this.recorder.event(set, 'Normal', `Successful${reason}`, `${verb} Pod ${podName} in StatefulSet ${set.metadata?.name} successful`);
    else this.recorder.event(set, 'Warning', `Failed${reason}`, `${verb} Pod ${podName} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
  }

  /** createPersistentVolumeClaims: the claims first, each reported as upstream's recordClaimEvent does. */
  private async createClaims(set: StatefulSet, pod: Pod, claims: PersistentVolumeClaim[]): Promise<void> {
    const errors: Error[] = [];
    for (const claim of claims) {
      const claimName = claim.metadata?.name;
      try {
        await this.api.create(PERSISTENTVOLUMECLAIMS, set.metadata?.namespace, claim);
        this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        errors.push(new Error(`failed to create PVC ${claimName}: ${errorMessage(err)}`));
        this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claimName} for Pod ${pod.metadata?.name} in StatefulSet ${set.metadata?.name} failed error: ${errorMessage(err)}`);
      }
    }
    if (errors.length) throw errors[0];
  }

  private async execute(set: StatefulSet, op: StatefulSetOp): Promise<void> {
    const ns = set.metadata?.namespace;
    switch (op.op) {
      case 'createPod': {
        try {
          await this.createClaims(set, op.pod, op.claims);
          await this.api.create(PODS, ns, op.pod);
        } catch (err) {
          // Ours already (a stale cache): the informer will bring it.
          if (isAlreadyExists(err)) throw err;
          this.podEvent(set, 'create', op.pod, err);
          throw err;
        }
        this.podEvent(set, 'create', op.pod);
        return;
      }
      case 'createClaims':
        return this.createClaims(set, op.pod, op.claims);
      case 'updatePod':
        try {
          await this.api.update(PODS, ns, op.pod);
        } catch (err) {
          this.podEvent(set, 'update', op.pod, err);
          throw err;
        }
        this.podEvent(set, 'update', op.pod);
        return;
      case 'updateClaim':
        try {
          await this.api.update(PERSISTENTVOLUMECLAIMS, ns, op.claim);
        } catch (err) {
          if (isNotFound(err)) return;
          throw new Error(`could not update claim ${op.claim.metadata?.name} for delete policy ownerRefs: ${errorMessage(err)}`);
        }
        return;
      case 'deletePod':
        try {
          await this.api.delete(PODS, ns, op.pod.metadata!.name!, { preconditions: { uid: op.pod.metadata?.uid } });
        } catch (err) {
          if (isNotFound(err)) return;
          this.podEvent(set, 'delete', op.pod, err);
          throw err;
        }
        this.podEvent(set, 'delete', op.pod);
        return;
    }
  }

  /** Writes the status when it changed (one retry on a fresh copy, as upstream). */
  private async updateStatus(set: StatefulSet, status: StatefulSetStatus): Promise<StatefulSet> {
    if (!statusChanged(set.status, status)) return set;
    let cur = set;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.api.update<StatefulSet>(STATEFULSETS, cur.metadata?.namespace, { ...cur, status: { ...(cur.status ?? {}), ...status } }, 'status');
      } catch (err) {
        if (attempt >= 1 || isNotFound(err)) throw err;
        cur = await this.api.get<StatefulSet>(STATEFULSETS, cur.metadata?.namespace, cur.metadata!.name!);
        if (cur.metadata?.uid !== set.metadata?.uid) throw err;
      }
    }
  }
}

export function statefulSetController(opts: StatefulSetControllerOptions): Controller {
  return new StatefulSetController(opts).controller;
}
