import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import { isPodReady, type Pod } from '../runtime/pods.ts';
import { FakeApi, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import type { KubeObject } from '../runtime/types.ts';
import { ReplicaSetController } from '../replicaset/controller.ts';
import { PODS, REPLICASETS, REPLICASET_KIND, type ReplicaSetObject } from '../replicaset/replicaset.ts';
import { DEPLOYMENTS, DeploymentController } from './controller.ts';
import { computeHash, type Deployment } from './util.ts';

function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
  };
}

async function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(WORKLOAD_RESOURCES);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const pods = factory.informer(PODS);
  const rsc = new ReplicaSetController({ api, kind: REPLICASET_KIND, owners: factory.informer(REPLICASETS), pods, clock, recorder });
  const dc = new DeploymentController({ api, deployments: factory.informer(DEPLOYMENTS), replicaSets: factory.informer(REPLICASETS), pods, clock, recorder });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([dc.controller, rsc.controller], { clock, stepMs: 1000, maxMs: 30_000 });
  /** The kubelet: every pod (or n of them) Running and Ready now. */
  const kubelet = async (n = Infinity) => {
    for (const p of (api.all('pods', 'ns') as Pod[]).filter((p) => !isPodReady(p)).slice(0, n)) {
      await api.update(PODS, 'ns', { ...p, spec: { ...p.spec, nodeName: 'node-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(clock.now()).toISOString().replace(/\.\d+Z/, 'Z') }] } }, 'status');
    }
  };
  const d = (name = 'web') => api.peek('deployments', 'ns', name) as Deployment;
  const rss = () => api.all('replicasets', 'ns') as ReplicaSetObject[];
  const stop = () => factory.stop();
  return { clock, api, recorder, run, kubelet, d, rss, stop, dc };
}

describe('Deployment controller', () => {
  it('creates its ReplicaSet and, through the ReplicaSet controller, the pods; completes once they are ready', async () => {
    const { api, run, kubelet, d, rss, recorder, stop } = await setup();
    const created = await api.create<Deployment>(DEPLOYMENTS, 'ns', deployment('web', 3));
    await run();
    const [rs] = rss();
    const hash = computeHash(created.spec!.template);
    assert.equal(rs!.metadata!.name, `web-${hash}`);
    assert.deepEqual(rs!.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    const pods = api.all('pods', 'ns') as Pod[];
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.deepEqual(p.metadata!.labels, { app: 'web', 'pod-template-hash': hash });
      assert.equal(p.metadata!.ownerReferences![0]!.name, rs!.metadata!.name);
      assert.match(p.metadata!.name!, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    }
    assert.equal(d().metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.ok(recorder.events.includes(`Normal ScalingReplicaSet Scaled up replica set web-${hash} to 3`));
    await kubelet();
    await run();
    const s = d().status!;
    assert.deepEqual([s.observedGeneration, s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas, s.unavailableReplicas], [1, 3, 3, 3, 3, undefined]);
    assert.deepEqual(s.conditions!.map((c) => `${c.type} ${c.status} ${c.reason}`).sort(), ['Available True MinimumReplicasAvailable', 'Progressing True NewReplicaSetAvailable']);
    await stop();
  });

  it('a rolling update through both controllers never exceeds maxSurge or maxUnavailable', async () => {
    const { api, run, kubelet, d, rss, stop } = await setup();
    await api.create(DEPLOYMENTS, 'ns', deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await run();
    await kubelet();
    await run();
    // Watch every change and check the limits on each.
    const violations: string[] = [];
    const check = () => {
      const total = rss().reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      if (total > 5) violations.push(`${total} replicas`);
      const ready = (api.all('pods', 'ns') as Pod[]).filter((p) => isPodReady(p) && !p.metadata?.deletionTimestamp).length;
      if (ready < 3) violations.push(`${ready} ready`);
    };
    const w1 = api.watch(REPLICASETS, 'ns', {}, check, () => {});
    const w2 = api.watch(PODS, 'ns', {}, check, () => {});
    const cur = d();
    cur.spec!.template!.spec = { containers: [{ name: 'nginx', image: 'nginx:2' }] };
    await api.update(DEPLOYMENTS, 'ns', cur);
    for (let i = 0; i < 20; i++) {
      await run();
      await kubelet(1);
    }
    await run();
    w1.stop();
    w2.stop();
    assert.deepEqual(violations, []);
    const s = d().status!;
    assert.deepEqual([s.observedGeneration, s.replicas, s.updatedReplicas, s.availableReplicas], [2, 4, 4, 4]);
    assert.deepEqual(rss().map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas]).sort(), [['1', 0], ['2', 4]]);
    assert.equal((api.all('pods', 'ns') as Pod[]).length, 4);
    await stop();
  });

  it('rollback as kubectl does it (the old template back) reuses the old ReplicaSet as the next revision', async () => {
    const { api, run, kubelet, d, rss, stop } = await setup();
    await api.create(DEPLOYMENTS, 'ns', deployment('web', 2));
    await run();
    await kubelet();
    await run();
    const v1 = structuredClone(d().spec!.template!);
    const cur = d();
    cur.spec!.template!.spec = { containers: [{ name: 'nginx', image: 'nginx:2' }] };
    await api.update(DEPLOYMENTS, 'ns', cur);
    for (let i = 0; i < 6; i++) {
      await run();
      await kubelet();
    }
    const back = d();
    back.spec!.template = v1;
    await api.update(DEPLOYMENTS, 'ns', back);
    for (let i = 0; i < 6; i++) {
      await run();
      await kubelet();
    }
    await run();
    const byRev = Object.fromEntries(rss().map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs]));
    assert.deepEqual(Object.keys(byRev).sort(), ['2', '3']);
    assert.equal(byRev['3']!.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(byRev['3']!.spec!.replicas, 2);
    assert.equal(d().metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(d().status!.updatedReplicas, 2);
    await stop();
  });

  it('adopts an orphaned matching ReplicaSet instead of creating another', async () => {
    const { api, run, rss, stop } = await setup();
    const dep = deployment('web', 1);
    const hash = computeHash(dep.spec!.template);
    const tmpl = { ...dep.spec!.template, metadata: { labels: { app: 'web', 'pod-template-hash': hash } } };
    await api.create(REPLICASETS, 'ns', { metadata: { name: 'web-orphan', labels: tmpl.metadata.labels }, spec: { replicas: 1, selector: { matchLabels: tmpl.metadata.labels }, template: tmpl } });
    const created = await api.create<Deployment>(DEPLOYMENTS, 'ns', dep);
    await run();
    assert.deepEqual(rss().map((rs) => rs.metadata!.name), ['web-orphan']);
    assert.equal(rss()[0]!.metadata!.ownerReferences![0]!.uid, created.metadata!.uid);
    assert.equal(rss()[0]!.metadata!.annotations!['deployment.kubernetes.io/revision'], '1');
    await stop();
  });

  it('a hash collision with a ReplicaSet it does not own raises collisionCount and uses another name', async () => {
    const { api, run, rss, d, stop } = await setup();
    const dep = deployment('web', 1);
    const hash = computeHash(dep.spec!.template);
    // Same name, other labels: not selected, not adoptable.
    await api.create<KubeObject>(REPLICASETS, 'ns', { metadata: { name: `web-${hash}`, labels: { other: 'x' } }, spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: {} } } });
    await api.create(DEPLOYMENTS, 'ns', dep);
    await run();
    assert.equal(d().status!.collisionCount, 1);
    const mine = rss().filter((rs) => rs.metadata!.ownerReferences?.length);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.metadata!.name, `web-${computeHash(dep.spec!.template, 1)}`);
    await stop();
  });
});
