// The horizontal pod autoscaler's shell (upstream HorizontalController): every HPA is synced
// once per sync period (15 s upstream; every add, update or failure waits a period, as its
// fixed-interval rate limiter does). A sync reads the target's /scale (the kind resolved
// through discovery), the target's pods from the informer and their PodMetrics from
// metrics.k8s.io, lets autoscaler.ts decide, updates the scale, records events and writes the
// status when it changed.
import { isDeepStrictEqual } from 'node:util';
import { ApiClient, DiscoveryError, RestMapper, resourcePath, type ApiResource, type ResourceRef } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { errorMessage } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { WorkQueue, type RateLimiter } from '../runtime/queue.ts';
import { objectKey, splitKey, type KubeObject } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { finishSync, planSync, scaleUnavailable, DEFAULT_SYNC_OPTIONS, type HPA, type HPAStatus, type SyncOptions, type SyncResult } from './autoscaler.ts';
import { newHistory, type ScalingHistory } from './behavior.ts';
import { fetchPodMetrics, type FetchedMetrics } from './metrics.ts';

export const HPAS: ResourceRef = { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true, kind: 'HorizontalPodAutoscaler' };
export const COMPONENT = 'horizontal-pod-autoscaler';
export const DEFAULT_SYNC_PERIOD_MS = 15_000;

/** How long a kind missing from the cached discovery waits before discovery is read again. */
const REDISCOVERY_MS = 30_000;

type HpaApi = Pick<ApiClient, 'request' | 'discover' | 'update'>;

export interface HorizontalControllerOptions {
  api: HpaApi;
  hpas: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncPeriodMs?: number;
  sync?: Partial<SyncOptions>;
  clock?: Clock;
  /** --concurrent-horizontal-pod-autoscaler-syncs (default 5). */
  workers?: number;
}

/** Every key waits the same interval (upstream's FixedItemIntervalRateLimiter). */
class FixedIntervalRateLimiter<K> implements RateLimiter<K> {
  constructor(private readonly ms: number) {}
  when(): number {
    return this.ms;
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

const noRecorder: EventRecorder = { event() {} };

export class HorizontalController {
  readonly controller: Controller;
  private readonly api: HpaApi;
  private readonly hpas: Informer<HPA>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly syncPeriodMs: number;
  private readonly opts: SyncOptions;
  private readonly histories = new Map<string, ScalingHistory>();
  private mapper: RestMapper | undefined;
  private discoveredAt = -Infinity;
  private readonly log = logger.child({ component: COMPONENT });

  constructor(o: HorizontalControllerOptions) {
    this.api = o.api;
    this.hpas = o.hpas as Informer<HPA>;
    this.pods = o.pods as Informer<Pod>;
    this.recorder = o.recorder ?? noRecorder;
    this.clock = o.clock ?? realClock;
    this.syncPeriodMs = o.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
    this.opts = { ...DEFAULT_SYNC_OPTIONS, ...(o.sync ?? {}) };
    const queue = new WorkQueue<string>({ name: COMPONENT, clock: this.clock, rateLimiter: new FixedIntervalRateLimiter(this.syncPeriodMs) });
    this.controller = new Controller({ name: COMPONENT, queue, reconcile: (key) => this.sync(key), workers: o.workers ?? 5 });
    const enqueue = (hpa: KubeObject) => queue.addRateLimited(objectKey(hpa));
    this.hpas.addEventHandler(
      {
        add: enqueue,
        update: (_old, cur) => enqueue(cur),
        delete: (hpa) => queue.forget(objectKey(hpa)),
      },
      this.syncPeriodMs,
    );
  }

  private async sync(key: string): Promise<{ requeueAfterMs: number } | void> {
    const cached = this.hpas.store.get(key);
    if (!cached) {
      this.histories.delete(key);
      return;
    }
    const hpa: HPA = { ...structuredClone(cached), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
    let history = this.histories.get(key);
    if (!history) this.histories.set(key, (history = newHistory()));
    const result = await this.reconcile(hpa, history);
    for (const ev of result.events) this.recorder.event(hpa, ev.type, ev.reason, ev.message);
    await this.updateStatusIfNeeded(hpa, result.status);
    if (result.error) this.log.debug({ hpa: key, err: result.error }, 'autoscaling failed');
    return { requeueAfterMs: this.syncPeriodMs };
  }

  private async reconcile(hpa: HPA, history: ScalingHistory): Promise<SyncResult> {
    const now = this.clock.now();
    const { namespace } = splitKey(objectKey(hpa));
    const ref = hpa.spec?.scaleTargetRef ?? {};
    let target: ResourceRef;
    let scale: Scale;
    try {
      target = await this.resourceFor(ref.apiVersion ?? '', ref.kind ?? '');
      scale = await this.api.request<Scale>('GET', resourcePath(target, namespace, ref.name ?? '', 'scale'));
    } catch (err) {
      return scaleUnavailable(hpa, errorMessage(err), now);
    }
    const view = { specReplicas: scale.spec?.replicas ?? 0, statusReplicas: scale.status?.replicas ?? 0, selector: scale.status?.selector ?? '' };
    const usesResourceMetrics = (hpa.spec?.metrics ?? []).some((m) => m.type === 'Resource' || m.type === 'ContainerResource');
    const metrics: FetchedMetrics = usesResourceMetrics && view.selector ? await fetchPodMetrics(this.api, namespace, view.selector) : { items: [] };
    const plan = planSync({ hpa, scale: view, pods: this.pods.store.listByNamespace(namespace), metrics, history, now, opts: this.opts });
    if (!plan.rescale) return plan;
    let updateError: string | undefined;
    try {
      await this.api.request('PUT', resourcePath(target, namespace, ref.name ?? '', 'scale'), { body: { ...scale, spec: { ...scale.spec, replicas: plan.rescale.replicas } } });
      this.log.info({ hpa: objectKey(hpa), from: plan.currentReplicas, to: plan.rescale.replicas, reason: plan.rescale.reason }, 'rescaled');
    } catch (err) {
      updateError = errorMessage(err);
    }
    return finishSync(hpa, plan, updateError, history, this.clock.now());
  }

  /** The scalable resource of apiVersion/kind, from discovery (read again, at most every 30 s, when the kind is unknown). */
  private async resourceFor(apiVersion: string, kind: string): Promise<ApiResource> {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    let r = this.mapper?.map(apiVersion, kind);
    if (!r && this.clock.now() - this.discoveredAt >= REDISCOVERY_MS) {
      this.discoveredAt = this.clock.now();
      let resources: ApiResource[];
      try {
        resources = await this.api.discover();
      } catch (err) {
        if (!(err instanceof DiscoveryError)) throw err;
        resources = err.partial;
      }
      this.mapper = new RestMapper(resources);
      r = this.mapper.map(apiVersion, kind);
    }
    if (!r) throw new Error(`no matches for kind ${JSON.stringify(kind)} in group ${JSON.stringify(group)}`);
    return r;
  }

  private async updateStatusIfNeeded(hpa: HPA, status: HPAStatus): Promise<void> {
    // As written, not as built: fields left undefined are not there.
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), hpa.status ?? {})) return;
    try {
      await this.api.update(HPAS, hpa.metadata?.namespace, { ...hpa, status }, 'status');
    } catch (err) {
      this.recorder.event(hpa, 'Warning', 'FailedUpdateStatus', errorMessage(err));
      throw new Error(`failed to update status for ${hpa.metadata?.name}: ${errorMessage(err)}`);
    }
  }
}

export function horizontalPodAutoscalerController(o: HorizontalControllerOptions): Controller {
  return new HorizontalController(o).controller;
}
