// Test helpers for the linearizability checker: random KV histories that are linearizable by
// construction, and a brute-force reference checker for small histories.

import { SeededRandom } from '../raft/rand.ts';
import { UNKNOWN, type History, type Operation } from './history.ts';
import type { KvInput, KvOutput } from './model.ts';

export type KvOperation = Operation<KvInput, KvOutput>;

export interface RandomKvHistoryOptions {
  seed: number;
  operations: number;
  clients: number;
  keys: number;
  /** Probability that an operation times out (pending; takes effect or not, maybe late). */
  pendingRate?: number;
  /** Relative weights of get, put, delete, cas. Default 5, 3, 1, 2. */
  mix?: [number, number, number, number];
  /** Mean latency from call to linearization point and from there to return. Default 10. */
  latency?: number;
}

/**
 * A linearizable history: each operation takes effect at a random point inside its interval,
 * outputs are computed by applying the operations in that order. Written values are unique.
 * Clients issue operations one at a time; a timed-out operation takes effect (possibly long
 * after the client gave up) or not, each with probability 1/2.
 */
export function randomKvHistory(o: RandomKvHistoryOptions): KvOperation[] {
  const rnd = new SeededRandom(o.seed);
  const latency = o.latency ?? 10;
  const [wg, wp, wd, wc] = o.mix ?? [5, 3, 1, 2];
  const free = new Array<number>(o.clients).fill(0);
  const written = new Map<string, string[]>();
  let counter = 0;
  const ops: Array<{ op: KvOperation; at: number | null }> = [];
  for (let i = 0; i < o.operations; i++) {
    let c = 0;
    for (let j = 1; j < o.clients; j++) if (free[j]! < free[c]!) c = j;
    const call = free[c]! + rnd.next() * latency;
    const key = `k${rnd.intn(o.keys)}`;
    const r = rnd.next() * (wg + wp + wd + wc);
    let input: KvInput;
    if (r < wg) input = { kind: 'get', key };
    else if (r < wg + wp) input = { kind: 'put', key, value: `v${counter++}` };
    else if (r < wg + wp + wd) input = { kind: 'delete', key };
    else {
      const vs = written.get(key) ?? [];
      const expected = vs.length === 0 || rnd.chance(0.2) ? null : vs[Math.max(0, vs.length - 1 - rnd.intn(3))]!;
      input = { kind: 'cas', key, expected, value: `v${counter++}` };
    }
    if (input.kind === 'put' || input.kind === 'cas') {
      const vs = written.get(key) ?? [];
      vs.push(input.value);
      written.set(key, vs);
    }
    const at = call + rnd.next() * 2 * latency;
    if (rnd.chance(o.pendingRate ?? 0)) {
      // The client gives up after a while; the operation may still land much later.
      const landed = rnd.chance(0.5) ? call + rnd.next() * 20 * latency : null;
      ops.push({ op: { clientId: c, input, output: UNKNOWN, call, return: Infinity }, at: landed });
      free[c] = call + 4 * latency;
    } else {
      const ret = at + rnd.next() * 2 * latency;
      ops.push({ op: { clientId: c, input, output: UNKNOWN, call, return: ret }, at });
      free[c] = ret;
    }
  }
  const applied = ops.filter((x) => x.at !== null).sort((a, b) => a.at! - b.at!);
  const store = new Map<string, string>();
  for (const { op } of applied) {
    const out = applySequential(store, op.input);
    if (op.return !== Infinity) op.output = out;
  }
  return ops.map((x) => x.op);
}

/** A plain sequential KV store, independent of kvModel. */
export function applySequential(store: Map<string, string>, input: KvInput): KvOutput {
  const cur = store.get(input.key) ?? null;
  switch (input.kind) {
    case 'get':
      return { kind: 'get', value: cur };
    case 'put':
      store.set(input.key, input.value);
      return { kind: 'put' };
    case 'delete':
      store.delete(input.key);
      return { kind: 'delete', deleted: cur !== null };
    case 'cas':
      if (cur !== input.expected) return { kind: 'cas', ok: false };
      store.set(input.key, input.value);
      return { kind: 'cas', ok: true };
  }
}

function outputMatches(actual: KvOutput, recorded: KvOperation['output']): boolean {
  if (recorded === UNKNOWN) return true;
  switch (recorded.kind) {
    case 'get':
      return actual.kind === 'get' && actual.value === recorded.value;
    case 'put':
      return actual.kind === 'put';
    case 'delete':
      return actual.kind === 'delete' && (recorded.deleted === undefined || recorded.deleted === actual.deleted);
    case 'cas':
      return actual.kind === 'cas' && actual.ok === recorded.ok;
  }
}

/**
 * The definition, by brute force, for histories of up to ~9 operations: is there an order of
 * all completed operations and some of the pending ones in which no operation comes before
 * one that returned before it was called, and whose sequential execution gives the recorded
 * outputs? (No partitioning, no memoization, a different sequential implementation.)
 */
export function bruteForceLinearizable(history: History<KvInput, KvOutput>): boolean {
  const n = history.length;
  const placed: number[] = [];
  const used = new Array<boolean>(n).fill(false);
  const completed = history.filter((op) => op.return !== Infinity).length;
  const rec = (store: Map<string, string>, done: number): boolean => {
    if (done === completed) return true;
    for (let b = 0; b < n; b++) {
      if (used[b]) continue;
      const opB = history[b]!;
      if (placed.some((a) => opB.return < history[a]!.call)) continue;
      const next = new Map(store);
      if (!outputMatches(applySequential(next, opB.input), opB.output)) continue;
      used[b] = true;
      placed.push(b);
      const ok = rec(next, done + (opB.return !== Infinity ? 1 : 0));
      placed.pop();
      used[b] = false;
      if (ok) return true;
    }
    return false;
  };
  return rec(new Map(), 0);
}
