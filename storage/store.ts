// The Store interface: etcd v3's data model, nothing about Kubernetes.
// Implemented by mvcc/ (LevelDB), later by the Raft-replicated store, and by the
// etcd adapter, so that one conformance suite runs against all of them.

/** Keys and values are bytes; strings given as input are encoded as UTF-8. */
export type Bytes = Uint8Array | string;

/** Lease ids are positive integers within Number.MAX_SAFE_INTEGER; 0 means "no lease". */
export type LeaseId = number;

/** Buffers in results may share memory with the store's cache: read them, don't mutate them. */
export interface KeyValue {
  key: Buffer;
  value: Buffer;
  /** Revision of the write that created this key (since its last delete). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Writes since creation, starting at 1; a delete resets it. */
  version: number;
  lease: LeaseId;
}

export interface ResponseHeader {
  /** The store's revision when the request was served (after it, for writes). */
  revision: number;
}

export interface RangeOptions {
  /**
   * End of the range, exclusive. Absent: the single key. `"\0"`: every key >= key.
   * Use `prefixEnd(prefix)` for prefix ranges.
   */
  rangeEnd?: Bytes;
  /** Read at this past revision; 0 or absent means the current one. */
  revision?: number;
  /** At most this many kvs; 0 or absent means no limit. */
  limit?: number;
  countOnly?: boolean;
  keysOnly?: boolean;
  /**
   * etcd's serializable read: a replicated store may answer from the member's local state
   * without confirming leadership (possibly stale); a single store ignores it.
   */
  serializable?: boolean;
}

export interface RangeResult {
  header: ResponseHeader;
  kvs: KeyValue[];
  /** Number of keys in the range at the read revision, regardless of limit. */
  count: number;
  /** True when limit cut the result short. */
  more: boolean;
}

export interface PutOptions {
  lease?: LeaseId;
  prevKv?: boolean;
}

export interface PutResult {
  header: ResponseHeader;
  prevKv?: KeyValue;
}

export interface DeleteOptions {
  rangeEnd?: Bytes;
  prevKv?: boolean;
}

export interface DeleteResult {
  header: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareTarget = 'version' | 'createRevision' | 'modRevision' | 'value' | 'lease';
export type CompareResult = '=' | '!=' | '<' | '>';

/**
 * A txn guard. As in etcd, a missing key has version, createRevision, modRevision
 * and lease 0; a value compare on a missing key fails. With rangeEnd, every key in
 * the range must satisfy the compare.
 */
export interface Compare {
  key: Bytes;
  rangeEnd?: Bytes;
  target: CompareTarget;
  result: CompareResult;
  /** A number for revision/version/lease targets, bytes for value. */
  value: number | Bytes;
}

export type TxnOp =
  | ({ type: 'put'; key: Bytes; value: Bytes } & PutOptions)
  | ({ type: 'delete'; key: Bytes } & DeleteOptions)
  | ({ type: 'range'; key: Bytes } & Omit<RangeOptions, 'revision'>);

export type TxnOpResult =
  | ({ type: 'put' } & Omit<PutResult, 'header'>)
  | ({ type: 'delete' } & Omit<DeleteResult, 'header'>)
  | ({ type: 'range' } & Omit<RangeResult, 'header'>);

export interface TxnRequest {
  compare?: Compare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  header: ResponseHeader;
  succeeded: boolean;
  responses: TxnOpResult[];
}

export interface WatchOptions {
  rangeEnd?: Bytes;
  /** Deliver events from this revision on; 0 or absent means "after the current one". */
  startRevision?: number;
  prevKv?: boolean;
  /** Send empty responses periodically so an idle watcher learns the current revision. */
  progressNotify?: boolean;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For deletes: the key with modRevision set to the delete's revision, empty value. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  header: ResponseHeader;
  /** Events in revision order; empty for a progress notification. */
  events: WatchEvent[];
  /**
   * Set on the last response of a watch that cannot go on; with `compactRevision`
   * when the revision it needed has been compacted (the API server's 410 Gone).
   */
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
}

export type WatchListener = (response: WatchResponse) => void;

export interface Watch {
  /** Stops delivery; no listener call happens after the returned promise settles. */
  cancel(): Promise<void>;
  /** Ask for one progress notification (an empty response with the current revision). */
  requestProgress(): void;
}

export interface LeaseGrantResult {
  id: LeaseId;
  ttl: number;
}

export interface LeaseTimeToLiveResult {
  id: LeaseId;
  /** Remaining seconds; -1 when the lease does not exist (as etcd answers). */
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}

export interface StoreStatus {
  header: ResponseHeader;
  compactRevision: number;
  /** Bytes the store occupies on disk (approximate). */
  dbSize: number;
  quotaBytes: number;
}

export interface Store {
  range(key: Bytes, options?: RangeOptions): Promise<RangeResult>;
  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResult>;
  delete(key: Bytes, options?: DeleteOptions): Promise<DeleteResult>;
  /** All compares, then one branch; the whole txn is one revision if it writes. */
  txn(request: TxnRequest): Promise<TxnResult>;
  /**
   * Resolves once the watch is registered: every later write in range is then delivered,
   * in revision order, exactly once. Events from `startRevision` are replayed first.
   */
  watch(key: Bytes, options: WatchOptions, listener: WatchListener): Promise<Watch>;
  /** ttl in seconds; id 0 or absent lets the store choose. */
  leaseGrant(ttl: number, id?: LeaseId): Promise<LeaseGrantResult>;
  /** Deletes the lease and every key attached to it, in one revision. */
  leaseRevoke(id: LeaseId): Promise<ResponseHeader>;
  /** Renews the lease to its granted TTL; returns that TTL. */
  leaseKeepAlive(id: LeaseId): Promise<number>;
  leaseTimeToLive(id: LeaseId, options?: { keys?: boolean }): Promise<LeaseTimeToLiveResult>;
  leases(): Promise<LeaseId[]>;
  /** Discards revisions below `revision`; later reads and watches below it fail. */
  compact(revision: number): Promise<ResponseHeader>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}
