// etcd's Cluster service: MemberList from ClusterInfo. Membership changes need the
// replicated store; until it exists they are answered UNIMPLEMENTED.
import { status, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ClusterMember } from './cluster-info.ts';
import type { ServiceContext } from './context.ts';
import { RpcError } from './errors.ts';

export function memberToWire(m: ClusterMember) {
  return { ID: String(m.id), name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner ?? false };
}

function notYet(what: string) {
  return () =>
    Promise.reject(
      new RpcError(
        status.UNIMPLEMENTED,
        `k8ts: ${what} is not supported yet: this server runs a single-member store (membership changes come with the replicated store)`,
      ),
    );
}

export function clusterService(ctx: ServiceContext): UntypedServiceImplementation {
  return {
    MemberList: ctx.unary(async () => ({
      header: await ctx.currentHeader(),
      members: ctx.cluster.members().map(memberToWire),
    })),
    MemberAdd: ctx.unary(notYet('member add')),
    MemberRemove: ctx.unary(notYet('member remove')),
    MemberUpdate: ctx.unary(notYet('member update')),
    MemberPromote: ctx.unary(notYet('member promote')),
  };
}
