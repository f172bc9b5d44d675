// etcd's Cluster service: MemberList from ClusterInfo; MemberAdd/Remove/Promote/Update
// through ClusterInfo.membership (the replicated store has it; a single MVCC store does not,
// and answers them UNIMPLEMENTED).
import { status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ClusterMember, ClusterMembership } from './cluster-info.ts';
import type { ServiceContext } from './context.ts';
import { RpcError } from './errors.ts';

/** gRPC metadata naming the member MemberAdd adds (etcd's request has no name; k8ts's CLI sends one). */
export const MEMBER_NAME_METADATA = 'k8ts-member-name';

export function memberToWire(m: ClusterMember) {
  return { ID: String(m.id), name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner ?? false };
}

function notYet(what: string) {
  return new RpcError(
    status.UNIMPLEMENTED,
    `k8ts: ${what} is not supported yet: this server runs a single-member store (membership changes come with the replicated store)`,
  );
}

/** A uint64 member id off the wire (a decimal string). */
function memberIdOf(v: unknown): bigint {
  try {
    return BigInt(typeof v === 'string' || typeof v === 'number' ? v : 0);
  } catch {
    return 0n;
  }
}

export function clusterService(ctx: ServiceContext): UntypedServiceImplementation {
  const members = async () => {
    // A member that just removed itself (or has no quorum) still answers with the list it has.
    const header = await ctx.currentHeader().catch(() => ctx.header(0));
    return { header, members: ctx.cluster.members().map(memberToWire) };
  };
  const membership = (what: string): ClusterMembership => {
    const m = ctx.cluster.membership;
    if (!m) throw notYet(what);
    return m;
  };
  return {
    MemberList: ctx.unary(members),

    MemberAdd: (call: ServerUnaryCall<{ peerURLs?: string[]; isLearner?: boolean }, unknown>, callback: sendUnaryData<unknown>) => {
      const named = call.metadata.get(MEMBER_NAME_METADATA)[0];
      const name = typeof named === 'string' && named !== '' ? named : undefined;
      const req = call.request;
      (async () => {
        const added = await membership('member add').add({ ...(name ? { name } : {}), peerUrls: req.peerURLs ?? [], isLearner: req.isLearner ?? false });
        const all = await members();
        return { header: all.header, member: memberToWire(added), members: all.members };
      })().then(
        (res) => callback(null, res),
        (e: unknown) => callback(ctx.fail(e)),
      );
    },

    MemberRemove: ctx.unary(async (req: { ID?: string }) => {
      await membership('member remove').remove(memberIdOf(req.ID));
      return members();
    }),

    MemberPromote: ctx.unary(async (req: { ID?: string }) => {
      await membership('member promote').promote(memberIdOf(req.ID));
      return members();
    }),

    MemberUpdate: ctx.unary(async (req: { ID?: string; peerURLs?: string[] }) => {
      const m = membership('member update');
      if (!m.update) throw notYet('member update');
      await m.update(memberIdOf(req.ID), req.peerURLs ?? []);
      return members();
    }),
  };
}
