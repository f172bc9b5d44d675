// Store errors carry etcd's messages and a stable code, so that the API server can map
// them to HTTP statuses and the gRPC layer to etcd's gRPC codes.

export type StoreErrorCode =
  | 'compacted'
  | 'future-revision'
  | 'request-too-large'
  | 'no-space'
  | 'lease-not-found'
  | 'lease-exists'
  | 'lease-ttl-too-large'
  | 'duplicate-key'
  | 'too-many-ops'
  | 'empty-key'
  | 'closed'
  | 'unavailable';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The revision asked for is below the compact revision. */
export class CompactedError extends StoreError {
  constructor(readonly compactRevision: number) {
    super('compacted', 'mvcc: required revision has been compacted');
  }
}

export const errors = {
  compacted: (compactRevision: number) => new CompactedError(compactRevision),
  futureRevision: () => new StoreError('future-revision', 'mvcc: required revision is a future revision'),
  requestTooLarge: () => new StoreError('request-too-large', 'etcdserver: request is too large'),
  noSpace: () => new StoreError('no-space', 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: () => new StoreError('lease-not-found', 'etcdserver: requested lease not found'),
  leaseExists: () => new StoreError('lease-exists', 'etcdserver: lease already exists'),
  leaseTtlTooLarge: () => new StoreError('lease-ttl-too-large', 'etcdserver: too large lease TTL'),
  duplicateKey: () => new StoreError('duplicate-key', 'etcdserver: duplicate key given in txn request'),
  tooManyOps: () => new StoreError('too-many-ops', 'etcdserver: too many operations in txn request'),
  emptyKey: () => new StoreError('empty-key', 'etcdserver: key is not provided'),
  closed: () => new StoreError('closed', 'store is closed'),
} as const;

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
