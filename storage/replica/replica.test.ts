// In-process replicated clusters on loopback ports in temp dirs: writes through any member,
// linearizable reads everywhere, leader failure, restarts, catch-up by snapshot, membership,
// leases decided by the leader, no-leader errors, and group commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from './testing.ts';
import { freePorts } from '../../lib/free-ports.ts';
import { openReplicatedStore, type ReplicatedStore } from './replicated-store.ts';
import { isStoreError } from '../errors.ts';
import { prefixEnd } from '../bytes.ts';
import type { WatchResponse } from '../store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withCluster(n: number, options: Parameters<typeof TestCluster.start>[1], fn: (c: TestCluster) => Promise<void>): Promise<void> {
  const c = await TestCluster.start(n, options);
  try {
    await fn(c);
  } finally {
    await c.destroy();
  }
}

async function eventually(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const values = async (s: ReplicatedStore, key: string) =>
  (await s.range(key, { rangeEnd: prefixEnd(key) })).kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`);

test('writes through any member; a linearizable read on another member sees them', () =>
  withCluster(3, {}, async (c) => {
    await c.leader();
    let expected = 1;
    for (const name of c.names) {
      for (const other of c.names) {
        const r = await c.store(name).put(`k/${name}`, `v${expected}`);
        expected++;
        assert.equal(r.header.revision, expected);
        // Read right away from a different member: ReadIndex makes it wait for the write.
        const got = await c.store(other).range(`k/${name}`);
        assert.equal(got.kvs[0]?.value.toString(), `v${expected - 1}`, `${other} reads ${name}'s write`);
        assert.equal(got.header.revision, expected);
      }
    }
    // Every member applied the same history (status is local: wait until all applied it).
    await c.waitApplied(c.store(await c.leader()).replicaStatus().applied);
    const st = await Promise.all(c.running().map((s) => s.status()));
    assert.deepEqual(new Set(st.map((s) => s.header.revision)).size, 1);
    const lists = await Promise.all(c.running().map((s) => values(s, 'k/')));
    for (const l of lists) assert.deepEqual(l, lists[0]);
  }));

test('txn, leases, compaction and watches behave the same through a follower', () =>
  withCluster(3, {}, async (c) => {
    const f = c.store(await c.follower());
    const leaderStore = c.store(await c.leader());
    const events: WatchResponse[] = [];
    const w = await leaderStore.watch('w/', { rangeEnd: prefixEnd('w/'), prevKv: true }, (r) => events.push(r));
    const lease = await f.leaseGrant(30);
    await f.put('w/a', '1', { lease: lease.id });
    const t = await f.txn({
      compare: [{ key: 'w/a', target: 'version', result: '=', value: 1 }],
      success: [
        { type: 'put', key: 'w/b', value: Buffer.from([0, 255, 1]) },
        { type: 'range', key: 'w/a' },
      ],
    });
    assert.equal(t.succeeded, true);
    assert.equal(t.responses[1]?.type === 'range' && t.responses[1].kvs[0]?.value.toString(), '1');
    const ttl = await f.leaseTimeToLive(lease.id, { keys: true });
    assert.equal(ttl.grantedTtl, 30);
    assert.deepEqual(ttl.keys.map(String), ['w/a']);
    assert.equal(await f.leaseKeepAlive(lease.id), 30);
    const rev = (await f.leaseRevoke(lease.id)).revision;
    await eventually('watch events on the leader', () => events.flatMap((e) => e.events).length >= 3);
    assert.deepEqual(
      events.flatMap((e) => e.events).map((e) => `${e.type} ${e.kv.key} ${e.kv.modRevision}`),
      [`put w/a ${rev - 2}`, `put w/b ${rev - 1}`, `delete w/a ${rev}`],
    );
    await w.cancel();
    await f.compact(rev - 1);
    await assert.rejects(f.range('w/a', { revision: rev - 2 }), (e) => isStoreError(e, 'compacted'));
    for (const s of c.running()) {
      await eventually('compaction everywhere', async () => (await s.status()).compactRevision === rev - 1);
    }
  }));

test('closing the leader: a new leader is elected and writes continue on the others', () =>
  withCluster(3, {}, async (c) => {
    const old = await c.leader();
    await c.store(old).put('before', '1');
    await c.stop(old);
    const t0 = Date.now();
    const survivor = c.store(c.names.find((n) => n !== old)!);
    // The first write waits (bounded) for the election, then goes through.
    const r = await survivor.put('after', '2');
    const elected = await c.leader();
    assert.notEqual(elected, old);
    assert.ok(Date.now() - t0 < 5000, `failover took ${Date.now() - t0} ms`);
    for (const s of c.running()) {
      assert.equal((await s.range('before')).kvs[0]?.value.toString(), '1');
      assert.equal((await s.range('after')).kvs[0]?.value.toString(), '2');
      assert.equal((await s.range('after')).header.revision, r.header.revision);
    }
    // The old leader comes back as a follower and catches up.
    const back = await c.open(old);
    assert.equal((await back.range('after')).kvs[0]?.value.toString(), '2');
    assert.equal((await c.leader()) !== undefined, true);
  }));

test('a restarted member resumes from its applied index and catches up', () =>
  withCluster(3, {}, async (c) => {
    const leader = await c.leader();
    const f = c.names.find((n) => n !== leader)!;
    for (let i = 0; i < 20; i++) await c.store(leader).put(`a${i}`, `${i}`);
    await c.waitApplied(c.store(leader).replicaStatus().applied);
    await c.stop(f);
    for (let i = 0; i < 20; i++) await c.store(leader).put(`b${i}`, `${i}`);
    const rev = (await c.store(leader).status()).header.revision;
    const s = await c.open(f);
    // Its state survived the restart (serializable read: local, no ReadIndex), then it catches up.
    const local = await s.range('a', { rangeEnd: 'b', countOnly: true, serializable: true });
    assert.equal(local.count, 20);
    const all = await s.range('a', { rangeEnd: 'c' });
    assert.equal(all.count, 40);
    assert.equal(all.header.revision, rev);
    // No entry was applied twice: the revision on every member is the same.
    await c.waitApplied(c.store(leader).replicaStatus().applied);
    for (const m of c.running()) assert.equal((await m.status()).header.revision, rev);
  }));

test('a member far behind the compacted log catches up by snapshot, its watchers resume', () =>
  withCluster(3, { snapshotEntries: 20, snapshotCatchUpEntries: 5 }, async (c) => {
    const leader = await c.leader();
    const f = c.names.find((n) => n !== leader)!;
    await c.store(leader).put('x', '0');
    await c.stop(f);
    const lease = await c.store(leader).leaseGrant(60);
    for (let i = 0; i < 100; i++) await c.store(leader).put(`k${String(i).padStart(3, '0')}`, `${i}`, { lease: i % 2 === 0 ? lease.id : 0 });
    await c.store(leader).delete('x');
    await c.store(leader).compact(50);
    const rev = (await c.store(leader).status()).header.revision;
    assert.ok(c.store(leader).replicaStatus().snapshotIndex > 20, 'the leader compacted its log');
    const s = await c.open(f);
    // A watcher on the lagging member from before the gap: the history it needs was compacted
    // on the leader, so once the snapshot is installed it is canceled with the compact revision.
    const early: WatchResponse[] = [];
    await s.watch('k', { rangeEnd: prefixEnd('k'), startRevision: 0 }, (r) => early.push(r));
    await eventually('snapshot installed', () => s.replicaStatus().stats.snapshotsReceived >= 1 && s.replicaStatus().applied >= c.store(leader).replicaStatus().snapshotIndex);
    const all = await s.range('k', { rangeEnd: prefixEnd('k'), serializable: true });
    assert.equal(all.count, 100);
    assert.equal((await s.range('x')).count, 0);
    assert.equal((await s.status()).header.revision, rev);
    assert.equal((await s.status()).compactRevision, 50);
    assert.deepEqual((await s.leaseTimeToLive(lease.id, { keys: true })).keys.length, 50);
    await eventually('early watcher canceled', () => early.some((r) => r.canceled));
    assert.equal(early.at(-1)?.compactRevision, 50);
    // A watcher from a retained revision replays the restored history, then continues live.
    const seen: WatchResponse[] = [];
    await s.watch('k', { rangeEnd: prefixEnd('k'), startRevision: rev - 2 }, (r) => seen.push(r));
    // Writes keep flowing to it by the log afterwards.
    await c.store(leader).put('k999', 'late');
    assert.equal((await s.range('k999')).kvs[0]?.value.toString(), 'late');
    await eventually('watch events after restore', () => seen.flatMap((r) => r.events).length >= 3);
    assert.deepEqual(
      seen.flatMap((r) => r.events).map((e) => `${e.type} ${e.kv.key}`),
      ['put k098', 'put k099', 'put k999'],
    );
    // A restart after the install keeps the installed state.
    const restarted = await c.restart(f);
    assert.equal((await restarted.range('k', { rangeEnd: prefixEnd('k'), countOnly: true, serializable: true })).count, 101);
  }));

test('membership: a learner joins by snapshot, is promoted, a member is removed', () =>
  withCluster(3, { snapshotEntries: 10, snapshotCatchUpEntries: 2 }, async (c) => {
    const leader = await c.leader();
    for (let i = 0; i < 30; i++) await c.store(leader).put(`m${i}`, `${i}`);
    const via = c.names.find((n) => n !== leader)!;
    const r4 = await c.join('r4', via, { learner: true });
    await eventually('r4 catches up', async () => (await r4.range('m29', { serializable: true })).count === 1);
    assert.deepEqual(
      c.store(leader).members().map((m) => `${m.name}${m.learner ? '(learner)' : ''}`),
      ['r1', 'r2', 'r3', 'r4(learner)'],
    );
    // A learner forwards writes and serves linearizable reads.
    await r4.put('from-r4', 'yes');
    assert.equal((await c.store(leader).range('from-r4')).kvs[0]?.value.toString(), 'yes');
    await c.store(via).promoteMember('r4');
    await eventually('r4 is a voter everywhere', () => c.running().every((s) => s.members().find((m) => m.name === 'r4')?.learner === false));
    // Remove a founding follower; the remaining three go on.
    const gone = c.names.find((n) => n !== leader && n !== 'r4')!;
    await c.store(leader).removeMember(gone);
    await c.stop(gone);
    assert.deepEqual(
      c.store(leader).members().map((m) => m.name).sort(),
      ['r1', 'r2', 'r3', 'r4'].filter((n) => n !== gone),
    );
    await r4.put('after-remove', '1');
    for (const s of c.running()) assert.equal((await s.range('after-remove')).count, 1);
  }));

test('lease expiry is decided by the leader and survives a leader change', () =>
  withCluster(3, {}, async (c) => {
    const leader = await c.leader();
    const f = c.store(c.names.find((n) => n !== leader)!);
    const short = await f.leaseGrant(2);
    await f.put('short', 'x', { lease: short.id });
    const kept = await f.leaseGrant(2);
    await f.put('kept', 'y', { lease: kept.id });
    const t0 = Date.now();
    // Keep one alive through a follower (forwarded to the leader) across a leader change.
    let stop = false;
    const keeper = (async () => {
      while (!stop) {
        try {
          await f.leaseKeepAlive(kept.id);
        } catch {
          // during the election
        }
        await sleep(300);
      }
    })();
    await eventually('the short lease expires', async () => (await f.range('short')).count === 0, 8000);
    assert.ok(Date.now() - t0 >= 1500, `expired after ${Date.now() - t0} ms`);
    await c.stop(leader);
    await sleep(3000);
    assert.equal((await f.range('kept')).count, 1, 'a kept-alive lease survives the leader change');
    stop = true;
    await keeper;
    assert.equal((await f.leaseTimeToLive(short.id)).ttl, -1);
    await eventually('the kept lease expires without keep-alives', async () => (await f.range('kept')).count === 0, 8000);
  }));

test('no leader: requests fail with a retryable error after a bounded wait', () =>
  withCluster(3, { requestTimeoutMs: 3000, noLeaderTimeoutMs: 1000 }, async (c) => {
    const leader = await c.leader();
    await c.store(leader).put('k', 'v');
    const last = c.names.find((n) => n !== leader)!;
    for (const n of c.names) if (n !== last) await c.stop(n);
    const s = c.store(last);
    const t0 = Date.now();
    await assert.rejects(s.put('k', 'w'), (e) => isStoreError(e, 'unavailable') && /no leader|timed out/.test((e as Error).message));
    await assert.rejects(s.range('k'), (e) => isStoreError(e, 'unavailable'));
    assert.ok(Date.now() - t0 < 8000, `failed after ${Date.now() - t0} ms`);
    // Serializable reads still work locally.
    assert.equal((await s.range('k', { serializable: true })).kvs[0]?.value.toString(), 'v');
  }));

test('writes racing a leadership transfer are applied exactly once', () =>
  withCluster(3, {}, async (c) => {
    const leader = await c.leader();
    const others = c.names.filter((n) => n !== leader);
    const writes: Promise<unknown>[] = [];
    let failed = 0;
    for (let i = 0; i < 300; i++) {
      const s = c.store(c.names[i % 3]!);
      writes.push(s.put(`t/${i}`, `${i}`).catch(() => failed++));
      if (i === 100) c.store(leader).transferLeadership(others[0]!);
      if (i % 50 === 0) await sleep(10);
    }
    await Promise.all(writes);
    const rev = (await c.store(others[1]!).status()).header.revision;
    const count = (await c.store(others[1]!).range('t/', { rangeEnd: prefixEnd('t/'), countOnly: true })).count;
    // Each acknowledged put is one revision; none applied twice.
    assert.equal(count, 300 - failed);
    assert.equal(rev, 1 + count);
    assert.ok(failed < 30, `${failed} writes failed`);
  }));

test('group commit: concurrent writes share log entries and disk syncs', () =>
  withCluster(3, {}, async (c) => {
    const leader = await c.leader();
    const f = c.store(c.names.find((n) => n !== leader)!);
    const before = f.replicaStatus().stats;
    const N = 640;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < N) {
          const i = next++;
          await f.put(`g/${i}`, 'x'.repeat(100));
        }
      }),
    );
    const ms = performance.now() - t0;
    const after = f.replicaStatus().stats;
    const proposals = after.proposals - before.proposals;
    const batches = after.applyBatches - before.applyBatches;
    const ls = c.store(leader).replicaStatus().stats;
    console.log(
      `# group commit: ${N} puts (64-way, through a follower) in ${ms.toFixed(0)} ms = ${((N / ms) * 1000).toFixed(0)}/s; ` +
        `${proposals} entries, follower ${batches} apply batches, leader ${ls.raftSyncs} raft syncs`,
    );
    assert.ok(proposals < N / 4, `${proposals} log entries for ${N} puts`);
    assert.ok(batches < N / 4, `${batches} apply batches for ${N} puts`);
    assert.equal((await f.range('g/', { rangeEnd: prefixEnd('g/'), countOnly: true })).count, N);
  }));

test('a single-member group is a working store and keeps its data across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-replica-single-'));
  const [port] = await freePorts(1);
  const options = { name: 'solo', dataDir: dir, peers: { solo: `127.0.0.1:${port}` }, tickMs: 50 };
  try {
    let s = await openReplicatedStore(options);
    const t0 = Date.now();
    await s.put('a', '1');
    assert.ok(Date.now() - t0 < 1000, 'a lone member leads at once');
    const lease = await s.leaseGrant(60);
    await s.put('b', '2', { lease: lease.id });
    await s.close();
    s = await openReplicatedStore(options);
    assert.equal((await s.range('a')).kvs[0]?.value.toString(), '1');
    assert.deepEqual(await s.leases(), [lease.id]);
    assert.equal((await s.put('c', '3')).header.revision, 4);
    assert.equal(s.replicaStatus().raftState, 'leader');
    await s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
