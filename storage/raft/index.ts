// The Raft core: a deterministic state machine plus its in-memory storage. See node.ts for
// the API (RawNode) and types.ts for the Ready contract.
export * from './types.ts';
export { RawNode } from './node.ts';
export type { SnapshotStatus } from './node.ts';
export { Raft } from './raft.ts';
export type { CampaignType, ProgressStatus, RaftConfig, Status } from './raft.ts';
export { MemoryStorage, limitSize } from './storage.ts';
export type { InitialState, Storage } from './storage.ts';
export { RaftLog, Unstable } from './log.ts';
export { Inflights, Progress, ProgressTracker } from './progress.ts';
export type { ProgressState, VoteResult } from './progress.ts';
export { applyConfChangeToConfState, confChangeProblem, confStatesEqual } from './confchange.ts';
export type { ReadOnlyOption } from './read-only.ts';
export { SeededRandom } from './rand.ts';
export type { RandomSource } from './rand.ts';
