import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectMeta, OwnerReference } from '../runtime/types.ts';
import { Graph, type Identity } from './graph.ts';
import { decideAttemptToDelete, unblocked, withoutOwners, type OwnerState } from './decide.ts';

const ref = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const id = (uid: string): Identity => ({ ref, apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: uid, uid });
const owner = (uid: string, block = false): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, blockOwnerDeletion: block || undefined });
const meta = (m: Partial<ObjectMeta> = {}): ObjectMeta => ({ ...m });
const work = (w: { attemptToDelete: Set<string>; attemptToOrphan: Set<string> }) => ({ del: [...w.attemptToDelete].sort(), orphan: [...w.attemptToOrphan].sort() });

describe('Graph', () => {
  it('indexes dependents by owner uid and follows ownerReference changes', () => {
    const g = new Graph();
    g.observe('/configmaps', id('o1'), meta());
    g.observe('/configmaps', id('o2'), meta());
    g.observe('/configmaps', id('d'), meta({ ownerReferences: [owner('o1'), owner('o2', true)] }));
    assert.deepEqual(g.dependentsOf('o1').map((n) => n.identity.uid), ['d']);
    assert.deepEqual(g.blockingDependentsOf('o2').map((n) => n.identity.uid), ['d']);
    assert.deepEqual(g.blockingDependentsOf('o1'), []);
    g.observe('/configmaps', id('d'), meta({ ownerReferences: [owner('o2')] }));
    assert.deepEqual(g.dependentsOf('o1'), []);
    assert.deepEqual(g.blockingDependentsOf('o2'), []);
    assert.equal(g.size(), 3);
  });

  it('a dependent whose owner is unknown or going away is looked at; one with live owners is not', () => {
    const g = new Graph();
    g.observe('/configmaps', id('o1'), meta());
    assert.deepEqual(work(g.observe('/configmaps', id('d1'), meta({ ownerReferences: [owner('o1')] }))), { del: [], orphan: [] });
    assert.deepEqual(work(g.observe('/configmaps', id('d2'), meta({ ownerReferences: [owner('unknown')] }))), { del: ['d2'], orphan: [] });
    // Unchanged owners: no new work on a plain update.
    assert.deepEqual(work(g.observe('/configmaps', id('d2'), meta({ ownerReferences: [owner('unknown')], labels: { a: 'b' } }))), { del: [], orphan: [] });
  });

  it('deleting an owner puts its dependents to work; a foreground owner waits for its blocking dependents', () => {
    const g = new Graph();
    g.observe('/configmaps', id('o'), meta());
    g.observe('/configmaps', id('d1'), meta({ ownerReferences: [owner('o', true)] }));
    g.observe('/configmaps', id('d2'), meta({ ownerReferences: [owner('o')] }));
    // Foreground: the owner and all its dependents.
    assert.deepEqual(work(g.observe('/configmaps', id('o'), meta({ deletionTimestamp: 'T', finalizers: ['foregroundDeletion'] }))), { del: ['d1', 'd2', 'o'], orphan: [] });
    // A blocking dependent goes: the owner is looked at again.
    assert.deepEqual(work(g.forget('/configmaps', 'd1')), { del: ['o'], orphan: [] });
    // The owner goes: its remaining dependents are looked at.
    assert.deepEqual(work(g.forget('/configmaps', 'o')), { del: ['d2'], orphan: [] });
    assert.equal(g.node('o'), undefined);
  });

  it('an owner deleted with the orphan policy is handed to the orphan queue', () => {
    const g = new Graph();
    assert.deepEqual(work(g.observe('/configmaps', id('o'), meta({ deletionTimestamp: 'T', finalizers: ['orphan'] }))), { del: [], orphan: ['o'] });
  });

  it('an object seen by two monitors is forgotten when both saw it go', () => {
    const g = new Graph();
    g.observe('/events', id('e'), meta());
    g.observe('events.k8s.io/events', id('e'), meta());
    g.forget('/events', 'e');
    assert.ok(g.node('e'));
    g.forget('events.k8s.io/events', 'e');
    assert.equal(g.node('e'), undefined);
    assert.deepEqual(g.uidsOf('/events'), []);
  });
});

describe('decideAttemptToDelete', () => {
  const facts = (states: Record<string, OwnerState>, extra: Partial<Parameters<typeof decideAttemptToDelete>[0]> = {}) =>
    decideAttemptToDelete({
      ownerReferences: Object.keys(states).map((u) => owner(u)),
      finalizers: [],
      owners: new Map(Object.entries(states)),
      hasDependents: false,
      dependentDeletingDependents: false,
      ...extra,
    });

  it('keeps items with a solid owner, dropping stale references', () => {
    assert.deepEqual(facts({ a: 'solid' }), { type: 'none' });
    assert.deepEqual(facts({ a: 'solid', b: 'dangling', c: 'waiting' }), { type: 'removeOwnerReferences', uids: ['b', 'c'] });
  });

  it('collects items without a solid owner, by the policy of their own finalizers', () => {
    assert.deepEqual(facts({ a: 'dangling' }), { type: 'delete', policy: 'Background' });
    assert.deepEqual(facts({ a: 'dangling' }, { finalizers: ['orphan'] }), { type: 'delete', policy: 'Orphan' });
    assert.deepEqual(facts({ a: 'dangling' }, { finalizers: ['foregroundDeletion'] }), { type: 'delete', policy: 'Foreground' });
    assert.deepEqual(facts({ a: 'waiting' }), { type: 'delete', policy: 'Background' });
  });

  it('cascades a foreground deletion to items with dependents, unblocking on a possible cycle', () => {
    assert.deepEqual(facts({ a: 'waiting', b: 'dangling' }, { hasDependents: true }), { type: 'deleteForeground', unblockFirst: false });
    assert.deepEqual(facts({ a: 'waiting' }, { hasDependents: true, dependentDeletingDependents: true }), { type: 'deleteForeground', unblockFirst: true });
  });

  it('reference helpers', () => {
    const refs = [owner('a', true), owner('b')];
    assert.deepEqual(withoutOwners(refs, ['a']).map((r) => r.uid), ['b']);
    assert.deepEqual(unblocked(refs).map((r) => r.blockOwnerDeletion), [false, undefined]);
  });
});
