// The DefaultPreemption PostFilter plugin (upstream's preemption Evaluator.Preempt), pure: when
// no node fits the pod, and its preemptionPolicy allows it, find the nodes where evicting
// lower-priority pods would make room (a dry run on a sample of the nodes preemption might
// help), pick the best by upstream's criteria, and return that node with its victims. The
// scheduler then nominates the pod there and deletes the victims. When nothing can be done the
// verdict becomes the `preemption: ...` part of the FitError message.
import {
  fitErrorMessage,
  podPriority,
  unresolvable,
  type CycleContext,
  type FilterPlugin,
  type PostFilterOutcome,
  type PostFilterPlugin,
  type Status,
} from '../framework.ts';
import type { Pod } from '../types.ts';
import { pickOneNodeForPreemption, type Candidate } from './pick.ts';
import { selectVictimsOnNode, type PodDisruptionBudget } from './victims.ts';

export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

export interface DefaultPreemptionOptions {
  /** The cluster's PodDisruptionBudgets. */
  pdbs?: () => readonly PodDisruptionBudget[];
  /** Where the dry run starts among the potential nodes (upstream: random). */
  random?: () => number;
  now?: () => number;
  /** DefaultPreemptionArgs: candidates to find before choosing (10 %, at least 100). */
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

/** podTerminatingByPreemption: being deleted, with the DisruptionTarget condition preemption sets. */
export function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const c = (pod.status?.conditions ?? []).find((x) => x.type === DISRUPTION_TARGET);
  return c?.status === 'True' && c.reason === PREEMPTION_BY_SCHEDULER;
}

/** PodEligibleToPreemptOthers: the reason it is not, or undefined. */
export function notEligibleReason(ctx: CycleContext, statuses: ReadonlyMap<string, Status>): string | undefined {
  const pod = ctx.pod;
  if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.status?.nominatedNodeName;
  if (!nominated) return undefined;
  // Filters ruled the nominated node out for good: look for another one.
  const s = statuses.get(nominated);
  if (!s || s.code === 'UnschedulableAndUnresolvable') return undefined;
  const node = ctx.nodes.find((n) => n.name === nominated);
  const prio = podPriority(pod);
  for (const p of node?.pods.values() ?? []) {
    // Victims of an earlier preemption are still going: wait for them rather than preempt more.
    if (podPriority(p.pod) < prio && terminatingByPreemption(p.pod)) return 'not eligible due to a terminating pod on the nominated node.';
  }
  return undefined;
}

/** calculateNumCandidates. */
export function numCandidates(numNodes: number, percentage = 10, absolute = 100): number {
  return Math.min(numNodes, Math.max(Math.trunc((numNodes * percentage) / 100), absolute));
}

export function defaultPreemptionPlugin(opts: DefaultPreemptionOptions = {}): PostFilterPlugin {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  return {
    name: 'DefaultPreemption',
    postFilter(ctx: CycleContext, filters: FilterPlugin[], statuses: ReadonlyMap<string, Status>): PostFilterOutcome {
      const reason = notEligibleReason(ctx, statuses);
      // Not eligible: the nomination (if any) stands.
      if (reason) return { message: `preemption: ${reason}` };

      const potential = ctx.nodes.filter((n) => statuses.get(n.name)?.code === 'Unschedulable');
      const dryRun = new Map<string, Status>();
      const nonViolating: Candidate[] = [];
      const violating: Candidate[] = [];
      if (potential.length) {
        const pdbs = opts.pdbs?.() ?? [];
        const offset = Math.floor(random() * potential.length);
        const want = numCandidates(potential.length, opts.minCandidateNodesPercentage, opts.minCandidateNodesAbsolute);
        const t = now();
        for (let i = 0; i < potential.length; i++) {
          const node = potential[(offset + i) % potential.length]!;
          const r = selectVictimsOnNode(filters, ctx, node, pdbs, t);
          if ('status' in r) dryRun.set(node.name, r.status);
          else if (r.victims.length === 0) dryRun.set(node.name, unresolvable(`expected at least one victim pod on node "${node.name}"`));
          else {
            (r.numPDBViolations === 0 ? nonViolating : violating).push({ node: node.name, ...r });
            if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
          }
        }
      }
      const best = pickOneNodeForPreemption([...nonViolating, ...violating], now());
      if (!best) {
        const verdicts = ctx.nodes.map((n) => dryRun.get(n.name) ?? unresolvable(NOT_HELPFUL));
        return { message: `preemption: ${fitErrorMessage(ctx.nodes.length, verdicts)}`, nominatedNode: '' };
      }
      return { message: '', nominatedNode: best.node, victims: best.victims };
    },
  };
}
