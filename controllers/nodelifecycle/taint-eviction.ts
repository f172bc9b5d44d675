// Taint-based eviction decisions (upstream pkg/controller/tainteviction): a pod on a node
// with NoExecute taints is deleted at once unless it tolerates all of them; tolerating them
// with tolerationSeconds, it is deleted that long after the eviction was first scheduled;
// tolerating them forever, it stays.
import { toleratesTaint } from '../../scheduler/plugins/taint-toleration.ts';
import type { Taint, Toleration } from '../../scheduler/types.ts';

/** v1helper.GetMatchingTolerations: whether every taint is tolerated, and by which tolerations. */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[] | undefined): { all: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = (tolerations ?? []).find((x) => toleratesTaint(x, taint));
    if (!t) return { all: false, used: [] };
    used.push(t);
  }
  return { all: true, used };
}

/** getMinTolerationTime in ms: -1 for forever, 0 for no time at all. */
export function minTolerationMs(tolerations: Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min * 1000;
}

export function noExecuteTaints(taints: Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

/** A scheduled eviction: created when first scheduled, due at fireAt (ms). */
export interface ScheduledEviction {
  createdAt: number;
  fireAt: number;
}

/**
 * processPodOnNode: what becomes of the pod's scheduled eviction given the node's NoExecute
 * taints. `next` undefined means none is scheduled; `cancelled` says an existing one was
 * dropped (upstream reports that with an event).
 */
export function planEviction(
  taints: Taint[],
  tolerations: Toleration[] | undefined,
  now: number,
  scheduled: ScheduledEviction | undefined,
): { next: ScheduledEviction | undefined; cancelled: boolean } {
  const cancelled = scheduled !== undefined;
  if (taints.length === 0) return { next: undefined, cancelled };
  const { all, used } = matchingTolerations(taints, tolerations);
  if (!all) return { next: { createdAt: now, fireAt: now }, cancelled };
  const min = minTolerationMs(used);
  if (min < 0) return { next: undefined, cancelled };
  if (!scheduled) return { next: { createdAt: now, fireAt: now + min }, cancelled: false };
  // An eviction scheduled earlier stands as it is.
  if (scheduled.createdAt < now) return { next: scheduled, cancelled: false };
  return { next: { createdAt: scheduled.createdAt, fireAt: now + min }, cancelled: true };
}
