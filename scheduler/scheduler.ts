// The scheduler (kube-scheduler) as an API client: informers on pods (those not finished),
// nodes, namespaces (for affinity namespaceSelectors), claims and StorageClasses (for
// VolumeBinding), and the Services and controllers that default topology spreading needs; a
// scheduling queue fed by them; one scheduling cycle at a time (filter and score over the
// cache), then the binding through pods/binding in the background, with the pod assumed on
// its node meanwhile. A pod that fits nowhere gets PodScheduled=False (Unschedulable) and a
// FailedScheduling event; a bound one a Scheduled event. It runs while this process holds the
// kube-system/kube-scheduler Lease.
import { hostname } from 'node:os';
import { ApiClient, resourcePath, type ClientConfig, type ResourceRef } from '../controllers/runtime/client.ts';
import { errorMessage, isConflict, isNotFound } from '../controllers/runtime/errors.ts';
import { InformerFactory, type Informer } from '../controllers/runtime/informer.ts';
import { leadOrRun, type LeaderElectionOptions } from '../controllers/runtime/leaderelection.ts';
import { rfc3339 } from '../controllers/runtime/types.ts';
import { logger } from '../lib/logger.ts';
import { bindPodVolumes, PreBindError } from './volume-binding.ts';
import { PVCS, STORAGECLASSES, type PersistentVolumeClaim, type StorageClass } from '../controllers/volume/volume.ts';
import { defaultProfile, schedulePod, type Profile } from './algorithm.ts';
import { SchedulerCache } from './cache.ts';
import { EventRecorder } from './events.ts';
import { podKeyOf, podPriority, type PostFilterOutcome } from './framework.ts';
import { executePreemption } from './preemption/execute.ts';
import { Nominator } from './preemption/nominator.ts';
import type { PodDisruptionBudget } from './preemption/victims.ts';
import { compileLabelSelector, type Selector } from './labels.ts';
import { podKey, SchedulingQueue, type QueuedPodInfo, type QueueOptions } from './queue.ts';
import { DEFAULT_SCHEDULER_NAME, type LabelSelector, type Node, type Pod, type PodCondition } from './types.ts';

const log = logger.child({ component: 'scheduler' });

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
export const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' };
export const REPLICATIONCONTROLLERS: ResourceRef = { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' };
export const REPLICASETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, kind: 'ReplicaSet' };
export const STATEFULSETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, kind: 'StatefulSet' };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' };
export const PDBS: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true, kind: 'PodDisruptionBudget' };

/** Connections of the scheduler's event client. */
const EVENT_CONNECTIONS = 8;

/** How long the scheduling loop runs cycles back to back before yielding to the event loop. */
const CYCLES_SLICE_MS = 10;

/** The pods the scheduler watches: everything not finished (finished pods free their node). */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

export interface SchedulerOptions extends LeaderElectionOptions {
  /** How to reach the API server (or a ready client). */
  client: ApiClient | ClientConfig;
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  queue?: QueueOptions;
}

export interface Scheduler {
  readonly client: ApiClient;
  readonly identity: string;
  isLeader(): boolean;
  /** Resolves once the scheduler schedules (this process leads and its caches synced), or once stopped. */
  whenRunning(): Promise<void>;
  stop(): Promise<void>;
}

const assigned = (pod: Pod) => !!pod.spec?.nodeName;

/** Whether a node change may make a parked pod schedulable (upstream's preCheck, roughly). */
export function nodeSchedulingPropertiesChanged(oldNode: Node, newNode: Node): boolean {
  const j = (v: unknown) => JSON.stringify(v ?? null);
  if (j(oldNode.metadata?.labels) !== j(newNode.metadata?.labels)) return true;
  if (j(oldNode.spec?.taints) !== j(newNode.spec?.taints)) return true;
  if (!!oldNode.spec?.unschedulable !== !!newNode.spec?.unschedulable) return true;
  if (j(oldNode.status?.allocatable) !== j(newNode.status?.allocatable)) return true;
  const conds = (n: Node) => j((n.status?.conditions ?? []).map((c) => [c.type, c.status]));
  return conds(oldNode) !== conds(newNode);
}

interface Listers {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  services: Informer;
  rcs: Informer;
  rss: Informer;
  sss: Informer;
  namespaces: Informer;
  pdbs: Informer<PodDisruptionBudget>;
  pvcs: Informer<PersistentVolumeClaim>;
  storageClasses: Informer<StorageClass>;
}

/** helper.DefaultSelector: the selectors of the Services and the controller selecting the pod, ANDed. */
export function defaultSelectorFor(pod: Pod, l: Pick<Listers, 'services' | 'rcs' | 'rss' | 'sss'>): Selector | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const labels = pod.metadata?.labels ?? {};
  const parts: NonNullable<Selector>[] = [];
  const fromMap = (m: Record<string, string>) => compileLabelSelector({ matchLabels: m })!;
  for (const svc of l.services.store.listByNamespace(ns)) {
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    const s = fromMap(sel);
    if (s(labels)) parts.push(s);
  }
  const owner = (pod.metadata?.ownerReferences ?? []).find((o) => o.controller);
  if (owner) {
    if (owner.kind === 'ReplicationController') {
      const rc = l.rcs.store.getByName(ns, owner.name);
      const sel = (rc?.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (sel && Object.keys(sel).length) parts.push(fromMap(sel));
    } else if (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet') {
      const obj = (owner.kind === 'ReplicaSet' ? l.rss : l.sss).store.getByName(ns, owner.name);
      const sel = compileLabelSelector((obj?.spec as { selector?: LabelSelector } | undefined)?.selector);
      if (sel) parts.push(sel);
    }
  }
  if (parts.length === 0) return undefined;
  return (ls) => parts.every((p) => p(ls));
}

/** The scheduling half that runs while leading: informers, cache, queue and the loop. */
class SchedulerCore {
  readonly queue: SchedulingQueue;
  readonly cache = new SchedulerCache();
  private readonly factory: InformerFactory;
  private readonly listers: Listers;
  private readonly profile: Profile;
  private readonly recorder: EventRecorder;
  /**
   * Events go through a client of their own, as kube-scheduler's event client, with few
   * connections: a burst of Scheduled events must not hold up the bindings.
   */
  private readonly eventClient: ApiClient;
  private readonly cursor = { next: 0 };
  private readonly bindings = new Set<Promise<void>>();
  /** Pods nominated to nodes where their victims are terminating. */
  private readonly nominator = new Nominator();
  private readonly preemptions = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    opts: { schedulerName: string; percentageOfNodesToScore?: number; queue?: QueueOptions },
  ) {
    this.factory = new InformerFactory(client);
    this.listers = {
      pods: this.factory.informer<Pod>(PODS, { fieldSelector: POD_FIELD_SELECTOR }),
      nodes: this.factory.informer<Node>(NODES),
      services: this.factory.informer(SERVICES),
      rcs: this.factory.informer(REPLICATIONCONTROLLERS),
      rss: this.factory.informer(REPLICASETS),
      sss: this.factory.informer(STATEFULSETS),
      namespaces: this.factory.informer(NAMESPACES),
      pdbs: this.factory.informer<PodDisruptionBudget>(PDBS),
      pvcs: this.factory.informer<PersistentVolumeClaim>(PVCS),
      storageClasses: this.factory.informer<StorageClass>(STORAGECLASSES),
    };
    this.profile = defaultProfile({
      schedulerName: opts.schedulerName,
      percentageOfNodesToScore: opts.percentageOfNodesToScore,
      defaultSelector: (pod) => defaultSelectorFor(pod, this.listers),
      namespaceLabels: (ns) => this.listers.namespaces.store.getByName(undefined, ns)?.metadata?.labels,
      preemption: { pdbs: () => this.listers.pdbs.store.list() },
      volumes: {
        claim: (ns, name) => this.listers.pvcs.store.getByName(ns, name),
        storageClass: (name) => this.listers.storageClasses.store.getByName(undefined, name),
      },
    });
    this.queue = new SchedulingQueue(opts.queue);
    this.eventClient = new ApiClient({ ...client.config, maxConnections: EVENT_CONNECTIONS });
    this.recorder = new EventRecorder({ api: this.eventClient, component: opts.schedulerName, instance: `${opts.schedulerName}-${hostname()}` });
  }

  private responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.profile.schedulerName;
  }

  private wire(): void {
    const { queue, cache } = this;
    this.listers.pods.addEventHandler({
      add: (pod) => {
        if (assigned(pod)) {
          cache.addPod(pod);
          queue.moveAllToActiveOrBackoff('AssignedPodAdd');
        } else if (this.responsible(pod)) {
          this.nominator.add(pod);
          queue.add(pod);
        }
      },
      update: (oldPod, pod) => {
        if (assigned(pod)) {
          const wasAssigned = assigned(oldPod);
          if (!wasAssigned) {
            queue.delete(pod);
            this.nominator.delete(pod);
          }
          const wasAssumed = cache.isAssumed(pod);
          cache.updatePod(pod);
          // A pod newly placed (by someone else) or relabeled may satisfy (anti-)affinity or spreading.
          if (!wasAssigned && !wasAssumed) queue.moveAllToActiveOrBackoff('AssignedPodAdd');
          else if (wasAssigned && JSON.stringify(oldPod.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {})) queue.moveAllToActiveOrBackoff('AssignedPodUpdate');
        } else if (this.responsible(pod)) {
          this.nominator.update(oldPod, pod);
          queue.update(oldPod, pod);
        }
      },
      delete: (pod) => {
        this.nominator.delete(pod);
        if (assigned(pod) || cache.isAssumed(pod)) {
          cache.removePod(pod);
          queue.moveAllToActiveOrBackoff('AssignedPodDelete');
        } else queue.delete(pod);
      },
    });
    this.listers.nodes.addEventHandler({
      add: (node) => {
        cache.addNode(node);
        queue.moveAllToActiveOrBackoff('NodeAdd');
      },
      update: (oldNode, node) => {
        cache.updateNode(node);
        if (nodeSchedulingPropertiesChanged(oldNode, node)) queue.moveAllToActiveOrBackoff('NodeUpdate');
      },
      delete: (node) => cache.removeNode(node),
    });
    // A claim created or bound, or a class created, may unblock pods VolumeBinding rejected.
    this.listers.pvcs.addEventHandler({
      add: () => queue.moveAllToActiveOrBackoff('PersistentVolumeClaimAdd'),
      update: () => queue.moveAllToActiveOrBackoff('PersistentVolumeClaimUpdate'),
    });
    this.listers.storageClasses.addEventHandler({
      add: () => queue.moveAllToActiveOrBackoff('StorageClassAdd'),
      update: () => queue.moveAllToActiveOrBackoff('StorageClassUpdate'),
    });
  }

  async start(): Promise<void> {
    this.wire();
    this.factory.start();
    await this.factory.waitForSync();
    if (this.stopped) return;
    this.queue.run();
    this.loop = this.run();
    log.info({ nodes: this.cache.nodeCount() }, 'scheduler started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.close();
    await this.factory.stop();
    await this.loop;
    await Promise.all([...this.bindings, ...this.preemptions]);
    await this.recorder.flush();
    this.eventClient.close();
  }

  private async run(): Promise<void> {
    let slice = performance.now();
    for (;;) {
      const info = await this.queue.pop();
      if (!info || this.stopped) return;
      try {
        this.scheduleOne(info);
      } catch (err) {
        log.error({ err, pod: info.key }, 'scheduling cycle failed');
        this.queue.requeueFailed(info, this.queue.schedulingCycle(), false);
      }
      // Let informer events and bindings in between cycles, every few milliseconds: one cycle
      // per event-loop turn would starve the scheduler behind a busy API server in this process.
      if (performance.now() - slice >= CYCLES_SLICE_MS) {
        await new Promise<void>((r) => setImmediate(r));
        slice = performance.now();
      }
    }
  }

  /** The latest copy of the pod from the informer (undefined when deleted). */
  private current(pod: Pod): Pod | undefined {
    return this.listers.pods.store.getByName(pod.metadata?.namespace, pod.metadata?.name ?? '');
  }

  /** One scheduling cycle (synchronous; the binding continues in the background). */
  scheduleOne(info: QueuedPodInfo): void {
    const cycle = this.queue.schedulingCycle();
    const pod = this.current(info.pod) ?? info.pod;
    if (!this.current(info.pod) || pod.metadata?.deletionTimestamp || assigned(pod) || this.cache.isAssumed(pod)) {
      this.queue.done(info.key);
      return;
    }
    const result = schedulePod(this.profile, pod, this.cache.nodeList(), { cursor: this.cursor, nominated: (node) => this.nominator.podsOn(node) });
    if (result.kind !== 'scheduled') {
      const message = result.kind === 'unschedulable' ? result.error.message : result.message;
      const plugins = result.kind === 'unschedulable' ? [...result.error.statuses.values()].map((s) => s.plugin ?? '').filter((p) => p) : [];
      const nominated = result.kind === 'unschedulable' ? this.nominate(pod, result.postFilter) : undefined;
      this.failed(info, cycle, 'Unschedulable', message, plugins, nominated);
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec, nodeName: result.node } };
    this.nominator.delete(pod);
    this.cache.assumePod(assumed);
    this.queue.done(info.key);
    const p = this.bind(info, assumed, result.node, cycle).finally(() => this.bindings.delete(p));
    this.bindings.add(p);
  }

  /**
   * Applies the PostFilter outcome: the pod's nomination, and the preemption it calls for
   * (carried out in the background; the victims' deletions requeue the pod). Returns the
   * nominatedNodeName to write ('' clears it), or undefined to leave it.
   */
  private nominate(pod: Pod, outcome: PostFilterOutcome | undefined): string | undefined {
    const node = outcome?.nominatedNode;
    if (node === undefined) return undefined;
    if (!node) {
      this.nominator.delete(pod);
      return '';
    }
    const prio = podPriority(pod);
    const displaced = this.nominator.podsOn(node).filter((p) => podPriority(p) < prio && podKeyOf(p) !== podKeyOf(pod));
    for (const p of displaced) this.nominator.delete(p);
    this.nominator.add(pod, node);
    const p = executePreemption({ client: this.client, recorder: this.recorder, pods: PODS }, pod, node, outcome?.victims ?? [], displaced).finally(() => this.preemptions.delete(p));
    this.preemptions.add(p);
    return node;
  }

  private async bind(info: QueuedPodInfo, pod: Pod, node: string, cycle: number): Promise<void> {
    const m = pod.metadata ?? {};
    try {
      await bindPodVolumes(this.client, pod, node, { cancelled: () => this.stopped || !this.current(pod) });
      await this.client.request('POST', resourcePath(PODS, m.namespace, m.name ?? '', 'binding'), {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: m.name, namespace: m.namespace, uid: m.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    } catch (err) {
      this.cache.forgetPod(pod);
      this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
      if (this.stopped) return;
      if (isNotFound(err) || (isConflict(err) && /already assigned|being deleted/.test(errorMessage(err)))) {
        log.debug({ pod: info.key, err: errorMessage(err) }, 'binding refused; the pod moved on');
        return;
      }
      log.info({ pod: info.key, node, err: errorMessage(err) }, 'binding failed');
      this.failed(info, cycle, 'SchedulerError', err instanceof PreBindError ? err.message : `binding rejected: running Bind plugin "DefaultBinder": ${errorMessage(err)}`);
      return;
    }
    log.debug({ pod: info.key, node }, 'bound');
    this.recorder.event(pod, 'Normal', 'Scheduled', 'Binding', `Successfully assigned ${m.namespace}/${m.name} to ${node}`);
  }

  /** handleSchedulingFailure: re-queue, a FailedScheduling event and the PodScheduled=False condition. */
  private failed(info: QueuedPodInfo, cycle: number, reason: 'Unschedulable' | 'SchedulerError', message: string, plugins: string[] = [], nominatedNode?: string): void {
    const latest = this.current(info.pod);
    if (!latest || assigned(latest)) {
      this.queue.done(info.key);
      return;
    }
    this.queue.requeueFailed(info, cycle, reason === 'Unschedulable', plugins);
    log.debug({ pod: info.key, reason, message }, 'unable to schedule pod');
    this.recorder.event(latest, 'Warning', 'FailedScheduling', 'Scheduling', message);
    void this.setUnschedulable(latest, reason, message, nominatedNode);
  }

  /** The PodScheduled=False condition and, when given, status.nominatedNodeName ('' clears it). */
  private async setUnschedulable(pod: Pod, reason: string, message: string, nominatedNode?: string): Promise<void> {
    const existing = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const nominationChanges = nominatedNode !== undefined && nominatedNode !== (pod.status?.nominatedNodeName ?? '');
    if (!nominationChanges && existing && existing.status === 'False' && existing.reason === reason && existing.message === message) return;
    const cond: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(new Date()),
      reason,
      message,
    };
    const m = pod.metadata ?? {};
    try {
      await this.client.request('PATCH', resourcePath(PODS, m.namespace, m.name ?? '', 'status'), {
        body: { metadata: { uid: m.uid }, status: { conditions: [cond], ...(nominationChanges ? { nominatedNodeName: nominatedNode || null } : {}) } },
        contentType: 'application/strategic-merge-patch+json',
      });
    } catch (err) {
      log.debug({ pod: podKey(pod), err: errorMessage(err) }, 'updating the PodScheduled condition failed');
    }
  }
}

/** Starts the scheduler (leader-elected through kube-system/kube-scheduler unless leaderElect is false). */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  const client = opts.client instanceof ApiClient ? opts.client : new ApiClient({ userAgent: 'kube-scheduler/k8ts', ...opts.client });
  const ownsClient = !(opts.client instanceof ApiClient);
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  let core: SchedulerCore | undefined;
  let starting: Promise<void> | undefined;
  let started = false;
  const waiters: (() => void)[] = [];
  let identity = opts.identity ?? '';

  const onStart = () => {
    const c = new SchedulerCore(client, { schedulerName, percentageOfNodesToScore: opts.percentageOfNodesToScore, queue: opts.queue });
    core = c;
    starting = c
      .start()
      .then(() => {
        if (core !== c) return;
        started = true;
        for (const w of waiters.splice(0)) w();
      })
      .catch((err) => log.error({ err }, 'starting the scheduler failed'));
  };
  const onStop = async () => {
    const c = core;
    core = undefined;
    started = false;
    await c?.stop();
    await starting;
  };

  const elector = leadOrRun(client, opts, 'kube-scheduler', onStart, onStop);
  if (elector) identity = elector.identity;

  let stopping: Promise<void> | undefined;
  return {
    client,
    identity,
    isLeader: () => (elector ? elector.isLeader() : true),
    whenRunning: () => (started ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    stop() {
      stopping ??= (async () => {
        if (elector) await elector.stop();
        await onStop();
        for (const w of waiters.splice(0)) w();
        if (ownsClient) client.close();
      })();
      return stopping;
    },
  };
}

