// Types shared by the Raft core, its storage and whoever drives it (the replica driver,
// the deterministic network harness). The model follows etcd-io/raft: a node id is a
// positive integer and 0 (`NONE`) means "nobody"; terms and indexes start at 1 and 0 means
// "before the first". All numbers are safe integers.

/** The id that means "no node" (no leader, no vote). */
export const NONE = 0;

export type EntryType = 'normal' | 'confChange';

/** One slot of the replicated log. `data` of a confChange entry is an encoded `ConfChange`. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on stable storage before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/** Volatile state worth telling the application about; never persisted. */
export interface SoftState {
  lead: number;
  raftState: StateType;
}

export type StateType = 'follower' | 'candidate' | 'preCandidate' | 'leader';

/** The membership: who votes, who only receives the log. Both lists sorted, disjoint. */
export interface ConfState {
  voters: number[];
  learners: number[];
}

export interface SnapshotMetadata {
  /** Index and term of the last entry the snapshot covers. */
  index: number;
  term: number;
  /** The membership as of `index`. */
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine image at `metadata.index`. Opaque to Raft. */
  data: Uint8Array;
}

/**
 * A single-server membership change (Raft thesis §4.1; one voter at a time):
 * - `addNode`: add a voter, or promote an existing learner to voter;
 * - `addLearnerNode`: add a learner (or demote a voter to learner);
 * - `removeNode`: remove a voter or learner.
 */
export interface ConfChange {
  type: 'addNode' | 'addLearnerNode' | 'removeNode';
  nodeId: number;
  /** Opaque to Raft; typically the new member's peer URL. */
  context?: Uint8Array;
}

export type MessageType =
  /** Leader → follower: AppendEntries (index/logTerm are prevLogIndex/prevLogTerm). */
  | 'MsgApp'
  /** Follower → leader: AppendEntries reply (index = last matching index, or rejected index). */
  | 'MsgAppResp'
  /** Candidate → voter: RequestVote (index/logTerm describe the candidate's last entry). */
  | 'MsgVote'
  | 'MsgVoteResp'
  /** Pre-candidate → voter: "would you vote for me at term+1?" (thesis §9.6). */
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  /** Leader → follower: keep-alive carrying the commit index and an optional read context. */
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  /** Leader → follower: InstallSnapshot. */
  | 'MsgSnap'
  /** Client read request, local or forwarded from a follower to the leader (term 0). */
  | 'MsgReadIndex'
  | 'MsgReadIndexResp'
  /** Leader → transferee: start an election now, bypassing leases (thesis §3.10). */
  | 'MsgTimeoutNow'
  /** Request to transfer leadership to `from` (the transferee; etcd's convention). */
  | 'MsgTransferLeader'
  /** A proposal, local or forwarded from a follower to the leader (term 0). */
  | 'MsgProp';

export interface Message {
  type: MessageType;
  /** Sender, except for MsgTransferLeader, where it is the transferee. */
  from: number;
  to: number;
  /** 0 for local messages and forwarded MsgProp/MsgReadIndex. */
  term: number;
  /** MsgApp: prevLogTerm; MsgVote: last log term; MsgAppResp reject: hint term. */
  logTerm?: number;
  /** MsgApp: prevLogIndex; MsgAppResp: match (or rejected) index; MsgVote: last index; MsgReadIndexResp: read index. */
  index?: number;
  entries?: Entry[];
  /** Leader's commit index (MsgApp, MsgHeartbeat). */
  commit?: number;
  snapshot?: Snapshot;
  reject?: boolean;
  /** MsgAppResp reject: the follower's guess of the highest index where the logs may match. */
  rejectHint?: number;
  /** ReadIndex request context (MsgReadIndex, MsgReadIndexResp, MsgHeartbeat, MsgHeartbeatResp). */
  context?: Uint8Array;
  /** MsgVote/MsgVoteResp of a leadership transfer: voters ignore their leader lease. */
  transfer?: boolean;
}

/** A linearizable read point: once applied index ≥ `index`, reading local state is safe. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * Everything the application must do, in this order:
 *  1. if `snapshot`: install it in stable storage (and restore the state machine from it);
 *  2. append `entries` to stable storage and write `hardState` (atomically, or entries first);
 *  3. send `messages`;
 *  4. apply `committedEntries` in order (for confChange entries, call `applyConfChange`),
 *     hand `readStates` to waiting readers;
 *  5. call `advance()`.
 * `committedEntries` may include entries of `entries` (a single node commits at once), which
 * is why step 2 comes before step 4.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  /** True when `hardState` or `entries` changed in a way that must be fsynced. */
  mustSync: boolean;
}

export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function emptySnapshot(): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

/** Bytes attributed to an entry's fixed fields when sizing messages and Ready batches. */
export const ENTRY_OVERHEAD_BYTES = 24;

/** Size of an entry for `maxSizePerMsg` / `maxCommittedSizePerReady` (payload + fixed overhead). */
export function entrySize(e: Entry): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Size of an entry's payload, counted by `maxUncommittedEntriesSize`; 0 for empty entries. */
export function payloadSize(e: Entry): number {
  return e.data.byteLength;
}

export function payloadsSize(es: readonly Entry[]): number {
  let s = 0;
  for (const e of es) s += e.data.byteLength;
  return s;
}

/** Message types that answer a request; a node may drop them from unknown peers. */
export function isResponseMsg(t: MessageType): boolean {
  return t === 'MsgAppResp' || t === 'MsgVoteResp' || t === 'MsgHeartbeatResp' || t === 'MsgPreVoteResp' || t === 'MsgReadIndexResp';
}

export function voteRespMsgType(t: 'MsgVote' | 'MsgPreVote'): 'MsgVoteResp' | 'MsgPreVoteResp' {
  return t === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
}

// ---- errors ----

export type RaftErrorCode =
  /** A proposal (or read, or conf change) was not accepted: no leader, transfer in progress, cap exceeded, ... */
  | 'proposal-dropped'
  /** The requested index is below the first available index (compacted away). */
  | 'compacted'
  /** The requested index is above the last index. */
  | 'unavailable'
  /** The snapshot is older than the storage's current one. */
  | 'snapshot-out-of-date'
  /** The storage cannot produce a snapshot right now; the leader retries later. */
  | 'snapshot-temporarily-unavailable'
  /** A message from a peer that is not in the configuration. */
  | 'peer-not-found'
  /** Invalid configuration or API misuse. */
  | 'invalid';

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

export function isRaftError(e: unknown, code?: RaftErrorCode): e is RaftError {
  return e instanceof RaftError && (code === undefined || e.code === code);
}

export const errCompacted = () => new RaftError('compacted', 'requested index is unavailable due to compaction');
export const errUnavailable = () => new RaftError('unavailable', 'requested entry at index is unavailable');
export const errSnapOutOfDate = () => new RaftError('snapshot-out-of-date', 'requested index is older than the existing snapshot');
export const errSnapshotTemporarilyUnavailable = () =>
  new RaftError('snapshot-temporarily-unavailable', 'snapshot is temporarily unavailable');
export const errProposalDropped = (why: string) => new RaftError('proposal-dropped', `raft proposal dropped: ${why}`);

// ---- conf change codec (the payload of confChange entries) ----

/** Encodes a ConfChange as the `data` of a confChange entry (JSON, stable field order). */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const obj: Record<string, unknown> = { type: cc.type, nodeId: cc.nodeId };
  if (cc.context !== undefined && cc.context.byteLength > 0) obj.context = Buffer.from(cc.context).toString('base64');
  return new Uint8Array(Buffer.from(JSON.stringify(obj), 'utf8'));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let obj: { type?: unknown; nodeId?: unknown; context?: unknown };
  try {
    obj = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new RaftError('invalid', 'malformed conf change');
  }
  const { type, nodeId, context } = obj;
  if (type !== 'addNode' && type !== 'addLearnerNode' && type !== 'removeNode') throw new RaftError('invalid', `unknown conf change type ${String(type)}`);
  if (typeof nodeId !== 'number' || !Number.isSafeInteger(nodeId) || nodeId <= 0) throw new RaftError('invalid', 'conf change needs a positive node id');
  const cc: ConfChange = { type, nodeId };
  if (typeof context === 'string') cc.context = new Uint8Array(Buffer.from(context, 'base64'));
  return cc;
}
