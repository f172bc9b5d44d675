// Zones and disruption (upstream node lifecycle controller): nodes are grouped by region and
// zone; a zone with no ready node is fully disrupted, one with more than two not-ready nodes
// making up at least unhealthyZoneThreshold of it is partially disrupted. The state sets how
// fast NoExecute taints go on in the zone: the normal rate, a slower one (or none, in small
// zones) in a partial disruption, and none at all when every zone is fully disrupted (the
// control plane, not the nodes, is then the likely culprit).
import type { Node, NodeCondition } from './node-util.ts';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export interface DisruptionOptions {
  /** --node-eviction-rate (0.1 per second). */
  evictionLimiterQPS: number;
  /** --secondary-node-eviction-rate (0.01 per second). */
  secondaryEvictionLimiterQPS: number;
  /** --large-cluster-size-threshold (50). */
  largeClusterThreshold: number;
  /** --unhealthy-zone-threshold (0.55). */
  unhealthyZoneThreshold: number;
}

export const DEFAULT_DISRUPTION: DisruptionOptions = { evictionLimiterQPS: 0.1, secondaryEvictionLimiterQPS: 0.01, largeClusterThreshold: 50, unhealthyZoneThreshold: 0.55 };

/** Nodes excluded from disruption checks. */
export const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

/** nodetopology.GetZoneKey: region and zone (beta labels first), '' without either. */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const zone = l['failure-domain.beta.kubernetes.io/zone'] ?? l['topology.kubernetes.io/zone'] ?? '';
  const region = l['failure-domain.beta.kubernetes.io/region'] ?? l['topology.kubernetes.io/region'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

/** ComputeZoneState from the zone's nodes' Ready conditions. */
export function computeZoneState(ready: (NodeCondition | undefined)[], opts: DisruptionOptions): { unhealthy: number; state: ZoneState } {
  const readyNodes = ready.filter((c) => c?.status === 'True').length;
  const notReady = ready.length - readyNodes;
  if (readyNodes === 0 && notReady > 0) return { unhealthy: notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / ready.length >= opts.unhealthyZoneThreshold) return { unhealthy: notReady, state: 'PartialDisruption' };
  return { unhealthy: notReady, state: 'Normal' };
}

/** The tainting rate (per second) of a zone in a state (setLimiterInZone). */
export function zoneQPS(state: ZoneState, zoneSize: number, opts: DisruptionOptions): number {
  if (state === 'PartialDisruption') return zoneSize > opts.largeClusterThreshold ? opts.secondaryEvictionLimiterQPS : 0;
  return opts.evictionLimiterQPS;
}

export interface DisruptionDecision {
  /** The zone states to keep from now on. */
  states: Map<string, ZoneState>;
  /** Zones whose tainting rate changes, and to what. */
  rates: Map<string, number>;
  /** Every zone just became fully disrupted: remove the NoExecute taints of every node. */
  enterMasterDisruption: boolean;
  /** Some zone recovered from that: every node's health clock starts again. */
  exitMasterDisruption: boolean;
}

/** handleDisruption: the new zone states from this pass's Ready conditions per zone. */
export function handleDisruption(prev: Map<string, ZoneState>, zoneConditions: Map<string, (NodeCondition | undefined)[]>, opts: DisruptionOptions): DisruptionDecision {
  const states = new Map(prev);
  const rates = new Map<string, number>();
  const next = new Map<string, ZoneState>();
  let allAre = true;
  for (const [zone, conds] of zoneConditions) {
    const { state } = computeZoneState(conds, opts);
    if (state !== 'FullDisruption') allAre = false;
    next.set(zone, state);
    if (!states.has(zone)) states.set(zone, 'Initial');
  }
  let allWere = true;
  for (const [zone, state] of [...states]) {
    if (!zoneConditions.has(zone)) {
      states.delete(zone);
      continue;
    }
    if (state !== 'FullDisruption') allWere = false;
  }
  const decision = { states, rates, enterMasterDisruption: false, exitMasterDisruption: false };
  if (allAre && allWere) return decision;
  if (allAre) {
    for (const zone of states.keys()) {
      rates.set(zone, 0);
      states.set(zone, 'FullDisruption');
    }
    return { ...decision, enterMasterDisruption: true };
  }
  for (const [zone, state] of states) {
    const to = next.get(zone)!;
    if (!allWere && state === to) continue;
    rates.set(zone, zoneQPS(to, zoneConditions.get(zone)!.length, opts));
    states.set(zone, to);
  }
  return { ...decision, exitMasterDisruption: allWere };
}
