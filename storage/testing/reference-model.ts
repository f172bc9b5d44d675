// A small, deliberately naive in-memory model of etcd's MVCC semantics, used as the oracle
// of the model-based tests (storage/mvcc/model.test.ts). It keeps the full list of
// committed revisions and answers every read by replaying that list, so that each rule
// of etcd is written once, plainly, and can be checked by reading it. Not for production.
//
// Covered: one global revision (starting at 1, +1 per write, one per txn, no bump for
// writes that change nothing), per-key createRevision/modRevision/version/lease, put,
// delete (single, range, from-key), txn (compares on version, createRevision, modRevision,
// value and lease with = != < >, put/delete/range ops in both branches, prevKv), range at
// any retained revision with limit/count/more/keysOnly/countOnly, compaction and its
// errors, leases (grant with explicit id, revoke, keep-alive, time-to-live, list), and the
// expected watch event stream of a key range from a start revision.
import { CompactedError, errors } from '../errors.ts';
import { toBuffer } from '../bytes.ts';
import type {
  Bytes,
  Compare,
  DeleteOptions,
  DeleteResult,
  KeyValue,
  LeaseGrantResult,
  LeaseId,
  LeaseTimeToLiveResult,
  PutOptions,
  PutResult,
  RangeOptions,
  RangeResult,
  ResponseHeader,
  Store,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  Watch,
  WatchEvent,
  WatchListener,
} from '../store.ts';

/** etcd's default --max-txn-ops. */
export const MAX_TXN_OPS = 128;

/** One change inside a committed revision, with the key's kv just before it (if any). */
export interface ModelEvent {
  revision: number;
  type: 'put' | 'delete';
  /** For deletes: key, modRevision = the delete's revision, everything else zero/empty. */
  kv: KeyValue;
  /** The key's kv before this change; undefined when the key did not exist. */
  prevKv?: KeyValue;
}

/** One committed revision: every change made by the write that created it, in op order. */
export interface Revision {
  revision: number;
  events: ModelEvent[];
}

interface ModelLease {
  id: LeaseId;
  ttl: number;
}

type State = Map<string, KeyValue>;

const hex = (b: Buffer): string => b.toString('hex');

export function copyKv(kv: KeyValue): KeyValue {
  return {
    key: Buffer.from(kv.key),
    value: Buffer.from(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** etcd's key-range rule: no end → the key alone; end "\0" → every key ≥ key; else [key, end). */
export function inRange(k: Buffer, key: Buffer, end: Buffer | undefined): boolean {
  if (end === undefined || end.length === 0) return Buffer.compare(k, key) === 0;
  if (end.length === 1 && end[0] === 0) return Buffer.compare(k, key) >= 0;
  return Buffer.compare(k, key) >= 0 && Buffer.compare(k, end) < 0;
}

function optBuffer(b: Bytes | undefined): Buffer | undefined {
  return b === undefined ? undefined : toBuffer(b);
}

export class ReferenceModel {
  /** The current revision; an empty store is at revision 1, as in etcd. */
  revision = 1;
  /** 0 until the first compaction. */
  compactRevision = 0;
  /** Every committed revision, in order (revision 1 has none: it is the empty store). */
  readonly history: Revision[] = [];
  private readonly leaseTable = new Map<LeaseId, ModelLease>();

  /** An independent copy (the history's entries are never mutated, so they are shared). */
  clone(): ReferenceModel {
    const c = new ReferenceModel();
    c.revision = this.revision;
    c.compactRevision = this.compactRevision;
    c.history.push(...this.history);
    for (const [id, l] of this.leaseTable) c.leaseTable.set(id, { ...l });
    return c;
  }

  // ---- state reconstruction: the one place that knows what the store held when ----

  /** Every live key at `revision`, by replaying the history up to it. */
  stateAt(revision: number): State {
    const state: State = new Map();
    for (const rev of this.history) {
      if (rev.revision > revision) break;
      for (const ev of rev.events) {
        if (ev.type === 'put') state.set(hex(ev.kv.key), ev.kv);
        else state.delete(hex(ev.kv.key));
      }
    }
    return state;
  }

  /** Live kvs of `state` in [key, end), sorted bytewise by key. */
  private select(state: State, key: Buffer, end: Buffer | undefined): KeyValue[] {
    return [...state.values()].filter((kv) => inRange(kv.key, key, end)).sort((a, b) => Buffer.compare(a.key, b.key));
  }

  private header(): ResponseHeader {
    return { revision: this.revision };
  }

  // ---- reads ----

  range(key: Bytes, options: RangeOptions = {}): RangeResult {
    const k = toBuffer(key);
    if (k.length === 0) throw errors.emptyKey();
    const asked = options.revision ?? 0;
    if (asked > this.revision) throw errors.futureRevision();
    const rev = asked > 0 ? asked : this.revision;
    if (rev < this.compactRevision) throw errors.compacted(this.compactRevision);
    return { header: this.header(), ...this.rangeIn(this.stateAt(rev), k, options) };
  }

  private rangeIn(state: State, key: Buffer, options: Omit<RangeOptions, 'revision'>): Omit<RangeResult, 'header'> {
    const all = this.select(state, key, optBuffer(options.rangeEnd));
    const count = all.length;
    // etcd: countOnly returns no kvs and more=false; otherwise more = limit cut something off.
    if (options.countOnly) return { kvs: [], count, more: false };
    const limit = options.limit ?? 0;
    const kept = limit > 0 ? all.slice(0, limit) : all;
    const kvs = kept.map((kv) => {
      const c = copyKv(kv);
      if (options.keysOnly) c.value = Buffer.alloc(0);
      return c;
    });
    return { kvs, count, more: limit > 0 && count > limit };
  }

  // ---- writes (each one goes through a WriteBatch, which is the txn machinery) ----

  put(key: Bytes, value: Bytes, options: PutOptions = {}): PutResult {
    const r = this.txn({ success: [{ type: 'put', key, value, ...options }] });
    const res = r.responses[0]!;
    if (res.type !== 'put') throw new Error('model: unexpected response');
    const out: PutResult = { header: r.header };
    if (res.prevKv) out.prevKv = res.prevKv;
    return out;
  }

  delete(key: Bytes, options: DeleteOptions = {}): DeleteResult {
    const r = this.txn({ success: [{ type: 'delete', key, ...options }] });
    const res = r.responses[0]!;
    if (res.type !== 'delete') throw new Error('model: unexpected response');
    return { header: r.header, deleted: res.deleted, prevKvs: res.prevKvs };
  }

  txn(request: TxnRequest): TxnResult {
    const compares = request.compare ?? [];
    const success = request.success ?? [];
    const failure = request.failure ?? [];
    // Request validation (etcd's v3rpc layer), before anything is evaluated; both branches.
    if (compares.length > MAX_TXN_OPS || success.length > MAX_TXN_OPS || failure.length > MAX_TXN_OPS) {
      throw errors.tooManyOps();
    }
    for (const op of [...success, ...failure]) if (toBuffer(op.key).length === 0) throw errors.emptyKey();
    checkIntervals(success);
    checkIntervals(failure);

    const now = this.stateAt(this.revision);
    const succeeded = compares.every((c) => this.compare(now, c));
    const ops = succeeded ? success : failure;
    // etcd checks the leases of the branch that will run, before running it.
    for (const op of ops) {
      if (op.type === 'put' && (op.lease ?? 0) !== 0 && !this.leaseTable.has(op.lease!)) throw errors.leaseNotFound();
    }

    const rev = this.revision + 1;
    const state: State = new Map(now); // the txn's view: its own earlier writes are visible
    const events: ModelEvent[] = [];
    const responses: TxnOpResult[] = [];
    for (const op of ops) responses.push(this.applyOp(state, rev, op, events));
    if (events.length > 0) {
      this.history.push({ revision: rev, events });
      this.revision = rev;
    }
    return { header: this.header(), succeeded, responses };
  }

  private applyOp(state: State, rev: number, op: TxnOp, events: ModelEvent[]): TxnOpResult {
    const key = toBuffer(op.key);
    switch (op.type) {
      case 'range':
        return { type: 'range', ...this.rangeIn(state, key, op) };
      case 'put': {
        const prev = state.get(hex(key));
        const kv: KeyValue = {
          key: Buffer.from(key),
          value: Buffer.from(toBuffer(op.value)),
          createRevision: prev ? prev.createRevision : rev,
          modRevision: rev,
          version: prev ? prev.version + 1 : 1,
          lease: op.lease ?? 0,
        };
        state.set(hex(key), kv);
        events.push({ revision: rev, type: 'put', kv, prevKv: prev });
        const out: TxnOpResult = { type: 'put' };
        if (op.prevKv && prev) out.prevKv = copyKv(prev);
        return out;
      }
      case 'delete': {
        const victims = this.select(state, key, optBuffer(op.rangeEnd));
        for (const prev of victims) {
          state.delete(hex(prev.key));
          const kv: KeyValue = { key: Buffer.from(prev.key), value: Buffer.alloc(0), createRevision: 0, modRevision: rev, version: 0, lease: 0 };
          events.push({ revision: rev, type: 'delete', kv, prevKv: prev });
        }
        return { type: 'delete', deleted: victims.length, prevKvs: op.prevKv ? victims.map(copyKv) : [] };
      }
    }
  }

  /**
   * etcd's applyCompare: the kvs in range must all satisfy the compare; an empty range is
   * compared as a zero kv (version/revisions/lease 0), except that a value compare fails.
   */
  private compare(state: State, c: Compare): boolean {
    const kvs = this.select(state, toBuffer(c.key), optBuffer(c.rangeEnd));
    if (kvs.length === 0) {
      if (c.target === 'value') return false;
      return compareOne(c, { key: toBuffer(c.key), value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0, lease: 0 });
    }
    return kvs.every((kv) => compareOne(c, kv));
  }

  // ---- compaction ----

  compact(revision: number): ResponseHeader {
    if (revision <= this.compactRevision) throw errors.compacted(this.compactRevision);
    if (revision > this.revision) throw errors.futureRevision();
    this.compactRevision = revision;
    return this.header();
  }

  // ---- leases (explicit ids only; TTLs are long enough never to expire in a test) ----

  leaseGrant(ttl: number, id: LeaseId): LeaseGrantResult {
    if (!(id > 0)) throw new Error('model: leaseGrant needs an explicit id');
    if (this.leaseTable.has(id)) throw errors.leaseExists();
    this.leaseTable.set(id, { id, ttl });
    return { id, ttl };
  }

  /** Deletes every key attached to the lease, in one revision (none: no revision). */
  leaseRevoke(id: LeaseId): ResponseHeader {
    if (!this.leaseTable.has(id)) throw errors.leaseNotFound();
    const keys = this.leaseKeys(id);
    this.leaseTable.delete(id);
    const rev = this.revision + 1;
    const state = this.stateAt(this.revision);
    const events: ModelEvent[] = [];
    for (const key of keys) this.applyOp(state, rev, { type: 'delete', key }, events);
    if (events.length > 0) {
      this.history.push({ revision: rev, events });
      this.revision = rev;
    }
    return this.header();
  }

  leaseKeepAlive(id: LeaseId): number {
    const l = this.leaseTable.get(id);
    if (!l) throw errors.leaseNotFound();
    return l.ttl;
  }

  /** `ttl` is the granted TTL here (the model has no clock); -1 for a missing lease. */
  leaseTimeToLive(id: LeaseId, options: { keys?: boolean } = {}): LeaseTimeToLiveResult {
    const l = this.leaseTable.get(id);
    if (!l) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return { id, ttl: l.ttl, grantedTtl: l.ttl, keys: options.keys ? this.leaseKeys(id) : [] };
  }

  leases(): LeaseId[] {
    return [...this.leaseTable.keys()].sort((a, b) => a - b);
  }

  hasLease(id: LeaseId): boolean {
    return this.leaseTable.has(id);
  }

  /** Live keys attached to the lease, sorted. */
  leaseKeys(id: LeaseId): Buffer[] {
    return [...this.stateAt(this.revision).values()]
      .filter((kv) => kv.lease === id)
      .map((kv) => Buffer.from(kv.key))
      .sort(Buffer.compare);
  }

  status(): { header: ResponseHeader; compactRevision: number } {
    return { header: this.header(), compactRevision: this.compactRevision };
  }

  // ---- watch ----

  /**
   * The events a watch on [key, rangeEnd) starting at `startRevision` must deliver, up to
   * revision `upTo` (default: the current one), in revision order and, within a revision,
   * in the order the write made them. startRevision 0 means "after the current revision".
   * (The history is never really compacted here: see `watchStart` for the start check.)
   */
  watchEvents(key: Bytes, options: { rangeEnd?: Bytes; startRevision?: number; prevKv?: boolean }, upTo = this.revision): WatchEvent[] {
    const k = toBuffer(key);
    const end = optBuffer(options.rangeEnd);
    const start = this.watchStart(options.startRevision, false);
    const out: WatchEvent[] = [];
    for (const rev of this.history) {
      if (rev.revision < start || rev.revision > upTo) continue;
      for (const ev of rev.events) {
        if (!inRange(ev.kv.key, k, end)) continue;
        const we: WatchEvent = { type: ev.type, kv: copyKv(ev.kv) };
        if (options.prevKv && ev.prevKv) we.prevKv = copyKv(ev.prevKv);
        out.push(we);
      }
    }
    return out;
  }

  /**
   * The first revision a watch started now with `startRevision` delivers (0/absent: the
   * next one). With `check`, a start below the compact revision throws CompactedError, as
   * starting such a watch fails in etcd (a canceled response carrying the compact revision).
   */
  watchStart(startRevision: number | undefined, check = true): number {
    const start = startRevision && startRevision > 0 ? startRevision : this.revision + 1;
    if (check && start < this.compactRevision) throw new CompactedError(this.compactRevision);
    return start;
  }

  /** The revision of each event `watchEvents` would return (same order). */
  watchEventRevisions(key: Bytes, options: { rangeEnd?: Bytes; startRevision?: number }, upTo = this.revision): number[] {
    return this.watchEvents(key, options, upTo).map((e) => e.kv.modRevision);
  }
}

function compareOne(c: Compare, kv: KeyValue): boolean {
  let cmp: number;
  if (c.target === 'value') {
    cmp = Buffer.compare(kv.value, toBuffer(c.value as Bytes));
  } else {
    const actual = kv[c.target];
    const want = Number(c.value);
    cmp = actual < want ? -1 : actual > want ? 1 : 0;
  }
  switch (c.result) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '>':
      return cmp > 0;
  }
}

/**
 * etcd's checkIntervals for one branch: a key put twice, or put and also inside a delete
 * of the same branch, is "duplicate key given in txn request". A delete's interval is
 * [key, end) compared as strings, so a from-key delete (end "\0") overlaps nothing, which
 * is what etcd does; the random tests avoid relying on that corner.
 */
export function checkIntervals(ops: TxnOp[]): void {
  const dels: Array<[Buffer, Buffer | undefined]> = [];
  for (const op of ops) {
    if (op.type !== 'delete') continue;
    const end = optBuffer(op.rangeEnd);
    dels.push([toBuffer(op.key), end !== undefined && end.length > 0 ? end : undefined]);
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = toBuffer(op.key);
    if (puts.has(hex(k))) throw errors.duplicateKey();
    for (const [dk, de] of dels) {
      const hit = de === undefined ? Buffer.compare(dk, k) === 0 : Buffer.compare(dk, k) <= 0 && Buffer.compare(k, de) < 0;
      if (hit) throw errors.duplicateKey();
    }
    puts.add(hex(k));
  }
}

// ---- the model as a Store, to self-test the harnesses (MODEL_STORE=reference) ----

const referenceDirs = new Map<string, ReferenceModel>();

interface RefWatcher {
  key: Buffer;
  rangeEnd?: Buffer;
  prevKv: boolean;
  nextRev: number;
  listener: WatchListener;
  canceled: boolean;
}

/**
 * An in-memory Store backed by a ReferenceModel; "persisted" per `dir` within the process,
 * so that close/reopen keeps the data. Deliveries are asynchronous (microtasks), like a
 * real store's. Only for testing the test harnesses themselves.
 */
export async function openReferenceStore(options: { dir: string }): Promise<Store> {
  let model = referenceDirs.get(options.dir);
  if (!model) {
    model = new ReferenceModel();
    referenceDirs.set(options.dir, model);
  }
  const m = model;
  const watchers = new Set<RefWatcher>();
  let closed = false;
  const live = <T>(f: () => T): Promise<T> => {
    if (closed) return Promise.reject(errors.closed());
    try {
      const r = f();
      queueMicrotask(deliver);
      return Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  };
  function deliver(): void {
    for (const w of watchers) {
      if (w.canceled || w.nextRev > m.revision) continue;
      const events = m.watchEvents(w.key, { rangeEnd: w.rangeEnd, startRevision: w.nextRev, prevKv: w.prevKv });
      w.nextRev = m.revision + 1;
      if (events.length > 0) w.listener({ header: { revision: m.revision }, events });
    }
  }
  return {
    range: (key, o) => live(() => m.range(key, o)),
    put: (key, value, o) => live(() => m.put(key, value, o)),
    delete: (key, o) => live(() => m.delete(key, o)),
    txn: (r) => live(() => m.txn(r)),
    compact: (rev) => live(() => m.compact(rev)),
    leaseGrant: (ttl, id) => live(() => m.leaseGrant(ttl, id ?? 0)),
    leaseRevoke: (id) => live(() => m.leaseRevoke(id)),
    leaseKeepAlive: (id) => live(() => m.leaseKeepAlive(id)),
    leaseTimeToLive: (id, o) => live(() => m.leaseTimeToLive(id, o)),
    leases: () => live(() => m.leases()),
    status: () => live(() => ({ ...m.status(), dbSize: 0, quotaBytes: 0 })),
    watch: (key, o, listener) =>
      live((): Watch => {
        const start = o.startRevision && o.startRevision > 0 ? o.startRevision : m.revision + 1;
        const w: RefWatcher = { key: toBuffer(key), prevKv: o.prevKv ?? false, nextRev: start, listener, canceled: false };
        if (o.rangeEnd !== undefined) w.rangeEnd = toBuffer(o.rangeEnd);
        if (start < m.compactRevision) {
          const compactRevision = m.compactRevision;
          queueMicrotask(() => listener({ header: { revision: m.revision }, events: [], canceled: true, compactRevision }));
        } else {
          watchers.add(w);
        }
        return {
          cancel: async () => {
            w.canceled = true;
            watchers.delete(w);
          },
          requestProgress: () =>
            queueMicrotask(() => {
              deliver();
              if (!w.canceled) listener({ header: { revision: m.revision }, events: [] });
            }),
        };
      }),
    close: async () => {
      closed = true;
      for (const w of watchers) w.canceled = true;
      watchers.clear();
    },
  };
}
