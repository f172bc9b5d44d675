// Prometheus histograms as the benchmarks read them from a /metrics page: the cumulative
// buckets of each series of one metric, the difference between two scrapes, and
// histogram_quantile's estimate (linear within the bucket, as Prometheus computes it).

/** One series: its labels (without `le`) and the cumulative count at each upper bound. */
export interface HistogramSeries {
  labels: Record<string, string>;
  /** [upper bound, cumulative count], ascending; the last bound is Infinity. */
  buckets: [number, number][];
}

const LINE = /^(\w+)_bucket\{(.*)\} (\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** The series of `metric` in a text exposition, keyed by their labels. */
export function parseHistograms(text: string, metric: string): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    let le = '';
    for (const [, k, v] of m[2]!.matchAll(LABEL)) {
      if (k === 'le') le = v!;
      else labels[k!] = v!;
    }
    const key = JSON.stringify(labels);
    let s = out.get(key);
    if (!s) out.set(key, (s = { labels, buckets: [] }));
    s.buckets.push([le === '+Inf' ? Infinity : Number(le), Number(m[3])]);
  }
  for (const s of out.values()) s.buckets.sort((a, b) => a[0] - b[0]);
  return out;
}

/** What happened between two scrapes (series absent before count from zero). */
export function histogramDelta(before: Map<string, HistogramSeries>, after: Map<string, HistogramSeries>): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const [key, s] of after) {
    const prev = new Map(before.get(key)?.buckets ?? []);
    out.set(key, { labels: s.labels, buckets: s.buckets.map(([le, n]) => [le, n - (prev.get(le) ?? 0)]) });
  }
  return out;
}

export function histogramCount(s: HistogramSeries): number {
  return s.buckets.at(-1)?.[1] ?? 0;
}

/** histogram_quantile(q, s): NaN without observations; the largest finite bound when it falls in +Inf. */
export function histogramQuantile(q: number, s: HistogramSeries): number {
  const total = histogramCount(s);
  if (total === 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of s.buckets) {
    if (n >= rank) {
      if (le === Infinity) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, n - below);
    }
    lower = le;
    below = n;
  }
  return lower;
}
