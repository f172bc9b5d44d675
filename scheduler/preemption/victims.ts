// Victim selection on one node, as upstream's DefaultPreemption.SelectVictimsOnNode: take every
// lower-priority pod off the node; if the preemptor then fits, put them back one by one, most
// important first (those whose eviction would break a PodDisruptionBudget before the others),
// keeping back each one the preemptor still fits beside. What could not be put back are the
// victims, and how many of them break a budget is counted.
import { podKeyOf, podPriority, runFiltersWithNominatedPods, trialCycle, unresolvable, type CycleContext, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from '../framework.ts';
import { compileLabelSelector } from '../labels.ts';
import type { LabelSelector, Pod } from '../types.ts';
import type { KubeObject } from '../../controllers/runtime/types.ts';

/** policy/v1 PodDisruptionBudget, the parts preemption reads. */
export interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: LabelSelector | null; [k: string]: unknown };
  status?: { disruptionsAllowed?: number; disruptedPods?: Record<string, string>; [k: string]: unknown };
}

export const NO_VICTIMS = 'No preemption victims found for incoming pod';

/** GetPodStartTime: status.startTime, or now for pods not started yet. */
export function podStartTime(pod: Pod, now: number): number {
  const t = typeof pod.status?.startTime === 'string' ? Date.parse(pod.status.startTime) : NaN;
  return Number.isFinite(t) ? t : now;
}

/** MoreImportantPod: higher priority, then the one running longer. */
export function moreImportantPod(a: Pod, b: Pod, now: number): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return podStartTime(a, now) < podStartTime(b, now);
}

/** Sorts most important first (stable for equals). */
export function sortByImportance<T extends { pod: Pod }>(items: T[], now: number): T[] {
  return items.sort((a, b) => (moreImportantPod(a.pod, b.pod, now) ? -1 : moreImportantPod(b.pod, a.pod, now) ? 1 : 0));
}

/**
 * filterPodsWithPDBViolation: splits pods (order kept) into those whose eviction, counted in
 * order against each matching budget's disruptionsAllowed, would exceed it, and the others.
 * A budget with an empty selector matches nothing; pods it already counts as disrupted are free.
 */
export function filterPodsWithPDBViolation<T extends { pod: Pod }>(items: T[], pdbs: readonly PodDisruptionBudget[]): { violating: T[]; nonViolating: T[] } {
  const allowed = pdbs.map((b) => b.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((b) => {
    const sel = b.spec?.selector;
    const empty = !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
    return empty ? null : compileLabelSelector(sel);
  });
  const violating: T[] = [];
  const nonViolating: T[] = [];
  for (const item of items) {
    const m = item.pod.metadata ?? {};
    let violated = false;
    if (m.labels && Object.keys(m.labels).length) {
      pdbs.forEach((b, i) => {
        const sel = selectors[i];
        if (b.metadata?.namespace !== m.namespace || !sel || !sel(m.labels)) return;
        if (m.name && b.status?.disruptedPods && m.name in b.status.disruptedPods) return;
        if (--allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(item);
  }
  return { violating, nonViolating };
}

export type VictimsResult = { victims: Pod[]; numPDBViolations: number } | { status: Status };

/** SelectVictimsOnNode for the cycle's pod on `node` (left untouched: the work is on a copy). */
export function selectVictimsOnNode(filters: FilterPlugin[], ctx: CycleContext, node: NodeInfo, pdbs: readonly PodDisruptionBudget[], now: number): VictimsResult {
  const prio = podPriority(ctx.pod);
  const potential: PodInfo[] = [...node.pods.values()].filter((p) => podPriority(p.pod) < prio);
  if (potential.length === 0) return { status: unresolvable(NO_VICTIMS) };
  const trial = node.clone();
  for (const p of potential) trial.removePod(podKeyOf(p.pod));
  // Why the pod does not fit the trial node (undefined: it fits).
  const misfit = () => runFiltersWithNominatedPods(filters, trialCycle(filters, ctx, trial, potential), trial);
  const status = misfit();
  if (status) return { status };

  const { violating, nonViolating } = filterPodsWithPDBViolation(sortByImportance(potential, now), pdbs);
  const victims: PodInfo[] = [];
  /** Puts the pod back if the preemptor still fits; else it is a victim (false). */
  const reprieve = (p: PodInfo): boolean => {
    trial.addPod(p.pod);
    if (!misfit()) return true;
    trial.removePod(podKeyOf(p.pod));
    victims.push(p);
    return false;
  };
  let numPDBViolations = 0;
  for (const p of violating) if (!reprieve(p)) numPDBViolations++;
  for (const p of nonViolating) reprieve(p);
  if (violating.length && nonViolating.length) sortByImportance(victims, now);
  return { victims: victims.map((v) => v.pod), numPDBViolations };
}
