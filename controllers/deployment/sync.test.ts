import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPodReady } from '../runtime/pods.ts';
import { reconcileDeployment } from './sync.ts';
import { T0, World } from './sim.ts';
import { computeHash, deploymentComplete, maxSurge, maxUnavailable, type DeploymentCondition } from './util.ts';

const cond = (w: World, type: string) => (w.d.status?.conditions ?? []).find((c) => c.type === type) as DeploymentCondition | undefined;
const reasons = (w: World) => Object.fromEntries((w.d.status?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));

/** A seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('reconcileDeployment', () => {
  it('a new Deployment: ReplicaSet <name>-<hash> with the hash label, controllerRef, annotations; revision 1; conditions', () => {
    const w = new World({ replicas: 3 });
    const plan = w.syncDeployment();
    const hash = computeHash(w.d.spec!.template);
    assert.deepEqual(plan.ops.map((o) => o.op), ['createReplicaSet', 'updateStatus']);
    const rs = w.rss[0]!;
    assert.equal(rs.metadata!.name, `web-${hash}`);
    assert.deepEqual(rs.metadata!.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs.spec!.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.deepEqual(rs.spec!.template!.metadata!.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(rs.metadata!.annotations, {
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    assert.equal(rs.spec!.replicas, 3);
    assert.equal(w.d.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(reasons(w), { Progressing: 'True NewReplicaSetCreated', Available: 'False MinimumReplicasUnavailable' });
    assert.equal(cond(w, 'Progressing')!.message, `Created new replica set "web-${hash}"`);
    assert.deepEqual(w.events, [`Normal ScalingReplicaSet Scaled up replica set web-${hash} to 3`]);
    assert.equal(w.d.status!.observedGeneration, 1);

    w.settle();
    assert.deepEqual(reasons(w), { Available: 'True MinimumReplicasAvailable', Progressing: 'True NewReplicaSetAvailable' });
    assert.equal(cond(w, 'Progressing')!.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    const { observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas } = w.d.status!;
    assert.deepEqual({ observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas }, {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: undefined,
    });
    // Settled: another sync writes nothing.
    assert.deepEqual(w.syncDeployment().ops, []);
  });

  it('a selector selecting everything: SelectingAll, observedGeneration, nothing created', () => {
    const w = new World({ replicas: 2, selector: {} });
    const plan = w.syncDeployment();
    assert.deepEqual(w.events, ['Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required.']);
    assert.deepEqual(plan.ops.map((o) => o.op), ['updateStatus']);
    assert.equal(w.d.status!.observedGeneration, 1);
    assert.equal(w.rss.length, 0);
  });

  it('revisions: each template change is the next revision; rolling back re-numbers the old ReplicaSet and keeps its history', () => {
    const w = new World({ replicas: 2 });
    w.settle();
    w.setImage('v2');
    w.settle();
    w.setImage('v3');
    w.settle();
    assert.deepEqual(
      Object.fromEntries(Object.entries(w.rsByRevision()).map(([r, v]) => [r, v.replicas])),
      { '1': 0, '2': 0, '3': 2 },
    );
    assert.equal(w.d.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    const rev1 = w.rsByRevision()['1']!.name;
    // `kubectl rollout undo --to-revision=1` puts revision 1's template back.
    w.setImage('v1');
    w.settle();
    const revs = w.rsByRevision();
    assert.deepEqual(Object.keys(revs).sort(), ['2', '3', '4']);
    assert.equal(revs['4']!.name, rev1, 'the same ReplicaSet, not a new one');
    assert.equal(revs['4']!.history, '1');
    assert.equal(revs['4']!.replicas, 2);
    assert.equal(w.d.metadata!.annotations!['deployment.kubernetes.io/revision'], '4');
    assert.equal(w.rss.length, 3);
  });

  it('the Deployment\'s annotations are copied to the new ReplicaSet (change-cause for rollout history)', () => {
    const w = new World({ replicas: 1 });
    w.d.metadata!.annotations = { 'kubernetes.io/change-cause': 'first' };
    w.settle();
    assert.equal(w.rss[0]!.metadata!.annotations!['kubernetes.io/change-cause'], 'first');
  });

  it('revisionHistoryLimit: old ReplicaSets beyond it are deleted once scaled down, oldest revisions first', () => {
    const w = new World({ replicas: 2, revisionHistoryLimit: 1 });
    w.settle();
    for (const img of ['v2', 'v3', 'v4']) {
      w.setImage(img);
      w.settle();
    }
    assert.deepEqual(Object.keys(w.rsByRevision()).sort(), ['3', '4']);
    const deletes = w.plans.flatMap((p) => p.ops).filter((o) => o.op === 'deleteReplicaSet');
    assert.deepEqual(deletes.map((o) => o.rs.metadata!.annotations!['deployment.kubernetes.io/revision']), ['1', '2']);
    // Limit 0: no history at all once complete.
    w.edit((s) => (s.revisionHistoryLimit = 0));
    w.settle();
    assert.deepEqual(Object.keys(w.rsByRevision()), ['4']);
  });

  it('cleanup never deletes a ReplicaSet that still has replicas', () => {
    const w = new World({ replicas: 2, revisionHistoryLimit: 0 });
    w.settle();
    w.setImage('v2');
    // Mid-rollout: the old ReplicaSet has pods; nothing is deleted.
    w.syncDeployment();
    w.syncReplicaSets();
    w.syncDeployment();
    assert.equal(w.rss.length, 2);
    assert.equal(w.plans.flatMap((p) => p.ops).filter((o) => o.op === 'deleteReplicaSet').length, 0);
  });

  it('pause: no rollout of a new template, Progressing Unknown DeploymentPaused; scaling still works; resume rolls out', () => {
    const w = new World({ replicas: 2 });
    w.settle();
    w.edit((s) => (s.paused = true));
    w.setImage('v2');
    w.settle();
    assert.equal(w.rss.length, 1, 'no new ReplicaSet while paused');
    assert.deepEqual(reasons(w).Progressing, 'Unknown DeploymentPaused');
    assert.equal(cond(w, 'Progressing')!.message, 'Deployment is paused');
    assert.equal(w.d.status!.observedGeneration, w.d.metadata!.generation);
    w.edit((s) => (s.replicas = 4));
    w.settle();
    assert.equal(w.rss[0]!.spec!.replicas, 4, 'scaled while paused');
    assert.equal(w.rss[0]!.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '4');
    w.edit((s) => (s.paused = false));
    // Resumed: the paused condition goes, and the same sync starts the rollout.
    w.syncDeployment();
    assert.deepEqual(reasons(w).Progressing, 'True NewReplicaSetCreated');
    assert.equal(w.rss.length, 2);
    w.settle();
    assert.equal(w.rss.length, 2);
    assert.deepEqual(reasons(w).Progressing, 'True NewReplicaSetAvailable');
    assert.equal(w.rsByRevision()['2']!.replicas, 4);
  });

  it('Recreate: old ReplicaSets go to zero first, the new one is created only once their pods are gone, at full size', () => {
    const w = new World({ replicas: 3, strategy: { type: 'Recreate' } });
    w.settle();
    w.setImage('v2');
    const p1 = w.syncDeployment();
    assert.deepEqual(p1.ops.map((o) => o.op), ['updateReplicaSet', 'updateStatus']);
    assert.equal(w.rss.length, 1);
    assert.equal(w.rss[0]!.spec!.replicas, 0);
    // Old pods still reported: wait.
    assert.equal(w.syncDeployment().ops.filter((o) => o.op === 'createReplicaSet').length, 0);
    w.syncReplicaSets(); // pods deleted, status replicas 0
    const p3 = w.syncDeployment();
    assert.equal(p3.ops[0]!.op, 'createReplicaSet');
    assert.equal(w.rss[1]!.spec!.replicas, 3);
    assert.deepEqual(w.events.slice(1), [
      `Normal ScalingReplicaSet Scaled down replica set ${w.rss[0]!.metadata!.name} to 0 from 3`,
      `Normal ScalingReplicaSet Scaled up replica set ${w.rss[1]!.metadata!.name} to 3`,
    ]);
    w.settle();
    assert.equal(w.availablePods(), 3);
  });

  it('Recreate waits for pods of old ReplicaSets that are not terminal yet', () => {
    const w = new World({ replicas: 1, strategy: { type: 'Recreate' } });
    w.settle();
    w.setImage('v2');
    w.syncDeployment();
    // The old ReplicaSet reports 0 replicas, but a pod of it still runs (say, terminating).
    const old = w.rss[0]!;
    old.status = { ...old.status, replicas: 0 };
    assert.equal(w.syncDeployment().ops.filter((o) => o.op === 'createReplicaSet').length, 0);
    w.pods[0]!.status!.phase = 'Succeeded';
    assert.equal(w.syncDeployment().ops[0]!.op, 'createReplicaSet');
  });

  it('scaling during a rollout is proportional across the active ReplicaSets, leftovers to the largest', () => {
    const w = new World({ replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    w.settle();
    w.setImage('v2');
    const sizes = () => w.rss.map((rs) => rs.spec!.replicas);
    // One sync: the new ReplicaSet gets the 3 of surge, the old one gives up the 2 unavailable allowed.
    w.syncDeployment();
    assert.deepEqual(sizes(), [8, 3]);
    w.syncReplicaSets();
    w.syncDeployment();
    assert.deepEqual(sizes(), [8, 5]);
    w.syncReplicaSets();
    // 10 → 20 while rolling: the 13 allowed become 23, shared as the sizes were:
    // 8 * 23 / 13 = 14.15 → 14, 5 * 23 / 13 = 8.85 → 9.
    w.edit((s) => (s.replicas = 20));
    const plan = w.syncDeployment();
    assert.equal(plan.ops.filter((o) => o.op === 'updateReplicaSet').length, 2);
    assert.deepEqual(sizes(), [14, 9]);
    assert.equal(w.specTotal(), 20 + 3);
    for (const rs of w.rss) assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '20');
    for (const rs of w.rss) assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '23');
    assert.ok(w.events.includes(`Normal ScalingReplicaSet Scaled up replica set ${w.rss[0]!.metadata!.name} to 14 from 8`));
    // 20 → 5: 23 → 8 allowed; 14 * 8 / 23 = 4.87 → 5, 9 * 8 / 23 = 3.13 → 3.
    w.edit((s) => (s.replicas = 5));
    w.syncDeployment();
    assert.deepEqual(sizes(), [5, 3]);
    assert.ok(w.events.includes(`Normal ScalingReplicaSet Scaled down replica set ${w.rss[1]!.metadata!.name} to 3 from 9`));
    w.settle();
    assert.equal(w.specTotal(), 5);
    assert.equal(w.availablePods(), 5);
  });

  it('progress deadline: no progress for progressDeadlineSeconds is ProgressDeadlineExceeded; the sync asks to look again in time', () => {
    const w = new World({ replicas: 2, progressDeadlineSeconds: 60 });
    w.settle();
    w.setImage('v2');
    w.syncDeployment();
    w.syncReplicaSets();
    w.syncDeployment();
    // New pods never become ready.
    const plan = w.syncDeployment();
    assert.ok(plan.requeueAfterMs! > 0 && plan.requeueAfterMs! <= 60_000, `requeue after ${plan.requeueAfterMs}`);
    w.tick(61_000);
    w.syncReplicaSets();
    w.syncDeployment();
    assert.deepEqual(reasons(w).Progressing, 'False ProgressDeadlineExceeded');
    assert.match(cond(w, 'Progressing')!.message!, /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
    // Pausing does not hide the timeout.
    w.edit((s) => (s.paused = true));
    w.syncDeployment();
    assert.deepEqual(reasons(w).Progressing, 'False ProgressDeadlineExceeded');
    // Without a deadline there is no Progressing condition at all.
    const nd = new World({ replicas: 1, progressDeadlineSeconds: 2147483647 });
    nd.settle();
    assert.equal(cond(nd, 'Progressing'), undefined);
  });

  it('ReplicaFailure of the new ReplicaSet shows on the Deployment', () => {
    const w = new World({ replicas: 2 });
    w.syncDeployment();
    w.rss[0]!.status = { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'FailedCreate', message: 'quota' }] };
    w.syncDeployment();
    assert.deepEqual(reasons(w).ReplicaFailure, 'True FailedCreate');
  });

  it('minReadySeconds is copied to the ReplicaSets and gates availability', () => {
    const w = new World({ replicas: 2, minReadySeconds: 10 });
    w.settle();
    assert.equal(w.rss[0]!.spec!.minReadySeconds, 10);
    w.edit((s) => (s.minReadySeconds = 0));
    w.syncDeployment();
    assert.equal(w.rss[0]!.spec!.minReadySeconds, undefined);
  });

  it('a Deployment being deleted only has its status synced', () => {
    const w = new World({ replicas: 2 });
    w.settle();
    w.d.metadata!.deletionTimestamp = '2024-01-01T01:00:00Z';
    w.setImage('v2');
    const plan = reconcileDeployment({ deployment: w.d, replicaSets: w.rss, now: w.now });
    assert.deepEqual(plan.ops.map((o) => o.op), ['updateStatus']);
  });
});

describe('rolling update simulation', () => {
  const configs = [
    { replicas: 3, maxSurge: '25%', maxUnavailable: '25%', minReadySeconds: 0 },
    { replicas: 10, maxSurge: '25%', maxUnavailable: '25%', minReadySeconds: 0 },
    { replicas: 5, maxSurge: 0, maxUnavailable: 1, minReadySeconds: 0 },
    { replicas: 5, maxSurge: 2, maxUnavailable: 0, minReadySeconds: 3 },
    { replicas: 7, maxSurge: '50%', maxUnavailable: '30%', minReadySeconds: 0 },
    { replicas: 4, maxSurge: '100%', maxUnavailable: 0, minReadySeconds: 2 },
    { replicas: 1, maxSurge: 0, maxUnavailable: 1, minReadySeconds: 0 },
  ];
  for (const cfg of configs) {
    it(`never exceeds surge or unavailability: ${JSON.stringify(cfg)}`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const rand = rng(seed * 7919 + cfg.replicas);
        const w = new World({ replicas: cfg.replicas, minReadySeconds: cfg.minReadySeconds, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: cfg.maxSurge, maxUnavailable: cfg.maxUnavailable } } });
        w.settle();
        const surge = maxSurge(w.d);
        const unavailable = maxUnavailable(w.d);
        const n = cfg.replicas;
        let rollouts = 0;
        w.setImage(`v${++rollouts + 1}`);
        let steps = 0;
        const check = (what: string) => {
          assert.ok(w.specTotal() <= n + surge, `seed ${seed} step ${steps} after ${what}: ${w.specTotal()} replicas > ${n} + ${surge}`);
          assert.ok(w.availablePods() >= n - unavailable, `seed ${seed} step ${steps} after ${what}: ${w.availablePods()} available < ${n} - ${unavailable}`);
          const active = w.pods.length;
          assert.ok(active <= n + surge || what !== 'rs', `seed ${seed}: ${active} pods > ${n} + ${surge}`);
        };
        for (; steps < 3000; steps++) {
          const r = rand();
          if (r < 0.3) {
            try {
              w.syncDeployment();
            } catch (err) {
              // Upstream refuses to act on stale statuses the same way (and retries).
              assert.match((err as Error).message, /invalid request to scale down/);
            }
            check('deployment');
          } else if (r < 0.6) {
            w.syncReplicaSets();
            check('rs');
          } else if (r < 0.85) {
            w.readyOne(Math.floor(rand() * 100));
            check('kubelet');
          } else {
            w.tick(1000);
            check('tick');
          }
          const done = deploymentComplete(w.d, w.d.status!) && w.rss.filter((rs) => (rs.spec?.replicas ?? 0) > 0).length === 1 && cond(w, 'Progressing')?.reason === 'NewReplicaSetAvailable';
          if (done) {
            if (rollouts >= 3) break;
            // Another rollout, sometimes in the middle of nothing in particular.
            w.setImage(`v${++rollouts + 1}`);
          }
        }
        assert.ok(steps < 3000, `seed ${seed}: the rollout did not complete`);
        assert.equal(w.pods.filter(isPodReady).length, n);
        assert.equal(w.d.status!.updatedReplicas, n);
        assert.ok(w.d.status!.observedGeneration! >= w.d.metadata!.generation!);
      }
    });
  }

  it('the conditions a rollout goes through', () => {
    const w = new World({ replicas: 2 });
    w.settle();
    w.setImage('v2');
    const seen: string[] = [];
    const note = () => {
      const c = cond(w, 'Progressing')!;
      if (seen[seen.length - 1] !== c.reason) seen.push(c.reason!);
    };
    for (let i = 0; i < 20; i++) {
      w.syncDeployment();
      note();
      w.syncReplicaSets();
      w.readyOne();
      w.tick();
      w.syncReplicaSets();
    }
    assert.deepEqual(seen, ['NewReplicaSetCreated', 'ReplicaSetUpdated', 'NewReplicaSetAvailable']);
    assert.equal(w.now > T0, true);
  });
});
