// RawNode: the application-facing API of the Raft core (etcd-io/raft's RawNode). Feed it
// ticks, peer messages and client requests; take a Ready, persist/send/apply it, then call
// advance(). Single-threaded and synchronous; everything that happens is a function of the
// calls made and the seeded RandomSource in the config.
import { Raft } from './raft.ts';
import type { RaftConfig, Status } from './raft.ts';
import type { ConfChange, ConfState, Entry, HardState, Message, Ready, SoftState } from './types.ts';
import { NONE, RaftError, encodeConfChange, hardStateEqual, isEmptyHardState, isRaftError, isResponseMsg, payloadsSize } from './types.ts';

export type SnapshotStatus = 'finish' | 'failure';

export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet acknowledged with advance(). */
  private inFlight: Ready | undefined;

  /**
   * Creates a node from what `config.storage` holds: a brand-new member (the storage holds
   * only the initial membership) or a restarted one (hard state, snapshot and log).
   */
  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): number {
    return this.raft.id;
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (a pre-election first when preVote is on). */
  campaign(): void {
    this.raft.hup(this.raft.preVote ? 'preElection' : 'election');
  }

  /**
   * Proposes `data` for the log. On a follower it is forwarded to the leader. Throws
   * RaftError 'proposal-dropped' when it cannot be accepted (no known leader, leadership
   * transfer in progress, uncommitted cap reached, forwarding disabled). Acceptance is not
   * commitment: the entry may still be lost if leadership changes; watch committedEntries.
   */
  propose(data: Uint8Array): void {
    this.raft.step({ type: 'MsgProp', from: this.raft.id, to: NONE, term: 0, entries: [propEntry('normal', data)] });
  }

  /** Proposes a membership change (one server at a time; one pending at a time). */
  proposeConfChange(cc: ConfChange): void {
    const data = encodeConfChange(cc);
    this.raft.step({ type: 'MsgProp', from: this.raft.id, to: NONE, term: 0, entries: [propEntry('confChange', data)] });
  }

  /**
   * Steps a message received from a peer. Messages from peers that are not members are
   * ignored when they are responses. A forwarded proposal this node cannot accept is
   * dropped silently (the proposer's client times out, as with a lost message).
   */
  step(m: Message): void {
    if (m.term === 0 && m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') {
      throw new RaftError('invalid', `${m.type} from the network must carry a term`);
    }
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) return;
    try {
      this.raft.step(m);
    } catch (e) {
      if (isRaftError(e, 'proposal-dropped')) return;
      throw e;
    }
  }

  /**
   * Requests a linearizable read point. `ctx` identifies the request and must be unique
   * among outstanding reads; the answer arrives as a ReadState with the same context in a
   * later Ready (none if leadership changes meanwhile: retry after a timeout). Throws
   * 'proposal-dropped' when no leader is known.
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step({ type: 'MsgReadIndex', from: NONE, to: NONE, term: 0, context: ctx });
  }

  /** Asks the leader to hand leadership to `transferee` (forwarded when called on a follower). */
  transferLeader(transferee: number): void {
    this.raft.step({ type: 'MsgTransferLeader', from: transferee, to: NONE, term: 0 });
  }

  /** Applies a committed conf change entry's change; returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  reportUnreachable(id: number): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.raft.reportSnapshot(id, status === 'finish');
  }

  /** True when ready() would return something to do. False while a Ready is awaiting advance(). */
  hasReady(): boolean {
    if (this.inFlight) return false;
    const r = this.raft;
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.raftLog.unstableEntries().length > 0) return true;
    return r.raftLog.hasNextCommittedEnts();
  }

  /**
   * What to persist, send and apply now (see `Ready` for the order). Must be followed by
   * advance() before the next ready(); steps and ticks in between are fine.
   */
  ready(): Ready {
    if (this.inFlight) throw new RaftError('invalid', 'ready() called again before advance()');
    const r = this.raft;
    const entries = [...r.raftLog.unstableEntries()];
    const rd: Ready = {
      entries,
      committedEntries: r.raftLog.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: false,
    };
    r.msgs = [];
    r.readStates = [];
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) rd.softState = soft;
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) rd.hardState = hs;
    const snap = r.raftLog.unstable.snapshot;
    if (snap) rd.snapshot = snap;
    rd.mustSync = entries.length > 0 || hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote;
    this.inFlight = rd;
    return rd;
  }

  /** The last Ready has been persisted, sent and applied. */
  advance(): void {
    const rd = this.inFlight;
    if (!rd) throw new RaftError('invalid', 'advance() without a Ready');
    this.inFlight = undefined;
    const log = this.raft.raftLog;
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      log.stableTo(last.index, last.term);
    }
    if (rd.committedEntries.length > 0) {
      log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.index);
      this.raft.reduceUncommittedSize(payloadsSize(rd.committedEntries));
    }
  }

  status(): Status {
    return this.raft.status();
  }
}

function propEntry(type: Entry['type'], data: Uint8Array): Entry {
  return { term: 0, index: 0, type, data };
}
