import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import { NO_BACKOFF, finishedTime, newBackoffRecord, remainingBackoffMs } from './backoff.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const finished = (s: number): Pod => ({ metadata: { creationTimestamp: at(0) }, status: { containerStatuses: [{ state: { terminated: { finishedAt: at(s) } } } as never] } });

describe('pod failure back-off', () => {
  it('finish time: containers, then Ready=False, then deletion less grace, then creation', () => {
    assert.equal(finishedTime(finished(7)), T0 + 7000);
    const readyFalse: Pod = { metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at(5) }], containerStatuses: [{ state: { running: {} } } as never] } };
    assert.equal(finishedTime(readyFalse), T0 + 5000);
    assert.equal(finishedTime({ metadata: { deletionTimestamp: at(40), deletionGracePeriodSeconds: 30 } }), T0 + 10_000);
    assert.equal(finishedTime({ metadata: { creationTimestamp: at(2) } }), T0 + 2000);
  });

  it('counts failures since the last success; a later success resets', () => {
    let r = newBackoffRecord(NO_BACKOFF, [], [finished(3), finished(1)]);
    assert.deepEqual(r, { failuresAfterLastSuccess: 2, lastFailureTime: T0 + 3000 });
    r = newBackoffRecord(r, [], [finished(9)]);
    assert.deepEqual(r, { failuresAfterLastSuccess: 3, lastFailureTime: T0 + 9000 });
    assert.deepEqual(newBackoffRecord(r, [finished(10)], []), NO_BACKOFF);
    assert.deepEqual(newBackoffRecord(r, [finished(10)], [finished(8), finished(11), finished(12)]), { failuresAfterLastSuccess: 2, lastFailureTime: T0 + 12_000 });
    assert.equal(newBackoffRecord(r, [], []), r);
  });

  it('waits 10 s after one failure, doubling per failure up to 10 min', () => {
    const rec = (n: number) => ({ failuresAfterLastSuccess: n, lastFailureTime: T0 });
    assert.equal(remainingBackoffMs(NO_BACKOFF, T0), 0);
    assert.equal(remainingBackoffMs(rec(1), T0 + 4000), 6000);
    assert.equal(remainingBackoffMs(rec(2), T0), 20_000);
    assert.equal(remainingBackoffMs(rec(3), T0 + 40_000), 0);
    assert.equal(remainingBackoffMs(rec(20), T0), 600_000);
  });
});
