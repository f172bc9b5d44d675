// Raft's stable storage in LevelDB (a database of its own, beside the state machine's):
//   'h'                 -> hard state (term, vote, commit)
//   's'                 -> snapshot metadata (index, term, membership); the state machine
//                          image itself is the replica's MVCC database, not stored here
//   'e' + index(8, BE)  -> log entry
// Reads are served from memory (a MemoryStorage mirrors the durable log, which compaction
// keeps short); every change is written first, in one LevelDB batch, synced when Raft says
// so, and only then mirrored — so what Raft reads is always what is on disk.
import { ClassicLevel } from 'classic-level';
import { MemoryStorage } from '../raft/storage.ts';
import type { InitialState, Storage } from '../raft/storage.ts';
import type { ConfState, Entry, HardState, Ready, Snapshot } from '../raft/types.ts';
import { isEmptyHardState } from '../raft/types.ts';
import { decodeEntry, decodeHardState, decodeSnapshotMetadata, encodeEntry, encodeHardState, encodeSnapshotMetadata } from './codec.ts';

type DB = ClassicLevel<Buffer, Buffer>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const HARD_STATE = Buffer.from('h');
const SNAPSHOT = Buffer.from('s');
const ENTRY_PREFIX = 0x65; // 'e'
const ALL_ENTRIES = { gte: Buffer.from([ENTRY_PREFIX]), lt: Buffer.from([ENTRY_PREFIX + 1]) };
const EMPTY = new Uint8Array(0);

function entryKey(index: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = ENTRY_PREFIX;
  b.writeUIntBE(Math.floor(index / 2 ** 32), 1, 4);
  b.writeUInt32BE(index >>> 0, 5);
  return b;
}

function parseEntryKey(b: Buffer): number {
  return b.readUInt32BE(1) * 2 ** 32 + b.readUInt32BE(5);
}

export interface RaftStorageStats {
  /** LevelDB batches written (appends, hard states, snapshots, compactions). */
  writes: number;
  /** Of which synced. */
  syncedWrites: number;
}

export class LevelRaftStorage implements Storage {
  private mem = new MemoryStorage();
  /** Lowest entry index on disk (entries below the snapshot may linger until the next compaction). */
  private diskFirst = 0;
  private closed = false;
  readonly stats: RaftStorageStats = { writes: 0, syncedWrites: 0 };

  private constructor(private readonly db: DB) {}

  static async open(dir: string): Promise<LevelRaftStorage> {
    const db: DB = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const s = new LevelRaftStorage(db);
    try {
      await s.load();
    } catch (e) {
      await db.close();
      throw e;
    }
    return s;
  }

  private async load(): Promise<void> {
    const snap = await this.db.get(SNAPSHOT);
    const hs = await this.db.get(HARD_STATE);
    const mem = new MemoryStorage();
    if (snap) mem.applySnapshot({ metadata: decodeSnapshotMetadata(snap), data: EMPTY });
    if (hs) mem.setHardState(decodeHardState(hs));
    const snapIndex = mem.snapshot().metadata.index;
    const entries: Entry[] = [];
    let first = 0;
    for await (const [k, v] of this.db.iterator(ALL_ENTRIES)) {
      const index = parseEntryKey(k);
      if (first === 0) first = index;
      if (index <= snapIndex) continue;
      const e = decodeEntry(v);
      if (e.index !== index) throw new Error(`raft storage: entry key ${index} holds entry ${e.index}`);
      const expected = entries.length === 0 ? snapIndex + 1 : entries[entries.length - 1]!.index + 1;
      if (index !== expected) throw new Error(`raft storage: log has a gap at ${expected} (next entry ${index})`);
      entries.push(e);
    }
    mem.append(entries);
    this.diskFirst = first;
    this.mem = mem;
  }

  /** True for a member that has never been bootstrapped nor received anything. */
  isEmpty(): boolean {
    return isEmptyHardState(this.mem.hardStateNow()) && this.mem.snapshot().metadata.index === 0 && this.mem.lastIndex() === 0;
  }

  /**
   * Bootstraps a founding member (all founding members must use the same membership): the
   * membership sits in a snapshot at index 1, term 1, so that members added later receive
   * it by snapshot, as `MemoryStorage.bootstrap` does.
   */
  async bootstrap(confState: ConfState): Promise<void> {
    if (!this.isEmpty()) throw new Error('raft storage: bootstrap of a non-empty storage');
    const metadata = { index: 1, term: 1, confState: { voters: [...confState.voters], learners: [...confState.learners] } };
    const hs: HardState = { term: 1, vote: 0, commit: 1 };
    await this.write(
      [
        { type: 'put', key: SNAPSHOT, value: encodeSnapshotMetadata(metadata) },
        { type: 'put', key: HARD_STATE, value: encodeHardState(hs) },
      ],
      true,
    );
    this.mem.applySnapshot({ metadata, data: EMPTY });
    this.mem.setHardState(hs);
  }

  // ---- Storage (reads, from memory) ----

  initialState(): InitialState {
    return this.mem.initialState();
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.mem.entries(lo, hi, maxSize);
  }

  term(i: number): number {
    return this.mem.term(i);
  }

  lastIndex(): number {
    return this.mem.lastIndex();
  }

  firstIndex(): number {
    return this.mem.firstIndex();
  }

  snapshot(): Snapshot {
    return this.mem.snapshot();
  }

  hardState(): HardState {
    return this.mem.hardStateNow();
  }

  // ---- writes ----

  /**
   * Persists what a Ready asks for — an installed snapshot, new entries, the hard state —
   * in ONE LevelDB batch (synced when `rd.mustSync` or with a snapshot), then mirrors it in
   * memory. Call before sending the Ready's messages.
   */
  async save(rd: Pick<Ready, 'snapshot' | 'entries' | 'hardState' | 'mustSync'>): Promise<void> {
    const ops: BatchOp[] = [];
    let last = this.mem.lastIndex();
    let first = this.mem.firstIndex();
    if (rd.snapshot) {
      const meta = rd.snapshot.metadata;
      ops.push({ type: 'put', key: SNAPSHOT, value: encodeSnapshotMetadata(meta) });
      // The snapshot replaces the whole log.
      for (let i = Math.max(this.diskFirst, 1); i <= last && this.diskFirst > 0; i++) ops.push({ type: 'del', key: entryKey(i) });
      last = meta.index;
      first = meta.index + 1;
    }
    if (rd.entries.length > 0) {
      const es = rd.entries.filter((e) => e.index >= first);
      if (es.length > 0) {
        if (es[0]!.index > last + 1) throw new Error(`raft storage: missing log entry [last: ${last}, append at: ${es[0]!.index}]`);
        for (const e of es) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
        // A follower whose uncommitted tail the leader overwrote: drop what lies past the new end.
        const newLast = es[es.length - 1]!.index;
        for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
      }
    }
    if (rd.hardState) ops.push({ type: 'put', key: HARD_STATE, value: encodeHardState(rd.hardState) });
    if (ops.length === 0) return;
    await this.write(ops, rd.mustSync || rd.snapshot !== undefined);
    if (rd.snapshot) {
      this.mem.applySnapshot({ metadata: rd.snapshot.metadata, data: EMPTY });
      this.diskFirst = 0;
    }
    if (rd.entries.length > 0) {
      this.mem.append(rd.entries);
      if (this.diskFirst === 0) this.diskFirst = this.mem.firstIndex();
    }
    if (rd.hardState) this.mem.setHardState(rd.hardState);
  }

  /**
   * Records that the state machine holds everything up to `index` (applied) with membership
   * `confState`, and discards log entries up to `index - keep` (followers that far behind
   * catch up by snapshot). One synced batch: the snapshot record and the deletions.
   */
  async compact(index: number, confState: ConfState, keep: number): Promise<void> {
    if (index <= this.mem.snapshot().metadata.index) return;
    const to = Math.min(index, Math.max(index - keep, 0));
    const ops: BatchOp[] = [];
    const term = this.mem.term(index);
    const metadata = { index, term, confState: { voters: [...confState.voters], learners: [...confState.learners] } };
    ops.push({ type: 'put', key: SNAPSHOT, value: encodeSnapshotMetadata(metadata) });
    const fromDisk = this.diskFirst > 0 ? this.diskFirst : this.mem.firstIndex();
    for (let i = fromDisk; i <= to; i++) ops.push({ type: 'del', key: entryKey(i) });
    await this.write(ops, true);
    this.mem.createSnapshot(index, metadata.confState, EMPTY);
    if (to >= this.mem.firstIndex()) this.mem.compact(to);
    if (to >= fromDisk) this.diskFirst = to + 1;
  }

  private async write(ops: BatchOp[], sync: boolean): Promise<void> {
    if (this.closed) throw new Error('raft storage is closed');
    const batch = this.db.batch(); // chained: cheaper per op than db.batch(array)
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync });
    this.stats.writes++;
    if (sync) this.stats.syncedWrites++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
