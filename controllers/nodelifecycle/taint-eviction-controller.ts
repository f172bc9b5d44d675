// The taint eviction controller's shell (upstream TaintEvictionController): node and pod
// events schedule, move or cancel each pod's eviction (taint-eviction.ts); a work queue
// keyed by pod fires them. An eviction marks the pod with the DisruptionTarget condition,
// then deletes it (gracefully: on an unreachable node it stays Terminating until the node
// comes back or goes, while its controller already replaces it).
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { objectKey, rfc3339, splitKey, type KubeObject } from '../runtime/types.ts';
import { PODS } from '../replicaset/replicaset.ts';
import type { Toleration } from '../../scheduler/types.ts';
import { ensurePodNodeNameIndex, podsOnNode, type Node, type Taint } from './node-util.ts';
import { noExecuteTaints, planEviction, type ScheduledEviction } from './taint-eviction.ts';

export const COMPONENT = 'taint-eviction-controller';
/** Upstream's retries of a deletion. */
const RETRIES = 5;

type TolerantPod = Pod & { spec?: Pod['spec'] & { tolerations?: Toleration[] } };

export interface TaintEvictionOptions {
  api: Api;
  nodes: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
}

const noRecorder: EventRecorder = { event() {} };

function podRef(key: string): KubeObject {
  const { namespace, name } = splitKey(key);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } };
}

export class TaintEvictionController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<TolerantPod>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  /** The NoExecute taints of tainted nodes (taintedNodes). */
  private readonly tainted = new Map<string, Taint[]>();
  private readonly scheduled = new Map<string, ScheduledEviction>();

  constructor(opts: TaintEvictionOptions) {
    this.api = opts.api;
    this.nodes = opts.nodes as Informer<Node>;
    this.pods = opts.pods as Informer<TolerantPod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: COMPONENT, clock: this.clock }),
      workers: 8,
      maxRetries: RETRIES,
      reconcile: (key) => this.fire(key),
    });
    ensurePodNodeNameIndex(this.pods.store);
    this.nodes.addEventHandler({
      add: (node) => this.nodeUpdated(undefined, node),
      update: (old, cur) => this.nodeUpdated(old, cur),
      delete: (node) => this.tainted.delete(node.metadata?.name ?? ''),
    });
    this.pods.addEventHandler({
      add: (pod) => this.podUpdated(pod),
      update: (old, cur) => {
        if (JSON.stringify(old.spec?.tolerations ?? []) !== JSON.stringify(cur.spec?.tolerations ?? []) || old.spec?.nodeName !== cur.spec?.nodeName) this.podUpdated(cur);
      },
      delete: (pod) => this.cancel(objectKey(pod)),
    });
  }

  private nodeUpdated(old: Node | undefined, cur: Node): void {
    const name = cur.metadata?.name ?? '';
    const taints = noExecuteTaints(cur.spec?.taints);
    if (old && JSON.stringify(noExecuteTaints(old.spec?.taints)) === JSON.stringify(taints)) return;
    if (taints.length) this.tainted.set(name, taints);
    else this.tainted.delete(name);
    const now = this.clock.now();
    for (const pod of podsOnNode(this.pods.store, name)) {
      if (taints.length === 0) this.cancel(objectKey(pod));
      else this.process(objectKey(pod), pod, taints, now);
    }
  }

  private podUpdated(pod: TolerantPod): void {
    const taints = this.tainted.get(pod.spec?.nodeName ?? '');
    if (taints) this.process(objectKey(pod), pod, taints, this.clock.now());
  }

  private process(key: string, pod: TolerantPod, taints: Taint[], now: number): void {
    const { next, cancelled } = planEviction(taints, pod.spec?.tolerations, now, this.scheduled.get(key));
    if (cancelled) this.recorder.event(podRef(key), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
    if (!next) {
      this.scheduled.delete(key);
      return;
    }
    this.scheduled.set(key, next);
    this.controller.queue.addAfter(key, Math.max(0, next.fireAt - now));
  }

  private cancel(key: string): void {
    if (this.scheduled.delete(key)) this.recorder.event(podRef(key), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  /** A scheduled eviction's time came (or it was cancelled meanwhile). */
  private async fire(key: string): Promise<ReconcileResult | void> {
    const work = this.scheduled.get(key);
    if (!work) return;
    const wait = work.fireAt - this.clock.now();
    if (wait > 0) return { requeueAfterMs: wait };
    if (!this.controller.queue.numRequeues(key)) this.recorder.event(podRef(key), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    await this.addConditionAndDeletePod(key);
    if (this.scheduled.get(key) === work) this.scheduled.delete(key);
  }

  private async addConditionAndDeletePod(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    let pod: Pod;
    try {
      pod = await this.api.get<Pod>(PODS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const conditions = structuredClone(pod.status?.conditions ?? []);
    const target = { type: 'DisruptionTarget', status: 'True' as const, reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
    const existing = conditions.find((c) => c.type === 'DisruptionTarget');
    if (!existing || existing.status !== 'True' || existing.reason !== target.reason || existing.message !== target.message) {
      const next = { ...target, lastProbeTime: null, lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : rfc3339(new Date(this.clock.now())) };
      if (existing) Object.assign(existing, next);
      else conditions.push(next);
      await this.api.update(PODS, namespace, { ...pod, status: { ...pod.status, conditions } }, 'status');
    }
    try {
      await this.api.delete(PODS, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function taintEvictionController(opts: TaintEvictionOptions): Controller {
  return new TaintEvictionController(opts).controller;
}
