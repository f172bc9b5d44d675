// PodTopologySpread: DoNotSchedule constraints keep the skew of matching pods across
// topology domains within maxSkew (filter); ScheduleAnyway constraints, or the system
// default constraints for pods of a Service/ReplicaSet/StatefulSet/ReplicationController,
// prefer the nodes in the emptier domains (score).
import { MAX_NODE_SCORE, unresolvable, unschedulable, type CycleContext, type FilterPlugin, type NodeInfo, type ScorePlugin, type Status } from '../framework.ts';
import { compileLabelSelector, type Selector } from '../labels.ts';
import { LABEL_HOSTNAME, LABEL_ZONE, type Node, type Pod, type TopologySpreadConstraint } from '../types.ts';
import { requiredNodeAffinityMatches } from './node-affinity.ts';
import { findUntoleratedTaint } from './taint-toleration.ts';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

/** The scheduler's default (system) constraints, applied to pods without their own. */
export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

/** The pod's constraints of one action, their selectors narrowed by matchLabelKeys. */
export function constraintsOf(pod: Pod, specs: TopologySpreadConstraint[], action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const podLabels = pod.metadata?.labels ?? {};
  return specs
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c) => {
      let selector = compileLabelSelector(c.labelSelector);
      const keys = (c.matchLabelKeys ?? []).filter((k) => k in podLabels);
      if (selector && keys.length) {
        const base = selector;
        selector = (labels) => base(labels) && keys.every((k) => (labels ?? {})[k] === podLabels[k]);
      }
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
        nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
      };
    });
}

export function nodeHasAllTopologyKeys(node: Node, constraints: Constraint[]): boolean {
  const labels = node.metadata?.labels ?? {};
  return constraints.every((c) => c.topologyKey in labels);
}

/** Whether a node counts for a constraint (nodeAffinityPolicy / nodeTaintsPolicy). */
export function matchesNodeInclusionPolicies(c: Constraint, pod: Pod, node: Node): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !requiredNodeAffinityMatches(pod, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

/** Pods on a node in the namespace that the selector selects, terminating ones left out. */
export function countPodsMatchSelector(node: NodeInfo, selector: Selector, namespace: string): number {
  if (!selector) return 0;
  let n = 0;
  for (const { pod } of node.pods.values()) {
    if (pod.metadata?.deletionTimestamp || (pod.metadata?.namespace ?? '') !== namespace) continue;
    if (selector(pod.metadata?.labels)) n++;
  }
  return n;
}

export interface FilterState {
  constraints: Constraint[];
  /** `key\0value` → matching pods. */
  pairCounts: Map<string, number>;
  /** key → number of domains. */
  domains: Map<string, number>;
  /** key → smallest count among its domains. */
  minCounts: Map<string, number>;
}

const pairKey = (key: string, value: string) => `${key}\0${value}`;

/** PreFilter: the counts of matching pods per domain over the eligible nodes. */
export function computeFilterState(pod: Pod, nodes: NodeInfo[], specs: TopologySpreadConstraint[]): FilterState {
  const constraints = constraintsOf(pod, specs, 'DoNotSchedule');
  const state: FilterState = { constraints, pairCounts: new Map(), domains: new Map(), minCounts: new Map() };
  if (constraints.length === 0) return state;
  const ns = pod.metadata?.namespace ?? '';
  for (const ni of nodes) {
    if (!nodeHasAllTopologyKeys(ni.node, constraints)) continue;
    const labels = ni.node.metadata?.labels ?? {};
    for (const c of constraints) {
      if (!matchesNodeInclusionPolicies(c, pod, ni.node)) continue;
      const k = pairKey(c.topologyKey, labels[c.topologyKey]!);
      state.pairCounts.set(k, (state.pairCounts.get(k) ?? 0) + countPodsMatchSelector(ni, c.selector, ns));
    }
  }
  for (const [k, n] of state.pairCounts) {
    const key = k.slice(0, k.indexOf('\0'));
    state.domains.set(key, (state.domains.get(key) ?? 0) + 1);
    state.minCounts.set(key, Math.min(state.minCounts.get(key) ?? Infinity, n));
  }
  return state;
}

/** Filter: `existing + self - global minimum <= maxSkew` for every DoNotSchedule constraint. */
export function topologySpreadFilter(pod: Pod, node: Node, state: FilterState): Status | undefined {
  const labels = node.metadata?.labels ?? {};
  for (const c of state.constraints) {
    const value = labels[c.topologyKey];
    if (value === undefined) return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
    let min = state.minCounts.get(c.topologyKey) ?? Infinity;
    if ((state.domains.get(c.topologyKey) ?? 0) < c.minDomains) min = 0;
    const self = c.selector && c.selector(pod.metadata?.labels) ? 1 : 0;
    const count = state.pairCounts.get(pairKey(c.topologyKey, value)) ?? 0;
    if (count + self - min > c.maxSkew) return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return undefined;
}

export interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  pairCounts: Map<string, number>;
  weights: number[];
}

/** PreScore: ScheduleAnyway (or system default) constraints and the counts per domain. */
export function computeScoreState(pod: Pod, all: NodeInfo[], feasible: NodeInfo[], defaultSelector: Selector | undefined): ScoreState | undefined {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  let constraints: Constraint[];
  const systemDefaulted = own.length === 0;
  if (!systemDefaulted) constraints = constraintsOf(pod, own, 'ScheduleAnyway');
  else {
    if (!defaultSelector) return undefined;
    constraints = constraintsOf(pod, SYSTEM_DEFAULT_CONSTRAINTS, 'ScheduleAnyway').map((c) => ({ ...c, selector: defaultSelector }));
  }
  if (constraints.length === 0 || feasible.length === 0) return undefined;
  const requireAll = !systemDefaulted;
  const state: ScoreState = { constraints, ignored: new Set(), pairCounts: new Map(), weights: [] };
  const sizes = constraints.map(() => 0);
  for (const ni of feasible) {
    if (requireAll && !nodeHasAllTopologyKeys(ni.node, constraints)) {
      state.ignored.add(ni.name);
      continue;
    }
    const labels = ni.node.metadata?.labels ?? {};
    constraints.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const k = pairKey(c.topologyKey, labels[c.topologyKey] ?? '');
      if (!state.pairCounts.has(k)) {
        state.pairCounts.set(k, 0);
        sizes[i]!++;
      }
    });
  }
  state.weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? feasible.length - state.ignored.size : sizes[i]!) + 2));
  const ns = pod.metadata?.namespace ?? '';
  for (const ni of all) {
    if (requireAll && !nodeHasAllTopologyKeys(ni.node, constraints)) continue;
    const labels = ni.node.metadata?.labels ?? {};
    for (const c of constraints) {
      if (!matchesNodeInclusionPolicies(c, pod, ni.node)) continue;
      const k = pairKey(c.topologyKey, labels[c.topologyKey] ?? '');
      if (!state.pairCounts.has(k)) continue;
      state.pairCounts.set(k, state.pairCounts.get(k)! + countPodsMatchSelector(ni, c.selector, ns));
    }
  }
  return state;
}

/** Score: the matching pods in the node's domains, weighted (lower is better until normalized). */
export function topologySpreadScore(pod: Pod, node: NodeInfo, state: ScoreState): number {
  if (state.ignored.has(node.name)) return 0;
  const labels = node.node.metadata?.labels ?? {};
  let score = 0;
  state.constraints.forEach((c, i) => {
    const value = labels[c.topologyKey];
    if (value === undefined) return;
    const cnt = c.topologyKey === LABEL_HOSTNAME ? countPodsMatchSelector(node, c.selector, pod.metadata?.namespace ?? '') : (state.pairCounts.get(pairKey(c.topologyKey, value)) ?? 0);
    score += cnt * state.weights[i]! + (c.maxSkew - 1);
  });
  return Math.round(score);
}

/** NormalizeScore: fewer matching pods score higher; ignored nodes score 0. */
export function normalizeTopologySpreadScores(feasible: NodeInfo[], scores: number[], state: ScoreState): void {
  let min = Infinity;
  let max = 0;
  feasible.forEach((n, i) => {
    if (state.ignored.has(n.name)) return;
    min = Math.min(min, scores[i]!);
    max = Math.max(max, scores[i]!);
  });
  feasible.forEach((n, i) => {
    if (state.ignored.has(n.name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
  });
}

export interface TopologySpreadOptions {
  /** The selector of the Services and controllers the pod belongs to (helper.DefaultSelector), for the system defaults. */
  defaultSelector?: (pod: Pod) => Selector | undefined;
}

const FILTER_KEY = `PreFilter${NAME}`;
const SCORE_KEY = `PreScore${NAME}`;

export function podTopologySpreadPlugin(opts: TopologySpreadOptions = {}): FilterPlugin & ScorePlugin {
  return {
    name: NAME,
    weight: 2,
    preFilter: (ctx: CycleContext) => {
      ctx.state.set(FILTER_KEY, computeFilterState(ctx.pod, ctx.nodes, ctx.pod.spec?.topologySpreadConstraints ?? []));
      return undefined;
    },
    filter: (ctx, node) => {
      const state = ctx.state.get(FILTER_KEY) as FilterState | undefined;
      return state && state.constraints.length ? topologySpreadFilter(ctx.pod, node.node, state) : undefined;
    },
    preScore: (ctx, feasible) => {
      const own = ctx.pod.spec?.topologySpreadConstraints ?? [];
      const sel = own.length === 0 ? opts.defaultSelector?.(ctx.pod) : undefined;
      ctx.state.set(SCORE_KEY, computeScoreState(ctx.pod, ctx.nodes, feasible, sel));
    },
    score: (ctx, node) => {
      const state = ctx.state.get(SCORE_KEY) as ScoreState | undefined;
      return state ? topologySpreadScore(ctx.pod, node, state) : 0;
    },
    normalize: (ctx, feasible, scores) => {
      const state = ctx.state.get(SCORE_KEY) as ScoreState | undefined;
      if (state) normalizeTopologySpreadScores(feasible, scores, state);
      else scores.fill(0);
    },
  };
}
