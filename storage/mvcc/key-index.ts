// The in-memory key index: for every key, the revisions that wrote it, so that a read at
// any retained revision finds which stored record to fetch. Values stay on disk.
//
// Keys are held as latin1 strings (one char per byte), whose JS ordering is bytewise,
// so the B-tree orders them exactly as etcd does.
//
// Memory per key: one B-tree entry (~40 B) + the key string (~key length + 16 B) + a
// KeyRevisions object (~80 B) + 16 B per retained revision (main and sub as numbers).
// A key written 5 times and compacted keeps one revision: roughly 150 B + key length.
import { createRequire } from 'node:module';
import type BTreeModule from 'sorted-btree';

/** Where one write of a key is stored: its revision (main) and position within it (sub). */
export interface Rev {
  main: number;
  sub: number;
}

export interface KeyRevisions {
  /** Ascending main revisions; a negative entry marks a delete (tombstone) at -main. */
  mains: number[];
  subs: number[];
  /** Of the latest write, so that a put needs no disk read (0s after a delete). */
  createRevision: number;
  version: number;
  lease: number;
}

export interface Found extends Rev {
  key: string;
}

// sorted-btree is CommonJS with `exports.default`, which ESM default-imports wrap once more.
const BTreeCtor = (createRequire(import.meta.url)('sorted-btree') as typeof BTreeModule).default;

export class KeyIndex {
  private readonly tree = new BTreeCtor<string, KeyRevisions>();

  get size(): number {
    return this.tree.size;
  }

  /** Record a put of `key` at rev; returns the new write's createRevision and version. */
  put(key: string, rev: Rev, lease: number): { createRevision: number; version: number } {
    const entry = this.entry(key);
    const live = entry.version > 0;
    entry.createRevision = live ? entry.createRevision : rev.main;
    entry.version = live ? entry.version + 1 : 1;
    entry.lease = lease;
    entry.mains.push(rev.main);
    entry.subs.push(rev.sub);
    return { createRevision: entry.createRevision, version: entry.version };
  }

  /** Record a delete of a live key at rev. */
  tombstone(key: string, rev: Rev): void {
    const entry = this.entry(key);
    entry.createRevision = entry.version = entry.lease = 0;
    entry.mains.push(-rev.main);
    entry.subs.push(rev.sub);
  }

  /** Re-insert a stored write while rebuilding the index from disk, in revision order. */
  restore(key: string, rev: Rev, tombstone: boolean, createRevision: number, version: number, lease: number): void {
    const entry = this.entry(key);
    entry.createRevision = createRevision;
    entry.version = version;
    entry.lease = lease;
    entry.mains.push(tombstone ? -rev.main : rev.main);
    entry.subs.push(rev.sub);
  }

  /** The latest write, if the key is live now (including staged writes). A copy. */
  latest(key: string): { rev: Rev; createRevision: number; version: number; lease: number } | undefined {
    const entry = this.tree.get(key);
    if (!entry || entry.version === 0) return undefined;
    const i = entry.mains.length - 1;
    return { rev: { main: entry.mains[i]!, sub: entry.subs[i]! }, createRevision: entry.createRevision, version: entry.version, lease: entry.lease };
  }

  private entry(key: string): KeyRevisions {
    let entry = this.tree.get(key);
    if (!entry) {
      entry = { mains: [], subs: [], createRevision: 0, version: 0, lease: 0 };
      this.tree.set(key, entry);
    }
    return entry;
  }

  /** The live write of `key` visible at revision `at`, or undefined if absent then. */
  get(key: string, at: number): Rev | undefined {
    const entry = this.tree.get(key);
    return entry ? liveAt(entry, at) : undefined;
  }

  /**
   * Live keys in [start, end) at revision `at`, in key order. `end` undefined: just `start`;
   * `end` "\0": every key >= start. Calls `visit` until it returns false.
   */
  scan(start: string, end: string | undefined, at: number, visit: (found: Found) => boolean | void): void {
    if (end === undefined) {
      const rev = this.get(start, at);
      if (rev) visit({ key: start, ...rev });
      return;
    }
    const fromKey = end === '\0';
    const high = fromKey ? this.tree.maxKey() : end;
    if (high === undefined || (!fromKey && high <= start)) return;
    this.tree.forRange(start, high, fromKey, (key, entry) => {
      const rev = liveAt(entry, at);
      if (rev && visit({ key, ...rev }) === false) return { break: true };
      return undefined;
    });
  }

  /**
   * Drop every revision below `revision` that no read at or above it can see: for each key,
   * all writes before its last write at or below `revision`, and that write too when it is a
   * tombstone. Returns the dropped revisions so their records can be deleted from disk.
   */
  compact(revision: number): Rev[] {
    const dropped: Rev[] = [];
    const emptied: string[] = [];
    this.tree.forEachPair((key, entry) => {
      const i = indexAtOrBelow(entry.mains, revision);
      if (i < 0) return;
      const keepFrom = entry.mains[i]! < 0 ? i + 1 : i;
      if (keepFrom === 0) return;
      for (let j = 0; j < keepFrom; j++) dropped.push({ main: Math.abs(entry.mains[j]!), sub: entry.subs[j]! });
      entry.mains.splice(0, keepFrom);
      entry.subs.splice(0, keepFrom);
      if (entry.mains.length === 0) emptied.push(key);
    });
    for (const key of emptied) this.tree.delete(key);
    return dropped;
  }
}

function liveAt(entry: KeyRevisions, at: number): Rev | undefined {
  const i = indexAtOrBelow(entry.mains, at);
  if (i < 0 || entry.mains[i]! < 0) return undefined;
  return { main: entry.mains[i]!, sub: entry.subs[i]! };
}

/** Index of the last entry whose |main| <= at, or -1. Binary search on ascending |main|. */
function indexAtOrBelow(mains: number[], at: number): number {
  let lo = 0;
  let hi = mains.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Math.abs(mains[mid]!) <= at) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
