import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import type { Pod } from '../runtime/pods.ts';
import { FakeApi, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import { fakeFactory, flush } from '../runtime/testing/harness.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { NODES, type Node } from '../nodelifecycle/node-util.ts';
import { PodGCController } from './controller.ts';
import { podsToCollect } from './podgc.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function pod(name: string, opts: { node?: string; phase?: string; created?: string; deleting?: boolean; reason?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z', ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}) },
    spec: { nodeName: opts.node ?? '' },
    status: { phase: opts.phase ?? 'Running', ...(opts.reason ? { reason: opts.reason } : {}) },
  };
}

const names = (c: { pod: Pod }[]) => c.map((x) => x.pod.metadata!.name);

describe('pod gc decisions', () => {
  it('terminated pods beyond the threshold: evicted first, then the oldest', () => {
    const pods = [
      pod('new', { phase: 'Succeeded', created: '2024-01-03T00:00:00Z' }),
      pod('old', { phase: 'Failed', created: '2024-01-01T00:00:00Z' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2024-01-05T00:00:00Z' }),
      pod('running'),
    ];
    assert.deepEqual(names(podsToCollect({ pods, nodes: new Map(), deletedNodes: new Set(), terminatedPodThreshold: 1 })), ['evicted', 'old']);
    assert.deepEqual(podsToCollect({ pods, nodes: new Map(), deletedNodes: new Set(), terminatedPodThreshold: 0 }), []);
  });

  it('orphans of deleted nodes (with the DisruptionTarget condition), unscheduled terminating pods, terminating pods on out-of-service nodes', () => {
    const oos: Node = { metadata: { name: 'oos' }, spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    const pods = [pod('orphan', { node: 'gone' }), pod('unscheduled', { deleting: true }), pod('stuck', { node: 'oos', deleting: true }), pod('fine', { node: 'oos' })];
    const c = podsToCollect({ pods, nodes: new Map([['oos', oos]]), deletedNodes: new Set(['gone']), terminatedPodThreshold: 100 });
    assert.deepEqual(
      c.map((x) => [x.pod.metadata!.name, x.reason]),
      [
        ['stuck', 'terminating-out-of-service'],
        ['orphan', 'orphaned'],
        ['unscheduled', 'unscheduled-terminating'],
      ],
    );
    assert.equal(c[1]!.condition!.reason, 'DeletionByPodGC');
  });
});

describe('pod gc controller', () => {
  it('deletes the pods of a node gone for the quarantine time, marking them Failed first', async () => {
    const clock = new FakeClock(T0);
    const api = new FakeApi(WORKLOAD_RESOURCES);
    api.seed('namespaces', { metadata: { name: 'ns' } });
    api.seed('nodes', { metadata: { name: 'here' } });
    api.seed('pods', pod('orphan', { node: 'gone' }));
    api.seed('pods', pod('kept', { node: 'here' }));
    const factory = fakeFactory(api, clock);
    const gc = new PodGCController({ api, pods: factory.informer(PODS), nodes: factory.informer(NODES), clock });
    factory.start();
    await factory.waitForSync();
    await gc.gc();
    clock.step(39_000);
    await gc.gc();
    assert.equal(api.all('pods', 'ns').length, 2, 'still quarantined');
    clock.step(2000);
    await gc.gc();
    await flush();
    assert.deepEqual(api.all('pods', 'ns').map((p) => p.metadata!.name), ['kept']);
    const marked = api.actions.find((a) => a.verb === 'update' && a.name === 'orphan' && a.subresource === 'status')!;
    assert.equal((marked.body as Pod).status!.phase, 'Failed');
    const del = api.actions.find((a) => a.verb === 'delete' && a.name === 'orphan')!;
    assert.deepEqual(del.body, { gracePeriodSeconds: 0 });
    await factory.stop();
  });
});
