// Process node agents: nodes whose pods really run, as host processes (pod-worker.ts), on the
// shared agent shell (registration, Lease heartbeats, node status, the pod informer). The node
// reports this machine's CPUs, memory and disk; its pods get loopback addresses from its own
// range (127.244.<index>.0/24), so nothing leaves the machine and no setup is needed; with
// root, containers are sandboxed in namespaces (sandbox.ts). ConfigMaps, Secrets and Services
// come from informers shared by the nodes of the process. Each node serves the kubelet API
// (logs, exec, port-forward: streams.ts) on its InternalIP. A node that starts kills what a
// previous agent left running in its data directory; one that stops stops its containers.
import { mkdirSync, statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, type ClientConfig, type ResourceRef } from '../../controllers/runtime/client.ts';
import type { Clock } from '../../controllers/runtime/clock.ts';
import { ApiEventRecorder } from '../../controllers/runtime/events.ts';
import type { Informer } from '../../controllers/runtime/informer.ts';
import { errorMessage } from '../../controllers/runtime/errors.ts';
import type { KubeObject } from '../../controllers/runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { AgentNode, runNodeAgents, type AgentShell, type NodeAgents } from '../agent/shell.ts';
import { indexFromName, loopbackPodCIDR, nodeInternalIP, PodIPAllocator } from '../hollow/ipam.ts';
import { capacityOf, nodeObject, nodeStatus, type HollowCapacity, type HollowNodeSpec, type NodeFlavor } from '../hollow/node-object.ts';
import { CrashLoopBackoff } from './backoff.ts';
import { killLeftovers } from './container-process.ts';
import { startKubeletServer, type KubeletServer } from '../kubelet-server/server.ts';
import { PodWorker, type NodeContext } from './pod-worker.ts';
import { processStreams } from './streams.ts';
import { canSandbox } from './sandbox.ts';

const log = logger.child({ component: 'process-node' });

type J = Record<string, any>;

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' };
const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets', namespaced: true, kind: 'Secret' };
const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' };

export interface ProcessNodesOptions {
  client: ApiClient | ClientConfig;
  /** The nodes to run (each one a kubelet of its own on this machine). */
  names: string[];
  /** Where pods' files and logs go: <dataDir>/<node>/{pods,logs}. */
  dataDir: string;
  /** Node i's index (InternalIP 127.0.0.<index+2>, pods in 127.244.<index>.0/24) is firstIndex + i; default: the number ending the name. */
  firstIndex?: number;
  /** Default: the machine's. */
  capacity?: Partial<HollowCapacity>;
  labels?: Record<string, string>;
  taints?: HollowNodeSpec['taints'];
  /** Sandbox containers in namespaces (default: when running as root and unshare works). */
  sandbox?: boolean;
  /** Grace period for containers when the agent stops (default 2 s). */
  stopGraceMs?: number;
  /**
   * Serve the kubelet API (logs, exec, port-forward) on <InternalIP>:<kubeletPort> to clients
   * with certificates this CA (PEM) signed, as the API server's proxy is.
   */
  kubeletClientCA?: string;
  /** Default 0: a free port, advertised in the Node's status.daemonEndpoints. */
  kubeletPort?: number;
  leaseDurationSeconds?: number;
  leaseRenewMs?: number;
  statusUpdateMs?: number;
  clock?: Clock;
}

export type ProcessNodes = NodeAgents;

export const PROCESS_FLAVOR: Omit<NodeFlavor, 'podCIDR'> = {
  instanceType: 'k8ts-process',
  labels: {},
  annotations: { 'k8ts.io/runtime': 'process' },
  osImage: 'k8ts process runtime',
  containerRuntimeVersion: 'k8ts://0.1.0',
};

/** This machine's capacity, as a kubelet measures it. */
export function machineCapacity(dataDir: string): Partial<HollowCapacity> {
  let ephemeralStorage: string | undefined;
  try {
    const s = statfsSync(dataDir);
    ephemeralStorage = String(s.blocks * s.bsize);
  } catch {
    // the default
  }
  return { cpu: String(availableParallelism()), memory: `${Math.floor(totalmem() / 1024)}Ki`, ...(ephemeralStorage ? { ephemeralStorage } : {}) };
}

interface Sources {
  configMaps: Informer;
  secrets: Informer;
  services: Informer;
}

class ProcessNode extends AgentNode {
  private readonly spec: HollowNodeSpec;
  private readonly ctx: NodeContext;
  private readonly workers = new Map<string, PodWorker>();
  private kubeletServer?: Promise<KubeletServer | undefined>;

  constructor(
    shell: AgentShell,
    spec: HollowNodeSpec,
    dataDir: string,
    private readonly sources: Sources,
    sandbox: boolean,
    private readonly stopGraceMs: number,
  ) {
    super(shell, spec.name);
    this.spec = spec;
    mkdirSync(join(dataDir, 'pods'), { recursive: true });
    const killed = killLeftovers(join(dataDir, 'pods'));
    if (killed) log.info({ node: spec.name, killed }, 'stopped containers a previous agent left running');
    this.ctx = {
      hostIP: nodeInternalIP(spec.index),
      dataDir,
      sandbox,
      clock: shell.clock,
      backoff: new CrashLoopBackoff(),
      ips: new PodIPAllocator(spec.flavor!.podCIDR!),
      events: new ApiEventRecorder({ api: shell.client, component: 'kubelet', host: spec.name, clock: shell.clock }),
      api: shell.client,
      nodeAllocatable: capacityOf(spec).allocatable,
      configMap: (ns, name) => sources.configMaps.store.getByName(ns, name) as J | undefined,
      secret: (ns, name) => sources.secrets.store.getByName(ns, name) as J | undefined,
      services: () => sources.services.store.list() as J[],
      requeue: (pod) => this.requeue(pod),
    };
  }

  /** Serves logs, exec and port-forward for this node's pods (the kubelet's port). */
  /** Starts the kubelet API; the Node then advertises the port it got (0: any free one). */
  async serveKubeletApi(clientCA: string, port: number): Promise<void> {
    const streams = processStreams((ref) => {
      const pod = this.shell.pods.store.getByName(ref.namespace, ref.name);
      return pod ? this.workers.get(String(pod.metadata?.uid ?? '')) : undefined;
    });
    this.kubeletServer = startKubeletServer({ streams, clientCA, host: this.ctx.hostIP, port }).catch((err) => {
      log.warn({ node: this.name, err: errorMessage(err) }, 'cannot serve the kubelet API: no logs, exec or port-forward for this node');
      return undefined;
    });
    const server = await this.kubeletServer;
    if (server) this.spec.kubeletPort = server.port;
  }

  nodeObject(now: Date): KubeObject {
    return nodeObject(this.spec, now, this.bootID);
  }

  nodeStatus(now: Date, previous: KubeObject): Record<string, unknown> {
    return nodeStatus(this.spec, now, this.bootID, previous);
  }

  async syncPod(pod: J): Promise<number | undefined> {
    if (!this.sources.configMaps.hasSynced() || !this.sources.secrets.hasSynced() || !this.sources.services.hasSynced()) return 200;
    const uid = String(pod.metadata?.uid ?? '');
    let w = this.workers.get(uid);
    if (!w) {
      // A pod this agent never ran: finished already (by a previous agent), or going away.
      const phase = pod.status?.phase;
      if (pod.metadata?.deletionTimestamp) {
        if (pod.metadata?.deletionGracePeriodSeconds !== 0) await this.confirmDeletion(pod);
        return undefined;
      }
      if (phase === 'Succeeded' || phase === 'Failed') return undefined;
      w = new PodWorker(this.ctx, pod);
      this.workers.set(uid, w);
    }
    const worker = w;
    const r = await worker.sync(pod);
    await this.writePodStatus(pod, (current) => worker.status(current), worker);
    if (r.finished) {
      this.workers.delete(uid);
      if (pod.metadata?.deletionGracePeriodSeconds !== 0) await this.confirmDeletion(pod);
      return undefined;
    }
    return r.wakeInMs;
  }

  forget(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    this.workers.delete(uid);
    void w.destroy(0, true);
  }

  override async release(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.destroy(this.stopGraceMs, false)));
    this.workers.clear();
    await (await this.kubeletServer)?.close();
  }
}

/** Registers and runs process nodes in this process. */
export function startProcessNodes(opts: ProcessNodesOptions): ProcessNodes {
  const sandbox = opts.sandbox ?? canSandbox();
  const dataDir = resolve(opts.dataDir);
  return runNodeAgents(opts.client, opts.names, { ...opts, workers: 4 * opts.names.length, component: 'process-pods', userAgent: 'kubelet/k8ts-process' }, async (shell, kubeletVersion) => {
    const sources: Sources = {
      configMaps: shell.factory.informer(CONFIGMAPS),
      secrets: shell.factory.informer(SECRETS),
      services: shell.factory.informer(SERVICES),
    };
    const capacity = { ...machineCapacity(dataDir), ...(opts.capacity ?? {}) };
    log.info({ nodes: opts.names, sandbox }, sandbox ? 'containers run sandboxed in namespaces' : 'containers run as plain processes (no root: no namespaces)');
    const nodes = opts.names.map((name, i) => {
      const index = opts.firstIndex !== undefined ? opts.firstIndex + i : indexFromName(name);
      const flavor: NodeFlavor = { ...PROCESS_FLAVOR, podCIDR: loopbackPodCIDR(index) };
      const spec: HollowNodeSpec = { name, index, kubeletVersion, capacity, labels: opts.labels, taints: opts.taints, flavor };
      const node = new ProcessNode(shell, spec, join(dataDir, name), sources, sandbox, opts.stopGraceMs ?? 2000);
      return node;
    });
    // Before the nodes register, so that they advertise their ports (free ones by default:
    // several clusters' agents share this machine's loopback addresses).
    const ca = opts.kubeletClientCA;
    if (ca) await Promise.all(nodes.map((n) => n.serveKubeletApi(ca, opts.kubeletPort ?? 0)));
    return nodes;
  });
}

/** `node-0` … `node-<n-1>`. */
export function processNodeNames(n: number, prefix = 'node-', start = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${start + i}`);
}
