import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import type { ControllerRevision } from '../history/history.ts';
import { currentRevisionOf, newRevision, revisionsToDelete, syncStatefulSet, updateRevisionAction, type StatefulSetOp, type SyncInput } from './sync.ts';
import { applyRevision, claimOwnerRefs, identityMatches, newStatefulSetPod, parentAndOrdinal, POD_INDEX_LABEL, POD_NAME_LABEL, type PersistentVolumeClaim, type StatefulSet } from './util.ts';

const NOW = Date.parse('2024-01-01T00:10:00Z');

function statefulSet(replicas: number, extra: Partial<NonNullable<StatefulSet['spec']>> = {}, image = 'nginx'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'set-uid', generation: 1 },
    spec: {
      replicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      ...extra,
    },
  };
}

const revisionFor = (set: StatefulSet, n: number): ControllerRevision => newRevision(set, n, 0);

/** A pod as the API would hold it: created, at revision rev, Running and Ready unless told otherwise. */
function pod(set: StatefulSet, ordinal: number, rev: ControllerRevision, state: 'ready' | 'pending' | 'failed' | 'terminating' = 'ready'): Pod {
  const p = newStatefulSetPod(applyRevision(set, rev), ordinal, rev.metadata!.name!);
  p.metadata!.uid = `pod-${ordinal}`;
  p.metadata!.creationTimestamp = '2024-01-01T00:00:00Z';
  if (state === 'terminating') p.metadata!.deletionTimestamp = '2024-01-01T00:09:00Z';
  p.status =
    state === 'pending'
      ? { phase: 'Pending' }
      : state === 'failed'
        ? { phase: 'Failed' }
        : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] };
  return p;
}

function input(set: StatefulSet, pods: Pod[], current: ControllerRevision, update = current, claims: PersistentVolumeClaim[] = []): SyncInput {
  return { set, pods, current, update, collisionCount: 0, claim: (n) => claims.find((c) => c.metadata?.name === n), now: NOW };
}

const describeOp = (op: StatefulSetOp) => `${op.op} ${op.op === 'updateClaim' ? op.claim.metadata?.name : op.pod.metadata?.name}`;
const phases = (plan: { phases: StatefulSetOp[][] }) => plan.phases.map((p) => p.map(describeOp));

describe('StatefulSet identity', () => {
  it('names, labels, hostname and subdomain come from the ordinal; claims become volumes', () => {
    const set = statefulSet(1, { volumeClaimTemplates: [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'] } }] });
    const p = newStatefulSetPod(set, 2, 'web-abc');
    assert.equal(p.metadata!.name, 'web-2');
    assert.deepEqual(p.metadata!.labels, { app: 'web', [POD_NAME_LABEL]: 'web-2', [POD_INDEX_LABEL]: '2', 'controller-revision-hash': 'web-abc' });
    assert.equal(p.spec!.hostname, 'web-2');
    assert.equal(p.spec!.subdomain, 'web');
    assert.deepEqual(p.spec!.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-2' } }]);
    assert.equal(p.metadata!.ownerReferences![0]!.kind, 'StatefulSet');
    assert.ok(identityMatches(set, p));
    assert.deepEqual(parentAndOrdinal({ metadata: { name: 'my-set-12' } }), { parent: 'my-set', ordinal: 12 });
    assert.equal(parentAndOrdinal({ metadata: { name: 'web' } }).ordinal, -1);
  });
});

describe('StatefulSet revisions', () => {
  it('creates the first revision, reuses the latest, renumbers an older equal one on rollback', () => {
    const v1 = statefulSet(1);
    const first = updateRevisionAction(v1, []);
    assert.equal(first.action, 'create');
    assert.equal(first.revision.revision, 1);
    assert.match(first.revision.metadata!.name!, /^web-[a-z0-9]+$/);
    const r1 = { ...first.revision, metadata: { ...first.revision.metadata, uid: 'r1' } };
    assert.deepEqual(updateRevisionAction(v1, [r1]), { action: 'reuse', revision: r1 });
    const v2 = statefulSet(1, {}, 'nginx:2');
    const second = updateRevisionAction(v2, [r1]);
    assert.equal(second.action, 'create');
    assert.equal(second.revision.revision, 2);
    const back = updateRevisionAction(v1, [r1, second.revision]);
    assert.deepEqual(back, { action: 'renumber', revision: r1, to: 3 });
  });

  it('the current revision is the one status names, else the update revision', () => {
    const set = statefulSet(1);
    const a = revisionFor(set, 1);
    const b = revisionFor(statefulSet(1, {}, 'x'), 2);
    assert.equal(currentRevisionOf(set, [a, b], b), b);
    set.status = { replicas: 1, availableReplicas: 1, currentRevision: a.metadata!.name };
    assert.equal(currentRevisionOf(set, [a, b], b), a);
  });

  it('trims revisions nobody uses beyond revisionHistoryLimit', () => {
    const set = statefulSet(1, { revisionHistoryLimit: 1 });
    const revs = [1, 2, 3, 4].map((n) => ({ ...revisionFor(statefulSet(1, {}, `img:${n}`), n) }));
    const pods = [pod(set, 0, revs[1]!)];
    assert.deepEqual(revisionsToDelete(set, revs, pods, revs[3]!, revs[3]!).map((r) => r.revision), [1]);
  });
});

describe('syncStatefulSet', () => {
  const set = statefulSet(3);
  const rev = revisionFor(set, 1);

  it('OrderedReady: creates web-0 first, and web-1 only once web-0 is Running and Ready', () => {
    assert.deepEqual(phases(syncStatefulSet(input(set, [], rev))), [['createPod web-0']]);
    assert.deepEqual(phases(syncStatefulSet(input(set, [pod(set, 0, rev, 'pending')], rev))), []);
    assert.deepEqual(phases(syncStatefulSet(input(set, [pod(set, 0, rev)], rev))), [['createPod web-1']]);
  });

  it('OrderedReady honours minReadySeconds before creating the next pod', () => {
    const slow = statefulSet(2, { minReadySeconds: 3600 });
    assert.deepEqual(phases(syncStatefulSet(input(slow, [pod(slow, 0, rev)], rev))), []);
  });

  it('Parallel: creates every missing pod at once, and deletes every condemned one at once', () => {
    const par = statefulSet(3, { podManagementPolicy: 'Parallel' });
    assert.deepEqual(phases(syncStatefulSet(input(par, [], rev))), [['createPod web-0', 'createPod web-1', 'createPod web-2']]);
    const down = statefulSet(1, { podManagementPolicy: 'Parallel' });
    const pods = [0, 1, 2].map((i) => pod(down, i, rev));
    assert.deepEqual(phases(syncStatefulSet(input(down, pods, rev))), [['deletePod web-2', 'deletePod web-1']]);
  });

  it('OrderedReady scale down: the highest ordinal first, one at a time, waiting for termination', () => {
    const down = statefulSet(0);
    const pods = [0, 1, 2].map((i) => pod(down, i, rev));
    assert.deepEqual(phases(syncStatefulSet(input(down, pods, rev))), [['deletePod web-2']]);
    const terminating = [pod(down, 0, rev), pod(down, 1, rev), pod(down, 2, rev, 'terminating')];
    assert.deepEqual(phases(syncStatefulSet(input(down, terminating, rev))), []);
    assert.deepEqual(phases(syncStatefulSet(input(down, [pod(down, 0, rev), pod(down, 1, rev)], rev))), [['deletePod web-1']]);
  });

  it('a failed pod is deleted (and made again on a later sync)', () => {
    assert.deepEqual(phases(syncStatefulSet(input(set, [pod(set, 0, rev, 'failed')], rev))), [['deletePod web-0']]);
  });

  it('creates the claims of a pod before it, owned by the set when whenDeleted=Delete', () => {
    const withClaims = statefulSet(1, {
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
    });
    const [op] = syncStatefulSet(input(withClaims, [], rev)).phases[0]!;
    assert.equal(op!.op, 'createPod');
    const claims = (op as { claims: PersistentVolumeClaim[] }).claims;
    assert.deepEqual(
      claims.map((c) => [c.metadata!.name, c.metadata!.labels, c.metadata!.ownerReferences]),
      [['www-web-0', { app: 'web' }, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true }]]],
    );
    // An existing claim is not made again.
    const existing = { metadata: { name: 'www-web-0', ownerReferences: claims[0]!.metadata!.ownerReferences } };
    const again = syncStatefulSet(input(withClaims, [], rev, rev, [existing])).phases[0]![0] as { claims: PersistentVolumeClaim[] };
    assert.deepEqual(again.claims, []);
  });

  it('whenScaled=Delete: a condemned pod owns its claim before it goes', () => {
    const down = statefulSet(1, { volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: {} }], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } });
    const pods = [pod(down, 0, rev), pod(down, 1, rev)];
    const claims = [{ metadata: { name: 'www-web-0' } }, { metadata: { name: 'www-web-1' } }];
    const plan = syncStatefulSet(input(down, pods, rev, rev, claims));
    assert.deepEqual(phases(plan), [['updateClaim www-web-1'], ['deletePod web-1']]);
    const upd = plan.phases[0]![0] as { claim: PersistentVolumeClaim };
    assert.deepEqual(upd.claim.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'pod-1' }]);
    // A claim still owned by a pod that is gone is stale: its ordinal waits for the collector.
    const up = statefulSet(2, { volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: {} }], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } });
    const stale = [{ metadata: { name: 'www-web-0' } }, { metadata: { name: 'www-web-1', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'old' }] } }];
    assert.deepEqual(phases(syncStatefulSet(input(up, [pod(up, 0, rev)], rev, rev, stale))), []);
    assert.equal(claimOwnerRefs(up, pod(up, 1, rev), { metadata: { name: 'www-web-1', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'pod-1' }] } })!.length, 0);
  });

  it('restores a pod whose identity labels were removed', () => {
    const p = pod(set, 0, rev);
    delete p.metadata!.labels![POD_NAME_LABEL];
    const plan = syncStatefulSet(input(statefulSet(1), [p], rev));
    assert.deepEqual(phases(plan), [['updatePod web-0']]);
    assert.equal((plan.phases[0]![0] as { pod: Pod }).pod.metadata!.labels![POD_NAME_LABEL], 'web-0');
  });

  it('RollingUpdate: from the highest ordinal down to the partition, each after the previous is healthy', () => {
    const v2 = statefulSet(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, 'nginx:2');
    const rev2 = revisionFor(v2, 2);
    const old = [0, 1, 2].map((i) => pod(set, i, rev));
    let plan = syncStatefulSet(input(v2, old, rev, rev2));
    assert.deepEqual(phases(plan), [['deletePod web-2']]);
    assert.equal(plan.status.currentReplicas, 2);
    // web-2 came back at the new revision but is not ready yet: wait.
    plan = syncStatefulSet(input(v2, [old[0]!, old[1]!, pod(v2, 2, rev2, 'pending')], rev, rev2));
    assert.deepEqual(phases(plan), []);
    plan = syncStatefulSet(input(v2, [old[0]!, old[1]!, pod(v2, 2, rev2)], rev, rev2));
    assert.deepEqual(phases(plan), [['deletePod web-1']]);
    // The partition keeps web-0 at the old revision: the rollout stops there.
    plan = syncStatefulSet(input(v2, [old[0]!, pod(v2, 1, rev2), pod(v2, 2, rev2)], rev, rev2));
    assert.deepEqual(phases(plan), []);
    assert.deepEqual([plan.status.currentRevision, plan.status.updatedReplicas, plan.status.currentReplicas], [rev.metadata!.name, 2, 1]);
    // A pod re-made below the partition is made at the current revision.
    plan = syncStatefulSet(input(v2, [pod(v2, 1, rev2), pod(v2, 2, rev2)], rev, rev2));
    const made = plan.phases[0]![0] as { pod: Pod };
    assert.equal(made.pod.metadata!.labels!['controller-revision-hash'], rev.metadata!.name);
    assert.equal((made.pod.spec!.containers as { image: string }[])[0]!.image, 'nginx');
  });

  it('OnDelete: no pod is replaced; a deleted one comes back at the update revision', () => {
    const v2 = statefulSet(2, { updateStrategy: { type: 'OnDelete' } }, 'nginx:2');
    const rev2 = revisionFor(v2, 2);
    assert.deepEqual(phases(syncStatefulSet(input(v2, [pod(set, 0, rev), pod(set, 1, rev)], rev, rev2))), []);
    const plan = syncStatefulSet(input(v2, [pod(set, 0, rev)], rev, rev2));
    assert.equal((plan.phases[0]![0] as { pod: Pod }).pod.metadata!.labels!['controller-revision-hash'], rev2.metadata!.name);
  });

  it('status: counts and revisions; a complete rollout makes the update revision current', () => {
    const v2 = statefulSet(3, {}, 'nginx:2');
    const rev2 = revisionFor(v2, 2);
    const plan = syncStatefulSet(input(v2, [pod(v2, 0, rev2), pod(v2, 1, rev2), pod(v2, 2, rev2)], rev, rev2));
    assert.deepEqual(plan.status, {
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      currentRevision: rev2.metadata!.name,
      updateRevision: rev2.metadata!.name,
      collisionCount: 0,
    });
    const partial = syncStatefulSet(input(set, [pod(set, 0, rev), pod(set, 1, rev, 'pending')], rev)).status;
    assert.deepEqual([partial.replicas, partial.readyReplicas, partial.availableReplicas, partial.currentRevision], [2, 1, 1, rev.metadata!.name]);
  });

  it('a set being deleted only reports status', () => {
    const deleting = statefulSet(3);
    deleting.metadata!.deletionTimestamp = '2024-01-01T00:00:00Z';
    assert.deepEqual(phases(syncStatefulSet(input(deleting, [], rev))), []);
  });
});
