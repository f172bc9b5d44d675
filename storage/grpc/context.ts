// What every service handler shares: the store, the cluster identity for response headers,
// and error mapping (which also notes the NOSPACE alarm when the store raises it).
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { isStoreError } from '../errors.ts';
import type { Store } from '../store.ts';
import { logger } from '../../lib/logger.ts';
import type { ClusterInfo } from './cluster-info.ts';
import { RpcError, toRpcError } from './errors.ts';
import type { WireHeader } from './wire.ts';

const log = logger.child({ component: 'grpc' });

const REVISION_PROBE = Buffer.from('\0k8ts-grpc-revision-probe');

/** The store's current revision: the header of a count of one unlikely key. */
export async function storeRevision(store: Store): Promise<number> {
  return (await store.range(REVISION_PROBE, { countOnly: true })).header.revision;
}

export class ServiceContext {
  /** Set once the store refused a write for space; etcd's NOSPACE alarm is sticky too. */
  noSpaceSeen = false;

  constructor(
    readonly store: Store,
    readonly cluster: ClusterInfo,
  ) {}

  header(revision: number): WireHeader {
    return {
      cluster_id: String(this.cluster.clusterId),
      member_id: String(this.cluster.memberId),
      revision: String(revision),
      raft_term: String(this.cluster.raftTerm()),
    };
  }

  /** The store's current revision (for headers of responses that do not read the KV). */
  currentRevision(): Promise<number> {
    return storeRevision(this.store);
  }

  async currentHeader(): Promise<WireHeader> {
    return this.header(await this.currentRevision());
  }

  fail(e: unknown): RpcError {
    if (isStoreError(e, 'no-space')) this.noSpaceSeen = true;
    const err = toRpcError(e);
    if (!(e instanceof RpcError) && !isStoreError(e)) log.error({ err: e }, 'gRPC handler failed');
    return err;
  }

  /** A unary handler from an async function; errors become etcd's statuses. */
  unary<Req, Res>(fn: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      fn(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => callback(this.fail(e)),
      );
    };
  }
}
