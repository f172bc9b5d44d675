import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { ApiStatusError } from './errors.ts';
import { LEASES, LeaderElectionCore, LeaderElector, leaseSpec, recordFromLease, type LeaderElectionRecord } from './leaderelection.ts';
import { FakeApi } from './testing/fake-api.ts';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const S = 1000;

describe('LeaderElectionCore', () => {
  it('creates a record when there is no lease', () => {
    const a = new LeaderElectionCore({ identity: 'a', leaseDurationSeconds: 15 });
    const rec = a.newRecord(T0);
    assert.deepEqual(rec, {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2024-05-01T10:00:00.000000Z',
      renewTime: '2024-05-01T10:00:00.000000Z',
      leaseTransitions: 0,
    });
    assert.equal(a.isLeader(), false);
    a.setObserved(rec, T0);
    assert.equal(a.isLeader(), true);
    assert.equal(a.isLeaseValid(T0 + 14 * S), true);
    assert.equal(a.isLeaseValid(T0 + 15 * S), false);
  });

  it('waits while another holder renews, takes over once it stops for leaseDuration', () => {
    const a = new LeaderElectionCore({ identity: 'a', leaseDurationSeconds: 15 });
    const b = new LeaderElectionCore({ identity: 'b', leaseDurationSeconds: 15 });
    let stored: LeaderElectionRecord = a.newRecord(T0);
    a.setObserved(stored, T0);
    assert.equal(b.decide(stored, T0 + 1 * S), undefined, 'held by a');
    // a renews at +10 s: b sees a change and restarts its expiry count from then.
    stored = a.renewRecord(T0 + 10 * S)!;
    a.setObserved(stored, T0 + 10 * S);
    assert.equal(stored.acquireTime, '2024-05-01T10:00:00.000000Z');
    assert.equal(stored.renewTime, '2024-05-01T10:00:10.000000Z');
    assert.equal(b.decide(stored, T0 + 12 * S), undefined);
    assert.equal(b.decide(stored, T0 + 26 * S), undefined, '14 s after the observed change: still valid');
    // Judged on b's clock: 15 s after b observed the change, not the renewTime written.
    const takeover = b.decide(stored, T0 + 27 * S);
    assert.ok(takeover);
    assert.equal(takeover.holderIdentity, 'b');
    assert.equal(takeover.leaseTransitions, 1);
    assert.equal(takeover.acquireTime, '2024-05-01T10:00:27.000000Z');
  });

  it('a leader renewing through decide keeps acquireTime and transitions', () => {
    const a = new LeaderElectionCore({ identity: 'a', leaseDurationSeconds: 15 });
    const stored: LeaderElectionRecord = { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 'T', renewTime: 'T', leaseTransitions: 4 };
    const rec = a.decide(stored, T0)!;
    assert.equal(rec.holderIdentity, 'a');
    assert.equal(rec.acquireTime, 'T');
    assert.equal(rec.leaseTransitions, 4);
    assert.equal(rec.renewTime, '2024-05-01T10:00:00.000000Z');
  });

  it('a released lease (no holder) is acquired at once', () => {
    const a = new LeaderElectionCore({ identity: 'a', leaseDurationSeconds: 15 });
    const b = new LeaderElectionCore({ identity: 'b', leaseDurationSeconds: 15 });
    const rec = a.newRecord(T0);
    a.setObserved(rec, T0);
    b.decide(rec, T0);
    const released = a.releaseRecord(T0 + 2 * S)!;
    assert.deepEqual({ ...released, acquireTime: undefined, renewTime: undefined }, {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
      acquireTime: undefined,
      renewTime: undefined,
    });
    const taken = b.decide(released, T0 + 3 * S)!;
    assert.equal(taken.holderIdentity, 'b');
    assert.equal(taken.leaseTransitions, 1);
    assert.equal(b.releaseRecord(T0), undefined, 'b has not written yet');
  });

  it('renewRecord only for a leader with a valid lease', () => {
    const a = new LeaderElectionCore({ identity: 'a', leaseDurationSeconds: 15 });
    assert.equal(a.renewRecord(T0), undefined);
    a.setObserved(a.newRecord(T0), T0);
    assert.ok(a.renewRecord(T0 + 5 * S));
    assert.equal(a.renewRecord(T0 + 16 * S), undefined);
  });

  it('maps lease specs both ways', () => {
    const rec: LeaderElectionRecord = { holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: 'A', renewTime: 'R', leaseTransitions: 2 };
    assert.deepEqual(recordFromLease({ spec: leaseSpec(rec) }), rec);
    assert.deepEqual(recordFromLease({}), { holderIdentity: '', leaseDurationSeconds: 0, leaseTransitions: 0 });
  });
});

const flush = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function advance(clock: FakeClock, ms: number, step = 250): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.step(step);
    await flush();
  }
}

function setup() {
  const clock = new FakeClock(T0);
  const api = new FakeApi();
  api.seed('namespaces', { metadata: { name: 'kube-system' } });
  const log: string[] = [];
  const elector = (id: string) =>
    new LeaderElector({
      api,
      clock,
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity: id,
      onStartedLeading: () => void log.push(`${id} started`),
      onStoppedLeading: () => void log.push(`${id} stopped`),
    });
  const lease = () => api.peek('leases', 'kube-system', 'kube-controller-manager')?.spec as Record<string, unknown> | undefined;
  return { clock, api, log, elector, lease };
}

describe('LeaderElector', () => {
  it('acquires, renews every retry period, and releases on stop; the other candidate takes over', async () => {
    const { clock, api, log, elector, lease } = setup();
    const a = elector('a');
    const b = elector('b');
    void a.run();
    await flush();
    assert.deepEqual(log, ['a started']);
    assert.equal(lease()?.holderIdentity, 'a');
    assert.equal(lease()?.leaseDurationSeconds, 15);
    void b.run();
    await advance(clock, 20 * S);
    assert.deepEqual(log, ['a started'], 'b waits while a renews');
    assert.equal(b.isLeader(), false);
    const renewals = api.actions.filter((x) => x.verb === 'update' && (x.body as { spec: { holderIdentity: string } }).spec.holderIdentity === 'a').length;
    assert.ok(renewals >= 8 && renewals <= 11, `a renewed ${renewals} times in 20 s`);
    assert.equal(lease()?.renewTime, '2024-05-01T10:00:20.000000Z', 'renewed every 2 s');
    assert.equal(lease()?.acquireTime, '2024-05-01T10:00:00.000000Z');

    await a.stop();
    assert.deepEqual(log, ['a started', 'a stopped']);
    assert.equal(lease()?.holderIdentity, '', 'released');
    await advance(clock, 5 * S);
    assert.deepEqual(log, ['a started', 'a stopped', 'b started']);
    assert.equal(lease()?.holderIdentity, 'b');
    assert.equal(lease()?.leaseTransitions, 1);
    await b.stop();
  });

  it('a leader that cannot renew within the renew deadline stops leading; another takes over after expiry', async () => {
    const { clock, api, log, elector, lease } = setup();
    const a = elector('a');
    void a.run();
    await flush();
    const b = elector('b');
    void b.run();
    await advance(clock, 3 * S);
    // a's writes now fail (e.g. partitioned from the API server).
    api.failOn = (x) =>
      x.resource === 'leases' && (x.verb === 'get' || (x.body as { spec?: { holderIdentity?: string } })?.spec?.holderIdentity === 'a')
        ? x.verb === 'get'
          ? undefined
          : new ApiStatusError(503, undefined, 'unavailable')
        : undefined;
    await advance(clock, 11 * S);
    assert.ok(log.includes('a stopped'), `a gave up: ${log}`);
    assert.equal(a.isLeader(), false);
    assert.ok(!log.includes('b started'));
    await advance(clock, 10 * S);
    assert.ok(log.includes('b started'), `b took over: ${log}`);
    assert.equal(lease()?.holderIdentity, 'b');
    assert.equal(lease()?.leaseTransitions, 1);
    api.failOn = undefined;
    await a.stop();
    await b.stop();
    assert.equal(lease()?.holderIdentity, '');
  });

  it('rejects timings that cannot work', () => {
    const api = new FakeApi();
    const base = { api, namespace: 'n', name: 'l', onStartedLeading() {}, onStoppedLeading() {} };
    assert.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineMs: 10_000 }), /leaseDuration/);
    assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline/);
  });

  it('reads the lease through LEASES', () => {
    assert.deepEqual(LEASES, { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true, kind: 'Lease' });
  });
});
