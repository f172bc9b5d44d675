import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, ERR_NO_NODES_AVAILABLE, numFeasibleNodesToFind, schedulePod, selectHost } from './algorithm.ts';
import { fitErrorMessage, unresolvable, unschedulable } from './framework.ts';
import { node, nodeInfos, pod } from './testing/fixtures.ts';

const controlPlane = () => node('cp', { labels: { 'node-role.kubernetes.io/control-plane': '' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });

test('FitError message: sorted histogram of reasons, as upstream formats it', () => {
  const msg = fitErrorMessage(3, [unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'), unschedulable('Insufficient cpu'), unschedulable('Insufficient cpu')]);
  assert.equal(msg, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
  assert.equal(fitErrorMessage(12, [...Array(10)].map(() => unschedulable('Insufficient cpu')).concat([unresolvable('x'), unresolvable('x')])), '0/12 nodes are available: 10 Insufficient cpu, 2 x.');
  assert.equal(fitErrorMessage(2, [], 'pod affinity terms conflict', 'preemption: y.'), '0/2 nodes are available: pod affinity terms conflict. preemption: y..');
});

test('a pod that fits nowhere: the upstream message with the preemption verdict', () => {
  const nodes = nodeInfos([controlPlane(), node('w1', { cpu: '2' }), node('w2', { cpu: '2' })], [pod('a', { nodeName: 'w1', cpu: '1500m' }), pod('b', { nodeName: 'w2', cpu: '1' })]);
  const r = schedulePod(defaultProfile(), pod('big', { cpu: '1500m' }), nodes);
  assert.equal(r.kind, 'unschedulable');
  assert.equal(
    r.kind === 'unschedulable' && r.error.message,
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..',
  );
});

test('an impossible nodeSelector: preemption cannot help anywhere', () => {
  const nodes = nodeInfos([node('a'), node('b'), node('c')]);
  const r = schedulePod(defaultProfile(), pod('p', { spec: { nodeSelector: { disk: 'ssd' } } }), nodes);
  assert.equal(
    r.kind === 'unschedulable' && r.error.message,
    "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..",
  );
});

test('preemptionPolicy Never and lower-priority pods', () => {
  const nodes = nodeInfos([node('a', { cpu: '1' })], [pod('low', { nodeName: 'a', cpu: '1', priority: 0 })]);
  const never = schedulePod(defaultProfile(), pod('p', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }), nodes);
  assert.equal(never.kind === 'unschedulable' && never.error.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..');
  // Evicting every lower-priority pod would not make room for 2 CPUs: the filter's reason.
  const big = schedulePod(defaultProfile(), pod('p', { cpu: '2', priority: 10 }), nodes);
  assert.equal(big.kind === 'unschedulable' && big.error.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu..');
});

test('no nodes at all', () => {
  assert.deepEqual(schedulePod(defaultProfile(), pod('p'), []), { kind: 'error', message: ERR_NO_NODES_AVAILABLE });
});

test('a PreFilter rejection applies to every node; a PreFilter result narrows the nodes', () => {
  const nodes = nodeInfos([node('a'), node('b'), node('c')]);
  const conflict = pod('p', {
    spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } },
  });
  const r = schedulePod(defaultProfile(), conflict, nodes);
  assert.equal(r.kind === 'unschedulable' && r.error.message, '0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..');
  const pinned = pod('q', { cpu: '8', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } } });
  const r2 = schedulePod(defaultProfile(), pinned, nodes);
  assert.equal(
    r2.kind === 'unschedulable' && r2.error.message,
    '0/3 nodes are available: 1 Insufficient cpu, 2 node is filtered out by the prefilter result. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..',
  );
  const ok = schedulePod(defaultProfile(), pod('r', { spec: { affinity: pinned.spec.affinity } }), nodes);
  assert.deepEqual(ok, { kind: 'scheduled', node: 'b', evaluatedNodes: 1, feasibleNodes: 1 });
});

test('scoring prefers the emptier node, then a tainted-but-tolerated one loses to PreferNoSchedule', () => {
  const nodes = nodeInfos([node('busy'), node('idle')], [pod('x', { nodeName: 'busy', cpu: '2' })]);
  for (let i = 0; i < 20; i++) assert.equal((schedulePod(defaultProfile(), pod('p', { cpu: '500m' }), nodes) as { node: string }).node, 'idle');
  const soft = nodeInfos([node('soft', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), node('plain')]);
  for (let i = 0; i < 20; i++) assert.equal((schedulePod(defaultProfile(), pod('p'), soft) as { node: string }).node, 'plain');
});

test('pods spread over equal nodes as they are assumed one by one', () => {
  const nodes = nodeInfos([node('a'), node('b'), node('c')]);
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const p = pod(`p${i}`, { cpu: '100m', memory: '128Mi' });
    const r = schedulePod(defaultProfile(), p, nodes);
    assert.equal(r.kind, 'scheduled');
    const name = (r as { node: string }).node;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    nodes.find((n) => n.name === name)!.addPod({ ...p, spec: { ...p.spec, nodeName: name } });
  }
  assert.deepEqual([...counts.values()].sort(), [10, 10, 10]);
});

test('selectHost breaks ties at random; numFeasibleNodesToFind as upstream', () => {
  const nodes = nodeInfos([node('a'), node('b'), node('c')]);
  assert.equal(selectHost(nodes, [1, 5, 5], () => 0), 'c');
  assert.equal(selectHost(nodes, [1, 5, 5], () => 0.99), 'b');
  assert.equal(selectHost(nodes, [9, 5, 5], () => 0), 'a');
  assert.equal(numFeasibleNodesToFind(0, 50), 50);
  assert.equal(numFeasibleNodesToFind(0, 1000), 420);
  assert.equal(numFeasibleNodesToFind(0, 5000), 500);
  assert.equal(numFeasibleNodesToFind(0, 10000), 500);
  assert.equal(numFeasibleNodesToFind(0, 1500), 570);
  assert.equal(numFeasibleNodesToFind(10, 500), 100);
});

test('large clusters: filtering stops once enough feasible nodes are found, from a rotating start', () => {
  const nodes = nodeInfos(Array.from({ length: 1000 }, (_, i) => node(`n${i}`)));
  const cursor = { next: 0 };
  const r = schedulePod(defaultProfile(), pod('p'), nodes, { cursor });
  assert.equal(r.kind === 'scheduled' && r.feasibleNodes, 420);
  assert.equal(cursor.next, 420);
  schedulePod(defaultProfile(), pod('q'), nodes, { cursor });
  assert.equal(cursor.next, 840);
});
