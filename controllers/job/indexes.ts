// Completion indexes of Indexed Jobs (upstream indexed_job_utils.go): the index a pod carries
// in its `batch.kubernetes.io/job-completion-index` annotation, sets of indexes as ordered
// intervals (status.completedIndexes is their string form, e.g. "0-2,4,6,7"), and which
// indexes still need a pod.
import type { Pod } from '../runtime/pods.ts';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** Go's names.MaxGeneratedNameLength: generateName prefixes are cut to this length. */
export const MAX_GENERATED_NAME_LENGTH = 58;
export const UNKNOWN_INDEX = -1;

/** Inclusive [first, last], ascending and non-adjacent within a list. */
export type Interval = readonly [number, number];

/** The pod's completion index, or UNKNOWN_INDEX when absent, malformed or negative. */
export function completionIndex(pod: Pod): number {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return UNKNOWN_INDEX;
  const n = Number(v);
  return n < 0 || !Number.isSafeInteger(n) ? UNKNOWN_INDEX : n;
}

/** Merges two interval lists into one ordered list, joining overlapping and adjacent intervals. */
export function mergeIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [first, last] of all) {
    const prev = out[out.length - 1];
    if (!prev || first > prev[1] + 1) out.push([first, last]);
    else if (last > prev[1]) prev[1] = last;
  }
  return out;
}

export function withIndexes(intervals: readonly Interval[], indexes: readonly number[]): Interval[] {
  return mergeIntervals(
    intervals,
    indexes.map((i) => [i, i] as const),
  );
}

export function totalIndexes(intervals: readonly Interval[]): number {
  return intervals.reduce((n, [first, last]) => n + last - first + 1, 0);
}

export function hasIndex(intervals: readonly Interval[], ix: number): boolean {
  return intervals.some(([first, last]) => first <= ix && ix <= last);
}

/** "0-2,4,6,7": runs of three or more with a dash, pairs with a comma (upstream's String()). */
export function formatIndexes(intervals: readonly Interval[]): string {
  return intervals.map(([first, last]) => (last === first ? `${first}` : last === first + 1 ? `${first},${last}` : `${first}-${last}`)).join(',');
}

/** Upstream parseIndexesFromString: malformed parts are skipped, indexes at or past `completions` dropped. */
export function parseIndexes(s: string | undefined, completions: number): Interval[] {
  if (!s) return [];
  const out: [number, number][] = [];
  for (const part of s.split(',')) {
    const limits = part.split('-');
    if (!/^[+-]?\d+$/.test(limits[0]!)) continue;
    const first = Number(limits[0]);
    if (first >= completions) break;
    let last = first;
    if (limits.length > 1) {
      if (!/^[+-]?\d+$/.test(limits[1]!)) continue;
      last = Math.min(Number(limits[1]), completions - 1);
    }
    const prev = out[out.length - 1];
    if (prev && prev[1] === first - 1) prev[1] = last;
    else out.push([first, last]);
  }
  return out;
}

/** The known indexes of pods, ascending and without repeats. */
export function indexesOf(pods: readonly Pod[]): number[] {
  return [...new Set(pods.map(completionIndex).filter((i) => i !== UNKNOWN_INDEX))].sort((a, b) => a - b);
}

/** Up to `count` indexes below `completions` that are neither done nor taken (upstream firstPendingIndexes). */
export function firstPendingIndexes(nonPending: readonly Interval[], count: number, completions: number): number[] {
  const out: number[] = [];
  let candidate = 0;
  for (const [first, last] of nonPending) {
    for (; candidate < completions && out.length < count && candidate < first; candidate++) out.push(candidate);
    if (candidate < last + 1) candidate = last + 1;
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/** `<job>-<index>-`, the job name cut so the prefix fits MAX_GENERATED_NAME_LENGTH. */
export function podGenerateNameWithIndex(jobName: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = jobName + suffix;
  return prefix.length > MAX_GENERATED_NAME_LENGTH ? jobName.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix : prefix;
}
