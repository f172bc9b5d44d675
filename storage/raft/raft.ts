// The Raft consensus algorithm as a pure, deterministic state machine. It never reads a
// clock, touches a socket or a disk, or draws randomness of its own: time passes when the
// owner calls tick(), messages arrive through step(), and everything it wants done (persist,
// send, apply) accumulates in its state for RawNode to hand out as a Ready.
//
// Follows the Raft paper (Ongaro & Ousterhout, 2014) and the Raft thesis (Ongaro, 2014), with
// the extensions etcd-io/raft popularized: PreVote (thesis §9.6), CheckQuorum and leader
// leases (§6.2/§4.2.3), ReadIndex (§6.4), leadership transfer (§3.10), learners, flow
// control with probe/replicate/snapshot states, and a cap on the uncommitted log tail.
import { applyConfChangeToConfState, confChangeProblem } from './confchange.ts';
import { RaftLog } from './log.ts';
import { Progress, ProgressTracker } from './progress.ts';
import type { ProgressState } from './progress.ts';
import type { RandomSource } from './rand.ts';
import { SeededRandom } from './rand.ts';
import { ReadOnly } from './read-only.ts';
import type { ReadOnlyOption } from './read-only.ts';
import type { Storage } from './storage.ts';
import type { ConfChange, ConfState, Entry, HardState, Message, MessageType, ReadState, Snapshot, SoftState, StateType } from './types.ts';
import { NONE, RaftError, decodeConfChange, errProposalDropped, isEmptyHardState, isEmptySnapshot, isRaftError, payloadsSize, voteRespMsgType } from './types.ts';

export interface RaftConfig {
  /** This node's id; positive. */
  id: number;
  /** Stable storage; for a brand-new cluster it must hold the initial membership. */
  storage: Storage;
  /** Ticks a follower waits without hearing from a leader before campaigning. Default 10. */
  electionTick?: number;
  /** Ticks between a leader's heartbeats. Must be < electionTick. Default 1. */
  heartbeatTick?: number;
  /** The last index the application applied (on restart); entries up to it are not handed out again. */
  applied?: number;
  /** Bytes of entries per MsgApp (entrySize). 0 means one entry per message. Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Bytes of committed entries per Ready. Default unlimited. */
  maxCommittedSizePerReady?: number;
  /** Payload bytes the leader accepts in its uncommitted tail before dropping proposals. 0/undefined: no limit. */
  maxUncommittedEntriesSize?: number;
  /** Unacknowledged MsgApps per follower in replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Leader steps down after an election timeout without hearing from a quorum; voters honor leader leases. */
  checkQuorum?: boolean;
  /** Run a pre-election before incrementing the term (thesis §9.6). */
  preVote?: boolean;
  /** 'safe' (default): ReadIndex confirms leadership with a heartbeat round. 'leaseBased' needs checkQuorum. */
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** Source of the randomized election timeouts. Default: SeededRandom(id). */
  random?: RandomSource;
}

export type CampaignType = 'preElection' | 'election' | 'transfer';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  recentActive: boolean;
  paused: boolean;
  pendingSnapshot: number;
  inflight: number;
}

export interface Status {
  id: number;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  lastIndex: number;
  config: ConfState;
  leadTransferee: number;
  /** Followers' replication progress; only on the leader. */
  progress?: Map<number, ProgressStatus>;
}

const DEFAULT_MAX_SIZE_PER_MSG = 1024 * 1024;

export class Raft {
  readonly id: number;
  term = 0;
  vote = NONE;
  lead = NONE;
  state: StateType = 'follower';
  /** True while this node is a learner in its current configuration. */
  isLearner = false;

  readonly raftLog: RaftLog;
  trk: ProgressTracker;
  /** Messages to send once the current Ready has been persisted. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  /** The node leadership is being transferred to (thesis §3.10), or NONE. */
  leadTransferee = NONE;
  /** ≥ the index of the latest conf change in the log; a new one may be proposed once it is applied. */
  pendingConfIndex = 0;
  /** Payload bytes of the leader's uncommitted tail (an estimate that never overestimates). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Reads that arrived before this leader committed an entry of its own term. */
  private pendingReadIndexMessages: Message[] = [];

  /** Leader/candidate: ticks since the last election timeout. Follower: ticks since hearing from the leader. */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;

  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  readonly disableProposalForwarding: boolean;
  private readonly random: RandomSource;

  constructor(c: RaftConfig) {
    const electionTick = c.electionTick ?? 10;
    const heartbeatTick = c.heartbeatTick ?? 1;
    const maxInflight = c.maxInflightMsgs ?? 256;
    const readOnlyOption = c.readOnlyOption ?? 'safe';
    if (!Number.isSafeInteger(c.id) || c.id <= 0) throw new RaftError('invalid', 'raft id must be a positive integer');
    if (!(heartbeatTick > 0)) throw new RaftError('invalid', 'heartbeat tick must be greater than 0');
    if (!(electionTick > heartbeatTick)) throw new RaftError('invalid', 'election tick must be greater than heartbeat tick');
    if (!(maxInflight > 0)) throw new RaftError('invalid', 'max inflight messages must be greater than 0');
    if (readOnlyOption === 'leaseBased' && !c.checkQuorum) {
      throw new RaftError('invalid', 'checkQuorum must be enabled when readOnlyOption is leaseBased');
    }
    this.id = c.id;
    this.electionTimeout = electionTick;
    this.heartbeatTimeout = heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? false;
    this.preVote = c.preVote ?? false;
    this.maxMsgSize = c.maxSizePerMsg ?? DEFAULT_MAX_SIZE_PER_MSG;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize ? c.maxUncommittedEntriesSize : Infinity;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.random = c.random ?? new SeededRandom(c.id);
    this.readOnly = new ReadOnly(readOnlyOption);

    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady ?? Infinity);
    const { hardState, confState } = c.storage.initialState();
    this.trk = new ProgressTracker(maxInflight);
    this.trk.applyConfState(confState, this.raftLog.lastIndex());
    this.isLearner = this.trk.learners.has(this.id);
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied !== undefined && c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftError('invalid', `${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  // ---- sending ----

  private send(m: Omit<Message, 'from'> & { from?: number }): void {
    const msg = { ...m, from: m.from || this.id } as Message;
    if (msg.type === 'MsgVote' || msg.type === 'MsgVoteResp' || msg.type === 'MsgPreVote' || msg.type === 'MsgPreVoteResp') {
      // Votes carry the term they are about, which for pre-votes is not our own.
      if (msg.term === 0) throw new RaftError('invalid', `term should be set when sending ${msg.type}`);
    } else {
      if (msg.term !== 0) throw new RaftError('invalid', `term should not be set when sending ${msg.type} (was ${msg.term})`);
      // Proposals and read requests forwarded to the leader travel as local messages.
      if (msg.type !== 'MsgProp' && msg.type !== 'MsgReadIndex') msg.term = this.term;
    }
    this.msgs.push(msg);
  }

  private sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends `to` a MsgApp with the entries from its next index (or a snapshot when those are
   * compacted), unless its flow control says to wait. With sendIfEmpty false nothing is
   * sent when there are no entries. Returns whether something was sent.
   */
  private maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[] = [];
    try {
      prevTerm = this.raftLog.term(prevIndex);
      // A throttled replicating follower only gets empty appends, so that lost MsgApps are
      // detected (it rejects or acks) and free the window.
      if (pr.state !== 'replicate' || !pr.inflights.full()) ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (isRaftError(e, 'compacted')) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'MsgApp', to, term: 0, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    pr.updateOnEntriesSend(ents.length, payloadsSize(ents), pr.next + ents.length);
    return true;
  }

  private maybeSendSnapshot(to: number, pr: Progress): boolean {
    if (!pr.recentActive) return false; // wait until it shows signs of life
    let snap: Snapshot;
    try {
      snap = this.raftLog.snapshot();
    } catch (e) {
      if (isRaftError(e, 'snapshot-temporarily-unavailable')) return false;
      throw e;
    }
    if (isEmptySnapshot(snap)) throw new RaftError('invalid', 'need non-empty snapshot');
    pr.becomeSnapshot(snap.metadata.index);
    this.send({ type: 'MsgSnap', to, term: 0, snapshot: snap });
    return true;
  }

  private sendHeartbeat(to: number, ctx: Uint8Array | undefined): void {
    // Never tell a follower to commit past what it is known to have.
    const pr = this.trk.progress.get(to);
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    const m: Omit<Message, 'from'> = { type: 'MsgHeartbeat', to, term: 0, commit };
    if (ctx !== undefined) m.context = ctx;
    this.send(m);
  }

  private bcastAppend(): void {
    for (const id of this.trk.ids()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    for (const id of this.trk.ids()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  // ---- time ----

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(this.preVote ? 'preElection' : 'election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.checkQuorumActive();
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  private checkQuorumActive(): void {
    if (!this.trk.quorumActive(this.id)) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intn(this.electionTimeout);
  }

  // ---- role changes ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of [...this.trk.progress]) {
      const np = new Progress(last + 1, this.trk.maxInflight, pr.isLearner);
      if (id === this.id) np.match = last;
      this.trk.progress.set(id, np);
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomeCandidate(): void {
    if (this.state === 'leader') throw new RaftError('invalid', 'invalid transition [leader -> candidate]');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  becomePreCandidate(): void {
    if (this.state === 'leader') throw new RaftError('invalid', 'invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither its term nor its vote.
    this.trk.resetVotes();
    this.lead = NONE;
    this.state = 'preCandidate';
  }

  becomeLeader(): void {
    if (this.state === 'follower') throw new RaftError('invalid', 'invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.trk.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively assume there may be an unapplied conf change in the log.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // §8: a no-op entry of the new term commits everything before it (§5.4.2) and tells the
    // leader which entries are committed. Empty payloads never hit the uncommitted cap.
    if (!this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }])) {
      throw new RaftError('invalid', 'empty entry was dropped');
    }
  }

  private promotable(): boolean {
    return this.trk.progress.has(this.id) && !this.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  /** Starts an election (or pre-election) if this node may. */
  hup(t: CampaignType): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) return;
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    if (log.applied >= log.committed) return false;
    const lo = Math.max(log.applied + 1, log.firstIndex());
    if (lo > log.committed) return false;
    return log.slice(lo, log.committed + 1).some((e) => e.type === 'confChange');
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: 'MsgVote' | 'MsgPreVote';
    if (t === 'preElection') {
      this.becomePreCandidate();
      voteMsg = 'MsgPreVote';
      term = this.term + 1; // pre-votes ask about the next term without moving to it
    } else {
      this.becomeCandidate();
      voteMsg = 'MsgVote';
      term = this.term;
    }
    // Our own vote is part of the hard state written before any vote request goes out.
    if (this.poll(this.id, true) === 'won') {
      if (t === 'preElection') {
        this.campaign('election');
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of this.trk.voterIds()) {
      if (id === this.id) continue;
      const m: Omit<Message, 'from'> = { type: voteMsg, to: id, term, index: lastIndex, logTerm: lastTerm };
      if (t === 'transfer') m.transfer = true;
      this.send(m);
    }
  }

  private poll(id: number, granted: boolean) {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- the message dispatcher ----

  /**
   * Processes one message. Throws RaftError 'proposal-dropped' when a proposal, read or
   * transfer cannot be accepted (no leader, transfer in progress, cap reached, ...).
   */
  step(m: Message): void {
    // Terms first (Figure 2, "Rules for all servers").
    if (m.term === 0) {
      // local message, or a proposal / read request forwarded by a follower
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        // Leader lease (thesis §4.2.3): while we hear from a leader, ignore would-be
        // candidates entirely, without even adopting their term. A leadership transfer
        // is the exception: the leader itself asked for it.
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'MsgPreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we asked about, which is ours + 1.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if (m.type === 'MsgHeartbeat' || m.type === 'MsgApp') {
        // Figure 2: reply false to a leader of an older term; our reply carries our term, so
        // it steps down. (etcd only replies with CheckQuorum or PreVote, counting on vote
        // requests to spread the term otherwise; but a learner, or a follower whose term was
        // raised by a removed server's vote requests, never campaigns, and would stay cut
        // off from a leader that never learns the newer term.)
        this.send({ type: 'MsgAppResp', to: m.from, term: 0 });
      } else if (m.type === 'MsgPreVote' || m.type === 'MsgVote') {
        // Figure 2: reject, with our term, so that the candidate catches up. (etcd drops a
        // stale MsgVote; but a candidate whose term fell behind that of a voter who does not
        // send it vote requests itself — a node with a stale membership campaigning among
        // others — would then only catch up by chance, and until it does no leader is elected.)
        this.send({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true, ...this.commitHint() });
      }
      // Figure 2: otherwise ignore requests with a stale term.
      return;
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.handleVoteRequest(m, m.type);
      return;
    }
    if ((m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp') && m.reject && this.state !== 'leader') {
      this.learnCommitFromHint(m.index ?? 0, m.logTerm ?? 0);
    }
    switch (this.state) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      case 'follower':
        this.stepFollower(m);
        break;
    }
  }

  private handleVoteRequest(m: Message, type: 'MsgVote' | 'MsgPreVote'): void {
    // We can vote if this repeats the vote we cast, if we have not voted and know no leader
    // in this term, or if this is a pre-vote for a future term...
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (type === 'MsgPreVote' && m.term > this.term);
    // ...and (§5.4.1) the candidate's log is at least as up-to-date as ours.
    if (canVote && this.raftLog.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      // Reply with the term of the request: for a pre-vote that is a future term.
      this.send({ type: voteRespMsgType(type), to: m.from, term: m.term });
      if (type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: voteRespMsgType(type), to: m.from, term: this.term, reject: true, ...this.commitHint() });
    }
  }

  /**
   * A vote rejection tells the candidate our commit index and the term of that entry.
   * Without it a two-voter group can deadlock after demoting or removing one voter: the
   * node that applied the change (and holds the longer log) no longer campaigns, and the
   * other cannot win without it because it does not know the change committed.
   */
  private commitHint(): { index: number; logTerm: number } | Record<string, never> {
    const c = this.raftLog.committed;
    const t = this.raftLog.termOrZero(c);
    return c > 0 && t > 0 ? { index: c, logTerm: t } : {};
  }

  /**
   * Entries up to `index` are committed on the sender; if our log has the same entry there,
   * Log Matching says our prefix is the same, so it is committed here too.
   */
  private learnCommitFromHint(index: number, term: number): void {
    if (index > this.raftLog.committed && term > 0 && this.raftLog.matchTerm(index, term)) this.raftLog.commitTo(index);
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        this.leaderPropose(m);
        return;
      case 'MsgReadIndex':
        if (this.trk.isSingleton()) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return;
        }
        // §8: until it has committed an entry of its term, a new leader does not know the
        // commit index; hold reads until then.
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.serveReadIndex(m);
        return;
      default:
        break;
    }

    const pr = this.trk.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppendResponse(m, pr);
        return;
      case 'MsgHeartbeatResp': {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        // Also covers a full window whose MsgApps were all lost: an empty append gets an
        // answer that resets it.
        if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe') this.sendAppend(m.from);
        if (this.readOnly.option !== 'safe' || m.context === undefined || m.context.byteLength === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks || this.trk.voteResult((id) => (acks.has(id) ? true : undefined)) !== 'won') return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
        return;
      }
      case 'MsgTransferLeader': {
        if (pr.isLearner) return; // a learner cannot lead
        const transferee = m.from;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return; // already under way
          this.abortLeaderTransfer();
        }
        if (transferee === this.id) return;
        // The transfer must finish within an election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
        else this.sendAppend(transferee);
        return;
      }
      default:
        return;
    }
  }

  private leaderPropose(m: Message): void {
    const ents = m.entries ?? [];
    if (ents.length === 0) throw new RaftError('invalid', 'stepped empty MsgProp');
    if (!this.trk.progress.has(this.id)) throw errProposalDropped('this node is no longer a member');
    if (this.leadTransferee !== NONE) throw errProposalDropped(`leadership transfer to ${this.leadTransferee} is in progress`);
    let confIndex = 0;
    const base = this.raftLog.lastIndex() + 1;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (e.type !== 'confChange') continue;
      // §6 / thesis §4.1: one membership change at a time.
      if (confIndex !== 0 || this.pendingConfIndex > this.raftLog.applied) {
        throw errProposalDropped(`a configuration change is already pending (index ${Math.max(confIndex, this.pendingConfIndex)}, applied ${this.raftLog.applied})`);
      }
      const problem = confChangeProblem(this.trk.confState(), decodeConfChange(e.data));
      if (problem !== undefined) throw errProposalDropped(problem);
      confIndex = base + i;
    }
    if (!this.appendEntry(ents)) throw errProposalDropped('too many uncommitted entries (maxUncommittedEntriesSize)');
    if (confIndex !== 0) this.pendingConfIndex = confIndex;
    this.bcastAppend();
  }

  /** Appends entries at the leader's term; false if the uncommitted cap refuses them. */
  private appendEntry(es: readonly Entry[]): boolean {
    let li = this.raftLog.lastIndex();
    const ents: Entry[] = es.map((e, i) => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    if (!this.increaseUncommittedSize(ents)) return false;
    li = this.raftLog.append(ents);
    // The leader's own copy counts toward the quorum: the Ready contract has the
    // application persist these entries before sending the MsgApps that carry them, so any
    // follower acknowledgement implies the leader's copy is durable too.
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    if (this.maybeCommit()) this.releasePendingReadIndexMessages();
    return true;
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    // An empty tail accepts any proposal; empty entries (the leader's no-op) always pass.
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  /** Accounts for applied entries (called from RawNode.advance). */
  reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  /** Figure 2, Leaders: commit the highest N replicated on a majority with log[N].term == currentTerm. */
  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const index = m.index ?? 0;
    if (m.reject) {
      // The follower's log does not match at `index`. Its hint (rejectHint, logTerm) lets us
      // skip every index where our term is above the follower's term there: such probes
      // must fail too.
      let nextProbe = m.rejectHint ?? 0;
      if ((m.logTerm ?? 0) > 0) nextProbe = this.raftLog.findConflictByTerm(nextProbe, m.logTerm!)[0];
      if (pr.maybeDecrTo(index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    // An acknowledgement that does not move `match` still turns a probing follower back to
    // replicating when no probe is outstanding (a caught-up follower answering an empty
    // probe). While a probe with entries is outstanding it is only a late or duplicated
    // answer to an older MsgApp: restarting replication on it resends the whole window on
    // every such answer, and over a network that reorders or duplicates messages that
    // snowballs into a message storm (found by the simulation, storage/sim/).
    if (!(pr.maybeUpdate(index) || (pr.match === index && pr.state === 'probe' && !pr.msgAppFlowPaused))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower caught up through the snapshot (or otherwise) and can be fed from the log.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
    // The window may have opened: send what we can, without empty messages.
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private stepCandidate(m: Message): void {
    const myVoteResp: MessageType = this.state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        throw errProposalDropped(`no leader at term ${this.term}`);
      case 'MsgReadIndex':
        throw errProposalDropped(`no leader at term ${this.term}; dropping read index`);
      case 'MsgApp':
        // §5.2: a leader of our term exists (m.term === this.term here).
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        throw errProposalDropped(`no leader at term ${this.term}; dropping leader transfer`);
      default:
        if (m.type === myVoteResp) {
          const result = this.poll(m.from, !m.reject);
          if (result === 'won') {
            if (this.state === 'preCandidate') {
              this.campaign('election');
            } else {
              this.becomeLeader();
              this.bcastAppend();
            }
          } else if (result === 'lost') {
            // A pre-vote response may carry our term + 1: stay at our own term.
            this.becomeFollower(this.term, NONE);
          }
        }
        // MsgTimeoutNow and anything else: ignored while campaigning.
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) throw errProposalDropped(`no leader at term ${this.term}`);
        if (this.disableProposalForwarding) throw errProposalDropped('proposal forwarding is disabled');
        // §8: clients' requests go to the leader.
        this.send({ ...m, to: this.lead });
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) throw errProposalDropped(`no leader at term ${this.term}; dropping leader transfer`);
        this.send({ ...m, to: this.lead, term: 0 });
        return;
      case 'MsgTimeoutNow':
        // The leader asked us to take over: campaign at once, without a pre-vote (we are
        // not recovering from a partition) and overriding the voters' leases.
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) throw errProposalDropped(`no leader at term ${this.term}; dropping read index`);
        this.send({ ...m, to: this.lead });
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index ?? 0, requestCtx: m.context ?? new Uint8Array(0) });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    const prevIndex = m.index ?? 0;
    const prevTerm = m.logTerm ?? 0;
    if (prevIndex < this.raftLog.committed) {
      // Everything up to our commit index already matches; tell the leader where we are.
      this.send({ type: 'MsgAppResp', to: m.from, term: 0, index: this.raftLog.committed });
      return;
    }
    const lastNew = this.raftLog.maybeAppend(prevIndex, prevTerm, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== undefined) {
      this.send({ type: 'MsgAppResp', to: m.from, term: 0, index: lastNew });
      return;
    }
    // Figure 2: reply false if our log has no entry at prevLogIndex with prevLogTerm. Hint
    // the largest index where the logs may match: at most prevIndex, with a term ≤ prevTerm.
    const [hintIndex, hintTerm] = this.raftLog.findConflictByTerm(Math.min(prevIndex, this.raftLog.lastIndex()), prevTerm);
    this.send({ type: 'MsgAppResp', to: m.from, term: 0, index: prevIndex, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit ?? 0);
    const resp: Omit<Message, 'from'> = { type: 'MsgHeartbeatResp', to: m.from, term: 0 };
    if (m.context !== undefined) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    if (m.snapshot && this.restore(m.snapshot)) {
      this.send({ type: 'MsgAppResp', to: m.from, term: 0, index: this.raftLog.lastIndex() });
    } else {
      this.send({ type: 'MsgAppResp', to: m.from, term: 0, index: this.raftLog.committed });
    }
  }

  /** Installs a snapshot from the leader. Returns false if it was ignored. */
  restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.raftLog.committed) return false;
    if (this.state !== 'follower') {
      // Defense in depth: only followers install snapshots.
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    // The snapshot is committed state, so it is installed even if this node is not (yet) in
    // its membership: a joining member may receive a snapshot taken before the entry that
    // adds it, and learns of its own addition from the log afterwards. Outside the
    // membership a node never campaigns.
    if (this.raftLog.matchTerm(index, term)) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      this.raftLog.commitTo(index);
      return false;
    }
    this.raftLog.restore(s);
    this.switchToConfig(confState);
    return true;
  }

  // ---- membership ----

  /**
   * Applies a committed conf change (call when applying its entry). Invalid changes (such
   * as removing the last voter) are ignored identically on every member. Returns the new
   * membership.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = this.trk.confState();
    if (confChangeProblem(cs, cc) !== undefined) return cs;
    return this.switchToConfig(applyConfChangeToConfState(cs, cc));
  }

  private switchToConfig(cs: ConfState): ConfState {
    this.trk.applyConfState(cs, this.raftLog.lastIndex());
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state !== 'follower') {
      // Removed or demoted: stop leading, or campaigning (a candidate that went on counting
      // votes in the new membership could win it without being a voter, and then lead a
      // group it cannot propose to, forever without CheckQuorum). The others elect a
      // leader among themselves.
      this.becomeFollower(this.term, NONE);
      return this.trk.confState();
    }
    if (this.state !== 'leader' || cs.voters.length === 0) return this.trk.confState();
    if (this.maybeCommit()) {
      // The quorum changed and more entries are committed now.
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      // Probe new members right away.
      for (const id of this.trk.ids()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) this.abortLeaderTransfer();
    return this.trk.confState();
  }

  // ---- leadership transfer ----

  private sendTimeoutNow(to: number): void {
    this.send({ type: 'MsgTimeoutNow', to, term: 0 });
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---- read-only queries ----

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  private serveReadIndex(m: Message): void {
    if (this.readOnly.option === 'safe') {
      this.readOnly.addRequest(this.raftLog.committed, m);
      this.readOnly.recvAck(this.id, m.context);
      this.bcastHeartbeatWithCtx(m.context);
    } else {
      this.respondToReadIndex(m, this.raftLog.committed);
    }
  }

  private respondToReadIndex(req: Message, readIndex: number): void {
    const ctx = req.context ?? new Uint8Array(0);
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: ctx });
      return;
    }
    this.send({ type: 'MsgReadIndexResp', to: req.from, term: 0, index: readIndex, context: ctx });
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.serveReadIndex(m);
  }

  // ---- reports from the transport ----

  /** The transport failed to deliver to `id`: stop streaming to it optimistically. */
  reportUnreachable(id: number): void {
    if (this.state !== 'leader') return;
    const pr = this.trk.progress.get(id);
    if (pr && pr.state === 'replicate') pr.becomeProbe();
  }

  /** Outcome of sending a snapshot to `id`. On failure the leader probes again later. */
  reportSnapshot(id: number, ok: boolean): void {
    if (this.state !== 'leader') return;
    const pr = this.trk.progress.get(id);
    if (!pr || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's MsgAppResp (success) or the next heartbeat (failure).
    pr.msgAppFlowPaused = true;
  }

  status(): Status {
    const st: Status = {
      id: this.id,
      hardState: this.hardState(),
      softState: this.softState(),
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      config: this.trk.confState(),
      leadTransferee: this.leadTransferee,
    };
    if (this.state === 'leader') {
      st.progress = new Map();
      for (const id of this.trk.ids()) {
        const pr = this.trk.progress.get(id)!;
        st.progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count,
        });
      }
    }
    return st;
  }
}
