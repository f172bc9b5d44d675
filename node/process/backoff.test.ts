import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopBackoff } from './backoff.ts';

test('a crashing container restarts at once, then after 10 s, 20 s, 40 s … capped at 5 min', () => {
  const b = new CrashLoopBackoff();
  let t = 1_000_000;
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    const finished = t + 1000; // each run lasts 1 s
    const at = b.restartAt('c', finished);
    waits.push(at - finished);
    b.restarted('c', finished);
    t = at;
  }
  assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.delayMs('c'), 300_000);
});

test('the back-off starts over after a long healthy run, and is forgotten with its pod', () => {
  const b = new CrashLoopBackoff(10, 100);
  b.restarted('pod/a', 0);
  b.restarted('pod/a', 5);
  assert.equal(b.restartAt('pod/a', 6), 26);
  // Up for more than twice the maximum since the last restart: no wait, and 10 again next.
  assert.equal(b.restartAt('pod/a', 300), 300);
  b.restarted('pod/a', 300);
  assert.equal(b.restartAt('pod/a', 301), 311);
  b.forget('pod/');
  assert.equal(b.restartAt('pod/a', 302), 302);
});
