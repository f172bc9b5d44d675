// The write commands the MVCC backend applies, in order. They are what a Raft log carries:
// plain data, already validated for size, with every choice (lease ids) made by the proposer.
import type { TxnRequest } from '../store.ts';

export type Command =
  | { type: 'txn'; txn: TxnRequest }
  | { type: 'leaseGrant'; id: number; ttl: number }
  | { type: 'leaseRevoke'; id: number }
  | { type: 'compact'; revision: number };
