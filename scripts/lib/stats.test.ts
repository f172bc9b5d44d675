import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarize } from './stats.ts';

test('percentile uses nearest rank on unsorted input', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), RangeError);
});

test('summarize reports count, p50, p99, max and mean', () => {
  const s = summarize([4, 1, 3, 2]);
  assert.deepEqual(s, { count: 4, p50: 2, p99: 4, max: 4, mean: 2.5 });
  assert.equal(summarize([]).count, 0);
});
