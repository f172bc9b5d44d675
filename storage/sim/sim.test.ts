import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MemoryStorage, SeededRandom } from '../raft/index.ts';
import type { Entry, Ready } from '../raft/index.ts';
import { KvStateMachine } from './kv.ts';
import { runSeed } from './run.ts';
import type { SimResult } from './run.ts';
import { SimDisk, cloneStorage } from './world.ts';

const SEEDS = Number(process.env.SIM_SEEDS ?? 20);
const START = Number(process.env.SIM_START ?? 1);

function describe(r: SimResult): string {
  const parts = [`seed ${r.seed} (${r.config})`];
  if (r.violation) parts.push(r.violation);
  if (r.divergence.length > 0) parts.push(...r.divergence);
  if (r.noProgress) parts.push(r.noProgress);
  if (r.error) parts.push(r.error);
  parts.push(`replay: npm run sim -- --seeds 1 --start ${r.seed} --verbose`);
  return parts.join('\n');
}

test(`sim: ${SEEDS} seeds from ${START} are linearizable, agree, and make progress after healing`, () => {
  let ops = 0;
  for (let seed = START; seed < START + SEEDS; seed++) {
    const r = runSeed(seed);
    assert.ok(r.ok, describe(r));
    assert.ok(r.stats.ok > 0, `seed ${seed}: no operation succeeded`);
    ops += r.stats.operations;
  }
  assert.ok(ops > SEEDS * 50, `only ${ops} operations in ${SEEDS} runs`);
});

test('sim: a seed replays the same run event for event; another seed does not', () => {
  const digest = (seed: number) => {
    const h = createHash('sha256');
    const r = runSeed(seed, { log: (line) => h.update(`${line}\n`) });
    h.update(JSON.stringify({ ...r.stats, elapsedMs: 0, cpuMs: 0, checkMs: 0 }));
    return h.digest('hex');
  };
  assert.equal(digest(12), digest(12));
  assert.notEqual(digest(12), digest(13));
});

test('sim: every run exercises the faults it claims (crashes, membership changes, snapshots, both cluster sizes, both read paths)', () => {
  const seen = { crashes: 0, conf: 0, snapshots: 0, sizes: new Set<string>(), reads: new Set<string>(), timeouts: 0, elections: 0 };
  for (let seed = 1; seed <= 10; seed++) {
    const r = runSeed(seed, { chaosMs: 6000 });
    assert.ok(r.ok, describe(r));
    seen.crashes += r.stats.crashes;
    seen.conf += r.stats.confChanges;
    seen.snapshots += r.stats.snapshotsInstalled;
    seen.timeouts += r.stats.timeout;
    seen.elections += r.stats.elections;
    seen.sizes.add(r.config.split(' voters')[0]!);
    seen.reads.add(/reads via (\w+)/.exec(r.config)![1]!);
  }
  assert.ok(seen.crashes >= 5 && seen.conf > 10 && seen.snapshots > 0 && seen.timeouts > 0 && seen.elections > 20, JSON.stringify({ ...seen, sizes: [...seen.sizes], reads: [...seen.reads] }));
  assert.deepEqual([...seen.sizes].sort(), ['3', '5']);
  assert.deepEqual([...seen.reads].sort(), ['log', 'mixed', 'readIndex']);
});

// ---- the checks can fail: deliberately broken replicas are caught ----

function firstCaught(bug: 'stale-reads' | 'skip-sync', caught: (r: SimResult) => boolean, maxSeeds = 30): SimResult | undefined {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const r = runSeed(seed, { bug });
    if (caught(r)) return r;
  }
  return undefined;
}

test('sim self-test: replicas that serve reads from local state without ReadIndex are caught as a linearizability violation', () => {
  const r = firstCaught('stale-reads', (res) => res.linearizability === 'illegal');
  assert.ok(r, 'no seed caught the stale-read bug');
  assert.equal(r.ok, false);
  assert.match(r.violation!, /not linearizable/);
  assert.match(r.violation!, /get\(/); // the culprit is a read
});

test('sim self-test: a driver that never syncs its disk is caught (lost acknowledged entries make logs diverge or histories non-linearizable)', () => {
  const r = firstCaught('skip-sync', (res) => res.divergence.length > 0 || res.linearizability === 'illegal');
  assert.ok(r, 'no seed caught the missing fsync');
  assert.equal(r.ok, false);
});

test('sim CLI: a failing seed prints its violation and replay command, the last line counts, the exit status is non-zero', () => {
  const script = fileURLToPath(new URL('../../scripts/sim.ts', import.meta.url));
  const seed = firstCaught('stale-reads', (res) => res.linearizability === 'illegal')!.seed;
  const out = spawnSync(process.execPath, [...process.execArgv, script, '--seeds', '1', '--start', String(seed), '--bug', 'stale-reads'], { encoding: 'utf8' });
  assert.equal(out.status, 1, out.stderr);
  const lines = out.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), '1 runs, 1 linearizability violations, 0 divergent logs');
  assert.match(out.stdout, new RegExp(`seed ${seed} FAILED: linearizability violation`));
  assert.match(out.stdout, new RegExp(`replay: npm run sim -- --seeds 1 --start ${seed} --bug stale-reads --verbose`));
  const good = spawnSync(process.execPath, [...process.execArgv, script, '--seeds', '2', '--start', '3', '--jobs', '2'], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.equal(good.stdout.trimEnd().split('\n').at(-1), '2 runs, 0 linearizability violations, 0 divergent logs');
});

// ---- pieces ----

test('sim disk: a crash keeps synced batches and a prefix of the unsynced ones; copies keep entries below the snapshot', () => {
  const ent = (index: number, term: number): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index]) });
  const ready = (entries: Entry[], commit: number): Ready => ({
    entries,
    hardState: { term: 2, vote: 1, commit },
    committedEntries: [],
    messages: [],
    readStates: [],
    mustSync: entries.length > 0,
  });
  const kept = new Set<string>();
  for (let seed = 0; seed < 30; seed++) {
    const d = new SimDisk(MemoryStorage.bootstrap({ voters: [1, 2, 3] }));
    d.write(ready([ent(2, 2), ent(3, 2)], 1));
    d.sync();
    d.write(ready([], 3)); // only the commit index moved: not synced
    d.write(ready([ent(4, 2)], 3)); // the driver died before syncing this one
    assert.deepEqual([d.storage.lastIndex(), d.unsyncedBatches], [4, 2]);
    d.crash(new SeededRandom(seed));
    kept.add(`${d.storage.lastIndex()}/${d.storage.hardStateNow().commit}`);
  }
  assert.deepEqual([...kept].sort(), ['3/1', '3/3', '4/3']);

  // Snapshot at 6 with entries kept from 5 on: the copy is exact.
  const s = MemoryStorage.bootstrap({ voters: [1] });
  s.append([ent(2, 1), ent(3, 1), ent(4, 1), ent(5, 1), ent(6, 1), ent(7, 1)]);
  s.setHardState({ term: 1, vote: 1, commit: 7 });
  s.createSnapshot(6, { voters: [1], learners: [] }, new Uint8Array([42]));
  s.compact(4);
  const c = cloneStorage(s);
  assert.deepEqual([c.firstIndex(), c.lastIndex(), c.snapshot().metadata.index, c.snapshot().data[0], c.hardStateNow().commit], [5, 7, 6, 42, 7]);
  assert.deepEqual(c.entries(5, 8), s.entries(5, 8));
});

test('sim kv: sessions apply a retried command once and ignore a command the client gave up on', () => {
  const sm = new KvStateMachine();
  assert.deepEqual(sm.apply({ c: 1, s: 1, op: { kind: 'put', key: 'a', value: 'x' } }), { kind: 'put', prev: null });
  assert.deepEqual(sm.apply({ c: 2, s: 1, op: { kind: 'put', key: 'a', value: 'y' } }), { kind: 'put', prev: 'x' });
  // The retry of client 1's put is answered from its session, and does not write again.
  assert.deepEqual(sm.apply({ c: 1, s: 1, op: { kind: 'put', key: 'a', value: 'x' } }), { kind: 'put', prev: null });
  assert.equal(sm.read('a'), 'y');
  assert.deepEqual(sm.apply({ c: 1, s: 3, op: { kind: 'cas', key: 'a', expected: 'y', value: 'z' } }), { kind: 'cas', ok: true });
  assert.equal(sm.apply({ c: 1, s: 2, op: { kind: 'delete', key: 'a' } }), undefined);
  assert.equal(sm.read('a'), 'z');
  const copy = new KvStateMachine();
  copy.restore(sm.snapshot());
  assert.equal(copy.digest(), sm.digest());
});
