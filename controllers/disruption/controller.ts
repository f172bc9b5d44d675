// The disruption controller's shell (upstream DisruptionController): informers on budgets, pods
// and the workload controllers whose replicas scale percentages; a pod change syncs the budgets
// selecting it; a sync writes the status disruption.ts computes (the eviction subresource reads
// it), and looks again when an awaited eviction times out. A budget whose numbers cannot be
// computed (a pod with an unknown controller) allows no disruption (failSafe).
import type { Api, ResourceRef } from '../runtime/client.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { getControllerOf } from '../runtime/controller-ref.ts';
import { errorMessage, isConflict, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { labelSelectorAsSelector } from '../runtime/selector.ts';
import { objectKey, splitKey, type KubeObject, type OwnerReference } from '../runtime/types.ts';
import { countHealthy, disruptedPodMap, expectedPodCount, failSafeStatus, pdbStatus, type Pdb, type PdbStatus, type ScaleFinder } from './disruption.ts';

export const COMPONENT = 'controllermanager';
export const PDBS: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true, kind: 'PodDisruptionBudget' };
export const STATEFULSETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, kind: 'StatefulSet' };

export interface DisruptionControllerOptions {
  api: Api;
  pdbs: Informer;
  pods: Informer;
  replicationControllers: Informer;
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
  recorder?: EventRecorder;
  now?: () => number;
}

const noRecorder: EventRecorder = { event() {} };
const APPS = new Set(['apps', 'extensions']);

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

type Scaled = KubeObject & { spec?: { replicas?: number } };

export class DisruptionController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly pdbs: Informer<Pdb>;
  private readonly pods: Informer<Pod>;
  private readonly opts: DisruptionControllerOptions;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;

  constructor(opts: DisruptionControllerOptions) {
    this.opts = opts;
    this.api = opts.api;
    this.pdbs = opts.pdbs as Informer<Pdb>;
    this.pods = opts.pods as Informer<Pod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.now = opts.now ?? Date.now;
    this.controller = new Controller({ name: 'disruption', reconcile: (key) => this.sync(key), workers: 2 });
    const enqueue = (pdb: KubeObject) => this.controller.enqueue(objectKey(pdb));
    this.pdbs.addEventHandler({ add: enqueue, update: (_old, pdb) => enqueue(pdb) });
    this.pods.addEventHandler({
      add: (pod) => this.podChanged(pod),
      update: (old, cur) => {
        this.podChanged(cur);
        if (JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {})) this.podChanged(old);
      },
      delete: (pod) => this.podChanged(pod),
    });
  }

  /** The budgets of the pod's namespace that select it. */
  private pdbsFor(pod: KubeObject): Pdb[] {
    return this.pdbs.store.listByNamespace(pod.metadata?.namespace ?? '').filter((pdb) => {
      try {
        return labelSelectorAsSelector(pdb.spec?.selector).matches(pod.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private podChanged(pod: KubeObject): void {
    for (const pdb of this.pdbsFor(pod)) this.controller.enqueue(objectKey(pdb));
  }

  /** A controller of `kind` in the cache whose uid the reference names. */
  private owner(inf: Informer, ref: OwnerReference, namespace: string): Scaled | undefined {
    const obj = inf.store.getByName(namespace, ref.name) as Scaled | undefined;
    return obj && obj.metadata?.uid === ref.uid ? obj : undefined;
  }

  /** The finders: ReplicationController, Deployment (through its ReplicaSet), ReplicaSet, StatefulSet. */
  private readonly find: ScaleFinder = (ref, namespace) => {
    const scaled = (o: Scaled) => ({ uid: o.metadata?.uid ?? '', replicas: o.spec?.replicas ?? 1 });
    const group = groupOf(ref.apiVersion);
    if (ref.kind === 'ReplicationController' && group === '') {
      const rc = this.owner(this.opts.replicationControllers, ref, namespace);
      return rc && scaled(rc);
    }
    if (ref.kind === 'ReplicaSet' && APPS.has(group)) {
      const rs = this.owner(this.opts.replicaSets, ref, namespace);
      if (!rs) return undefined;
      const rsRef = getControllerOf(rs);
      if (rsRef?.kind === 'Deployment' && APPS.has(groupOf(rsRef.apiVersion))) {
        const dep = this.owner(this.opts.deployments, rsRef, namespace);
        return dep && scaled(dep);
      }
      return scaled(rs);
    }
    if (ref.kind === 'StatefulSet' && APPS.has(group)) {
      const ss = this.owner(this.opts.statefulSets, ref, namespace);
      return ss && scaled(ss);
    }
    return undefined;
  };

  async sync(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.pdbs.store.getByName(namespace, name);
    if (!cached) return;
    const pdb: Pdb = { ...structuredClone(cached), apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };
    try {
      return await this.trySync(pdb);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) throw err;
      await this.writeStatus(pdb, failSafeStatus(pdb, errorMessage(err), this.now()));
    }
  }

  private async trySync(pdb: Pdb): Promise<ReconcileResult | void> {
    const ns = pdb.metadata?.namespace ?? '';
    const selector = labelSelectorAsSelector(pdb.spec?.selector);
    const pods = this.pods.store.listByNamespace(ns).filter((p) => selector.matches(p.metadata?.labels));
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let counts;
    try {
      counts = expectedPodCount(pdb, pods, this.find);
    } catch (err) {
      this.recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${errorMessage(err)}`);
      throw err;
    }
    if (counts.unmanaged.length) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${selector.toString()}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    const now = this.now();
    const { disrupted, recheckAt, notDeleted } = disruptedPodMap(pdb, pods, now);
    for (const pod of notDeleted) {
      this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${pdb.metadata?.name ?? ''} to be deleted but it wasn't`);
    }
    const status = pdbStatus(pdb, countHealthy(pods, disrupted), counts.desiredHealthy, counts.expectedCount, disrupted, now);
    if (status) await this.writeStatus(pdb, status);
    if (recheckAt !== undefined) return { requeueAfterMs: Math.max(0, recheckAt - now) + 1000 };
  }

  private async writeStatus(pdb: Pdb, status: PdbStatus): Promise<void> {
    await this.api.update(PDBS, pdb.metadata?.namespace, { ...pdb, status }, 'status');
  }
}

export function disruptionController(opts: DisruptionControllerOptions): Controller {
  return new DisruptionController(opts).controller;
}
