// ClusterInfo for the replicated store: the member list, term, indexes and leader from the
// replica's Raft state, and etcd's membership operations (MemberAdd/Remove/Promote/Update,
// MoveLeader) mapped to the store's single-server membership changes, with etcd's errors.
//
// Names: a k8ts member is identified by its name (its Raft id is derived from it). etcd's
// MemberAdd carries no name; k8ts's CLI sends one as gRPC metadata, and an add without one
// (etcdctl member add) names the member after its peer address (`host:port`), which is then
// the --name to start it with.
import { status } from '@grpc/grpc-js';
import type { ReplicatedStore } from '../replica/replicated-store.ts';
import { isStoreError } from '../errors.ts';
import { idFromString, type ClusterInfo, type ClusterMember } from './cluster-info.ts';
import { RpcError } from './errors.ts';

export interface ReplicaClusterOptions {
  /** This member's client URLs (its gRPC endpoint), e.g. `http://127.0.0.1:2379`. */
  clientUrls: string[];
  /** The cluster name peers share (cluster id is derived from it). Default 'k8ts'. */
  cluster?: string;
  /** Client URLs of other members where known (by member name). */
  clientUrlsOf?: (name: string) => string[] | undefined;
}

export const memberErrors = {
  notFound: () => new RpcError(status.NOT_FOUND, 'etcdserver: member not found'),
  idExists: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  peerUrlExists: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  badUrls: () => new RpcError(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  notLearner: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  badLeaderTransferee: () => new RpcError(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
};

/** `http://host:port`, `https://host:port` or `host:port` → `host:port`; undefined if it is none of these. */
export function peerAddress(url: string): string | undefined {
  const m = /^(?:https?:\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? `${m[1]}:${port}` : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function replicaClusterInfo(store: ReplicatedStore, options: ReplicaClusterOptions): ClusterInfo {
  const replica = store.replica;
  const memberId = BigInt(replica.id);
  const clusterId = idFromString(`cluster:${options.cluster ?? 'k8ts'}`);

  const members = (): ClusterMember[] =>
    store.members().map((m) => ({
      id: BigInt(m.id),
      name: m.name,
      peerUrls: [`http://${m.addr}`],
      clientUrls: m.id === replica.id ? options.clientUrls : (options.clientUrlsOf?.(m.name) ?? []),
      isLearner: m.learner,
    }));

  const byId = (id: bigint) => {
    const m = store.members().find((x) => BigInt(x.id) === id);
    if (!m) throw memberErrors.notFound();
    return m;
  };

  /** A store refusal worded as etcd's member errors, with their codes. */
  const mapped = (e: unknown): unknown => {
    if (isStoreError(e, 'unavailable') && /in sync with leader/.test(e.message)) return memberErrors.learnerNotReady();
    return e;
  };

  const waitLeaderNot = async (name: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const st = replica.status();
      if (st.leader !== 0 && st.leaderName !== name) return;
      await sleep(25);
    }
  };

  return {
    clusterId,
    memberId,
    members,
    raftTerm: () => replica.term,
    leaderId: () => BigInt(replica.leaderId),
    raftIndex: () => replica.commitIndex,
    appliedIndex: () => replica.appliedIndex,
    isLearner: () => replica.isLearner,
    membership: {
      async add({ name, peerUrls, isLearner }) {
        if (peerUrls.length !== 1) throw memberErrors.badUrls();
        const addr = peerAddress(peerUrls[0]!);
        if (!addr) throw memberErrors.badUrls();
        const memberName = name ?? addr;
        const current = store.members();
        if (current.some((m) => m.addr === addr)) throw memberErrors.peerUrlExists();
        if (current.some((m) => m.name === memberName)) throw memberErrors.idExists();
        if (isLearner && current.some((m) => m.learner)) throw memberErrors.tooManyLearners();
        const added = await store.addMember(memberName, addr, { learner: isLearner }).catch((e: unknown) => Promise.reject(mapped(e)));
        return { id: BigInt(added.id), name: added.name, peerUrls: [`http://${addr}`], clientUrls: [], isLearner };
      },

      async remove(id) {
        const m = byId(id);
        // A leader that removes itself steps down only once the removal applies, and the
        // rest wait an election timeout: hand leadership over first (etcd does too).
        const st = replica.status();
        if (st.leaderName === m.name) {
          const other = store.members().find((x) => !x.learner && x.name !== m.name);
          if (other) {
            try {
              store.transferLeadership(other.name);
              await waitLeaderNot(m.name, 3000);
            } catch {
              // best effort: the removal below works anyway
            }
          }
        }
        await store.removeMember(m.name).catch((e: unknown) => Promise.reject(mapped(e)));
      },

      async promote(id) {
        const m = byId(id);
        if (!m.learner) throw memberErrors.notLearner();
        await store.promoteMember(m.name).catch((e: unknown) => Promise.reject(mapped(e)));
      },
    },

    async moveLeader(targetId) {
      const m = store.members().find((x) => BigInt(x.id) === targetId);
      if (!m || m.learner) throw memberErrors.badLeaderTransferee();
      store.transferLeadership(m.name);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if (replica.status().leaderName === m.name) return;
        await sleep(25);
      }
      throw new RpcError(status.DEADLINE_EXCEEDED, 'etcdserver: request timed out, leader transfer took too long');
    },
  };
}
