// Choosing the node to preempt on among the candidates, as upstream's pickOneNodeForPreemption:
// each criterion in turn keeps the best-scoring candidates, until one is left:
//  1. the fewest PodDisruptionBudget violations;
//  2. the lowest priority of the most important victim;
//  3. the smallest sum of victim priorities (each shifted to be positive);
//  4. the fewest victims;
//  5. the latest start among the most important victims (disturb the youngest work);
//  6. then the first candidate.
import { podPriority } from '../framework.ts';
import type { Pod } from '../types.ts';
import { podStartTime } from './victims.ts';

export interface Candidate {
  node: string;
  /** Most important first. */
  victims: Pod[];
  numPDBViolations: number;
}

const INT32_SPAN = 2 ** 31;

/** GetEarliestPodStartTime: the earliest start among the highest-priority victims. */
export function earliestStartOfTopVictims(victims: readonly Pod[], now: number): number {
  let top = -Infinity;
  let earliest = now;
  for (const v of victims) {
    const p = podPriority(v);
    const t = podStartTime(v, now);
    if (p > top) {
      top = p;
      earliest = t;
    } else if (p === top && t < earliest) earliest = t;
  }
  return earliest;
}

export function pickOneNodeForPreemption(candidates: readonly Candidate[], now: number): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -podPriority(c.victims[0]!),
    (c) => -c.victims.reduce((sum, v) => sum + podPriority(v) + INT32_SPAN, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfTopVictims(c.victims, now),
  ];
  let left = [...candidates];
  for (const score of criteria) {
    let best = -Infinity;
    let kept: Candidate[] = [];
    for (const c of left) {
      const s = score(c);
      if (s > best) {
        best = s;
        kept = [c];
      } else if (s === best) kept.push(c);
    }
    if (kept.length === 1) return kept[0];
    left = kept;
  }
  return left[0];
}
