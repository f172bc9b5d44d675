import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deletesBefore, isPodAvailable, isPodActive, podFromTemplate, rankPodsForDeletion, type Pod } from './pods.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface P {
  name: string;
  node?: string;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  created?: number;
  restarts?: number;
  cost?: string;
  uid?: string;
}
function pod(p: P): Pod {
  return {
    metadata: {
      name: p.name,
      namespace: 'ns',
      uid: p.uid ?? p.name,
      creationTimestamp: p.created === undefined ? undefined : at(p.created),
      annotations: p.cost === undefined ? undefined : { 'controller.kubernetes.io/pod-deletion-cost': p.cost },
    },
    spec: { nodeName: p.node },
    status: {
      phase: p.phase ?? 'Running',
      conditions: p.ready === undefined ? [] : [{ type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: p.readySince === undefined ? undefined : at(p.readySince) }],
      containerStatuses: [{ name: 'c', restartCount: p.restarts ?? 0 }],
    },
  };
}
const names = (pods: Pod[]) => pods.map((p) => p.metadata!.name);

describe('pod helpers', () => {
  it('availability needs Ready for longer than minReadySeconds (strictly)', () => {
    const p = pod({ name: 'a', ready: true, readySince: 0 });
    assert.equal(isPodAvailable(p, 0, T0), true);
    assert.equal(isPodAvailable(p, 10, T0 + 10_000), false);
    assert.equal(isPodAvailable(p, 10, T0 + 10_001), true);
    assert.equal(isPodAvailable(pod({ name: 'b', ready: false }), 0, T0), false);
  });

  it('active: not terminal and not being deleted', () => {
    assert.equal(isPodActive(pod({ name: 'a' })), true);
    assert.equal(isPodActive(pod({ name: 'a', phase: 'Succeeded' })), false);
    assert.equal(isPodActive(pod({ name: 'a', phase: 'Failed' })), false);
    assert.equal(isPodActive({ ...pod({ name: 'a' }), metadata: { deletionTimestamp: at(0) } }), false);
  });

  it('a pod from a template: generateName, labels, annotations, spec and the controllerRef', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u', controller: true, blockOwnerDeletion: true };
    const p = podFromTemplate({ metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, 'web-1', ref);
    assert.deepEqual(p, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'web-1-', labels: { app: 'web' }, annotations: { a: 'b' }, ownerReferences: [ref] },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
  });

  it('deletion order follows ActivePodsWithRanks rule by rule', () => {
    const now = T0 + 3600_000;
    const cases: [string, P, P][] = [
      ['unassigned before assigned', { name: 'a' }, { name: 'b', node: 'n1' }],
      ['Pending before Unknown', { name: 'a', node: 'n', phase: 'Pending' }, { name: 'b', node: 'n', phase: 'Unknown' }],
      ['Unknown before Running', { name: 'a', node: 'n', phase: 'Unknown' }, { name: 'b', node: 'n', phase: 'Running' }],
      ['not ready before ready', { name: 'a', node: 'n', ready: false }, { name: 'b', node: 'n', ready: true, readySince: 0 }],
      ['lower deletion cost first', { name: 'a', node: 'n', cost: '-5' }, { name: 'b', node: 'n', cost: '10' }],
      ['more restarts first', { name: 'a', node: 'n', restarts: 3 }, { name: 'b', node: 'n', restarts: 1 }],
      ['newer first', { name: 'a', node: 'n', created: 3000 }, { name: 'b', node: 'n', created: 10 }],
      ['no creation time first', { name: 'a', node: 'n' }, { name: 'b', node: 'n', created: 10 }],
      ['ready more recently first', { name: 'a', node: 'n', ready: true, readySince: 3000 }, { name: 'b', node: 'n', ready: true, readySince: 10 }],
    ];
    for (const [what, x, y] of cases) {
      assert.equal(deletesBefore(pod(x), pod(y), 0, 0, now), true, what);
      assert.equal(deletesBefore(pod(y), pod(x), 0, 0, now), false, `${what} (reversed)`);
    }
    // Doubled up (more related pods on the same node) first.
    assert.equal(deletesBefore(pod({ name: 'a', node: 'n1' }), pod({ name: 'b', node: 'n2' }), 3, 1, now), true);
    // Same log2 bucket of age: uid decides (pseudo-random, stable).
    assert.equal(deletesBefore(pod({ name: 'b', node: 'n', created: 1000, uid: '2' }), pod({ name: 'a', node: 'n', created: 1001, uid: '1' }), 0, 0, now), false);
    assert.equal(deletesBefore(pod({ name: 'a', node: 'n', created: 1001, uid: '1' }), pod({ name: 'b', node: 'n', created: 1000, uid: '2' }), 0, 0, now), true);
  });

  it('ranking counts related active pods on the same node', () => {
    const mine = [pod({ name: 'a', node: 'n1', created: 1 }), pod({ name: 'b', node: 'n2', created: 90_000 })];
    const sibling = [pod({ name: 's1', node: 'n1' }), pod({ name: 's2', node: 'n1' })];
    // b is newer, but a shares its node with more related pods.
    assert.deepEqual(names(rankPodsForDeletion(mine, [...mine, ...sibling], T0 + 100_000_000)), ['a', 'b']);
    assert.deepEqual(names(rankPodsForDeletion(mine, mine, T0 + 100_000_000)), ['b', 'a']);
  });
});
