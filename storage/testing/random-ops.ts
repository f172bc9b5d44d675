// Seeded random operation sequences for the model-based store tests. The key space is
// small on purpose (so operations collide), with keys that share prefixes and binary keys
// holding 0x00/0xff bytes. The generator looks at the reference model's state to pick
// interesting arguments (existing keys, live revisions, compare values that sometimes
// hold), so a sequence is a deterministic function of the seed alone.
import { FROM_KEY, prefixEnd } from '../bytes.ts';
import type { Bytes, Compare, CompareResult, CompareTarget, LeaseId, RangeOptions, TxnOp, TxnRequest } from '../store.ts';
import type { ReferenceModel } from './reference-model.ts';
import { checkIntervals } from './reference-model.ts';

// ---- PRNG ----

/** mulberry32: a tiny, good-enough 32-bit PRNG. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}

// ---- the key space ----

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** 16 keys: prefix-sharing text keys, a Kubernetes-like layout, and binary keys. */
export const KEYS: readonly Buffer[] = [
  b('a'),
  b('ab'),
  b('abc'),
  b('a\xff'),
  b('b'),
  b('/r/pods/ns1/p1'),
  b('/r/pods/ns1/p2'),
  b('/r/pods/ns10/p1'),
  b('/r/pods/ns2/p1'),
  b('/r/svc/ns1/s1'),
  b('\x00'),
  b('\x01'),
  b('\xff'),
  b('\xff\x00'),
  b('\xff\xff'),
  b('\xff\xff\xff'),
];

/** Prefixes for prefix ranges; "\xff" and "\xff\xff" have no prefix end (it becomes "from key"). */
export const PREFIXES: readonly Buffer[] = [
  b('a'),
  b('ab'),
  b('/r/'),
  b('/r/pods/'),
  b('/r/pods/ns1/'),
  b('/r/pods/ns1'),
  b('/r/svc/'),
  b('\xff'),
  b('\xff\xff'),
  b('\x00'),
  b('zz'),
];

const VALUES: readonly Buffer[] = [b('v1'), b('v2'), b('value-3'), b(''), b('\xff\x00bin'), b('{"kind":"Pod"}')];

/** Lease ids the generator uses; a few are never granted. */
export const LEASE_IDS: readonly LeaseId[] = [1, 2, 3, 2 ** 40 + 7];
export const LEASE_TTL = 3600;

// ---- operations ----

export type WriteOp =
  | { kind: 'put'; key: Bytes; value: Bytes; lease?: LeaseId; prevKv?: boolean }
  | { kind: 'delete'; key: Bytes; rangeEnd?: Bytes; prevKv?: boolean }
  | { kind: 'txn'; request: TxnRequest };

export type Op =
  | WriteOp
  /** Writes issued concurrently, none awaited before the next is issued. */
  | { kind: 'burst'; ops: WriteOp[] }
  | { kind: 'range'; key: Bytes; options: RangeOptions }
  | { kind: 'compact'; revision: number }
  | { kind: 'reopen' }
  | { kind: 'watch'; id: number; key: Bytes; rangeEnd?: Bytes; startRevision?: number; prevKv?: boolean }
  | { kind: 'cancelWatch'; id: number }
  | { kind: 'leaseGrant'; id: LeaseId; ttl: number }
  | { kind: 'leaseRevoke'; id: LeaseId }
  | { kind: 'leaseKeepAlive'; id: LeaseId }
  | { kind: 'leaseTimeToLive'; id: LeaseId; keys: boolean }
  | { kind: 'leases' }
  | { kind: 'status' };

export type OpKind = Op['kind'];

export interface GeneratorOptions {
  /** Include lease operations and leases on puts (default true). */
  leases?: boolean;
  /** Include close/reopen (default true). */
  reopen?: boolean;
  /** At most this many watches open at once (default 6). */
  maxWatches?: number;
}

const DEFAULT_WEIGHTS: Record<OpKind, number> = {
  put: 26,
  delete: 6,
  txn: 16,
  burst: 4,
  range: 22,
  compact: 3,
  reopen: 1.5,
  watch: 5,
  cancelWatch: 1,
  leaseGrant: 2,
  leaseRevoke: 1,
  leaseKeepAlive: 0.5,
  leaseTimeToLive: 1,
  leases: 0.5,
  status: 1,
};

export class OpGenerator {
  readonly rng: Rng;
  private readonly weights: Record<OpKind, number>;
  private readonly maxWatches: number;
  private readonly leasesOn: boolean;
  private nextWatchId = 1;
  /** Watch ids the caller has not canceled. */
  readonly openWatches = new Set<number>();

  constructor(seed: number, options: GeneratorOptions = {}) {
    this.rng = new Rng(seed * 2654435761 + 12345);
    this.weights = { ...DEFAULT_WEIGHTS };
    if (options.leases === false) {
      for (const k of ['leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseTimeToLive', 'leases'] as const) this.weights[k] = 0;
    }
    this.leasesOn = options.leases !== false;
    if (options.reopen === false) this.weights.reopen = 0;
    this.maxWatches = options.maxWatches ?? 6;
  }

  /** The next operation, chosen with the model's current state in view. */
  next(model: ReferenceModel): Op {
    const r = this.rng;
    const weights = { ...this.weights };
    if (this.openWatches.size >= this.maxWatches) weights.watch = 0;
    if (this.openWatches.size === 0) weights.cancelWatch = 0;
    const kind = r.weighted(weights);
    switch (kind) {
      case 'put':
      case 'delete':
      case 'txn':
        return this.writeOp(kind, model);
      case 'burst': {
        const n = r.int(2, 5);
        return { kind: 'burst', ops: Array.from({ length: n }, () => this.writeOp(r.weighted({ put: 5, delete: 2, txn: 4 }), model)) };
      }
      case 'range': {
        const { key, rangeEnd } = this.keyRange(false);
        const options: RangeOptions = {};
        if (rangeEnd !== undefined) options.rangeEnd = rangeEnd;
        if (r.chance(0.35)) options.revision = this.pastRevision(model);
        if (r.chance(0.3)) options.limit = r.int(1, 4);
        if (r.chance(0.15)) options.keysOnly = true;
        if (r.chance(0.12)) options.countOnly = true;
        const op: Op = { kind: 'range', key: r.chance(0.01) ? '' : key, options };
        return op;
      }
      case 'compact': {
        const lo = model.compactRevision;
        const hi = model.revision;
        let revision: number;
        const x = r.next();
        if (x < 0.1 && lo > 0) revision = r.int(Math.max(1, lo - 2), lo); // already compacted
        else if (x < 0.18) revision = hi + r.int(1, 3); // future
        else if (x < 0.3) revision = hi; // everything
        else revision = r.int(Math.max(1, lo + 1), Math.max(1, lo + 1, hi)); // typical: between
        return { kind: 'compact', revision };
      }
      case 'reopen':
        return { kind: 'reopen' };
      case 'watch': {
        const { key, rangeEnd } = this.keyRange(false, true);
        const op: Op = { kind: 'watch', id: this.nextWatchId++, key };
        if (rangeEnd !== undefined) op.rangeEnd = rangeEnd;
        const x = r.next();
        if (x < 0.3) op.startRevision = 0;
        else if (x < 0.4) op.startRevision = model.revision + r.int(1, 3);
        else op.startRevision = r.int(Math.max(1, model.compactRevision - 2), model.revision);
        if (r.chance(0.5)) op.prevKv = true;
        this.openWatches.add(op.id);
        return op;
      }
      case 'cancelWatch': {
        const id = r.pick([...this.openWatches]);
        this.openWatches.delete(id);
        return { kind: 'cancelWatch', id };
      }
      case 'leaseGrant':
        return { kind: 'leaseGrant', id: r.pick(LEASE_IDS), ttl: LEASE_TTL };
      case 'leaseRevoke':
        return { kind: 'leaseRevoke', id: r.pick(LEASE_IDS) };
      case 'leaseKeepAlive':
        return { kind: 'leaseKeepAlive', id: r.pick(LEASE_IDS) };
      case 'leaseTimeToLive':
        return { kind: 'leaseTimeToLive', id: r.pick(LEASE_IDS), keys: r.chance(0.7) };
      case 'leases':
        return { kind: 'leases' };
      case 'status':
        return { kind: 'status' };
    }
  }

  private writeOp(kind: WriteOp['kind'], model: ReferenceModel): WriteOp {
    const r = this.rng;
    switch (kind) {
      case 'put': {
        const op: WriteOp = { kind: 'put', key: this.keyArg(this.key()), value: this.value() };
        if (r.chance(0.4)) op.prevKv = true;
        const lease = this.leaseForPut(model);
        if (lease !== undefined) op.lease = lease;
        if (r.chance(0.01)) op.key = '';
        return op;
      }
      case 'delete': {
        const op: WriteOp = { kind: 'delete', ...this.keyRange(true) };
        if (r.chance(0.5)) op.prevKv = true;
        if (r.chance(0.01)) op.key = '';
        return op;
      }
      case 'txn':
        return { kind: 'txn', request: this.txn(model) };
    }
  }

  // ---- argument pickers ----

  private key(): Buffer {
    return this.rng.pick(KEYS);
  }

  /** Text keys are sometimes passed as strings, to exercise the UTF-8 input path. */
  private keyArg(k: Buffer): Bytes {
    const ascii = k.every((c) => c >= 0x20 && c < 0x7f);
    return ascii && this.rng.chance(0.3) ? k.toString('latin1') : k;
  }

  private value(): Buffer {
    const r = this.rng;
    if (r.chance(0.6)) return r.pick(VALUES);
    return b(`val-${r.int(0, 1e6)}`);
  }

  private leaseForPut(model: ReferenceModel): LeaseId | undefined {
    if (!this.leasesOn || !this.rng.chance(0.2)) return undefined;
    const granted = LEASE_IDS.filter((id) => model.hasLease(id));
    // Mostly a granted lease; sometimes one that does not exist (lease-not-found).
    if (granted.length > 0 && this.rng.chance(0.85)) return this.rng.pick(granted);
    return this.rng.pick(LEASE_IDS);
  }

  /** A revision to read at: mostly retained ones, sometimes compacted or future ones. */
  private pastRevision(model: ReferenceModel): number {
    const r = this.rng;
    const x = r.next();
    if (x < 0.08) return model.revision + r.int(1, 2);
    if (x < 0.16 && model.compactRevision > 1) return r.int(1, model.compactRevision - 1);
    if (x < 0.22) return 0;
    return r.int(Math.max(1, model.compactRevision), model.revision);
  }

  /**
   * A key or range: single key, prefix, [a, b) between two keys (possibly reversed, i.e.
   * empty), from-key, or the whole key space. `forWrite` avoids whole-space deletes most
   * of the time so the store does not stay empty. `nonEmpty` never gives end <= key (etcd
   * refuses such a watch: "empty watcher range"; the Store interface leaves it open).
   */
  keyRange(forWrite: boolean, nonEmpty = false): { key: Bytes; rangeEnd?: Bytes } {
    const r = this.rng;
    const x = r.next();
    if (x < 0.5) return { key: this.keyArg(this.key()) };
    if (x < 0.75) {
      const p = r.pick(PREFIXES);
      return { key: p, rangeEnd: prefixEnd(p) };
    }
    if (x < 0.88) {
      const k1 = this.key();
      const k2 = this.key();
      if (nonEmpty) {
        const c = Buffer.compare(k1, k2);
        if (c === 0) return { key: k1 };
        return c < 0 ? { key: k1, rangeEnd: k2 } : { key: k2, rangeEnd: k1 };
      }
      return { key: k1, rangeEnd: k2 };
    }
    if (x < 0.96 || forWrite) return { key: this.key(), rangeEnd: FROM_KEY };
    return { key: b('\x00'), rangeEnd: FROM_KEY };
  }

  private compare(model: ReferenceModel): Compare {
    const r = this.rng;
    const target = r.weighted<CompareTarget>({ version: 3, createRevision: 2, modRevision: 3, value: 3, lease: 1 });
    const result = r.weighted<CompareResult>({ '=': 4, '!=': 2, '<': 2, '>': 2 });
    const key = this.key();
    const c: Compare = { key, target, result, value: 0 };
    if (r.chance(0.15)) {
      const p = r.pick(PREFIXES);
      c.key = p;
      c.rangeEnd = prefixEnd(p);
    }
    const cur = model.stateAt(model.revision).get(key.toString('hex'));
    if (target === 'value') {
      c.value = cur && r.chance(0.6) ? cur.value : this.value();
    } else {
      const actual = cur ? cur[target] : 0;
      const y = r.next();
      c.value = y < 0.5 ? actual : y < 0.7 ? 0 : y < 0.85 ? actual + r.int(-2, 2) : r.int(0, model.revision + 1);
      if ((c.value as number) < 0) c.value = 0;
    }
    return c;
  }

  private txnOps(model: ReferenceModel): TxnOp[] {
    const r = this.rng;
    const n = r.int(0, 4);
    const ops: TxnOp[] = [];
    for (let i = 0; i < n; i++) {
      const kind = r.weighted({ put: 5, delete: 2, range: 3 });
      if (kind === 'put') {
        const op: TxnOp = { type: 'put', key: this.keyArg(this.key()), value: this.value() };
        if (r.chance(0.4)) op.prevKv = true;
        const lease = this.leaseForPut(model);
        if (lease !== undefined) op.lease = lease;
        ops.push(op);
      } else if (kind === 'delete') {
        // Prefixes include all-0xff ones, whose end is "\0": from-key deletes, which etcd's
        // overlap check lets stand beside puts in the same branch.
        const op: TxnOp =
          r.chance(0.6) ? { type: 'delete', key: this.key() } : (() => {
            const p = r.pick(PREFIXES);
            return { type: 'delete' as const, key: p, rangeEnd: prefixEnd(p) };
          })();
        if (r.chance(0.5)) op.prevKv = true;
        ops.push(op);
      } else {
        const { key, rangeEnd } = this.keyRange(false);
        const op: TxnOp = { type: 'range', key };
        if (rangeEnd !== undefined) op.rangeEnd = rangeEnd;
        if (r.chance(0.3)) op.limit = r.int(1, 3);
        if (r.chance(0.15)) op.keysOnly = true;
        if (r.chance(0.1)) op.countOnly = true;
        ops.push(op);
      }
    }
    return ops;
  }

  /** Mostly valid branches; about one txn in ten has a duplicate key (an error). */
  private branch(model: ReferenceModel): TxnOp[] {
    const allowDuplicates = this.rng.chance(0.1);
    for (let attempt = 0; ; attempt++) {
      const ops = this.txnOps(model);
      if (allowDuplicates || attempt >= 20) return ops;
      try {
        checkIntervals(ops);
        return ops;
      } catch {
        // try again
      }
    }
  }

  private txn(model: ReferenceModel): TxnRequest {
    const r = this.rng;
    const req: TxnRequest = {};
    const nc = r.int(0, 3);
    if (nc > 0 || r.chance(0.5)) req.compare = Array.from({ length: nc }, () => this.compare(model));
    const s = this.branch(model);
    const f = this.branch(model);
    if (s.length > 0 || r.chance(0.5)) req.success = s;
    if (f.length > 0 || r.chance(0.5)) req.failure = f;
    return req;
  }
}

// ---- printing ----

/** Bytes as a JS string literal: printable ASCII as is, everything else \xNN. */
export function showBytes(x: Bytes): string {
  const buf = typeof x === 'string' ? x : Buffer.isBuffer(x) ? x : Buffer.from(x);
  if (typeof buf === 'string') return JSON.stringify(buf);
  let s = '';
  for (const c of buf) s += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return `b"${s}"`;
}

/** A readable one-line rendering of any value: Buffers as b"...", strings as JSON. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return showBytes(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}: ${show(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return String(v);
}

export function describeOp(op: Op): string {
  return show(op);
}
