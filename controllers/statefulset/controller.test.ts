import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import { isPodReady, type Pod } from '../runtime/pods.ts';
import { FakeApi, res, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { rfc3339 } from '../runtime/types.ts';
import { CONTROLLERREVISIONS, type ControllerRevision } from '../history/history.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { StatefulSetController } from './controller.ts';
import { PERSISTENTVOLUMECLAIMS, STATEFULSETS, type StatefulSet } from './util.ts';

const RESOURCES = [
  ...WORKLOAD_RESOURCES,
  res('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  res('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  res('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
];

function statefulSet(replicas: number): StatefulSet {
  return {
    metadata: { name: 'web' },
    spec: {
      replicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
    },
  };
}

async function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(RESOURCES);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const ssc = new StatefulSetController({
    api,
    statefulSets: factory.informer(STATEFULSETS),
    pods: factory.informer(PODS),
    revisions: factory.informer(CONTROLLERREVISIONS),
    claims: factory.informer(PERSISTENTVOLUMECLAIMS),
    clock,
    recorder,
  });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([ssc.controller], { clock, stepMs: 1000, maxMs: 10_000 });
  /** The kubelet: pods Running and Ready. */
  const kubelet = async () => {
    for (const p of (api.all('pods', 'ns') as Pod[]).filter((p) => !isPodReady(p))) {
      await api.update(PODS, 'ns', { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(new Date(clock.now())) }] } }, 'status');
    }
  };
  const podNames = () => (api.all('pods', 'ns') as Pod[]).map((p) => p.metadata!.name).sort();
  const set = () => api.peek('statefulsets', 'ns', 'web') as StatefulSet;
  return { api, clock, recorder, run, kubelet, podNames, set, stop: () => factory.stop() };
}

describe('StatefulSet controller', () => {
  it('creates claims and pods in order, each after the previous is ready, and reports status', async () => {
    const { api, recorder, run, kubelet, podNames, set, stop } = await setup();
    await api.create(STATEFULSETS, 'ns', statefulSet(2));
    await run();
    assert.deepEqual(podNames(), ['web-0']);
    assert.deepEqual(api.all('persistentvolumeclaims', 'ns').map((c) => c.metadata!.name), ['www-web-0']);
    await kubelet();
    await run();
    assert.deepEqual(podNames(), ['web-0', 'web-1']);
    await kubelet();
    await run();
    const [rev] = api.all('controllerrevisions', 'ns') as ControllerRevision[];
    assert.equal(rev!.revision, 1);
    const s = set().status!;
    assert.deepEqual([s.replicas, s.readyReplicas, s.availableReplicas, s.currentReplicas, s.updatedReplicas, s.currentRevision, s.updateRevision, s.observedGeneration], [2, 2, 2, 2, 2, rev!.metadata!.name, rev!.metadata!.name, 1]);
    assert.deepEqual(recorder.events.slice(0, 2), ['Normal SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success', 'Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful']);
    await stop();
  });

  it('rolls a new template out from the highest ordinal down, then scales down in reverse order', async () => {
    const { api, recorder, run, kubelet, podNames, set, stop } = await setup();
    await api.create(STATEFULSETS, 'ns', statefulSet(3));
    for (let i = 0; i < 4; i++) {
      await run();
      await kubelet();
    }
    assert.deepEqual(podNames(), ['web-0', 'web-1', 'web-2']);
    const cur = set();
    cur.spec!.template!.spec!.containers = [{ name: 'nginx', image: 'nginx:2' }];
    await api.update(STATEFULSETS, 'ns', cur);
    const deleted = () => api.actions.filter((a) => a.verb === 'delete' && a.resource === 'pods').map((a) => a.name);
    for (let i = 0; i < 8; i++) {
      await run();
      await kubelet();
    }
    assert.deepEqual(deleted(), ['web-2', 'web-1', 'web-0']);
    const s = set().status!;
    assert.equal(s.currentRevision, s.updateRevision);
    assert.equal(api.all('controllerrevisions', 'ns').length, 2);
    for (const p of api.all('pods', 'ns')) assert.equal(p.metadata!.labels!['controller-revision-hash'], s.updateRevision);
    const scaled = set();
    scaled.spec!.replicas = 0;
    await api.update(STATEFULSETS, 'ns', scaled);
    for (let i = 0; i < 5; i++) await run();
    assert.deepEqual(deleted().slice(3), ['web-2', 'web-1', 'web-0']);
    assert.deepEqual(podNames(), []);
    // Claims stay (Retain).
    assert.equal(api.all('persistentvolumeclaims', 'ns').length, 3);
    assert.ok(recorder.events.includes('Normal SuccessfulDelete delete Pod web-2 in StatefulSet web successful'));
    await stop();
  });

  it('adopts a matching orphan pod named after the set', async () => {
    const { api, run, stop } = await setup();
    api.seed('pods', { metadata: { name: 'web-0', namespace: 'ns', labels: { app: 'web' } }, spec: { containers: [] } });
    api.seed('pods', { metadata: { name: 'other-0', namespace: 'ns', labels: { app: 'web' } }, spec: { containers: [] } });
    await api.create(STATEFULSETS, 'ns', statefulSet(1));
    await run();
    assert.equal(api.peek('pods', 'ns', 'web-0')!.metadata!.ownerReferences?.[0]?.kind, 'StatefulSet');
    assert.equal(api.peek('pods', 'ns', 'other-0')!.metadata!.ownerReferences, undefined);
    await stop();
  });
});
