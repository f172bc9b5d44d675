// PodDisruptionBudget status math (upstream pkg/controller/disruption and pdb helpers), pure:
// how many pods the budget expects (its int minAvailable counts the selected pods; percentages
// and maxUnavailable scale from the replicas of the pods' controllers), how many must stay
// healthy, how many are (ready, not being deleted, not just evicted), hence how many disruptions
// are allowed, the DisruptionAllowed condition, and the evictions (disruptedPods) still awaited.
import { isPodReady, parseTime, type Pod } from '../runtime/pods.ts';
import { getControllerOf } from '../runtime/controller-ref.ts';
import { rfc3339, type KubeObject, type OwnerReference } from '../runtime/types.ts';
import type { LabelSelector } from '../runtime/selector.ts';

/** An eviction not followed by the pod's deletion within this long is forgotten (DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export interface PdbCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

export interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: PdbCondition[];
}

export interface Pdb extends KubeObject {
  spec?: { minAvailable?: number | string | null; maxUnavailable?: number | string | null; selector?: LabelSelector | null; [k: string]: unknown };
  status?: Partial<PdbStatus>;
}

/** The controller of a pod's controller and its replicas (one of the disruption controller's finders). */
export type ScaleFinder = (ref: OwnerReference, namespace: string) => { uid: string; replicas: number } | undefined;

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  const pct = Number(m[1]);
  return roundUp ? Math.ceil((pct * total) / 100) : Math.floor((pct * total) / 100);
}

/** getExpectedScale: the replicas of the controllers of the pods (each counted once). */
export function expectedScale(pods: Pod[], find: ScaleFinder): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const seen = new Set<string>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata?.name ?? '');
      continue;
    }
    if (seen.has(ref.uid)) continue;
    const found = find(ref, pod.metadata?.namespace ?? '');
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
    seen.add(ref.uid);
    scales.set(found.uid, found.replicas);
  }
  let expected = 0;
  for (const n of scales.values()) expected += n;
  return { expected, unmanaged };
}

/** getExpectedPodCount. Throws when a pod's controller cannot be found or a percentage is invalid. */
export function expectedPodCount(pdb: Pdb, pods: Pod[], find: ScaleFinder): { expectedCount: number; desiredHealthy: number; unmanaged: string[] } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pods, find);
    const maxUnavail = scaledValue(maxUnavailable, expected, true);
    return { expectedCount: expected, desiredHealthy: Math.max(0, expected - maxUnavail), unmanaged };
  }
  if (minAvailable !== undefined && minAvailable !== null) {
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] };
    const { expected, unmanaged } = expectedScale(pods, find);
    return { expectedCount: expected, desiredHealthy: scaledValue(minAvailable, expected, true), unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
}

/**
 * buildDisruptedPodMap: the evictions still expected to turn into deletions, when to look again,
 * and the pods that were evicted but not deleted in time.
 */
export function disruptedPodMap(pdb: Pdb, pods: Pod[], now: number): { disrupted: Record<string, string>; recheckAt?: number; notDeleted: Pod[] } {
  const recorded = pdb.status?.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const notDeleted: Pod[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const at = recorded[name];
    if (at === undefined) continue;
    const expectedDeletion = parseTime(at) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) notDeleted.push(pod);
    else {
      if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
      disrupted[name] = at;
    }
  }
  return { disrupted, recheckAt, notDeleted };
}

/** countHealthyPods: ready, not being deleted, not already evicted. */
export function countHealthy(pods: Pod[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata?.deletionTimestamp && disrupted[p.metadata?.name ?? ''] === undefined && isPodReady(p)).length;
}

/** meta.SetStatusCondition: lastTransitionTime moves only with the status. */
export function setCondition(conditions: PdbCondition[], cond: Omit<PdbCondition, 'lastTransitionTime'>, now: number): PdbCondition[] {
  const i = conditions.findIndex((c) => c.type === cond.type);
  if (i < 0) return [...conditions, { ...cond, lastTransitionTime: rfc3339(new Date(now)) }];
  const old = conditions[i]!;
  const next: PdbCondition = { ...old, ...cond, lastTransitionTime: old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(new Date(now)) };
  const out = [...conditions];
  out[i] = next;
  return out;
}

function disruptionAllowedCondition(allowed: number, observedGeneration: number): Omit<PdbCondition, 'lastTransitionTime'> {
  return allowed > 0
    ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration }
    : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration };
}

/** pdbhelper.ConditionsAreUpToDate. */
function conditionsUpToDate(pdb: Pdb): boolean {
  const st = pdb.status ?? {};
  const cond = (st.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  if (!cond || (cond.observedGeneration ?? 0) !== (st.observedGeneration ?? 0)) return false;
  return (st.disruptionsAllowed ?? 0) > 0 ? cond.status === 'True' && cond.reason === 'SufficientPods' : cond.status === 'False' && cond.reason === 'InsufficientPods';
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && parseTime(a![k]) === parseTime(b![k]));
}

/** updatePdbStatus: the new status, or undefined when the stored one says the same. */
export function pdbStatus(pdb: Pdb, currentHealthy: number, desiredHealthy: number, expectedCount: number, disrupted: Record<string, string>, now: number): PdbStatus | undefined {
  let allowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || allowed <= 0) allowed = 0;
  const st = pdb.status ?? {};
  const generation = pdb.metadata?.generation ?? 0;
  if (
    st.currentHealthy === currentHealthy &&
    st.desiredHealthy === desiredHealthy &&
    st.expectedPods === expectedCount &&
    st.disruptionsAllowed === allowed &&
    sameMap(disrupted, st.disruptedPods) &&
    st.observedGeneration === generation &&
    conditionsUpToDate(pdb)
  ) {
    return undefined;
  }
  const out: PdbStatus = { observedGeneration: generation, disruptionsAllowed: allowed, currentHealthy, desiredHealthy, expectedPods: expectedCount };
  if (Object.keys(disrupted).length) out.disruptedPods = disrupted;
  out.conditions = setCondition(st.conditions ?? [], disruptionAllowedCondition(allowed, generation), now);
  return out;
}

/** failSafe: no disruptions while the budget cannot be computed, and why. */
export function failSafeStatus(pdb: Pdb, message: string, now: number): PdbStatus {
  const st = pdb.status ?? {};
  const observedGeneration = st.observedGeneration ?? 0;
  const out: PdbStatus = {
    ...(st as PdbStatus),
    disruptionsAllowed: 0,
    currentHealthy: st.currentHealthy ?? 0,
    desiredHealthy: st.desiredHealthy ?? 0,
    expectedPods: st.expectedPods ?? 0,
  };
  out.conditions = setCondition(st.conditions ?? [], { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message, observedGeneration }, now);
  return out;
}
