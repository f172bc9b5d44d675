// A replica of the simulation: the Raft core (RawNode), its disk, the KV state machine, and
// the driver loop between them (the same contract as the real replica driver: persist, sync
// when asked, send, apply, hand out read states, advance). Clients talk to it with requests
// that carry their client id and sequence number; it answers when the command is applied
// here, or when a ReadIndex read point has been reached.
import type { KvInput, KvOutput } from '../linearizability/model.ts';
import type { ConfState, Entry, Message, RaftConfig, Ready, SeededRandom, SnapshotMetadata } from '../raft/index.ts';
import { MemoryStorage, RawNode, decodeConfChange, isRaftError } from '../raft/index.ts';
import { KvStateMachine, decodeCommand, encodeCommand } from './kv.ts';
import type { Endpoint, Scheduler, SimDisk, SimNetwork } from './world.ts';

export type ReadPath = 'log' | 'readIndex';

export interface ClientRequest {
  client: number;
  seq: number;
  op: KvInput;
  /** How a get is served (ignored for writes, which always go through the log). */
  read: ReadPath;
}

export type ClientResponse =
  | { type: 'ok'; output: KvOutput; from: number }
  /** The request was refused before it was proposed (no leader known, ...): it had no effect. */
  | { type: 'rejected'; leader: number; from: number; why: string };

/** Where in the handling of a Ready a crash strikes. */
export type CrashPoint =
  /** After the batch is written, before it is synced: it may or may not survive. */
  | 'beforeSync'
  /** After the batch is written and synced, before any message is sent. */
  | 'afterPersist'
  /** After some of the messages are sent. */
  | 'midSend'
  /** After the messages are sent and some committed entries applied. */
  | 'midApply';

export interface ReplicaHooks {
  /** An entry was applied here (for the agreement check). */
  onApply(id: number, e: Entry): void;
  /** A snapshot from the leader was installed here. */
  onSnapshot(id: number, meta: SnapshotMetadata): void;
  log(msg: string): void;
}

export interface ReplicaOptions {
  raft: Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;
  tickMs: number;
  /** Snapshot and compact after this many applied entries past the last snapshot (0: never). */
  snapshotEvery: number;
  /** Entries kept below the snapshot index when compacting. */
  compactKeep: number;
  /** TEST ONLY: serve gets from local state at once, without ReadIndex (a stale-read bug). */
  staleReads?: boolean;
  /** TEST ONLY: never sync the disk (a driver that ignores mustSync). */
  skipSync?: boolean;
}

interface PendingRead {
  req: ClientRequest;
  reply: (r: ClientResponse) => void;
  /** Read point, once the ReadState arrived. */
  index?: number;
}

export class Replica implements Endpoint {
  raw: RawNode | undefined;
  sm = new KvStateMachine();
  confState: ConfState;
  lastApplied: number;
  incarnation = 0;
  crashes = 0;
  snapshotsInstalled = 0;
  /** Set by the nemesis: crash while handling the next suitable Ready. */
  crashPlan: { point: CrashPoint; fraction: number } | undefined;

  private waiting = new Map<string, (r: ClientResponse) => void>();
  private reads = new Map<string, PendingRead>();
  private readCounter = 0;

  constructor(
    readonly id: number,
    readonly disk: SimDisk,
    private readonly sched: Scheduler,
    private readonly net: SimNetwork,
    private readonly rng: SeededRandom,
    private readonly opts: ReplicaOptions,
    private readonly hooks: ReplicaHooks,
  ) {
    const snap = disk.storage.snapshot();
    this.confState = snap.metadata.confState;
    this.lastApplied = snap.metadata.index;
    net.attach(id, this);
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  get storage(): MemoryStorage {
    return this.disk.storage;
  }

  // ---- life cycle ----

  private start(): void {
    const snap = this.storage.snapshot();
    this.sm = new KvStateMachine();
    if (snap.metadata.index > 0) this.sm.restore(snap.data);
    this.confState = { voters: [...snap.metadata.confState.voters], learners: [...snap.metadata.confState.learners] };
    this.lastApplied = snap.metadata.index;
    this.raw = new RawNode({ ...this.opts.raft, id: this.id, storage: this.storage, random: this.rng.fork(), applied: this.lastApplied });
    const inc = this.incarnation;
    const tick = () => {
      if (this.incarnation !== inc || !this.raw) return;
      this.raw.tick();
      this.processReady();
      this.sched.after(this.opts.tickMs, tick);
    };
    this.sched.after(1 + this.rng.intn(this.opts.tickMs), tick);
    this.processReady();
  }

  /** Stops the replica: memory is lost, the disk keeps what it synced (and maybe more). */
  crash(why: string): void {
    if (!this.raw) return;
    this.raw = undefined;
    this.incarnation++;
    this.crashes++;
    this.crashPlan = undefined;
    this.waiting.clear();
    this.reads.clear();
    const { lostBatches } = this.disk.crash(this.rng);
    this.hooks.log(`crash ${this.id} (${why}${lostBatches > 0 ? `, lost ${lostBatches} unsynced commit-index writes` : ''})`);
  }

  restart(): void {
    if (this.raw) return;
    this.incarnation++;
    this.hooks.log(`restart ${this.id} (snapshot ${this.storage.snapshot().metadata.index}, log to ${this.storage.lastIndex()}, commit ${this.storage.hardStateNow().commit})`);
    this.start();
  }

  // ---- the network's side ----

  receive(m: Message): void {
    if (!this.raw) return;
    this.raw.step(m);
    this.processReady();
  }

  reportUnreachable(to: number): void {
    this.raw?.reportUnreachable(to);
    this.processReady();
  }

  reportSnapshot(to: number, ok: boolean): void {
    this.raw?.reportSnapshot(to, ok ? 'finish' : 'failure');
    this.processReady();
  }

  // ---- clients ----

  request(req: ClientRequest, reply: (r: ClientResponse) => void): void {
    const raw = this.raw;
    if (!raw) return; // lost: the client times out
    const reject = (why: string) => reply({ type: 'rejected', leader: raw.raft.lead, from: this.id, why });
    if (req.op.kind === 'get' && req.read === 'readIndex') {
      if (this.opts.staleReads) {
        // The deliberate bug: whatever this replica has applied, however far behind it is.
        reply({ type: 'ok', output: { kind: 'get', value: this.sm.read(req.op.key) }, from: this.id });
        return;
      }
      const ctx = `${this.id}.${this.incarnation}.${this.readCounter++}`;
      try {
        raw.readIndex(new Uint8Array(Buffer.from(ctx, 'latin1')));
      } catch (e) {
        if (isRaftError(e, 'proposal-dropped')) return reject(e.message);
        throw e;
      }
      this.reads.set(ctx, { req, reply });
    } else {
      const key = `${req.client}.${req.seq}`;
      try {
        raw.propose(encodeCommand({ c: req.client, s: req.seq, op: req.op }));
      } catch (e) {
        if (isRaftError(e, 'proposal-dropped')) return reject(e.message);
        throw e;
      }
      this.waiting.set(key, reply);
    }
    this.processReady();
  }

  /** Answers the reads whose read point has been applied. */
  private serveReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.index === undefined || r.index > this.lastApplied) continue;
      this.reads.delete(ctx);
      r.reply({ type: 'ok', output: { kind: 'get', value: this.sm.read(r.req.op.key) }, from: this.id });
    }
  }

  // ---- the driver loop ----

  /** Handles Readies (persist, sync, send, apply, read states, advance) until there are none. */
  processReady(): void {
    for (let guard = 0; this.raw && this.raw.hasReady(); guard++) {
      if (guard > 100_000) throw new Error(`replica ${this.id}: Ready loop does not settle`);
      const raw = this.raw;
      const rd = raw.ready();
      const plan = this.crashPlan;
      if (plan) {
        const fits =
          (plan.point === 'beforeSync' && (rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined)) ||
          (plan.point === 'afterPersist' && rd.entries.length > 0) ||
          (plan.point === 'midSend' && rd.messages.length > 1) ||
          (plan.point === 'midApply' && rd.committedEntries.length > 1);
        if (fits) return this.crashDuring(rd, plan.point, plan.fraction);
      }
      this.disk.write(rd);
      if ((rd.mustSync || rd.snapshot) && !this.opts.skipSync) this.disk.sync();
      if (rd.snapshot) this.installSnapshot(rd);
      for (const m of rd.messages) this.net.send(this.id, m);
      for (const e of rd.committedEntries) this.apply(e);
      for (const rs of rd.readStates) {
        const ctx = Buffer.from(rs.requestCtx).toString('latin1');
        const r = this.reads.get(ctx);
        if (r) r.index = rs.index;
      }
      raw.advance();
      this.serveReads();
      this.maybeSnapshot();
    }
  }

  /** Handles the first part of a Ready as far as `point`, then dies. */
  private crashDuring(rd: Ready, point: CrashPoint, fraction: number): void {
    this.disk.write(rd);
    if (point !== 'beforeSync') {
      if (!this.opts.skipSync) this.disk.sync();
      if (point === 'midSend' || point === 'midApply') {
        const n = point === 'midSend' ? Math.floor(rd.messages.length * fraction) : rd.messages.length;
        for (const m of rd.messages.slice(0, n)) this.net.send(this.id, m);
      }
      if (point === 'midApply') {
        if (rd.snapshot) this.installSnapshot(rd);
        const n = Math.max(1, Math.floor(rd.committedEntries.length * fraction));
        for (const e of rd.committedEntries.slice(0, n)) this.apply(e);
      }
    }
    this.crash(`during a Ready: ${point}; ${rd.entries.length} entries, ${rd.messages.length} messages, ${rd.committedEntries.length} committed`);
  }

  private installSnapshot(rd: Ready): void {
    const snap = rd.snapshot!;
    this.sm.restore(snap.data);
    const cs = snap.metadata.confState;
    this.confState = { voters: [...cs.voters], learners: [...cs.learners] };
    this.lastApplied = snap.metadata.index;
    this.snapshotsInstalled++;
    this.hooks.onSnapshot(this.id, snap.metadata);
    this.hooks.log(`${this.id} installed snapshot at ${snap.metadata.index}`);
  }

  private apply(e: Entry): void {
    if (e.index !== this.lastApplied + 1) throw new Error(`replica ${this.id} applies ${e.index} after ${this.lastApplied}`);
    this.lastApplied = e.index;
    this.hooks.onApply(this.id, e);
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      this.confState = this.raw!.applyConfChange(cc);
      this.hooks.log(`${this.id} applied ${cc.type} ${cc.nodeId} at ${e.index}: voters ${this.confState.voters.join(',')} learners ${this.confState.learners.join(',') || '-'}`);
      return;
    }
    if (e.data.byteLength === 0) return; // a new leader's empty entry
    const cmd = decodeCommand(e.data);
    const out = this.sm.apply(cmd);
    if (out === undefined) return;
    const key = `${cmd.c}.${cmd.s}`;
    const reply = this.waiting.get(key);
    if (reply) {
      this.waiting.delete(key);
      reply({ type: 'ok', output: out, from: this.id });
    }
  }

  private maybeSnapshot(): void {
    const every = this.opts.snapshotEvery;
    if (every <= 0) return;
    const snapIndex = this.storage.snapshot().metadata.index;
    if (this.lastApplied - snapIndex < every) return;
    this.disk.takeSnapshot(this.lastApplied, this.confState, this.sm.snapshot(), this.lastApplied - this.opts.compactKeep);
    // Durable at once, with the commit index that covers it (a restart must not find a
    // snapshot beyond its commit index).
    if (!this.opts.skipSync) this.disk.sync();
  }

  /** The replica is a member (voter or learner) of its own latest configuration. */
  get isMember(): boolean {
    return this.confState.voters.includes(this.id) || this.confState.learners.includes(this.id);
  }
}
