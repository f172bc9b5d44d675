// What the gRPC layer needs to know about the cluster serving it: the ids every response
// header carries, the member list, and Raft's term/index/leader for Status. A single store
// is a one-member cluster (singleMemberCluster); the replicated store implements this
// interface from its Raft state.
import { createHash } from 'node:crypto';

export interface ClusterMember {
  /** etcd member ids are uint64. */
  id: bigint;
  /** Empty for a member that has not started yet. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner?: boolean;
}

export interface ClusterInfo {
  readonly clusterId: bigint;
  /** The member this server runs in. */
  readonly memberId: bigint;
  members(): ClusterMember[];
  raftTerm(): number;
  /** The member this one believes leads; 0n when there is none. Default: memberId. */
  leaderId?(): bigint;
  /** Raft's committed index. Default: the store revision (a one-member log applies one write per entry). */
  raftIndex?(): number;
  /** Raft's applied index. Default: raftIndex. */
  appliedIndex?(): number;
  /** Whether the member this server runs in is a learner. Default false. */
  isLearner?(): boolean;
  /** Membership changes; without them MemberAdd/Remove/Promote/Update are UNIMPLEMENTED. */
  membership?: ClusterMembership;
  /** Hands leadership to another member (etcd's MoveLeader); UNIMPLEMENTED without it. */
  moveLeader?(targetId: bigint): Promise<void>;
}

/**
 * Membership changes as etcd's Cluster service makes them. Errors should be RpcErrors with
 * etcd's codes and messages (`etcdserver: member not found`, ...).
 */
export interface ClusterMembership {
  /**
   * Adds a member. etcd's MemberAdd carries no name (a member publishes it when it starts);
   * `name` is set when the client sent one (k8ts's CLI does, as gRPC metadata).
   */
  add(request: { name?: string; peerUrls: string[]; isLearner: boolean }): Promise<ClusterMember>;
  remove(id: bigint): Promise<void>;
  /** Makes a learner a voter. */
  promote(id: bigint): Promise<void>;
  /** Changes a member's peer URLs. */
  update?(id: bigint, peerUrls: string[]): Promise<void>;
}

/** A stable 63-bit id from a string, as etcd derives ids from a hash of URLs and names. */
export function idFromString(s: string): bigint {
  const id = createHash('sha256').update(s).digest().readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}

export interface SingleMemberOptions {
  name?: string;
  clientUrls: string[];
  peerUrls?: string[];
}

/** A cluster of one: this member, always the leader, term 1. */
export function singleMemberCluster(options: SingleMemberOptions): ClusterInfo {
  const name = options.name ?? 'default';
  const memberId = idFromString(`member:${name}:${options.clientUrls.join(',')}`);
  const member: ClusterMember = {
    id: memberId,
    name,
    peerUrls: options.peerUrls ?? [],
    clientUrls: options.clientUrls,
    isLearner: false,
  };
  return {
    clusterId: idFromString(`cluster:${memberId}`),
    memberId,
    members: () => [member],
    raftTerm: () => 1,
    leaderId: () => memberId,
  };
}
