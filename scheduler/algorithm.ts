// One scheduling cycle as upstream's schedulePod, pure: PreFilter, Filter over the nodes
// (from a rotating start, stopping once enough feasible nodes are found in big clusters),
// PreScore/Score/NormalizeScore with plugin weights, and a host picked at random among the
// best. Pods nominated to a node (preemptors waiting for their victims to go) count there for
// pods of lower priority. A pod that fits nowhere gets a FitError whose message is upstream's,
// including the PostFilter (preemption) verdict, and possibly a node to preempt on.
import {
  fitErrorMessage,
  NodeInfo,
  runFiltersWithNominatedPods,
  runPreFilters,
  unresolvable,
  type CycleContext,
  type FilterPlugin,
  type NominatedPods,
  type PostFilterOutcome,
  type PostFilterPlugin,
  type ScorePlugin,
  type Status,
} from './framework.ts';
import { interPodAffinityPlugin, type NamespaceLabels } from './plugins/inter-pod-affinity.ts';
import { nodeAffinityPlugin } from './plugins/node-affinity.ts';
import { nodeNamePlugin } from './plugins/node-name.ts';
import { nodePortsPlugin } from './plugins/node-ports.ts';
import { balancedAllocationPlugin, nodeResourcesFitPlugin } from './plugins/node-resources.ts';
import { nodeUnschedulablePlugin } from './plugins/node-unschedulable.ts';
import { podTopologySpreadPlugin, type TopologySpreadOptions } from './plugins/pod-topology-spread.ts';
import { taintTolerationPlugin } from './plugins/taint-toleration.ts';
import { volumeBindingPlugin, type VolumeListers } from './plugins/volume-binding.ts';
import { defaultPreemptionPlugin, type DefaultPreemptionOptions } from './preemption/default-preemption.ts';
import type { Pod } from './types.ts';

export interface Profile {
  schedulerName: string;
  filters: FilterPlugin[];
  scorers: ScorePlugin[];
  /** Runs when no node fits (upstream's default: DefaultPreemption). */
  postFilter?: PostFilterPlugin;
  /** Nodes to find feasible before scoring (0: adaptive, as upstream's default). */
  percentageOfNodesToScore: number;
}

export interface ProfileOptions extends TopologySpreadOptions {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  /** Namespace labels, for pod affinity terms with a namespaceSelector. */
  namespaceLabels?: NamespaceLabels;
  /** DefaultPreemption's inputs (PodDisruptionBudgets). */
  preemption?: DefaultPreemptionOptions;
  /** Claims and StorageClasses, for VolumeBinding (none known when left out). */
  volumes?: VolumeListers;
}

const NO_VOLUMES: VolumeListers = { claim: () => undefined, storageClass: () => undefined };

/** The default profile's plugins in upstream's order (those k8ts implements). */
export function defaultProfile(opts: ProfileOptions = {}): Profile {
  const spread = podTopologySpreadPlugin(opts);
  const interPod = interPodAffinityPlugin({ namespaceLabels: opts.namespaceLabels });
  return {
    schedulerName: opts.schedulerName ?? 'default-scheduler',
    filters: [nodeUnschedulablePlugin, nodeNamePlugin, taintTolerationPlugin, nodeAffinityPlugin, nodePortsPlugin, nodeResourcesFitPlugin, volumeBindingPlugin(opts.volumes ?? NO_VOLUMES), spread, interPod],
    scorers: [taintTolerationPlugin, nodeAffinityPlugin, nodeResourcesFitPlugin, spread, interPod, balancedAllocationPlugin],
    postFilter: defaultPreemptionPlugin(opts.preemption),
    percentageOfNodesToScore: opts.percentageOfNodesToScore ?? 0,
  };
}

export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
const FILTERED_BY_PREFILTER = 'node is filtered out by the prefilter result';
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes to look for before scoring (numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let p = percentage;
  if (p === 0) p = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  const n = Math.trunc((numAllNodes * p) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

export interface FitError {
  numAllNodes: number;
  /** Why each rejected node was rejected. */
  statuses: Map<string, Status>;
  preFilterMsg: string;
  postFilterMsg: string;
  message: string;
}

export type ScheduleResult =
  | { kind: 'scheduled'; node: string; evaluatedNodes: number; feasibleNodes: number }
  | { kind: 'unschedulable'; error: FitError; postFilter?: PostFilterOutcome }
  | { kind: 'error'; message: string };

export interface ScheduleOptions {
  /** Where filtering starts (rotated across cycles); updated in place. */
  cursor?: { next: number };
  random?: () => number;
  /** The pods nominated to each node. */
  nominated?: NominatedPods;
}

/** The FitError of a pod no node fits, after the PostFilter plugin had its say. */
function unschedulable(profile: Profile, ctx: CycleContext, statuses: Map<string, Status>, preFilterMsg: string): ScheduleResult {
  const postFilter = profile.postFilter?.postFilter(ctx, profile.filters, statuses);
  const postFilterMsg = postFilter?.message ?? '';
  const error: FitError = {
    numAllNodes: ctx.nodes.length,
    statuses,
    preFilterMsg,
    postFilterMsg,
    message: fitErrorMessage(ctx.nodes.length, statuses.values(), preFilterMsg, postFilterMsg),
  };
  return { kind: 'unschedulable', error, postFilter };
}

/** One scheduling attempt of `pod` over `nodes`. */
export function schedulePod(profile: Profile, pod: Pod, nodes: NodeInfo[], opts: ScheduleOptions = {}): ScheduleResult {
  if (nodes.length === 0) return { kind: 'error', message: ERR_NO_NODES_AVAILABLE };
  const random = opts.random ?? Math.random;
  const cursor = opts.cursor ?? { next: 0 };
  const ctx: CycleContext = { pod, nodes, state: new Map(), nominated: opts.nominated };
  const statuses = new Map<string, Status>();

  const pre = runPreFilters(profile.filters, ctx);
  if (pre.status) {
    for (const n of nodes) statuses.set(n.name, pre.status);
    return unschedulable(profile, ctx, statuses, pre.status.reasons.join(', '));
  }
  let candidates = nodes;
  if (pre.nodeNames) {
    candidates = [];
    for (const n of nodes) {
      if (pre.nodeNames.has(n.name)) candidates.push(n);
      else statuses.set(n.name, unresolvable(FILTERED_BY_PREFILTER));
    }
  }

  // Filter from the rotating start until enough feasible nodes are found.
  const want = numFeasibleNodesToFind(profile.percentageOfNodesToScore, candidates.length);
  const feasible: NodeInfo[] = [];
  let processed = 0;
  const len = candidates.length;
  const start = len ? cursor.next % len : 0;
  for (let i = 0; i < len && feasible.length < want; i++) {
    const node = candidates[(start + i) % len]!;
    processed++;
    const s = runFiltersWithNominatedPods(profile.filters, ctx, node);
    if (s) statuses.set(node.name, s);
    else feasible.push(node);
  }
  cursor.next = len ? (start + processed) % len : 0;
  if (feasible.length === 0) return unschedulable(profile, ctx, statuses, '');
  if (feasible.length === 1) return { kind: 'scheduled', node: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 };

  // Score.
  const totals = new Array<number>(feasible.length).fill(0);
  for (const p of profile.scorers) p.preScore?.(ctx, feasible);
  for (const p of profile.scorers) {
    const scores = feasible.map((n) => p.score(ctx, n));
    p.normalize?.(ctx, feasible, scores);
    for (let i = 0; i < scores.length; i++) totals[i]! += scores[i]! * p.weight;
  }
  return { kind: 'scheduled', node: selectHost(feasible, totals, random), evaluatedNodes: processed, feasibleNodes: feasible.length };
}

/** The best-scoring node, ties broken uniformly at random (reservoir sampling, as upstream). */
export function selectHost(nodes: NodeInfo[], scores: number[], random: () => number = Math.random): string {
  let best = -Infinity;
  let chosen = '';
  let seen = 0;
  for (let i = 0; i < nodes.length; i++) {
    const s = scores[i]!;
    if (s > best) {
      best = s;
      chosen = nodes[i]!.name;
      seen = 1;
    } else if (s === best) {
      seen++;
      if (Math.floor(random() * seen) === 0) chosen = nodes[i]!.name;
    }
  }
  return chosen;
}
