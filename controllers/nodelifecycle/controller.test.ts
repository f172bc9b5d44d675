import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import { LEASES } from '../runtime/leaderelection.ts';
import { FakeApi, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { rfc3339, rfc3339Micro, type KubeObject } from '../runtime/types.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { NodeLifecycleController } from './controller.ts';
import { NODE_LEASE_NAMESPACE, NODES, type Node } from './node-util.ts';
import { TaintEvictionController } from './taint-eviction-controller.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function readyNode(name: string, at: number): Node {
  const t = rfc3339(new Date(at));
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: t, lastTransitionTime: rfc3339(new Date(T0)) },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: t, lastTransitionTime: rfc3339(new Date(T0)) },
      ],
    },
  };
}

function boundPod(name: string, node: string, tolerations?: unknown[]): KubeObject {
  return {
    metadata: { name, namespace: 'ns' },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }], ...(tolerations ? { tolerations } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(new Date(T0)) }] },
  };
}

const unreachableFor = (seconds?: number) => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) }];

async function setup() {
  const clock = new FakeClock(T0);
  const api = new FakeApi(WORKLOAD_RESOURCES);
  api.now = () => new Date(clock.now());
  for (const ns of ['ns', NODE_LEASE_NAMESPACE, 'default']) api.seed('namespaces', { metadata: { name: ns } });
  for (const n of ['n1', 'n2']) api.seed('nodes', readyNode(n, T0));
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const nodes = factory.informer(NODES);
  const pods = factory.informer(PODS);
  const nlc = new NodeLifecycleController({
    api,
    nodes,
    pods,
    leases: factory.informer(LEASES, { namespace: NODE_LEASE_NAMESPACE }),
    recorder,
    clock,
    nodeMonitorPeriodMs: 1000,
    nodeMonitorGracePeriodMs: 10_000,
  });
  const tec = new TaintEvictionController({ api, nodes, pods, recorder, clock });
  factory.start();
  await factory.waitForSync();
  const controllers = [...nlc.controllers, tec.controller];
  const renew = async (name: string) => {
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: rfc3339Micro(new Date(clock.now())) };
    const cur = api.peek('leases', NODE_LEASE_NAMESPACE, name);
    if (cur) await api.update(LEASES, NODE_LEASE_NAMESPACE, { ...cur, spec });
    else await api.create(LEASES, NODE_LEASE_NAMESPACE, { metadata: { name }, spec });
  };
  /** Moves time on by ms, n2 renewing its Lease every 2 s (and n1 too unless silenced). */
  const advance = async (ms: number, alive: string[]) => {
    for (let t = 0; t < ms; t += 2000) {
      for (const n of alive) await renew(n);
      await drain(controllers, { clock, stepMs: 100, maxMs: Math.min(2000, ms - t) });
    }
  };
  const node = (name: string) => api.peek('nodes', undefined, name) as Node;
  const ready = (name: string) => node(name).status!.conditions!.find((c) => c.type === 'Ready')!;
  const podNames = () => api.all('pods', 'ns').map((p) => p.metadata!.name).sort();
  return { api, clock, recorder, advance, node, ready, podNames, stop: () => factory.stop() };
}

describe('node lifecycle and taint eviction', () => {
  it('a silent node goes Unknown and unreachable; its pods go not ready and are evicted as their tolerations say', async () => {
    const { api, recorder, advance, node, ready, podNames, stop } = await setup();
    api.seed('pods', boundPod('plain', 'n1'));
    api.seed('pods', boundPod('five', 'n1', unreachableFor(5)));
    api.seed('pods', boundPod('forever', 'n1', unreachableFor()));
    api.seed('pods', boundPod('elsewhere', 'n2'));
    await advance(6000, ['n1', 'n2']);
    assert.equal(ready('n1').status, 'True');
    assert.ok(recorder.events.includes('Normal RegisteredNode Registered Node n1 in Controller'));

    // n1 stops renewing: Unknown after the 10 s grace period.
    await advance(12_000, ['n2']);
    assert.deepEqual(
      { status: ready('n1').status, reason: ready('n1').reason, message: ready('n1').message },
      { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
    );
    assert.equal(ready('n2').status, 'True');
    const taints = node('n1').spec!.taints!.map((t) => `${t.key}:${t.effect}`).sort();
    assert.deepEqual(taints, ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(node('n1').spec!.taints!.every((t) => t.timeAdded));
    assert.ok(recorder.events.includes('Normal NodeNotReady Node n1 status is now: NodeNotReady'));
    assert.ok(recorder.events.includes('Warning NodeNotReady Node is not ready'));
    assert.equal((api.peek('pods', 'ns', 'forever')!.status as { conditions: { status: string }[] }).conditions[0]!.status, 'False');
    // Not tolerating the taint: evicted at once, marked as a disruption target first.
    assert.ok(!podNames().includes('plain'));
    const marked = api.actions.find((a) => a.verb === 'update' && a.name === 'plain' && a.subresource === 'status' && JSON.stringify(a.body).includes('DeletionByTaintManager'));
    assert.ok(marked, 'DisruptionTarget condition written before the deletion');
    assert.ok(recorder.events.includes('Normal TaintManagerEviction Marking for deletion Pod ns/plain'));

    await advance(6000, ['n2']);
    assert.deepEqual(podNames(), ['elsewhere', 'forever']);

    // n1 comes back: its kubelet posts Ready again; the taints go.
    const n1 = node('n1');
    await api.update(NODES, undefined, { ...n1, status: readyNode('n1', api.now().getTime()).status }, 'status');
    await advance(3000, ['n1', 'n2']);
    assert.equal(ready('n1').status, 'True');
    assert.equal(node('n1').spec!.taints, undefined);
    await stop();
  });

  it('a node reporting Ready=False gets the not-ready taints', async () => {
    const { api, advance, node, stop } = await setup();
    await advance(2000, ['n1', 'n2']);
    const n1 = node('n1');
    const conditions = n1.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'KubeletNotReady' } : c));
    await api.update(NODES, undefined, { ...n1, status: { conditions } }, 'status');
    await advance(3000, ['n1', 'n2']);
    assert.deepEqual(node('n1').spec!.taints!.map((t) => `${t.key}:${t.effect}`).sort(), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    await stop();
  });

  it('every node silent: master disruption mode, no NoExecute taints', async () => {
    const { advance, node, ready, stop } = await setup();
    await advance(2000, ['n1', 'n2']);
    await advance(14_000, []);
    assert.equal(ready('n1').status, 'Unknown');
    assert.equal(ready('n2').status, 'Unknown');
    for (const n of ['n1', 'n2']) assert.ok(!(node(n).spec?.taints ?? []).some((t) => t.effect === 'NoExecute'), `${n} has no NoExecute taint`);
    await stop();
  });
});
