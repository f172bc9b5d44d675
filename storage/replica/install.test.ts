// A crash in the middle of installing a snapshot is finished (or rolled back) at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { LevelRaftStorage } from './raft-storage.ts';
import { encodeApplied, finishSnapshotInstall } from './replica.ts';
import { metaKey } from '../mvcc/encoding.ts';

async function db(dir: string, entries: Array<[Buffer, Buffer]>): Promise<void> {
  const d = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await d.open();
  await d.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })));
  await d.close();
}

async function read(dir: string, key: string): Promise<string | undefined> {
  const d = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await d.open();
  const v = await d.get(Buffer.from(key));
  await d.close();
  return v?.toString();
}

const exists = (p: string) => stat(p).then(() => true, () => false);

test('an incoming snapshot recorded in raft storage replaces the state machine; an unrecorded one is dropped', async () => {
  const root = await mkdtemp(join(tmpdir(), 'k8ts-install-'));
  try {
    const storage = await LevelRaftStorage.open(join(root, 'raft'));
    await storage.bootstrap({ voters: [1, 2], learners: [] });
    await storage.save({
      snapshot: { metadata: { index: 40, term: 4, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array(0) },
      entries: [],
      hardState: { term: 4, vote: 0, commit: 40 },
      mustSync: true,
    });
    const mvcc = join(root, 'mvcc');
    const incoming = join(root, 'mvcc-incoming');
    // Crash after the raft storage recorded snapshot 40, before the database was moved into place.
    await db(mvcc, [[Buffer.from('which'), Buffer.from('old')]]);
    await db(incoming, [
      [metaKey('raft/applied'), encodeApplied(40, 4)],
      [Buffer.from('which'), Buffer.from('new')],
    ]);
    await finishSnapshotInstall(storage, mvcc, incoming);
    assert.equal(await read(mvcc, 'which'), 'new');
    assert.equal(await exists(incoming), false);
    // Crash before the raft storage recorded it: the received database is dropped.
    await db(incoming, [
      [metaKey('raft/applied'), encodeApplied(55, 5)],
      [Buffer.from('which'), Buffer.from('newer')],
    ]);
    await finishSnapshotInstall(storage, mvcc, incoming);
    assert.equal(await read(mvcc, 'which'), 'new');
    assert.equal(await exists(incoming), false);
    await storage.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
