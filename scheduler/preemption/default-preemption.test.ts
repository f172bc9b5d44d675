import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, schedulePod, type ScheduleResult } from '../algorithm.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { Pod } from '../types.ts';
import { numCandidates, terminatingByPreemption } from './default-preemption.ts';
import type { PodDisruptionBudget } from './victims.ts';

function postFilter(r: ScheduleResult) {
  assert.equal(r.kind, 'unschedulable');
  const u = r as Extract<ScheduleResult, { kind: 'unschedulable' }>;
  return { message: u.error.message, node: u.postFilter?.nominatedNode, victims: u.postFilter?.victims?.map((v) => v.metadata?.name) };
}

const preempted = (p: Pod): Pod => ({
  ...p,
  metadata: { ...p.metadata, deletionTimestamp: '2024-05-01T12:00:00Z' },
  status: { ...p.status, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
});

test('nominates the node whose victims matter least; the FitError carries no preemption verdict then', () => {
  const nodes = nodeInfos(
    [node('n1', { cpu: '2' }), node('n2', { cpu: '2' })],
    [pod('mid', { nodeName: 'n1', cpu: '2', priority: 5 }), pod('low', { nodeName: 'n2', cpu: '2', priority: 1 })],
  );
  const r = schedulePod(defaultProfile(), pod('p', { cpu: '2', priority: 10 }), nodes);
  assert.deepEqual(postFilter(r), { message: '0/2 nodes are available: 2 Insufficient cpu.', node: 'n2', victims: ['low'] });
});

test('a node where no PodDisruptionBudget breaks wins over a lower victim priority', () => {
  const nodes = nodeInfos(
    [node('n1', { cpu: '2' }), node('n2', { cpu: '2' })],
    [pod('mid', { nodeName: 'n1', cpu: '2', priority: 5 }), pod('low', { nodeName: 'n2', cpu: '2', priority: 1, labels: { app: 'db' } })],
  );
  const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const r = schedulePod(defaultProfile({ preemption: { pdbs: () => [pdb] } }), pod('p', { cpu: '2', priority: 10 }), nodes);
  assert.deepEqual(postFilter(r), { message: '0/2 nodes are available: 2 Insufficient cpu.', node: 'n1', victims: ['mid'] });
});

test('nothing to preempt: the verdict per node, and the nomination is cleared', () => {
  const nodes = nodeInfos([node('n1', { cpu: '2' }), node('n2', { cpu: '1' })], [pod('high', { nodeName: 'n1', cpu: '2', priority: 50 })]);
  const r = schedulePod(defaultProfile(), pod('p', { cpu: '2', priority: 10, spec: { nodeSelector: { 'kubernetes.io/hostname': 'n1' } } }), nodes);
  assert.deepEqual(postFilter(r), {
    message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling..",
    node: '',
    victims: undefined,
  });
});

test('victims of an earlier preemption still terminating on the nominated node: wait, keep the nomination', () => {
  const victim = preempted(pod('victim', { nodeName: 'n1', cpu: '2', priority: 1 }));
  assert.equal(terminatingByPreemption(victim), true);
  assert.equal(terminatingByPreemption({ ...victim, metadata: { ...victim.metadata, deletionTimestamp: undefined } }), false);
  const nodes = nodeInfos([node('n1', { cpu: '2' }), node('n2', { cpu: '2' })], [victim, pod('other', { nodeName: 'n2', cpu: '2', priority: 1 })]);
  const p: Pod = { ...pod('p', { cpu: '2', priority: 10 }), status: { nominatedNodeName: 'n1' } };
  assert.deepEqual(postFilter(schedulePod(defaultProfile(), p, nodes)), {
    message: '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node..',
    node: undefined,
    victims: undefined,
  });
  // Once the nominated node is ruled out for good, the pod may preempt elsewhere.
  const tainted = nodeInfos([node('n1', { cpu: '2', taints: [{ key: 'k', effect: 'NoSchedule' }] }), node('n2', { cpu: '2' })], [victim, pod('other', { nodeName: 'n2', cpu: '2', priority: 1 })]);
  assert.deepEqual(postFilter(schedulePod(defaultProfile(), p, tainted)).node, 'n2');
});

test('preemptionPolicy Never keeps the nomination as it is', () => {
  const nodes = nodeInfos([node('n1', { cpu: '1' })], [pod('low', { nodeName: 'n1', cpu: '1' })]);
  const r = schedulePod(defaultProfile(), pod('p', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }), nodes);
  assert.deepEqual(postFilter(r), { message: '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..', node: undefined, victims: undefined });
});

test('the dry run stops once enough candidates are found (10 % of the nodes, at least 100)', () => {
  assert.equal(numCandidates(50), 50);
  assert.equal(numCandidates(500), 100);
  assert.equal(numCandidates(5000), 500);
  const nodes = nodeInfos(
    Array.from({ length: 150 }, (_, i) => node(`n${i}`, { cpu: '1' })),
    Array.from({ length: 150 }, (_, i) => pod(`v${i}`, { nodeName: `n${i}`, cpu: '1', priority: i === 120 ? 0 : 1 })),
  );
  // Starting at n0, the first 100 candidates (all priority 1) are compared: n120 is never seen.
  const first = schedulePod(defaultProfile({ preemption: { random: () => 0 } }), pod('p', { cpu: '1', priority: 10 }), nodes);
  assert.equal(postFilter(first).node, 'n0');
  // Starting at n100, the sample includes n120, the cheapest.
  const later = schedulePod(defaultProfile({ preemption: { random: () => 100 / 150 } }), pod('p', { cpu: '1', priority: 10 }), nodes);
  assert.equal(postFilter(later).node, 'n120');
});
