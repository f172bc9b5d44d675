import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import { calculateReplicaSetStatus, reconcileReplicaSet, slowStartBatch, type ReplicaSetObject } from './replicaset.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rs(replicas: number, extra: Partial<ReplicaSetObject['spec']> = {}, meta: Record<string, unknown> = {}): ReplicaSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-1', namespace: 'ns', uid: 'rs-uid', generation: 2, ...meta },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: {} }, ...extra },
    status: { replicas: 0, observedGeneration: 1 },
  };
}

let seq = 0;
function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; labels?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}-${seq++}`, creationTimestamp: at(o.created ?? 0), labels: o.labels ?? { app: 'web', tier: 'fe' } },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: at(o.readySince ?? 0) }],
    },
  };
}
const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

describe('reconcileReplicaSet', () => {
  it('creates the missing pods, at most burstReplicas at a time', () => {
    assert.equal(reconcileReplicaSet(rs(3), [pod('a')], T0).create, 2);
    assert.equal(reconcileReplicaSet(rs(3), [], T0).create, 3);
    assert.equal(reconcileReplicaSet(rs(1000), [], T0).create, 500);
    assert.equal(reconcileReplicaSet(rs(1000), [], T0, { burstReplicas: 10 }).create, 10);
    const r = reconcileReplicaSet(rs(2), [pod('a'), pod('b')], T0);
    assert.deepEqual([r.create, r.delete.length, r.diff], [0, 0, 0]);
  });

  it('inactive pods (terminal, being deleted) do not count', () => {
    const gone = { ...pod('d'), metadata: { ...pod('d').metadata, deletionTimestamp: at(1) } };
    const r = reconcileReplicaSet(rs(2), [pod('a'), pod('s', { phase: 'Succeeded' }), pod('f', { phase: 'Failed' }), gone], T0);
    assert.equal(r.create, 1);
    assert.equal(r.status.replicas, 1);
  });

  it('deletes the excess: unscheduled, then pending, then not ready, then the newest', () => {
    const pods = [
      pod('old-ready', { node: 'n1', ready: true, readySince: 10, created: 1 }),
      pod('new-ready', { node: 'n2', ready: true, readySince: 10, created: 3000 }),
      pod('not-ready', { node: 'n1', ready: false, created: 1 }),
      pod('pending', { node: 'n1', phase: 'Pending', created: 1 }),
      pod('unscheduled', { phase: 'Pending', created: 1 }),
    ];
    const now = T0 + 3600_000;
    assert.deepEqual(names(reconcileReplicaSet(rs(4), pods, now).delete), ['unscheduled']);
    assert.deepEqual(names(reconcileReplicaSet(rs(2), pods, now).delete), ['unscheduled', 'pending', 'not-ready']);
    assert.deepEqual(names(reconcileReplicaSet(rs(1), pods, now).delete), ['unscheduled', 'pending', 'not-ready', 'new-ready']);
    assert.equal(reconcileReplicaSet(rs(0), pods, now).delete.length, 5);
  });

  it('does nothing while expectations are pending or the ReplicaSet is being deleted (status still computed)', () => {
    const r = reconcileReplicaSet(rs(3), [pod('a', { ready: true })], T0, { needsSync: false });
    assert.deepEqual([r.create, r.delete.length, r.status.replicas, r.status.readyReplicas], [0, 0, 1, 1]);
    const deleting = rs(3, {}, { deletionTimestamp: at(0) });
    assert.equal(reconcileReplicaSet(deleting, [], T0).create, 0);
  });
});

describe('ReplicaSet status', () => {
  it('replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (minReadySeconds), observedGeneration', () => {
    const pods = [
      pod('a', { ready: true, readySince: 0 }),
      pod('b', { ready: true, readySince: 8 }),
      pod('c', { ready: false }),
      pod('d', { ready: true, readySince: 0, labels: { app: 'web' } }),
    ];
    const s = calculateReplicaSetStatus(rs(4, { minReadySeconds: 5 }), pods, undefined, T0 + 10_000);
    assert.deepEqual(s, { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2, observedGeneration: 2 });
    // Zero counters are omitted, as upstream's omitempty; replicas always present.
    assert.deepEqual(calculateReplicaSetStatus(rs(0), [], undefined, T0), { replicas: 0, observedGeneration: 2 });
  });

  it('ReplicaFailure: FailedCreate / FailedDelete while managing replicas fails, removed once it succeeds', () => {
    const err = new Error('pods "x" is forbidden: exceeded quota');
    const failing = calculateReplicaSetStatus(rs(3), [pod('a')], err, T0);
    assert.deepEqual(failing.conditions, [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: at(0), reason: 'FailedCreate', message: err.message }]);
    const del = calculateReplicaSetStatus(rs(0), [pod('a')], new Error('nope'), T0);
    assert.equal(del.conditions![0]!.reason, 'FailedDelete');
    // Kept as is while it keeps failing, removed on success.
    const withCond = { ...rs(3), status: failing };
    assert.deepEqual(calculateReplicaSetStatus(withCond, [pod('a')], new Error('other'), T0 + 5000).conditions, failing.conditions);
    assert.equal(calculateReplicaSetStatus(withCond, [pod('a')], undefined, T0).conditions, undefined);
  });
});

describe('slowStartBatch', () => {
  it('calls in batches of 1, 2, 4, 8 ... and stops after a batch with a failure', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    let calls = 0;
    const fn = (failAt?: number) => async () => {
      calls++;
      const n = calls;
      inFlight++;
      if (inFlight === 1) batches.push(0);
      batches[batches.length - 1]!++;
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (n === failAt) throw new Error(`call ${n} failed`);
    };
    assert.deepEqual(await slowStartBatch(10, 1, fn()), { successes: 10 });
    assert.deepEqual(batches, [1, 2, 4, 3]);
    batches.length = 0;
    calls = 0;
    const r = await slowStartBatch(10, 1, fn(3));
    assert.equal(r.successes, 2);
    assert.match(r.error!.message, /call 3 failed/);
    assert.equal(calls, 3, 'no batch after the failing one');
    assert.deepEqual(await slowStartBatch(0, 1, fn()), { successes: 0 });
  });
});
