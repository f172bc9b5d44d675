import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeApi, DEFAULT_RESOURCES, res } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { JOBS, type Job } from '../job/job.ts';
import { TtlAfterFinishedController, ttlState } from './controller.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const finishedJob = (ttl: number | undefined, at: number, type = 'Complete'): Job => ({
  metadata: { name: 'pi', namespace: 'ns' },
  spec: ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl },
  status: { conditions: [{ type, status: 'True', lastTransitionTime: iso(at) }] },
});

describe('TTL after finished', () => {
  it('waits for finish + TTL, for Complete and Failed alike; ignores Jobs without a TTL or unfinished', () => {
    assert.deepEqual(ttlState(finishedJob(60, T0), T0 + 10_000), { state: 'wait', ms: 50_000 });
    assert.deepEqual(ttlState(finishedJob(60, T0, 'Failed'), T0 + 60_000), { state: 'expired', expiredAt: T0 + 60_000 });
    assert.deepEqual(ttlState(finishedJob(undefined, T0), T0 + 10_000), { state: 'none' });
    assert.deepEqual(ttlState({ spec: { ttlSecondsAfterFinished: 0 }, status: {} }, T0), { state: 'none' });
    const deleting = finishedJob(0, T0);
    deleting.metadata!.deletionTimestamp = iso(T0);
    assert.deepEqual(ttlState(deleting, T0), { state: 'none' });
    assert.deepEqual(ttlState(finishedJob(0, T0 + 5000), T0), { state: 'wait', ms: 5000 }, 'finished in the future: clock skew, wait');
  });

  it('deletes the Job in the foreground once the TTL passed, re-reading it first', async () => {
    const clock = new FakeClock(T0);
    const api = new FakeApi([...DEFAULT_RESOURCES, res('batch', 'v1', 'jobs', 'Job', true)]);
    api.seed('namespaces', { metadata: { name: 'ns' } });
    api.seed('jobs', finishedJob(30, T0));
    api.seed('jobs', { ...finishedJob(undefined, T0), metadata: { name: 'keep', namespace: 'ns' } });
    const factory = fakeFactory(api, clock);
    const c = new TtlAfterFinishedController({ api, jobs: factory.informer(JOBS), clock });
    factory.start();
    await factory.waitForSync();
    await drain([c.controller], { clock, stepMs: 5000, maxMs: 20_000 });
    assert.ok(!api.peek('jobs', 'ns', 'pi')!.metadata!.deletionTimestamp, 'not yet');
    await drain([c.controller], { clock, stepMs: 5000, maxMs: 60_000 });
    // Foreground: the garbage collector finishes the deletion once the pods are gone.
    assert.ok(api.peek('jobs', 'ns', 'pi')!.metadata!.deletionTimestamp);
    assert.ok(api.peek('jobs', 'ns', 'keep'));
    const del = api.actions.find((a) => a.verb === 'delete' && a.resource === 'jobs')!;
    assert.equal((del.body as { propagationPolicy?: string }).propagationPolicy, 'Foreground');
    assert.ok((del.body as { preconditions?: { uid?: string } }).preconditions?.uid);
    assert.ok(api.actions.some((a) => a.verb === 'get' && a.resource === 'jobs' && a.name === 'pi'));
    await factory.stop();
  });
});
