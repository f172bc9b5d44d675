// The Raft log: a stable prefix that lives in `Storage` and an unstable suffix (entries and
// possibly a snapshot) that the core has accepted but the application has not yet persisted.
//
//   storage:   [snapshot] firstIndex ................ lastIndex
//   unstable:                           [snapshot?] offset ......... lastIndex
//
// The unstable part wins where they overlap: a follower may truncate its uncommitted tail
// (unstable.offset moves below storage.lastIndex) before the application has rewritten it.
import { limitSize } from './storage.ts';
import type { Storage } from './storage.ts';
import type { Entry, Snapshot } from './types.ts';
import { RaftError, errCompacted, errUnavailable, isRaftError } from './types.ts';

export class Unstable {
  /** A snapshot received from the leader that the application has not installed yet. */
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0] (or where it would be). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && this.snapshot.metadata.index === i ? this.snapshot.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries up to (i, t) are now durable; drops them unless the log changed since. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (after <= this.offset) {
      // Replaces everything unstable (and shadows the stored suffix from `after` on).
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    if (lo > hi || lo < this.offset || hi > this.offset + this.entries.length) {
      throw new RaftError('invalid', `unstable.slice[${lo},${hi}) out of bound [${this.offset},${this.offset + this.entries.length}]`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export class RaftLog {
  readonly storage: Storage;
  unstable: Unstable;
  /** Highest index known to be committed. */
  committed: number;
  /** Highest index the application has applied (as acknowledged through advance()). */
  applied: number;
  /** Limit on the bytes of committed entries handed out in one Ready. */
  readonly maxApplyingEntsSize: number;

  constructor(storage: Storage, maxApplyingEntsSize = Infinity) {
    this.storage = storage;
    this.maxApplyingEntsSize = maxApplyingEntsSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // The snapshot's index is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of entry i; throws 'compacted' below firstIndex()-1 and 'unavailable' above lastIndex(). */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i < this.firstIndex() - 1) throw errCompacted();
    if (i > this.lastIndex()) throw errUnavailable();
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 if it is compacted or beyond the end. */
  termOrZero(i: number): number {
    try {
      return this.term(i);
    } catch (e) {
      if (isRaftError(e, 'compacted') || isRaftError(e, 'unavailable')) return 0;
      throw e;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    if (i > this.lastIndex()) return false;
    try {
      return this.term(i) === t;
    } catch (e) {
      if (isRaftError(e, 'compacted') || isRaftError(e, 'unavailable')) return false;
      throw e;
    }
  }

  /** §5.4.1: is a log ending at (lasti, term) at least as up-to-date as ours? */
  isUpToDate(lasti: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lasti >= this.lastIndex());
  }

  /**
   * The index of the first entry of `ents` that is not already in the log with the same
   * term (a conflict, or the first new entry), or 0 if all of them are present.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`, with its term: where two logs may
   * still match given that the other log has `term` at `index`. Returns [index, 0] when the
   * answer falls into the compacted prefix.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    if (index > this.lastIndex()) return [index, 0];
    for (;;) {
      let t: number;
      try {
        t = this.term(index);
      } catch (e) {
        if (isRaftError(e, 'compacted') || isRaftError(e, 'unavailable')) return [index, 0];
        throw e;
      }
      if (t <= term) return [index, t];
      index--;
    }
  }

  /**
   * AppendEntries on a follower (Figure 2, receiver steps 2–5): if the entry at prevIndex has
   * prevTerm, drop any conflicting suffix, append what is new, advance the commit index to
   * min(committed, last new index) and return that last new index; otherwise undefined.
   */
  maybeAppend(prevIndex: number, prevTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftError('invalid', `entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      }
      this.append(ents.slice(ci - (prevIndex + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Appends entries (truncating any suffix they overlap); returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftError('invalid', `after(${after}) is out of range [committed(${this.committed})]`);
    }
    if (after > this.lastIndex()) {
      throw new RaftError('invalid', `append at ${after + 1} leaves a gap after lastIndex(${this.lastIndex()})`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  commitTo(toCommit: number): void {
    if (this.committed >= toCommit) return; // never decrease
    if (this.lastIndex() < toCommit) {
      throw new RaftError('invalid', `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]`);
    }
    this.committed = toCommit;
  }

  /** Commits up to maxIndex if that entry is from `term` (§5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftError('invalid', `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Installs a snapshot as the new log base; everything the log held is discarded. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  private applyBounds(): [number, number] {
    return [Math.max(this.applied + 1, this.firstIndex()), this.committed + 1];
  }

  /**
   * Committed entries not yet applied, at most maxApplyingEntsSize bytes. Includes unstable
   * entries: the Ready contract has the application persist entries before applying.
   */
  nextCommittedEnts(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const [lo, hi] = this.applyBounds();
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingEntsSize);
  }

  hasNextCommittedEnts(): boolean {
    if (this.hasPendingSnapshot()) return false;
    const [lo, hi] = this.applyBounds();
    return lo < hi;
  }

  /** Entries from i to the end, at most maxSize bytes (at least one). */
  entries(i: number, maxSize: number = Infinity): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex());
  }

  /** Entries in [lo, hi), at most maxSize bytes (at least one); throws 'compacted' if lo < firstIndex(). */
  slice(lo: number, hi: number, maxSize: number = Infinity): Entry[] {
    if (lo > hi) throw new RaftError('invalid', `invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw errCompacted();
    const length = this.lastIndex() + 1 - fi;
    if (hi > fi + length) throw new RaftError('invalid', `slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      const stableHi = Math.min(hi, off);
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, stableHi, maxSize);
      } catch (e) {
        if (isRaftError(e, 'unavailable')) {
          throw new RaftError('invalid', `entries[${lo}:${stableHi}) is unavailable from storage`);
        }
        throw e;
      }
      // Storage already applied the size limit and stopped short: that is the answer.
      if (stored.length < stableHi - lo) return stored;
      ents = stored;
    }
    if (hi > off) {
      const uns = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(uns) : uns;
    }
    return limitSize(ents, maxSize);
  }
}
