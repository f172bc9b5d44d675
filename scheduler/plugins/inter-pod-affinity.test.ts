import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTerm,
  computeFilterState,
  computeTopologyScore,
  interPodAffinityFilter,
  interPodAffinityScore,
  normalizeInterPodAffinityScores,
  termMatches,
} from './inter-pod-affinity.ts';
import { defaultProfile, schedulePod } from '../algorithm.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { PodAffinityTerm } from '../types.ts';

const none = () => undefined;
const zone = (name: string, z: string) => node(name, { labels: { zone: z } });
const term = (labels: Record<string, string>, topologyKey = 'zone', extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });

test('terms select pods in their namespaces: the pod\'s own by default, listed ones, or by namespaceSelector', () => {
  const owner = pod('o', { ns: 'a' });
  const db = (ns: string) => pod('db', { ns, labels: { app: 'db' } });
  assert.equal(termMatches(compileTerm(owner, term({ app: 'db' })), db('a'), none), true);
  assert.equal(termMatches(compileTerm(owner, term({ app: 'db' })), db('b'), none), false);
  assert.equal(termMatches(compileTerm(owner, term({ app: 'db' }, 'zone', { namespaces: ['b'] })), db('b'), none), true);
  const bySelector = compileTerm(owner, term({ app: 'db' }, 'zone', { namespaceSelector: { matchLabels: { team: 'x' } } }));
  assert.equal(termMatches(bySelector, db('b'), (ns): Record<string, string> => (ns === 'b' ? { team: 'x' } : {})), true);
  assert.equal(termMatches(bySelector, db('a'), (ns): Record<string, string> => (ns === 'b' ? { team: 'x' } : {})), false);
  assert.equal(termMatches(compileTerm(owner, term({ app: 'db' }, 'zone', { namespaceSelector: {} })), db('zz'), none), true);
  assert.equal(termMatches(compileTerm(owner, { topologyKey: 'zone' }), db('a'), none), false);
});

test('required affinity: only domains holding a matching pod; the first pod of a self-affine group goes anywhere', () => {
  const nodes = nodeInfos([zone('a1', 'a'), zone('b1', 'b'), node('bare')], [pod('db', { nodeName: 'a1', labels: { app: 'db' } })]);
  const web = pod('web', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })] } } } });
  const state = computeFilterState(web, nodes, none);
  assert.equal(interPodAffinityFilter(web, nodes[0]!.node, state, none), undefined);
  assert.deepEqual(interPodAffinityFilter(web, nodes[1]!.node, state, none), { code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match pod affinity rules"] });
  assert.notEqual(interPodAffinityFilter(web, nodes[2]!.node, state, none), undefined);
  const first = pod('cache-0', { labels: { app: 'cache' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'cache' })] } } } });
  const s2 = computeFilterState(first, nodes, none);
  assert.equal(interPodAffinityFilter(first, nodes[1]!.node, s2, none), undefined);
  // ... but it still needs the topology key.
  assert.notEqual(interPodAffinityFilter(first, nodes[2]!.node, s2, none), undefined);
});

test('required anti-affinity, of the pod and of the pods already placed', () => {
  const nodes = nodeInfos(
    [node('n1'), node('n2'), node('n3')],
    [
      pod('web-0', { nodeName: 'n1', labels: { app: 'web' } }),
      pod('loner', { nodeName: 'n2', labels: { app: 'loner' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')] } } } }),
    ],
  );
  const web = pod('web-1', { labels: { app: 'web' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, 'kubernetes.io/hostname')] } } } });
  const state = computeFilterState(web, nodes, none);
  assert.deepEqual(interPodAffinityFilter(web, nodes[0]!.node, state, none), { code: 'Unschedulable', reasons: ["node(s) didn't match pod anti-affinity rules"] });
  assert.deepEqual(interPodAffinityFilter(web, nodes[1]!.node, state, none), { code: 'Unschedulable', reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"] });
  assert.equal(interPodAffinityFilter(web, nodes[2]!.node, state, none), undefined);
  const r = schedulePod(defaultProfile(), web, nodes);
  assert.deepEqual(r, { kind: 'scheduled', node: 'n3', evaluatedNodes: 3, feasibleNodes: 1 });
});

test('anti-affinity by hostname keeps replicas apart until no node is left', () => {
  const nodes = nodeInfos([node('n1'), node('n2')]);
  const replica = (i: number) =>
    pod(`r${i}`, { labels: { app: 'r' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'r' }, 'kubernetes.io/hostname')] } } } });
  for (let i = 0; i < 2; i++) {
    const p = replica(i);
    const r = schedulePod(defaultProfile(), p, nodes);
    assert.equal(r.kind, 'scheduled');
    const name = (r as { node: string }).node;
    nodes.find((n) => n.name === name)!.addPod({ ...p, spec: { ...p.spec, nodeName: name } });
  }
  const r = schedulePod(defaultProfile(), replica(2), nodes);
  assert.equal(
    r.kind === 'unschedulable' && r.error.message,
    "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..",
  );
});

test('score: preferred terms of the pod and of the placed pods', () => {
  const nodes = nodeInfos([zone('a1', 'a'), zone('b1', 'b'), zone('c1', 'c')], [pod('db', { nodeName: 'a1', labels: { app: 'db' } }), pod('noisy', { nodeName: 'b1', labels: { app: 'noisy' } })]);
  const web = pod('web', {
    spec: {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, podAffinityTerm: term({ app: 'db' }) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'noisy' }) }] },
      },
    },
  });
  const score = computeTopologyScore(web, nodes, none)!;
  const scores = nodes.map((n) => interPodAffinityScore(n.node, score));
  assert.deepEqual(scores, [80, -50, 0]);
  normalizeInterPodAffinityScores(scores);
  assert.deepEqual(scores, [100, 0, 38]);
  // A placed pod's required affinity attracts the pods it selects (hard weight 1).
  const attracted = nodeInfos([zone('a1', 'a'), zone('b1', 'b')], [pod('fan', { nodeName: 'b1', spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'star' })] } } } })]);
  const star = pod('star', { labels: { app: 'star' } });
  const s2 = computeTopologyScore(star, attracted, none)!;
  assert.deepEqual(attracted.map((n) => interPodAffinityScore(n.node, s2)), [0, 1]);
  assert.equal(computeTopologyScore(pod('plain'), nodeInfos([zone('a1', 'a')], [pod('x', { nodeName: 'a1' })]), none), undefined);
});
