import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesRequirement, nodeAffinityFilter, nodeAffinityPlugin, preferredNodeAffinityScore, requiredNodeNames } from './node-affinity.ts';
import { node, pod } from '../testing/fixtures.ts';
import type { NodeAffinity } from '../types.ts';

const withAffinity = (nodeAffinity: NodeAffinity, nodeSelector?: Record<string, string>) => pod('p', { spec: { affinity: { nodeAffinity }, nodeSelector } });

test('requirements: In, NotIn, Exists, DoesNotExist, Gt, Lt', () => {
  const labels = { zone: 'a', cores: '8' };
  assert.equal(matchesRequirement({ key: 'zone', operator: 'In', values: ['a', 'b'] }, labels), true);
  assert.equal(matchesRequirement({ key: 'zone', operator: 'NotIn', values: ['a'] }, labels), false);
  assert.equal(matchesRequirement({ key: 'missing', operator: 'NotIn', values: ['a'] }, labels), true);
  assert.equal(matchesRequirement({ key: 'zone', operator: 'Exists' }, labels), true);
  assert.equal(matchesRequirement({ key: 'zone', operator: 'DoesNotExist' }, labels), false);
  assert.equal(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['4'] }, labels), true);
  assert.equal(matchesRequirement({ key: 'cores', operator: 'Lt', values: ['4'] }, labels), false);
  assert.equal(matchesRequirement({ key: 'zone', operator: 'Gt', values: ['4'] }, labels), false);
});

test('nodeSelector and required affinity (terms ORed, requirements ANDed, an empty term matches nothing)', () => {
  const ssd = node('ssd', { labels: { disk: 'ssd', zone: 'a' } });
  const hdd = node('hdd', { labels: { disk: 'hdd', zone: 'b' } });
  const sel = pod('p', { spec: { nodeSelector: { disk: 'ssd' } } });
  assert.equal(nodeAffinityFilter(sel, ssd), undefined);
  assert.deepEqual(nodeAffinityFilter(sel, hdd), { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] });
  const terms = withAffinity({
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }, { key: 'zone', operator: 'In', values: ['x'] }] }],
    },
  });
  assert.equal(nodeAffinityFilter(terms, hdd), undefined);
  assert.notEqual(nodeAffinityFilter(terms, ssd), undefined);
  assert.notEqual(nodeAffinityFilter(withAffinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } }), ssd), undefined);
  // matchFields: metadata.name only.
  const byName = withAffinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd'] }] }] } });
  assert.equal(nodeAffinityFilter(byName, hdd), undefined);
  assert.notEqual(nodeAffinityFilter(byName, ssd), undefined);
  // Both the selector and the affinity must match.
  const both = withAffinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] } }, { disk: 'hdd' });
  assert.equal(nodeAffinityFilter(both, hdd), undefined);
  assert.notEqual(nodeAffinityFilter(both, ssd), undefined);
});

test('PreFilter: nodes named by metadata.name narrow the candidates; conflicting terms refuse the pod', () => {
  const named = withAffinity({
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }],
    },
  });
  assert.deepEqual([...requiredNodeNames(named)!].sort(), ['a', 'b', 'c']);
  const open = withAffinity({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } });
  assert.equal(requiredNodeNames(open), undefined);
  const conflict = withAffinity({
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }],
    },
  });
  assert.deepEqual(nodeAffinityPlugin.preFilter!({ pod: conflict, nodes: [], state: new Map() }), { code: 'UnschedulableAndUnresolvable', reasons: ['pod affinity terms conflict'] });
});

test('score: the weights of the preferred terms a node matches, normalized to 100', () => {
  const p = withAffinity({
    preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 50, preference: {} },
    ],
  });
  const a = node('a', { labels: { disk: 'ssd', zone: 'a' } });
  const b = node('b', { labels: { disk: 'ssd', zone: 'b' } });
  const c = node('c');
  const scores = [a, b, c].map((n) => preferredNodeAffinityScore(p, n));
  assert.deepEqual(scores, [40, 10, 0]);
  nodeAffinityPlugin.normalize!({ pod: p, nodes: [], state: new Map() }, [], scores);
  assert.deepEqual(scores, [100, 25, 0]);
});
