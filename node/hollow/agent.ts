// Hollow node agents (as KWOK): each registers a Node, renews its Lease in kube-node-lease
// every 10 s, reports node status every minute, and plays the kubelet for the pods bound to
// it without running anything (pod-lifecycle.ts decides what they do). Many nodes in one
// process share one API client, one pod informer and one work queue. When the agents stop,
// nothing more is reported: the node lifecycle controller is what marks such nodes NotReady.
import { randomUUID } from 'node:crypto';
import { ApiClient, type ClientConfig, type ResourceRef } from '../../controllers/runtime/client.ts';
import { realClock, type Clock, type TimerHandle } from '../../controllers/runtime/clock.ts';
import { Controller } from '../../controllers/runtime/controller.ts';
import { errorMessage, isAlreadyExists, isConflict, isNotFound } from '../../controllers/runtime/errors.ts';
import { InformerFactory, type Informer } from '../../controllers/runtime/informer.ts';
import { LEASES } from '../../controllers/runtime/leaderelection.ts';
import { WorkQueue } from '../../controllers/runtime/queue.ts';
import { objectKey, rfc3339Micro, type KubeObject } from '../../controllers/runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { indexFromName, nodeInternalIP, nodePodCIDR, PodIPAllocator } from './ipam.ts';
import { nodeLabels, nodeObject, nodeStatus, type HollowCapacity, type HollowNodeSpec } from './node-object.ts';
import { adoptRuntime, advance, DEFAULT_TIMING, newRuntime, renderStatus, type HollowTiming, type PodRuntime } from './pod-lifecycle.ts';
import { encodeUsageReport, USAGE_ANNOTATION } from '../../api/metrics/usage-report.ts';
import { ensureIndex } from '../../controllers/runtime/controller-ref.ts';
import { usageReport } from './usage.ts';

const log = logger.child({ component: 'hollow-node' });

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_NAME_INDEX = 'nodeName';

export interface HollowNodesOptions {
  client: ApiClient | ClientConfig;
  /** The nodes to run, e.g. hollow-0 … hollow-N-1. */
  names: string[];
  /**
   * Node i's index (its InternalIP 127.0.0.<index+2> and pod range 10.244.<index>.0/24) is
   * firstIndex + i; default: the number ending the name (hollow-7 → 7). Agents sharing a
   * cluster need distinct ranges.
   */
  firstIndex?: number;
  capacity?: Partial<HollowCapacity>;
  labels?: Record<string, string>;
  taints?: HollowNodeSpec['taints'];
  timing?: Partial<HollowTiming>;
  /** Default 40 (a kubelet's). */
  leaseDurationSeconds?: number;
  /** Default 10 s. */
  leaseRenewMs?: number;
  /** Default 60 s. */
  statusUpdateMs?: number;
  /** Pod workers shared by the nodes (default 8 per node, at most 64: a kubelet works on its pods in parallel). */
  workers?: number;
  clock?: Clock;
}

export interface HollowNodes {
  readonly client: ApiClient;
  readonly names: string[];
  /** Resolves once every node is registered and its pod informer synced. */
  whenReady(): Promise<void>;
  stop(): Promise<void>;
}

type J = Record<string, any>;

/** Key order does not matter when comparing statuses. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val));
}

/** One hollow node: registration, heartbeats and its pods' runtimes. */
class HollowNode {
  readonly spec: HollowNodeSpec;
  readonly hostIP: string;
  readonly bootID = randomUUID();
  readonly ips: PodIPAllocator;
  readonly runtimes = new Map<string, PodRuntime & { lastWritten?: string }>();
  private uid = '';
  private timers: TimerHandle[] = [];
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    spec: HollowNodeSpec,
  ) {
    this.spec = spec;
    this.hostIP = nodeInternalIP(spec.index);
    this.ips = new PodIPAllocator(nodePodCIDR(spec.index));
  }

  get name(): string {
    return this.spec.name;
  }

  private get api(): ApiClient {
    return this.pool.client;
  }

  /** Registers the Node (or takes over an existing one), then reports its status once. */
  async register(): Promise<void> {
    let delay = 200;
    while (!this.stopped) {
      try {
        const now = new Date(this.pool.clock.now());
        let node: KubeObject;
        try {
          node = await this.api.create(NODES, undefined, nodeObject(this.spec, now, this.bootID));
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const cur = await this.api.get(NODES, undefined, this.name);
          const meta = cur.metadata ?? {};
          const spec = { ...((cur.spec as J) ?? {}) };
          if (!spec.podCIDR) {
            spec.podCIDR = nodePodCIDR(this.spec.index);
            spec.podCIDRs = [spec.podCIDR];
          }
          node = await this.api.update(NODES, undefined, { ...cur, metadata: { ...meta, labels: { ...(meta.labels ?? {}), ...nodeLabels(this.spec) } }, spec });
        }
        this.uid = node.metadata?.uid ?? '';
        await this.reportStatus(node);
        log.info({ node: this.name }, 'hollow node registered');
        return;
      } catch (err) {
        log.debug({ node: this.name, err: errorMessage(err) }, 'registering the node failed; retrying');
        await this.pool.clock.sleep(delay);
        delay = Math.min(delay * 2, 7000);
      }
    }
  }

  /** Starts the Lease renewals and the periodic status reports. */
  startHeartbeats(): void {
    const every = (ms: number, fn: () => Promise<void>) => {
      const tick = () => {
        if (this.stopped) return;
        void fn()
          .catch((err) => log.debug({ node: this.name, err: errorMessage(err) }, 'heartbeat failed'))
          .finally(() => {
            if (!this.stopped) this.timers.push(this.pool.clock.after(ms, tick));
          });
      };
      tick();
    };
    every(this.pool.leaseRenewMs, () => this.renewLease());
    this.timers.push(this.pool.clock.after(this.pool.statusUpdateMs, () => every(this.pool.statusUpdateMs, () => this.reportStatus())));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  async renewLease(): Promise<void> {
    const renewTime = rfc3339Micro(new Date(this.pool.clock.now()));
    try {
      const lease = await this.api.get(LEASES, NODE_LEASE_NAMESPACE, this.name);
      const spec = { ...((lease.spec as J) ?? {}), holderIdentity: this.name, leaseDurationSeconds: this.pool.leaseDurationSeconds, renewTime };
      const metadata = { ...lease.metadata, annotations: { ...lease.metadata?.annotations, ...this.usageAnnotation() } };
      await this.api.update(LEASES, NODE_LEASE_NAMESPACE, { ...lease, metadata, spec });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const owner = this.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.uid }] : undefined;
      await this.api.create(LEASES, NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: owner, annotations: this.usageAnnotation() },
        spec: { holderIdentity: this.name, leaseDurationSeconds: this.pool.leaseDurationSeconds, renewTime },
      });
    }
  }

  /** The resource usage of the node and its running pods, reported with each Lease renewal (the metrics API serves it). */
  usageAnnotation(): Record<string, string> {
    const running = this.pool.pods.store.byIndex(NODE_NAME_INDEX, this.name).filter((p) => this.runtimes.get(String(p.metadata?.uid ?? ''))?.state === 'running');
    return { [USAGE_ANNOTATION]: encodeUsageReport(usageReport(running, this.pool.clock.now(), this.pool.leaseRenewMs)) };
  }

  /** PUT nodes/<name>/status with fresh conditions. */
  async reportStatus(current?: KubeObject): Promise<void> {
    const cur = current ?? (await this.api.get(NODES, undefined, this.name));
    const status = nodeStatus(this.spec, new Date(this.pool.clock.now()), this.bootID, cur);
    await this.api.update(NODES, undefined, { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, status }, 'status');
  }

  /** Plays the kubelet for one pod; returns when to look at it again (ms), if ever. */
  async syncPod(pod: J): Promise<number | undefined> {
    const uid = String(pod.metadata?.uid ?? '');
    const now = this.pool.clock.now();
    let rt = this.runtimes.get(uid);
    if (!rt) {
      rt = pod.status?.startTime ? adoptRuntime(pod, now) : newRuntime(uid, now);
      if (rt.ip && !this.ips.reserve(uid, rt.ip)) rt.ip = undefined;
      this.runtimes.set(uid, rt);
    }
    const adv = advance(pod, rt, this.pool.timing, now, () => this.ips.allocate(uid));
    if (adv.delete) {
      // Grace 0 already: the server removes the pod once its finalizers are gone.
      if (pod.metadata?.deletionGracePeriodSeconds !== 0) await this.confirmDeletion(pod);
      return undefined;
    }
    if (rt.state === 'terminal') this.ips.release(uid);
    if (!rt.frozen) await this.writeStatus(pod, rt, now);
    return adv.nextAt === undefined ? undefined : Math.max(0, adv.nextAt - now);
  }

  private async writeStatus(pod: J, rt: PodRuntime & { lastWritten?: string }, now: number): Promise<void> {
    let current = pod;
    for (let attempt = 0; attempt < 3; attempt++) {
      const status = renderStatus(current, rt, this.hostIP, now);
      const want = canonical(status);
      if (want === canonical(current.status ?? {}) || want === rt.lastWritten) return;
      try {
        await this.api.update(PODS, current.metadata?.namespace, { ...current, status } as KubeObject, 'status');
        rt.lastWritten = want;
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        current = await this.api.get(PODS, pod.metadata?.namespace, pod.metadata?.name);
        if (current.metadata?.uid !== pod.metadata?.uid) return;
      }
    }
  }

  /** The containers are gone: delete the pod for good (grace 0, this uid only). */
  private async confirmDeletion(pod: J): Promise<void> {
    try {
      await this.api.delete(PODS, pod.metadata?.namespace, pod.metadata?.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.ips.release(String(pod.metadata?.uid ?? ''));
  }

  forget(uid: string): void {
    this.runtimes.delete(uid);
    this.ips.release(uid);
  }
}

class Pool {
  readonly client: ApiClient;
  readonly clock: Clock;
  readonly timing: HollowTiming;
  readonly leaseDurationSeconds: number;
  readonly leaseRenewMs: number;
  readonly statusUpdateMs: number;
  readonly nodes = new Map<string, HollowNode>();
  readonly factory: InformerFactory;
  readonly pods: Informer;
  readonly controller: Controller;

  constructor(
    readonly opts: HollowNodesOptions,
    client: ApiClient,
  ) {
    this.client = client;
    this.clock = opts.clock ?? realClock;
    this.timing = { ...DEFAULT_TIMING, ...(opts.timing ?? {}) };
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 40;
    this.leaseRenewMs = opts.leaseRenewMs ?? 10_000;
    this.statusUpdateMs = opts.statusUpdateMs ?? 60_000;
    this.factory = new InformerFactory(client, { clock: this.clock });
    // One node watches its own pods; many share a watch of every bound pod.
    const fieldSelector = opts.names.length === 1 ? `spec.nodeName=${opts.names[0]}` : 'spec.nodeName!=';
    this.pods = this.factory.informer(PODS, { fieldSelector });
    ensureIndex(this.pods.store, NODE_NAME_INDEX, (pod) => [String((pod.spec as J | undefined)?.nodeName ?? '')]);
    this.controller = new Controller({
      name: 'hollow-pods',
      workers: opts.workers ?? Math.min(64, 8 * opts.names.length),
      queue: new WorkQueue<string>({ name: 'hollow-pods', clock: this.clock }),
      reconcile: (key) => this.reconcile(key),
    });
  }

  private nodeOf(pod: J): HollowNode | undefined {
    return this.nodes.get(String(pod.spec?.nodeName ?? ''));
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const pod = this.pods.store.get(key) as J | undefined;
    if (!pod) return;
    const node = this.nodeOf(pod);
    if (!node) return;
    const next = await node.syncPod(pod);
    return next === undefined ? undefined : { requeueAfterMs: next };
  }

  wire(): void {
    this.pods.addEventHandler({
      add: (pod) => {
        if (this.nodeOf(pod)) this.controller.enqueue(objectKey(pod));
      },
      update: (_old, pod) => {
        if (this.nodeOf(pod)) this.controller.enqueue(objectKey(pod));
      },
      delete: (pod) => this.nodeOf(pod)?.forget(String(pod.metadata?.uid ?? '')),
    });
  }
}

/** Registers and runs hollow nodes in this process. */
export function startHollowNodes(opts: HollowNodesOptions): HollowNodes {
  const client = opts.client instanceof ApiClient ? opts.client : new ApiClient({ userAgent: 'kubelet/k8ts-hollow', ...opts.client });
  const ownsClient = !(opts.client instanceof ApiClient);
  const pool = new Pool(opts, client);
  let stopped = false;

  const ready = (async () => {
    const kubeletVersion = await serverVersion(client, pool.clock, () => stopped);
    for (const [i, name] of opts.names.entries()) {
      const index = opts.firstIndex !== undefined ? opts.firstIndex + i : indexFromName(name);
      pool.nodes.set(name, new HollowNode(pool, { name, index, kubeletVersion, capacity: opts.capacity, labels: opts.labels, taints: opts.taints }));
    }
    // Register a few at a time (thousands of nodes must not stampede the server).
    const queue = [...pool.nodes.values()];
    await Promise.all(
      Array.from({ length: Math.min(16, queue.length) }, async () => {
        for (let n = queue.shift(); n && !stopped; n = queue.shift()) {
          await n.register();
          n.startHeartbeats();
        }
      }),
    );
    if (stopped) return;
    pool.wire();
    pool.factory.start();
    pool.controller.start();
    await pool.factory.waitForSync();
  })().catch((err) => log.error({ err }, 'hollow nodes failed to start'));

  let stopping: Promise<void> | undefined;
  return {
    client,
    names: [...opts.names],
    whenReady: () => ready,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const n of pool.nodes.values()) n.stop();
        await pool.factory.stop();
        await pool.controller.stop();
        await ready;
        if (ownsClient) client.close();
      })();
      return stopping;
    },
  };
}

/** The API server's gitVersion (a kubelet reports the control plane's version here). */
async function serverVersion(client: ApiClient, clock: Clock, stopped: () => boolean): Promise<string> {
  let delay = 200;
  while (!stopped()) {
    try {
      const v = await client.request<{ gitVersion?: string }>('GET', '/version');
      return v.gitVersion ?? 'v0.0.0';
    } catch (err) {
      log.debug({ err: errorMessage(err) }, 'reading /version failed; retrying');
      await clock.sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
  return 'v0.0.0';
}

/** `hollow-0` … `hollow-<n-1>`. */
export function hollowNodeNames(n: number, prefix = 'hollow-', start = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${start + i}`);
}

