// The replica driver: one member of a Raft group whose state machine is the MVCC backend.
//
// It owns the RawNode and runs its loop: a tick timer, peer messages stepped as they arrive,
// and every Ready handled in the documented order —
//   1. persist (raft storage: snapshot, entries, hard state in ONE LevelDB batch),
//   2. send (peer transport; a MsgSnap becomes a snapshot stream of the MVCC database),
//   3. apply (all committed entries of the Ready in ONE backend batch, together with the
//      applied index, so that a restart resumes exactly after the last applied entry),
//   4. answer reads (ReadIndex), then advance.
//
// Clients' writes enter through `submit`: commands that arrive together are packed into one
// log entry (group commit), proposed on the leader — or forwarded to it by an RPC that
// answers with the entry's (index, term) — and matched by request id when applied. An
// entry whose index ends up holding something else was lost to a leader change; it is
// proposed again until the request's deadline. Linearizable reads use ReadIndex (batched:
// one round serves every read waiting for it); lease expiry is decided by the leader's lessor
// and applied through the log; keep-alives and TTL queries go to the leader.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ClassicLevel } from 'classic-level';
import { RawNode } from '../raft/node.ts';
import { SeededRandom } from '../raft/rand.ts';
import type { ConfChange, ConfState, Entry, Message, Ready, ReadState, SoftState } from '../raft/types.ts';
import { decodeConfChange, encodeConfChange, isRaftError } from '../raft/types.ts';
import { MvccBackend, type CommandResult } from '../mvcc/backend.ts';
import type { Command } from '../mvcc/commands.ts';
import { metaKey } from '../mvcc/encoding.ts';
import { Lessor } from '../lessor.ts';
import { StoreError, errors } from '../errors.ts';
import { LevelRaftStorage } from './raft-storage.ts';
import { RemoteError, Transport, TransportError } from './transport.ts';
import {
  Reader,
  Writer,
  decodeKvChunk,
  decodeProposal,
  encodeCommand,
  encodeKvChunk,
  encodeProposalParts,
  readConfState,
  writeConfState,
} from './codec.ts';

export interface ReplicaOptions {
  /** This member's name (its Raft id is derived from it). */
  name: string;
  /** Holds `raft/` (log), `mvcc/` (state machine) and `snap/` (snapshots being received). */
  dataDir: string;
  /**
   * Founding members, name → 'host:port' (this member included). A joining member lists
   * the members it may contact.
   */
  peers: Record<string, string>;
  /** host:port to listen on for peers (default: peers[name]). */
  listen?: string;
  /** host:port peers reach this member at (default: listen). */
  advertise?: string;
  /** Start empty and wait to be added to an existing cluster (addMember) instead of bootstrapping. */
  join?: boolean;
  /** Peers of another cluster name are refused. Default 'k8ts'. */
  cluster?: string;
  /** Raft tick interval. Default 100 ms. */
  tickMs?: number;
  /** Election timeout in ticks. Default 10. */
  electionTicks?: number;
  /** Heartbeat interval in ticks. Default 1. */
  heartbeatTicks?: number;
  /** Take a snapshot (and compact the log) every this many applied entries. Default 10000. */
  snapshotEntries?: number;
  /** Entries kept in the log below a snapshot for slow followers. Default 5000. */
  snapshotCatchUpEntries?: number;
  /** A write or read that cannot complete within this fails with a retryable error. Default 7 s. */
  requestTimeoutMs?: number;
  /** How long a request waits for a leader before failing with 'etcdserver: no leader'. Default 3 election timeouts. */
  noLeaderTimeoutMs?: number;
  /** Most commands in one log entry. Default 1024. */
  maxBatchCommands?: number;
  /** Bytes of commands in one log entry (a single larger command gets an entry of its own). Default 1 MiB. */
  maxBatchBytes?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', obj: unknown, msg: string) => void;
  /** Called when this member's Raft role or known leader changes (e.g. to report leadership). */
  onStateChange?: (state: { raftState: SoftState['raftState']; leader: number; leaderName: string | undefined; term: number }) => void;
}

export interface MemberInfo {
  id: number;
  name: string;
  /** Peer address. */
  addr: string;
  learner: boolean;
}

export interface ReplicaStatus {
  id: number;
  name: string;
  raftState: SoftState['raftState'];
  /** Raft id of the leader, 0 when none is known. */
  leader: number;
  leaderName: string | undefined;
  term: number;
  commit: number;
  /** Last log index applied to the MVCC backend. */
  applied: number;
  appliedTerm: number;
  /** Index of the latest snapshot (log entries up to about it are compacted). */
  snapshotIndex: number;
  members: MemberInfo[];
  stats: ReplicaStats;
}

export interface ReplicaStats {
  /** Commands submitted through this replica. */
  commands: number;
  /** Log entries this replica proposed (each carries one or more commands). */
  proposals: number;
  /** Readys handled. */
  readys: number;
  /** Raft storage batches (synced ones). */
  raftWrites: number;
  raftSyncs: number;
  /** Backend batches (each one synced LevelDB write). */
  applyBatches: number;
  /** Entries applied. */
  appliedEntries: number;
  /** ReadIndex rounds issued (each serves every read waiting for it). */
  readRounds: number;
  snapshotsSent: number;
  snapshotsReceived: number;
  /** Proposals that were lost to a leader change and proposed again. */
  reproposals: number;
}

/** Raft member id from a member name: 48 bits of its SHA-256, never 0. */
export function memberId(name: string): number {
  const id = createHash('sha256').update(name).digest().readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

const META_APPLIED = 'raft/applied';
const META_CONF = 'raft/conf';
const EMPTY = new Uint8Array(0);
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
const LEASE_CHECK_MS = 250;

export function encodeApplied(index: number, term: number): Buffer {
  return new Writer(16).uvarint(index).uvarint(term).finish();
}

function decodeApplied(b: Buffer | undefined): { index: number; term: number } {
  if (!b) return { index: 0, term: 0 };
  const r = new Reader(b);
  return { index: r.uvarint(), term: r.uvarint() };
}

interface Member {
  name: string;
  addr: string;
}

function encodeConf(cs: ConfState, members: Map<number, Member>): Buffer {
  const w = new Writer(128);
  writeConfState(w, cs);
  w.uvarint(members.size);
  for (const [id, m] of members) w.uvarint(id).string(m.name).string(m.addr);
  return w.finish();
}

function decodeConf(b: Buffer | undefined): { confState: ConfState; members: Map<number, Member> } | undefined {
  if (!b) return undefined;
  const r = new Reader(b);
  const confState = readConfState(r);
  const members = new Map<number, Member>();
  for (let n = r.uvarint(); n > 0; n--) members.set(r.uvarint(), { name: r.string(), addr: r.string() });
  return { confState, members };
}

export function encodeMemberContext(m: Member): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(m)));
}

function decodeMemberContext(ctx: Uint8Array | undefined): Member | undefined {
  if (!ctx || ctx.byteLength === 0) return undefined;
  try {
    const m = JSON.parse(Buffer.from(ctx).toString('utf8')) as Partial<Member>;
    return typeof m.name === 'string' && typeof m.addr === 'string' ? { name: m.name, addr: m.addr } : undefined;
  } catch {
    return undefined;
  }
}

function encodeIndexTerm(index: number, term: number): Buffer {
  return new Writer(16).uvarint(index).uvarint(term).finish();
}

function decodeIndexTerm(b: Buffer): { index: number; term: number } {
  const r = new Reader(b);
  return { index: r.uvarint(), term: r.uvarint() };
}

const unavailable = (msg: string) => new StoreError('unavailable', msg);
const errNoLeader = () => unavailable('etcdserver: no leader');
const errTimeout = () => unavailable('etcdserver: request timed out');
const errRemoved = () => unavailable('etcdserver: the member has been permanently removed from the cluster');
const errUnknownOutcome = () => unavailable('etcdserver: request timed out, possibly due to previous leader failure');

/** An error the leader answers a forwarded request with; never leaves the replica. */
class RpcRefusal extends Error {
  constructor(
    readonly code: 'not-leader' | 'dropped' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  encoded: Buffer;
  resolve: (r: CommandResult) => void;
  reject: (e: unknown) => void;
}

interface PendingProposal {
  seq: number;
  data: Buffer;
  waiters: Waiter[];
  deadline: number;
  timer: NodeJS.Timeout | undefined;
  /** Where the entry sits in the log, once known. */
  index: number;
  term: number;
  done: boolean;
}

interface IndexWatch {
  term: number;
  /** 'ok': the entry at the index is the one proposed; 'lost': another entry took its place; 'unknown': skipped by a snapshot. */
  settle: (outcome: 'ok' | 'lost' | 'unknown', entry?: Entry) => void;
}

interface ReadRound {
  ctx: Buffer;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void; deadline: number }>;
  timer: NodeJS.Timeout | undefined;
}

export class Replica {
  readonly id: number;
  readonly name: string;
  backend: MvccBackend;
  private raw!: RawNode;
  private readonly storage: LevelRaftStorage;
  private transport!: Transport;
  private readonly members: Map<number, Member>;
  private confState: ConfState;
  /** Last index applied to the backend (stored in it). */
  private applied: number;
  private appliedTerm: number;
  /** Applied index known to be fsynced in the backend (applies are not synced one by one). */
  private durableApplied: number;
  /** Last index handed to us by Raft (≥ applied after a restart's replay of conf changes). */
  private raftApplied: number;
  private lastSnapshotInstalled = 0;
  private lead = 0;
  /** Since when no leader has been known (requests fail fast once that lasts too long). */
  private noLeaderSince = Date.now();
  /** This member applied its own removal from the cluster. */
  private removed = false;
  private isLeader = false;
  /** Set when this replica applied a NOSPACE alarm (or raised one itself); cleared by a restart. */
  noSpaceAlarm = false;
  private lessor = new Lessor();
  private readonly revoking = new Set<number>();
  private closed = false;
  private failed: Error | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  // the loop
  private loopScheduled = false;
  private loopRunning: Promise<void> | undefined;

  // proposals
  private queue: Waiter[] = [];
  private queueBytes = 0;
  private flushScheduled = false;
  private seq: number;
  private readonly pending = new Map<number, PendingProposal>();
  private readonly byIndex = new Map<number, IndexWatch>();
  private leaderWaiters: Array<() => void> = [];
  private appliedWaiters: Array<{ index: number; resolve: () => void }> = [];

  // reads
  private readQueue: ReadRound['waiters'] = [];
  private readRound: ReadRound | undefined;
  private readSeq = 0;

  // snapshots
  private readonly received = new Map<string, string>();
  private readonly snapshotting = new Set<number>();
  /** Resolves when the backend is usable (not being replaced by a snapshot). */
  restoring: Promise<void> | undefined;
  /** Bumped on every snapshot install: a read that overlapped one is retried. */
  restoreEpoch = 0;

  readonly stats: ReplicaStats = {
    commands: 0,
    proposals: 0,
    readys: 0,
    raftWrites: 0,
    raftSyncs: 0,
    applyBatches: 0,
    appliedEntries: 0,
    readRounds: 0,
    snapshotsSent: 0,
    snapshotsReceived: 0,
    reproposals: 0,
  };

  private readonly tickMs: number;
  private readonly electionTicks: number;
  private readonly requestTimeoutMs: number;
  private readonly noLeaderTimeoutMs: number;
  private readonly snapshotEntries: number;
  private readonly catchUpEntries: number;
  private readonly maxBatchCommands: number;
  private readonly maxBatchBytes: number;
  private readonly log: NonNullable<ReplicaOptions['log']>;

  private constructor(
    private readonly options: ReplicaOptions,
    storage: LevelRaftStorage,
    backend: MvccBackend,
    state: { applied: number; appliedTerm: number; confState: ConfState; members: Map<number, Member> },
  ) {
    this.id = memberId(options.name);
    this.name = options.name;
    this.storage = storage;
    this.backend = backend;
    this.applied = state.applied;
    this.appliedTerm = state.appliedTerm;
    this.durableApplied = state.applied;
    this.confState = state.confState;
    this.members = state.members;
    this.raftApplied = storage.snapshot().metadata.index;
    this.lastSnapshotInstalled = 0;
    this.seq = Date.now() * 1000;
    this.tickMs = options.tickMs ?? 100;
    this.electionTicks = options.electionTicks ?? 10;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 7000;
    this.noLeaderTimeoutMs = options.noLeaderTimeoutMs ?? 3 * this.electionTicks * this.tickMs;
    this.snapshotEntries = options.snapshotEntries ?? 10000;
    this.catchUpEntries = options.snapshotCatchUpEntries ?? 5000;
    this.maxBatchCommands = options.maxBatchCommands ?? 1024;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.log = options.log ?? (() => undefined);
  }

  static async open(options: ReplicaOptions): Promise<Replica> {
    const dir = options.dataDir;
    const raftDir = join(dir, 'raft');
    const mvccDir = join(dir, 'mvcc');
    const incomingDir = join(dir, 'mvcc-incoming');
    const snapDir = join(dir, 'snap');
    await mkdir(dir, { recursive: true });
    const storage = await LevelRaftStorage.open(raftDir);
    let backend: MvccBackend | undefined;
    try {
      await finishSnapshotInstall(storage, mvccDir, incomingDir);
      await rm(snapDir, { recursive: true, force: true });
      await mkdir(snapDir, { recursive: true });
      backend = await MvccBackend.open({
        dir: mvccDir,
        // Quota is an admission check made by the proposer (as etcd's quota KV server): the
        // apply of a committed entry must be deterministic on every replica.
        quotaBytes: Number.MAX_SAFE_INTEGER,
        log: (err, msg) => options.log?.('error', { err }, msg),
      });
      const id = memberId(options.name);
      let applied = decodeApplied(await backend.readMeta(META_APPLIED));
      let conf = decodeConf(await backend.readMeta(META_CONF));
      if (storage.isEmpty() && !options.join) {
        const members = new Map<number, Member>();
        for (const [name, addr] of Object.entries(options.peers)) members.set(memberId(name), { name, addr });
        if (!members.has(id)) throw new Error(`replica ${options.name} is not among the founding peers`);
        if (members.size !== Object.keys(options.peers).length) throw new Error('two peer names map to the same member id');
        const confState: ConfState = { voters: [...members.keys()].sort((a, b) => a - b), learners: [] };
        await storage.bootstrap(confState);
        await backend.applyBatch([], [
          { type: 'put', key: metaKey(META_APPLIED), value: encodeApplied(1, 1) },
          { type: 'put', key: metaKey(META_CONF), value: encodeConf(confState, members) },
        ]);
        applied = { index: 1, term: 1 };
        conf = { confState, members };
      }
      const snapIndex = storage.snapshot().metadata.index;
      if (applied.index < snapIndex) {
        throw new Error(`replica ${options.name}: state machine at ${applied.index} is behind the raft snapshot at ${snapIndex}`);
      }
      const members = conf?.members ?? new Map<number, Member>();
      if (!conf) {
        // A joining member before its first snapshot: it only knows whom to contact.
        for (const [name, addr] of Object.entries(options.peers)) members.set(memberId(name), { name, addr });
      }
      const confState = conf?.confState ?? storage.initialState().confState;
      const r = new Replica(options, storage, backend, { applied: applied.index, appliedTerm: applied.term, confState, members });
      await r.start();
      return r;
    } catch (e) {
      await backend?.close().catch(() => undefined);
      await storage.close().catch(() => undefined);
      throw e;
    }
  }

  private get dirs() {
    const dir = this.options.dataDir;
    return { mvcc: join(dir, 'mvcc'), incoming: join(dir, 'mvcc-incoming'), snap: join(dir, 'snap') };
  }

  private async start(): Promise<void> {
    const listen = this.options.listen ?? this.options.peers[this.name] ?? this.members.get(this.id)?.addr;
    if (!listen) throw new Error(`replica ${this.name}: no listen address`);
    this.transport = await Transport.start({
      id: this.id,
      listen,
      ...(this.options.advertise !== undefined ? { advertise: this.options.advertise } : {}),
      cluster: this.options.cluster ?? 'k8ts',
      handler: {
        onMessages: (msgs) => this.onMessages(msgs),
        onRpc: (from, method, payload) => this.onRpc(from, method, payload),
        onSnapshot: (from, msg, chunks) => this.receiveSnapshot(from, msg, chunks),
        onUnreachable: (id) => {
          if (!this.closed) this.raw.reportUnreachable(id);
        },
        onPeerAddress: (id, addr) => {
          if (!this.transport.hasPeer(id)) this.transport.setPeer(id, addr);
        },
      },
      log: (err, msg) => this.log('warn', { err }, msg),
    });
    for (const [id, m] of this.members) this.transport.setPeer(id, m.addr);
    this.raw = new RawNode({
      id: this.id,
      storage: this.storage,
      electionTick: this.electionTicks,
      heartbeatTick: this.options.heartbeatTicks ?? 1,
      preVote: true,
      checkQuorum: true,
      applied: this.raftApplied,
      random: new SeededRandom(randomInt(1, 2 ** 31)),
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxCommittedSizePerReady: 8 * 1024 * 1024,
    });
    const tick = setInterval(() => {
      if (this.closed) return;
      this.raw.tick();
      this.schedule();
    }, this.tickMs);
    const leases = setInterval(() => this.expireLeases(), LEASE_CHECK_MS);
    this.timers.push(tick, leases);
    for (const t of this.timers) t.unref();
    // A lone voter (or the first founding voter of a new cluster) need not wait an election timeout.
    const voters = this.raw.raft.trk.voterIds();
    const first = [...voters].sort((a, b) => a - b)[0];
    if (first === this.id && (voters.length === 1 || this.raw.raft.raftLog.lastIndex() <= 1)) this.raw.campaign();
    this.schedule();
  }

  // ---- the Raft loop ----

  private schedule(): void {
    if (this.loopScheduled || this.closed) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      if (this.loopRunning || this.closed) return;
      this.loopRunning = this.runLoop().finally(() => {
        this.loopRunning = undefined;
        if (!this.closed && this.raw.hasReady()) this.schedule();
      });
    });
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.closed && this.raw.hasReady()) {
        const rd = this.raw.ready();
        await this.handleReady(rd);
        if (this.closed) return;
        this.raw.advance();
        this.stats.readys++;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState);
    // 1. persist
    if (rd.snapshot) await this.installSnapshot(rd);
    else await this.storage.save(rd);
    this.stats.raftWrites = this.storage.stats.writes;
    this.stats.raftSyncs = this.storage.stats.syncedWrites;
    // 2. send
    const out: Message[] = [];
    for (const m of rd.messages) {
      if (m.type === 'MsgSnap') this.sendSnapshot(m);
      else out.push(m);
    }
    if (out.length > 0) this.transport.send(out);
    // 3. apply
    if (rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries);
    // 4. reads
    for (const rs of rd.readStates) this.onReadState(rs);
    await this.maybeCompactLog();
  }

  private onSoftState(ss: SoftState): void {
    const wasLeader = this.isLeader;
    if (ss.lead === 0 && this.lead !== 0) this.noLeaderSince = Date.now();
    this.lead = ss.lead;
    this.isLeader = ss.raftState === 'leader';
    if (this.isLeader && !wasLeader) {
      // As etcd's lessor on promotion: every lease starts its full TTL again, since the old
      // leader's keep-alives are not known here.
      this.lessor = new Lessor();
      const now = Date.now();
      for (const lease of this.backend.leases.values()) this.lessor.renew(lease.id, lease.ttl, now);
      this.log('info', { term: this.raw.raft.term }, `${this.name} became leader`);
    }
    if (this.lead !== 0) for (const w of this.leaderWaiters.splice(0)) w();
    try {
      this.options.onStateChange?.({ raftState: ss.raftState, leader: ss.lead, leaderName: this.members.get(ss.lead)?.name, term: this.raw.raft.term });
    } catch (e) {
      this.log('warn', { err: e }, 'onStateChange failed');
    }
    // Reads waiting for an answer from a leader that is gone are asked again at once.
    if (this.readRound && !this.isLeader) this.retryReadRound();
  }

  private onMessages(msgs: Message[]): void {
    if (this.closed) return;
    for (const m of msgs) {
      try {
        this.raw.step(m);
      } catch (e) {
        this.log('warn', { err: e, type: m.type, from: m.from }, 'raft: step failed');
      }
    }
    this.schedule();
  }

  // ---- apply ----

  private async applyEntries(entries: Entry[]): Promise<void> {
    const commands: Command[] = [];
    const owned: Array<{ entry: Entry; proposer: number; seq: number; start: number; count: number }> = [];
    let confChanged = false;
    for (const e of entries) {
      if (e.type === 'confChange') {
        const cc = decodeConfChange(e.data);
        this.confState = this.raw.applyConfChange(cc);
        this.applyMemberChange(cc);
        if (e.index > this.applied) confChanged = true;
        continue;
      }
      if (e.index <= this.applied || e.data.byteLength === 0) continue;
      const p = decodeProposal(e.data);
      owned.push({ entry: e, proposer: p.id.proposer, seq: p.id.seq, start: commands.length, count: p.commands.length });
      for (const c of p.commands) commands.push(c);
    }
    const last = entries[entries.length - 1]!;
    let results: CommandResult[] = [];
    if (last.index > this.applied) {
      const extra = [{ type: 'put' as const, key: metaKey(META_APPLIED), value: encodeApplied(last.index, last.term) }];
      if (confChanged) extra.push({ type: 'put', key: metaKey(META_CONF), value: encodeConf(this.confState, this.members) });
      // Not fsynced: the entries are durable in the raft log, and a crash replays them from
      // the applied index stored with the data. The log is only compacted below an index
      // the backend has synced (maybeCompactLog).
      results = await this.backend.applyBatch(commands, extra, { sync: false });
      this.stats.applyBatches++;
      this.stats.appliedEntries += entries.filter((e) => e.index > this.applied).length;
      this.applied = last.index;
      this.appliedTerm = last.term;
    }
    this.raftApplied = last.index;
    // Leases: every replica tracks deadlines of applied grants; only the leader acts on them.
    const now = Date.now();
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i]!;
      const r = results[i];
      if (r instanceof StoreError) continue;
      if (c.type === 'leaseGrant') this.lessor.renew(c.id, c.ttl, now);
      else if (c.type === 'leaseRevoke') this.lessor.forget(c.id);
      else if (c.type === 'alarm') this.noSpaceAlarm = true;
    }
    // Answer our own proposals.
    for (const o of owned) {
      if (o.proposer !== this.id) continue;
      const p = this.pending.get(o.seq);
      if (!p || p.done) continue;
      this.settleProposal(p, results.slice(o.start, o.start + o.count));
    }
    // Entries at indexes we were waiting on: ours, or a sign that ours was lost.
    if (this.byIndex.size > 0) {
      for (const e of entries) {
        const w = this.byIndex.get(e.index);
        if (!w) continue;
        this.byIndex.delete(e.index);
        w.settle(e.term === w.term ? 'ok' : 'lost', e);
      }
    }
    this.wakeApplied();
  }

  private applyMemberChange(cc: ConfChange): void {
    if (cc.type === 'removeNode') {
      this.members.delete(cc.nodeId);
      this.transport.removePeer(cc.nodeId);
      if (cc.nodeId === this.id) {
        this.removed = true;
        this.log('warn', {}, `${this.name} was removed from the cluster`);
      }
      return;
    }
    const m = decodeMemberContext(cc.context) ?? this.members.get(cc.nodeId);
    if (!m) return;
    this.members.set(cc.nodeId, m);
    if (cc.nodeId !== this.id) this.transport.setPeer(cc.nodeId, m.addr);
  }

  private wakeApplied(): void {
    if (this.appliedWaiters.length === 0) return;
    const still: typeof this.appliedWaiters = [];
    for (const w of this.appliedWaiters) {
      if (w.index <= this.applied) w.resolve();
      else still.push(w);
    }
    this.appliedWaiters = still;
  }

  /** Resolves once the backend has applied `index` (rejects at the deadline). */
  waitApplied(index: number, deadline: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.appliedWaiters = this.appliedWaiters.filter((w) => w !== entry);
        reject(errTimeout());
      }, Math.max(1, deadline - Date.now()));
      const entry = {
        index,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.appliedWaiters.push(entry);
    });
  }

  // ---- log compaction ----

  private async maybeCompactLog(): Promise<void> {
    const snapIndex = this.storage.snapshot().metadata.index;
    if (this.raftApplied < this.applied || this.applied - snapIndex < this.snapshotEntries) return;
    await this.syncApplied();
    await this.storage.compact(this.applied, this.confState, this.catchUpEntries);
  }

  /** Makes every applied batch durable (one synced write of the applied index). */
  private async syncApplied(): Promise<void> {
    if (this.durableApplied >= this.applied) return;
    const index = this.applied;
    await this.backend.applyBatch([], [{ type: 'put', key: metaKey(META_APPLIED), value: encodeApplied(index, this.appliedTerm) }], { sync: true });
    this.durableApplied = index;
  }

  // ---- snapshots ----

  /** Streams the MVCC database, as of now, to a follower the log cannot catch up. */
  private sendSnapshot(m: Message): void {
    const to = m.to;
    if (this.snapshotting.has(to)) return; // one stream per follower; its outcome is reported
    const exp = this.backend.exportState(); // taken now: between two applied batches
    this.snapshotting.add(to);
    void (async () => {
      let ok = false;
      try {
        const applied = decodeApplied(await exp.readMeta(META_APPLIED));
        const conf = decodeConf(await exp.readMeta(META_CONF));
        if (!conf || applied.index === 0) throw new Error('state machine has no raft metadata');
        const msg: Message = {
          ...m,
          snapshot: { metadata: { index: applied.index, term: applied.term, confState: conf.confState }, data: EMPTY },
        };
        async function* chunks() {
          for await (const batch of exp.chunks(SNAPSHOT_CHUNK_BYTES)) yield encodeKvChunk(batch);
        }
        const bytes = await this.transport.sendSnapshot(to, msg, chunks());
        this.stats.snapshotsSent++;
        this.log('info', { to, index: applied.index, bytes }, 'snapshot sent');
        ok = true;
      } catch (e) {
        this.log('warn', { err: e, to }, 'snapshot send failed');
      } finally {
        await exp.close().catch(() => undefined);
        this.snapshotting.delete(to);
      }
      if (this.closed) return;
      this.raw.reportSnapshot(to, ok ? 'finish' : 'failure');
      this.schedule();
    })();
  }

  /** Stores a snapshot streamed by the leader, then hands its MsgSnap to Raft. */
  private async receiveSnapshot(_from: number, msg: Message, chunks: AsyncIterable<Buffer>): Promise<void> {
    if (this.closed) throw new Error('replica is closed');
    const meta = msg.snapshot?.metadata;
    if (!meta) throw new Error('MsgSnap without a snapshot');
    if (meta.index <= this.raw.raft.raftLog.committed) {
      // Nothing new for us: let Raft answer with where we are.
      for await (const _ of chunks) {
        // discard
      }
      this.raw.step(msg);
      this.schedule();
      return;
    }
    const key = `${meta.index}-${meta.term}`;
    const dir = join(this.dirs.snap, `${key}-${randomBytes(4).toString('hex')}`);
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      let batch: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
      let bytes = 0;
      for await (const chunk of chunks) {
        for (const [k, v] of decodeKvChunk(chunk)) {
          batch.push({ type: 'put', key: k, value: v });
          bytes += k.length + v.length;
        }
        if (bytes >= 4 * 1024 * 1024) {
          await db.batch(batch);
          batch = [];
          bytes = 0;
        }
      }
      await db.batch(batch, { sync: true });
      const applied = decodeApplied(await db.get(metaKey(META_APPLIED)));
      if (applied.index !== meta.index || applied.term !== meta.term) {
        throw new Error(`snapshot data is at ${applied.index}/${applied.term}, its message says ${meta.index}/${meta.term}`);
      }
    } catch (e) {
      await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    await db.close();
    if (this.closed) {
      await rm(dir, { recursive: true, force: true });
      throw new Error('replica is closed');
    }
    const old = this.received.get(key);
    if (old) await rm(old, { recursive: true, force: true });
    this.received.set(key, dir);
    this.stats.snapshotsReceived++;
    this.raw.step(msg);
    this.schedule();
  }

  /** Ready step 1 with a snapshot: install it in raft storage and replace the MVCC state. */
  private async installSnapshot(rd: Ready): Promise<void> {
    const meta = rd.snapshot!.metadata;
    const key = `${meta.index}-${meta.term}`;
    const dir = this.received.get(key);
    if (!dir) throw new Error(`raft installed snapshot ${key}, whose data was never received`);
    this.received.delete(key);
    const { incoming } = this.dirs;
    await rm(incoming, { recursive: true, force: true });
    await rename(dir, incoming);
    // From here a crash finishes the install on restart (see finishSnapshotInstall).
    await this.storage.save(rd);
    let done!: () => void;
    this.restoring = new Promise<void>((r) => (done = r));
    this.restoreEpoch++;
    try {
      await this.backend.restore(incoming);
    } finally {
      this.restoring = undefined;
      done();
    }
    const conf = decodeConf(await this.backend.readMeta(META_CONF));
    this.applied = this.raftApplied = this.durableApplied = meta.index;
    this.appliedTerm = meta.term;
    this.lastSnapshotInstalled = meta.index;
    this.confState = meta.confState;
    if (conf) {
      for (const id of this.members.keys()) if (!conf.members.has(id)) this.transport.removePeer(id);
      this.members.clear();
      for (const [id, m] of conf.members) {
        this.members.set(id, m);
        if (id !== this.id) this.transport.setPeer(id, m.addr);
      }
    }
    this.lessor = new Lessor();
    const now = Date.now();
    for (const lease of this.backend.leases.values()) this.lessor.renew(lease.id, lease.ttl, now);
    // Entries we were waiting on may or may not be inside the snapshot: we cannot tell.
    for (const [index, w] of this.byIndex) {
      if (index > meta.index) continue;
      this.byIndex.delete(index);
      w.settle('unknown');
    }
    for (const [k, d] of this.received) {
      if (Number(k.split('-')[0]) > meta.index) continue;
      this.received.delete(k);
      await rm(d, { recursive: true, force: true });
    }
    this.log('info', { index: meta.index }, `${this.name} installed a snapshot`);
    this.wakeApplied();
  }

  // ---- proposals ----

  /** Proposes a command through the log; resolves with its result once applied here. */
  submit(command: Command): Promise<CommandResult> {
    this.checkUsable();
    const encoded = encodeCommand(command);
    this.stats.commands++;
    return new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({ encoded, resolve, reject });
      this.queueBytes += encoded.length;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushQueue());
      }
    });
  }

  private flushQueue(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < this.maxBatchCommands && (n === 0 || bytes + this.queue[n]!.encoded.length <= this.maxBatchBytes)) {
        bytes += this.queue[n]!.encoded.length;
        n++;
      }
      const waiters = this.queue.splice(0, n);
      this.queueBytes -= bytes;
      const seq = ++this.seq;
      const p: PendingProposal = {
        seq,
        data: encodeProposalParts({ proposer: this.id, seq }, waiters.map((w) => w.encoded)),
        waiters,
        deadline: Date.now() + this.requestTimeoutMs,
        timer: undefined,
        index: 0,
        term: 0,
        done: false,
      };
      p.timer = setTimeout(() => this.failProposal(p, p.index > 0 || p.term < 0 ? errUnknownOutcome() : errTimeout()), this.requestTimeoutMs);
      this.pending.set(seq, p);
      this.stats.proposals++;
      void this.propose(p);
    }
  }

  private settleProposal(p: PendingProposal, results: CommandResult[]): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    this.pending.delete(p.seq);
    p.waiters.forEach((w, i) => w.resolve(results[i]!));
  }

  private failProposal(p: PendingProposal, e: unknown): void {
    if (p.done) return;
    p.done = true;
    clearTimeout(p.timer);
    this.pending.delete(p.seq);
    if (p.index > 0 && this.byIndex.get(p.index)?.term === p.term) this.byIndex.delete(p.index);
    for (const w of p.waiters) w.reject(e);
  }

  /** Gets the proposal into the leader's log, learning its (index, term). Retries while it surely is not there. */
  private async propose(p: PendingProposal): Promise<void> {
    for (;;) {
      if (p.done) return;
      if (this.closed) return this.failProposal(p, errors.closed());
      if (Date.now() >= p.deadline) return this.failProposal(p, errTimeout());
      let at: { index: number; term: number };
      try {
        at = await this.proposeToLeader(p.data, 'propose', p.deadline);
      } catch (e) {
        if (e instanceof RpcRefusal) {
          // Surely not in the log: try again (a leader is being elected or moving).
          await sleep(Math.min(this.tickMs, Math.max(0, p.deadline - Date.now())));
          continue;
        }
        if (e instanceof TransportError) {
          // The leader may or may not have it: wait for it to be applied, or for the deadline.
          p.term = -1;
          return;
        }
        return this.failProposal(p, e);
      }
      if (p.done) return;
      if (at.index <= this.applied) {
        // Applied already, and not ours (or it would be done).
        if (at.index <= this.lastSnapshotInstalled) return this.failProposal(p, errUnknownOutcome());
        this.stats.reproposals++;
        continue;
      }
      p.index = at.index;
      p.term = at.term;
      const lost = await new Promise<boolean>((resolve) => {
        this.byIndex.set(at.index, {
          term: at.term,
          settle: (outcome) => {
            if (outcome === 'unknown') {
              this.failProposal(p, errUnknownOutcome());
              resolve(false);
            } else resolve(outcome === 'lost');
          },
        });
      });
      if (!lost || p.done) return;
      // Another entry took its index: it can never commit. Propose it again.
      this.stats.reproposals++;
      p.index = 0;
      p.term = 0;
    }
  }

  /**
   * Appends `data` (an encoded proposal, or a conf change) to the leader's log — here if we
   * lead, else through the leader — and returns where it landed.
   * Throws RpcRefusal when it surely did not land, TransportError when we cannot tell.
   */
  private async proposeToLeader(data: Uint8Array, kind: 'propose' | 'confChange', deadline: number): Promise<{ index: number; term: number }> {
    if (this.lead === 0) await this.waitForLeader(deadline);
    if (this.lead === this.id) return this.appendLocal(data, kind);
    const lead = this.lead;
    try {
      const res = await this.transport.rpc(lead, kind, data, Math.max(1, deadline - Date.now()));
      return decodeIndexTerm(res);
    } catch (e) {
      if (e instanceof RemoteError && (e.code === 'not-leader' || e.code === 'dropped' || e.code === 'busy')) {
        if (kind === 'confChange' && e.code === 'dropped') throw unavailable(e.message);
        throw new RpcRefusal(e.code, e.message);
      }
      // Never sent: surely not in the log.
      if (e instanceof TransportError && !e.sent) throw new RpcRefusal('not-leader', e.message);
      if (e instanceof RemoteError && e.storeCode) throw new StoreError(e.storeCode as StoreError['code'], e.message);
      throw e;
    }
  }

  private appendLocal(data: Uint8Array, kind: 'propose' | 'confChange'): { index: number; term: number } {
    const raft = this.raw.raft;
    if (raft.state !== 'leader') throw new RpcRefusal('not-leader', 'not the leader');
    // One membership change at a time: wait (retrying) until the previous one is applied.
    if (kind === 'confChange' && raft.pendingConfIndex > raft.raftLog.applied) throw new RpcRefusal('busy', 'a configuration change is pending');
    if (kind === 'confChange') this.checkPromotion(decodeConfChange(data));
    try {
      if (kind === 'propose') this.raw.propose(data);
      else this.raw.proposeConfChange(decodeConfChange(data));
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) {
        if (kind === 'confChange') throw unavailable(e.message);
        throw new RpcRefusal('dropped', e.message);
      }
      throw e;
    }
    this.schedule();
    return { index: raft.raftLog.lastIndex(), term: raft.term };
  }

  /**
   * On the leader: a learner is promoted only once its log is nearly the leader's (etcd's
   * rule: it has matched at least 90% of the leader's log), so that the new voter does not
   * stall commits while it catches up.
   */
  private checkPromotion(cc: ConfChange): void {
    if (cc.type !== 'addNode' || !this.confState.learners.includes(cc.nodeId)) return;
    const raft = this.raw.raft;
    const match = raft.trk.progress.get(cc.nodeId)?.match ?? 0;
    if (match < raft.raftLog.lastIndex() * 0.9) {
      throw unavailable('etcdserver: can only promote a learner member which is in sync with leader');
    }
  }

  private waitForLeader(deadline: number): Promise<void> {
    if (this.lead !== 0) return Promise.resolve();
    // Bounded by how long the cluster has been leaderless, not by when this request came.
    const until = Math.min(deadline, Math.max(this.noLeaderSince + this.noLeaderTimeoutMs, Date.now() + this.tickMs));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.leaderWaiters = this.leaderWaiters.filter((w) => w !== wake);
        reject(errNoLeader());
      }, Math.max(1, until - Date.now()));
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.leaderWaiters.push(wake);
    });
  }

  // ---- RPCs from peers ----

  private async onRpc(from: number, method: string, payload: Buffer): Promise<Buffer> {
    if (this.closed) throw new RpcRefusal('not-leader', 'replica is closing');
    if (this.isLeader && !this.raw.raft.trk.progress.has(from)) throw errRemoved();
    switch (method) {
      case 'propose':
      case 'confChange': {
        const at = this.appendLocal(payload, method);
        return encodeIndexTerm(at.index, at.term);
      }
      case 'leaseKeepAlive': {
        const id = new Reader(payload).uvarint();
        const ttl = await this.leaderKeepAlive(id);
        return new Writer(16).uvarint(ttl).finish();
      }
      case 'leaseRemaining': {
        const id = new Reader(payload).uvarint();
        const remaining = await this.leaderRemaining(id);
        return new Writer(16).num(remaining).finish();
      }
      default:
        throw new Error(`unknown rpc ${method}`);
    }
  }

  // ---- reads ----

  /**
   * Resolves once this replica has applied everything committed before the call
   * (ReadIndex): reading the local backend afterwards is linearizable.
   */
  readBarrier(timeoutMs = this.requestTimeoutMs): Promise<void> {
    this.checkUsable();
    return new Promise<void>((resolve, reject) => {
      this.readQueue.push({ resolve, reject, deadline: Date.now() + timeoutMs });
      if (!this.readRound) setImmediate(() => this.startReadRound());
    });
  }

  private startReadRound(): void {
    if (this.readRound || this.readQueue.length === 0 || this.closed) return;
    const round: ReadRound = { ctx: Buffer.alloc(0), waiters: this.readQueue, timer: undefined };
    this.readQueue = [];
    this.readRound = round;
    this.stats.readRounds++;
    this.issueReadRound(round);
  }

  private issueReadRound(round: ReadRound): void {
    if (this.readRound !== round || this.closed) return;
    const now = Date.now();
    round.waiters = round.waiters.filter((w) => {
      if (w.deadline > now) return true;
      w.reject(this.lead === 0 ? errNoLeader() : errTimeout());
      return false;
    });
    if (round.waiters.length === 0) return this.endReadRound();
    round.ctx = new Writer(16).uvarint(this.id).uvarint(++this.readSeq).finish();
    clearTimeout(round.timer);
    let retryMs = Math.max(200, 5 * this.tickMs);
    if (this.lead === 0) {
      if (now - this.noLeaderSince >= this.noLeaderTimeoutMs) {
        for (const w of round.waiters) w.reject(errNoLeader());
        round.waiters = [];
        return this.endReadRound();
      }
      retryMs = this.tickMs;
    } else {
      try {
        this.raw.readIndex(round.ctx);
        this.schedule();
      } catch (e) {
        if (!isRaftError(e, 'proposal-dropped')) throw e;
        retryMs = this.tickMs;
      }
    }
    round.timer = setTimeout(() => this.issueReadRound(round), retryMs);
  }

  private retryReadRound(): void {
    const round = this.readRound;
    if (!round) return;
    clearTimeout(round.timer);
    round.timer = setTimeout(() => this.issueReadRound(round), this.tickMs);
  }

  private endReadRound(): void {
    const round = this.readRound;
    if (round) clearTimeout(round.timer);
    this.readRound = undefined;
    if (this.readQueue.length > 0) setImmediate(() => this.startReadRound());
  }

  private onReadState(rs: ReadState): void {
    const round = this.readRound;
    if (!round || Buffer.compare(Buffer.from(rs.requestCtx), round.ctx) !== 0) return;
    this.endReadRound();
    const index = rs.index;
    for (const w of round.waiters) {
      this.waitApplied(index, w.deadline).then(w.resolve, w.reject);
    }
  }

  // ---- leases ----

  /** Renews a lease on the leader (forwarded when we are not it); returns its TTL. */
  async leaseKeepAlive(id: number): Promise<number> {
    this.checkUsable();
    const deadline = Date.now() + this.requestTimeoutMs;
    const payload = new Writer(16).uvarint(id).finish();
    const res = await this.onLeader(deadline, async () => new Writer(16).uvarint(await this.leaderKeepAlive(id)).finish(), 'leaseKeepAlive', payload);
    return new Reader(res).uvarint();
  }

  /** Remaining seconds of a lease as the leader's lessor sees it; -1 if unknown. */
  async leaseRemaining(id: number): Promise<number> {
    this.checkUsable();
    const deadline = Date.now() + this.requestTimeoutMs;
    const payload = new Writer(16).uvarint(id).finish();
    const res = await this.onLeader(deadline, async () => new Writer(16).num(await this.leaderRemaining(id)).finish(), 'leaseRemaining', payload);
    return new Reader(res).num();
  }

  private async onLeader(deadline: number, local: () => Promise<Buffer>, method: string, payload: Buffer): Promise<Buffer> {
    for (;;) {
      if (this.closed) throw errors.closed();
      if (Date.now() >= deadline) throw errTimeout();
      if (this.lead === 0) await this.waitForLeader(deadline);
      if (this.lead === this.id) {
        try {
          return await local();
        } catch (e) {
          if (e instanceof RpcRefusal) {
            await sleep(this.tickMs);
            continue;
          }
          throw e;
        }
      }
      const lead = this.lead;
      try {
        return await this.transport.rpc(lead, method, payload, Math.max(1, deadline - Date.now()));
      } catch (e) {
        if (e instanceof RemoteError) {
          if (e.storeCode) throw new StoreError(e.storeCode as StoreError['code'], e.message);
          if (e.code === 'not-leader' || e.code === 'dropped') {
            await sleep(this.tickMs);
            continue;
          }
          throw unavailable(e.message);
        }
        if (e instanceof TransportError) {
          await sleep(this.tickMs);
          continue;
        }
        throw e;
      }
    }
  }

  /** On the leader: wait until everything committed is applied, so the lease table is current. */
  private async leaderCaughtUp(): Promise<void> {
    if (!this.isLeader) throw new RpcRefusal('not-leader', 'not the leader');
    await this.waitApplied(this.raw.raft.raftLog.committed, Date.now() + this.requestTimeoutMs);
    if (!this.isLeader) throw new RpcRefusal('not-leader', 'not the leader');
  }

  private async leaderKeepAlive(id: number): Promise<number> {
    await this.leaderCaughtUp();
    const lease = this.backend.leases.get(id);
    if (!lease || this.revoking.has(id)) throw errors.leaseNotFound();
    this.lessor.renew(id, lease.ttl, Date.now());
    return lease.ttl;
  }

  private async leaderRemaining(id: number): Promise<number> {
    await this.leaderCaughtUp();
    if (!this.backend.leases.has(id)) return -1;
    return this.lessor.remaining(id, Date.now()) ?? -1;
  }

  private expireLeases(): void {
    if (!this.isLeader || this.closed || this.failed) return;
    for (const id of this.lessor.expired(Date.now())) {
      if (this.revoking.has(id)) continue;
      if (!this.backend.leases.has(id)) {
        this.lessor.forget(id);
        continue;
      }
      this.revoking.add(id);
      this.submit({ type: 'leaseRevoke', id })
        .then((r) => {
          if (r instanceof StoreError && r.code === 'lease-not-found') this.lessor.forget(id);
        })
        .catch(() => undefined) // retried on the next check while still expired
        .finally(() => this.revoking.delete(id));
    }
  }

  // ---- membership ----

  /** Proposes a membership change and resolves once it is applied here. */
  async changeMembership(cc: ConfChange): Promise<void> {
    this.checkUsable();
    const deadline = Date.now() + this.requestTimeoutMs;
    for (;;) {
      if (Date.now() >= deadline) throw errTimeout();
      let at: { index: number; term: number };
      try {
        at = await this.proposeToLeader(encodeConfChange(cc), 'confChange', deadline);
      } catch (e) {
        if (e instanceof RpcRefusal) {
          await sleep(this.tickMs);
          continue;
        }
        if (e instanceof TransportError) {
          if (!e.sent) {
            await sleep(this.tickMs);
            continue;
          }
          throw errUnknownOutcome();
        }
        throw e;
      }
      const outcome = await new Promise<'ok' | 'lost' | 'unknown' | 'timeout'>((resolve) => {
        if (at.index <= this.applied) return resolve('unknown');
        const timer = setTimeout(() => {
          this.byIndex.delete(at.index);
          resolve('timeout');
        }, Math.max(1, deadline - Date.now()));
        this.byIndex.set(at.index, {
          term: at.term,
          settle: (o) => {
            clearTimeout(timer);
            resolve(o);
          },
        });
      });
      if (outcome === 'ok') return;
      if (outcome === 'lost') continue;
      throw outcome === 'timeout' ? errTimeout() : errUnknownOutcome();
    }
  }

  memberList(): MemberInfo[] {
    const learners = new Set(this.confState.learners);
    const inConf = new Set([...this.confState.voters, ...this.confState.learners]);
    const out: MemberInfo[] = [];
    for (const [id, m] of this.members) {
      if (!inConf.has(id)) continue;
      out.push({ id, name: m.name, addr: m.addr, learner: learners.has(id) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  memberIdByName(name: string): number | undefined {
    for (const [id, m] of this.members) if (m.name === name) return id;
    return undefined;
  }

  memberByName(name: string): Member | undefined {
    const id = this.memberIdByName(name);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** Asks the leader to hand leadership to `name` (best effort). */
  transferLeadership(name: string): void {
    const id = this.memberIdByName(name);
    if (id === undefined) throw new Error(`unknown member ${name}`);
    try {
      this.raw.transferLeader(id);
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) throw errNoLeader();
      throw e;
    }
    this.schedule();
  }

  // ---- status / lifecycle ----

  status(): ReplicaStatus {
    const st = this.raw.status();
    this.stats.raftWrites = this.storage.stats.writes;
    this.stats.raftSyncs = this.storage.stats.syncedWrites;
    return {
      id: this.id,
      name: this.name,
      raftState: st.softState.raftState,
      leader: st.softState.lead,
      leaderName: this.members.get(st.softState.lead)?.name,
      term: st.hardState.term,
      commit: st.hardState.commit,
      applied: this.applied,
      appliedTerm: this.appliedTerm,
      snapshotIndex: this.storage.snapshot().metadata.index,
      members: this.memberList(),
      stats: { ...this.stats },
    };
  }

  get leaderId(): number {
    return this.lead;
  }

  /** Current Raft term (cheap; status() builds much more). */
  get term(): number {
    return this.raw.raft.term;
  }

  /** Raft's commit index. */
  get commitIndex(): number {
    return this.raw.raft.raftLog.committed;
  }

  /** Whether this member is a learner in the configuration it has applied. */
  get isLearner(): boolean {
    return this.confState.learners.includes(this.id);
  }

  get appliedIndex(): number {
    return this.applied;
  }

  checkUsable(): void {
    if (this.closed) throw errors.closed();
    if (this.failed) throw unavailable(`replica failed: ${this.failed.message}`);
    if (this.removed) throw errRemoved();
  }

  private fail(e: unknown): void {
    if (this.failed || this.closed) return;
    this.failed = e instanceof Error ? e : new Error(String(e));
    this.log('error', { err: e }, `replica ${this.name} failed; stopping`);
    void this.shutdown(unavailable(`replica failed: ${this.failed.message}`));
  }

  async close(): Promise<void> {
    await this.shutdown(errors.closed());
  }

  private shutdownPromise: Promise<void> | undefined;

  private shutdown(reason: Error): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      for (const p of [...this.pending.values()]) this.failProposal(p, reason);
      for (const w of this.queue.splice(0)) w.reject(reason);
      for (const w of this.readQueue.splice(0)) w.reject(reason);
      if (this.readRound) {
        clearTimeout(this.readRound.timer);
        for (const w of this.readRound.waiters) w.reject(reason);
        this.readRound = undefined;
      }
      for (const [, w] of this.byIndex) w.settle('unknown');
      this.byIndex.clear();
      await this.transport?.close().catch(() => undefined);
      await this.loopRunning;
      if (!this.failed) await this.syncApplied().catch(() => undefined);
      await this.backend.close().catch(() => undefined);
      await this.storage.close().catch(() => undefined);
      for (const d of this.received.values()) await rm(d, { recursive: true, force: true }).catch(() => undefined);
    })();
    return this.shutdownPromise;
  }
}

/**
 * A crash between recording an installed snapshot in raft storage and moving its MVCC
 * database into place is finished here; a database received but never recorded is dropped.
 */
export async function finishSnapshotInstall(storage: LevelRaftStorage, mvccDir: string, incomingDir: string): Promise<void> {
  if (!(await exists(incomingDir))) return;
  const db = new ClassicLevel<Buffer, Buffer>(incomingDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  let index = 0;
  try {
    await db.open();
    index = decodeApplied(await db.get(metaKey(META_APPLIED))).index;
  } catch {
    index = 0;
  } finally {
    await db.close().catch(() => undefined);
  }
  if (index > 0 && index === storage.snapshot().metadata.index) {
    await rm(mvccDir, { recursive: true, force: true });
    await rename(incomingDir, mvccDir);
  } else {
    await rm(incomingDir, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

