// Node health as the node lifecycle controller judges it (upstream tryUpdateNodeHealth): a
// node is heard from when its Ready condition's heartbeat changes or its Lease in
// kube-node-lease is renewed, timed by this controller's own clock (not the node's, which
// may be skewed). A node not heard from for the grace period (the startup grace period
// while it never posted a Ready condition) gets its Ready, MemoryPressure, DiskPressure and
// PIDPressure conditions set to Unknown.
import { parseTime } from '../runtime/pods.ts';
import { rfc3339, type KubeObject } from '../runtime/types.ts';
import { nodeCondition, type Node, type NodeCondition } from './node-util.ts';

/** What the controller remembers of a node between passes (nodeHealthData). */
export interface NodeHealth {
  /** When (our clock, ms) the node was last heard from. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The node's Ready condition as last seen. */
  ready?: NodeCondition;
  /** The Lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export interface HealthOptions {
  /** Upstream --node-monitor-grace-period (40 s). */
  gracePeriodMs: number;
  /** Upstream --node-startup-grace-period (60 s). */
  startupGracePeriodMs: number;
}

export interface HealthObservation {
  health: NodeHealth;
  /** The Ready condition before this pass (a made-up Unknown one when there is none). */
  observedReady: NodeCondition;
  /** The Ready condition after it (Unknown once the node is overdue). */
  currentReady?: NodeCondition;
  /** The conditions to write to the node's status; undefined when nothing changes. */
  conditions?: NodeCondition[];
  /** What to remember once `conditions` are written. */
  healthIfWritten?: NodeHealth;
}

const OVERDUE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function leaseRenewed(saved: string | undefined, observed: string | undefined): boolean {
  if (!observed) return false;
  if (!saved) return true;
  const a = parseTime(saved);
  const b = parseTime(observed);
  return b > a || (b === a && observed > saved);
}

/** One pass over a node: its health now and what to write. */
export function observeNodeHealth(node: Node, saved: NodeHealth | undefined, lease: KubeObject | undefined, now: number, opts: HealthOptions): HealthObservation {
  const created = parseTime(node.metadata?.creationTimestamp);
  const current = nodeCondition(node, 'Ready');
  let gracePeriodMs: number;
  let observedReady: NodeCondition;
  let health = saved ? { ...saved } : undefined;
  if (!current) {
    // Never posted: judge it from its creation, with the startup grace period.
    const t = node.metadata?.creationTimestamp;
    observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: t, lastTransitionTime: t };
    gracePeriodMs = opts.startupGracePeriodMs;
    if (!health) health = { probeTimestamp: created, readyTransitionTimestamp: created };
    // A Ready condition that disappeared: start counting again.
    else if (health.ready) health = { probeTimestamp: now, readyTransitionTimestamp: now, leaseRenewTime: health.leaseRenewTime };
  } else {
    observedReady = { ...current };
    gracePeriodMs = opts.gracePeriodMs;
    if (!health || !health.ready) {
      health = { probeTimestamp: now, readyTransitionTimestamp: now, ready: current, leaseRenewTime: health?.leaseRenewTime };
    } else if (health.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transitioned = health.ready.lastTransitionTime !== current.lastTransitionTime;
      health = { probeTimestamp: now, readyTransitionTimestamp: transitioned ? now : health.readyTransitionTimestamp, ready: current, leaseRenewTime: health.leaseRenewTime };
    }
  }
  // A renewed Lease counts as a heartbeat.
  const renewTime = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
  if (lease && leaseRenewed(health.leaseRenewTime, renewTime)) health = { ...health, leaseRenewTime: renewTime, probeTimestamp: now };

  if (now <= health.probeTimestamp + gracePeriodMs) return { health, observedReady, currentReady: current };

  const stamp = rfc3339(new Date(now));
  const conditions = structuredClone(node.status?.conditions ?? []);
  for (const type of OVERDUE_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: stamp });
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp });
    }
  }
  const currentReady = conditions.find((c) => c.type === 'Ready');
  if (JSON.stringify(currentReady) === JSON.stringify(observedReady)) return { health, observedReady, currentReady };
  return {
    health,
    observedReady,
    currentReady,
    conditions,
    healthIfWritten: { probeTimestamp: health.probeTimestamp, readyTransitionTimestamp: now, ready: currentReady, leaseRenewTime: health.leaseRenewTime },
  };
}
