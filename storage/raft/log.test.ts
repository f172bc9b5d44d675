import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLog, Unstable } from './log.ts';
import { MemoryStorage } from './storage.ts';
import { entry, entsWithTerms, storageWith } from './testing/helpers.ts';
import type { Entry, Snapshot } from './types.ts';
import { ENTRY_OVERHEAD_BYTES, isRaftError } from './types.ts';

const ids = (es: Entry[]) => es.map((e) => `${e.index}@${e.term}`);

function logWith(terms: number[], opts: { stable?: boolean; maxApply?: number } = {}): RaftLog {
  const storage = opts.stable === false ? new MemoryStorage({ voters: [1] }) : storageWith([1], terms);
  const log = new RaftLog(storage, opts.maxApply);
  if (opts.stable === false) log.append(entsWithTerms(terms));
  return log;
}

function snap(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) };
}

test('findConflict returns the first index that is new or whose term differs, 0 if all present', () => {
  const log = logWith([1, 2, 3]);
  const cases: Array<[Entry[], number]> = [
    [[], 0],
    [entsWithTerms([1, 2, 3]), 0],
    [entsWithTerms([2, 3], 2), 0],
    [entsWithTerms([3], 3), 0],
    [entsWithTerms([1, 2, 3, 4, 4]), 4],
    [entsWithTerms([3, 4, 4], 3), 4],
    [entsWithTerms([4, 4], 4), 4],
    [entsWithTerms([4, 4]), 1],
    [entsWithTerms([1, 4, 4]), 2],
    [entsWithTerms([1, 2, 4, 4]), 3],
  ];
  for (const [ents, want] of cases) assert.equal(log.findConflict(ents), want, JSON.stringify(ids(ents)));
});

test('isUpToDate compares the last term first, then the last index (§5.4.1)', () => {
  const log = logWith([1, 2, 3]);
  const cases: Array<[number, number, boolean]> = [
    [2, 4, true], // higher term wins even with a shorter log
    [3, 4, true],
    [4, 4, true],
    [2, 2, false], // lower term loses even with a longer log
    [5, 2, false],
    [2, 3, false], // same term: shorter loses
    [3, 3, true],
    [4, 3, true],
  ];
  for (const [i, t, want] of cases) assert.equal(log.isUpToDate(i, t), want, `${i}@${t}`);
});

test('maybeAppend checks prevIndex/prevTerm, truncates conflicts only, and commits min(leaderCommit, last new)', () => {
  const cases: Array<{ prev: [number, number]; commit: number; ents: Entry[]; want?: number; wantCommit: number; wantLog?: string[] }> = [
    // no match: wrong term, or index beyond our log
    { prev: [3, 2], commit: 3, ents: [entry(4, 4)], want: undefined, wantCommit: 1 },
    { prev: [4, 3], commit: 3, ents: [entry(5, 4)], want: undefined, wantCommit: 1 },
    // match with nothing new
    { prev: [3, 3], commit: 3, ents: [], want: 3, wantCommit: 3 },
    { prev: [3, 3], commit: 4, ents: [], want: 3, wantCommit: 3 }, // commit capped at last new
    { prev: [3, 3], commit: 2, ents: [], want: 3, wantCommit: 2 },
    // new entries appended
    { prev: [3, 3], commit: 4, ents: [entry(4, 4)], want: 4, wantCommit: 4, wantLog: ['1@1', '2@2', '3@3', '4@4'] },
    { prev: [3, 3], commit: 5, ents: [entry(4, 4), entry(5, 4)], want: 5, wantCommit: 5 },
    // duplicates of entries we have: no truncation
    { prev: [1, 1], commit: 2, ents: [entry(2, 2)], want: 2, wantCommit: 2, wantLog: ['1@1', '2@2', '3@3'] },
    // conflict: truncate from the conflicting index
    { prev: [1, 1], commit: 3, ents: [entry(2, 4)], want: 2, wantCommit: 2, wantLog: ['1@1', '2@4'] },
    { prev: [2, 2], commit: 3, ents: [entry(3, 4), entry(4, 4)], want: 4, wantCommit: 3, wantLog: ['1@1', '2@2', '3@4', '4@4'] },
  ];
  for (const c of cases) {
    const log = logWith([1, 2, 3]);
    log.commitTo(1);
    const got = log.maybeAppend(c.prev[0], c.prev[1], c.commit, c.ents);
    const label = JSON.stringify(c);
    assert.equal(got, c.want, label);
    assert.equal(log.committed, c.wantCommit, label);
    if (c.wantLog) assert.deepEqual(ids(log.allEntries()), c.wantLog, label);
  }
});

test('maybeAppend refuses to overwrite a committed entry', () => {
  const log = logWith([1, 2, 3]);
  log.commitTo(2);
  assert.throws(() => log.maybeAppend(1, 1, 3, [entry(2, 4)]), (e) => isRaftError(e, 'invalid'));
});

test('append truncates the unstable suffix it overlaps and rejects gaps and committed overlaps', () => {
  const log = logWith([1, 2], { stable: false });
  assert.equal(log.append(entsWithTerms([3, 3], 2)), 3);
  assert.deepEqual(ids(log.allEntries()), ['1@1', '2@3', '3@3']);
  assert.throws(() => log.append([entry(5, 3)]), (e) => isRaftError(e, 'invalid'));
  log.commitTo(2);
  assert.throws(() => log.append([entry(2, 4)]), (e) => isRaftError(e, 'invalid'));
});

test('term lookups span storage and the unstable suffix; compacted and unavailable are errors', () => {
  const storage = storageWith([1], [1, 2, 3, 4, 5]);
  storage.createSnapshot(3, undefined, new Uint8Array(0));
  storage.compact(3);
  const log = new RaftLog(storage);
  log.append(entsWithTerms([6, 6], 6));
  assert.equal(log.firstIndex(), 4);
  assert.equal(log.lastIndex(), 7);
  assert.equal(log.term(3), 3); // the snapshot's term stays known
  assert.equal(log.term(5), 5);
  assert.equal(log.term(7), 6);
  assert.throws(() => log.term(2), (e) => isRaftError(e, 'compacted'));
  assert.throws(() => log.term(8), (e) => isRaftError(e, 'unavailable'));
  assert.equal(log.termOrZero(2), 0);
  assert.equal(log.termOrZero(8), 0);
  assert.equal(log.matchTerm(2, 2), false);
  assert.throws(() => log.slice(3, 5), (e) => isRaftError(e, 'compacted'));
});

test('slice joins storage and unstable entries and honors maxSize (always at least one entry)', () => {
  const storage = storageWith([1], [1, 1, 1]);
  const log = new RaftLog(storage);
  log.append(entsWithTerms([2, 2, 2], 4));
  assert.deepEqual(ids(log.slice(2, 6)), ['2@1', '3@1', '4@2', '5@2']);
  const one = ENTRY_OVERHEAD_BYTES; // empty entries
  assert.deepEqual(ids(log.slice(1, 7, 0)), ['1@1']);
  assert.deepEqual(ids(log.slice(1, 7, 2 * one)), ['1@1', '2@1']);
  assert.deepEqual(ids(log.slice(2, 7, 3 * one)), ['2@1', '3@1', '4@2']);
  assert.deepEqual(ids(log.slice(4, 7, 2 * one + 1)), ['4@2', '5@2']);
  assert.deepEqual(log.slice(3, 3), []);
  assert.throws(() => log.slice(2, 8), (e) => isRaftError(e, 'invalid'));
});

test('commitTo never moves backwards and cannot pass the last index; appliedTo stays within [applied, committed]', () => {
  const log = logWith([1, 2, 3]);
  log.commitTo(2);
  log.commitTo(1);
  assert.equal(log.committed, 2);
  assert.throws(() => log.commitTo(4), (e) => isRaftError(e, 'invalid'));
  log.appliedTo(2);
  assert.throws(() => log.appliedTo(3), (e) => isRaftError(e, 'invalid'));
  assert.throws(() => log.appliedTo(1), (e) => isRaftError(e, 'invalid'));
});

test('maybeCommit only commits an index whose entry has the given term', () => {
  const log = logWith([1, 2, 3]);
  assert.equal(log.maybeCommit(2, 3), false);
  assert.equal(log.maybeCommit(3, 3), true);
  assert.equal(log.committed, 3);
  assert.equal(log.maybeCommit(2, 2), false); // not forward
});

test('nextCommittedEnts hands out committed, unapplied entries within the size budget, including unstable ones', () => {
  const log = logWith([1, 1], { maxApply: 2 * ENTRY_OVERHEAD_BYTES });
  log.append(entsWithTerms([2, 2, 2], 3));
  assert.equal(log.hasNextCommittedEnts(), false);
  log.commitTo(5);
  assert.deepEqual(ids(log.nextCommittedEnts()), ['1@1', '2@1']);
  log.appliedTo(2);
  assert.deepEqual(ids(log.nextCommittedEnts()), ['3@2', '4@2']);
  log.appliedTo(4);
  assert.deepEqual(ids(log.nextCommittedEnts()), ['5@2']);
  log.appliedTo(5);
  assert.equal(log.hasNextCommittedEnts(), false);
});

test('a pending snapshot hides committed entries until it is installed; restore resets the log', () => {
  const log = logWith([1, 1, 1]);
  log.commitTo(2);
  log.restore(snap(10, 4));
  assert.equal(log.committed, 10);
  assert.equal(log.firstIndex(), 11);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.term(10), 4);
  assert.equal(log.hasPendingSnapshot(), true);
  assert.deepEqual(log.nextCommittedEnts(), []);
  assert.equal(log.snapshot().metadata.index, 10);
  log.append([entry(11, 4)]);
  assert.equal(log.lastIndex(), 11);
});

test('stableTo ignores an acknowledgement for entries that were replaced in the meantime', () => {
  const u = new Unstable(5);
  u.truncateAndAppend(entsWithTerms([1, 1, 1], 5));
  // ...handed out in a Ready; before advance, a new leader overwrites 6 and 7
  u.truncateAndAppend(entsWithTerms([2, 2], 6));
  u.stableTo(7, 1);
  assert.deepEqual(ids(u.entries), ['5@1', '6@2', '7@2']);
  u.stableTo(7, 2);
  assert.deepEqual(u.entries, []);
  assert.equal(u.offset, 8);
});

test('unstable truncateAndAppend appends, replaces from before the offset, or truncates in the middle', () => {
  const mk = () => {
    const u = new Unstable(5);
    u.truncateAndAppend(entsWithTerms([1, 1], 5));
    return u;
  };
  let u = mk();
  u.truncateAndAppend([entry(7, 1)]);
  assert.deepEqual(ids(u.entries), ['5@1', '6@1', '7@1']);
  u = mk();
  u.truncateAndAppend(entsWithTerms([2, 2], 4));
  assert.equal(u.offset, 4);
  assert.deepEqual(ids(u.entries), ['4@2', '5@2']);
  u = mk();
  u.truncateAndAppend([entry(6, 2)]);
  assert.deepEqual(ids(u.entries), ['5@1', '6@2']);
  assert.equal(u.maybeTerm(4), undefined);
  u.restore(snap(9, 3));
  assert.equal(u.maybeTerm(9), 3);
  assert.equal(u.maybeLastIndex(), 9);
  assert.equal(u.maybeFirstIndex(), 10);
});

test('findConflictByTerm finds the last index at or below a given index whose term is ≤ a given term', () => {
  const log = logWith([1, 3, 3, 3, 5, 5, 5]);
  assert.deepEqual(log.findConflictByTerm(7, 5), [7, 5]);
  assert.deepEqual(log.findConflictByTerm(7, 4), [4, 3]);
  assert.deepEqual(log.findConflictByTerm(7, 2), [1, 1]);
  assert.deepEqual(log.findConflictByTerm(7, 0), [0, 0]);
  assert.deepEqual(log.findConflictByTerm(9, 5), [9, 0]); // beyond our log
});
