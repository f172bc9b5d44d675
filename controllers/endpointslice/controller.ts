// The EndpointSlice controller's shell (upstream endpointslice Controller): services, the
// pods they select and the slices it manages feed service keys into a work queue; a sync
// applies reconcileSlices' plan. Our own writes are tracked by generation so that a lagging
// slice informer makes the sync retry rather than act on a stale view, and so that only
// changes made by others to our slices trigger a resync. Slices go with their service
// through the garbage collector (they are owned by it).
import type { Api, ResourceRef } from '../runtime/client.ts';
import type { Clock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { splitKey } from '../runtime/types.ts';
import { managedSelector, queueServicesOnChanges, selectedPods, TriggerTimeTracker, type EndpointPod, type Service } from '../endpoints/service-pods.ts';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, reconcileSlices, type EndpointSlice, type NodeLike } from './reconciler.ts';
import { EndpointSliceTracker, serviceKeyOfSlice } from './tracker.ts';

export const ENDPOINTSLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true, kind: 'EndpointSlice' };
/** The label selector of the slices this controller manages (its informer's). */
export const MANAGED_SLICES_SELECTOR = `${MANAGED_BY_LABEL}=${CONTROLLER_NAME}`;
export const COMPONENT = 'endpoint-slice-controller';
/** Upstream's endpointSliceChangeMinSyncDelay: slice changes are batched for a second. */
const SLICE_CHANGE_DELAY_MS = 1000;
const MAX_RETRIES = 15;

export interface EndpointSliceControllerOptions {
  api: Api;
  services: Informer;
  pods: Informer;
  nodes: Informer;
  /** An informer on the slices carrying MANAGED_SLICES_SELECTOR. */
  slices: Informer;
  recorder?: EventRecorder;
  maxEndpointsPerSlice?: number;
  workers?: number;
  clock?: Clock;
}

export class EndpointSliceController {
  readonly controller: Controller;
  readonly tracker = new EndpointSliceTracker();
  private readonly api: Api;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<EndpointPod>;
  private readonly nodes: Informer<NodeLike>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly recorder: EventRecorder | undefined;
  private readonly maxEndpointsPerSlice: number | undefined;
  private readonly triggers = new TriggerTimeTracker();

  constructor(opts: EndpointSliceControllerOptions) {
    this.api = opts.api;
    this.services = opts.services as Informer<Service>;
    this.pods = opts.pods as Informer<EndpointPod>;
    this.nodes = opts.nodes as Informer<NodeLike>;
    this.slices = opts.slices as Informer<EndpointSlice>;
    this.recorder = opts.recorder;
    this.maxEndpointsPerSlice = opts.maxEndpointsPerSlice;
    this.controller = new Controller({
      name: 'endpointslice',
      queue: new WorkQueue<string>({ name: 'endpointslice', clock: opts.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
      maxRetries: MAX_RETRIES,
    });
    queueServicesOnChanges(this.services, this.pods, (key) => this.controller.enqueue(key));
    this.slices.addEventHandler({
      add: (s) => {
        if (this.tracker.shouldSync(s)) this.enqueueForSlice(s);
      },
      update: (old, cur) => {
        if (serviceKeyOfSlice(old) !== serviceKeyOfSlice(cur)) {
          this.enqueueForSlice(old);
          this.enqueueForSlice(cur);
        } else if (this.tracker.shouldSync(cur)) this.enqueueForSlice(cur);
      },
      delete: (s) => {
        // A deletion we did not make (someone removed our slice): sync the service again.
        if (this.tracker.has(s) && !this.tracker.handleDeletion(s)) this.enqueueForSlice(s);
      },
    });
  }

  private enqueueForSlice(slice: EndpointSlice): void {
    const key = serviceKeyOfSlice(slice);
    if (key) this.controller.queue.addAfter(key, SLICE_CHANGE_DELAY_MS);
  }

  /** One sync of the service under key (upstream syncService). */
  async sync(key: string): Promise<void> {
    const { namespace } = splitKey(key);
    const svc = this.services.store.get(key);
    if (!svc) {
      this.triggers.deleteService(key);
      this.tracker.deleteService(key);
      return;
    }
    if (!managedSelector(svc)) return;
    const pods = selectedPods(svc, this.pods.store.listByNamespace(namespace));
    const existing = this.slices.store.listByNamespace(namespace).filter((s) => serviceKeyOfSlice(s) === key && !s.metadata?.deletionTimestamp);
    if (this.tracker.staleSlices(key, existing)) throw new Error('EndpointSlice informer cache is out of date');
    const triggerTime = this.triggers.compute(svc, pods);
    const plan = reconcileSlices({
      service: svc,
      pods,
      existing,
      node: (name) => this.nodes.store.get(name),
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
      triggerTime,
    });
    try {
      await this.apply(namespace, plan);
      if (plan.errors.length) throw new Error(plan.errors.join('; '));
    } catch (err) {
      this.recorder?.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async apply(namespace: string, plan: ReturnType<typeof reconcileSlices>): Promise<void> {
    for (const s of plan.create) {
      try {
        this.tracker.update(await this.api.create<EndpointSlice>(ENDPOINTSLICES, namespace, s));
      } catch (err) {
        if (isNamespaceTerminating(err)) return;
        throw err;
      }
    }
    for (const s of plan.update) this.tracker.update(await this.api.update<EndpointSlice>(ENDPOINTSLICES, namespace, s));
    for (const s of plan.delete) {
      try {
        await this.api.delete(ENDPOINTSLICES, namespace, s.metadata!.name!);
        this.tracker.expectDeletion(s);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}

export function endpointSliceController(opts: EndpointSliceControllerOptions): Controller {
  return new EndpointSliceController(opts).controller;
}
