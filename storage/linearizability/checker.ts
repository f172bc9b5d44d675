// Linearizability checker: Wing & Gong's search with Lowe's and Porcupine's improvements.
//
// For each partition of the history (P-compositionality: per key for the KV model), we search
// depth-first for a sequential order of the operations that respects real time and the model.
// The history is a doubly linked list of call and return events sorted by time; an operation
// may be linearized next iff its call comes before the first return of any operation not yet
// linearized. Linearizing an operation unlinks its call and return events (dancing links) and
// backtracking relinks them. Every configuration (set of linearized operations as a bitset,
// model state) is remembered, and a configuration seen before is not explored again (Lowe).
//
// Operations that never returned ("pending": `return: Infinity`, unknown output) may take
// effect at any time after their call, or never. They are kept out of the event list: the
// search succeeds as soon as every *completed* operation is linearized (the pending ones left
// over are the ones that never took effect), and at each step pending operations are tried
// only after the completed candidates, so configurations with fewer pending operations
// linearized are explored first. A configuration is also skipped when an already fully
// explored (and failed) one has the same completed set and state and a subset of its pending
// operations: anything possible after linearizing more pending operations was possible
// without them. Without this, each pending operation can double the work on an illegal
// history (Knossos and Porcupine both suffer from "crashed" operations this way).

import { UNKNOWN, validateHistory, type History, type Operation } from './history.ts';
import type { Model } from './model.ts';

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Give up (verdict 'unknown') after this long. Default: no limit. */
  timeoutMs?: number;
  /** Compute `info` for an illegal history. Default: true. */
  explain?: boolean;
  /** Time budget for the explanation, on top of `timeoutMs`. Default: 2000. */
  explainTimeoutMs?: number;
}

export interface CheckStats {
  operations: number;
  partitions: number;
  largestPartition: number;
  /** Search steps (attempts to linearize an operation, plus backtracks). */
  steps: number;
  /** Configurations remembered, summed over partitions. */
  configurations: number;
  elapsedMs: number;
}

/** Why a history is not linearizable. Operation numbers are indices into the checked history. */
export interface IllegalInfo {
  /** Index of the failing partition among `partitions`. */
  partition: number;
  partitions: number;
  /** The operations of the failing partition. */
  partitionOperations: number[];
  /**
   * The operation whose return made the history non-linearizable: the history cut just before
   * its return is linearizable, the history cut just after it is not.
   */
  violation: number;
  /**
   * A small set of operations whose outcomes cannot all hold: keeping their outputs and return
   * times and treating every other operation of the cut history as "may or may not have taken
   * effect, at any time after its call" is still not linearizable. `coreMinimal` says whether
   * it is 1-minimal (each operation needed) or the time budget ran out first.
   */
  core: number[];
  coreMinimal: boolean;
  /** The longest sequence of operations of the cut history the search could linearize. */
  longestPrefix: number[];
  /** The model state after `longestPrefix`, described. */
  prefixState: string;
  /**
   * The operations that could go next after `longestPrefix` (their call precedes the first
   * return of the rest), none of which led to a linearization. `firstReturn` is the one
   * whose return bounds them.
   */
  unlinearizable: Array<{ op: number; reason: 'step rejected' | 'dead end' }>;
  firstReturn: number;
  explanation: string;
}

export interface CheckResult {
  result: CheckVerdict;
  info?: IllegalInfo;
  stats: CheckStats;
}

const now = (): number => performance.now();

/** Checks a history against a model. Throws on a malformed history. */
export function checkOperations<S, I, O>(model: Model<S, I, O>, history: History<I, O>, options: CheckOptions = {}): CheckResult {
  const start = now();
  validateHistory(history);
  const deadline = options.timeoutMs === undefined ? Infinity : start + options.timeoutMs;
  const parts = model.partition ? model.partition(history) : [history];
  const indexOf = new Map<Operation<I, O>, number>();
  history.forEach((op, i) => indexOf.set(op, i));
  const stats: CheckStats = {
    operations: history.length,
    partitions: parts.length,
    largestPartition: parts.reduce((m, p) => Math.max(m, p.length), 0),
    steps: 0,
    configurations: 0,
    elapsedMs: 0,
  };
  let result: CheckVerdict = 'ok';
  let info: IllegalInfo | undefined;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    const r = search(model, prepare(model, part, []).ops, deadline, false);
    stats.steps += r.steps;
    stats.configurations += r.configurations;
    if (r.status === 'timeout') {
      result = 'unknown';
      break;
    }
    if (r.status === 'illegal') {
      result = 'illegal';
      if (options.explain !== false) {
        const global = part.map((op) => {
          const i = indexOf.get(op);
          if (i === undefined) throw new Error('model.partition must return operations of the history, not copies');
          return i;
        });
        info = explain(model, part, global, p, parts.length, now() + (options.explainTimeoutMs ?? 2000));
      }
      break;
    }
  }
  stats.elapsedMs = now() - start;
  return info === undefined ? { result, stats } : { result, info, stats };
}

/** Applies model.normalize, keeping track of which operation is which. */
function prepare<S, I, O>(model: Model<S, I, O>, ops: History<I, O>, ids: number[]): { ops: Operation<I, O>[]; ids: number[] } {
  if (!model.normalize) return { ops: ops.slice(), ids };
  const normalized = model.normalize(ops);
  if (normalized.length !== ops.length) throw new Error('model.normalize must return one entry per operation');
  const out: Operation<I, O>[] = [];
  const outIds: number[] = [];
  normalized.forEach((op, i) => {
    if (op === null) return;
    out.push(op);
    outIds.push(ids[i]!);
  });
  validateHistory(out);
  return { ops: out, ids: outIds };
}

/** Identical pending operations are interchangeable; this names their class. */
function inputKey(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// The search over one partition.

interface SearchResult<S> {
  status: 'ok' | 'illegal' | 'timeout';
  steps: number;
  configurations: number;
  /** With trackBest: the longest linearized sequence (local indices) and the state after it. */
  best?: { order: number[]; state: S };
}

/** splitmix32: deterministic Zobrist keys. */
function zobristKeys(n: number): Uint32Array {
  const keys = new Uint32Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    keys[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return keys;
}

/**
 * Remembered configurations: completed-operations bitset, pending-operations bitset, state.
 * Bitsets live in flat pools; entries with the same hash are chained.
 */
class ConfigCache<S> {
  private readonly heads = new Map<number, number>();
  private chain = new Int32Array(1024);
  private cbits: Uint32Array;
  private pbits: Uint32Array;
  private finished = new Uint8Array(1024);
  private readonly states: S[] = [];
  size = 0;

  constructor(
    private readonly wc: number,
    private readonly wp: number,
    private readonly equal: (a: S, b: S) => boolean,
  ) {
    this.cbits = new Uint32Array(1024 * wc);
    this.pbits = new Uint32Array(1024 * wp);
  }

  private grow(): void {
    const cap = this.chain.length * 2;
    const chain = new Int32Array(cap);
    chain.set(this.chain);
    this.chain = chain;
    const finished = new Uint8Array(cap);
    finished.set(this.finished);
    this.finished = finished;
    const cbits = new Uint32Array(cap * this.wc);
    cbits.set(this.cbits);
    this.cbits = cbits;
    const pbits = new Uint32Array(cap * this.wp);
    pbits.set(this.pbits);
    this.pbits = pbits;
  }

  /**
   * Remembers the configuration and returns its id, or returns -1 if it was seen before or is
   * dominated by a fully explored configuration.
   */
  add(hash: number, c: Uint32Array, p: Uint32Array, state: S): number {
    const { wc, wp } = this;
    const head = this.heads.get(hash);
    for (let e = head ?? -1; e !== -1; e = this.chain[e]!) {
      let same = true;
      const co = e * wc;
      for (let w = 0; w < wc; w++) {
        if (this.cbits[co + w] !== c[w]) {
          same = false;
          break;
        }
      }
      if (!same || !this.equal(this.states[e]!, state)) continue;
      const po = e * wp;
      let equalP = true;
      let subset = true;
      for (let w = 0; w < wp; w++) {
        const mine = this.pbits[po + w]!;
        if (mine !== p[w]) equalP = false;
        if ((mine & ~p[w]!) !== 0) subset = false;
      }
      if (equalP || (subset && this.finished[e] === 1)) return -1;
    }
    if (this.size === this.chain.length) this.grow();
    const id = this.size++;
    this.cbits.set(c, id * wc);
    if (wp > 0) this.pbits.set(p, id * wp);
    this.states[id] = state;
    this.chain[id] = head ?? -1;
    this.heads.set(hash, id);
    return id;
  }

  markFinished(id: number): void {
    this.finished[id] = 1;
  }
}

function byTime(a: number, b: number): number {
  return a - b;
}

function search<S, I, O>(model: Model<S, I, O>, ops: History<I, O>, deadline: number, trackBest: boolean): SearchResult<S> {
  const n = ops.length;
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const hashState = model.hash;

  // Completed and pending operations get their own dense indices for the two bitsets.
  const cidx = new Int32Array(n).fill(-1);
  const pidx = new Int32Array(n).fill(-1);
  const pendingOps: number[] = [];
  let nc = 0;
  for (let i = 0; i < n; i++) {
    if (ops[i]!.return === Infinity) pendingOps.push(i);
    else cidx[i] = nc++;
  }
  const np = pendingOps.length;
  // Pending operations in call order; a pending operation's bit is its position here.
  pendingOps.sort((a, b) => byTime(ops[a]!.call, ops[b]!.call) || a - b);
  const pend = Int32Array.from(pendingOps);
  pend.forEach((o, j) => (pidx[o] = j));
  // Pending operations with identical inputs are interchangeable (nothing bounds when they
  // take effect), so the search uses them in call order only: classPrev[j] is the previous
  // pending operation identical to pend[j], which must be linearized before pend[j] may be.
  const classPrev = new Int32Array(np).fill(-1);
  const lastOfClass = new Map<string, number>();
  for (let j = 0; j < np; j++) {
    const k = inputKey(ops[pend[j]!]!.input);
    if (k === undefined) continue;
    const before = lastOfClass.get(k);
    if (before !== undefined) classPrev[j] = before;
    lastOfClass.set(k, j);
  }

  // Event list of the completed operations: entry i is the call of operation i, entry n + i
  // its return. Sorted by time; at equal times calls first (equal timestamps are concurrent).
  const entries: number[] = [];
  for (let i = 0; i < n; i++) if (cidx[i]! >= 0) entries.push(i, n + i);
  const timeOf = (e: number) => (e < n ? ops[e]!.call : ops[e - n]!.return);
  entries.sort((a, b) => byTime(timeOf(a), timeOf(b)) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || (a % n) - (b % n));
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = head;
  for (const e of entries) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }

  const lift = (i: number) => {
    const r = n + i;
    next[prev[i]!] = next[i]!;
    if (next[i] !== -1) prev[next[i]!] = prev[i]!;
    next[prev[r]!] = next[r]!;
    if (next[r] !== -1) prev[next[r]!] = prev[r]!;
  };
  const unlift = (i: number) => {
    const r = n + i;
    next[prev[r]!] = r;
    if (next[r] !== -1) prev[next[r]!] = r;
    next[prev[i]!] = i;
    if (next[i] !== -1) prev[next[i]!] = i;
  };

  const wc = Math.max(1, (nc + 31) >>> 5);
  const wp = (np + 31) >>> 5;
  const cbits = new Uint32Array(wc);
  const pbits = new Uint32Array(wp);
  const zobrist = zobristKeys(nc);
  const cache = new ConfigCache<S>(wc, wp, equal);

  // The DFS stack: the operation linearized at each depth, the state before it, the id of
  // the configuration after it, and for pending operations where the pending scan was.
  const stackOp = new Int32Array(n);
  const stackCfg = new Int32Array(n);
  const stackPj = new Int32Array(n);
  const stackT = new Float64Array(n);
  const stackState: Array<S | undefined> = new Array(n);
  let depth = 0;

  let state = model.init();
  let hc = 0;
  let done = 0; // completed operations linearized
  let steps = 0;

  let bestDepth = -1;
  let bestDirty = trackBest;
  let best: { order: number[]; state: S } | undefined;
  const snapshot = () => {
    best = { order: Array.from(stackOp.subarray(0, depth)), state };
    bestDirty = false;
  };

  /** Tries to linearize operation o next; true if it was pushed. */
  const tryLinearize = (o: number, pj: number, tRet: number): boolean => {
    const op = ops[o]!;
    const [ok, ns] = model.step(state, op.input, op.output);
    if (!ok) return false;
    const c = cidx[o]!;
    let nh = hc;
    if (c >= 0) {
      cbits[c >>> 5]! |= 1 << (c & 31);
      nh = (hc ^ zobrist[c]!) >>> 0;
    } else {
      const p = pidx[o]!;
      pbits[p >>> 5]! |= 1 << (p & 31);
    }
    const key = hashState ? (nh + Math.imul(hashState(ns) | 0, 0x9e3779b1)) | 0 : nh | 0;
    const id = cache.add(key, cbits, pbits, ns);
    if (id < 0) {
      if (c >= 0) cbits[c >>> 5]! &= ~(1 << (c & 31));
      else pbits[pidx[o]! >>> 5]! &= ~(1 << (pidx[o]! & 31));
      return false;
    }
    stackOp[depth] = o;
    stackCfg[depth] = id;
    stackPj[depth] = pj;
    stackT[depth] = tRet;
    stackState[depth] = state;
    depth++;
    state = ns;
    hc = nh;
    if (c >= 0) {
      lift(o);
      done++;
    }
    if (trackBest && depth > bestDepth) {
      bestDepth = depth;
      bestDirty = true;
    }
    return true;
  };

  let cur = next[head]!;
  let phase2 = false; // scanning pending operations (after the completed candidates)
  let pj = 0;
  let tRet = 0;
  while (done < nc) {
    if ((++steps & 0xff) === 0 && now() > deadline) {
      if (trackBest && bestDirty) snapshot();
      return { status: 'timeout', steps, configurations: cache.size, ...(best ? { best } : {}) };
    }
    if (!phase2) {
      if (cur !== -1 && cur < n) {
        if (tryLinearize(cur, 0, 0)) cur = next[head]!;
        else cur = next[cur]!;
        continue;
      }
      // The first return of an operation not yet linearized: no later call can go next.
      if (cur === -1) throw new Error('linearizability checker: event list exhausted with completed operations left');
      tRet = ops[cur - n]!.return;
      phase2 = true;
      pj = 0;
      continue;
    }
    while (pj < np && ops[pend[pj]!]!.call <= tRet) {
      const used = (pbits[pj >>> 5]! & (1 << (pj & 31))) !== 0;
      const q = classPrev[pj]!;
      if (!used && (q < 0 || (pbits[q >>> 5]! & (1 << (q & 31))) !== 0)) break;
      pj++;
    }
    if (pj < np && ops[pend[pj]!]!.call <= tRet) {
      if (tryLinearize(pend[pj]!, pj, tRet)) {
        phase2 = false;
        cur = next[head]!;
      } else {
        pj++;
      }
      continue;
    }
    // Nothing can go next: backtrack.
    if (depth === 0) {
      if (trackBest && bestDirty) snapshot();
      return { status: 'illegal', steps, configurations: cache.size, ...(best ? { best } : {}) };
    }
    if (bestDirty) snapshot();
    depth--;
    const o = stackOp[depth]!;
    cache.markFinished(stackCfg[depth]!);
    state = stackState[depth]!;
    stackState[depth] = undefined;
    const c = cidx[o]!;
    if (c >= 0) {
      cbits[c >>> 5]! &= ~(1 << (c & 31));
      hc = (hc ^ zobrist[c]!) >>> 0;
      unlift(o);
      done--;
      phase2 = false;
      cur = next[o]!;
    } else {
      const p = pidx[o]!;
      pbits[p >>> 5]! &= ~(1 << (p & 31));
      phase2 = true;
      pj = stackPj[depth]! + 1;
      tRet = stackT[depth]!;
    }
  }
  if (trackBest) {
    bestDepth = depth;
    snapshot();
  }
  return { status: 'ok', steps, configurations: cache.size, ...(best ? { best } : {}) };
}

// ---------------------------------------------------------------------------------------
// Explaining an illegal partition.

function relaxed<I, O>(op: Operation<I, O>): Operation<I, O> {
  return { ...op, output: UNKNOWN, return: Infinity };
}

function explain<S, I, O>(
  model: Model<S, I, O>,
  part: History<I, O>,
  global: number[],
  partition: number,
  partitions: number,
  deadline: number,
): IllegalInfo {
  const n = part.length;
  // Events in time order; event k is the call (e < n) or return (e >= n) of operation e % n.
  const events: number[] = [];
  for (let i = 0; i < n; i++) {
    events.push(i);
    if (part[i]!.return !== Infinity) events.push(n + i);
  }
  const timeOf = (e: number) => (e < n ? part[e]!.call : part[e - n]!.return);
  events.sort((a, b) => byTime(timeOf(a), timeOf(b)) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || (a % n) - (b % n));

  // The history cut after its first k events: operations not returned by then are pending.
  // Linearizability is prefix-closed, so "cut k is illegal" is monotone in k.
  const cut = (k: number): { ops: Operation<I, O>[]; ids: number[] } => {
    const returned = new Set<number>();
    const called: number[] = [];
    for (let j = 0; j < k; j++) {
      const e = events[j]!;
      if (e < n) called.push(e);
      else returned.add(e - n);
    }
    return { ops: called.map((i) => (returned.has(i) ? part[i]! : relaxed(part[i]!))), ids: called.map((i) => global[i]!) };
  };
  const illegal = (ops: History<I, O>, ids: number[]) => search(model, prepare(model, ops, ids).ops, deadline, false).status === 'illegal';

  let lo = 0;
  let hi = events.length; // cut(hi) is known illegal, cut(lo) legal (or not proven illegal)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const c = cut(mid);
    if (illegal(c.ops, c.ids)) hi = mid;
    else lo = mid;
  }
  const { ops, ids } = cut(hi);
  const violation = global[events[hi - 1]! % n]!;

  // Core: relax operations (forget their output and return) while the cut stays illegal;
  // relaxing only adds linearizations, so one final pass of single operations is 1-minimal.
  const current = ops.slice();
  const definite = current.flatMap((op, j) => (op.return !== Infinity ? [j] : []));
  let coreMinimal = true;
  const isRelaxed = new Set<number>();
  let chunk = Math.max(1, Math.ceil(definite.length / 2));
  outer: for (;;) {
    for (let s = 0; s < definite.length; s += chunk) {
      if (now() > deadline) {
        coreMinimal = false;
        break outer;
      }
      const group = definite.slice(s, s + chunk).filter((j) => !isRelaxed.has(j));
      if (group.length === 0) continue;
      for (const j of group) current[j] = relaxed(ops[j]!);
      if (illegal(current, ids)) {
        for (const j of group) isRelaxed.add(j);
      } else {
        for (const j of group) current[j] = ops[j]!;
      }
    }
    if (chunk === 1) break;
    chunk = Math.ceil(chunk / 2);
  }
  const core = definite.filter((j) => !isRelaxed.has(j)).map((j) => ids[j]!);

  // The longest linearizable prefix of the cut history, and what could not follow it.
  const prepared = prepare(model, ops, ids);
  const pops = prepared.ops;
  const r = search(model, pops, Math.max(deadline, now() + 200), true);
  const order = r.best?.order ?? [];
  const prefixState = r.best?.state ?? model.init();
  const inPrefix = new Set(order);
  let firstReturn = violation;
  let tFirst = Infinity;
  for (let j = 0; j < pops.length; j++) {
    if (!inPrefix.has(j) && pops[j]!.return < tFirst) {
      tFirst = pops[j]!.return;
      firstReturn = prepared.ids[j]!;
    }
  }
  const unlinearizable: IllegalInfo['unlinearizable'] = [];
  for (let j = 0; j < pops.length; j++) {
    if (inPrefix.has(j) || pops[j]!.call > tFirst) continue;
    const [ok] = model.step(prefixState, pops[j]!.input, pops[j]!.output);
    unlinearizable.push({ op: prepared.ids[j]!, reason: ok ? 'dead end' : 'step rejected' });
  }

  const info: IllegalInfo = {
    partition,
    partitions,
    partitionOperations: global.slice(),
    violation,
    core,
    coreMinimal,
    longestPrefix: order.map((j) => prepared.ids[j]!),
    prefixState: describeState(model, prefixState),
    unlinearizable,
    firstReturn,
    explanation: '',
  };
  const byGlobal = new Map<number, Operation<I, O>>();
  part.forEach((op, i) => byGlobal.set(global[i]!, op));
  const line = (i: number) => `    ${describeOp(model, i, byGlobal.get(i)!)}`;
  const shown = info.longestPrefix.slice(-8);
  info.explanation = [
    `not linearizable (partition ${partition + 1} of ${partitions}, ${n} operations)`,
    `  first violation, at the return of:`,
    line(violation),
    `  operations whose outcomes conflict (${core.length}${coreMinimal ? '' : ', not minimized: out of time'}; every other` +
      ` operation treated as "may or may not have taken effect"):`,
    ...core.map(line),
    `  longest linearizable prefix: ${order.length} operations${shown.length < order.length ? `, the last ${shown.length}` : ''}:`,
    ...shown.map(line),
    `  state after it: ${info.prefixState}`,
    `  none of these can go next:`,
    ...unlinearizable.map((u) => `${line(u.op)}  (${u.reason})`),
  ].join('\n');
  return info;
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  return model.describeState ? model.describeState(state) : JSON.stringify(state) ?? String(state);
}

function describeOp<S, I, O>(model: Model<S, I, O>, index: number, op: Operation<I, O>): string {
  const what = model.describeOperation
    ? model.describeOperation(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.output === UNKNOWN ? '?' : JSON.stringify(op.output)}`;
  const end = op.return === Infinity ? 'never returned' : String(op.return);
  return `#${index} client ${String(op.clientId)} [${op.call}, ${end}] ${what}`;
}
