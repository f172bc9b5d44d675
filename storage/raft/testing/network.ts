// A deterministic in-process network of Raft nodes for tests and simulations.
//
// Each node is a RawNode over a MemoryStorage (its "disk", which survives crashes) and a
// StateMachine (volatile, rebuilt from the latest snapshot on restart). The harness plays
// the replica driver: it handles every Ready in the documented order (install snapshot,
// append entries, write hard state, send messages, apply committed entries and conf
// changes, hand out read states, advance), and compacts logs into snapshots if asked.
//
// Messages travel through a scheduler seeded like everything else, so a run is a pure
// function of its seed and of the calls made on the harness. Two ways to drive it:
//   - step by step, like etcd's unit tests: tick()/tickAll() then stabilize(), which delivers
//     every queued message (FIFO, or in random order with `reorder`) until nothing moves;
//   - in virtual time: runFor(ms)/runUntil(pred), where nodes tick every `tickMs`, messages
//     arrive after a random latency, and callbacks registered with at()/after() run at their
//     time (client operations, crashes, partitions).
// Faults: dropRate, duplicateRate, reorder, partition()/isolate()/cut()/cutOneWay()/heal(),
// custom filters, crash()/restart().
//
// The harness checks Raft's safety properties as it runs (election safety, state machine
// safety, leader completeness at each election, in-order application) and records any
// violation; checkLogMatching() checks the Log Matching property on demand.
import { RawNode } from '../node.ts';
import type { RaftConfig } from '../raft.ts';
import { SeededRandom } from '../rand.ts';
import { MemoryStorage } from '../storage.ts';
import type { ConfChange, ConfState, Entry, Message, ReadState, Snapshot, SoftState } from '../types.ts';
import { decodeConfChange, isRaftError } from '../types.ts';

/** The application on top of Raft, as far as the harness is concerned. */
export interface StateMachine {
  apply(entry: Entry): void;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

/** Default state machine: the payloads of applied non-empty normal entries, in order. */
export class LogStateMachine implements StateMachine {
  applied: Uint8Array[] = [];

  apply(entry: Entry): void {
    if (entry.type === 'normal' && entry.data.byteLength > 0) this.applied.push(entry.data);
  }

  snapshot(): Uint8Array {
    return new Uint8Array(Buffer.from(JSON.stringify(this.applied.map((d) => Buffer.from(d).toString('base64')))));
  }

  restore(data: Uint8Array): void {
    this.applied = data.byteLength === 0 ? [] : (JSON.parse(Buffer.from(data).toString()) as string[]).map((s) => new Uint8Array(Buffer.from(s, 'base64')));
  }

  /** Applied payloads decoded as UTF-8 (handy in tests). */
  strings(): string[] {
    return this.applied.map((d) => Buffer.from(d).toString());
  }
}

export interface Envelope {
  seq: number;
  /** The node whose Ready emitted the message (≠ msg.from for a forwarded MsgTransferLeader). */
  from: number;
  to: number;
  msg: Message;
  sentAt: number;
  deliverAt: number;
}

/** A custom fault: return 'drop' or 'duplicate' to act on a message, undefined to let it pass. */
export type MessageFilter = (env: Envelope) => 'drop' | 'duplicate' | undefined;

export type NetworkEvent =
  | { type: 'send'; env: Envelope }
  | { type: 'drop'; env: Envelope; reason: 'partition' | 'loss' | 'filter' | 'down' }
  | { type: 'deliver'; env: Envelope }
  | { type: 'softState'; id: number; term: number; softState: SoftState }
  | { type: 'apply'; id: number; entry: Entry }
  | { type: 'confChange'; id: number; cc: ConfChange; confState: ConfState }
  | { type: 'snapshot'; id: number; snapshot: Snapshot }
  | { type: 'readState'; id: number; readState: ReadState }
  | { type: 'crash'; id: number }
  | { type: 'restart'; id: number };

export type NodeConfig = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>>;

export interface NetworkOptions {
  /** Seeds the scheduler and every node's election timeouts. */
  seed: number;
  /** Founding voters. */
  voters: number[];
  /** Founding learners. */
  learners?: number[];
  /** Nodes that start with empty storage outside the membership, to be added by conf changes. */
  joiners?: number[];
  /** Raft settings for every node (defaults: electionTick 10, heartbeatTick 1). */
  config?: NodeConfig;
  /** Per-node overrides of `config`. */
  configFor?: (id: number) => NodeConfig;
  /** The application; default LogStateMachine. */
  stateMachine?: (id: number) => StateMachine;
  /**
   * 'snapshot' (default): founding members start from MemoryStorage.bootstrap (membership in
   * a snapshot at index 1; the first leader's entries start at index 2). 'index0': the
   * membership sits at index 0 and the log starts at 1 — handy for tests that count
   * indexes, unusable with joiners.
   */
  bootstrap?: 'snapshot' | 'index0';
  /** Supplies a node's initial storage (e.g. a preloaded log) instead of the default. */
  storage?: (id: number) => MemoryStorage | undefined;
  /** Snapshot and compact a node's log once it has applied this many entries past its snapshot (0: never). */
  snapshotEvery?: number;
  /** Entries kept in the log below the snapshot index when compacting. */
  compactKeep?: number;
  /** Virtual ms between ticks of a node (timed mode). Default 10. */
  tickMs?: number;
  /** Message latency range in virtual ms (timed mode). Default 1–5. */
  latency?: { min: number; max: number };
  dropRate?: number;
  duplicateRate?: number;
  /** Deliver messages out of order (stabilize picks at random; timed mode drops per-link FIFO). */
  reorder?: boolean;
  /** Tell a sender's Raft when its message was dropped by a partition or a down node. Default true. */
  reportUnreachable?: boolean;
  /** Throw as soon as a safety property is violated (default true); otherwise only record it. */
  strict?: boolean;
}

export class SimNode {
  raw: RawNode | undefined;
  sm: StateMachine;
  /** Membership as of the last applied entry. */
  confState: ConfState;
  lastApplied: number;
  /** Read states handed out to this node's clients, in order (tests may clear it). */
  readStates: ReadState[] = [];

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    sm: StateMachine,
  ) {
    this.sm = sm;
    const snap = storage.snapshot();
    this.confState = { voters: [...snap.metadata.confState.voters], learners: [...snap.metadata.confState.learners] };
    this.lastApplied = snap.metadata.index;
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  /** The running RawNode; throws if the node is down. */
  get node(): RawNode {
    if (!this.raw) throw new Error(`node ${this.id} is down`);
    return this.raw;
  }
}

interface Timer {
  seq: number;
  at: number;
  fn: () => void;
}

export class SafetyViolation extends Error {
  override name = 'SafetyViolation';
}

const linkKey = (from: number, to: number) => `${from}>${to}`;

export class Network {
  readonly rng: SeededRandom;
  readonly nodes = new Map<number, SimNode>();
  /** Virtual time in ms (timed mode only; stabilize() does not move it). */
  now = 0;
  dropRate: number;
  duplicateRate: number;
  reorder: boolean;
  readonly violations: string[] = [];

  private readonly opts: NetworkOptions;
  private inflight: Envelope[] = [];
  private seq = 0;
  private cuts = new Set<string>();
  private filters: MessageFilter[] = [];
  private listeners: Array<(ev: NetworkEvent) => void> = [];
  private timers: Timer[] = [];
  private nextTick = new Map<number, number>();
  private linkClock = new Map<string, number>();
  private leaderOfTerm = new Map<number, number>();
  /** Per node: the term it leads and its last index, for the Leader Append-Only check. */
  private leaderLast = new Map<number, { term: number; last: number }>();
  /** Every applied entry, by index: what state machine safety compares against. */
  private appliedAt = new Map<number, Entry>();
  private readonly tickMs: number;

  constructor(opts: NetworkOptions) {
    this.opts = opts;
    this.rng = new SeededRandom(opts.seed);
    this.dropRate = opts.dropRate ?? 0;
    this.duplicateRate = opts.duplicateRate ?? 0;
    this.reorder = opts.reorder ?? false;
    this.tickMs = opts.tickMs ?? 10;
    const conf = { voters: opts.voters, learners: opts.learners ?? [] };
    const founders = [...opts.voters, ...(opts.learners ?? [])];
    for (const id of [...founders, ...(opts.joiners ?? [])].sort((a, b) => a - b)) {
      if (this.nodes.has(id)) throw new Error(`duplicate node id ${id}`);
      let storage: MemoryStorage;
      const custom = opts.storage?.(id);
      if (custom) storage = custom;
      else if (!founders.includes(id)) storage = new MemoryStorage();
      else if (opts.bootstrap === 'index0') storage = new MemoryStorage(conf);
      else storage = MemoryStorage.bootstrap(conf);
      const n = new SimNode(id, storage, this.newStateMachine(id));
      this.nodes.set(id, n);
      n.raw = this.newRawNode(n);
      this.nextTick.set(id, this.rng.intn(this.tickMs));
    }
  }

  // ---- access ----

  get ids(): number[] {
    return [...this.nodes.keys()];
  }

  node(id: number): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** The running RawNode of `id`. */
  raw(id: number): RawNode {
    return this.node(id).node;
  }

  /** The running leader with the highest term, if any. */
  leader(): number | undefined {
    let best: number | undefined;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      const r = n.raw?.raft;
      if (r && r.state === 'leader' && r.term > bestTerm) {
        best = n.id;
        bestTerm = r.term;
      }
    }
    return best;
  }

  /** Payloads applied by `id`'s state machine, as strings (LogStateMachine only). */
  applied(id: number): string[] {
    const sm = this.node(id).sm;
    if (!(sm instanceof LogStateMachine)) throw new Error('applied() needs the LogStateMachine');
    return sm.strings();
  }

  /** Messages currently on the wire. */
  get pending(): readonly Envelope[] {
    return this.inflight;
  }

  subscribe(fn: (ev: NetworkEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  // ---- client operations (each processes the node's Ready afterwards) ----

  propose(id: number, data: Uint8Array | string): void {
    this.raw(id).propose(typeof data === 'string' ? new Uint8Array(Buffer.from(data)) : data);
    this.processReady(id);
  }

  /** Like propose, but returns false instead of throwing when the proposal is dropped. */
  tryPropose(id: number, data: Uint8Array | string): boolean {
    try {
      this.propose(id, data);
      return true;
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) return false;
      throw e;
    }
  }

  proposeConfChange(id: number, cc: ConfChange): void {
    this.raw(id).proposeConfChange(cc);
    this.processReady(id);
  }

  readIndex(id: number, ctx: Uint8Array | string): void {
    this.raw(id).readIndex(typeof ctx === 'string' ? new Uint8Array(Buffer.from(ctx)) : ctx);
    this.processReady(id);
  }

  transferLeader(id: number, to: number): void {
    this.raw(id).transferLeader(to);
    this.processReady(id);
  }

  campaign(id: number): void {
    this.raw(id).campaign();
    this.processReady(id);
  }

  // ---- step-by-step driving ----

  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      const node = this.node(id);
      if (!node.raw) return;
      node.raw.tick();
      this.processReady(id);
    }
  }

  /** Ticks every running node n times (in id order), without delivering messages. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.ids) this.tick(id);
  }

  /** Delivers every queued message and the messages they cause, until nothing is left. */
  stabilize(maxDeliveries = 1_000_000): number {
    let delivered = 0;
    for (;;) {
      for (const id of this.ids) this.processReady(id);
      if (this.inflight.length === 0) return delivered;
      if (++delivered > maxDeliveries) throw new Error(`network did not stabilize within ${maxDeliveries} deliveries`);
      let i = 0;
      if (this.reorder) {
        i = this.rng.intn(this.inflight.length);
      } else {
        for (let j = 1; j < this.inflight.length; j++) if (this.inflight[j]!.seq < this.inflight[i]!.seq) i = j;
      }
      const env = this.inflight.splice(i, 1)[0]!;
      this.deliver(env);
    }
  }

  /** Ticks all nodes and stabilizes, up to maxRounds times, until `pred` holds. Returns whether it did. */
  tickUntil(pred: () => boolean, maxRounds = 1000): boolean {
    for (let i = 0; i < maxRounds; i++) {
      if (pred()) return true;
      this.tickAll();
      this.stabilize();
    }
    return pred();
  }

  /** Elects `id` by campaigning and stabilizing; throws if it did not become leader. */
  elect(id: number): void {
    this.campaign(id);
    this.stabilize();
    if (this.node(id).raw?.raft.state !== 'leader') throw new Error(`node ${id} did not become leader`);
  }

  // ---- virtual-time driving ----

  /** Runs fn at virtual time `at` (or now, if that has passed). */
  at(at: number, fn: () => void): void {
    this.timers.push({ seq: this.seq++, at: Math.max(at, this.now), fn });
  }

  after(ms: number, fn: () => void): void {
    this.at(this.now + ms, fn);
  }

  /** Runs the timed simulation for `ms` virtual milliseconds. */
  runFor(ms: number): void {
    const end = this.now + ms;
    while (this.runNextEvent(end)) {
      // next
    }
    this.now = end;
  }

  /** Runs until `pred` holds (checked after every event) or `maxMs` pass. Returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs;
    if (pred()) return true;
    while (this.runNextEvent(end)) {
      if (pred()) return true;
    }
    this.now = end;
    return pred();
  }

  private runNextEvent(end: number): boolean {
    let timer: Timer | undefined;
    for (const t of this.timers) if (!timer || t.at < timer.at || (t.at === timer.at && t.seq < timer.seq)) timer = t;
    let tickId: number | undefined;
    let tickAt = Infinity;
    for (const [id, at] of this.nextTick) {
      if (at < tickAt || (at === tickAt && id < tickId!)) {
        tickAt = at;
        tickId = id;
      }
    }
    let env: Envelope | undefined;
    for (const e of this.inflight) if (!env || e.deliverAt < env.deliverAt || (e.deliverAt === env.deliverAt && e.seq < env.seq)) env = e;
    const tTimer = timer?.at ?? Infinity;
    const tMsg = env?.deliverAt ?? Infinity;
    const t = Math.min(tTimer, tickAt, tMsg);
    if (t > end || t === Infinity) return false;
    this.now = t;
    if (timer && tTimer === t) {
      this.timers.splice(this.timers.indexOf(timer), 1);
      timer.fn();
      for (const id of this.ids) this.processReady(id);
    } else if (tickId !== undefined && tickAt === t) {
      this.nextTick.set(tickId, tickAt + this.tickMs);
      this.tick(tickId);
    } else if (env) {
      this.inflight.splice(this.inflight.indexOf(env), 1);
      this.deliver(env);
    }
    return true;
  }

  // ---- faults ----

  /**
   * Splits the network: messages between nodes of different groups are dropped. Nodes not
   * named form one more group together. Replaces any earlier partition or cut.
   */
  partition(...groups: number[][]): void {
    this.cuts.clear();
    const named = new Set(groups.flat());
    const rest = this.ids.filter((id) => !named.has(id));
    const all = rest.length > 0 ? [...groups, rest] : groups;
    const groupOf = new Map<number, number>();
    all.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.ids) for (const b of this.ids) if (a !== b && groupOf.get(a) !== groupOf.get(b)) this.cuts.add(linkKey(a, b));
  }

  /** Cuts `id` off from every other node. */
  isolate(id: number): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cuts.add(linkKey(id, other));
      this.cuts.add(linkKey(other, id));
    }
  }

  /** Cuts the link between a and b in both directions. */
  cut(a: number, b: number): void {
    this.cuts.add(linkKey(a, b));
    this.cuts.add(linkKey(b, a));
  }

  /** Drops messages from `from` to `to` only (an asymmetric fault). */
  cutOneWay(from: number, to: number): void {
    this.cuts.add(linkKey(from, to));
  }

  /** Restores every link (partitions and cuts; not filters or loss rates). */
  heal(): void {
    this.cuts.clear();
  }

  /** Adds a custom fault; returns a function that removes it. */
  addFilter(f: MessageFilter): () => void {
    this.filters.push(f);
    return () => {
      this.filters = this.filters.filter((x) => x !== f);
    };
  }

  /** Drops every message of the given types (optionally only to/from a node) until removed. */
  dropTypes(types: Message['type'][], opts: { to?: number; from?: number } = {}): () => void {
    return this.addFilter((env) =>
      types.includes(env.msg.type) && (opts.to === undefined || env.to === opts.to) && (opts.from === undefined || env.from === opts.from) ? 'drop' : undefined,
    );
  }

  /** Removes every queued message (as if the network lost them all). */
  dropPending(): void {
    for (const env of this.inflight) this.emit({ type: 'drop', env, reason: 'loss' });
    this.inflight = [];
  }

  /** Stops a node: its volatile state is lost, its storage (what it persisted) survives. */
  crash(id: number): void {
    const n = this.node(id);
    if (!n.raw) return;
    n.raw = undefined;
    n.readStates = [];
    this.nextTick.delete(id);
    this.emit({ type: 'crash', id });
  }

  /** Restarts a crashed node from its storage: state machine from the snapshot, log replayed by Raft. */
  restart(id: number): void {
    const n = this.node(id);
    if (n.raw) throw new Error(`node ${id} is running`);
    const snap = n.storage.snapshot();
    n.sm = this.newStateMachine(id);
    if (snap.metadata.index > 0 && snap.data.byteLength > 0) n.sm.restore(snap.data);
    n.confState = { voters: [...snap.metadata.confState.voters], learners: [...snap.metadata.confState.learners] };
    n.lastApplied = snap.metadata.index;
    n.raw = this.newRawNode(n);
    this.nextTick.set(id, this.now + this.rng.intn(this.tickMs));
    this.emit({ type: 'restart', id });
    this.processReady(id);
  }

  // ---- the replica-driver part ----

  private newStateMachine(id: number): StateMachine {
    return this.opts.stateMachine ? this.opts.stateMachine(id) : new LogStateMachine();
  }

  private newRawNode(n: SimNode): RawNode {
    const cfg: RaftConfig = {
      electionTick: 10,
      heartbeatTick: 1,
      ...this.opts.config,
      ...this.opts.configFor?.(n.id),
      id: n.id,
      storage: n.storage,
      random: this.rng.fork(),
      applied: n.lastApplied,
    };
    return new RawNode(cfg);
  }

  /** Handles every Ready of node `id` (persist, send, apply, advance) until it has none. */
  processReady(id: number): void {
    const n = this.node(id);
    for (let guard = 0; n.raw && n.raw.hasReady(); guard++) {
      if (guard > 100_000) throw new Error(`node ${id}: Ready loop does not settle`);
      const raw = n.raw;
      const rd = raw.ready();
      if (rd.softState) {
        this.emit({ type: 'softState', id, term: raw.raft.term, softState: rd.softState });
        if (rd.softState.raftState === 'leader') this.onNewLeader(n);
      }
      if (rd.snapshot) {
        n.storage.applySnapshot(rd.snapshot);
        n.sm.restore(rd.snapshot.data);
        n.confState = { voters: [...rd.snapshot.metadata.confState.voters], learners: [...rd.snapshot.metadata.confState.learners] };
        n.lastApplied = rd.snapshot.metadata.index;
        this.emit({ type: 'snapshot', id, snapshot: rd.snapshot });
      }
      this.checkLeaderAppendOnly(n, rd.entries);
      n.storage.append(rd.entries);
      if (rd.hardState) n.storage.setHardState(rd.hardState);
      for (const m of rd.messages) this.send(id, m);
      for (const e of rd.committedEntries) this.applyEntry(n, e);
      for (const rs of rd.readStates) {
        n.readStates.push(rs);
        this.emit({ type: 'readState', id, readState: rs });
      }
      raw.advance();
      this.maybeCompact(n);
    }
  }

  private applyEntry(n: SimNode, e: Entry): void {
    if (e.index !== n.lastApplied + 1) this.violation(`node ${n.id} applied index ${e.index} after ${n.lastApplied}`);
    n.lastApplied = e.index;
    const prev = this.appliedAt.get(e.index);
    if (!prev) {
      this.appliedAt.set(e.index, e);
    } else if (prev.term !== e.term || prev.type !== e.type || Buffer.compare(prev.data, e.data) !== 0) {
      this.violation(`state machine safety: node ${n.id} applied ${e.index}@${e.term} but ${prev.index}@${prev.term} was applied elsewhere`);
    }
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      n.confState = n.node.applyConfChange(cc);
      this.emit({ type: 'confChange', id: n.id, cc, confState: n.confState });
    } else {
      n.sm.apply(e);
    }
    this.emit({ type: 'apply', id: n.id, entry: e });
  }

  private maybeCompact(n: SimNode): void {
    const every = this.opts.snapshotEvery ?? 0;
    if (every <= 0) return;
    const snapIndex = n.storage.snapshot().metadata.index;
    if (n.lastApplied - snapIndex < every) return;
    n.storage.createSnapshot(n.lastApplied, n.confState, n.sm.snapshot());
    const to = n.lastApplied - (this.opts.compactKeep ?? 0);
    if (to >= n.storage.firstIndex()) n.storage.compact(to);
  }

  private send(from: number, m: Message): void {
    const latency = this.opts.latency ?? { min: 1, max: 5 };
    const env: Envelope = { seq: this.seq++, from, to: m.to, msg: m, sentAt: this.now, deliverAt: this.now + this.rng.int(latency.min, latency.max) };
    this.emit({ type: 'send', env });
    if (this.cuts.has(linkKey(from, m.to))) {
      this.dropped(env, 'partition');
      return;
    }
    let copies = 1;
    for (const f of this.filters) {
      const v = f(env);
      if (v === 'drop') {
        this.dropped(env, 'filter');
        return;
      }
      if (v === 'duplicate') copies = 2;
    }
    if (this.rng.chance(this.dropRate)) {
      this.dropped(env, 'loss');
      return;
    }
    if (this.rng.chance(this.duplicateRate)) copies = 2;
    this.enqueue(env);
    if (copies === 2) {
      this.enqueue({ ...env, seq: this.seq++, deliverAt: this.now + this.rng.int(latency.min, latency.max) });
    }
  }

  private enqueue(env: Envelope): void {
    if (!this.reorder) {
      // Per-link FIFO, like a TCP connection.
      const k = linkKey(env.from, env.to);
      env.deliverAt = Math.max(env.deliverAt, this.linkClock.get(k) ?? 0);
      this.linkClock.set(k, env.deliverAt);
    }
    this.inflight.push(env);
  }

  private dropped(env: Envelope, reason: 'partition' | 'loss' | 'filter' | 'down'): void {
    this.emit({ type: 'drop', env, reason });
    const sender = this.nodes.get(env.from)?.raw;
    if (!sender) return;
    if (env.msg.type === 'MsgSnap') sender.reportSnapshot(env.to, 'failure');
    else if ((reason === 'partition' || reason === 'down') && (this.opts.reportUnreachable ?? true)) sender.reportUnreachable(env.to);
  }

  private deliver(env: Envelope): void {
    const target = this.nodes.get(env.to);
    if (!target?.raw) {
      this.dropped(env, 'down');
      return;
    }
    // Links cut while the message was on the wire lose it too.
    if (this.cuts.has(linkKey(env.from, env.to))) {
      this.dropped(env, 'partition');
      return;
    }
    this.emit({ type: 'deliver', env });
    target.raw.step(structuredClone(env.msg));
    this.processReady(env.to);
    if (env.msg.type === 'MsgSnap') {
      // The transport finished streaming the snapshot.
      const sender = this.nodes.get(env.from)?.raw;
      if (sender) {
        sender.reportSnapshot(env.to, 'finish');
        this.processReady(env.from);
      }
    }
  }

  // ---- safety checks ----

  private emit(ev: NetworkEvent): void {
    for (const l of this.listeners) l(ev);
  }

  private violation(msg: string): void {
    this.violations.push(msg);
    if (this.opts.strict ?? true) throw new SafetyViolation(msg);
  }

  private onNewLeader(n: SimNode): void {
    const r = n.node.raft;
    // Election Safety: at most one leader per term.
    const prev = this.leaderOfTerm.get(r.term);
    if (prev !== undefined && prev !== n.id) this.violation(`election safety: ${prev} and ${n.id} both led term ${r.term}`);
    this.leaderOfTerm.set(r.term, n.id);
    // Leader Completeness: the new leader has every entry anyone has applied.
    const first = r.raftLog.firstIndex();
    for (const [index, e] of this.appliedAt) {
      if (index < first) continue;
      if (r.raftLog.termOrZero(index) !== e.term) {
        this.violation(`leader completeness: leader ${n.id} of term ${r.term} lacks committed entry ${index}@${e.term}`);
      }
    }
  }

  /** Leader Append-Only: while a node leads a term, its new entries only ever extend its log. */
  private checkLeaderAppendOnly(n: SimNode, entries: Entry[]): void {
    const r = n.node.raft;
    const rec = this.leaderLast.get(n.id);
    if (r.state !== 'leader') {
      this.leaderLast.delete(n.id);
      return;
    }
    if (rec && rec.term === r.term && entries.length > 0 && entries[0]!.index <= rec.last) {
      this.violation(`leader append-only: leader ${n.id} of term ${r.term} rewrote index ${entries[0]!.index} (had up to ${rec.last})`);
    }
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : (rec?.term === r.term ? rec.last : r.raftLog.lastIndex());
    this.leaderLast.set(n.id, { term: r.term, last });
  }

  /** Log Matching: if two running nodes' logs hold an entry with the same index and term, they are identical up to it. */
  checkLogMatching(): void {
    const ups = [...this.nodes.values()].filter((n) => n.raw);
    for (let i = 0; i < ups.length; i++) {
      for (let j = i + 1; j < ups.length; j++) {
        const a = ups[i]!.node.raft.raftLog;
        const b = ups[j]!.node.raft.raftLog;
        const lo = Math.max(a.firstIndex(), b.firstIndex());
        const hi = Math.min(a.lastIndex(), b.lastIndex());
        let matched = false;
        for (let k = hi; k >= lo; k--) {
          const ta = a.term(k);
          const tb = b.term(k);
          if (!matched && ta === tb) matched = true;
          if (matched) {
            const ea = a.slice(k, k + 1)[0]!;
            const eb = b.slice(k, k + 1)[0]!;
            if (ta !== tb || ea.type !== eb.type || Buffer.compare(ea.data, eb.data) !== 0) {
              this.violation(`log matching: nodes ${ups[i]!.id} and ${ups[j]!.id} differ at ${k} below a common entry`);
            }
          }
        }
      }
    }
  }

  /** Number of distinct indexes applied anywhere so far. */
  get appliedCount(): number {
    return this.appliedAt.size;
  }
}
