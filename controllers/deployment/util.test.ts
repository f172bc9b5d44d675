import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeHash,
  equalIgnoreHash,
  fnv32a,
  maxRevision,
  maxSurge,
  maxUnavailable,
  replicaSetProportion,
  resolveFenceposts,
  safeEncodeString,
  setNewReplicaSetAnnotations,
  type Deployment,
  type RS,
} from './util.ts';

const dep = (replicas: number, maxSurge: number | string, maxUnavailable: number | string, type = 'RollingUpdate'): Deployment => ({
  metadata: { name: 'web', annotations: {} },
  spec: { replicas, strategy: { type, rollingUpdate: { maxSurge, maxUnavailable } } },
});

describe('deployment util', () => {
  it('surge rounds up, unavailable rounds down; both zero means one unavailable', () => {
    const table: [number | string, number | string, number, number, number][] = [
      ['25%', '25%', 3, 1, 0],
      ['25%', '25%', 4, 1, 1],
      ['25%', '25%', 10, 3, 2],
      ['50%', '50%', 5, 3, 2],
      [0, '10%', 5, 0, 1],
      ['0%', '0%', 5, 0, 1],
      [2, 1, 5, 2, 1],
      ['100%', '100%', 7, 7, 7],
    ];
    for (const [s, u, n, es, eu] of table) assert.deepEqual(resolveFenceposts(s, u, n), { surge: es, unavailable: eu }, `${s}/${u} of ${n}`);
    assert.equal(maxUnavailable(dep(5, 0, 10)), 5, 'capped at replicas');
    assert.equal(maxUnavailable(dep(0, 1, 1)), 0);
    assert.equal(maxSurge(dep(5, 2, 1, 'Recreate')), 0);
    assert.equal(maxUnavailable(dep(5, 2, 1, 'Recreate')), 0);
    assert.throws(() => resolveFenceposts('x', 0, 3), /not a percentage/);
  });

  it('the pod-template hash: FNV-32a, collisionCount appended, safe-encoded decimal', () => {
    assert.equal(fnv32a(new TextEncoder().encode('')), 0x811c9dc5);
    assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } };
    const h = computeHash(t);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(computeHash(structuredClone(t)), h, 'deterministic');
    assert.equal(computeHash({ spec: t.spec, metadata: t.metadata }), h, 'key order does not matter');
    assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } }), h);
    assert.notEqual(computeHash(t, 1), h);
    assert.notEqual(computeHash(t, 1), computeHash(t, 2));
  });

  it('templates compare equal ignoring the pod-template-hash label and nil-vs-empty', () => {
    const a = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c' }], volumes: [] } };
    const b = { metadata: { labels: { app: 'web' }, annotations: {} }, spec: { containers: [{ name: 'c' }] } };
    assert.equal(equalIgnoreHash(a, b), true);
    assert.equal(equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'd' }] } }), false);
  });

  it('new ReplicaSet annotations: copies the Deployment\'s, raises the revision, keeps revision history', () => {
    const d: Deployment = { metadata: { annotations: { 'kubernetes.io/change-cause': 'v2', 'deployment.kubernetes.io/revision': '9', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, spec: { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } };
    const fresh: RS = { metadata: {} };
    const ann = () => fresh.metadata!.annotations as Record<string, string>;
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 3, false), true);
    assert.deepEqual(fresh.metadata!.annotations, {
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 3, true), false, 'nothing new');
    // Rolled back to: a new revision, the old one in the history.
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 5, true), true);
    assert.equal(ann()['deployment.kubernetes.io/revision'], '5');
    assert.equal(ann()['deployment.kubernetes.io/revision-history'], '3');
    setNewReplicaSetAnnotations(d, fresh, 7, true);
    assert.equal(ann()['deployment.kubernetes.io/revision-history'], '3,5');
    // A lower revision never replaces a higher one.
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 6, true), false);
    // The history is bounded (oldest dropped first).
    const long: RS = { metadata: { annotations: { 'deployment.kubernetes.io/revision': '100', 'deployment.kubernetes.io/revision-history': '1,2,3' } } };
    setNewReplicaSetAnnotations(d, long, 101, true, 7);
    assert.equal(long.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '2,3,100');
  });

  it('revisions are int64: one past a revision beyond 2^53 is exact; out-of-range ones count as none', () => {
    const rs = (revision: string): RS => ({ metadata: { annotations: { 'deployment.kubernetes.io/revision': revision } } });
    assert.equal(maxRevision([rs('3546343826724305832'), rs('7'), undefined]), 3546343826724305832n);
    assert.equal(maxRevision([rs('9223372036854775808'), rs('x'), rs('2')]), 2n);
    const fresh: RS = { metadata: {} };
    setNewReplicaSetAnnotations(dep(1, 1, 0), fresh, maxRevision([rs('3546343826724305832')]) + 1n, false);
    assert.equal(fresh.metadata!.annotations!['deployment.kubernetes.io/revision'], '3546343826724305833');
  });

  it('proportions of a resize follow each ReplicaSet\'s share of max-replicas', () => {
    const d = dep(20, 3, 0); // was 10 + 3 surge = 13, now 20 + 3 = 23
    const rs = (replicas: number): RS => ({ metadata: { annotations: { 'deployment.kubernetes.io/max-replicas': '13' } }, spec: { replicas } });
    // 8 * 23 / 13 = 14.15 → 14: +6; 5 * 23 / 13 = 8.85 → 9: +4.
    assert.equal(replicaSetProportion(rs(8), d, 10, 0), 6);
    assert.equal(replicaSetProportion(rs(5), d, 10, 6), 4);
    assert.equal(replicaSetProportion(rs(5), d, 10, 8), 2, 'never more than allowed');
    assert.equal(replicaSetProportion(rs(0), d, 10, 0), 0);
    // Scaling to zero: the whole ReplicaSet.
    assert.equal(replicaSetProportion(rs(5), dep(0, 3, 0), -13, 0), -5);
  });
});
