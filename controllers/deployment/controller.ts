// The Deployment controller's shell (upstream DeploymentController): informers on
// Deployments, ReplicaSets and pods feed Deployment keys into a work queue; a sync claims the
// Deployment's ReplicaSets (adopting matching orphans, releasing those that stopped
// matching), asks reconcileDeployment what to write, and writes it in order, recording
// ScalingReplicaSet events as the writes succeed.
import type { Api, ResourceRef } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { WorkQueue } from '../runtime/queue.ts';
import {
  CONTROLLER_UID_INDEX,
  ControllerRefManager,
  controllerUidIndexFunc,
  ensureIndex,
  getControllerOf,
  recheckDeletionTimestamp,
} from '../runtime/controller-ref.ts';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { labelSelectorAsSelector, type Selector } from '../runtime/selector.ts';
import { objectKey, splitKey, type KubeObject, type OwnerReference } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { REPLICASETS } from '../replicaset/replicaset.ts';
import { createFailureMessage, reconcileDeployment, withCollision, withCreateFailure, type DeploymentOp } from './sync.ts';
import { equalIgnoreHash, type Deployment, type RS } from './util.ts';

export const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' };
export const COMPONENT = 'deployment-controller';
/** Upstream maxRetries: a Deployment failing this often in a row is dropped until its next event. */
export const MAX_RETRIES = 15;

export interface DeploymentControllerOptions {
  api: Api;
  deployments: Informer;
  replicaSets: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
  /** Informer resync of the Deployments (default 10 min; 0 for none). */
  resyncMs?: number;
}

const noRecorder: EventRecorder = { event() {} };

/** Stops the remaining writes of a plan without an error (the informers will bring the Deployment back). */
class StopPlan extends Error {}

export class DeploymentController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<RS>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly log = logger.child({ component: COMPONENT });

  constructor(opts: DeploymentControllerOptions) {
    this.api = opts.api;
    this.deployments = opts.deployments as Informer<Deployment>;
    this.replicaSets = opts.replicaSets as Informer<RS>;
    this.pods = opts.pods as Informer<Pod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: COMPONENT, clock: this.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
      maxRetries: MAX_RETRIES,
    });
    ensureIndex(this.pods.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    ensureIndex(this.replicaSets.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);

    this.deployments.addEventHandler(
      {
        add: (d) => this.enqueue(d),
        update: (_o, d) => this.enqueue(d),
        delete: (d) => this.enqueue(d),
      },
      opts.resyncMs ?? 10 * 60_000,
    );
    this.replicaSets.addEventHandler({
      add: (rs) => this.addReplicaSet(rs),
      update: (old, cur) => this.updateReplicaSet(old, cur),
      delete: (rs) => this.deleteReplicaSet(rs),
    });
    this.pods.addEventHandler({ delete: (pod) => this.deletePod(pod) });
  }

  private enqueue(d: KubeObject): void {
    this.controller.enqueue(objectKey(d));
  }

  private resolveControllerRef(namespace: string, ref: OwnerReference): Deployment | undefined {
    if (ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.store.getByName(namespace, ref.name);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments in the ReplicaSet's namespace whose (non-empty) selector matches it. */
  private deploymentsForReplicaSet(rs: RS): Deployment[] {
    const out: Deployment[] = [];
    for (const d of this.deployments.store.listByNamespace(rs.metadata?.namespace ?? '')) {
      try {
        const sel = labelSelectorAsSelector(d.spec?.selector);
        if (!sel.nothing && !sel.everything && sel.matches(rs.metadata?.labels)) out.push(d);
      } catch {
        /* an invalid selector matches nothing */
      }
    }
    return out;
  }

  private addReplicaSet(rs: RS): void {
    if (rs.metadata?.deletionTimestamp) return this.deleteReplicaSet(rs);
    const ref = getControllerOf(rs);
    if (ref) {
      const d = this.resolveControllerRef(rs.metadata?.namespace ?? '', ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.deploymentsForReplicaSet(rs)) this.enqueue(d);
  }

  private updateReplicaSet(old: RS, cur: RS): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const d = this.resolveControllerRef(old.metadata?.namespace ?? '', oldRef);
      if (d) this.enqueue(d);
    }
    if (curRef) {
      const d = this.resolveControllerRef(cur.metadata?.namespace ?? '', curRef);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.deploymentsForReplicaSet(cur)) this.enqueue(d);
  }

  private deleteReplicaSet(rs: RS): void {
    const ref = getControllerOf(rs);
    if (!ref) return;
    const d = this.resolveControllerRef(rs.metadata?.namespace ?? '', ref);
    if (d) this.enqueue(d);
  }

  /** Recreate waits for old pods to go: sync once the Deployment has none left. */
  private deletePod(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const ns = pod.metadata?.namespace ?? '';
    const rs = this.replicaSets.store.getByName(ns, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const dref = getControllerOf(rs);
    const d = dref && this.resolveControllerRef(ns, dref);
    if (!d || d.spec?.strategy?.type !== 'Recreate') return;
    const owned = this.replicaSets.store.byIndex(CONTROLLER_UID_INDEX, d.metadata!.uid!);
    const remaining = owned.reduce((n, r) => n + this.pods.store.byIndex(CONTROLLER_UID_INDEX, r.metadata!.uid!).length, 0);
    if (remaining === 0) this.enqueue(d);
  }

  /** The ReplicaSets the Deployment owns, after adopting orphans and releasing non-matching ones. */
  private async replicaSetsFor(d: Deployment, selector: Selector): Promise<RS[]> {
    const ns = d.metadata?.namespace ?? '';
    const manager = new ControllerRefManager({
      api: this.api,
      resource: REPLICASETS,
      owner: d,
      ownerApiVersion: 'apps/v1',
      ownerKind: 'Deployment',
      match: (rs) => selector.matches(rs.metadata?.labels),
      canAdopt: recheckDeletionTimestamp(() => this.api.get(DEPLOYMENTS, ns, d.metadata!.name!), d),
    });
    const { claimed, errors } = await manager.claim(this.replicaSets.store.listByNamespace(ns));
    if (errors.length) throw errors[0];
    return claimed as RS[];
  }

  /** The Deployment's pods by the uid of their ReplicaSet. */
  private podMap(d: Deployment, selector: Selector, rsList: RS[]): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    const ns = d.metadata?.namespace ?? '';
    for (const rs of rsList) {
      const uid = rs.metadata?.uid;
      if (!uid) continue;
      out.set(
        uid,
        this.pods.store.byIndex(CONTROLLER_UID_INDEX, uid).filter((p) => (p.metadata?.namespace ?? '') === ns && selector.matches(p.metadata?.labels)),
      );
    }
    return out;
  }

  /** One sync of the Deployment under key (upstream syncDeployment). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deployments.store.getByName(namespace, name);
    if (!cached) return {};
    const d: Deployment = { ...structuredClone(cached), apiVersion: 'apps/v1', kind: 'Deployment' };
    let rsList: RS[] = [];
    let podMap = new Map<string, Pod[]>();
    let selector: Selector | undefined;
    try {
      selector = labelSelectorAsSelector(d.spec?.selector);
    } catch (err) {
      this.log.warn({ key, err: errorMessage(err) }, 'invalid selector; not syncing');
      return {};
    }
    if (!selector.everything) {
      rsList = await this.replicaSetsFor(d, selector);
      podMap = this.podMap(d, selector, rsList);
    }
    const plan = reconcileDeployment({ deployment: d, replicaSets: rsList, podMap, now: this.clock.now() });
    for (const ev of plan.events) this.recorder.event(d, ev.type, ev.reason, ev.message);
    try {
      for (const op of plan.ops) await this.execute(d, op);
    } catch (err) {
      if (err instanceof StopPlan) return {};
      throw err;
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  private async execute(d: Deployment, op: DeploymentOp): Promise<void> {
    const ns = d.metadata?.namespace;
    switch (op.op) {
      case 'createReplicaSet': {
        const rsName = op.rs.metadata!.name!;
        try {
          await this.api.create(REPLICASETS, ns, op.rs);
        } catch (err) {
          if (isAlreadyExists(err)) return this.onAlreadyExists(d, op.rs);
          if (isNamespaceTerminating(err)) throw err;
          const failed = withCreateFailure(d, rsName, err as Error, this.clock.now());
          if (failed) await this.api.update(DEPLOYMENTS, ns, failed, 'status').catch(() => undefined);
          this.recorder.event(d, 'Warning', 'ReplicaSetCreateError', createFailureMessage(rsName, err as Error));
          throw err;
        }
        if (op.event) this.recorder.event(d, op.event.type, op.event.reason, op.event.message);
        return;
      }
      case 'updateReplicaSet':
        await this.api.update(REPLICASETS, ns, op.rs);
        if (op.event) this.recorder.event(d, op.event.type, op.event.reason, op.event.message);
        return;
      case 'deleteReplicaSet':
        try {
          await this.api.delete(REPLICASETS, ns, op.rs.metadata!.name!, { preconditions: { uid: op.rs.metadata?.uid } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      case 'updateStatus':
        await this.api.update(DEPLOYMENTS, ns, op.deployment, 'status');
        return;
    }
  }

  /**
   * The new ReplicaSet's name is taken: ours already (a stale cache; the informer will bring
   * it), or a hash collision with a ReplicaSet we do not own, resolved by bumping
   * status.collisionCount so the next sync computes another hash.
   */
  private async onAlreadyExists(d: Deployment, rs: RS): Promise<never> {
    const ns = d.metadata?.namespace;
    const name = rs.metadata!.name!;
    let existing = this.replicaSets.store.getByName(ns ?? '', name);
    if (!existing) existing = await this.api.get<RS>(REPLICASETS, ns, name);
    const ref = getControllerOf(existing);
    if (ref?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, existing.spec?.template)) throw new StopPlan();
    await this.api.update(DEPLOYMENTS, ns, withCollision(d), 'status');
    this.log.info({ deployment: objectKey(d), replicaSet: name, collisionCount: (d.status?.collisionCount ?? 0) + 1 }, 'hash collision; collisionCount raised');
    throw new Error(`replicasets.apps "${name}" already exists (hash collision)`);
  }
}

export function deploymentController(opts: DeploymentControllerOptions): Controller {
  return new DeploymentController(opts).controller;
}
