// A randomized fault-injection workload on the Network harness: client proposals, reads,
// leadership transfers and membership changes interleaved with crashes, restarts,
// partitions, message loss, duplication and reordering. Everything derives from the seed.
// After the chaos phase the network is healed and must converge: one leader, every member
// caught up. The harness checks safety throughout (strict mode throws on a violation).
import type { ConfState } from '../types.ts';
import { isRaftError } from '../types.ts';
import { SeededRandom } from '../rand.ts';
import { Network } from './network.ts';
import type { NetworkOptions } from './network.ts';

export interface ChaosOptions {
  /** Virtual milliseconds of chaos before healing. Default 10000. */
  durationMs?: number;
  /** Virtual milliseconds allowed to converge after healing. Default 60000. */
  convergeMs?: number;
  /** Founding voters; default 3 or 5 depending on the seed. */
  voters?: number[];
  /** Spare nodes that membership changes may add. */
  joiners?: number[];
  /** Propose membership changes. Default true. */
  membership?: boolean;
  /** Crash and restart nodes. Default true. */
  crashes?: boolean;
  /** Force PreVote/CheckQuorum on or off (default: chosen by the seed). */
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Extra harness options. */
  network?: Partial<NetworkOptions>;
}

export interface ChaosResult {
  seed: number;
  /** The network healed and converged. */
  converged: boolean;
  leader: number | undefined;
  config: ConfState | undefined;
  proposed: number;
  /** Distinct log indexes applied anywhere. */
  applied: number;
  net: Network;
}

export function runChaos(seed: number, opts: ChaosOptions = {}): ChaosResult {
  const r = new SeededRandom(seed * 7919 + 17);
  const voters = opts.voters ?? (seed % 3 === 0 ? [1, 2, 3, 4, 5] : [1, 2, 3]);
  const joiners = opts.joiners ?? [Math.max(...voters) + 1, Math.max(...voters) + 2];
  const checkQuorum = opts.checkQuorum ?? r.chance(0.5);
  const preVote = opts.preVote ?? r.chance(0.5);
  const net = new Network({
    seed,
    voters,
    joiners,
    config: {
      preVote,
      checkQuorum,
      maxInflightMsgs: r.int(1, 8),
      maxSizePerMsg: r.pick([0, 100, 1 << 20]),
      readOnlyOption: checkQuorum && r.chance(0.3) ? 'leaseBased' : 'safe',
    },
    dropRate: r.pick([0, 0.05, 0.2]),
    duplicateRate: r.pick([0, 0.05, 0.2]),
    reorder: r.chance(0.5),
    snapshotEvery: r.pick([0, 3, 10]),
    compactKeep: r.pick([0, 2]),
    ...opts.network,
  });
  const duration = opts.durationMs ?? 10_000;
  let proposed = 0;
  let reads = 0;
  const tolerate = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (!isRaftError(e)) throw e;
    }
  };
  for (let t = 0; t < duration; t += r.int(10, 80)) {
    net.at(t, () => {
      const up = net.ids.filter((id) => net.node(id).up);
      const dice = r.next();
      if (dice < 0.5) {
        if (up.length > 0) {
          net.tryPropose(r.pick(up), `v${proposed}`);
          proposed++;
        }
      } else if (dice < 0.55) {
        if (opts.crashes === false) return;
        const id = r.pick(net.ids);
        if (!net.node(id).up) net.restart(id);
        else if (up.length > 1) net.crash(id);
      } else if (dice < 0.6) {
        const id = r.pick(net.ids);
        net.partition([id, ...net.ids.filter((x) => x !== id && r.chance(0.3))]);
      } else if (dice < 0.65) {
        net.heal();
      } else if (dice < 0.7) {
        if (opts.membership === false) return;
        const lead = net.leader();
        if (lead === undefined) return;
        const type = r.pick(['addNode', 'addLearnerNode', 'removeNode'] as const);
        tolerate(() => net.proposeConfChange(lead, { type, nodeId: r.pick(net.ids) }));
      } else if (dice < 0.75) {
        if (up.length > 0) tolerate(() => net.readIndex(r.pick(up), `r${reads++}`));
      } else if (dice < 0.78) {
        const lead = net.leader();
        if (lead !== undefined) net.transferLeader(lead, r.pick(net.ids));
      }
    });
  }
  net.runFor(duration);

  // Heal everything and require convergence.
  net.heal();
  net.dropRate = 0;
  net.duplicateRate = 0;
  for (const id of net.ids) if (!net.node(id).up) net.restart(id);
  const converged = net.runUntil(() => {
    const lead = net.leader();
    if (lead === undefined) return false;
    const lr = net.raw(lead).raft;
    const cs = lr.trk.confState();
    const last = lr.raftLog.lastIndex();
    return lr.raftLog.committed === last && [...cs.voters, ...cs.learners].every((id) => net.node(id).lastApplied === last);
  }, opts.convergeMs ?? 60_000);
  net.checkLogMatching();
  const leader = net.leader();
  return {
    seed,
    converged,
    leader,
    config: leader === undefined ? undefined : net.raw(leader).raft.trk.confState(),
    proposed,
    applied: net.appliedCount,
    net,
  };
}
