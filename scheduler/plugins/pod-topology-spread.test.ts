import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeFilterState,
  computeScoreState,
  normalizeTopologySpreadScores,
  topologySpreadFilter,
  topologySpreadScore,
} from './pod-topology-spread.ts';
import { compileLabelSelector } from '../labels.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { TopologySpreadConstraint } from '../types.ts';

const zone = (name: string, z: string) => node(name, { labels: { zone: z } });
const app = (name: string, nodeName?: string) => pod(name, { labels: { app: 'web' }, nodeName });
const spread = (maxSkew: number, whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway', extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew,
  topologyKey: 'zone',
  whenUnsatisfiable,
  labelSelector: { matchLabels: { app: 'web' } },
  ...extra,
});

test('filter: existing + self - global minimum must stay within maxSkew', () => {
  const nodes = nodeInfos([zone('a1', 'a'), zone('a2', 'a'), zone('b1', 'b'), node('nolabel')], [app('x', 'a1'), app('y', 'a2'), app('z', 'b1')]);
  const incoming = pod('new', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(1, 'DoNotSchedule')] } });
  const state = computeFilterState(incoming, nodes, incoming.spec.topologySpreadConstraints!);
  assert.equal(state.pairCounts.get('zone\0a'), 2);
  assert.equal(state.pairCounts.get('zone\0b'), 1);
  // Zone a: 2 + 1 - 1 = 2 > 1.
  assert.deepEqual(topologySpreadFilter(incoming, nodes[0]!.node, state), { code: 'Unschedulable', reasons: ["node(s) didn't match pod topology spread constraints"] });
  assert.equal(topologySpreadFilter(incoming, nodes[2]!.node, state), undefined);
  assert.deepEqual(topologySpreadFilter(incoming, nodes[3]!.node, state), { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"] });
});

test('filter: minDomains makes the global minimum 0 while there are fewer domains', () => {
  const nodes = nodeInfos([zone('a1', 'a'), zone('b1', 'b')], [app('x', 'a1'), app('y', 'b1')]);
  const incoming = pod('new', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(1, 'DoNotSchedule', { minDomains: 3 })] } });
  const state = computeFilterState(incoming, nodes, incoming.spec.topologySpreadConstraints!);
  // 1 + 1 - 0 = 2 > 1 everywhere.
  assert.notEqual(topologySpreadFilter(incoming, nodes[0]!.node, state), undefined);
  assert.notEqual(topologySpreadFilter(incoming, nodes[1]!.node, state), undefined);
});

test('filter: nodes the pod\'s node affinity excludes do not count (nodeAffinityPolicy Honor)', () => {
  const nodes = nodeInfos([zone('a1', 'a'), node('b1', { labels: { zone: 'b', excluded: 'yes' } })], [app('x', 'a1')]);
  const incoming = pod('new', {
    labels: { app: 'web' },
    spec: {
      topologySpreadConstraints: [spread(1, 'DoNotSchedule')],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'excluded', operator: 'DoesNotExist' }] }] } } },
    },
  });
  const state = computeFilterState(incoming, nodes, incoming.spec.topologySpreadConstraints!);
  assert.equal(state.pairCounts.has('zone\0b'), false);
  // Only zone a counts: 1 + 1 - 1 = 1.
  assert.equal(topologySpreadFilter(incoming, nodes[0]!.node, state), undefined);
});

test('score: fewer matching pods in the domain score higher', () => {
  const nodes = nodeInfos([zone('a1', 'a'), zone('b1', 'b'), zone('c1', 'c')], [app('x', 'a1'), app('y', 'a1'), app('z', 'b1')]);
  const incoming = pod('new', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(1, 'ScheduleAnyway')] } });
  const state = computeScoreState(incoming, nodes, nodes, undefined)!;
  const scores = nodes.map((n) => topologySpreadScore(incoming, n, state));
  // weight ln(3+2): a = round(2*1.609) = 3, b = 2, c = 0.
  assert.deepEqual(scores, [3, 2, 0]);
  normalizeTopologySpreadScores(nodes, scores, state);
  assert.deepEqual(scores, [0, 33, 100]);
});

test('score: system default constraints spread the pods of a Service or controller by hostname', () => {
  const nodes = nodeInfos([node('n1'), node('n2')], [app('x', 'n1'), app('y', 'n1')]);
  const incoming = pod('new', { labels: { app: 'web' } });
  assert.equal(computeScoreState(incoming, nodes, nodes, undefined), undefined);
  const state = computeScoreState(incoming, nodes, nodes, compileLabelSelector({ matchLabels: { app: 'web' } }))!;
  const scores = nodes.map((n) => topologySpreadScore(incoming, n, state));
  normalizeTopologySpreadScores(nodes, scores, state);
  assert.ok(scores[1]! > scores[0]!);
});
