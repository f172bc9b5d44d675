// Pod facts controllers share (upstream pkg/api/v1/pod and pkg/controller/controller_utils.go):
// readiness and availability (minReadySeconds), activeness, the pod made from a template for
// an owner, and the order in which an owner prefers to delete its pods (ActivePodsWithRanks).
import type { Condition, KubeObject, ObjectMeta, OwnerReference } from './types.ts';

export interface PodCondition extends Condition {
  lastProbeTime?: string | null;
}

export interface Pod extends KubeObject {
  metadata?: ObjectMeta;
  spec?: { nodeName?: string; [k: string]: unknown };
  status?: {
    phase?: string;
    conditions?: PodCondition[];
    containerStatuses?: { name?: string; restartCount?: number; ready?: boolean }[];
    [k: string]: unknown;
  };
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** ms since the epoch of an RFC 3339 time; 0 for none (Go's zero time). */
export function parseTime(t: string | undefined | null): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}

export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return (pod.status?.conditions ?? []).find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * podutil.IsPodAvailable: ready, and ready for at least minReadySeconds
 * (lastTransitionTime + minReadySeconds strictly before now).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = parseTime(podReadyCondition(pod)?.lastTransitionTime);
  return since !== 0 && since + minReadySeconds * 1000 < now;
}

/** controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function filterActivePods<T extends Pod>(pods: T[]): T[] {
  return pods.filter(isPodActive);
}

/**
 * getPodsPrefix: `<owner>-` as the pods' generateName (the server truncates it to fit and
 * adds five random characters).
 */
export function podsPrefix(ownerName: string): string {
  return `${ownerName}-`;
}

/** controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template, owned by controllerRef. */
export function podFromTemplate(template: PodTemplateSpec | undefined, ownerName: string, controllerRef?: OwnerReference): Pod {
  const tm = template?.metadata ?? {};
  const metadata: ObjectMeta = { generateName: podsPrefix(ownerName) };
  if (tm.labels && Object.keys(tm.labels).length) metadata.labels = { ...tm.labels };
  if (tm.annotations && Object.keys(tm.annotations).length) metadata.annotations = { ...tm.annotations };
  if (tm.finalizers?.length) metadata.finalizers = [...tm.finalizers];
  if (controllerRef) metadata.ownerReferences = [{ ...controllerRef }];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template?.spec ?? {}) };
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined) return 0;
  if (!/^[+-]?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function readyTime(pod: Pod): number {
  if (!isPodReady(pod)) return 0;
  return parseTime((pod.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime);
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** afterOrZero: t1 is zero (and t2 is not), or t1 is after t2. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** floor(log2(now - t)) in nanoseconds, -1 for t at or after now (upstream logarithmicRankDiff). */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * Upstream ActivePodsWithRanks.Less (LogarithmicScaleDown and PodDeletionCost on, as since
 * 1.31/1.22): true when a should be deleted before b.
 *  1. unassigned < assigned; 2. Pending < Unknown < Running; 3. not ready < ready;
 *  4. lower pod-deletion-cost; 5. more colocated related pods (rank) first;
 *  6. ready for less time first (log2 buckets, then uid); 7. more container restarts first;
 *  8. created more recently first (log2 buckets, then uid).
 */
export function deletesBefore(a: Pod, b: Pod, rankA: number, rankB: number, now: number): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return !ra;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca < cb;
  if (rankA !== rankB) return rankA > rankB;
  const uidA = a.metadata?.uid ?? '';
  const uidB = b.metadata?.uid ?? '';
  if (ra && rb) {
    const ta = readyTime(a);
    const tb = readyTime(b);
    if (ta !== tb) {
      if (!now || ta === 0 || tb === 0) return afterOrZero(ta, tb);
      const diff = logRank(ta, now) - logRank(tb, now);
      if (diff === 0) return uidA < uidB;
      return diff < 0;
    }
  }
  const xa = maxRestarts(a);
  const xb = maxRestarts(b);
  if (xa !== xb) return xa > xb;
  const ta = parseTime(a.metadata?.creationTimestamp);
  const tb = parseTime(b.metadata?.creationTimestamp);
  if (ta !== tb) {
    if (!now || ta === 0 || tb === 0) return afterOrZero(ta, tb);
    const diff = logRank(ta, now) - logRank(tb, now);
    if (diff === 0) return uidA < uidB;
    return diff < 0;
  }
  return false;
}

/**
 * The pods in deletion order (upstream getPodsRankedByRelatedPodsOnSameNode + sort): each
 * pod's rank is the number of active related pods (the owner's and its siblings') on its node.
 */
export function rankPodsForDeletion<T extends Pod>(pods: T[], relatedPods: Pod[], now: number): T[] {
  const onNode = new Map<string, number>();
  for (const p of relatedPods) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => (deletesBefore(x.pod, y.pod, x.rank, y.rank, now) ? -1 : deletesBefore(y.pod, x.pod, y.rank, x.rank, now) ? 1 : 0));
  return ranked.map((r) => r.pod);
}
