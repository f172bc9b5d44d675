import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelRaftStorage } from './raft-storage.ts';
import { RawNode } from '../raft/node.ts';
import type { Entry } from '../raft/types.ts';
import { isRaftError } from '../raft/types.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-raft-storage-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ent = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, type: 'normal', data: new Uint8Array(Buffer.from(data)) });
const str = (es: Entry[]) => es.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString()}`);

test('bootstrap puts the membership in a snapshot at index 1; state survives reopen', () =>
  withDir(async (dir) => {
    let s = await LevelRaftStorage.open(dir);
    assert.ok(s.isEmpty());
    await s.bootstrap({ voters: [3, 1, 2], learners: [] });
    await s.save({ entries: [ent(2, 2), ent(3, 2)], hardState: { term: 2, vote: 1, commit: 3 }, mustSync: true });
    await s.close();
    s = await LevelRaftStorage.open(dir);
    assert.ok(!s.isEmpty());
    assert.deepEqual(s.initialState(), { hardState: { term: 2, vote: 1, commit: 3 }, confState: { voters: [1, 2, 3], learners: [] } });
    assert.equal(s.firstIndex(), 2);
    assert.equal(s.lastIndex(), 3);
    assert.equal(s.term(1), 1);
    assert.deepEqual(str(s.entries(2, 4, Infinity)), ['2@2:e2', '3@2:e3']);
    assert.throws(() => s.entries(1, 2, Infinity), (e) => isRaftError(e, 'compacted'));
    // A RawNode restarts from it.
    const node = new RawNode({ id: 1, storage: s, applied: 1 });
    assert.equal(node.raft.term, 2);
    assert.equal(node.raft.raftLog.committed, 3);
    await s.close();
  }));

test('an overwritten tail is replaced on disk too (no stale entries after reopen)', () =>
  withDir(async (dir) => {
    let s = await LevelRaftStorage.open(dir);
    await s.bootstrap({ voters: [1], learners: [] });
    await s.save({ entries: [ent(2, 2), ent(3, 2), ent(4, 2), ent(5, 2)], hardState: { term: 2, vote: 1, commit: 2 }, mustSync: true });
    // A new leader of term 3 overwrites from index 3 with a shorter tail.
    await s.save({ entries: [ent(3, 3, 'x3')], hardState: { term: 3, vote: 2, commit: 2 }, mustSync: true });
    assert.deepEqual(str(s.entries(2, s.lastIndex() + 1, Infinity)), ['2@2:e2', '3@3:x3']);
    await s.close();
    s = await LevelRaftStorage.open(dir);
    assert.equal(s.lastIndex(), 3);
    assert.deepEqual(str(s.entries(2, 4, Infinity)), ['2@2:e2', '3@3:x3']);
    await s.close();
  }));

test('compaction keeps a tail below the snapshot; an installed snapshot replaces the log', () =>
  withDir(async (dir) => {
    let s = await LevelRaftStorage.open(dir);
    await s.bootstrap({ voters: [1, 2], learners: [] });
    const es = Array.from({ length: 20 }, (_, i) => ent(i + 2, 2));
    await s.save({ entries: es, hardState: { term: 2, vote: 1, commit: 21 }, mustSync: true });
    await s.compact(15, { voters: [1, 2], learners: [3] }, 5);
    assert.equal(s.snapshot().metadata.index, 15);
    assert.deepEqual(s.snapshot().metadata.confState, { voters: [1, 2], learners: [3] });
    assert.equal(s.firstIndex(), 11, 'entries 11..15 kept for slow followers');
    assert.equal(s.lastIndex(), 21);
    await s.close();
    s = await LevelRaftStorage.open(dir);
    assert.equal(s.snapshot().metadata.index, 15);
    assert.equal(s.firstIndex(), 16, 'after a restart the log starts after the snapshot');
    assert.deepEqual(str(s.entries(16, 18, Infinity)), ['16@2:e16', '17@2:e17']);
    assert.deepEqual(s.initialState().confState, { voters: [1, 2], learners: [3] });
    // Compacting again removes the kept entries from disk as well.
    await s.compact(20, { voters: [1, 2], learners: [] }, 0);
    assert.equal(s.firstIndex(), 21);
    // A snapshot from the leader replaces everything.
    await s.save({
      snapshot: { metadata: { index: 40, term: 4, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array(0) },
      entries: [ent(41, 4)],
      hardState: { term: 4, vote: 0, commit: 40 },
      mustSync: false,
    });
    assert.equal(s.firstIndex(), 41);
    assert.equal(s.term(40), 4);
    await s.close();
    s = await LevelRaftStorage.open(dir);
    assert.equal(s.snapshot().metadata.index, 40);
    assert.equal(s.firstIndex(), 41);
    assert.deepEqual(str(s.entries(41, 42, Infinity)), ['41@4:e41']);
    assert.deepEqual(s.hardState(), { term: 4, vote: 0, commit: 40 });
    await s.close();
  }));

test('only hard-state commit changes are written unsynced; entries and votes are synced', () =>
  withDir(async (dir) => {
    const s = await LevelRaftStorage.open(dir);
    await s.bootstrap({ voters: [1], learners: [] });
    const before = { ...s.stats };
    await s.save({ entries: [ent(2, 2)], hardState: { term: 2, vote: 1, commit: 1 }, mustSync: true });
    await s.save({ entries: [], hardState: { term: 2, vote: 1, commit: 2 }, mustSync: false });
    await s.save({ entries: [], mustSync: false });
    assert.equal(s.stats.writes - before.writes, 2);
    assert.equal(s.stats.syncedWrites - before.syncedWrites, 1);
    await s.close();
  }));
