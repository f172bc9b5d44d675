// The MVCC backend: applies ordered batches of commands to LevelDB (one synced write per
// batch), keeps the key index and leases in memory, serves reads at any retained revision
// and publishes committed events to watchers. It decides nothing about time or ordering:
// the single-node store and the Raft driver feed it batches.
import { ClassicLevel } from 'classic-level';
import { rename, rm } from 'node:fs/promises';
import type { Compare, KeyValue, RangeOptions, RangeResult, TxnOp, TxnOpResult, TxnRequest, TxnResult } from '../store.ts';
import { CompactedError, StoreError, errors } from '../errors.ts';
import { toBuffer } from '../bytes.ts';
import { KeyIndex, type Rev } from './key-index.ts';
import type { Command } from './commands.ts';
import { WatchHub, type CommittedEvent } from './watch-hub.ts';
import { RecordCache } from './record-cache.ts';
import {
  ALL_LEASES,
  ALL_REVS,
  decodeNumber,
  decodeRecord,
  encodeNumber,
  encodeRecord,
  leaseKey,
  metaKey,
  parseLeaseKey,
  parseRevKey,
  revKey,
  revRange,
  type StoredRecord,
} from './encoding.ts';

type DB = ClassicLevel<Buffer, Buffer>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export interface Lease {
  id: number;
  ttl: number;
  /** Attached keys, as latin1 strings. */
  keys: Set<string>;
}

export type CommandResult = TxnResult | { revision: number } | StoreError;

export interface BackendOptions {
  dir: string;
  quotaBytes: number;
  log: (err: unknown, msg: string) => void;
}

const META_REVISION = metaKey('revision');
const META_COMPACT = metaKey('compact');
const EMPTY = Buffer.alloc(0);

export class MvccBackend {
  readonly hub: WatchHub;
  readonly leases = new Map<number, Lease>();
  private index = new KeyIndex();
  private cache = new RecordCache(64 * 1024 * 1024);
  /** Revision visible to readers: every write up to it is durable and published. */
  private current = 0;
  private compactRev = 0;
  private dbBytes = 0;
  /**
   * etcd's NOSPACE alarm: once a write is refused for space, every write that puts is refused
   * until the alarm is cleared (deletes and compaction still work). Cleared by a restart here.
   */
  private noSpaceAlarm = false;
  /** Synced LevelDB writes so far: with group commit, fewer than the writes they carry. */
  private syncedBatches = 0;
  private failed: Error | undefined;
  /** Disk clean-up of compacted revisions, chained so that close() can wait for it. */
  private cleanup: Promise<void> = Promise.resolve();

  // Staging state of the batch being applied.
  private staged = 0;
  private stagedOps: BatchOp[] = [];
  private stagedRecords = new Map<string, Buffer>();
  private stagedEvents: CommittedEvent[] = [];

  private constructor(
    private db: DB,
    private readonly options: BackendOptions,
  ) {
    this.hub = new WatchHub(
      {
        currentRevision: () => this.current,
        compactRevision: () => this.compactRev,
        readEvents: (from, to, max) => this.readEvents(from, to, max),
        prevKv: (key, revision) => this.liveKv(key.toString('latin1'), revision - 1),
      },
      options.log,
    );
  }

  static async open(options: BackendOptions): Promise<MvccBackend> {
    const db: DB = new ClassicLevel<Buffer, Buffer>(options.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const backend = new MvccBackend(db, options);
    await backend.load();
    return backend;
  }

  get revision(): number {
    return this.current;
  }

  get compactRevision(): number {
    return this.compactRev;
  }

  get sizeBytes(): number {
    return this.dbBytes;
  }

  get batches(): number {
    return this.syncedBatches;
  }

  /** Rebuild the in-memory index and leases from disk, and finish an interrupted compaction. */
  private async load(): Promise<void> {
    const rev = await this.db.get(META_REVISION);
    const compact = await this.db.get(META_COMPACT);
    // As etcd: an empty store is at revision 1, so the first write gets revision 2.
    this.current = this.staged = rev ? decodeNumber(rev) : 1;
    this.compactRev = compact ? decodeNumber(compact) : 0;
    for await (const [k, v] of this.db.iterator(ALL_LEASES)) {
      const id = parseLeaseKey(k);
      this.leases.set(id, { id, ttl: decodeNumber(v), keys: new Set() });
    }
    for await (const [k, v] of this.db.iterator(ALL_REVS)) {
      const rev = parseRevKey(k);
      const { kv, tombstone } = decodeRecord(v, rev, false);
      const key = kv.key.toString('latin1');
      const before = this.index.latest(key);
      if (before?.lease) this.leases.get(before.lease)?.keys.delete(key);
      this.index.restore(key, rev, tombstone, kv.createRevision, kv.version, kv.lease);
      if (!tombstone && kv.lease) this.leases.get(kv.lease)?.keys.add(key);
      this.dbBytes += k.length + v.length;
    }
    if (this.compactRev > 0) await this.removeCompacted(this.index.compact(this.compactRev));
  }

  // ---- reads ----

  async range(key: Buffer, options: RangeOptions, at = this.current): Promise<RangeResult> {
    this.checkUsable();
    if (key.length === 0) throw errors.emptyKey();
    const revision = options.revision && options.revision > 0 ? options.revision : at;
    if (revision > at) throw errors.futureRevision();
    if (revision < this.compactRev) throw errors.compacted(this.compactRev);
    const found: Rev[] = [];
    let count = 0;
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const end = options.rangeEnd === undefined ? undefined : toBuffer(options.rangeEnd).toString('latin1');
    this.index.scan(key.toString('latin1'), end === '' ? undefined : end, revision, (f) => {
      count++;
      if (!options.countOnly && found.length < limit) found.push(f);
    });
    const records = options.countOnly ? [] : await this.readRecords(found, !options.keysOnly, revision);
    return { header: { revision: at }, kvs: records.map((r) => r.kv), count, more: !options.countOnly && count > found.length };
  }

  /** The live value of a key at a revision, if retained. */
  private async liveKv(key: string, at: number): Promise<KeyValue | undefined> {
    if (at < 1 || at < this.compactRev) return undefined;
    const rev = this.index.get(key, at);
    if (!rev) return undefined;
    const [record] = await this.readRecords([rev], true, at);
    return record?.kv;
  }

  private async readRecords(revs: Rev[], withValue: boolean, at: number): Promise<StoredRecord[]> {
    const out: StoredRecord[] = new Array(revs.length);
    const missing: number[] = [];
    for (let i = 0; i < revs.length; i++) {
      const k = revKey(revs[i]!);
      const id = k.toString('latin1');
      const raw = this.stagedRecords.get(id) ?? this.cache.get(id);
      if (raw) out[i] = decodeRecord(raw, revs[i]!, withValue);
      else missing.push(i);
    }
    if (missing.length > 0) {
      const values = await this.db.getMany(missing.map((i) => revKey(revs[i]!)));
      for (let j = 0; j < missing.length; j++) {
        const raw = values[j];
        const i = missing[j]!;
        if (!raw) {
          // Only a compaction that ran after the index was read can remove a record under us.
          if (at < this.compactRev) throw errors.compacted(this.compactRev);
          throw new Error(`mvcc: record for revision ${revs[i]!.main}/${revs[i]!.sub} is missing`);
        }
        out[i] = decodeRecord(raw, revs[i]!, withValue);
      }
    }
    return out;
  }

  private async readEvents(from: number, to: number, maxEvents: number): Promise<CommittedEvent[]> {
    const events: CommittedEvent[] = [];
    for await (const [k, v] of this.db.iterator(revRange(from, to))) {
      const rev = parseRevKey(k);
      if (events.length >= maxEvents && rev.main !== events[events.length - 1]!.revision) break;
      events.push(toEvent(decodeRecord(v, rev), rev.main));
    }
    return events;
  }

  // ---- writes ----

  /**
   * Apply commands in order and persist them in one synced LevelDB write. A command that
   * fails validation yields its error and changes nothing; the others are unaffected.
   * `extra` are written in the same batch (e.g. the Raft applied index). `sync: false`
   * skips the fsync: for a caller that can replay the batch after a crash (the Raft driver
   * replays its log from the applied index stored with the data); a later synced write
   * makes it durable too.
   */
  async applyBatch(commands: Command[], extra: BatchOp[] = [], options: { sync?: boolean } = {}): Promise<CommandResult[]> {
    this.checkUsable();
    const results: CommandResult[] = [];
    const compactions: number[] = [];
    for (const command of commands) {
      try {
        results.push(await this.apply(command, compactions));
      } catch (err) {
        if (!(err instanceof StoreError)) this.fail(err);
        results.push(err as StoreError);
      }
    }
    const ops = this.stagedOps;
    if (this.staged !== this.current) ops.push({ type: 'put', key: META_REVISION, value: encodeNumber(this.staged) });
    ops.push(...extra);
    try {
      if (ops.length > 0) {
        // A chained batch: several times cheaper per op than db.batch(array) in classic-level.
        const batch = this.db.batch();
        for (const op of ops) {
          if (op.type === 'put') batch.put(op.key, op.value);
          else batch.del(op.key);
        }
        await batch.write({ sync: options.sync ?? true });
        this.syncedBatches++;
      }
    } catch (err) {
      this.fail(err);
      throw err;
    }
    await this.publish();
    for (const c of compactions) this.startCompaction(c);
    return results;
  }

  private async apply(command: Command, compactions: number[]): Promise<CommandResult> {
    switch (command.type) {
      case 'txn':
        return this.applyTxn(command.txn);
      case 'leaseGrant': {
        if (this.leases.has(command.id)) throw errors.leaseExists();
        this.leases.set(command.id, { id: command.id, ttl: command.ttl, keys: new Set() });
        this.stagedOps.push({ type: 'put', key: leaseKey(command.id), value: encodeNumber(command.ttl) });
        return { revision: this.staged };
      }
      case 'leaseRevoke': {
        const lease = this.leases.get(command.id);
        if (!lease) throw errors.leaseNotFound();
        const keys = [...lease.keys].sort();
        const result = await this.applyTxn({ success: keys.map((k) => ({ type: 'delete' as const, key: Buffer.from(k, 'latin1') })) });
        this.leases.delete(command.id);
        this.stagedOps.push({ type: 'del', key: leaseKey(command.id) });
        return { revision: result.header.revision };
      }
      case 'compact': {
        const latest = compactions.length > 0 ? compactions[compactions.length - 1]! : this.compactRev;
        if (command.revision <= latest) throw errors.compacted(latest);
        if (command.revision > this.staged) throw errors.futureRevision();
        compactions.push(command.revision);
        this.stagedOps.push({ type: 'put', key: META_COMPACT, value: encodeNumber(command.revision) });
        return { revision: this.staged };
      }
      case 'alarm':
        // Acted on by the replica that applies it (storage/replica); no data changes.
        return { revision: this.staged };
    }
  }

  private async applyTxn(txn: TxnRequest): Promise<TxnResult> {
    let succeeded = true;
    for (const c of txn.compare ?? []) {
      if (!(await this.compare(c))) {
        succeeded = false;
        break;
      }
    }
    const ops = (succeeded ? txn.success : txn.failure) ?? [];
    this.validateOps(ops);
    const main = this.staged + 1;
    const sub = { n: 0 };
    const responses: TxnOpResult[] = [];
    for (const op of ops) responses.push(await this.applyOp(op, main, sub));
    if (sub.n > 0) this.staged = main;
    return { header: { revision: this.staged }, succeeded, responses };
  }

  /** Reject what would fail mid-way, so that a txn either applies whole or not at all. */
  private validateOps(ops: TxnOp[]): void {
    let putBytes = 0;
    for (const op of ops) {
      if (op.type !== 'put') continue;
      if (op.lease && !this.leases.has(op.lease)) throw errors.leaseNotFound();
      putBytes += toBuffer(op.key).length + toBuffer(op.value).length + 64;
    }
    if (putBytes === 0) return;
    if (this.dbBytes + putBytes > this.options.quotaBytes) this.noSpaceAlarm = true;
    if (this.noSpaceAlarm) throw errors.noSpace();
  }

  private async applyOp(op: TxnOp, main: number, sub: { n: number }): Promise<TxnOpResult> {
    const key = toBuffer(op.key);
    if (op.type === 'range') {
      const { kvs, count, more } = await this.range(key, op, main);
      return { type: 'range', kvs, count, more };
    }
    if (op.type === 'put') {
      const k = key.toString('latin1');
      const before = this.index.latest(k);
      const prevRev = before?.rev;
      const prevKv = op.prevKv && prevRev ? (await this.readRecords([prevRev], true, main))[0]!.kv : undefined;
      const rev = { main, sub: sub.n++ };
      const lease = op.lease ?? 0;
      const { createRevision, version } = this.index.put(k, rev, lease);
      if (before?.lease && before.lease !== lease) this.leases.get(before.lease)?.keys.delete(k);
      if (lease) this.leases.get(lease)!.keys.add(k);
      const kv: KeyValue = { key, value: toBuffer(op.value), createRevision, modRevision: main, version, lease };
      this.stage(rev, kv, false, prevRev, prevKv);
      return prevKv ? { type: 'put', prevKv } : { type: 'put' };
    }
    const found: { key: string; rev: Rev }[] = [];
    const end = op.rangeEnd === undefined ? undefined : toBuffer(op.rangeEnd).toString('latin1');
    this.index.scan(key.toString('latin1'), end === '' ? undefined : end, main, (f) => void found.push({ key: f.key, rev: f }));
    const prev = op.prevKv || this.hub.wantsPrevKv() ? await this.readRecords(found.map((f) => f.rev), true, main) : [];
    for (let i = 0; i < found.length; i++) {
      const { key: k, rev: prevRev } = found[i]!;
      const lease = this.index.latest(k)?.lease;
      if (lease) this.leases.get(lease)?.keys.delete(k);
      const rev = { main, sub: sub.n++ };
      this.index.tombstone(k, rev);
      const kv: KeyValue = { key: Buffer.from(k, 'latin1'), value: EMPTY, createRevision: 0, modRevision: main, version: 0, lease: 0 };
      this.stage(rev, kv, true, prevRev, prev[i]?.kv);
    }
    return { type: 'delete', deleted: found.length, prevKvs: op.prevKv ? prev.map((r) => r.kv) : [] };
  }

  private stage(rev: Rev, kv: KeyValue, tombstone: boolean, prevRev: Rev | undefined, prevKv: KeyValue | undefined): void {
    const k = revKey(rev);
    const v = encodeRecord(kv, tombstone);
    this.stagedOps.push({ type: 'put', key: k, value: v });
    this.stagedRecords.set(k.toString('latin1'), v);
    this.dbBytes += k.length + v.length;
    const event: CommittedEvent & { prevRev?: Rev } = { type: tombstone ? 'delete' : 'put', kv, revision: rev.main };
    if (prevKv) event.prevKv = prevKv;
    else if (prevRev) event.prevRev = prevRev;
    this.stagedEvents.push(event);
  }

  private async compare(c: Compare): Promise<boolean> {
    const end = c.rangeEnd === undefined ? undefined : toBuffer(c.rangeEnd).toString('latin1');
    const found: Rev[] = [];
    this.index.scan(toBuffer(c.key).toString('latin1'), end === '' ? undefined : end, this.staged, (f) => void found.push(f));
    if (found.length === 0) return c.target === 'value' ? false : compareNumbers(0, c);
    const records = await this.readRecords(found, c.target === 'value', this.staged);
    return records.every(({ kv }) => {
      switch (c.target) {
        case 'value':
          return holds(Buffer.compare(kv.value, toBuffer(c.value as string | Uint8Array)), c.result);
        case 'version':
          return compareNumbers(kv.version, c);
        case 'createRevision':
          return compareNumbers(kv.createRevision, c);
        case 'modRevision':
          return compareNumbers(kv.modRevision, c);
        case 'lease':
          return compareNumbers(kv.lease, c);
      }
    });
  }

  /** Make the staged batch visible: fill prevKvs watchers need, then advance and notify. */
  private async publish(): Promise<void> {
    const events = this.stagedEvents as (CommittedEvent & { prevRev?: Rev })[];
    if (this.hub.wantsPrevKv()) {
      for (const e of events) {
        if (!e.prevKv && e.prevRev) e.prevKv = (await this.readRecords([e.prevRev], true, e.revision))[0]!.kv;
      }
    }
    for (const [id, raw] of this.stagedRecords) this.cache.set(id, raw);
    this.stagedOps = [];
    this.stagedRecords = new Map();
    this.stagedEvents = [];
    let i = 0;
    while (i < events.length) {
      const revision = events[i]!.revision;
      let j = i;
      while (j < events.length && events[j]!.revision === revision) {
        delete events[j]!.prevRev;
        j++;
      }
      this.current = revision;
      this.hub.publish(revision, events.slice(i, j));
      i = j;
    }
    this.current = this.staged;
  }

  // ---- compaction ----

  private startCompaction(revision: number): void {
    this.compactRev = revision;
    this.hub.compacted(revision);
    const dropped = this.index.compact(revision);
    this.cleanup = this.cleanup.then(() => this.removeCompacted(dropped)).catch((err) => this.options.log(err, 'compaction failed'));
  }

  /** Delete compacted records from disk, in bounded batches so writes are not starved. */
  private async removeCompacted(dropped: Rev[]): Promise<void> {
    const CHUNK = 1000;
    for (let i = 0; i < dropped.length; i += CHUNK) {
      const keys = dropped.slice(i, i + CHUNK).map(revKey);
      const values = await this.db.getMany(keys);
      for (let j = 0; j < keys.length; j++) {
        this.dbBytes -= keys[j]!.length + (values[j]?.length ?? 0);
        this.cache.delete(keys[j]!.toString('latin1'));
      }
      await this.db.batch(keys.map((key) => ({ type: 'del' as const, key })));
    }
  }

  // ---- whole-state copies (Raft snapshots) ----

  /** A value stored under a meta key by `applyBatch`'s `extra` ops (e.g. the Raft applied index). */
  async readMeta(name: string): Promise<Buffer | undefined> {
    this.checkUsable();
    return this.db.get(metaKey(name));
  }

  /**
   * A consistent copy of the whole database as of every batch applied so far (an explicit
   * LevelDB snapshot taken now, synchronously). Close it when done.
   */
  exportState(): StateExport {
    this.checkUsable();
    const db = this.db;
    const snapshot = db.snapshot();
    return {
      readMeta: (name) => db.get(metaKey(name), { snapshot }),
      async *chunks(maxBytes: number) {
        let batch: Array<[Buffer, Buffer]> = [];
        let bytes = 0;
        for await (const [k, v] of db.iterator({ snapshot })) {
          batch.push([k, v]);
          bytes += k.length + v.length;
          if (bytes >= maxBytes) {
            yield batch;
            batch = [];
            bytes = 0;
          }
        }
        if (batch.length > 0) yield batch;
      },
      close: () => snapshot.close(),
    };
  }

  /**
   * Replaces the whole state with the LevelDB database in `sourceDir` (moved into place):
   * a replica installing a snapshot. Watchers stay registered and resume from their next
   * revision in the new history (or are canceled as compacted). No batch may be applied
   * concurrently.
   */
  async restore(sourceDir: string): Promise<void> {
    this.checkUsable();
    await this.cleanup;
    await this.db.close();
    await rm(this.options.dir, { recursive: true, force: true });
    await rename(sourceDir, this.options.dir);
    const db: DB = new ClassicLevel<Buffer, Buffer>(this.options.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    this.db = db;
    this.index = new KeyIndex();
    this.cache = new RecordCache(64 * 1024 * 1024);
    this.leases.clear();
    this.dbBytes = 0;
    this.noSpaceAlarm = false;
    await this.load();
    this.hub.resync();
  }

  // ---- lifecycle ----

  private checkUsable(): void {
    if (this.failed) throw new StoreError('unavailable', `store failed: ${this.failed.message}`);
  }

  /** A disk error mid-batch leaves memory ahead of disk: refuse everything from then on. */
  private fail(err: unknown): void {
    this.failed ??= err instanceof Error ? err : new Error(String(err));
    this.options.log(err, 'mvcc backend failed; refusing further requests');
  }

  async close(): Promise<void> {
    this.hub.closeAll();
    await this.cleanup;
    await this.db.close();
  }
}

function toEvent(record: StoredRecord, revision: number): CommittedEvent {
  if (!record.tombstone) return { type: 'put', kv: record.kv, revision };
  const kv = { key: record.kv.key, value: EMPTY, createRevision: 0, modRevision: revision, version: 0, lease: 0 };
  return { type: 'delete', kv, revision };
}

function compareNumbers(actual: number, c: Compare): boolean {
  return holds(actual - Number(c.value), c.result);
}

function holds(cmp: number, result: Compare['result']): boolean {
  switch (result) {
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

export { CompactedError };

/** A consistent read-only view of a backend's whole database (see `MvccBackend.exportState`). */
export interface StateExport {
  readMeta(name: string): Promise<Buffer | undefined>;
  /** Every key/value of the database in key order, in batches of about `maxBytes`. */
  chunks(maxBytes: number): AsyncIterable<Array<[Buffer, Buffer]>>;
  close(): Promise<void>;
}
