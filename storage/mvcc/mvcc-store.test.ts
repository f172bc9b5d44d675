// What the LevelDB store adds to the etcd semantics the conformance suite checks:
// durability across reopen, group commit, compaction freeing disk, quota.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { openMvccStore } from './mvcc-store.ts';
import { prefixEnd } from '../bytes.ts';
import { ALL_REVS } from './encoding.ts';
import { isStoreError } from '../errors.ts';
import type { WatchEvent } from '../store.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-mvcc-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function countRevisionRecords(dir: string): Promise<number> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  let n = 0;
  for await (const _ of db.keys(ALL_REVS)) n++;
  await db.close();
  return n;
}

test('state survives close and reopen: revision, history, leases, compact revision', () =>
  withDir(async (dir) => {
    let s = await openMvccStore({ dir });
    await s.put('a', '1');
    await s.put('a', '2');
    const lease = await s.leaseGrant(60);
    await s.put('b', 'x', { lease: lease.id });
    await s.delete('a');
    await s.put('c', '3');
    await s.compact(3);
    await s.close();

    s = await openMvccStore({ dir });
    const st = await s.status();
    assert.equal(st.header.revision, 6);
    assert.equal(st.compactRevision, 3);
    assert.deepEqual((await s.range('a', { revision: 4 })).kvs.map((kv) => [kv.value.toString(), kv.version, kv.createRevision]), [['2', 2, 2]]);
    assert.equal((await s.range('a')).count, 0);
    assert.deepEqual(await s.leases(), [lease.id]);
    const ttl = await s.leaseTimeToLive(lease.id, { keys: true });
    assert.deepEqual(ttl.keys.map(String), ['b']);
    await s.leaseRevoke(lease.id);
    assert.equal((await s.range('b')).count, 0);
    assert.equal((await s.put('d', '4')).header.revision, 8, 'revoke with one key was one revision');
    await s.close();
  }));

test('concurrent writes share synced batches (group commit) and each gets its own revision', () =>
  withDir(async (dir) => {
    const s = await openMvccStore({ dir });
    const before = s.syncedBatches;
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => s.put(`k/${i}`, `v${i}`)));
    const revisions = results.map((r) => r.header.revision).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: 64 }, (_, i) => i + 2));
    assert.ok(s.syncedBatches - before < 64 / 4, `64 writes took ${s.syncedBatches - before} synced batches`);
    await s.close();
  }));

test('a failing request in a group changes nothing and does not fail its neighbours', () =>
  withDir(async (dir) => {
    const s = await openMvccStore({ dir });
    const outcomes = await Promise.allSettled([s.put('x', '1'), s.put('y', '2', { lease: 424242 }), s.put('z', '3')]);
    assert.equal(outcomes[0].status, 'fulfilled');
    assert.equal(outcomes[2].status, 'fulfilled');
    assert.ok(outcomes[1].status === 'rejected' && isStoreError(outcomes[1].reason, 'lease-not-found'));
    const all = await s.range('\0', { rangeEnd: '\0' });
    assert.deepEqual(all.kvs.map((kv) => [kv.key.toString(), kv.modRevision]), [['x', 2], ['z', 3]]);
    await s.close();
  }));

test('compaction deletes superseded revisions from disk, also after reopen', () =>
  withDir(async (dir) => {
    const s = await openMvccStore({ dir });
    for (let i = 0; i < 50; i++) await s.put('hot', String(i));
    await s.put('gone', 'x');
    await s.delete('gone');
    await s.compact(53);
    await s.close();
    // Kept: the live value of 'hot' as of revision 53; the tombstone of 'gone' is dropped.
    assert.equal(await countRevisionRecords(dir), 1);
    const again = await openMvccStore({ dir });
    assert.equal((await again.range('hot')).kvs[0]!.value.toString(), '49');
    await again.close();
  }));

test('a watch resumed after reopen continues exactly where it left off', () =>
  withDir(async (dir) => {
    let s = await openMvccStore({ dir });
    const seen: WatchEvent[] = [];
    await s.watch('w/', { rangeEnd: prefixEnd('w/') }, (r) => seen.push(...r.events));
    for (let i = 0; i < 5; i++) await s.put(`w/${i}`, String(i));
    await s.close();
    const last = seen[seen.length - 1]!.kv.modRevision;
    s = await openMvccStore({ dir });
    await s.put('w/5', '5');
    const resumed: WatchEvent[] = [];
    await s.watch('w/', { rangeEnd: prefixEnd('w/'), startRevision: last + 1 }, (r) => resumed.push(...r.events));
    await s.put('w/6', '6');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(resumed.map((e) => e.kv.key.toString()), ['w/5', 'w/6']);
    await s.close();
  }));

test('the space quota refuses puts with a clear error, keeps data readable and deletes allowed', () =>
  withDir(async (dir) => {
    const s = await openMvccStore({ dir, quotaBytes: 64 * 1024 });
    const value = Buffer.alloc(10 * 1024, 1);
    let written = 0;
    let err: unknown;
    for (let i = 0; i < 20 && !err; i++) {
      try {
        await s.put(`q/${i}`, value);
        written++;
      } catch (e) {
        err = e;
      }
    }
    assert.ok(isStoreError(err, 'no-space'), `expected no-space, got ${String(err)}`);
    assert.equal((err as Error).message, 'etcdserver: mvcc: database space exceeded');
    assert.equal((await s.range('q/', { rangeEnd: prefixEnd('q/'), countOnly: true })).count, written);
    assert.equal((await s.delete('q/0')).deleted, 1);
    await s.close();
  }));
