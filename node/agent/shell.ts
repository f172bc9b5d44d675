// The node agent shell every runtime shares (the kubelet's outer loop): each node registers
// its Node (or takes over an existing one), renews its Lease in kube-node-lease, reports node
// status periodically, and is handed the pods bound to it through one pod informer and one
// work queue shared by all the nodes of the process. What a node does with its pods is the
// runtime's business (AgentNode.syncPod): hollow nodes pretend, process nodes run them.
import { randomUUID } from 'node:crypto';
import { ApiClient, type ClientConfig, type ResourceRef } from '../../controllers/runtime/client.ts';
import { realClock, type Clock, type TimerHandle } from '../../controllers/runtime/clock.ts';
import { Controller } from '../../controllers/runtime/controller.ts';
import { ensureIndex } from '../../controllers/runtime/controller-ref.ts';
import { errorMessage, isAlreadyExists, isConflict, isNotFound } from '../../controllers/runtime/errors.ts';
import { InformerFactory, type Informer } from '../../controllers/runtime/informer.ts';
import { LEASES } from '../../controllers/runtime/leaderelection.ts';
import { WorkQueue } from '../../controllers/runtime/queue.ts';
import { objectKey, rfc3339Micro, type KubeObject } from '../../controllers/runtime/types.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'node-agent' });

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_NAME_INDEX = 'nodeName';

type J = Record<string, any>;

/** Key order does not matter when comparing statuses. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : val));
}

export interface ShellOptions {
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

/** One node: registration, heartbeats, and (in the subclass) what happens to its pods. */
export abstract class AgentNode {
  readonly bootID = randomUUID();
  private uid = '';
  private timers: TimerHandle[] = [];
  protected stopped = false;

  constructor(
    protected readonly shell: AgentShell,
    readonly name: string,
  ) {}

  /** The Node to register. */
  abstract nodeObject(now: Date): KubeObject;
  /** The node's status now (`previous`: the Node as stored, for condition transition times). */
  abstract nodeStatus(now: Date, previous: KubeObject): Record<string, unknown>;
  /** Brings one bound pod towards what its spec asks; resolves with when to look at it again (ms), if ever. */
  abstract syncPod(pod: J): Promise<number | undefined>;
  /** The pod is gone from the API. */
  abstract forget(uid: string): void;

  /** Annotations sent with each Lease renewal (e.g. usage reports). */
  leaseAnnotations(): Record<string, string> {
    return {};
  }

  protected get api(): ApiClient {
    return this.shell.client;
  }

  protected get clock(): Clock {
    return this.shell.clock;
  }

  /** The pods bound to this node, as the informer has them. */
  protected pods(): J[] {
    return this.shell.pods.store.byIndex(NODE_NAME_INDEX, this.name);
  }

  /** Asks for syncPod on this pod again soon. */
  protected requeue(pod: J): void {
    this.shell.controller.enqueue(objectKey(pod as KubeObject));
  }

  /** Registers the Node (or takes over an existing one), then reports its status once. */
  async register(): Promise<void> {
    let delay = 200;
    while (!this.stopped) {
      try {
        const now = new Date(this.clock.now());
        const want = this.nodeObject(now);
        let node: KubeObject;
        try {
          node = await this.api.create(NODES, undefined, want);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const cur = await this.api.get(NODES, undefined, this.name);
          const meta = cur.metadata ?? {};
          const spec = { ...((cur.spec as J) ?? {}) };
          const wantSpec = (want.spec as J | undefined) ?? {};
          // podCIDR may only go from unset to set.
          if (!spec.podCIDR && wantSpec.podCIDR) {
            spec.podCIDR = wantSpec.podCIDR;
            spec.podCIDRs = wantSpec.podCIDRs;
          }
          node = await this.api.update(NODES, undefined, { ...cur, metadata: { ...meta, labels: { ...(meta.labels ?? {}), ...(want.metadata?.labels ?? {}) } }, spec });
        }
        this.uid = node.metadata?.uid ?? '';
        await this.reportStatus(node);
        log.info({ node: this.name }, 'node registered');
        return;
      } catch (err) {
        log.debug({ node: this.name, err: errorMessage(err) }, 'registering the node failed; retrying');
        await this.clock.sleep(delay);
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
            if (!this.stopped) this.timers.push(this.clock.after(ms, tick));
          });
      };
      tick();
    };
    every(this.shell.leaseRenewMs, () => this.renewLease());
    this.timers.push(this.clock.after(this.shell.statusUpdateMs, () => every(this.shell.statusUpdateMs, () => this.reportStatus())));
  }

  /** Stops registering and the heartbeats. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  /** After stop() and once no syncPod runs any more: runtimes that hold resources (processes) release them. */
  async release(): Promise<void> {}

  async renewLease(): Promise<void> {
    const renewTime = rfc3339Micro(new Date(this.clock.now()));
    const leaseDurationSeconds = this.shell.leaseDurationSeconds;
    try {
      const lease = await this.api.get(LEASES, NODE_LEASE_NAMESPACE, this.name);
      const spec = { ...((lease.spec as J) ?? {}), holderIdentity: this.name, leaseDurationSeconds, renewTime };
      const metadata = { ...lease.metadata, annotations: { ...lease.metadata?.annotations, ...this.leaseAnnotations() } };
      await this.api.update(LEASES, NODE_LEASE_NAMESPACE, { ...lease, metadata, spec });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const owner = this.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.uid }] : undefined;
      const annotations = this.leaseAnnotations();
      await this.api.create(LEASES, NODE_LEASE_NAMESPACE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: owner, ...(Object.keys(annotations).length ? { annotations } : {}) },
        spec: { holderIdentity: this.name, leaseDurationSeconds, renewTime },
      });
    }
  }

  /** PUT nodes/<name>/status with fresh conditions. */
  async reportStatus(current?: KubeObject): Promise<void> {
    const cur = current ?? (await this.api.get(NODES, undefined, this.name));
    const status = this.nodeStatus(new Date(this.clock.now()), cur);
    await this.api.update(NODES, undefined, { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, status }, 'status');
  }

  /**
   * PUT pods/<name>/status with what render() makes of the pod, unless that is what the server
   * has or what was last written (`memo`); a conflict re-reads the pod and renders again.
   */
  protected async writePodStatus(pod: J, render: (current: J) => J, memo: { lastWritten?: string }): Promise<void> {
    let current = pod;
    for (let attempt = 0; attempt < 3; attempt++) {
      const status = render(current);
      const want = canonical(status);
      if (want === canonical(current.status ?? {}) || want === memo.lastWritten) return;
      try {
        await this.api.update(PODS, current.metadata?.namespace, { ...current, status } as KubeObject, 'status');
        memo.lastWritten = want;
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
        current = await this.api.get(PODS, pod.metadata?.namespace, pod.metadata?.name);
        if (current.metadata?.uid !== pod.metadata?.uid) return;
      }
    }
  }

  /** The pod's containers are gone: delete it for good (grace 0, this uid only). */
  protected async confirmDeletion(pod: J): Promise<void> {
    try {
      await this.api.delete(PODS, pod.metadata?.namespace, pod.metadata?.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

/** The nodes of one process, with the API client, pod informer and work queue they share. */
export class AgentShell {
  readonly clock: Clock;
  readonly leaseDurationSeconds: number;
  readonly leaseRenewMs: number;
  readonly statusUpdateMs: number;
  readonly nodes = new Map<string, AgentNode>();
  readonly factory: InformerFactory;
  readonly pods: Informer;
  readonly controller: Controller;

  constructor(
    readonly client: ApiClient,
    nodeNames: string[],
    opts: ShellOptions,
    component: string,
  ) {
    this.clock = opts.clock ?? realClock;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 40;
    this.leaseRenewMs = opts.leaseRenewMs ?? 10_000;
    this.statusUpdateMs = opts.statusUpdateMs ?? 60_000;
    this.factory = new InformerFactory(client, { clock: this.clock });
    // One node watches its own pods; many share a watch of every bound pod.
    const fieldSelector = nodeNames.length === 1 ? `spec.nodeName=${nodeNames[0]}` : 'spec.nodeName!=';
    this.pods = this.factory.informer(PODS, { fieldSelector });
    ensureIndex(this.pods.store, NODE_NAME_INDEX, (pod) => [String((pod.spec as J | undefined)?.nodeName ?? '')]);
    this.controller = new Controller({
      name: component,
      workers: opts.workers ?? Math.min(64, 8 * nodeNames.length),
      queue: new WorkQueue<string>({ name: component, clock: this.clock }),
      reconcile: (key) => this.reconcile(key),
    });
  }

  private nodeOf(pod: J): AgentNode | undefined {
    return this.nodes.get(String(pod.spec?.nodeName ?? ''));
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const pod = this.pods.store.get(key) as J | undefined;
    if (!pod) return;
    const node = this.nodeOf(pod);
    if (!node) return;
    const next = await node.syncPod(pod);
    return next === undefined ? undefined : { requeueAfterMs: next };
  }

  private wire(): void {
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

  /** Registers the nodes (a few at a time: thousands must not stampede the server), then starts the pod loop. */
  async start(isStopped: () => boolean): Promise<void> {
    const queue = [...this.nodes.values()];
    await Promise.all(
      Array.from({ length: Math.min(16, queue.length) }, async () => {
        for (let n = queue.shift(); n && !isStopped(); n = queue.shift()) {
          await n.register();
          n.startHeartbeats();
        }
      }),
    );
    if (isStopped()) return;
    this.wire();
    this.factory.start();
    this.controller.start();
    await this.factory.waitForSync();
  }

  /** Stops the nodes' heartbeats and the pod loop (`started`: settles once start() returned). */
  async stop(started: Promise<void>): Promise<void> {
    for (const n of this.nodes.values()) n.stop();
    await this.factory.stop();
    await this.controller.stop();
    await started;
    await Promise.all([...this.nodes.values()].map((n) => n.release()));
  }
}

export interface NodeAgents {
  readonly client: ApiClient;
  readonly names: string[];
  /** Resolves once every node is registered and its pod informer synced. */
  whenReady(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs node agents in this process: `makeNodes` builds them once the control plane's version
 * (the kubelet version nodes report) is known; informers they add to `shell.factory` start with the pod informer.
 */
export function runNodeAgents(
  client: ApiClient | ClientConfig,
  names: string[],
  opts: ShellOptions & { component: string; userAgent: string },
  makeNodes: (shell: AgentShell, kubeletVersion: string) => AgentNode[] | Promise<AgentNode[]>,
): NodeAgents {
  const api = client instanceof ApiClient ? client : new ApiClient({ userAgent: opts.userAgent, ...client });
  const ownsClient = !(client instanceof ApiClient);
  const shell = new AgentShell(api, names, opts, opts.component);
  let stopped = false;
  const ready = (async () => {
    const kubeletVersion = await serverVersion(api, shell.clock, () => stopped);
    for (const n of await makeNodes(shell, kubeletVersion)) shell.nodes.set(n.name, n);
    await shell.start(() => stopped);
  })().catch((err) => log.error({ err }, 'node agents failed to start'));

  let stopping: Promise<void> | undefined;
  return {
    client: api,
    names: [...names],
    whenReady: () => ready,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        await shell.stop(ready);
        if (ownsClient) api.close();
      })();
      return stopping;
    },
  };
}

/** The API server's gitVersion (a kubelet reports the control plane's version). */
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
