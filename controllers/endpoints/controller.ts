// The Endpoints controller's shell (upstream EndpointController): services and the pods they
// select feed service keys into a work queue; a sync writes the service's Endpoints (same
// name) when they differ from what the pods say, and deletes them when the service is gone.
// Services without a selector keep the Endpoints their users write.
import type { Api } from '../runtime/client.ts';
import type { Clock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { objectKey, splitKey } from '../runtime/types.ts';
import { desiredSubsets, endpointsToWrite, type Endpoints } from './endpoints.ts';
import { ENDPOINTS, managedSelector, queueServicesOnChanges, selectedPods, TriggerTimeTracker, type EndpointPod, type Service } from './service-pods.ts';

export const COMPONENT = 'endpoint-controller';
/** Upstream's maxRetries before a service is dropped from the queue. */
const MAX_RETRIES = 15;
/** client-go's leader election record on Endpoints (never the leftovers of a deleted service). */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export interface EndpointsControllerOptions {
  api: Api;
  services: Informer;
  pods: Informer;
  endpoints: Informer;
  recorder?: EventRecorder;
  workers?: number;
  clock?: Clock;
}

export class EndpointsController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly services: Informer<Service>;
  private readonly pods: Informer<EndpointPod>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly recorder: EventRecorder | undefined;
  private readonly triggers = new TriggerTimeTracker();

  constructor(opts: EndpointsControllerOptions) {
    this.api = opts.api;
    this.services = opts.services as Informer<Service>;
    this.pods = opts.pods as Informer<EndpointPod>;
    this.endpoints = opts.endpoints as Informer<Endpoints>;
    this.recorder = opts.recorder;
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: COMPONENT, clock: opts.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
      maxRetries: MAX_RETRIES,
    });
    queueServicesOnChanges(this.services, this.pods, (key) => this.controller.enqueue(key));
    this.endpoints.addEventHandler({
      // checkLeftoverEndpoints on start, and Endpoints deleted behind our back.
      add: (ep, initial) => {
        if (initial && !(LEADER_ANNOTATION in (ep.metadata?.annotations ?? {}))) this.controller.enqueue(objectKey(ep));
      },
      delete: (ep) => this.controller.enqueue(objectKey(ep)),
    });
  }

  /** One sync of the service under key (upstream syncService). */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.store.get(key);
    if (!svc) {
      this.triggers.deleteService(key);
      if (!this.endpoints.store.get(key)) return;
      try {
        await this.api.delete(ENDPOINTS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (!managedSelector(svc)) return;
    const pods = selectedPods(svc, this.pods.store.listByNamespace(namespace));
    // Computed on every sync so the tracker follows the pods even when nothing is written.
    const triggerTime = this.triggers.compute(svc, pods);
    const current = this.endpoints.store.get(key);
    const next = endpointsToWrite(svc, current, desiredSubsets(svc, pods), triggerTime);
    if (!next) return;
    try {
      if (current) await this.api.update(ENDPOINTS, namespace, next);
      else await this.api.create(ENDPOINTS, namespace, next);
    } catch (err) {
      // A namespace being deleted refuses every creation: nothing to retry.
      if (!current && isNamespaceTerminating(err)) return;
      if (current) this.recorder?.event(next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${errorMessage(err)}`);
      else this.recorder?.event({ ...next, metadata: { ...next.metadata, namespace } }, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${errorMessage(err)}`);
      throw err;
    }
  }
}

export function endpointsController(opts: EndpointsControllerOptions): Controller {
  return new EndpointsController(opts).controller;
}
