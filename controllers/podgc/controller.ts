// The pod garbage collector's shell (upstream PodGCController): every gcCheckPeriod a pass
// over the cached pods and nodes force deletes what podsToCollect says. A node missing from
// the cache is quarantined first (informers lag) and confirmed gone by a live read before its
// pods go. Pods not yet terminal are marked Failed (with the DisruptionTarget condition for
// orphans) before the deletion, as no kubelet will ever report on them.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { errorMessage, isNotFound } from '../runtime/errors.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { rfc3339 } from '../runtime/types.ts';
import { mapLimit } from '../runtime/util.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { NODES, type Node } from '../nodelifecycle/node-util.ts';
import { logger } from '../../lib/logger.ts';
import { DEFAULT_TERMINATED_POD_THRESHOLD, isPodTerminated, podsToCollect, unknownNodes, type Collect } from './podgc.ts';

const log = logger.child({ component: 'pod-garbage-collector' });

/** Upstream gcCheckPeriod and quarantineTime. */
export const GC_CHECK_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;

export interface PodGCOptions {
  api: Api;
  pods: Informer;
  nodes: Informer;
  clock?: Clock;
  terminatedPodThreshold?: number;
  gcCheckPeriodMs?: number;
  quarantineMs?: number;
}

export class PodGCController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly clock: Clock;
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;
  /** Node names missing from the cache, and since when. */
  private readonly quarantine = new Map<string, number>();

  constructor(opts: PodGCOptions) {
    this.api = opts.api;
    this.pods = opts.pods as Informer<Pod>;
    this.nodes = opts.nodes as Informer<Node>;
    this.clock = opts.clock ?? realClock;
    this.threshold = opts.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_THRESHOLD;
    this.periodMs = opts.gcCheckPeriodMs ?? GC_CHECK_PERIOD_MS;
    this.quarantineMs = opts.quarantineMs ?? QUARANTINE_MS;
    this.controller = new Controller({ name: 'podgc', queue: new WorkQueue<string>({ name: 'podgc', clock: this.clock }), reconcile: () => this.pass() });
    this.controller.enqueue('gc');
  }

  private async pass(): Promise<ReconcileResult> {
    try {
      await this.gc();
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'pod gc pass failed');
    }
    return { requeueAfterMs: this.periodMs };
  }

  /** One pass (exposed for tests). */
  async gc(): Promise<void> {
    const pods = this.pods.store.list();
    const nodes = new Map(this.nodes.store.list().map((n) => [n.metadata?.name ?? '', n]));
    const now = this.clock.now();
    const missing = unknownNodes(pods, nodes);
    for (const name of this.quarantine.keys()) if (!missing.has(name)) this.quarantine.delete(name);
    for (const name of missing) if (!this.quarantine.has(name)) this.quarantine.set(name, now);
    const deletedNodes = new Set<string>();
    for (const [name, since] of this.quarantine) {
      if (now - since < this.quarantineMs) continue;
      try {
        await this.api.get(NODES, undefined, name);
      } catch (err) {
        if (isNotFound(err)) deletedNodes.add(name);
        else log.warn({ node: name, err: errorMessage(err) }, 'reading the node failed');
      }
    }
    const collect = podsToCollect({ pods, nodes, deletedNodes, terminatedPodThreshold: this.threshold });
    await mapLimit(collect, 8, (c) =>
      this.markFailedAndDelete(c).catch((err) => {
        if (!isNotFound(err)) log.warn({ pod: `${c.pod.metadata?.namespace}/${c.pod.metadata?.name}`, reason: c.reason, err: errorMessage(err) }, 'force deleting the pod failed');
      }),
    );
  }

  private async markFailedAndDelete(c: Collect): Promise<void> {
    const pod = c.pod;
    const ns = pod.metadata?.namespace;
    if (!isPodTerminated(pod)) {
      const conditions = (pod.status?.conditions ?? []).filter((x) => x.type !== c.condition?.type);
      if (c.condition) conditions.push({ ...c.condition, lastTransitionTime: rfc3339(new Date(this.clock.now())) });
      await this.api.update(PODS, ns, { ...pod, status: { ...pod.status, phase: 'Failed', conditions } }, 'status');
    }
    log.info({ pod: `${ns}/${pod.metadata?.name}`, reason: c.reason }, 'PodGC is force deleting Pod');
    await this.api.delete(PODS, ns, pod.metadata!.name!, { gracePeriodSeconds: 0 });
  }
}

export function podGCController(opts: PodGCOptions): Controller {
  return new PodGCController(opts).controller;
}
