// One scheduling cycle as upstream's schedulePod, pure: PreFilter, Filter over the nodes
// (from a rotating start, stopping once enough feasible nodes are found in big clusters),
// PreScore/Score/NormalizeScore with plugin weights, and a host picked at random among the
// best. A pod that fits nowhere gets a FitError whose message is upstream's, including the
// preemption (PostFilter) verdict.
import {
  fitErrorMessage,
  isSuccess,
  NodeInfo,
  podKeyOf,
  unresolvable,
  type CycleContext,
  type FilterPlugin,
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
import type { Pod } from './types.ts';

export interface Profile {
  schedulerName: string;
  filters: FilterPlugin[];
  scorers: ScorePlugin[];
  /** Nodes to find feasible before scoring (0: adaptive, as upstream's default). */
  percentageOfNodesToScore: number;
}

export interface ProfileOptions extends TopologySpreadOptions {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  /** Namespace labels, for pod affinity terms with a namespaceSelector. */
  namespaceLabels?: NamespaceLabels;
}

/** The default profile's plugins in upstream's order (those k8ts implements). */
export function defaultProfile(opts: ProfileOptions = {}): Profile {
  const spread = podTopologySpreadPlugin(opts);
  const interPod = interPodAffinityPlugin({ namespaceLabels: opts.namespaceLabels });
  return {
    schedulerName: opts.schedulerName ?? 'default-scheduler',
    filters: [nodeUnschedulablePlugin, nodeNamePlugin, taintTolerationPlugin, nodeAffinityPlugin, nodePortsPlugin, nodeResourcesFitPlugin, spread, interPod],
    scorers: [taintTolerationPlugin, nodeAffinityPlugin, nodeResourcesFitPlugin, spread, interPod, balancedAllocationPlugin],
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
  | { kind: 'unschedulable'; error: FitError }
  | { kind: 'error'; message: string };

export interface ScheduleOptions {
  /** Where filtering starts (rotated across cycles); updated in place. */
  cursor?: { next: number };
  random?: () => number;
}

function runFilters(profile: Profile, ctx: CycleContext, node: NodeInfo): Status | undefined {
  for (const p of profile.filters) {
    const s = p.filter(ctx, node);
    if (!isSuccess(s)) return { ...s!, plugin: p.name };
  }
  return undefined;
}

/** PreFilter of every plugin; a rejection, or the nodes a plugin narrows the pod to. */
function runPreFilters(profile: Profile, ctx: CycleContext): { status?: Status; nodeNames?: Set<string> } {
  let nodeNames: Set<string> | undefined;
  for (const p of profile.filters) {
    const s = p.preFilter?.(ctx);
    if (!isSuccess(s)) return { status: { ...s!, plugin: p.name } };
    const narrowed = (p as { preFilterNodes?: (c: CycleContext) => Set<string> | undefined }).preFilterNodes?.(ctx);
    if (narrowed) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => narrowed.has(n))) : narrowed;
  }
  return { nodeNames };
}

function podPriority(pod: Pod): number {
  return typeof pod.spec?.priority === 'number' ? pod.spec.priority : 0;
}

/**
 * The default preemption plugin's verdict when no node fits (PostFilter): which nodes
 * preemption cannot help (unresolvable failures), and on the others whether evicting every
 * lower-priority pod would make room. k8ts does not evict yet, so a node where it would is
 * reported as having no victims.
 */
export function preemptionMessage(profile: Profile, ctx: CycleContext, statuses: Map<string, Status>): string {
  const pod = ctx.pod;
  if (pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never.';
  const prio = podPriority(pod);
  const out = new Map<string, Status>();
  for (const node of ctx.nodes) {
    const s = statuses.get(node.name);
    if (!s || s.code === 'UnschedulableAndUnresolvable') {
      out.set(node.name, unresolvable('Preemption is not helpful for scheduling'));
      continue;
    }
    const victims = [...node.pods.values()].filter((p) => podPriority(p.pod) < prio);
    if (victims.length === 0) {
      out.set(node.name, unresolvable('No preemption victims found for incoming pod'));
      continue;
    }
    const trial = node.clone();
    for (const v of victims) trial.removePod(podKeyOf(v.pod));
    const again = runFilters(profile, ctx, trial);
    out.set(node.name, again ?? unresolvable('No preemption victims found for incoming pod'));
  }
  return `preemption: ${fitErrorMessage(ctx.nodes.length, out.values())}`;
}

function fitError(profile: Profile, ctx: CycleContext, statuses: Map<string, Status>, preFilterMsg: string): FitError {
  const postFilterMsg = preemptionMessage(profile, ctx, statuses);
  return {
    numAllNodes: ctx.nodes.length,
    statuses,
    preFilterMsg,
    postFilterMsg,
    message: fitErrorMessage(ctx.nodes.length, statuses.values(), preFilterMsg, postFilterMsg),
  };
}

/** One scheduling attempt of `pod` over `nodes`. */
export function schedulePod(profile: Profile, pod: Pod, nodes: NodeInfo[], opts: ScheduleOptions = {}): ScheduleResult {
  if (nodes.length === 0) return { kind: 'error', message: ERR_NO_NODES_AVAILABLE };
  const random = opts.random ?? Math.random;
  const cursor = opts.cursor ?? { next: 0 };
  const ctx: CycleContext = { pod, nodes, state: new Map() };
  const statuses = new Map<string, Status>();

  const pre = runPreFilters(profile, ctx);
  if (pre.status) {
    for (const n of nodes) statuses.set(n.name, pre.status);
    return { kind: 'unschedulable', error: fitError(profile, ctx, statuses, pre.status.reasons.join(', ')) };
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
    const s = runFilters(profile, ctx, node);
    if (s) statuses.set(node.name, s);
    else feasible.push(node);
  }
  cursor.next = len ? (start + processed) % len : 0;
  if (feasible.length === 0) return { kind: 'unschedulable', error: fitError(profile, ctx, statuses, '') };
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
