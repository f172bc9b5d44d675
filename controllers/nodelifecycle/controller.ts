// The node lifecycle controller's shell (upstream NodeLifecycleController):
// - every node-monitor-period it judges each node's health (health.ts) and writes Ready
//   Unknown for nodes not heard from within the grace period; a node that stops being
//   ready gets a NodeNotReady event and its pods are marked not ready;
// - nodes not ready are queued, per zone and at the zone's rate (zones.ts, taint-queue.ts),
//   for the NoExecute not-ready / unreachable taint, which the taint eviction controller
//   acts on; a node ready again loses it;
// - every node change re-derives the NoSchedule taints mirroring its conditions (taints.ts).
// Its loops are work queues with a self-requeueing key, so the controller manager runs them
// like any other controller.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { errorMessage, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { objectKey, rfc3339, type KubeObject } from '../runtime/types.ts';
import { mapLimit } from '../runtime/util.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { logger } from '../../lib/logger.ts';
import { observeNodeHealth, type NodeHealth } from './health.ts';
import { ensurePodNodeNameIndex, nodeCondition, NODE_LEASE_NAMESPACE, NODES, podsOnNode, swapNodeTaints, taintExists, type Node, type NodeCondition } from './node-util.ts';
import { RateLimitedTimedQueue } from './taint-queue.ts';
import { noExecuteTaintFor, noScheduleTaintChanges, NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE } from './taints.ts';
import { DEFAULT_DISRUPTION, EXCLUDE_DISRUPTION_LABEL, handleDisruption, zoneKey, type DisruptionOptions, type ZoneState } from './zones.ts';

export const COMPONENT = 'node-controller';
const log = logger.child({ component: COMPONENT });

/** Upstream defaults. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5000;
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
export const DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS = 60_000;
/** scheduler.NodeEvictionPeriod: how often the zones' taint queues are tried. */
const NODE_EVICTION_PERIOD_MS = 100;
/** Upstream nodeUpdateWorkerSize: nodes judged in parallel. */
const NODE_UPDATE_WORKERS = 8;
/** scheduler.NodeHealthUpdateRetry. */
const NODE_HEALTH_UPDATE_RETRY = 5;

const MONITOR_KEY = 'monitor';
const TAINT_KEY = 'noexecute';

export interface NodeLifecycleOptions {
  api: Api;
  nodes: Informer;
  pods: Informer;
  /** An informer on the Leases of kube-node-lease. */
  leases: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  nodeMonitorPeriodMs?: number;
  nodeMonitorGracePeriodMs?: number;
  nodeStartupGracePeriodMs?: number;
  disruption?: Partial<DisruptionOptions>;
}

const noRecorder: EventRecorder = { event() {} };

/** A reference to a node for events (RecordNodeEvent); NodeNotReady events use the name as uid, as upstream. */
function nodeRef(name: string, uid: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid } };
}

export class NodeLifecycleController {
  /** The monitor and tainting loops, the NoSchedule taint pass and the pod pass. */
  readonly controllers: Controller[];
  private readonly loops: Controller;
  private readonly noSchedule: Controller;
  private readonly podPass: Controller;
  private readonly api: Api;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private readonly leases: Informer;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly periodMs: number;
  private readonly graceMs: number;
  private readonly startupGraceMs: number;
  private readonly disruption: DisruptionOptions;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  private readonly nodesToRetry = new Set<string>();

  constructor(opts: NodeLifecycleOptions) {
    this.api = opts.api;
    this.nodes = opts.nodes as Informer<Node>;
    this.pods = opts.pods as Informer<Pod>;
    this.leases = opts.leases;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.periodMs = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    this.graceMs = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
    this.startupGraceMs = opts.nodeStartupGracePeriodMs ?? DEFAULT_NODE_STARTUP_GRACE_PERIOD_MS;
    this.disruption = { ...DEFAULT_DISRUPTION, ...(opts.disruption ?? {}) };
    const queue = (name: string) => new WorkQueue<string>({ name, clock: this.clock });
    // The two loops share a queue of two keys that requeue themselves; workers: one per loop.
    this.loops = new Controller({ name: 'node-lifecycle-loops', queue: queue('node-lifecycle-loops'), workers: 2, reconcile: (key) => this.loop(key) });
    this.noSchedule = new Controller({ name: 'node_lifecycle_controller', queue: queue('node_lifecycle_controller'), workers: 8, reconcile: (name) => this.noScheduleTaintingPass(name) });
    this.podPass = new Controller({ name: 'node_lifecycle_controller_pods', queue: queue('node_lifecycle_controller_pods'), workers: 4, reconcile: (key) => this.processPod(key) });
    this.controllers = [this.loops, this.noSchedule, this.podPass];
    this.loops.enqueue(MONITOR_KEY);
    this.loops.enqueue(TAINT_KEY);

    ensurePodNodeNameIndex(this.pods.store);
    const nodeChanged = (node: Node) => this.noSchedule.enqueue(node.metadata?.name ?? '');
    this.nodes.addEventHandler({ add: nodeChanged, update: (_old, cur) => nodeChanged(cur), delete: (node) => this.nodesToRetry.delete(node.metadata?.name ?? '') });
    this.pods.addEventHandler({
      add: (pod) => {
        if (pod.spec?.nodeName) this.podPass.enqueue(objectKey(pod));
      },
      update: (old, cur) => {
        if (cur.spec?.nodeName && cur.spec.nodeName !== old.spec?.nodeName) this.podPass.enqueue(objectKey(cur));
      },
    });
  }

  private async loop(key: string): Promise<ReconcileResult> {
    try {
      if (key === MONITOR_KEY) await this.monitorNodeHealth();
      else await this.noExecuteTaintingPass();
    } catch (err) {
      log.error({ err: errorMessage(err), loop: key }, 'node lifecycle pass failed');
    }
    return { requeueAfterMs: key === MONITOR_KEY ? this.periodMs : NODE_EVICTION_PERIOD_MS };
  }

  private tainter(node: Node): RateLimitedTimedQueue {
    const zone = zoneKey(node);
    let q = this.tainters.get(zone);
    if (!q) {
      // addPodEvictorForNewZone.
      this.zoneStates.set(zone, 'Initial');
      this.tainters.set(zone, (q = new RateLimitedTimedQueue(this.disruption.evictionLimiterQPS, this.clock)));
    }
    return q;
  }

  /** monitorNodeHealth: one pass over every node. */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.store.list();
    const names = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      if (this.known.has(name)) {
        this.tainter(node);
        continue;
      }
      this.recorder.event(nodeRef(name, node.metadata?.uid ?? ''), 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
      this.known.set(name, node);
      this.tainter(node);
      await this.markNodeAsReachable(node).catch((err) => log.warn({ node: name, err: errorMessage(err) }, 'removing NoExecute taints failed'));
    }
    for (const [name, node] of this.known) {
      if (names.has(name)) continue;
      this.recorder.event(nodeRef(name, node.metadata?.uid ?? ''), 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.delete(name);
    }
    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    await mapLimit(nodes, NODE_UPDATE_WORKERS, async (node) => {
      const ready = await this.updateNode(node);
      if (ready === null || node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] !== undefined) return;
      const zone = zoneKey(node);
      zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), ready]);
    });
    await this.applyDisruption(zoneConditions, nodes);
  }

  /** One node's pass; its Ready condition afterwards, or null when its health could not be updated. */
  private async updateNode(cached: Node): Promise<NodeCondition | undefined | null> {
    const name = cached.metadata?.name ?? '';
    let node = cached;
    let observed: NodeCondition | undefined;
    let current: NodeCondition | undefined;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const obs = observeNodeHealth(node, this.health.get(name), this.leases.store.getByName(NODE_LEASE_NAMESPACE, name), now, {
        gracePeriodMs: this.graceMs,
        startupGracePeriodMs: this.startupGraceMs,
      });
      this.health.set(name, obs.health);
      observed = obs.observedReady;
      current = obs.currentReady;
      if (!obs.conditions) break;
      try {
        node = await this.api.update<Node>(NODES, undefined, { ...node, status: { ...(node.status ?? {}), conditions: obs.conditions } }, 'status');
        this.health.set(name, obs.healthIfWritten!);
        break;
      } catch (err) {
        if (attempt + 1 >= NODE_HEALTH_UPDATE_RETRY || isNotFound(err)) {
          log.warn({ node: name, err: errorMessage(err) }, 'updating the node health failed; no pods will be evicted');
          return null;
        }
        try {
          node = await this.api.get<Node>(NODES, undefined, name);
        } catch {
          return null;
        }
      }
    }
    if (!current) return current;
    await this.processTaintBaseEviction(node, observed!);
    const becameNotReady = current.status !== 'True' && observed!.status === 'True';
    if (becameNotReady) this.recorder.event(nodeRef(name, name), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    if (becameNotReady || (this.nodesToRetry.has(name) && observed!.status !== 'True')) {
      try {
        await this.markPodsNotReady(podsOnNode(this.pods.store, name), name);
      } catch (err) {
        log.warn({ node: name, err: errorMessage(err) }, 'unable to mark all pods NotReady; queuing for retry');
        this.nodesToRetry.add(name);
        return current;
      }
    }
    this.nodesToRetry.delete(name);
    return current;
  }

  /** processTaintBaseEviction, on the Ready condition as it was before this pass. */
  private async processTaintBaseEviction(node: Node, observed: NodeCondition): Promise<void> {
    const name = node.metadata?.name ?? '';
    const now = () => this.clock.now();
    try {
      if (observed.status === 'False' || observed.status === 'Unknown') {
        const { add, opposite } = noExecuteTaintFor(observed.status)!;
        // Already tainted with the other one: swap right away, no need to queue.
        if (taintExists(node.spec?.taints, opposite)) await swapNodeTaints(this.api, node, [add], [opposite], now);
        else {
          const q = this.tainter(node);
          if (!taintExists(node.spec?.taints, add)) q.remove(name);
          q.add(name);
        }
      } else if (observed.status === 'True') await this.markNodeAsReachable(node);
    } catch (err) {
      log.warn({ node: name, err: errorMessage(err) }, 'updating NoExecute taints failed; retrying next pass');
    }
  }

  private async markNodeAsReachable(node: Node): Promise<void> {
    await swapNodeTaints(this.api, node, [], [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE], () => this.clock.now());
    this.tainter(node).remove(node.metadata?.name ?? '');
  }

  /** MarkPodsNotReady: the Ready condition of the node's pods becomes False. */
  private async markPodsNotReady(pods: Pod[], nodeName: string): Promise<void> {
    const errors: unknown[] = [];
    for (const pod of pods) {
      if (pod.spec?.nodeName !== nodeName) continue;
      const conditions = structuredClone(pod.status?.conditions ?? []);
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      ready.status = 'False';
      ready.lastTransitionTime = rfc3339(new Date(this.clock.now()));
      try {
        await this.api.update(PODS, pod.metadata?.namespace, { ...pod, status: { ...pod.status, conditions } }, 'status');
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
        continue;
      }
      this.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
    if (errors.length) throw errors[0];
  }

  /** handleDisruption applied: the zones' tainting rates, and master disruption mode. */
  private async applyDisruption(zoneConditions: Map<string, (NodeCondition | undefined)[]>, nodes: Node[]): Promise<void> {
    const d = handleDisruption(this.zoneStates, zoneConditions, this.disruption);
    if (d.enterMasterDisruption) {
      log.info('all nodes are not ready: entering master disruption mode, no evictions');
      for (const node of nodes) await this.markNodeAsReachable(node).catch((err) => log.warn({ err: errorMessage(err) }, 'removing taints failed'));
    }
    if (d.exitMasterDisruption) {
      log.info('some nodes are ready: exiting master disruption mode');
      const now = this.clock.now();
      for (const [name, h] of this.health) this.health.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
    }
    for (const [zone, qps] of d.rates) this.tainters.get(zone)?.swapLimiter(qps);
    this.zoneStates = d.states;
  }

  /** doNoExecuteTaintingPass: the queued nodes of every zone, at the zone's rate. */
  private async noExecuteTaintingPass(): Promise<void> {
    for (const q of this.tainters.values()) {
      await q.try(async (name) => {
        const node = this.nodes.store.get(name);
        if (!node) return true;
        const ready = nodeCondition(node, 'Ready');
        if (!ready) return 50;
        const t = noExecuteTaintFor(ready.status);
        // Ready again: nothing to taint.
        if (!t) return true;
        try {
          await swapNodeTaints(this.api, node, [t.add], [t.opposite], () => this.clock.now());
          return true;
        } catch (err) {
          log.debug({ node: name, err: errorMessage(err) }, 'tainting failed; retrying');
          return 0;
        }
      });
    }
  }

  /** doNoScheduleTaintingPass. */
  private async noScheduleTaintingPass(name: string): Promise<void> {
    const node = this.nodes.store.get(name);
    if (!node) return;
    const { add, remove } = noScheduleTaintChanges(node);
    if (add.length || remove.length) await swapNodeTaints(this.api, node, add, remove, () => this.clock.now());
  }

  /** processPod: a pod just bound to a node that is not ready is marked not ready too. */
  private async processPod(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const ready = this.health.get(nodeName)?.ready;
    if (!ready || !this.nodes.store.get(nodeName)) return;
    if (ready.status !== 'True') await this.markPodsNotReady([pod], nodeName);
  }
}

export function nodeLifecycleControllers(opts: NodeLifecycleOptions): Controller[] {
  return new NodeLifecycleController(opts).controllers;
}
