// The write commands the MVCC backend applies, in order. They are what a Raft log carries:
// plain data, already validated for size, with every choice (lease ids) made by the proposer.
import type { TxnRequest } from '../store.ts';

export type Command =
  | { type: 'txn'; txn: TxnRequest }
  | { type: 'leaseGrant'; id: number; ttl: number }
  | { type: 'leaseRevoke'; id: number }
  | { type: 'compact'; revision: number }
  /**
   * Raise an alarm on every replica (etcd's AlarmRequest): NOSPACE once a proposer found the
   * quota exceeded, so that every member refuses puts, not only the one that noticed.
   * Changes no data.
   */
  | { type: 'alarm'; alarm: 'NOSPACE' };
