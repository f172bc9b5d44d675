// TaintToleration: a node's NoSchedule and NoExecute taints keep off pods that do not
// tolerate them (filter); untolerated PreferNoSchedule taints make a node less attractive
// (score, fewer is better).
import { defaultNormalizeScore, MAX_NODE_SCORE, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.ts';
import type { Pod, Taint, Toleration } from '../types.ts';

export const NAME = 'TaintToleration';

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint (of the given effects) no toleration tolerates (v1helper.FindMatchingUntoleratedTaint). */
export function findUntoleratedTaint(taints: Taint[] | undefined, tolerations: Toleration[] | undefined, effects: Taint['effect'][]): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !tolerationsTolerateTaint(tolerations, taint));
}

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** The filter: undefined when the pod tolerates every NoSchedule/NoExecute taint. */
export function taintTolerationFilter(pod: Pod, taints: Taint[] | undefined): Status | undefined {
  const taint = findUntoleratedTaint(taints, pod.spec?.tolerations, ['NoSchedule', 'NoExecute']);
  return taint ? unresolvable(untoleratedTaintReason(taint)) : undefined;
}

/** The score before normalization: how many PreferNoSchedule taints the pod does not tolerate. */
export function countIntolerableTaintsPreferNoSchedule(taints: Taint[] | undefined, tolerations: Toleration[] | undefined): number {
  // Only tolerations that can tolerate PreferNoSchedule taints count (getAllTolerationPreferNoSchedule).
  const relevant = (tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return (taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(relevant, t)).length;
}

export const taintTolerationPlugin: FilterPlugin & ScorePlugin = {
  name: NAME,
  weight: 3,
  filter: (ctx, node) => taintTolerationFilter(ctx.pod, node.node.spec?.taints),
  score: (ctx, node) => countIntolerableTaintsPreferNoSchedule(node.node.spec?.taints, ctx.pod.spec?.tolerations),
  normalize: (_ctx, _nodes, scores) => defaultNormalizeScore(MAX_NODE_SCORE, true, scores),
};
