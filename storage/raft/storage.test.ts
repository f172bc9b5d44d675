import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, limitSize } from './storage.ts';
import { entry, entsWithTerms, storageWith } from './testing/helpers.ts';
import type { Entry } from './types.ts';
import { ENTRY_OVERHEAD_BYTES, isRaftError } from './types.ts';

const ids = (es: Entry[]) => es.map((e) => `${e.index}@${e.term}`);

test('a fresh storage is empty; bootstrap puts the founding membership in a snapshot at index 1', () => {
  const empty = new MemoryStorage();
  assert.equal(empty.firstIndex(), 1);
  assert.equal(empty.lastIndex(), 0);
  assert.deepEqual(empty.initialState().confState, { voters: [], learners: [] });
  const s = MemoryStorage.bootstrap({ voters: [3, 1, 2] });
  assert.equal(s.firstIndex(), 2);
  assert.equal(s.lastIndex(), 1);
  assert.equal(s.term(1), 1);
  assert.deepEqual(s.initialState(), { hardState: { term: 1, vote: 0, commit: 1 }, confState: { voters: [1, 2, 3], learners: [] } });
});

test('entries and term are bounded by the snapshot below and the last index above', () => {
  const s = storageWith([1], [1, 2, 3, 4, 5]);
  s.createSnapshot(2, undefined, new Uint8Array(0));
  s.compact(2);
  assert.equal(s.firstIndex(), 3);
  assert.equal(s.term(2), 2);
  assert.throws(() => s.term(1), (e) => isRaftError(e, 'compacted'));
  assert.throws(() => s.term(6), (e) => isRaftError(e, 'unavailable'));
  assert.throws(() => s.entries(2, 4), (e) => isRaftError(e, 'compacted'));
  assert.throws(() => s.entries(3, 7), (e) => isRaftError(e, 'invalid'));
  assert.deepEqual(ids(s.entries(3, 6)), ['3@3', '4@4', '5@5']);
  assert.deepEqual(ids(s.entries(3, 6, 0)), ['3@3']);
  assert.deepEqual(ids(s.entries(3, 6, 2 * ENTRY_OVERHEAD_BYTES)), ['3@3', '4@4']);
});

test('append overwrites a conflicting suffix, skips compacted entries, and refuses gaps', () => {
  const s = storageWith([1], [1, 2, 3]);
  s.append(entsWithTerms([4, 4], 2));
  assert.deepEqual(ids(s.entries(1, 4)), ['1@1', '2@4', '3@4']);
  s.createSnapshot(2, undefined, new Uint8Array(0));
  s.compact(2);
  s.append(entsWithTerms([4, 4, 5], 1)); // 1 and 2 are compacted away
  assert.deepEqual(ids(s.entries(3, 4)), ['3@5']);
  assert.throws(() => s.append([entry(9, 5)]), (e) => isRaftError(e, 'invalid'));
});

test('createSnapshot records the membership and applySnapshot replaces the log; older snapshots are refused', () => {
  const s = storageWith([1, 2], [1, 1, 2, 2]);
  const snap = s.createSnapshot(3, { voters: [1, 2, 3], learners: [] }, new Uint8Array([7]));
  assert.deepEqual(snap.metadata, { index: 3, term: 2, confState: { voters: [1, 2, 3], learners: [] } });
  assert.throws(() => s.createSnapshot(3, undefined, new Uint8Array(0)), (e) => isRaftError(e, 'snapshot-out-of-date'));
  assert.throws(() => s.applySnapshot({ ...snap, metadata: { ...snap.metadata, index: 2 } }), (e) => isRaftError(e, 'snapshot-out-of-date'));
  s.applySnapshot({ metadata: { index: 10, term: 5, confState: { voters: [2], learners: [1] } }, data: new Uint8Array(0) });
  assert.equal(s.firstIndex(), 11);
  assert.equal(s.lastIndex(), 10);
  assert.equal(s.term(10), 5);
  assert.deepEqual(s.initialState().confState, { voters: [2], learners: [1] });
});

test('compact keeps the term of the compaction point and refuses to go backwards or past the end', () => {
  const s = storageWith([1], [1, 2, 3]);
  s.compact(2);
  assert.equal(s.term(2), 2);
  assert.throws(() => s.compact(2), (e) => isRaftError(e, 'compacted'));
  assert.throws(() => s.compact(4), (e) => isRaftError(e, 'invalid'));
});

test('limitSize keeps at least one entry and stops before exceeding the budget', () => {
  const es = [entry(1, 1, 'aaaa'), entry(2, 1, 'bb'), entry(3, 1, '')];
  assert.equal(limitSize(es, 0).length, 1);
  assert.equal(limitSize(es, ENTRY_OVERHEAD_BYTES * 2 + 6).length, 2);
  assert.equal(limitSize(es, Infinity).length, 3);
  assert.deepEqual(limitSize([], 10), []);
});
