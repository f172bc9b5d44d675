import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../algorithm.ts';
import { runPreFilters, type CycleContext, type NodeInfo } from '../framework.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { Pod } from '../types.ts';
import { filterPodsWithPDBViolation, moreImportantPod, NO_VICTIMS, selectVictimsOnNode, type PodDisruptionBudget } from './victims.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const started = (p: Pod, iso: string): Pod => ({ ...p, status: { ...p.status, startTime: iso } });
const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

function select(preemptor: Pod, ni: NodeInfo, all: NodeInfo[] = [ni], pdbs: PodDisruptionBudget[] = []) {
  const { filters } = defaultProfile();
  const ctx: CycleContext = { pod: preemptor, nodes: all, state: new Map() };
  runPreFilters(filters, ctx);
  return selectVictimsOnNode(filters, ctx, ni, pdbs, NOW);
}

function pdb(name: string, matchLabels: Record<string, string>, disruptionsAllowed: number, extra: Partial<NonNullable<PodDisruptionBudget['status']>> = {}): PodDisruptionBudget {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels } }, status: { disruptionsAllowed, ...extra } };
}

test('MoreImportantPod: priority first, then the pod running longer', () => {
  assert.equal(moreImportantPod(pod('a', { priority: 2 }), pod('b', { priority: 1 }), NOW), true);
  const older = started(pod('a'), '2024-05-01T10:00:00Z');
  const younger = started(pod('b'), '2024-05-01T11:00:00Z');
  assert.equal(moreImportantPod(older, younger, NOW), true);
  assert.equal(moreImportantPod(younger, older, NOW), false);
  // Not started yet counts as starting now: the youngest.
  assert.equal(moreImportantPod(pod('c'), younger, NOW), false);
});

test('the minimal set: every lower-priority pod off, then the most important put back while the preemptor fits', () => {
  const [ni] = nodeInfos(
    [node('n', { cpu: '4' })],
    [pod('a', { nodeName: 'n', cpu: '1', priority: 1 }), pod('b', { nodeName: 'n', cpu: '1', priority: 2 }), pod('c', { nodeName: 'n', cpu: '2', priority: 0 })],
  );
  const r = select(pod('p', { cpu: '2', priority: 10 }), ni!);
  assert.deepEqual('victims' in r && { victims: names(r.victims), pdb: r.numPDBViolations }, { victims: ['c'], pdb: 0 });
  // The node itself is untouched.
  assert.equal(ni!.pods.size, 3);
  // More room needed: b (the most important) stays, a and c go, listed most important first.
  const r2 = select(pod('p', { cpu: '3', priority: 10 }), ni!);
  assert.deepEqual('victims' in r2 && names(r2.victims), ['a', 'c']);
});

test('pods of equal or higher priority are never victims', () => {
  const [ni] = nodeInfos([node('n', { cpu: '2' })], [pod('same', { nodeName: 'n', cpu: '1', priority: 5 }), pod('higher', { nodeName: 'n', cpu: '1', priority: 9 })]);
  const r = select(pod('p', { cpu: '1', priority: 5 }), ni!);
  assert.deepEqual(r, { status: { code: 'UnschedulableAndUnresolvable', reasons: [NO_VICTIMS] } });
  const [mixed] = nodeInfos([node('n', { cpu: '2' })], [pod('low', { nodeName: 'n', cpu: '1', priority: 1 }), pod('higher', { nodeName: 'n', cpu: '1', priority: 9 })]);
  // Even without `low` there is no room for 2 CPUs: the filter's reason.
  const r2 = select(pod('p', { cpu: '2', priority: 5 }), mixed!);
  assert.deepEqual('status' in r2 && r2.status.reasons, ['Insufficient cpu']);
});

test('PodDisruptionBudgets: pods whose eviction breaks a budget are put back first', () => {
  const web = started(pod('web', { nodeName: 'n', cpu: '1', labels: { app: 'web' } }), '2024-05-01T11:00:00Z');
  const db = started(pod('db', { nodeName: 'n', cpu: '1', labels: { app: 'db' } }), '2024-05-01T10:00:00Z');
  const [ni] = nodeInfos([node('n', { cpu: '2' })], [web, db]);
  const p = pod('p', { cpu: '1', priority: 10 });
  // No budget: db ran longer, so it is kept and web goes.
  assert.deepEqual(names((select(p, ni!) as { victims: Pod[] }).victims), ['web']);
  // web's budget allows no disruption: web is kept, db goes.
  assert.deepEqual(select(p, ni!, [ni!], [pdb('web', { app: 'web' }, 0)]), { victims: [db], numPDBViolations: 0 });
  // Both protected: one must go anyway, and that is counted.
  const r = select(p, ni!, [ni!], [pdb('web', { app: 'web' }, 0), pdb('db', { app: 'db' }, 0)]);
  assert.deepEqual('victims' in r && { victims: names(r.victims), pdb: r.numPDBViolations }, { victims: ['web'], pdb: 1 });
});

test('filterPodsWithPDBViolation: budgets are spent in order; disrupted pods, empty selectors and other namespaces do not count', () => {
  const items = ['a', 'b', 'c'].map((n) => ({ pod: pod(n, { labels: { app: 'x' } }) }));
  const split = (pdbs: PodDisruptionBudget[]) => {
    const r = filterPodsWithPDBViolation(items, pdbs);
    return { violating: r.violating.map((i) => i.pod.metadata?.name), nonViolating: r.nonViolating.map((i) => i.pod.metadata?.name) };
  };
  assert.deepEqual(split([pdb('x', { app: 'x' }, 1)]), { violating: ['b', 'c'], nonViolating: ['a'] });
  assert.deepEqual(split([pdb('x', { app: 'x' }, 1, { disruptedPods: { a: '2024-05-01T12:00:00Z' } })]), { violating: ['c'], nonViolating: ['a', 'b'] });
  assert.deepEqual(split([pdb('all', {}, 0)]), { violating: [], nonViolating: ['a', 'b', 'c'] });
  const elsewhere = { ...pdb('x', { app: 'x' }, 0), metadata: { name: 'x', namespace: 'other' } };
  assert.deepEqual(split([elsewhere]), { violating: [], nonViolating: ['a', 'b', 'c'] });
  // Unlabelled pods match no budget.
  assert.equal(filterPodsWithPDBViolation([{ pod: pod('bare') }], [pdb('x', { app: 'x' }, 0)]).violating.length, 0);
});

test("a victim's required anti-affinity against the preemptor is lifted by evicting it", () => {
  const guard = pod('guard', {
    nodeName: 'n',
    labels: { app: 'guard' },
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'hi' } }, topologyKey: 'kubernetes.io/hostname' }] } } },
  });
  const all = nodeInfos([node('n'), node('m', { cpu: '0' })], [guard]);
  const r = select(pod('p', { cpu: '1', priority: 10, labels: { app: 'hi' } }), all[0]!, all);
  assert.deepEqual('victims' in r && names(r.victims), ['guard']);
});
