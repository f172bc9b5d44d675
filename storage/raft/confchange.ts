// Single-server membership changes (Raft thesis §4.1): each change adds, removes, promotes or
// demotes one member, so any two consecutive configurations share a majority and there is
// no need for joint consensus. A change takes effect on each server when it applies the
// committed entry (etcd's convention), and only one change may be pending at a time.
import type { ConfChange, ConfState } from './types.ts';

const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

/**
 * Why `cc` cannot be applied to `cs`, or undefined if it can. Changes that leave the
 * membership as it is (adding an existing voter, removing a stranger) are valid no-ops.
 */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | undefined {
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) return `invalid node id ${cc.nodeId}`;
  const isVoter = cs.voters.includes(cc.nodeId);
  if ((cc.type === 'removeNode' || cc.type === 'addLearnerNode') && isVoter && cs.voters.length === 1) {
    return 'removing or demoting the last voter';
  }
  return undefined;
}

/** The membership after `cc`. Throws nothing: check `confChangeProblem` first. */
export function applyConfChangeToConfState(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  const id = cc.nodeId;
  switch (cc.type) {
    case 'addNode': // add a voter, or promote a learner
      learners.delete(id);
      voters.add(id);
      break;
    case 'addLearnerNode': // add a learner, or demote a voter
      voters.delete(id);
      learners.add(id);
      break;
    case 'removeNode':
      voters.delete(id);
      learners.delete(id);
      break;
  }
  return { voters: sorted(voters), learners: sorted(learners) };
}

export function confStatesEqual(a: ConfState, b: ConfState): boolean {
  const eq = (x: number[], y: number[]) => x.length === y.length && sorted(x).every((v, i) => v === sorted(y)[i]);
  return eq(a.voters, b.voters) && eq(a.learners, b.learners);
}
