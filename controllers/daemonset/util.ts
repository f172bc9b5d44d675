// DaemonSet facts (upstream pkg/controller/daemon/util and daemon_controller.go): which nodes
// should run a daemon pod (the template's nodeName, nodeSelector and required node affinity
// must fit; NoSchedule/NoExecute taints must be tolerated, counting the tolerations every
// daemon pod gets), the pod made for a node (pinned by a matchFields metadata.name affinity
// that the scheduler honours), which pods are up to date, and surge/unavailability counts.
import type { ResourceRef } from '../runtime/client.ts';
import { parseTime, type Pod, type PodTemplateSpec } from '../runtime/pods.ts';
import type { LabelSelector } from '../runtime/selector.ts';
import type { KubeObject } from '../runtime/types.ts';
import { requiredNodeAffinityMatches } from '../../scheduler/plugins/node-affinity.ts';
import { findUntoleratedTaint } from '../../scheduler/plugins/taint-toleration.ts';
import type { Node, Pod as SchedPod, Toleration } from '../../scheduler/types.ts';
import { scaledValue, type IntOrString } from '../deployment/util.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/history.ts';

export const DAEMONSETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, kind: 'DaemonSet' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
/** The template generation the API server keeps for apps/v1 DaemonSets. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
/** extensions.DaemonSetTemplateGenerationKey, on daemon pods. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const HASH_LABEL = CONTROLLER_REVISION_HASH_LABEL;

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete' | string; rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  [k: string]: unknown;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
  [k: string]: unknown;
}

export interface DaemonSet extends KubeObject {
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

/** GetTemplateGeneration: undefined when absent or not a number. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** AddOrUpdateTolerationInPodSpec: equal key, operator, value and effect replace, others are added. */
function addToleration(tolerations: Toleration[], t: Toleration): Toleration[] {
  const same = (x: Toleration) => (x.key ?? '') === (t.key ?? '') && (x.operator ?? '') === (t.operator ?? '') && (x.value ?? '') === (t.value ?? '') && (x.effect ?? '') === (t.effect ?? '');
  return tolerations.some(same) ? tolerations.map((x) => (same(x) ? t : x)) : [...tolerations, t];
}

/** AddOrUpdateDaemonPodTolerations: daemon pods survive node problems and cordons. */
export function addDaemonPodTolerations(spec: { tolerations?: Toleration[]; hostNetwork?: boolean; [k: string]: unknown }): void {
  let t = spec.tolerations ?? [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) t = addToleration(t, { key, operator: 'Exists', effect: 'NoExecute' });
  for (const key of ['node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable']) {
    t = addToleration(t, { key, operator: 'Exists', effect: 'NoSchedule' });
  }
  if (spec.hostNetwork) t = addToleration(t, { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  spec.tolerations = t;
}

const predicatePods = new WeakMap<DaemonSet, SchedPod>();

/**
 * NewPod without the node name: the daemon pod as the predicates see it, made once per
 * DaemonSet object (a sync checks every node two or three times).
 */
function predicatePod(ds: DaemonSet): SchedPod {
  let pod = predicatePods.get(ds);
  if (!pod) {
    const spec = structuredClone((ds.spec?.template?.spec ?? {}) as SchedPod['spec']);
    addDaemonPodTolerations(spec);
    pod = { metadata: { ...structuredClone(ds.spec?.template?.metadata ?? {}), namespace: ds.metadata?.namespace }, spec };
    predicatePods.set(ds, pod);
  }
  return pod;
}

/**
 * NodeShouldRunDaemonPod: shouldRun when the pod fits the node; shouldContinueRunning when
 * a pod already there may stay (it fits, or only a NoSchedule taint is not tolerated).
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const name = node.metadata?.name ?? '';
  const templateNode = (ds.spec?.template?.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
  if (templateNode !== '' && templateNode !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = predicatePod(ds);
  if (!requiredNodeAffinityMatches(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  if (findUntoleratedTaint(taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, pod.spec.tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

interface Affinity {
  nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: unknown[] }; [k: string]: unknown };
  [k: string]: unknown;
}

/** GetTargetNodeName: spec.nodeName, or the one node a matchFields metadata.name affinity names. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = ((pod.spec?.affinity as Affinity | undefined)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as {
    matchFields?: { key: string; operator: string; values?: string[] }[];
  }[];
  if (terms.length !== 1) return undefined;
  for (const f of terms[0]!.matchFields ?? []) {
    if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes "this node". */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const out: Affinity = structuredClone(affinity ?? {});
  const na = (out.nodeAffinity ??= {});
  na.requiredDuringSchedulingIgnoredDuringExecution = { ...(na.requiredDuringSchedulingIgnoredDuringExecution ?? {}), nodeSelectorTerms: [term] };
  return out;
}

/** CreatePodTemplate: the template plus the daemon tolerations, the generation and hash labels. */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = structuredClone(ds.spec?.template ?? {});
  addDaemonPodTolerations((t.spec ??= {}) as Parameters<typeof addDaemonPodTolerations>[0]);
  const labels = { ...(t.metadata?.labels ?? {}) };
  const gen = templateGeneration(ds);
  if (gen !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(gen);
  if (hash) labels[HASH_LABEL] = hash;
  t.metadata = { ...(t.metadata ?? {}), labels };
  return t;
}

/** IsPodUpdated: the pod carries the current hash (or, for old pods, the template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (hash !== '' && labels[HASH_LABEL] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation));
}

function rollingUpdateOf(ds: DaemonSet) {
  return (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' ? ds.spec?.updateStrategy?.rollingUpdate : undefined;
}

/** SurgeCount (rounded up). */
export function surgeCount(ds: DaemonSet, desired: number): number {
  const ru = rollingUpdateOf(ds);
  return ru ? scaledValue(ru.maxSurge ?? 0, desired, true) : 0;
}

/** UnavailableCount (rounded up). */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  const ru = rollingUpdateOf(ds);
  return ru ? scaledValue(ru.maxUnavailable ?? 0, desired, true) : 0;
}

export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}

/** podByCreationTimestampAndPhase: scheduled pods first, then oldest first, then by name. */
export function byCreationTimestampAndPhase(a: Pod, b: Pod): number {
  const sa = !!a.spec?.nodeName;
  const sb = !!b.spec?.nodeName;
  if (sa !== sb) return sa ? -1 : 1;
  const d = parseTime(a.metadata?.creationTimestamp) - parseTime(b.metadata?.creationTimestamp);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
