// Stable storage as the Raft core sees it. The core only reads through `Storage`; the
// application writes to it while handling a Ready (append entries, set the hard state,
// install snapshots) and compacts it after taking snapshots of its state machine.
//
// `MemoryStorage` is the in-memory implementation, used by tests, by the network harness and
// as the model for the replica driver's LevelDB-backed storage.
import type { ConfState, Entry, HardState, Snapshot } from './types.ts';
import { RaftError, emptyHardState, entrySize, errCompacted, errSnapOutOfDate, errUnavailable } from './types.ts';

export interface InitialState {
  hardState: HardState;
  /** The membership as of the latest snapshot (later conf changes are re-applied from the log). */
  confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxSize` bytes (as measured by `entrySize`) but always at
   * least one entry when the range is not empty. Throws RaftError 'compacted' if lo ≤ the
   * snapshot index, 'unavailable' if there are no entries at all.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]: the snapshot's term at firstIndex()-1. */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry available through `entries` (snapshot index + 1). */
  firstIndex(): number;
  /** The most recent snapshot. May throw RaftError 'snapshot-temporarily-unavailable'. */
  snapshot(): Snapshot;
}

/** Keeps a prefix of `ents` of at most `maxSize` bytes, never fewer than one entry. */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

function sortedConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters].sort((a, b) => a - b), learners: [...cs.learners].sort((a, b) => a - b) };
}

export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot;
  /** ents[0] is a dummy entry holding the snapshot's index and term. */
  private ents: Entry[];

  /**
   * Bootstraps a founding member of a new cluster (every founding member must use the same
   * membership): a snapshot at index 1, term 1 holds the membership and an empty state
   * machine image, so that members added later receive the founding membership by snapshot.
   */
  static bootstrap(confState: Partial<ConfState>, data: Uint8Array = new Uint8Array(0)): MemoryStorage {
    const s = new MemoryStorage();
    s.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters: [...(confState.voters ?? [])], learners: [...(confState.learners ?? [])] } }, data });
    s.setHardState({ term: 1, vote: 0, commit: 1 });
    return s;
  }

  /**
   * An empty storage: a member joining an existing cluster (it learns everything from the
   * leader's snapshot). With `initial`, the membership sits at index 0 and the log starts at
   * index 1 — convenient for unit tests, but only safe when no member is ever added (a new
   * member replaying the log from index 1 would never see the founding membership); real
   * clusters use `MemoryStorage.bootstrap`.
   */
  constructor(initial?: Partial<ConfState>) {
    const confState = sortedConfState({ voters: initial?.voters ?? [], learners: initial?.learners ?? [] });
    this.snap = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
    this.ents = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: copyConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  entries(lo: number, hi: number, maxSize: number = Infinity): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw errCompacted();
    if (hi > this.lastIndex() + 1) throw new RaftError('invalid', `entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    if (this.ents.length === 1) throw errUnavailable();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw errCompacted();
    if (i - offset >= this.ents.length) throw errUnavailable();
    return this.ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing the leader's snapshot). */
  applySnapshot(s: Snapshot): void {
    if (this.snap.metadata.index >= s.metadata.index) throw errSnapOutOfDate();
    this.snap = { metadata: { index: s.metadata.index, term: s.metadata.term, confState: sortedConfState(s.metadata.confState) }, data: s.data };
    this.ents = [{ term: s.metadata.term, index: s.metadata.index, type: 'normal', data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the state machine taken at applied index `i` (≤ last index).
   * `confState` is the membership as of `i`. Call `compact` afterwards to free the log.
   */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw errSnapOutOfDate();
    if (i > this.lastIndex()) throw new RaftError('invalid', `snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    const term = this.term(i);
    this.snap = { metadata: { index: i, term, confState: sortedConfState(confState ?? this.snap.metadata.confState) }, data };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex` (which must be ≤ the applied index). */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw errCompacted();
    if (compactIndex > this.lastIndex()) throw new RaftError('invalid', `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    const i = compactIndex - offset;
    const dummy: Entry = { term: this.ents[i]!.term, index: this.ents[i]!.index, type: 'normal', data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, replacing any existing entries from the first new index on (a follower
   * whose uncommitted tail the leader overwrote). Entries must follow the log without a gap.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // all already compacted
    let es = entries;
    if (first > es[0]!.index) es = es.slice(first - es[0]!.index);
    const offset = es[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftError('invalid', `missing log entry [last: ${this.lastIndex()}, append at: ${es[0]!.index}]`);
    }
    this.ents = this.ents.slice(0, offset).concat(es);
  }
}
