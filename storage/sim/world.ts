// The simulated world the replicas live in: a virtual clock with an event queue, a network
// with seeded faults, and disks that keep only what was synced.
//
// Everything is single-threaded and driven by one seeded random stream per component, so a
// run is a pure function of its seed.
import type { ConfState, Entry, HardState, Message, Snapshot } from '../raft/index.ts';
import { MemoryStorage, SeededRandom } from '../raft/index.ts';
import type { Ready } from '../raft/index.ts';

// ---------------------------------------------------------------------------------------
// Virtual time.

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Bounds that stop a runaway run (a message storm from a broken Raft, say) with an error
 * instead of exhausting memory or time. Healthy runs stay far below them (under 1M events,
 * a few thousand pending).
 */
export const MAX_EVENTS = 20_000_000;
export const MAX_PENDING = 200_000;

/** A virtual clock and a queue of callbacks ordered by (time, insertion order). */
export class Scheduler {
  now = 0;
  /** Events run so far (a cheap measure of the work a run did). */
  events = 0;
  private heap: Timer[] = [];
  private seq = 0;

  at(at: number, fn: () => void): void {
    if (this.heap.length >= MAX_PENDING) {
      throw new Error(`event storm: ${this.heap.length} events pending at ${this.now}ms (${this.events} run so far)`);
    }
    this.push({ at: Math.max(at, this.now), seq: this.seq++, fn });
  }

  after(ms: number, fn: () => void): void {
    this.at(this.now + ms, fn);
  }

  /**
   * Runs events until virtual time `end` (then sets the clock to `end`), or until `stop`
   * holds (checked after every event). Returns whether `stop` held.
   */
  run(end: number, stop?: () => boolean): boolean {
    if (stop?.()) return true;
    while (this.heap.length > 0 && this.heap[0]!.at <= end) {
      const t = this.pop();
      this.now = t.at;
      if (++this.events > MAX_EVENTS) throw new Error(`runaway run: over ${MAX_EVENTS} events by ${this.now}ms`);
      t.fn();
      if (stop?.()) return true;
    }
    this.now = Math.max(this.now, end);
    return false;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------
// The network between replicas.

export interface NetworkFaults {
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message is delivered twice (each copy with its own delay). */
  duplicateRate: number;
  /** Deliver each message after its own random delay (no per-link FIFO). */
  reorder: boolean;
  /** Normal one-way latency in virtual ms. */
  latency: { min: number; max: number };
  /** Probability that a message is delayed by `slow` instead (a long, rare delay). */
  slowRate: number;
  slow: { min: number; max: number };
}

export const NO_FAULTS: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  reorder: false,
  latency: { min: 1, max: 4 },
  slowRate: 0,
  slow: { min: 50, max: 400 },
};

/** What the network needs from a replica. */
export interface Endpoint {
  readonly up: boolean;
  /** Changes whenever the replica restarts; a report for an older incarnation is dropped. */
  readonly incarnation: number;
  receive(m: Message): void;
  /** The transport could not deliver `m` (link cut, peer down) or finished streaming a snapshot. */
  reportUnreachable(to: number): void;
  reportSnapshot(to: number, ok: boolean): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

const MAX_NODES = 64;
const link = (from: number, to: number) => from * MAX_NODES + to;

export class SimNetwork {
  faults: NetworkFaults;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly cuts = new Set<number>();
  private readonly linkClock = new Map<number, number>();
  private readonly endpoints = new Map<number, Endpoint>();

  constructor(
    private readonly sched: Scheduler,
    private readonly rng: SeededRandom,
    faults: NetworkFaults,
  ) {
    this.faults = faults;
  }

  attach(id: number, ep: Endpoint): void {
    if (id <= 0 || id >= MAX_NODES) throw new RangeError(`node id ${id} out of range`);
    this.endpoints.set(id, ep);
  }

  // ---- partitions ----

  /** Cuts every link between different groups; nodes in no group form one more group. */
  partition(groups: number[][]): void {
    this.cuts.clear();
    const ids = [...this.endpoints.keys()];
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of ids) for (const b of ids) if (a !== b && (groupOf.get(a) ?? -1) !== (groupOf.get(b) ?? -1)) this.cuts.add(link(a, b));
  }

  /** Drops messages from `from` to `to` (one direction only). */
  cutOneWay(from: number, to: number): void {
    this.cuts.add(link(from, to));
  }

  isCut(from: number, to: number): boolean {
    return this.cuts.has(link(from, to));
  }

  heal(): void {
    this.cuts.clear();
  }

  /** Current cuts as "a>b" strings (for logs). */
  describeCuts(): string {
    return [...this.cuts].map((k) => `${Math.floor(k / MAX_NODES)}>${k % MAX_NODES}`).join(' ');
  }

  // ---- delivery ----

  private delay(): number {
    const f = this.faults;
    const r = this.rng;
    return r.chance(f.slowRate) ? r.int(f.slow.min, f.slow.max) : r.int(f.latency.min, f.latency.max);
  }

  send(from: number, m: Message): void {
    this.stats.sent++;
    const f = this.faults;
    const sender = this.endpoints.get(from);
    const senderInc = sender?.incarnation ?? 0;
    if (this.rng.chance(f.dropRate)) {
      // Lost silently, like a packet; a lost snapshot stream is noticed by the transport.
      this.stats.dropped++;
      if (m.type === 'MsgSnap') this.sched.after(this.delay(), () => this.report(from, senderInc, (ep) => ep.reportSnapshot(m.to, false)));
      return;
    }
    const copies = this.rng.chance(f.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = this.sched.now + this.delay();
      if (!f.reorder) {
        // Per-link FIFO, like one TCP connection.
        const k = link(from, m.to);
        at = Math.max(at, this.linkClock.get(k) ?? 0);
        this.linkClock.set(k, at);
      }
      const copy: Message = m.entries ? { ...m, entries: m.entries.slice() } : { ...m };
      this.sched.at(at, () => this.deliver(from, senderInc, copy));
    }
  }

  private report(from: number, inc: number, fn: (ep: Endpoint) => void): void {
    const ep = this.endpoints.get(from);
    if (ep && ep.up && ep.incarnation === inc) fn(ep);
  }

  private deliver(from: number, senderInc: number, m: Message): void {
    const target = this.endpoints.get(m.to);
    // A link cut while the message was on the wire loses it too.
    if (!target || !target.up || this.cuts.has(link(from, m.to))) {
      this.stats.dropped++;
      this.report(from, senderInc, (ep) => (m.type === 'MsgSnap' ? ep.reportSnapshot(m.to, false) : ep.reportUnreachable(m.to)));
      return;
    }
    this.stats.delivered++;
    target.receive(m);
    if (m.type === 'MsgSnap') this.report(from, senderInc, (ep) => ep.reportSnapshot(m.to, true));
  }
}

// ---------------------------------------------------------------------------------------
// Disks.

/** One atomic write: a Ready's snapshot, entries and hard state, or a snapshot the replica took. */
type Batch =
  | { kind: 'ready'; snapshot?: Snapshot; entries: Entry[]; hardState?: HardState }
  | { kind: 'snapshot'; index: number; confState: ConfState; data: Uint8Array; compactTo: number };

function applyBatch(s: MemoryStorage, b: Batch): void {
  if (b.kind === 'ready') {
    if (b.snapshot) s.applySnapshot(b.snapshot);
    s.append(b.entries);
    if (b.hardState) s.setHardState(b.hardState);
  } else {
    s.createSnapshot(b.index, b.confState, b.data);
    if (b.compactTo >= s.firstIndex()) s.compact(b.compactTo);
  }
}

/** An exact copy of a MemoryStorage (snapshot, the entries it keeps, hard state). */
export function cloneStorage(s: MemoryStorage): MemoryStorage {
  const snap = s.snapshot();
  const first = s.firstIndex();
  const last = s.lastIndex();
  let c: MemoryStorage;
  if (snap.metadata.index === 0) {
    c = new MemoryStorage(snap.metadata.confState);
  } else {
    c = new MemoryStorage();
    // Entries may be kept below the snapshot index (compactKeep): rebuild the log from the
    // first kept entry, then take the snapshot again.
    const base = first - 1;
    if (base === snap.metadata.index) c.applySnapshot(snap);
    else c.applySnapshot({ metadata: { index: base, term: s.term(base), confState: snap.metadata.confState }, data: new Uint8Array(0) });
  }
  if (last >= first) c.append(s.entries(first, last + 1));
  if (snap.metadata.index > first - 1) c.createSnapshot(snap.metadata.index, snap.metadata.confState, snap.data);
  c.setHardState(s.hardStateNow());
  return c;
}

/**
 * A replica's disk. Raft reads `storage`, which shows every write; what survives a crash is
 * what was synced: each write is an atomic batch (as with the LevelDB storage), a sync makes
 * every batch written so far durable (a write-ahead log), and a crash keeps the synced
 * batches plus an arbitrary prefix of the unsynced ones. A correct driver syncs whenever the
 * Ready says `mustSync` (before sending its messages), when it installs a snapshot and when it
 * takes one; so what it may lose is the hard states in which only the commit index moved, and
 * the Ready it was writing when it died.
 */
export class SimDisk {
  private live: MemoryStorage;
  /** What is durable: the state after the last sync. */
  private durable: MemoryStorage;
  private unsynced: Batch[] = [];
  syncs = 0;

  constructor(storage: MemoryStorage) {
    this.live = storage;
    this.durable = cloneStorage(storage);
  }

  /** What Raft reads (replaced by a fresh copy of the durable state after a crash). */
  get storage(): MemoryStorage {
    return this.live;
  }

  /** Writes a Ready's snapshot, entries and hard state as one batch (not yet synced). */
  write(rd: Ready): void {
    if (!rd.snapshot && rd.entries.length === 0 && !rd.hardState) return;
    const b: Batch = { kind: 'ready', entries: rd.entries };
    if (rd.snapshot) b.snapshot = rd.snapshot;
    if (rd.hardState) b.hardState = { ...rd.hardState };
    applyBatch(this.live, b);
    this.unsynced.push(b);
  }

  /** Records a snapshot of the state machine at `index` and compacts the log up to `compactTo`. */
  takeSnapshot(index: number, confState: ConfState, data: Uint8Array, compactTo: number): void {
    const b: Batch = { kind: 'snapshot', index, confState: { voters: [...confState.voters], learners: [...confState.learners] }, data, compactTo };
    applyBatch(this.live, b);
    this.unsynced.push(b);
  }

  sync(): void {
    this.syncs++;
    for (const b of this.unsynced) applyBatch(this.durable, b);
    this.unsynced = [];
  }

  get unsyncedBatches(): number {
    return this.unsynced.length;
  }

  /** The machine died: keep what was synced and a random prefix of what was not. */
  crash(rng: SeededRandom): { lostBatches: number } {
    const keep = rng.intn(this.unsynced.length + 1);
    const lostBatches = this.unsynced.length - keep;
    for (const b of this.unsynced.slice(0, keep)) applyBatch(this.durable, b);
    this.unsynced = [];
    this.live = cloneStorage(this.durable);
    return { lostBatches };
  }
}
