// Small, pure statistics helpers for the benchmarks.

/**
 * The p-th percentile (0 <= p <= 100) of `values` by the nearest-rank method: the
 * smallest value such that at least p% of the values are <= it. NaN for no values.
 * `values` need not be sorted; pass `sorted = true` to skip the sort.
 */
export function percentile(values: readonly number[], p: number, sorted = false): number {
  if (values.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const s = sorted ? values : [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Count, p50, p99, max and mean of a set of samples (same unit as the samples). */
export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, p50: percentile(s, 50, true), p99: percentile(s, 99, true), max: s[s.length - 1]!, mean: sum / s.length };
}
