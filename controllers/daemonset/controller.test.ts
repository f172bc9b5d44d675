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
import { DaemonSetController } from './controller.ts';
import { DAEMONSETS, NODES, targetNodeName, type DaemonSet } from './util.ts';

const RESOURCES = [...WORKLOAD_RESOURCES, res('apps', 'v1', 'daemonsets', 'DaemonSet', true), res('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true)];

const daemonSet = (image = 'busybox'): DaemonSet => ({
  metadata: { name: 'agent' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }] } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    revisionHistoryLimit: 10,
  },
});

async function setup(nodes: string[]) {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(RESOURCES);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  for (const n of nodes) api.seed('nodes', { metadata: { name: n } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const dsc = new DaemonSetController({
    api,
    daemonSets: factory.informer(DAEMONSETS),
    pods: factory.informer(PODS),
    nodes: factory.informer(NODES),
    revisions: factory.informer(CONTROLLERREVISIONS),
    clock,
    recorder,
  });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([dsc.controller], { clock, stepMs: 1000, maxMs: 5000 });
  /** The scheduler and kubelet: pods bound to their pinned node, Running and Ready. */
  const kubelet = async () => {
    for (const p of (api.all('pods', 'ns') as Pod[]).filter((p) => !isPodReady(p))) {
      const bound = await api.update<Pod>(PODS, 'ns', { ...p, spec: { ...p.spec, nodeName: targetNodeName(p) } });
      await api.update(PODS, 'ns', { ...bound, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(new Date(clock.now())) }] } }, 'status');
    }
  };
  const podNodes = () => (api.all('pods', 'ns') as Pod[]).map((p) => targetNodeName(p)).sort();
  const ds = () => api.peek('daemonsets', 'ns', 'agent') as DaemonSet;
  return { api, recorder, run, kubelet, podNodes, ds, stop: () => factory.stop() };
}

describe('DaemonSet controller', () => {
  it('runs one pod per node and follows nodes added and removed', async () => {
    const { api, recorder, run, kubelet, podNodes, ds, stop } = await setup(['a', 'b']);
    await api.create(DAEMONSETS, 'ns', daemonSet());
    await run();
    assert.deepEqual(podNodes(), ['a', 'b']);
    assert.equal(recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: agent-')).length, 2);
    const [rev] = api.all('controllerrevisions', 'ns') as ControllerRevision[];
    const hash = rev!.metadata!.labels!['controller-revision-hash'];
    for (const p of api.all('pods', 'ns')) assert.equal(p.metadata!.labels!['controller-revision-hash'], hash);
    await kubelet();
    await run();
    let s = ds().status!;
    assert.deepEqual([s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady, s.numberAvailable, s.updatedNumberScheduled, s.observedGeneration], [2, 2, 2, 2, 2, 1]);

    await api.create(NODES, undefined, { metadata: { name: 'c' } });
    await run();
    assert.deepEqual(podNodes(), ['a', 'b', 'c']);
    await kubelet();
    await api.delete(NODES, undefined, 'b');
    await run();
    // The pod of b stays for the pod garbage collector, but no longer counts.
    assert.deepEqual(podNodes(), ['a', 'b', 'c']);
    s = ds().status!;
    assert.deepEqual([s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady], [2, 2, 2]);
    await stop();
  });

  it('a new template rolls out one node at a time and keeps the old revision', async () => {
    const { api, run, kubelet, ds, stop } = await setup(['a', 'b', 'c']);
    await api.create(DAEMONSETS, 'ns', daemonSet());
    await run();
    await kubelet();
    await run();
    const cur = ds();
    cur.spec!.template!.spec!.containers = [{ name: 'c', image: 'busybox:2' }];
    await api.update(DAEMONSETS, 'ns', cur);
    await run();
    const live = () => (api.all('pods', 'ns') as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    // maxUnavailable 1: one old pod replaced, the others wait.
    assert.equal(api.actions.filter((a) => a.verb === 'delete' && a.resource === 'pods').length, 1);
    for (let i = 0; i < 6; i++) {
      await kubelet();
      await run();
    }
    const revs = (api.all('controllerrevisions', 'ns') as ControllerRevision[]).sort((a, b) => a.revision! - b.revision!);
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
    const hash = revs[1]!.metadata!.labels!['controller-revision-hash'];
    assert.deepEqual(live().map((p) => p.metadata!.labels!['controller-revision-hash']), [hash, hash, hash]);
    const s = ds().status!;
    assert.deepEqual([s.updatedNumberScheduled, s.numberAvailable], [3, 3]);
    await stop();
  });
});
