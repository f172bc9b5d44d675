// The leader's view of each follower (Progress), flow control (Inflights), and the set of
// members with quorum arithmetic (ProgressTracker).
//
// A follower's Progress is in one of three states:
// - probe: the leader does not know where the follower's log matches its own; it sends one
//   MsgApp at a time and waits for the answer (or a heartbeat response) before the next;
// - replicate: the logs match up to `match`; the leader streams entries optimistically,
//   advancing `next` as it sends, with at most `maxInflight` unacknowledged MsgApps;
// - snapshot: the follower needs entries the leader has compacted; a snapshot is on its way
//   and nothing else is sent until it is acknowledged or reported failed.
import type { ConfState } from './types.ts';
import { RaftError } from './types.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last indexes (and byte sizes) of unacknowledged MsgApps. */
export class Inflights {
  private indexes: number[] = [];
  private bytes: number[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(readonly size: number) {
    if (!(size > 0)) throw new RaftError('invalid', 'max inflight messages must be greater than 0');
  }

  get count(): number {
    return this.indexes.length - this.head;
  }

  get inflightBytes(): number {
    return this.totalBytes;
  }

  full(): boolean {
    return this.count >= this.size;
  }

  add(index: number, bytes: number): void {
    if (this.full()) throw new RaftError('invalid', 'cannot add into a full inflights');
    this.indexes.push(index);
    this.bytes.push(bytes);
    this.totalBytes += bytes;
  }

  /** Frees every inflight message whose last index is ≤ `to` (they have been acknowledged). */
  freeLE(to: number): void {
    while (this.head < this.indexes.length && this.indexes[this.head]! <= to) {
      this.totalBytes -= this.bytes[this.head]!;
      this.head++;
    }
    if (this.head === this.indexes.length) {
      this.reset();
    } else if (this.head > 64 && this.head * 2 > this.indexes.length) {
      this.indexes = this.indexes.slice(this.head);
      this.bytes = this.bytes.slice(this.head);
      this.head = 0;
    }
  }

  reset(): void {
    this.indexes = [];
    this.bytes = [];
    this.head = 0;
    this.totalBytes = 0;
  }
}

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Index of the next entry to send. Invariant: match < next. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round (the leader itself is always active). */
  recentActive = false;
  /** Probe: a probe is outstanding. Replicate: the inflight window is full. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // Resume after the snapshot, even if its acknowledgement has not arrived yet.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** Bookkeeping after sending a MsgApp carrying `entries` entries (`bytes` bytes) up to nextIndex-1. */
  updateOnEntriesSend(entries: number, bytes: number, nextIndex: number): void {
    switch (this.state) {
      case 'replicate':
        if (entries > 0) {
          this.next = nextIndex;
          this.inflights.add(nextIndex - 1, bytes);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case 'probe':
        if (entries > 0) this.msgAppFlowPaused = true;
        break;
      case 'snapshot':
        throw new RaftError('invalid', 'sending append in snapshot state');
    }
  }

  /** An acknowledgement up to n: returns true if it moved `match` forward. */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * A rejection of the MsgApp whose prevLogIndex was `rejected`, with the follower's hint
   * that the logs may match up to `matchHint`. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Outside replicate only one probe is outstanding: it must be the one at next-1.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** True when the leader should not send this follower a MsgApp with entries now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
      case 'replicate':
        return this.msgAppFlowPaused;
      case 'snapshot':
        return true;
    }
  }
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** The members and the leader's Progress for each (including itself). */
export class ProgressTracker {
  readonly voters = new Set<number>();
  readonly learners = new Set<number>();
  readonly progress = new Map<number, Progress>();
  private votes = new Map<number, boolean>();

  constructor(readonly maxInflight: number) {}

  confState(): ConfState {
    return { voters: [...this.voters].sort((a, b) => a - b), learners: [...this.learners].sort((a, b) => a - b) };
  }

  /** Member ids in ascending order (voters and learners). */
  ids(): number[] {
    return [...this.progress.keys()].sort((a, b) => a - b);
  }

  voterIds(): number[] {
    return [...this.voters].sort((a, b) => a - b);
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /**
   * Makes the membership equal to `cs`, keeping the Progress of members that stay, creating
   * Progress (next = lastIndex, recently active) for new ones, dropping removed ones.
   */
  applyConfState(cs: ConfState, lastIndex: number): void {
    const voters = new Set(cs.voters);
    const learners = new Set(cs.learners);
    for (const id of voters) if (learners.has(id)) throw new RaftError('invalid', `${id} is both voter and learner`);
    for (const id of [...this.progress.keys()]) {
      if (!voters.has(id) && !learners.has(id)) this.progress.delete(id);
    }
    this.voters.clear();
    this.learners.clear();
    for (const id of voters) this.voters.add(id);
    for (const id of learners) this.learners.add(id);
    for (const id of [...voters, ...learners]) {
      const isLearner = learners.has(id);
      const pr = this.progress.get(id);
      if (pr) {
        pr.isLearner = isLearner;
      } else {
        // Start probing at the last index so the first MsgApp carries an entry. Mark it
        // active so that CheckQuorum does not count a member that just joined against us.
        const np = new Progress(Math.max(lastIndex, 1), this.maxInflight, isLearner);
        np.recentActive = true;
        this.progress.set(id, np);
      }
    }
  }

  /** The highest index replicated on a quorum of voters (the median of their matches). */
  committed(): number {
    const n = this.voters.size;
    if (n === 0) return 0;
    const matches = [...this.voters].map((id) => this.progress.get(id)?.match ?? 0).sort((a, b) => b - a);
    return matches[this.quorum() - 1]!;
  }

  /** True if a quorum of voters has been heard from recently (the leader counts itself). */
  quorumActive(selfId: number): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === selfId || this.progress.get(id)?.recentActive) active++;
    }
    return active >= this.quorum();
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: this.voteResult((id) => this.votes.get(id)) };
  }

  /** Whether the given per-voter answers (undefined = no answer yet) make a quorum. */
  voteResult(answer: (id: number) => boolean | undefined): VoteResult {
    const q = this.quorum();
    let yes = 0;
    let missing = 0;
    for (const id of this.voters) {
      const v = answer(id);
      if (v === true) yes++;
      else if (v === undefined) missing++;
    }
    if (yes >= q) return 'won';
    if (yes + missing >= q) return 'pending';
    return 'lost';
  }
}
