import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import { Informer } from '../runtime/informer.ts';
import type { Pod } from '../runtime/pods.ts';
import { FakeApi, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { ApiStatusError } from '../runtime/errors.ts';
import type { KubeObject } from '../runtime/types.ts';
import { ReplicaSetController } from './controller.ts';
import { PODS, REPLICASETS, REPLICASET_KIND, REPLICATIONCONTROLLERS, REPLICATIONCONTROLLER_KIND, type ReplicaSetObject } from './replicaset.ts';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } };

async function setup(kind = REPLICASET_KIND) {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(WORKLOAD_RESOURCES);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const c = new ReplicaSetController({ api, kind, owners: factory.informer(kind.ref), pods: factory.informer(PODS), recorder, clock });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([c.controller], { clock, stepMs: 1000, maxMs: 60_000 });
  const pods = () => api.all('pods', 'ns') as Pod[];
  const stop = () => factory.stop();
  return { clock, api, c, recorder, run, pods, stop };
}

/** Marks pods Running and Ready (what a kubelet would report). */
async function markReady(api: FakeApi, pods: Pod[], at: string) {
  for (const p of pods) {
    await api.update(PODS, 'ns', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] } }, 'status');
  }
}

describe('ReplicaSet controller', () => {
  it('creates the pods from the template: generateName, labels, controllerRef; events; status', async () => {
    const { api, run, pods, recorder, stop } = await setup();
    const rs = await api.create<ReplicaSetObject>(REPLICASETS, 'ns', { metadata: { name: 'web-1' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template } });
    await run();
    const ps = pods();
    assert.equal(ps.length, 3);
    for (const p of ps) {
      assert.match(p.metadata!.name!, /^web-1-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata!.labels, { app: 'web' });
      assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(p.spec, template.spec);
    }
    assert.deepEqual(recorder.events.sort(), ps.map((p) => `Normal SuccessfulCreate Created pod: ${p.metadata!.name}`).sort());
    const st = api.peek('replicasets', 'ns', 'web-1')!.status;
    assert.deepEqual(st, { replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    // Creations went out in slow-start batches of 1 then 2.
    assert.equal(api.actions.filter((a) => a.verb === 'create' && a.resource === 'pods').length, 3);
    await stop();
  });

  it('scales down preferring not-ready pods, and reports readiness', async () => {
    const { api, run, pods, recorder, stop, clock } = await setup();
    await api.create(REPLICASETS, 'ns', { metadata: { name: 'web-1' }, spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template } });
    await run();
    const [a, b] = pods();
    await markReady(api, pods().filter((p) => p.metadata!.name !== a!.metadata!.name && p.metadata!.name !== b!.metadata!.name), new Date(clock.now()).toISOString());
    await run();
    assert.equal((api.peek('replicasets', 'ns', 'web-1') as ReplicaSetObject).status!.readyReplicas, 2);
    const rs = api.peek('replicasets', 'ns', 'web-1') as ReplicaSetObject;
    await api.update(REPLICASETS, 'ns', { ...rs, spec: { ...rs.spec, replicas: 2 } });
    await run();
    const left = pods().map((p) => p.metadata!.name).sort();
    assert.deepEqual(left.includes(a!.metadata!.name!) || left.includes(b!.metadata!.name!), false, 'the not-ready pods went first');
    assert.equal(recorder.events.filter((e) => e.startsWith('Normal SuccessfulDelete Deleted pod: ')).length, 2);
    assert.deepEqual(api.peek('replicasets', 'ns', 'web-1')!.status, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 });
    await stop();
  });

  it('adopts matching orphans and releases pods whose labels stopped matching', async () => {
    const { api, run, pods, stop } = await setup();
    await api.create(PODS, 'ns', { metadata: { name: 'orphan', labels: { app: 'web' } }, spec: {} });
    const rs = await api.create<ReplicaSetObject>(REPLICASETS, 'ns', { metadata: { name: 'web-1' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } });
    await run();
    assert.equal(pods().length, 2, 'the orphan counts: one created');
    assert.equal(api.peek('pods', 'ns', 'orphan')!.metadata!.ownerReferences![0]!.uid, rs.metadata!.uid);
    // Relabel it: released, and replaced.
    await api.patch(PODS, 'ns', 'orphan', { metadata: { labels: { app: 'other' } } });
    await run();
    assert.deepEqual(api.peek('pods', 'ns', 'orphan')!.metadata!.ownerReferences ?? [], []);
    assert.equal(pods().filter((p) => p.metadata!.labels!.app === 'web').length, 2);
    await stop();
  });

  it('a lagging cache never makes it create twice: expectations hold until observed or expired', async () => {
    const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
    const api = new FakeApi(WORKLOAD_RESOURCES);
    api.seed('namespaces', { metadata: { name: 'ns' } });
    const rs = await api.create<KubeObject>(REPLICASETS, 'ns', { metadata: { name: 'web-1' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } });
    // Informers that never hear about the pods created.
    const frozen = (items: KubeObject[]) =>
      new Informer({ list: async () => ({ items: structuredClone(items), metadata: { resourceVersion: '1' } }), watch: () => ({ stop() {} }) }, { clock });
    const owners = frozen([rs]);
    const podsInf = frozen([]);
    owners.start();
    podsInf.start();
    await Promise.all([owners.waitForSync(), podsInf.waitForSync()]);
    const c = new ReplicaSetController({ api, kind: REPLICASET_KIND, owners, pods: podsInf, clock });
    const creates = () => api.actions.filter((a) => a.verb === 'create' && a.resource === 'pods').length;
    await c.sync('ns/web-1');
    assert.equal(creates(), 2);
    await c.sync('ns/web-1');
    await c.sync('ns/web-1');
    assert.equal(creates(), 2, 'no second round while the creations are unobserved');
    clock.step(5 * 60_000 + 1);
    await c.sync('ns/web-1');
    assert.equal(creates(), 4, 'expired expectations let it act again');
    await owners.stop();
    await podsInf.stop();
  });

  it('a failing creation: the rest of the batch is skipped, ReplicaFailure and FailedCreate are reported, and it retries', async () => {
    const { api, run, pods, recorder, stop, c } = await setup();
    let failures = 1;
    api.failOn = (a) => {
      if (a.verb === 'create' && a.resource === 'pods' && api.actions.filter((x) => x.verb === 'create' && x.resource === 'pods').length === 2 && failures-- > 0) {
        return new ApiStatusError(403, { kind: 'Status', code: 403, reason: 'Forbidden', message: 'pods "web-1-x" is forbidden: exceeded quota' });
      }
      return undefined;
    };
    await api.create(REPLICASETS, 'ns', { metadata: { name: 'web-1' }, spec: { replicas: 5, selector: { matchLabels: { app: 'web' } }, template } });
    await c.controller.processNext();
    await new Promise((r) => setImmediate(r));
    // Batch 1 (one pod) then batch 2 (two pods, one failing): two pods exist.
    assert.equal(pods().length, 2);
    const cond = (api.peek('replicasets', 'ns', 'web-1') as ReplicaSetObject).status!.conditions as { type: string; reason: string; message: string }[];
    assert.deepEqual(cond.map((x) => [x.type, x.reason, x.message]), [['ReplicaFailure', 'FailedCreate', 'pods "web-1-x" is forbidden: exceeded quota']]);
    assert.ok(recorder.events.includes('Warning FailedCreate Error creating: pods "web-1-x" is forbidden: exceeded quota'));
    // Retried with back-off: the condition goes once all pods exist.
    await run();
    assert.equal(pods().length, 5);
    assert.equal((api.peek('replicasets', 'ns', 'web-1') as ReplicaSetObject).status!.conditions, undefined);
    await stop();
  });

  it('scaling down prefers pods on nodes crowded with pods of sibling ReplicaSets (same controller)', async () => {
    const { api, run, pods, stop, clock } = await setup();
    const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true };
    const mk = (name: string, app: string) =>
      api.create<ReplicaSetObject>(REPLICASETS, 'ns', {
        metadata: { name, ownerReferences: [owner] },
        spec: { replicas: 2, selector: { matchLabels: { app } }, template: { ...template, metadata: { labels: { app } } } },
      });
    await mk('a', 'a');
    await mk('b', 'b');
    await run();
    const t = new Date(clock.now()).toISOString();
    const place = async (p: Pod, node: string) => {
      const cur = api.peek('pods', 'ns', p.metadata!.name!) as Pod;
      await api.update(PODS, 'ns', { ...cur, spec: { ...cur.spec, nodeName: node } });
      await markReady(api, [api.peek('pods', 'ns', p.metadata!.name!) as Pod], t);
    };
    const [a1, a2] = pods().filter((p) => p.metadata!.labels!.app === 'a');
    for (const p of pods().filter((p) => p.metadata!.labels!.app === 'b')) await place(p, 'crowded');
    // a2 on the crowded node: without ranks the tie would take a1 (listed first).
    await place(a1!, 'quiet');
    await place(a2!, 'crowded');
    await run();
    const a = api.peek('replicasets', 'ns', 'a') as ReplicaSetObject;
    await api.update(REPLICASETS, 'ns', { ...a, spec: { ...a.spec, replicas: 1 } });
    await run();
    assert.deepEqual(pods().filter((p) => p.metadata!.labels!.app === 'a').map((p) => p.metadata!.name), [a1!.metadata!.name]);
    await stop();
  });

  it('ReplicationControllers: a map selector, v1 controllerRef, the same status', async () => {
    const { api, run, pods, stop } = await setup(REPLICATIONCONTROLLER_KIND);
    const rc = await api.create<KubeObject>(REPLICATIONCONTROLLERS, 'ns', { metadata: { name: 'rc' }, spec: { replicas: 2, selector: { app: 'web' }, template } });
    await run();
    assert.equal(pods().length, 2);
    assert.deepEqual(pods()[0]!.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'rc', uid: rc.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    assert.match(pods()[0]!.metadata!.name!, /^rc-/);
    assert.deepEqual(api.peek('replicationcontrollers', 'ns', 'rc')!.status, { replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1 });
    await stop();
  });
});
