// Crash test of the LevelDB store: a child process (storage/testing/crash-writer.ts) writes
// continuously and prints every acknowledged write; the test kill -9s it at a random
// moment, reopens the store and checks that
//   - every acknowledged write is in the history, at the revision it was acknowledged with,
//     and reads at that revision show it;
//   - the current revision is >= the highest acknowledged one;
//   - revisions 2..current each belong to exactly one write (no holes, no repeats, no write
//     applied twice), and the current state is what the history adds up to.
// Then it starts the writer again on the same directory, so later crashes hit a store
// with history.
//
//   CRASH_KILLS=20 CRASH_SEED=1 npx tsx --test storage/mvcc/crash.test.ts
import { test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FROM_KEY, prefixEnd } from '../bytes.ts';
import type { Store, WatchEvent } from '../store.ts';
import type { Ack } from '../testing/crash-writer.ts';
import { Rng } from '../testing/random-ops.ts';
import { openMvccStore } from './mvcc-store.ts';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? 1);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRITER = join(REPO, 'storage/testing/crash-writer.ts');
const START_TIMEOUT_MS = 20_000;

const replay = `CRASH_KILLS=${KILLS} CRASH_SEED=${SEED} npx tsx --test storage/mvcc/crash.test.ts`;

// ---- spawn, kill ----

interface Writer {
  child: ChildProcess;
  acks: Ack[];
  /** Resolves at the first acknowledged write. */
  firstAck: Promise<void>;
  /** Resolves when the process has exited and its output is fully read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function spawnWriter(dir: string, run: number, seed: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(run), String(seed)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  let buf = '';
  let err = '';
  let onFirst!: () => void;
  const firstAck = new Promise<void>((r) => (onFirst = r));
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('ACK ')) continue;
      acks.push(JSON.parse(line.slice(4)) as Ack);
      if (acks.length === 1) onFirst();
    }
    // A partial last line (cut by the kill) is never parsed: it was not fully acknowledged.
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return { child, acks, firstAck, exited, stderr: () => err };
}

/** Waits for the first ack, lets the writer run `delayMs` more, then kill -9s it. */
async function runAndKill(w: Writer, delayMs: number): Promise<void> {
  const started = await Promise.race([
    w.firstAck.then(() => true),
    w.exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), START_TIMEOUT_MS).unref()),
  ]);
  if (!started) {
    w.child.kill('SIGKILL');
    await w.exited;
    throw new Error(`crash-writer produced no ack within ${START_TIMEOUT_MS} ms; stderr:\n${w.stderr()}`);
  }
  await new Promise((r) => setTimeout(r, delayMs));
  const alive = w.child.exitCode === null && w.child.signalCode === null;
  if (alive) w.child.kill('SIGKILL');
  const { code, signal } = await w.exited;
  if (signal !== 'SIGKILL') throw new Error(`crash-writer exited by itself (code ${code}); stderr:\n${w.stderr()}`);
}

// ---- reopen, verify ----

interface HistoryEvent {
  type: 'put' | 'delete';
  key: string;
  value: string;
  rev: number;
}

/** Every event from revision 1 to the current one, read through a watch. */
async function readHistory(store: Store, current: number): Promise<HistoryEvent[]> {
  const events: WatchEvent[] = [];
  let progressAt = -1;
  let canceled = '';
  const w = await store.watch('\0', { rangeEnd: FROM_KEY, startRevision: 1 }, (resp) => {
    if (resp.canceled) canceled = `canceled: ${resp.cancelReason ?? ''} compactRevision=${resp.compactRevision ?? ''}`;
    else if (resp.events.length === 0) progressAt = Math.max(progressAt, resp.header.revision);
    else events.push(...resp.events);
  });
  const deadline = Date.now() + 30_000;
  const lastRev = () => (events.length ? events[events.length - 1]!.kv.modRevision : 0);
  while (lastRev() < current && !canceled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  // Then a progress notification: nothing <= current is still on its way.
  w.requestProgress();
  while (progressAt < current && !canceled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await w.cancel();
  if (canceled) throw new Error(`history watch ${canceled}`);
  if (progressAt < current) throw new Error(`history watch: caught up to ${lastRev()} of ${current} in 30 s (no progress notification)`);
  return events.map((e) => ({ type: e.type, key: e.kv.key.toString('latin1'), value: e.kv.value.toString('latin1'), rev: e.kv.modRevision }));
}

const opOf = (value: string): string | undefined => /^(r\d+\.o\d+)\.\d+$/.exec(value)?.[1];

/**
 * Reopens the store at `dir` and checks it against every ack so far. Returns a summary;
 * throws with every problem found.
 */
async function verifyStore(dir: string, allAcks: Ack[], lastRunAcks: Ack[], rng: Rng): Promise<{ current: number; writes: number }> {
  const problems: string[] = [];
  const store = await openMvccStore({ dir });
  try {
    const current = (await store.range('\0', { countOnly: true })).header.revision;
    const status = await store.status();
    if (status.header.revision !== current) problems.push(`status says revision ${status.header.revision}, range says ${current}`);
    const maxAck = allAcks.reduce((m, a) => Math.max(m, a.rev), 1);
    if (current < maxAck) problems.push(`current revision ${current} < highest acknowledged revision ${maxAck}`);

    // The history: contiguous, each revision one write, no write twice.
    const history = await readHistory(store, current);
    const byRev = new Map<number, HistoryEvent[]>();
    let prev = 1;
    for (const e of history) {
      if (e.rev < prev) problems.push(`history out of order: revision ${e.rev} after ${prev}`);
      prev = Math.max(prev, e.rev);
      const g = byRev.get(e.rev) ?? [];
      g.push(e);
      byRev.set(e.rev, g);
    }
    const opRev = new Map<string, number>();
    for (let rev = 2; rev <= current; rev++) {
      const g = byRev.get(rev);
      if (!g) {
        problems.push(`hole: no write at revision ${rev} (current ${current})`);
        continue;
      }
      const puts = g.filter((e) => e.type === 'put');
      if (puts.length > 0 && puts.length !== g.length) problems.push(`revision ${rev} mixes puts and deletes (no such write exists)`);
      const ops = new Set(puts.map((e) => opOf(e.value) ?? `<bad value ${e.value}>`));
      if (ops.size > 1) problems.push(`revision ${rev} holds puts of ${ops.size} different writes: ${[...ops].join(', ')}`);
      for (const op of ops) {
        const seen = opRev.get(op);
        if (seen !== undefined) problems.push(`write ${op} applied twice: at revisions ${seen} and ${rev}`);
        opRev.set(op, rev);
      }
      if (new Set(g.map((e) => e.key)).size !== g.length) problems.push(`revision ${rev} touches a key twice`);
    }
    for (const rev of byRev.keys()) if (rev < 2 || rev > current) problems.push(`event at revision ${rev} outside 2..${current}`);

    // Every ack is in the history, at its revision.
    const ackAtRev = new Map<number, Ack>();
    for (const a of allAcks) {
      const g = byRev.get(a.rev) ?? [];
      const show = JSON.stringify(a);
      if (a.t === 'del' && a.n === 0) {
        if (a.rev > current) problems.push(`ack ${show}: revision above current ${current}`);
        continue;
      }
      const other = ackAtRev.get(a.rev);
      if (other) problems.push(`two acknowledged writes share revision ${a.rev}: ${JSON.stringify(other)} and ${show}`);
      ackAtRev.set(a.rev, a);
      if (a.t === 'put') {
        if (!(g.length === 1 && g[0]!.type === 'put' && g[0]!.key === a.k && g[0]!.value === a.v)) problems.push(`ack ${show}: revision ${a.rev} holds ${JSON.stringify(g)}`);
      } else if (a.t === 'txn') {
        const want = JSON.stringify([...a.puts].sort());
        const got = JSON.stringify(g.map((e) => [e.key, e.value]).sort());
        if (want !== got || g.some((e) => e.type !== 'put')) problems.push(`ack ${show}: revision ${a.rev} holds ${JSON.stringify(g)}`);
      } else {
        const inRange = (k: string) => (a.end === undefined ? k === a.k : k >= a.k && k < a.end);
        if (g.length !== a.n || g.some((e) => e.type !== 'delete' || !inRange(e.key))) problems.push(`ack ${show}: revision ${a.rev} holds ${JSON.stringify(g)}`);
      }
    }

    // Reads at acknowledged revisions (a sample of the last run, plus a few older ones).
    const sample = [...lastRunAcks.filter(() => rng.chance(0.5)).slice(0, 150), ...Array.from({ length: Math.min(50, allAcks.length) }, () => rng.pick(allAcks))];
    for (const a of sample) {
      if (a.t === 'del') {
        if (a.n === 0) continue;
        const r = await store.range(a.k, { rangeEnd: a.end, revision: a.rev });
        if (r.count !== 0) problems.push(`ack ${JSON.stringify(a)}: range at revision ${a.rev} still finds ${r.count} keys`);
        continue;
      }
      const puts = a.t === 'put' ? [[a.k, a.v] as [string, string]] : a.puts;
      for (const [k, v] of puts) {
        const r = await store.range(k, { revision: a.rev });
        const kv = r.kvs[0];
        if (!kv || kv.value.toString('latin1') !== v || kv.modRevision !== a.rev) {
          problems.push(`ack ${JSON.stringify(a)}: range(${k}) at revision ${a.rev} gives ${kv ? `${kv.value.toString('latin1')}@${kv.modRevision}` : 'nothing'}`);
        }
      }
    }

    // The current state is what the history adds up to (index and history agree).
    const state = new Map<string, { value: string; rev: number; version: number; created: number }>();
    for (const e of history) {
      if (e.type === 'delete') state.delete(e.key);
      else {
        const p = state.get(e.key);
        state.set(e.key, { value: e.value, rev: e.rev, version: (p?.version ?? 0) + 1, created: p?.created ?? e.rev });
      }
    }
    const all = await store.range('/crash/', { rangeEnd: prefixEnd('/crash/') });
    const got = all.kvs.map((kv) => `${kv.key.toString('latin1')}=${kv.value.toString('latin1')}@${kv.createRevision}/${kv.modRevision}/v${kv.version}`).join(' ');
    const want = [...state.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, s]) => `${k}=${s.value}@${s.created}/${s.rev}/v${s.version}`)
      .join(' ');
    if (got !== want) problems.push(`current state differs from the history:\n    history: ${want}\n    store:   ${got}`);

    if (problems.length > 0) throw new Error(problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''));
    return { current, writes: opRev.size };
  } finally {
    await store.close();
  }
}

test(`crash: ${KILLS} kill -9s of a writing store, reopened and checked each time`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-crash-'));
  const rng = new Rng(SEED);
  const allAcks: Ack[] = [];
  const started = Date.now();
  let ok = false;
  try {
    for (let run = 1; run <= KILLS; run++) {
      const delay = rng.int(20, 300);
      const w = spawnWriter(dir, run, SEED * 1000 + run);
      await runAndKill(w, delay);
      allAcks.push(...w.acks);
      try {
        const { current, writes } = await verifyStore(dir, allAcks, w.acks, rng);
        if (process.env.CRASH_VERBOSE === '1') console.log(`# kill ${run}: +${w.acks.length} acks (killed ${delay} ms after the first), revision ${current}, ${writes} writes`);
      } catch (e) {
        throw new Error(
          `crash test: after kill ${run} of ${KILLS} (seed ${SEED}; killed ${delay} ms after the first ack; ${w.acks.length} acks this run, ${allAcks.length} in all):\n  ${(e as Error).message}\n  store kept at ${dir}\n  replay: ${replay}`,
          { cause: e },
        );
      }
    }
    ok = true;
    console.log(`# crash test: ${KILLS} kills, ${allAcks.length} acknowledged writes, ${Date.now() - started} ms`);
  } finally {
    if (ok) await rm(dir, { recursive: true, force: true });
  }
});
