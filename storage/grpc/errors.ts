// Store errors as etcd's gRPC statuses: the codes and messages of etcd's
// api/v3rpc/rpctypes, which clients match on (clientv3 maps them back by message; the
// etcd3 npm client by message too). One table, keyed by storage/errors.ts codes.
import { status } from '@grpc/grpc-js';
import { isStoreError, type StoreErrorCode } from '../errors.ts';

/** A status a grpc-js handler can return: `callback(err)` or `call.emit('error', err)`. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
    this.name = 'RpcError';
  }
}

const rpc = (code: status, details: string) => ({ code, details });

const byStoreCode: Record<StoreErrorCode, { code: status; details: string }> = {
  compacted: rpc(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  'future-revision': rpc(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  'request-too-large': rpc(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  'no-space': rpc(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  'lease-not-found': rpc(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  'lease-exists': rpc(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  'lease-ttl-too-large': rpc(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  'duplicate-key': rpc(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  'too-many-ops': rpc(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  'empty-key': rpc(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  closed: rpc(status.UNAVAILABLE, 'etcdserver: server stopped'),
  unavailable: rpc(status.UNAVAILABLE, 'etcdserver: no leader'),
};

/** Errors the gRPC layer itself answers with (etcd's checks before a request is applied). */
export const rpcErrors = {
  keyNotFound: () => new RpcError(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: () => new RpcError(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: () => new RpcError(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: () => new RpcError(status.INVALID_ARGUMENT, byStoreCode['too-many-ops'].details),
  duplicateKey: () => new RpcError(status.INVALID_ARGUMENT, byStoreCode['duplicate-key'].details),
  unimplemented: (what: string) => new RpcError(status.UNIMPLEMENTED, `k8ts: ${what}`),
};

/** Maps anything a handler caught to the status to send. */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (isStoreError(e)) {
    const { code, details } = byStoreCode[e.code];
    // A store that already speaks etcd's words (e.g. "etcdserver: leader changed") keeps them.
    const keep = (e.code === 'unavailable' || e.code === 'closed') && e.message.startsWith('etcdserver: ');
    return new RpcError(code, keep ? e.message : details);
  }
  return new RpcError(status.UNKNOWN, e instanceof Error ? e.message : String(e));
}
