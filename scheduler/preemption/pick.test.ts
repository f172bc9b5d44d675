import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pod } from '../testing/fixtures.ts';
import type { Pod } from '../types.ts';
import { earliestStartOfTopVictims, pickOneNodeForPreemption, type Candidate } from './pick.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const v = (priority: number, startTime?: string): Pod => ({ ...pod('v', { priority }), status: { startTime } });
const c = (node: string, victims: Pod[], numPDBViolations = 0): Candidate => ({ node, victims, numPDBViolations });
const pick = (...cs: Candidate[]) => pickOneNodeForPreemption(cs, NOW)?.node;

test('none or one candidate', () => {
  assert.equal(pick(), undefined);
  assert.equal(pick(c('a', [v(1)], 3)), 'a');
});

test('1. the fewest PodDisruptionBudget violations', () => {
  assert.equal(pick(c('a', [v(0)], 1), c('b', [v(100), v(50)], 0)), 'b');
});

test('2. the lowest priority of the most important victim', () => {
  assert.equal(pick(c('a', [v(10)]), c('b', [v(5), v(5), v(5)])), 'b');
});

test('3. the smallest sum of priorities (negative priorities shifted, so more victims weigh more)', () => {
  assert.equal(pick(c('a', [v(10), v(9)]), c('b', [v(10), v(1)])), 'b');
  assert.equal(pick(c('a', [v(-5), v(-5)]), c('b', [v(-5)])), 'b');
});

test('4. the fewest victims', () => {
  // Equal top priority and equal shifted sums (0+2^31 + -2^31+2^31 = 0+2^31), one victim fewer.
  assert.equal(pick(c('a', [v(0), v(-(2 ** 31))]), c('b', [v(0)])), 'b');
});

test('5. the latest start among the most important victims, then the first', () => {
  const early = v(3, '2024-05-01T08:00:00Z');
  const late = v(3, '2024-05-01T11:00:00Z');
  assert.equal(pick(c('a', [early]), c('b', [late])), 'b');
  assert.equal(pick(c('a', [late]), c('b', [late])), 'a');
  // Not started counts as now: the latest.
  assert.equal(pick(c('a', [late]), c('b', [v(3)])), 'b');
});

test('GetEarliestPodStartTime looks at the highest-priority victims only', () => {
  const victims = [v(5, '2024-05-01T11:00:00Z'), v(5, '2024-05-01T10:00:00Z'), v(1, '2024-05-01T01:00:00Z')];
  assert.equal(earliestStartOfTopVictims(victims, NOW), Date.parse('2024-05-01T10:00:00Z'));
});
