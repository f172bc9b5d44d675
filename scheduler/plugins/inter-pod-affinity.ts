// InterPodAffinity: required pod affinity (the pod goes where matching pods are, per topology
// domain), required pod anti-affinity (not where matching pods are), and the anti-affinity
// of the pods already placed (nothing they repel goes near them) filter nodes; preferred
// terms of the pod and of the placed pods (and the placed pods' required affinity, weight 1)
// score them. Terms select pods by label selector in their namespaces (the pod's own by
// default, or those a namespaceSelector picks).
import { MAX_NODE_SCORE, unresolvable, unschedulable, type CycleContext, type FilterPlugin, type NodeInfo, type ScorePlugin, type Status } from '../framework.ts';
import { compileLabelSelector, type Labels, type Selector } from '../labels.ts';
import type { Node, Pod, PodAffinityTerm } from '../types.ts';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
/** Upstream's default hardPodAffinityWeight. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

/** The labels of a namespace (for namespaceSelectors); undefined when unknown. */
export type NamespaceLabels = (namespace: string) => Labels;

export interface Term {
  namespaces: Set<string>;
  namespaceSelector: Selector;
  selector: Selector;
  topologyKey: string;
  weight: number;
}

/** framework.newAffinityTerm: no namespaces and no namespaceSelector mean the pod's own namespace. */
export function compileTerm(pod: Pod, t: PodAffinityTerm, weight = 1): Term {
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && !t.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? '');
  return { namespaces, namespaceSelector: compileLabelSelector(t.namespaceSelector), selector: compileLabelSelector(t.labelSelector), topologyKey: t.topologyKey, weight };
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and its selector selects it. */
export function termMatches(term: Term, pod: Pod, nsLabels: NamespaceLabels): boolean {
  const ns = pod.metadata?.namespace ?? '';
  const inNamespace = term.namespaces.has(ns) || (term.namespaceSelector !== null && term.namespaceSelector(nsLabels(ns)));
  return inNamespace && term.selector !== null && term.selector(pod.metadata?.labels);
}

export interface PodTerms {
  requiredAffinity: Term[];
  requiredAntiAffinity: Term[];
  preferredAffinity: Term[];
  preferredAntiAffinity: Term[];
}

const termCache = new WeakMap<Pod, PodTerms>();

export function podTerms(pod: Pod): PodTerms {
  let t = termCache.get(pod);
  if (t) return t;
  const a = pod.spec?.affinity;
  t = {
    requiredAffinity: (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compileTerm(pod, x)),
    requiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compileTerm(pod, x)),
    preferredAffinity: (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compileTerm(pod, x.podAffinityTerm, x.weight)),
    preferredAntiAffinity: (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((x) => compileTerm(pod, x.podAffinityTerm, x.weight)),
  };
  termCache.set(pod, t);
  return t;
}

const pair = (key: string, value: string) => `${key}\0${value}`;

export interface FilterState {
  terms: PodTerms;
  /** Domains holding pods whose required anti-affinity repels the incoming pod. */
  existingAntiAffinity: Map<string, number>;
  /** Domains holding pods that match all of the pod's required affinity terms. */
  affinity: Map<string, number>;
  /** Domains holding pods that match one of the pod's required anti-affinity terms. */
  antiAffinity: Map<string, number>;
}

/** PreFilter: the domain counts of the three kinds of constraint. */
export function computeFilterState(pod: Pod, nodes: NodeInfo[], nsLabels: NamespaceLabels): FilterState {
  const terms = podTerms(pod);
  const state: FilterState = { terms, existingAntiAffinity: new Map(), affinity: new Map(), antiAffinity: new Map() };
  const inc = (m: Map<string, number>, key: string, value: string | undefined) => {
    if (value === undefined) return;
    const k = pair(key, value);
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  const needOwn = terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0;
  for (const ni of nodes) {
    const labels = ni.node.metadata?.labels ?? {};
    if (ni.podsWithRequiredAntiAffinity > 0) {
      for (const { pod: existing, hasRequiredAntiAffinity } of ni.pods.values()) {
        if (!hasRequiredAntiAffinity) continue;
        for (const t of podTerms(existing).requiredAntiAffinity) if (termMatches(t, pod, nsLabels)) inc(state.existingAntiAffinity, t.topologyKey, labels[t.topologyKey]);
      }
    }
    if (!needOwn || ni.pods.size === 0) continue;
    for (const { pod: existing } of ni.pods.values()) {
      if (terms.requiredAffinity.length && terms.requiredAffinity.every((t) => termMatches(t, existing, nsLabels))) {
        for (const t of terms.requiredAffinity) inc(state.affinity, t.topologyKey, labels[t.topologyKey]);
      }
      for (const t of terms.requiredAntiAffinity) if (termMatches(t, existing, nsLabels)) inc(state.antiAffinity, t.topologyKey, labels[t.topologyKey]);
    }
  }
  return state;
}

/** satisfyPodAffinity: every term's domain on the node has a matching pod, or nothing matches anywhere and the pod matches itself. */
export function satisfiesPodAffinity(pod: Pod, node: Node, state: FilterState, nsLabels: NamespaceLabels): boolean {
  const labels = node.metadata?.labels ?? {};
  let podsExist = true;
  for (const t of state.terms.requiredAffinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false;
    if ((state.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group that wants to be together: allowed when no pod matches anywhere.
  return state.affinity.size === 0 && state.terms.requiredAffinity.every((t) => termMatches(t, pod, nsLabels));
}

export function satisfiesPodAntiAffinity(node: Node, state: FilterState): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const t of state.terms.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && (state.antiAffinity.get(pair(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
}

export function satisfiesExistingPodsAntiAffinity(node: Node, state: FilterState): boolean {
  if (state.existingAntiAffinity.size === 0) return true;
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) if ((state.existingAntiAffinity.get(pair(k, v)) ?? 0) > 0) return false;
  return true;
}

export function interPodAffinityFilter(pod: Pod, node: Node, state: FilterState, nsLabels: NamespaceLabels): Status | undefined {
  if (!satisfiesPodAffinity(pod, node, state, nsLabels)) return unresolvable(ERR_REASON_AFFINITY);
  if (!satisfiesPodAntiAffinity(node, state)) return unschedulable(ERR_REASON_ANTI_AFFINITY);
  if (!satisfiesExistingPodsAntiAffinity(node, state)) return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
  return undefined;
}

/** topology key → value → score. */
export type TopologyScore = Map<string, Map<string, number>>;

function processTerm(score: TopologyScore, term: Term, weight: number, pod: Pod, node: Node, multiplier: number, nsLabels: NamespaceLabels): void {
  const labels = node.metadata?.labels;
  if (!labels || Object.keys(labels).length === 0) return;
  const v = labels[term.topologyKey];
  if (v === undefined || !termMatches(term, pod, nsLabels)) return;
  let m = score.get(term.topologyKey);
  if (!m) score.set(term.topologyKey, (m = new Map()));
  m.set(v, (m.get(v) ?? 0) + weight * multiplier);
}

/** PreScore: the preferences of the pod towards placed pods and of placed pods towards it, per domain. */
export function computeTopologyScore(pod: Pod, nodes: NodeInfo[], nsLabels: NamespaceLabels): TopologyScore | undefined {
  const own = podTerms(pod);
  const hasConstraints = own.preferredAffinity.length > 0 || own.preferredAntiAffinity.length > 0;
  const score: TopologyScore = new Map();
  for (const ni of nodes) {
    if (!hasConstraints && ni.podsWithAffinity === 0) continue;
    for (const info of ni.pods.values()) {
      if (!hasConstraints && !info.hasAffinity) continue;
      const existing = info.pod;
      for (const t of own.preferredAffinity) processTerm(score, t, t.weight, existing, ni.node, 1, nsLabels);
      for (const t of own.preferredAntiAffinity) processTerm(score, t, t.weight, existing, ni.node, -1, nsLabels);
      if (!info.hasAffinity) continue;
      const theirs = podTerms(existing);
      for (const t of theirs.requiredAffinity) processTerm(score, t, HARD_POD_AFFINITY_WEIGHT, pod, ni.node, 1, nsLabels);
      for (const t of theirs.preferredAffinity) processTerm(score, t, t.weight, pod, ni.node, 1, nsLabels);
      for (const t of theirs.preferredAntiAffinity) processTerm(score, t, t.weight, pod, ni.node, -1, nsLabels);
    }
  }
  return score.size ? score : undefined;
}

export function interPodAffinityScore(node: Node, score: TopologyScore): number {
  let s = 0;
  const labels = node.metadata?.labels ?? {};
  for (const [key, values] of score) {
    const v = labels[key];
    if (v !== undefined) s += values.get(v) ?? 0;
  }
  return s;
}

/** NormalizeScore: min..max onto 0..100. */
export function normalizeInterPodAffinityScores(scores: number[]): void {
  if (scores.length === 0) return;
  const min = Math.min(...scores);
  const max = Math.max(...scores);
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
}

const FILTER_KEY = `PreFilter${NAME}`;
const SCORE_KEY = `PreScore${NAME}`;

export function interPodAffinityPlugin(opts: { namespaceLabels?: NamespaceLabels } = {}): FilterPlugin & ScorePlugin {
  const nsLabels: NamespaceLabels = opts.namespaceLabels ?? (() => undefined);
  return {
    name: NAME,
    weight: 2,
    preFilter: (ctx: CycleContext) => {
      ctx.state.set(FILTER_KEY, computeFilterState(ctx.pod, ctx.nodes, nsLabels));
      return undefined;
    },
    filter: (ctx, node) => {
      const state = ctx.state.get(FILTER_KEY) as FilterState | undefined;
      return state ? interPodAffinityFilter(ctx.pod, node.node, state, nsLabels) : undefined;
    },
    preScore: (ctx) => ctx.state.set(SCORE_KEY, computeTopologyScore(ctx.pod, ctx.nodes, nsLabels)),
    score: (ctx, node) => {
      const score = ctx.state.get(SCORE_KEY) as TopologyScore | undefined;
      return score ? interPodAffinityScore(node.node, score) : 0;
    },
    normalize: (_ctx, _nodes, scores) => normalizeInterPodAffinityScores(scores),
  };
}
