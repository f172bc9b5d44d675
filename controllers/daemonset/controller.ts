// The DaemonSet controller's shell (upstream DaemonSetsController): informers on DaemonSets,
// pods, nodes and ControllerRevisions feed DaemonSet keys into a work queue; a sync settles
// the DaemonSet's revisions (constructHistory), claims its pods, creates and deletes daemon
// pods as manage and the rolling update say (guarded by expectations), trims the history and
// writes the status.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { CONTROLLER_UID_INDEX, ControllerRefManager, controllerUidIndexFunc, ensureIndex, getControllerOf, newControllerRef, objectsForOwner, recheckDeletionTimestamp } from '../runtime/controller-ref.ts';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { ControllerExpectations } from '../runtime/expectations.ts';
import type { Informer } from '../runtime/informer.ts';
import { podFromTemplate, podKey, type Pod } from '../runtime/pods.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { isEmptySelector, labelSelectorAsSelector, type Selector } from '../runtime/selector.ts';
import { objectKey, splitKey } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import type { Node } from '../../scheduler/types.ts';
import { PODS, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../replicaset/replicaset.ts';
import { claimRevisions, deleteRevision, renumberRevision } from '../history/control.ts';
import { CONTROLLERREVISIONS, equalRevision, type ControllerRevision } from '../history/history.ts';
import { routePodEvents } from '../history/pod-events.ts';
import { daemonPodsByNode, daemonSetStatus, historyPlan, historyToDelete, manage, rollingUpdate, snapshotRevision, statusChanged, type DaemonEvent } from './sync.ts';
import { DAEMONSETS, daemonPodTemplate, HASH_LABEL, nodeShouldRunDaemonPod, pinToNode, type DaemonSet, type DaemonSetStatus } from './util.ts';

export const COMPONENT = 'daemonset-controller';
/** Upstream BurstReplicas for DaemonSets. */
export const BURST_REPLICAS = 250;
const KIND = { ref: DAEMONSETS, apiVersion: 'apps/v1', kind: 'DaemonSet' };

export interface DaemonSetControllerOptions {
  api: Api;
  daemonSets: Informer;
  pods: Informer;
  nodes: Informer;
  revisions: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
  burstReplicas?: number;
  /** Informer resync of the DaemonSets (default 10 min; 0 for none). */
  resyncMs?: number;
}

const noRecorder: EventRecorder = { event() {} };

/** failedPodsBackoff (1 s doubling to 15 min) per DaemonSet and node: a node that keeps failing its daemon pod is not hammered. */
class FailedPodsBackoff {
  private readonly entries = new Map<string, { delayMs: number; at: number }>();
  constructor(private readonly clock: Clock) {}
  /** The ms still to wait, 0 when not backing off. */
  remaining(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, e.at + e.delayMs - this.clock.now());
  }
  next(key: string): void {
    const now = this.clock.now();
    const e = this.entries.get(key);
    const stale = !e || now - e.at > 2 * 15 * 60_000;
    this.entries.set(key, { delayMs: stale ? 1000 : Math.min(e!.delayMs * 2, 15 * 60_000), at: now });
  }
}

export class DaemonSetController {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly api: Api;
  private readonly daemonSets: Informer<DaemonSet>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly backoff: FailedPodsBackoff;
  private readonly log = logger.child({ component: COMPONENT });

  constructor(opts: DaemonSetControllerOptions) {
    this.api = opts.api;
    this.daemonSets = opts.daemonSets as Informer<DaemonSet>;
    this.pods = opts.pods as Informer<Pod>;
    this.nodes = opts.nodes as Informer<Node>;
    this.revisions = opts.revisions as Informer<ControllerRevision>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.backoff = new FailedPodsBackoff(this.clock);
    this.expectations = new ControllerExpectations({ clock: this.clock });
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: COMPONENT, clock: this.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 2,
    });
    ensureIndex(this.pods.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    ensureIndex(this.revisions.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);

    const enqueue = (ds: DaemonSet, afterMs = 0) => (afterMs > 0 ? this.controller.queue.addAfter(objectKey(ds), afterMs) : this.controller.enqueue(objectKey(ds)));
    this.daemonSets.addEventHandler(
      {
        add: (ds) => enqueue(ds),
        update: (_o, ds) => enqueue(ds),
        delete: (ds) => {
          this.expectations.delete(objectKey(ds));
          enqueue(ds);
        },
      },
      opts.resyncMs ?? 10 * 60_000,
    );
    routePodEvents(this.pods, {
      kind: 'DaemonSet',
      owners: this.daemonSets,
      selector: (ds) => labelSelectorAsSelector(ds.spec?.selector),
      enqueue,
      minReadySeconds: (ds) => ds.spec?.minReadySeconds ?? 0,
      created: (ds) => this.expectations.creationObserved(objectKey(ds)),
      deleted: (ds, pod) => this.expectations.deletionObserved(objectKey(ds), podKey(pod)),
    });
    const all = () => this.daemonSets.store.list();
    this.nodes.addEventHandler({
      add: (node) => {
        for (const ds of all()) if (nodeShouldRunDaemonPod(node, ds).shouldRun) enqueue(ds);
      },
      update: (old, cur) => {
        for (const ds of all()) {
          const a = nodeShouldRunDaemonPod(old, ds);
          const b = nodeShouldRunDaemonPod(cur, ds);
          if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) enqueue(ds);
        }
      },
      // Not upstream (which waits for the pod garbage collector to remove the node's pods): the
      // status stops counting a vanished node at once.
      delete: () => all().forEach((ds) => enqueue(ds)),
    });
    const revisionOwner = (rev: ControllerRevision) => {
      const ref = getControllerOf(rev);
      if (ref?.kind !== 'DaemonSet') return;
      const ds = this.daemonSets.store.getByName(rev.metadata?.namespace ?? '', ref.name);
      if (ds && ds.metadata?.uid === ref.uid) enqueue(ds);
    };
    this.revisions.addEventHandler({ add: revisionOwner, update: (_o, r) => revisionOwner(r), delete: revisionOwner });
  }

  /** The DaemonSet's pods (claimed: matching orphans adopted, non-matching released). */
  private async podsFor(ds: DaemonSet, selector: Selector): Promise<Pod[]> {
    const ns = ds.metadata?.namespace ?? '';
    const manager = new ControllerRefManager({
      api: this.api,
      resource: PODS,
      owner: ds,
      ownerApiVersion: KIND.apiVersion,
      ownerKind: KIND.kind,
      match: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: recheckDeletionTimestamp(() => this.api.get(DAEMONSETS, ns, ds.metadata!.name!), ds),
    });
    const { claimed, errors } = await manager.claim(objectsForOwner(this.pods.store, ds, true));
    if (errors.length) throw errors[0];
    return claimed as Pod[];
  }

  /** constructHistory: the revision of the current template (created or renumbered as newest) and the old ones. */
  private async constructHistory(ds: DaemonSet, selector: Selector, pods: Pod[]): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
    const plan = historyPlan(ds, await claimRevisions(this.api, this.revisions.store, ds, KIND, selector));
    if (!plan.current) return { cur: await this.snapshot(ds, plan.revision), old: plan.old };
    const hash = plan.current.metadata?.labels?.[HASH_LABEL] ?? '';
    for (const dup of plan.duplicates) {
      const dupHash = dup.metadata?.labels?.[HASH_LABEL];
      for (const pod of pods.filter((p) => dupHash && p.metadata?.labels?.[HASH_LABEL] === dupHash)) {
        await this.api.patch(PODS, pod.metadata?.namespace, pod.metadata!.name!, { metadata: { labels: { [HASH_LABEL]: hash } } }, 'strategic');
      }
      await deleteRevision(this.api, dup);
    }
    const cur = (plan.current.revision ?? 0) < plan.revision ? await renumberRevision(this.api, plan.current, plan.revision) : plan.current;
    return { cur, old: plan.old };
  }

  /** snapshot: creates the revision; a name taken by another template raises status.collisionCount. */
  private async snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const ns = ds.metadata?.namespace;
    const rev = snapshotRevision(ds, revision);
    try {
      return await this.api.create(CONTROLLERREVISIONS, ns, rev);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.api.get<ControllerRevision>(CONTROLLERREVISIONS, ns, rev.metadata!.name!);
      if (equalRevision(existing, rev)) return existing;
      const fresh = await this.api.get<DaemonSet>(DAEMONSETS, ns, ds.metadata!.name!);
      if ((fresh.status?.collisionCount ?? 0) !== (ds.status?.collisionCount ?? 0)) {
        throw new Error(`found a stale collision count (${ds.status?.collisionCount ?? 0}, expected ${fresh.status?.collisionCount ?? 0}) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`);
      }
      const collisionCount = (fresh.status?.collisionCount ?? 0) + 1;
      await this.api.update(DAEMONSETS, ns, { ...fresh, status: { ...(fresh.status as DaemonSetStatus), collisionCount } }, 'status');
      this.log.info({ daemonSet: objectKey(ds), collisionCount }, 'hash collision; collisionCount raised');
      throw err;
    }
  }

  /** One sync of the DaemonSet under key (upstream syncDaemonSet). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.daemonSets.store.getByName(namespace, name);
    if (!cached) {
      this.expectations.delete(key);
      return {};
    }
    const ds: DaemonSet = { ...structuredClone(cached), apiVersion: 'apps/v1', kind: 'DaemonSet' };
    if (isEmptySelector(ds.spec?.selector)) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return {};
    }
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(ds.spec?.selector);
    } catch (err) {
      this.log.warn({ key, err: errorMessage(err) }, 'invalid selector; not syncing');
      return {};
    }
    // Its revisions and pods may be going or orphaned already: nothing reliable to do or report.
    if (ds.metadata?.deletionTimestamp) return {};
    const nodes = this.nodes.store.list();
    let pods = await this.podsFor(ds, selector);
    const { cur, old } = await this.constructHistory(ds, selector, pods);
    const hash = cur.metadata?.labels?.[HASH_LABEL] ?? '';
    const status = (observed: boolean) => this.updateStatus(ds, daemonSetStatus({ ds, nodes, byNode: daemonPodsByNode(pods), hash, now: this.clock.now(), observed }));
    if (!this.expectations.satisfied(key)) {
      // Only the status: the generation was not acted on yet.
      await status(false);
      return {};
    }

    let requeueAfterMs: number | undefined;
    let failure: unknown;
    try {
      const plan = manage({ ds, nodes, byNode: daemonPodsByNode(pods), hash, now: this.clock.now(), failedBackoff: (n) => this.backoff.remaining(`${key}/${n}`) });
      for (const n of plan.failedNodes) this.backoff.next(`${key}/${n}`);
      this.events(ds, plan.events);
      requeueAfterMs = plan.requeueAfterMs;
      await this.syncNodes(ds, key, plan.delete, plan.create, hash);
      // Roll only from a settled state: after writes, the pods' events bring the DaemonSet back.
      const wrote = plan.create.length + plan.delete.length > 0;
      if (!wrote && this.expectations.satisfied(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const ru = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode(pods), hash, now: this.clock.now() });
        await this.syncNodes(ds, key, ru.delete, ru.create, hash);
      }
      // Finished pods being deleted still hold their revisions.
      for (const rev of historyToDelete(ds, old, pods)) await deleteRevision(this.api, rev);
    } catch (err) {
      failure = err;
    }
    pods = objectsForOwner(this.pods.store, ds, false) as Pod[];
    const written = await status(true);
    if (failure) throw failure;
    const st = written.status;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    // Ready pods become available minReadySeconds later.
    if (minReady > 0 && st && st.numberReady !== st.numberAvailable) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, minReady * 1000);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }

  private events(ds: DaemonSet, events: DaemonEvent[]): void {
    for (const e of events) this.recorder.event(ds, e.type, e.reason, e.message);
  }

  /** syncNodes: creates a pod pinned to each node and deletes pods (at most burstReplicas each), under expectations. */
  private async syncNodes(ds: DaemonSet, key: string, toDelete: Pod[], nodeNames: string[], hash: string): Promise<void> {
    const creates = nodeNames.slice(0, this.burst);
    const deletes = toDelete.slice(0, this.burst);
    if (!creates.length && !deletes.length) return;
    this.expectations.set(key, creates.length, deletes.length, deletes.map(podKey));
    const errors: unknown[] = [];
    const template = daemonPodTemplate(ds, hash);
    const ref = newControllerRef(ds, KIND.apiVersion, KIND.kind);
    let i = 0;
    const { successes, error } = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const pod = podFromTemplate(template, ds.metadata!.name!, ref);
      pod.spec!.affinity = pinToNode(pod.spec?.affinity as Parameters<typeof pinToNode>[0], creates[i++]!);
      try {
        if (!Object.keys(pod.metadata?.labels ?? {}).length) throw new Error('unable to create pods, no labels');
        const created = await this.api.create<Pod>(PODS, ds.metadata?.namespace, pod);
        this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      } catch (err) {
        // Every creation would fail in a namespace being deleted; nothing to report.
        if (isNamespaceTerminating(err)) return;
        this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
        throw err;
      }
    });
    // Creations that failed or were never tried will not be observed.
    for (let n = successes; n < creates.length; n++) this.expectations.creationObserved(key);
    if (error) errors.push(error);
    await Promise.all(
      deletes.map(async (pod) => {
        try {
          await this.api.delete(PODS, pod.metadata?.namespace, pod.metadata!.name!);
          this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, podKey(pod));
          if (isNotFound(err)) return;
          this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          errors.push(err);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }

  /** storeDaemonSetStatus: writes it when changed (one retry on a fresh copy). */
  private async updateStatus(ds: DaemonSet, status: DaemonSetStatus): Promise<DaemonSet> {
    if (!statusChanged(ds, status)) return ds;
    let cur = ds;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.api.update<DaemonSet>(DAEMONSETS, cur.metadata?.namespace, { ...cur, status: { ...(cur.status ?? {}), ...status, collisionCount: cur.status?.collisionCount } }, 'status');
      } catch (err) {
        if (attempt >= 1 || isNotFound(err)) throw err;
        cur = await this.api.get<DaemonSet>(DAEMONSETS, cur.metadata?.namespace, cur.metadata!.name!);
        if (cur.metadata?.uid !== ds.metadata?.uid) throw err;
      }
    }
  }
}

export function daemonSetController(opts: DaemonSetControllerOptions): Controller {
  return new DaemonSetController(opts).controller;
}
