import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationOrSeconds, parseGoDuration, parseGoDurationNs } from './duration.ts';

test('Go durations: units, fractions, signs and Go\'s errors', () => {
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDurationNs('-2us'), -2000);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('5'), /time: missing unit in duration "5"/);
  assert.throws(() => parseGoDuration('5y'), /time: unknown unit "y" in duration "5y"/);
  assert.throws(() => parseGoDuration(''), /time: invalid duration ""/);
});

test('flag and annotation durations: Go style or seconds', () => {
  assert.equal(parseDurationOrSeconds('5s'), 5000);
  assert.equal(parseDurationOrSeconds('1m30s'), 90_000);
  assert.equal(parseDurationOrSeconds('250ms'), 250);
  assert.equal(parseDurationOrSeconds('2'), 2000);
  assert.equal(parseDurationOrSeconds('soon'), undefined);
  assert.equal(parseDurationOrSeconds(undefined), undefined);
});

