// Hollow node agents (as KWOK): each registers a Node, renews its Lease in kube-node-lease
// every 10 s, reports node status every minute, and plays the kubelet for the pods bound to
// it without running anything (pod-lifecycle.ts decides what they do). The shell
// (node/agent/shell.ts) does the rest: many nodes in one process share one API client, one pod
// informer and one work queue. When the agents stop,
// nothing more is reported: the node lifecycle controller is what marks such nodes NotReady.
import { ApiClient, type ClientConfig } from '../../controllers/runtime/client.ts';
import type { Clock } from '../../controllers/runtime/clock.ts';
import type { KubeObject } from '../../controllers/runtime/types.ts';
import { AgentNode, runNodeAgents, type AgentShell, type NodeAgents } from '../agent/shell.ts';
import { indexFromName, nodeInternalIP, nodePodCIDR, PodIPAllocator } from './ipam.ts';
import { nodeObject, nodeStatus, type HollowCapacity, type HollowNodeSpec } from './node-object.ts';
import { adoptRuntime, advance, DEFAULT_TIMING, newRuntime, renderStatus, type HollowTiming, type PodRuntime } from './pod-lifecycle.ts';
import { encodeUsageReport, USAGE_ANNOTATION } from '../../api/metrics/usage-report.ts';
import { usageReport } from './usage.ts';

export { canonical, NODE_LEASE_NAMESPACE, NODES, PODS } from '../agent/shell.ts';

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

export type HollowNodes = NodeAgents;

type J = Record<string, any>;

/** One hollow node: its pods' simulated runtimes. */
class HollowNode extends AgentNode {
  readonly spec: HollowNodeSpec;
  readonly hostIP: string;
  readonly ips: PodIPAllocator;
  readonly runtimes = new Map<string, PodRuntime & { lastWritten?: string }>();

  constructor(
    shell: AgentShell,
    spec: HollowNodeSpec,
    private readonly timing: HollowTiming,
  ) {
    super(shell, spec.name);
    this.spec = spec;
    this.hostIP = nodeInternalIP(spec.index);
    this.ips = new PodIPAllocator(nodePodCIDR(spec.index));
  }

  nodeObject(now: Date): KubeObject {
    return nodeObject(this.spec, now, this.bootID);
  }

  nodeStatus(now: Date, previous: KubeObject): Record<string, unknown> {
    return nodeStatus(this.spec, now, this.bootID, previous);
  }

  /** The resource usage of the node and its running pods, reported with each Lease renewal (the metrics API serves it). */
  override leaseAnnotations(): Record<string, string> {
    const running = this.pods().filter((p) => this.runtimes.get(String(p.metadata?.uid ?? ''))?.state === 'running');
    return { [USAGE_ANNOTATION]: encodeUsageReport(usageReport(running, this.clock.now(), this.shell.leaseRenewMs)) };
  }

  /** Plays the kubelet for one pod; returns when to look at it again (ms), if ever. */
  async syncPod(pod: J): Promise<number | undefined> {
    const uid = String(pod.metadata?.uid ?? '');
    const now = this.clock.now();
    let rt = this.runtimes.get(uid);
    if (!rt) {
      rt = pod.status?.startTime ? adoptRuntime(pod, now) : newRuntime(uid, now);
      if (rt.ip && !this.ips.reserve(uid, rt.ip)) rt.ip = undefined;
      this.runtimes.set(uid, rt);
    }
    const adv = advance(pod, rt, this.timing, now, () => this.ips.allocate(uid));
    if (adv.delete) {
      // Grace 0 already: the server removes the pod once its finalizers are gone.
      if (pod.metadata?.deletionGracePeriodSeconds !== 0) await this.confirmDeletion(pod);
      this.ips.release(uid);
      return undefined;
    }
    if (rt.state === 'terminal') this.ips.release(uid);
    const memo = rt;
    if (!rt.frozen) await this.writePodStatus(pod, (current) => renderStatus(current, memo, this.hostIP, now), memo);
    return adv.nextAt === undefined ? undefined : Math.max(0, adv.nextAt - now);
  }

  forget(uid: string): void {
    this.runtimes.delete(uid);
    this.ips.release(uid);
  }
}

/** Registers and runs hollow nodes in this process. */
export function startHollowNodes(opts: HollowNodesOptions): HollowNodes {
  const timing = { ...DEFAULT_TIMING, ...(opts.timing ?? {}) };
  return runNodeAgents(opts.client, opts.names, { ...opts, component: 'hollow-pods', userAgent: 'kubelet/k8ts-hollow' }, (shell, kubeletVersion) =>
    opts.names.map((name, i) => {
      const index = opts.firstIndex !== undefined ? opts.firstIndex + i : indexFromName(name);
      return new HollowNode(shell, { name, index, kubeletVersion, capacity: opts.capacity, labels: opts.labels, taints: opts.taints }, timing);
    }),
  );
}

/** `hollow-0` … `hollow-<n-1>`. */
export function hollowNodeNames(n: number, prefix = 'hollow-', start = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${start + i}`);
}

