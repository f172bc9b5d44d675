import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countHealthy, disruptedPodMap, expectedPodCount, failSafeStatus, pdbStatus, scaledValue, type Pdb, type ScaleFinder } from './disruption.ts';
import type { Pod } from '../runtime/pods.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const T = (ms: number) => new Date(NOW + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, ready = true, owner: string | null = 'rs1', extra: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      labels: { app: 'web' },
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] : undefined,
      ...extra,
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function pdb(spec: Pdb['spec'], status: Pdb['status'] = {}, generation = 1): Pdb {
  return { metadata: { name: 'web', namespace: 'ns', generation }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status };
}

/** rs1 belongs to a Deployment of 5 replicas; rs2 is a bare ReplicaSet of 2. */
const find: ScaleFinder = (ref) => {
  if (ref.uid === 'uid-rs1') return { uid: 'uid-deploy', replicas: 5 };
  if (ref.uid === 'uid-rs2') return { uid: 'uid-rs2', replicas: 2 };
  return undefined;
};

describe('PodDisruptionBudget math', () => {
  it('scales percentages up', () => {
    assert.equal(scaledValue('50%', 5, true), 3);
    assert.equal(scaledValue('50%', 5, false), 2);
    assert.equal(scaledValue(2, 5, true), 2);
    assert.throws(() => scaledValue('half', 5, true), /invalid value/);
  });

  it('minAvailable as a number counts the selected pods', () => {
    const pods = [pod('a'), pod('b'), pod('c', false)];
    assert.deepEqual(expectedPodCount(pdb({ minAvailable: 2 }), pods, find), { expectedCount: 3, desiredHealthy: 2, unmanaged: [] });
  });

  it('percentages and maxUnavailable scale from the controllers replicas, each controller once', () => {
    const pods = [pod('a'), pod('b'), pod('c', true, 'rs2')];
    assert.deepEqual(expectedPodCount(pdb({ minAvailable: '50%' }), pods, find), { expectedCount: 7, desiredHealthy: 4, unmanaged: [] });
    assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: 1 }), pods, find), { expectedCount: 7, desiredHealthy: 6, unmanaged: [] });
    assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: '10%' }), pods, find), { expectedCount: 7, desiredHealthy: 6, unmanaged: [] });
    assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: 9 }), pods, find).desiredHealthy, 0);
    assert.deepEqual(expectedPodCount(pdb({}), pods, find), { expectedCount: 0, desiredHealthy: 0, unmanaged: [] });
  });

  it('reports unmanaged pods, and fails on pods whose controller is unknown', () => {
    assert.deepEqual(expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('a'), pod('lone', true, null)], find).unmanaged, ['lone']);
    assert.throws(() => expectedPodCount(pdb({ maxUnavailable: 1 }), [pod('x', true, 'mystery')], find), /found no controllers for pod "x"/);
  });

  it('counts ready pods that are neither being deleted nor just evicted', () => {
    const pods = [pod('a'), pod('b', false), pod('c', true, 'rs1', { deletionTimestamp: T(0) }), pod('d')];
    assert.equal(countHealthy(pods, {}), 2);
    assert.equal(countHealthy(pods, { d: T(0) }), 1);
  });

  it('keeps evictions until the pod is deleted or two minutes pass', () => {
    const pods = [pod('a'), pod('b'), pod('gone', true, 'rs1', { deletionTimestamp: T(0) })];
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: T(-30_000), b: T(-180_000), gone: T(-1000) } });
    const m = disruptedPodMap(budget, pods, NOW);
    assert.deepEqual(m.disrupted, { a: T(-30_000) });
    assert.equal(m.recheckAt, NOW + 90_000);
    assert.deepEqual(m.notDeleted.map((p) => p.metadata?.name), ['b']);
  });

  it('allows currentHealthy - desiredHealthy disruptions, with the condition, and only writes changes', () => {
    const st = pdbStatus(pdb({ minAvailable: 2 }), 3, 2, 3, {}, NOW)!;
    assert.deepEqual(st, {
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: T(0) }],
    });
    assert.equal(pdbStatus(pdb({ minAvailable: 2 }, st), 3, 2, 3, {}, NOW + 5000), undefined);
    const blocked = pdbStatus(pdb({ minAvailable: 3 }, st, 2), 3, 3, 3, {}, NOW + 5000)!;
    assert.equal(blocked.disruptionsAllowed, 0);
    assert.equal(blocked.observedGeneration, 2);
    assert.deepEqual(blocked.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: 2, lastTransitionTime: T(5000) }]);
    assert.equal(pdbStatus(pdb({ minAvailable: 0 }), 0, 0, 0, {}, NOW)!.disruptionsAllowed, 0, 'nothing expected, nothing to disrupt');
  });

  it('allows nothing while the budget cannot be computed', () => {
    const st = failSafeStatus(pdb({ maxUnavailable: 1 }, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, observedGeneration: 1 }), 'found no controllers for pod "x"', NOW);
    assert.equal(st.disruptionsAllowed, 0);
    assert.deepEqual(st.conditions, [{ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "x"', observedGeneration: 1, lastTransitionTime: T(0) }]);
  });
});
