// Maps the errors etcd returns (gRPC status + etcd's rpctypes messages, as cast by the
// etcd3 client) to storage/errors.ts. The compacted error needs the store's compact
// revision, which etcd does not put in the message: the caller supplies a probe.
import { ClientClosedError } from 'etcd3';
import { errors, isStoreError, StoreError } from '../errors.ts';

const byMessage: Array<[string, () => StoreError]> = [
  ['required revision is a future revision', errors.futureRevision],
  ['request is too large', errors.requestTooLarge],
  // gRPC's own limit (etcd sets it to max-request-bytes + 512 KiB).
  ['received message larger than max', errors.requestTooLarge],
  ['database space exceeded', errors.noSpace],
  ['requested lease not found', errors.leaseNotFound],
  ['lease already exists', errors.leaseExists],
  ['too large lease TTL', errors.leaseTtlTooLarge],
  ['duplicate key given in txn request', errors.duplicateKey],
  ['too many operations in txn request', errors.tooManyOps],
  ['key is not provided', errors.emptyKey],
];

const unavailablePatterns = [
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'no leader',
  'leader changed',
  'request timed out',
  'timed out',
  'Connection dropped',
  'No connection established',
  'circuit breaker is open',
  'etcdserver: not capable',
  'etcdserver: too many requests',
];

export function isCompactedMessage(e: unknown): boolean {
  return e instanceof Error && e.message.includes('required revision has been compacted');
}

/**
 * Converts an etcd/gRPC error into a StoreError. Returns the original error when it is
 * not one etcd's API documents (a programming error should stay visible as itself).
 * Compacted errors must be handled by the caller first (see `isCompactedMessage`).
 */
export function mapEtcdError(e: unknown): unknown {
  if (isStoreError(e)) return e;
  if (e instanceof ClientClosedError) return errors.closed();
  if (!(e instanceof Error)) return e;
  for (const [needle, make] of byMessage) {
    if (e.message.includes(needle)) return make();
  }
  if (unavailablePatterns.some((p) => e.message.includes(p))) {
    return new StoreError('unavailable', `etcd unavailable: ${e.message}`);
  }
  return e;
}
