import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { histogramCount, histogramDelta, histogramQuantile, parseHistograms } from './histogram.ts';

const page = (n: number[]) =>
  [
    '# TYPE m histogram',
    `m_bucket{verb="POST",resource="pods",le="0.1"} ${n[0]}`,
    `m_bucket{verb="POST",resource="pods",le="1"} ${n[1]}`,
    `m_bucket{verb="POST",resource="pods",le="+Inf"} ${n[2]}`,
    `m_sum{verb="POST",resource="pods"} 1`,
    `other_bucket{le="1"} 5`,
  ].join('\n');

describe('histograms from a /metrics page', () => {
  it('parses the series of one metric with their labels', () => {
    const h = parseHistograms(page([1, 2, 3]), 'm');
    assert.equal(h.size, 1);
    const s = [...h.values()][0]!;
    assert.deepEqual(s.labels, { verb: 'POST', resource: 'pods' });
    assert.deepEqual(s.buckets, [[0.1, 1], [1, 2], [Infinity, 3]]);
  });

  it('takes the difference of two scrapes and estimates quantiles as Prometheus', () => {
    const delta = (after: number[]) => [...histogramDelta(parseHistograms(page([1, 2, 3]), 'm'), parseHistograms(page(after), 'm')).values()][0]!;
    const s = delta([51, 102, 103]);
    assert.equal(histogramCount(s), 100);
    assert.ok(Math.abs(histogramQuantile(0.5, s) - 0.1) < 1e-9);
    assert.ok(Math.abs(histogramQuantile(0.75, s) - (0.1 + 0.9 * 0.5)) < 1e-9);
    // In the +Inf bucket: the largest finite bound.
    assert.equal(histogramQuantile(0.999, delta([51, 101, 103])), 1);
    assert.ok(Number.isNaN(histogramQuantile(0.99, { labels: {}, buckets: [] })));
  });
});
