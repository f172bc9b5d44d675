// NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must match the
// node (filter); preferredDuringScheduling terms add their weights (score). A required
// affinity that names nodes by metadata.name narrows the candidates in PreFilter.
import { defaultNormalizeScore, MAX_NODE_SCORE, unresolvable, type CycleContext, type FilterPlugin, type ScorePlugin, type Status } from '../framework.ts';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../types.ts';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const INT64 = /^[+-]?\d+$/;

/** One requirement against a node's labels (matchExpressions) or fields (matchFields). */
export function matchesRequirement(r: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, r.key);
  const v = values[r.key];
  const want = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && want.includes(v!);
    case 'NotIn':
      return !has || !want.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || want.length !== 1 || !INT64.test(want[0]!) || !INT64.test(v!)) return false;
      const a = BigInt(v!);
      const b = BigInt(want[0]!);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function isEmptyTerm(t: NodeSelectorTerm): boolean {
  return (t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0;
}

/** A term matches when all its requirements do; an empty term matches nothing. */
export function matchesTerm(t: NodeSelectorTerm, node: Node): boolean {
  if (isEmptyTerm(t)) return false;
  const labels = node.metadata?.labels ?? {};
  const fields = { 'metadata.name': node.metadata?.name ?? '' };
  for (const r of t.matchExpressions ?? []) if (!matchesRequirement(r, labels)) return false;
  for (const r of t.matchFields ?? []) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!matchesRequirement(r, fields)) return false;
  }
  return true;
}

/** Terms are ORed. */
export function matchesNodeSelectorTerms(terms: NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => matchesTerm(t, node));
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required affinity. */
export function requiredNodeAffinityMatches(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return matchesNodeSelectorTerms(required.nodeSelectorTerms ?? [], node);
  return true;
}

export function nodeAffinityFilter(pod: Pod, node: Node): Status | undefined {
  return requiredNodeAffinityMatches(pod, node) ? undefined : unresolvable(ERR_REASON_POD);
}

/**
 * The nodes a required affinity names by metadata.name (PreFilterResult): undefined when it
 * does not restrict names, an empty set when its terms conflict.
 */
export function requiredNodeNames(pod: Pod): Set<string> | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    if (!termNames) return undefined;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names;
}

/** The sum of the weights of the preferred terms the node matches. */
export function preferredNodeAffinityScore(pod: Pod, node: Node): number {
  let score = 0;
  for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (!p.weight || !p.preference || isEmptyTerm(p.preference)) continue;
    if (matchesTerm(p.preference, node)) score += p.weight;
  }
  return score;
}

export interface NodeAffinityPlugin extends FilterPlugin, ScorePlugin {
  /** The PreFilterResult: the only nodes worth filtering, when the pod names them. */
  preFilterNodes(ctx: CycleContext): Set<string> | undefined;
}

export const nodeAffinityPlugin: NodeAffinityPlugin = {
  name: NAME,
  weight: 2,
  preFilter: (ctx) => {
    const names = requiredNodeNames(ctx.pod);
    if (names && names.size === 0) return unresolvable(ERR_REASON_CONFLICT);
    return undefined;
  },
  preFilterNodes: (ctx) => {
    const names = requiredNodeNames(ctx.pod);
    return names && names.size > 0 ? names : undefined;
  },
  filter: (ctx, node) => nodeAffinityFilter(ctx.pod, node.node),
  score: (ctx, node) => preferredNodeAffinityScore(ctx.pod, node.node),
  normalize: (_ctx, _nodes, scores) => defaultNormalizeScore(MAX_NODE_SCORE, false, scores),
};
