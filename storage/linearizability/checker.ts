// Linearizability checker: Wing & Gong's search with Lowe's and Porcupine's improvements.
//
// The history is split into independent parts (P-compositionality: per key for the KV model;
// a history is linearizable iff every part is), and each part is checked on its own by two
// searches for a sequential order of its operations that respects real time and the model,
// run in alternating slices; the first verdict wins.
//
// 1. Wing & Gong's depth-first search, as in Porcupine: call and return events in a doubly
//    linked list sorted by time; an operation may be linearized next iff its call comes before
//    the first return of the operations not yet linearized; linearizing unlinks its events,
//    backtracking relinks them; and every configuration (bitset of linearized operations,
//    model state) is remembered so that none is explored twice (Lowe). It finds a
//    linearization of a linearizable history in about linear time, but proving a history NOT
//    linearizable means exhausting every configuration, which with long-lived operations
//    (timeouts) can take exponential time.
//
// 2. Lowe's just-in-time linearization, breadth-first: walk the events in time order keeping
//    the set of all configurations that explain the history so far, where an operation is
//    linearized only when something needs it, at the latest at its own return. At a return
//    of an operation, each configuration that has not linearized it is extended by every
//    sequence of already-called operations ending with it. The set stays small when few
//    operations are in flight at a time, so the cost grows linearly with the length of the
//    history whether it is linearizable or not, and the first return that leaves the set
//    empty is where the history stops being linearizable (which the explanation reports).
//
// Operations that never returned ("pending": `return: Infinity`, unknown output) may take
// effect at any time after their call, or never: a part is linearizable as soon as every
// completed operation is linearized. Both searches try pending operations last, try identical
// pending operations in call order only, skip pending operations that would change nothing or
// be overwritten at once, and skip a configuration when one with the same completed operations
// and state but a subset of the pending ones is (or, depth-first, was fully) explored: whatever
// is possible after linearizing more pending operations was possible without them. Without
// this, every timed-out operation could double the work.

import { UNKNOWN, validateHistory, type History, type Operation, type Unknown } from './history.ts';
import type { Model } from './model.ts';

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Give up (verdict 'unknown') after this long. Default: no limit. */
  timeoutMs?: number;
  /** Compute `info` for an illegal history. Default: true. */
  explain?: boolean;
  /** Time budget for the explanation, on top of `timeoutMs`. Default: 2000. */
  explainTimeoutMs?: number;
  /**
   * 'auto' (default): both searches, alternating, first verdict wins. The others force one
   * search (for tests and benchmarks).
   */
  search?: 'auto' | 'depth-first' | 'just-in-time';
}

export interface CheckStats {
  operations: number;
  partitions: number;
  largestPartition: number;
  /** Model steps taken by the searches. */
  steps: number;
  /** Configurations remembered by the searches. */
  configurations: number;
  /** Partitions where the just-in-time search finished first (the depth-first one did on the others). */
  decidedJustInTime: number;
  elapsedMs: number;
}

/** Why a history is not linearizable. Operation numbers are indices into the checked history. */
export interface IllegalInfo {
  /** Index of the failing partition among `partitions` (for kvModel: one key). */
  partition: number;
  partitions: number;
  /** The operations of the failing partition. */
  partitionOperations: number[];
  /**
   * The operation that cannot be linearized: everything that happened before its return is
   * linearizable, but no linearization of it leaves a state in which this operation returns
   * what it returned, before it returned. -1 if the explanation ran out of time.
   */
  violation: number;
  /**
   * The model states consistent with the history just before that return, described, before
   * any of the operations still in flight (`concurrent`) takes effect. From at most 100
   * configurations; if the exact search ran out of time, values no operation reads may be
   * merged into one.
   */
  possibleStates: string[];
  /** One linearization of the history just before that return (the longest linearizable prefix). */
  longestPrefix: number[];
  /** The model state after `longestPrefix`, described. */
  prefixState: string;
  /**
   * Operations called by then but not in `longestPrefix` (pending ones only if they would change
   * `prefixState`): they could have gone before `violation`.
   */
  concurrent: number[];
  /**
   * A small set of operations whose outcomes cannot all hold: keeping their outputs and return
   * times and treating every other operation of the partition as "may or may not have taken
   * effect, at any time after its call" is still not linearizable. `coreMinimal` says whether
   * it is 1-minimal (no operation can be left out) or time ran out first.
   */
  core: number[];
  coreMinimal: boolean;
  explanation: string;
}

export interface CheckResult {
  result: CheckVerdict;
  info?: IllegalInfo;
  stats: CheckStats;
}

const now = (): number => performance.now();

/** Checks a history against a model. Throws on a malformed history. */
export function checkOperations<S, I, O>(model: Model<S, I, O>, history: History<NoInfer<I>, NoInfer<O>>, options: CheckOptions = {}): CheckResult {
  const start = now();
  validateHistory(history);
  const deadline = options.timeoutMs === undefined ? Infinity : start + options.timeoutMs;
  const parts = model.partition ? model.partition(history) : [history];
  const stats: CheckStats = {
    operations: history.length,
    partitions: parts.length,
    largestPartition: parts.reduce((m, p) => Math.max(m, p.length), 0),
    steps: 0,
    configurations: 0,
    decidedJustInTime: 0,
    elapsedMs: 0,
  };
  let result: CheckVerdict = 'ok';
  let info: IllegalInfo | undefined;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    const prepared = prepare(
      model,
      part,
      part.map((_, i) => i),
    );
    const { status: verdict, jit } = decide(model, prepared.ops, deadline, stats, options.search);
    if (verdict === 'timeout') {
      result = 'unknown';
      break;
    }
    if (verdict === 'illegal') {
      result = 'illegal';
      if (options.explain !== false) {
        const indexOf = new Map<Operation<I, O>, number>();
        history.forEach((op, i) => indexOf.set(op, i));
        const global = part.map((op) => {
          const i = indexOf.get(op);
          if (i === undefined) throw new Error('model.partition must return operations of the history, not copies');
          return i;
        });
        const known = jit && { ids: prepared.ids.map((i) => global[i]!), result: jit };
        info = explain(model, part, global, p, parts.length, now() + (options.explainTimeoutMs ?? 2000), known);
      }
      break;
    }
  }
  stats.elapsedMs = now() - start;
  return info === undefined ? { result, stats } : { result, info, stats };
}

/**
 * Work between yields of a search (and deadline checks), counted as model steps plus
 * CONFIG_WORK per configuration remembered (which costs about that many steps), so that the
 * alternating searches get similar time, deterministically.
 */
const SLICE = 4096;
const CONFIG_WORK = 16;

/** Work done so far by a search; yielded every SLICE units of work or so. */
interface Progress {
  steps: number;
  configurations: number;
}

function finish<T>(search: Generator<Progress, T>): T {
  for (;;) {
    const r = search.next();
    if (r.done) return r.value;
  }
}

/**
 * 'auto' runs both searches in alternating slices and takes the first verdict: depth-first
 * wins on most linearizable histories, just-in-time on the rest.
 */
function decide<S, I, O>(
  model: Model<S, I, O>,
  ops: History<I, O>,
  deadline: number,
  stats?: CheckStats,
  which: CheckOptions['search'] = 'auto',
): { status: 'ok' | 'illegal' | 'timeout'; jit?: JitResult<S> } {
  const searches: Array<Generator<Progress, SearchResult | JitResult<S>>> = [];
  if (which !== 'just-in-time') searches.push(depthFirst(model, ops, deadline));
  if (which !== 'depth-first') searches.push(justInTime(model, ops, deadline));
  const progress = searches.map((): Progress => ({ steps: 0, configurations: 0 }));
  for (;;) {
    for (let i = 0; i < searches.length; i++) {
      const r = searches[i]!.next();
      if (!r.done) {
        progress[i] = r.value;
        continue;
      }
      progress[i] = r.value;
      if (stats) {
        for (const p of progress) {
          stats.steps += p.steps;
          stats.configurations += p.configurations;
        }
        if (searches.length > 1 && i === 1) stats.decidedJustInTime++;
      }
      for (const other of searches) other.return(undefined as never);
      const jit = which === 'depth-first' || (which === 'auto' && i === 0) ? undefined : (r.value as JitResult<S>);
      return jit ? { status: r.value.status, jit } : { status: r.value.status };
    }
  }
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

// ---------------------------------------------------------------------------------------
// What both searches need: events in time order, pending operations in call order.

/**
 * Entry i is the call of operation i, entry n + i its return (pending operations have none).
 * Sorted by time; at equal times calls first (equal timestamps count as concurrent).
 */
function sortedEvents(ops: History<unknown, unknown>): number[] {
  const n = ops.length;
  const events: number[] = [];
  for (let i = 0; i < n; i++) {
    events.push(i);
    if (ops[i]!.return !== Infinity) events.push(n + i);
  }
  const timeOf = (e: number) => (e < n ? ops[e]!.call : ops[e - n]!.return);
  return events.sort((a, b) => timeOf(a) - timeOf(b) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || (a % n) - (b % n));
}

interface PendingOps {
  /** Pending operations in call order; an operation's bit in a "used" bitset is its position here. */
  pend: Int32Array;
  /** pidx[op] = position in pend, or -1 for a completed operation. */
  pidx: Int32Array;
  /**
   * Identical pending operations are interchangeable (nothing bounds when they take effect),
   * so the searches use them in call order only: classPrev[j] is the previous pending operation
   * identical to pend[j], which must be linearized before pend[j] may be (-1: none).
   */
  classPrev: Int32Array;
  /**
   * blind[j]: pend[j] overwrites the state whatever it was (Model.overwrites). Right after
   * another pending operation it would only make the first one pointless: that sequence is
   * dominated by the blind one alone, so the searches skip it.
   */
  blind: Uint8Array;
}

function pendingOps<I, O>(ops: History<I, O>, overwrites?: (input: I, output: O | Unknown) => boolean): PendingOps {
  const n = ops.length;
  const list: number[] = [];
  for (let i = 0; i < n; i++) if (ops[i]!.return === Infinity) list.push(i);
  list.sort((a, b) => ops[a]!.call - ops[b]!.call || a - b);
  const pend = Int32Array.from(list);
  const pidx = new Int32Array(n).fill(-1);
  pend.forEach((o, j) => (pidx[o] = j));
  const classPrev = new Int32Array(pend.length).fill(-1);
  const lastOfClass = new Map<string, number>();
  for (let j = 0; j < pend.length; j++) {
    const k = inputKey(ops[pend[j]!]!.input);
    if (k === undefined) continue;
    const before = lastOfClass.get(k);
    if (before !== undefined) classPrev[j] = before;
    lastOfClass.set(k, j);
  }
  const blind = new Uint8Array(pend.length);
  if (overwrites) pend.forEach((o, j) => (blind[j] = overwrites(ops[o]!.input, ops[o]!.output) ? 1 : 0));
  return { pend, pidx, classPrev, blind };
}

function inputKey(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch {
    return undefined;
  }
}

const hasBit = (bits: Uint32Array, i: number): boolean => (bits[i >>> 5]! & (1 << (i & 31))) !== 0;

/** Whether pending operation j may be linearized now, given the used bitset. */
function pendingUsable(p: PendingOps, used: Uint32Array, j: number): boolean {
  if (hasBit(used, j)) return false;
  const q = p.classPrev[j]!;
  return q < 0 || hasBit(used, q);
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

// ---------------------------------------------------------------------------------------
// 1. Depth-first (Wing & Gong, Lowe's memoization, Porcupine's linked list).

interface SearchResult extends Progress {
  status: 'ok' | 'illegal' | 'timeout';
}

function* depthFirst<S, I, O>(model: Model<S, I, O>, ops: History<I, O>, deadline: number): Generator<Progress, SearchResult> {
  const n = ops.length;
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const hashState = model.hash;
  const pending = pendingOps(ops, model.overwrites?.bind(model));
  const { pend, pidx, blind } = pending;
  const np = pend.length;
  // Completed operations get dense indices for their bitset.
  const cidx = new Int32Array(n).fill(-1);
  let nc = 0;
  for (let i = 0; i < n; i++) if (pidx[i]! < 0) cidx[i] = nc++;

  // The completed operations' events as a doubly linked list headed by `head`, -1 ending it.
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = head;
  for (const e of sortedEvents(ops)) {
    if (pidx[e % n]! >= 0) continue;
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

  // The stack: the operation linearized at each depth, the state before it, the id of the
  // configuration after it, and for pending operations where the pending scan was.
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
  const result = (status: SearchResult['status']): SearchResult => ({ status, steps, configurations: cache.size });

  /** Tries to linearize operation o next; true if it was pushed. */
  const tryLinearize = (o: number, pj: number, tRet: number): boolean => {
    const op = ops[o]!;
    steps++;
    const [ok, ns] = model.step(state, op.input, op.output);
    if (!ok) return false;
    const c = cidx[o]!;
    const p = pidx[o]!;
    // A pending operation that changes nothing leads to a configuration dominated by this one.
    if (p >= 0 && equal(ns, state)) return false;
    let nh = hc;
    if (c >= 0) {
      cbits[c >>> 5]! |= 1 << (c & 31);
      nh = (hc ^ zobrist[c]!) >>> 0;
    } else {
      pbits[p >>> 5]! |= 1 << (p & 31);
    }
    const key = hashState ? (nh + Math.imul(hashState(ns) | 0, 0x9e3779b1)) | 0 : nh | 0;
    const id = cache.add(key, cbits, pbits, ns);
    if (id < 0) {
      if (c >= 0) cbits[c >>> 5]! &= ~(1 << (c & 31));
      else pbits[p >>> 5]! &= ~(1 << (p & 31));
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
    return true;
  };

  let cur = next[head]!;
  let scanningPending = false; // after the completed candidates, the pending ones
  let pj = 0;
  let tRet = 0; // time of the first return not linearized: pending operations called by then may go
  let nextYield = SLICE;
  while (done < nc) {
    if (steps + CONFIG_WORK * cache.size >= nextYield) {
      nextYield = steps + CONFIG_WORK * cache.size + SLICE;
      if (now() > deadline) return result('timeout');
      yield { steps, configurations: cache.size };
    }
    if (!scanningPending) {
      if (cur !== -1 && cur < n) {
        if (tryLinearize(cur, 0, 0)) cur = next[head]!;
        else cur = next[cur]!;
        continue;
      }
      if (cur === -1) throw new Error('linearizability checker: event list exhausted with completed operations left');
      tRet = ops[cur - n]!.return;
      scanningPending = true;
      pj = 0;
      continue;
    }
    const afterPending = depth > 0 && pidx[stackOp[depth - 1]!]! >= 0;
    while (pj < np && ops[pend[pj]!]!.call <= tRet && (!pendingUsable(pending, pbits, pj) || (afterPending && blind[pj] === 1))) pj++;
    if (pj < np && ops[pend[pj]!]!.call <= tRet) {
      if (tryLinearize(pend[pj]!, pj, tRet)) {
        scanningPending = false;
        cur = next[head]!;
      } else {
        pj++;
      }
      continue;
    }
    // Nothing can go next: backtrack.
    if (depth === 0) return result('illegal');
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
      scanningPending = false;
      cur = next[o]!;
    } else {
      const p = pidx[o]!;
      pbits[p >>> 5]! &= ~(1 << (p & 31));
      scanningPending = true;
      pj = stackPj[depth]! + 1;
      tRet = stackT[depth]!;
    }
  }
  return result('ok');
}

// ---------------------------------------------------------------------------------------
// 2. Just-in-time linearization, breadth-first (Lowe).

/** A linearization, newest operation first (shared between configurations). */
interface Path {
  readonly op: number;
  readonly prev: Path | null;
}

interface JitConfig<S> {
  /** Completed operations linearized before their return (sorted). Returned ones are all linearized. */
  open: number[];
  /** Bitset over pending positions: the pending operations linearized. */
  used: Uint32Array;
  state: S;
  /** Bucket: hash of open and state (not of used: configurations differing only there are compared). */
  key: number;
  path: Path | null;
  dead: boolean;
  /** Reached by linearizing a pending operation (in the current closure). */
  afterPending?: boolean;
}

/** A set of configurations that keeps only the undominated ones. */
class ConfigSet<S> {
  private readonly buckets = new Map<number, JitConfig<S>[]>();
  size = 0;
  constructor(private readonly equal: (a: S, b: S) => boolean) {}

  /** False if c is already in the set or dominated; otherwise adds it and drops what it dominates. */
  add(c: JitConfig<S>): boolean {
    const bucket = this.buckets.get(c.key);
    if (bucket === undefined) {
      this.buckets.set(c.key, [c]);
      this.size++;
      return true;
    }
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      if (!sameOps(e.open, c.open) || !this.equal(e.state, c.state)) continue;
      if (subset(e.used, c.used)) return false;
      if (subset(c.used, e.used)) {
        e.dead = true;
        bucket[i] = bucket[bucket.length - 1]!;
        bucket.pop();
        i--;
        this.size--;
      }
    }
    bucket.push(c);
    this.size++;
    return true;
  }

  values(): JitConfig<S>[] {
    const out: JitConfig<S>[] = [];
    for (const b of this.buckets.values()) out.push(...b);
    return out;
  }
}

function sameOps(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function subset(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w]! & ~b[w]!) !== 0) return false;
  return true;
}

interface JitResult<S> extends SearchResult {
  /** When illegal: the operation whose return could not be linearized... */
  violation?: number;
  /** ...the configurations just before it... */
  before?: JitConfig<S>[];
  /** ...and the operations called by then and not returned (completed and pending). */
  inFlight?: number[];
}

/** With `until`: only whether the history is linearizable up to (and including) that time. */
function* justInTime<S, I, O>(model: Model<S, I, O>, ops: History<I, O>, deadline: number, until = Infinity): Generator<Progress, JitResult<S>> {
  const n = ops.length;
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const hashState = model.hash ?? (() => 0);
  const pending = pendingOps(ops, model.overwrites?.bind(model));
  const { pend, pidx, blind } = pending;
  const wp = (pend.length + 31) >>> 5;
  const zobrist = zobristKeys(n);
  const keyOf = (openHash: number, state: S) => (openHash + Math.imul(hashState(state) | 0, 0x9e3779b1)) | 0;
  const openHash = (open: number[]) => open.reduce((h, o) => (h ^ zobrist[o]!) >>> 0, 0);

  let steps = 0;
  let nextYield = SLICE;
  let configurations = 1;
  let frontier: JitConfig<S>[] = [];
  {
    const state = model.init();
    frontier.push({ open: [], used: new Uint32Array(wp), state, key: keyOf(0, state), path: null, dead: false });
  }
  const called: number[] = []; // completed operations called and not yet returned
  let pendCalled = 0; // pending operations called so far: pend[0 .. pendCalled)

  // For each state met, the called pending operations that change it and the states they
  // lead to (steps are pure). A pending operation that changes nothing only leads to
  // configurations dominated by the one it started from, and in most states most pending
  // operations change nothing (a CAS expecting another value), so this saves most steps.
  interface Effective {
    state: S;
    upto: number;
    list: number[];
    results: S[];
  }
  const effective = new Map<number, Effective[]>();
  const effectiveFrom = (state: S): Effective => {
    const h = hashState(state) | 0;
    let bucket = effective.get(h);
    if (bucket === undefined) effective.set(h, (bucket = []));
    let eff = bucket.find((x) => equal(x.state, state));
    if (eff === undefined) bucket.push((eff = { state, upto: 0, list: [], results: [] }));
    for (; eff.upto < pendCalled; eff.upto++) {
      const j = eff.upto;
      const op = ops[pend[j]!]!;
      steps++;
      const [ok, ns] = model.step(state, op.input, op.output);
      if (ok && !equal(ns, state)) {
        eff.list.push(j);
        eff.results.push(ns);
      }
    }
    return eff;
  };

  for (const e of sortedEvents(ops)) {
    if (e < n) {
      if (pidx[e]! >= 0) pendCalled++;
      else called.push(e);
      continue;
    }
    const o = e - n;
    if (ops[o]!.return > until) break;
    called.splice(called.indexOf(o), 1);
    const oop = ops[o]!;
    const next = new ConfigSet<S>(equal);
    const closure = new ConfigSet<S>(equal);
    const queue: JitConfig<S>[] = [];
    for (const x of frontier) {
      const at = x.open.indexOf(o);
      if (at >= 0) {
        // Already linearized: it simply returns.
        const open = x.open.filter((y) => y !== o);
        next.add({ ...x, open, key: keyOf(openHash(open), x.state), dead: false });
      } else if (closure.add(x)) {
        queue.push(x);
      }
    }
    // Whether a configuration reached by a pending operation, with these open operations and
    // this state, can be followed by anything but what would overwrite it (which makes it
    // pointless: the overwriting operation alone does as well) or fail.
    const worth = new Map<number, Array<{ open: number[]; state: S; worth: boolean }>>();
    const worthAfterPending = (open: number[], state: S): boolean => {
      if (!model.overwrites) return true;
      const k = keyOf(openHash(open), state);
      let bucket = worth.get(k);
      if (bucket === undefined) worth.set(k, (bucket = []));
      const hit = bucket.find((x) => sameOps(x.open, open) && equal(x.state, state));
      if (hit) return hit.worth;
      let w = effectiveFrom(state).list.some((j) => blind[j] === 0);
      for (let i = -1; !w && i < called.length; i++) {
        const c = i < 0 ? o : called[i]!;
        if (i >= 0 && open.includes(c)) continue;
        const op = ops[c]!;
        if (model.overwrites(op.input, op.output)) continue;
        steps++;
        w = model.step(state, op.input, op.output)[0];
      }
      bucket.push({ open, state, worth: w });
      return w;
    };

    // Every sequence of called operations ending with o, breadth-first (so that shorter
    // sequences, which dominate longer ones using more pending operations, come first).
    for (let qi = 0; qi < queue.length; qi++) {
      const y = queue[qi]!;
      if (y.dead) continue;
      if (steps + CONFIG_WORK * configurations >= nextYield) {
        nextYield = steps + CONFIG_WORK * configurations + SLICE;
        if (now() > deadline) return { status: 'timeout', steps, configurations };
        yield { steps, configurations };
      }
      steps++;
      const [ok, ns] = model.step(y.state, oop.input, oop.output);
      if (ok && next.add({ open: y.open, used: y.used, state: ns, key: keyOf(openHash(y.open), ns), path: { op: o, prev: y.path }, dead: false })) {
        configurations++;
      }
      for (const c of called) {
        if (y.open.includes(c)) continue;
        steps++;
        const op = ops[c]!;
        const [okc, nsc] = model.step(y.state, op.input, op.output);
        if (!okc) continue;
        const open = [...y.open, c].sort((a, b) => a - b);
        const z: JitConfig<S> = { open, used: y.used, state: nsc, key: keyOf(openHash(open), nsc), path: { op: c, prev: y.path }, dead: false };
        if (closure.add(z)) {
          queue.push(z);
          configurations++;
        }
      }
      const eff = effectiveFrom(y.state);
      for (let t = 0; t < eff.list.length; t++) {
        const j = eff.list[t]!;
        if (!pendingUsable(pending, y.used, j) || (y.afterPending && blind[j] === 1)) continue;
        const nsp = eff.results[t]!;
        if (!worthAfterPending(y.open, nsp)) continue;
        const used = y.used.slice();
        used[j >>> 5]! |= 1 << (j & 31);
        const z: JitConfig<S> = {
          open: y.open,
          used,
          state: nsp,
          key: keyOf(openHash(y.open), nsp),
          path: { op: pend[j]!, prev: y.path },
          dead: false,
          afterPending: true,
        };
        if (closure.add(z)) {
          queue.push(z);
          configurations++;
        }
      }
    }
    if (next.size === 0) {
      const inFlight = [o, ...called, ...Array.from(pend.subarray(0, pendCalled))];
      return { status: 'illegal', steps, configurations, violation: o, before: frontier, inFlight };
    }
    frontier = next.values();
  }
  return { status: 'ok', steps, configurations };
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
  /** The just-in-time search of the normalized partition, if it was the one that decided. */
  known?: { ids: number[]; result: JitResult<S> },
): IllegalInfo {
  const byGlobal = new Map<number, Operation<I, O>>();
  part.forEach((op, i) => byGlobal.set(global[i]!, op));
  const line = (i: number) => `    ${describeOp(model, i, byGlobal.get(i)!)}`;
  const header = `not linearizable (partition ${partition + 1} of ${partitions}, ${part.length} operations)`;

  // The exact states need the history as it is; normalizing (faster) may merge states.
  let prepared: { ids: number[] } = { ids: global };
  let j = finish(justInTime(model, part, now() + (deadline - now()) / 4));
  if (j.status !== 'illegal' && known) {
    prepared = known;
    j = known.result;
  } else if (j.status !== 'illegal' && model.normalize) {
    const normalized = prepare(model, part, global);
    prepared = normalized;
    j = finish(justInTime(model, normalized.ops, deadline));
  }
  if (j.status !== 'illegal') {
    return {
      partition,
      partitions,
      partitionOperations: global.slice(),
      violation: -1,
      possibleStates: [],
      longestPrefix: [],
      prefixState: '',
      concurrent: [],
      core: global.slice(),
      coreMinimal: false,
      explanation: `${header}\n  (no explanation: out of time)`,
    };
  }
  const violation = prepared.ids[j.violation!]!;
  const until = byGlobal.get(violation)!.return;
  const before = j.before!;
  // Configurations describe states of the normalized history: replay their linearizations on
  // the original operations to describe the real states.
  const replay = (c: JitConfig<S>): { order: number[]; state: S } => {
    const order: number[] = [];
    for (let p = c.path; p !== null; p = p.prev) order.push(prepared.ids[p.op]!);
    order.reverse();
    let state = model.init();
    for (const i of order) {
      const op = byGlobal.get(i)!;
      const [ok, ns] = model.step(state, op.input, op.output);
      if (!ok) return { order, state: c.state };
      state = ns;
    }
    return { order, state };
  };
  const rep = before.reduce((a, b) => (count(b.used) < count(a.used) ? b : a));
  const { order: longestPrefix, state: repState } = replay(rep);
  const inPrefix = new Set(longestPrefix);
  const equal = model.equal ?? ((a: S, b: S) => a === b);
  const concurrent = j
    .inFlight!.map((o) => prepared.ids[o]!)
    .filter((i) => {
      if (i === violation || inPrefix.has(i)) return false;
      const op = byGlobal.get(i)!;
      if (op.return !== Infinity) return true;
      // A pending operation is worth listing only if it could change the state.
      const [ok, ns] = model.step(repState, op.input, op.output);
      return ok && !equal(ns, repState);
    });
  const possibleStates = [...new Set(before.slice(0, 100).map((c) => describeState(model, replay(c).state)))];

  // The operations called by the violation's return. The search found no linearization of
  // them up to that time, whatever happens later, so with any operations called later (or
  // relaxed as below) the history is not linearizable either.
  const events = sortedEvents(part);
  const n = part.length;
  const cutAt = events.indexOf(n + global.indexOf(violation));
  const called: number[] = [];
  for (let k = 0; k <= cutAt; k++) if (events[k]! < n) called.push(events[k]!);
  const cut = called.map((i) => part[i]!);
  const ids = called.map((i) => global[i]!);

  // Core: relax operations while that stays so. Relaxing only adds linearizations, so a pass
  // over single operations at the end is 1-minimal. Forgetting outputs first (keeping return
  // times) is cheap and makes most values unobserved, which makes the pending operations of
  // the second phase (forgetting return times too) cheap for models that normalize them.
  let coreMinimal = true;
  const illegal = (ops: History<I, O>) => {
    const status = finish(justInTime(model, prepare(model, ops, ids).ops, deadline, until)).status;
    if (status === 'timeout') coreMinimal = false; // counted as "not shown illegal": still sound
    return status === 'illegal';
  };
  const level = new Array<0 | 1 | 2>(cut.length).fill(0); // original, output forgotten, relaxed
  const build = (): Operation<I, O>[] =>
    cut.map((op, k) => (level[k] === 0 ? op : level[k] === 1 ? { ...op, output: UNKNOWN } : relaxed(op)));
  /** ddmin-style: tries setting groups of `items` to `to`, halving the groups down to one. */
  const minimize = (items: number[], to: 1 | 2): void => {
    let chunk = Math.max(1, Math.ceil(items.length / 2));
    for (;;) {
      for (let s = 0; s < items.length; s += chunk) {
        if (now() > deadline) {
          coreMinimal = false;
          return;
        }
        const group = items.slice(s, s + chunk).filter((k) => level[k]! < to);
        if (group.length === 0) continue;
        const saved = group.map((k) => level[k]!);
        for (const k of group) level[k] = to;
        if (!illegal(build())) group.forEach((k, i) => (level[k] = saved[i]!));
      }
      if (chunk === 1) return;
      chunk = Math.ceil(chunk / 2);
    }
  };
  const allDefinite = cut.flatMap((op, k) => (op.return !== Infinity ? [k] : []));
  // First forget the outputs of the longest stretch of history before the violation that
  // allows it (binary search: relaxing more is monotone), so that the rest works on a window.
  const returns = [...new Set(allDefinite.map((k) => cut[k]!.return))].sort((a, b) => a - b);
  let lo = 0; // forgetting outputs returned before returns[lo] keeps it illegal (none: trivially)
  let hi = returns.length; // ... before returns[hi] does not (or not proven in time)
  while (hi - lo > 1 && now() <= deadline) {
    const mid = (lo + hi) >>> 1;
    for (const k of allDefinite) level[k] = cut[k]!.return < returns[mid]! ? 1 : 0;
    if (illegal(build())) lo = mid;
    else hi = mid;
  }
  for (const k of allDefinite) level[k] = returns.length > 0 && cut[k]!.return < returns[lo]! ? 1 : 0;
  minimize(
    allDefinite.filter((k) => level[k] === 0 && cut[k]!.output !== UNKNOWN),
    1,
  );
  // Then forget return times too.
  minimize(allDefinite, 2);
  // What is left keeps its output too; check each is still needed.
  const kept = allDefinite.filter((k) => level[k] !== 2);
  for (const k of kept) level[k] = 0;
  if (coreMinimal) minimize(kept, 2);
  const core = allDefinite.filter((k) => level[k] !== 2).map((k) => ids[k]!);

  const prefixState = describeState(model, repState);
  const shown = longestPrefix.slice(-8);
  const explanation = [
    header,
    `  this operation cannot be linearized:`,
    line(violation),
    `  possible states just before it returned, but for operations in flight: ${possibleStates.join(', ')}`,
    `  operations whose outcomes conflict (${core.length}${coreMinimal ? '' : ', not minimized: out of time'}; all other` +
      ` operations treated as "may or may not have taken effect"):`,
    ...capped(core, line),
    `  one linearization of the history up to then (${longestPrefix.length} operations${shown.length < longestPrefix.length ? `, the last ${shown.length}` : ''}), leaving ${prefixState}:`,
    ...shown.map(line),
    ...(concurrent.length > 0 ? [`  in flight (called, not linearized in it; none of them helps):`, ...capped(concurrent, line)] : []),
  ].join('\n');
  return {
    partition,
    partitions,
    partitionOperations: global.slice(),
    violation,
    possibleStates,
    longestPrefix,
    prefixState,
    concurrent,
    core,
    coreMinimal,
    explanation,
  };
}

function capped(ids: number[], line: (i: number) => string, max = 20): string[] {
  const out = ids.slice(0, max).map(line);
  if (ids.length > max) out.push(`    ... and ${ids.length - max} more`);
  return out;
}

function count(bits: Uint32Array): number {
  let c = 0;
  for (let w of bits) {
    for (; w !== 0; w &= w - 1) c++;
  }
  return c;
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  return model.describeState ? model.describeState(state) : (JSON.stringify(state) ?? String(state));
}

function describeOp<S, I, O>(model: Model<S, I, O>, index: number, op: Operation<I, O>): string {
  const what = model.describeOperation
    ? model.describeOperation(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.output === UNKNOWN ? '?' : JSON.stringify(op.output)}`;
  const end = op.return === Infinity ? 'never returned' : String(op.return);
  return `#${index} client ${String(op.clientId)} [${op.call}, ${end}] ${what}`;
}
