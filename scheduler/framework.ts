// The scheduling framework's vocabulary (k8s.io/kubernetes/pkg/scheduler/framework): plugin
// statuses, the per-node state plugins read (NodeInfo), the cycle state, plugin interfaces,
// and the FitError message a pod that fits nowhere gets.
import { add, cloneResource, emptyResource, nodeAllocatable, podRequests, subtract, type Resource } from './resources.ts';
import type { Node, Pod } from './types.ts';

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** A plugin's verdict: Success, or a failure with its reasons (each counted in the FitError). */
export interface Status {
  code: Code;
  reasons: string[];
  /** The plugin that failed. */
  plugin?: string;
}

export const SUCCESS: Status = { code: 'Success', reasons: [] };

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function isSuccess(s: Status | undefined | void): boolean {
  return !s || s.code === 'Success';
}

export const MAX_NODE_SCORE = 100;

/** A host port in use: `hostIP/protocol/port` (0.0.0.0 is every address). */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export interface PodInfo {
  pod: Pod;
  requests: Resource;
  /** Requests with defaults for missing CPU/memory (what spreading counts). */
  nonZero: Resource;
  ports: HostPort[];
  /** Has pod affinity or anti-affinity terms (of any kind). */
  hasAffinity: boolean;
  /** Has required pod anti-affinity terms. */
  hasRequiredAntiAffinity: boolean;
}

export function podInfo(pod: Pod): PodInfo {
  const a = pod.spec?.affinity as { podAffinity?: AffinityTerms; podAntiAffinity?: AffinityTerms } | undefined;
  const count = (t: AffinityTerms | undefined) => (t?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) + (t?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0);
  return {
    pod,
    requests: podRequests(pod),
    nonZero: podRequests(pod, true),
    ports: podHostPorts(pod),
    hasAffinity: count(a?.podAffinity) + count(a?.podAntiAffinity) > 0,
    hasRequiredAntiAffinity: (a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0,
  };
}

interface AffinityTerms {
  requiredDuringSchedulingIgnoredDuringExecution?: unknown[];
  preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
}

export function podKeyOf(pod: Pod): string {
  return pod.metadata?.uid || `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** A node and the pods assigned to it (framework.NodeInfo). */
export class NodeInfo {
  node: Node;
  readonly pods = new Map<string, PodInfo>();
  requested: Resource = emptyResource();
  nonZeroRequested: Resource = emptyResource();
  allocatable: Resource;
  usedPorts: HostPort[] = [];
  /** Pods here with pod (anti-)affinity terms, and with required anti-affinity terms. */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  constructor(node: Node) {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  get name(): string {
    return this.node.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
  }

  addPod(pod: Pod): void {
    const key = podKeyOf(pod);
    if (this.pods.has(key)) this.removePod(key);
    const info = podInfo(pod);
    this.pods.set(key, info);
    add(this.requested, info.requests);
    add(this.nonZeroRequested, info.nonZero);
    this.usedPorts.push(...info.ports);
    if (info.hasAffinity) this.podsWithAffinity++;
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity++;
  }

  removePod(key: string): boolean {
    const info = this.pods.get(key);
    if (!info) return false;
    this.pods.delete(key);
    subtract(this.requested, info.requests);
    subtract(this.nonZeroRequested, info.nonZero);
    if (info.hasAffinity) this.podsWithAffinity--;
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity--;
    for (const p of info.ports) {
      const i = this.usedPorts.findIndex((u) => u.ip === p.ip && u.protocol === p.protocol && u.port === p.port);
      if (i >= 0) this.usedPorts.splice(i, 1);
    }
    return true;
  }

  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    for (const [k, v] of this.pods) c.pods.set(k, v);
    c.requested = cloneResource(this.requested);
    c.nonZeroRequested = cloneResource(this.nonZeroRequested);
    c.usedPorts = [...this.usedPorts];
    c.podsWithAffinity = this.podsWithAffinity;
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    return c;
  }
}

/** Pods nominated to run on a node (status.nominatedNodeName, or the scheduler's own nominations). */
export type NominatedPods = (nodeName: string) => readonly Pod[];

/** What one scheduling cycle knows: the pod, the nodes and state plugins share. */
export interface CycleContext {
  pod: Pod;
  /** Every node of the snapshot. */
  nodes: NodeInfo[];
  state: Map<string, unknown>;
  /** The pods nominated to each node, which filtering counts as if they ran there. */
  nominated?: NominatedPods;
}

export interface FilterPlugin {
  name: string;
  /** Once per cycle before filtering; a failure refuses every node with this status. */
  preFilter?(ctx: CycleContext): Status | undefined;
  /** Whether the pod fits the node (undefined or Success: it does). */
  filter(ctx: CycleContext, node: NodeInfo): Status | undefined;
}

export interface ScorePlugin {
  name: string;
  weight: number;
  /** Once per cycle over the feasible nodes, before scoring. */
  preScore?(ctx: CycleContext, feasible: NodeInfo[]): void;
  /** 0..100 (before normalization). */
  score(ctx: CycleContext, node: NodeInfo): number;
  /** Rewrites the scores (aligned with `feasible`) into 0..100. */
  normalize?(ctx: CycleContext, feasible: NodeInfo[], scores: number[]): void;
}

/** The PostFilter verdict: the message for the FitError, and what happens to the pod's nomination. */
export interface PostFilterOutcome {
  /** Appended to the FitError message ('' when the plugin succeeded). */
  message: string;
  /** Undefined: the pod's nomination stays; '' clears it; a node name nominates the pod there. */
  nominatedNode?: string;
  /** The pods to preempt on the nominated node, most important first. */
  victims?: Pod[];
}

/** A PostFilter plugin (the default one is preemption): runs when no node fits the pod. */
export interface PostFilterPlugin {
  name: string;
  postFilter(ctx: CycleContext, filters: FilterPlugin[], statuses: ReadonlyMap<string, Status>): PostFilterOutcome;
}

export function podPriority(pod: Pod): number {
  return typeof pod.spec?.priority === 'number' ? pod.spec.priority : 0;
}

/** Every Filter plugin in order; the first failure, tagged with its plugin (undefined: the pod fits). */
export function runFilters(filters: FilterPlugin[], ctx: CycleContext, node: NodeInfo): Status | undefined {
  for (const p of filters) {
    const s = p.filter(ctx, node);
    if (!isSuccess(s)) return { ...s!, plugin: p.name };
  }
  return undefined;
}

/** PreFilter of every plugin; a rejection, or the nodes a plugin narrows the pod to. */
export function runPreFilters(filters: FilterPlugin[], ctx: CycleContext): { status?: Status; nodeNames?: Set<string> } {
  let nodeNames: Set<string> | undefined;
  for (const p of filters) {
    const s = p.preFilter?.(ctx);
    if (!isSuccess(s)) return { status: { ...s!, plugin: p.name } };
    const narrowed = (p as { preFilterNodes?: (c: CycleContext) => Set<string> | undefined }).preFilterNodes?.(ctx);
    if (narrowed) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => narrowed.has(n))) : narrowed;
  }
  return { nodeNames };
}

/**
 * The cycle as if `trial` (a copy of one node with pods added or removed) replaced that node.
 * PreFilter state summed over nodes (pod affinity, topology spreading) is recomputed when the
 * changed pods could alter it, as upstream's PreFilterExtensions AddPod/RemovePod keep it.
 */
export function trialCycle(filters: FilterPlugin[], ctx: CycleContext, trial: NodeInfo, changed: Iterable<PodInfo>): CycleContext {
  const pod = ctx.pod;
  let crossNode = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || podInfo(pod).hasAffinity;
  if (!crossNode) for (const c of changed) if (c.hasRequiredAntiAffinity) crossNode = true;
  if (!crossNode) return ctx;
  const next: CycleContext = { ...ctx, nodes: ctx.nodes.map((n) => (n.name === trial.name ? trial : n)), state: new Map() };
  runPreFilters(filters, next);
  return next;
}

/**
 * RunFilterPluginsWithNominatedPods: where pods of at least the pod's priority are nominated
 * to the node, the pod must fit both with them there and without them (their room is spoken
 * for, and they may yet go elsewhere).
 */
export function runFiltersWithNominatedPods(filters: FilterPlugin[], ctx: CycleContext, node: NodeInfo): Status | undefined {
  const nominated = ctx.nominated?.(node.name);
  if (nominated?.length) {
    const prio = podPriority(ctx.pod);
    const self = podKeyOf(ctx.pod);
    let trial: NodeInfo | undefined;
    const added: PodInfo[] = [];
    for (const p of nominated) {
      if (podPriority(p) < prio || podKeyOf(p) === self) continue;
      trial ??= node.clone();
      trial.addPod(p);
      added.push(trial.pods.get(podKeyOf(p))!);
    }
    if (trial) {
      const s = runFilters(filters, trialCycle(filters, ctx, trial, added), trial);
      if (s) return s;
    }
  }
  return runFilters(filters, ctx, node);
}

/**
 * framework's DefaultNormalizeScore: scales scores so the largest is `max`; `reverse` flips
 * them (fewer is better). All zero: all 0, or all `max` when reversed.
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: number[]): void {
  let top = 0;
  for (const s of scores) if (s > top) top = s;
  if (top === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((max * scores[i]!) / top);
    if (reverse) s = max - s;
    scores[i] = s;
  }
}

export const NO_NODE_AVAILABLE = (n: number) => `0/${n} nodes are available`;

/**
 * FitError.Error(): `0/N nodes are available: <histogram of reasons>.` plus the PostFilter
 * (preemption) message, as upstream formats it (reasons sorted as strings, `N reason`).
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, preFilterMsg = '', postFilterMsg = ''): string {
  let msg = `${NO_NODE_AVAILABLE(numAllNodes)}:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(goStringCompare);
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}

/** Go's sort.Strings order (bytewise on UTF-8; UTF-16 code units agree for the BMP). */
export function goStringCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
