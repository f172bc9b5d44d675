import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  equalRevision,
  hashRevisionData,
  newControllerRevision,
  nextRevision,
  revisionName,
  revisionsToTruncate,
  sortRevisions,
  templateOf,
  templatePatch,
  type ControllerRevision,
} from './history.ts';

const rev = (name: string, revision: number, data: unknown = {}, created = '2024-01-01T00:00:00Z'): ControllerRevision => ({ metadata: { name, creationTimestamp: created }, revision, data });

describe('ControllerRevision helpers', () => {
  it('a revision holds a template-replacing patch, and gives the template back', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const data = templatePatch({ spec: { template, replicas: 3 } });
    assert.deepEqual(data, { spec: { template: { ...template, $patch: 'replace' } } });
    assert.deepEqual(templateOf({ data }), template);
  });

  it('hashes data independently of key order; the collision count changes the hash', () => {
    const a = hashRevisionData({ spec: { a: 1, b: [1, 2] } });
    assert.equal(hashRevisionData({ spec: { b: [1, 2], a: 1 } }), a);
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.notEqual(hashRevisionData({ spec: { a: 1, b: [1, 2] } }, 1), a);
    assert.notEqual(hashRevisionData({ spec: { a: 2, b: [1, 2] } }), a);
  });

  it('names revisions <owner>-<hash>, truncating long owner names', () => {
    assert.equal(revisionName('web', 'abc'), 'web-abc');
    assert.equal(revisionName('x'.repeat(300), 'abc').length, 223 + 4);
  });

  it('a new revision carries the template labels, the hash label, annotations and a controllerRef', () => {
    const r = newControllerRevision({
      owner: { metadata: { name: 'web', namespace: 'ns', uid: 'u1' } },
      ownerApiVersion: 'apps/v1',
      ownerKind: 'StatefulSet',
      templateLabels: { app: 'web' },
      data: { x: 1 },
      revision: 4,
      hash: 'h1',
      annotations: { 'kubernetes.io/change-cause': 'why' },
    });
    assert.equal(r.metadata!.name, 'web-h1');
    assert.equal(r.metadata!.namespace, 'ns');
    assert.deepEqual(r.metadata!.labels, { app: 'web', [CONTROLLER_REVISION_HASH_LABEL]: 'h1' });
    assert.deepEqual(r.metadata!.annotations, { 'kubernetes.io/change-cause': 'why' });
    assert.deepEqual(r.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(r.revision, 4);
  });

  it('compares revisions by data; sorts by number, then age, then name; numbers the next one', () => {
    assert.ok(equalRevision(rev('a', 1, { k: 1, j: 2 }), rev('b', 2, { j: 2, k: 1 })));
    assert.ok(!equalRevision(rev('a', 1, { k: 1 }), rev('b', 2, { k: 2 })));
    const sorted = sortRevisions([rev('c', 2), rev('b', 1, {}, '2024-01-02T00:00:00Z'), rev('a', 1, {}, '2024-01-02T00:00:00Z'), rev('d', 1)]);
    assert.deepEqual(sorted.map((r) => r.metadata!.name), ['d', 'a', 'b', 'c']);
    assert.equal(nextRevision([]), 1);
    assert.equal(nextRevision(sorted), 3);
  });

  it('truncates the oldest revisions no one uses, counting live ones or not', () => {
    const revs = [rev('r1', 1), rev('r2', 2), rev('r3', 3), rev('r4', 4), rev('r5', 5)];
    const live = (r: ControllerRevision) => r.metadata!.name === 'r1' || r.metadata!.name === 'r5';
    // StatefulSet: 3 dead revisions, limit 1 → the two oldest dead go.
    assert.deepEqual(revisionsToTruncate(revs, live, 1, false).map((r) => r.metadata!.name), ['r2', 'r3']);
    // DaemonSet: 5 old revisions, limit 2 → 3 to go, but only dead ones can.
    assert.deepEqual(revisionsToTruncate(revs, live, 2, true).map((r) => r.metadata!.name), ['r2', 'r3', 'r4']);
    assert.deepEqual(revisionsToTruncate(revs, live, 10, true), []);
  });
});
