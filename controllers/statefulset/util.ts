// StatefulSet facts (upstream pkg/controller/statefulset/stateful_set_utils.go): ordinals and
// the stable identity of each pod (`<set>-<ordinal>`, hostname, subdomain, labels), its
// PersistentVolumeClaims (`<claim>-<set>-<ordinal>`) and their owner references under the
// retention policy, pods made from a revision, and pod health.
import type { ResourceRef } from '../runtime/client.ts';
import { isPodAvailable, isPodReady, podFromTemplate, type Pod, type PodTemplateSpec } from '../runtime/pods.ts';
import { newControllerRef } from '../runtime/controller-ref.ts';
import type { LabelSelector } from '../runtime/selector.ts';
import type { KubeObject, OwnerReference } from '../runtime/types.ts';
import { CONTROLLER_REVISION_HASH_LABEL, templateOf, type ControllerRevision } from '../history/history.ts';

export const STATEFULSETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, kind: 'StatefulSet' };
export const PERSISTENTVOLUMECLAIMS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = CONTROLLER_REVISION_HASH_LABEL;

export interface PersistentVolumeClaim extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface StatefulSetSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  serviceName?: string;
  volumeClaimTemplates?: PersistentVolumeClaim[];
  podManagementPolicy?: 'OrderedReady' | 'Parallel' | string;
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete' | string; rollingUpdate?: { partition?: number; maxUnavailable?: number | string } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  ordinals?: { start?: number };
  [k: string]: unknown;
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  availableReplicas: number;
  conditions?: unknown[];
  [k: string]: unknown;
}

export interface StatefulSet extends KubeObject {
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

export function setReplicas(set: StatefulSet): number {
  return typeof set.spec?.replicas === 'number' ? set.spec.replicas : 1;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** The last ordinal in range (start - 1 when scaled to zero). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + setReplicas(set) - 1;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name ?? ''}-${ordinal}`;
}

/** getParentNameAndOrdinal: `web-3` → web, 3; ordinal -1 when the name has no ordinal. */
export function parentAndOrdinal(pod: KubeObject): { parent: string; ordinal: number } {
  const m = /^(.*)-([0-9]+)$/.exec(pod.metadata?.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n <= 2147483647 ? { parent: m[1]!, ordinal: n } : { parent: '', ordinal: -1 };
}

export function ordinalOf(pod: KubeObject): number {
  return parentAndOrdinal(pod).ordinal;
}

/** isMemberOf: the pod's name says it belongs to the set. */
export function isMemberOf(set: StatefulSet, pod: KubeObject): boolean {
  return parentAndOrdinal(pod).parent === set.metadata?.name;
}

export function inOrdinalRange(pod: KubeObject, set: StatefulSet): boolean {
  const ord = ordinalOf(pod);
  return ord >= startOrdinal(set) && ord <= endOrdinal(set);
}

export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[REVISION_LABEL] ?? '';
}

export function allowsBurst(set: StatefulSet): boolean {
  return set.spec?.podManagementPolicy === 'Parallel';
}

export function isRollingUpdate(set: StatefulSet): boolean {
  return (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

// --- pod health ----------------------------------------------------------------------------

export const isTerminating = (pod: Pod) => !!pod.metadata?.deletionTimestamp;
export const isFailed = (pod: Pod) => pod.status?.phase === 'Failed';
export const isSucceeded = (pod: Pod) => pod.status?.phase === 'Succeeded';
export const isPending = (pod: Pod) => pod.status?.phase === 'Pending';
export const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Pod, minReadySeconds: number, now: number) => pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
/** isHealthy: running, ready and not being deleted. */
export const isHealthy = (pod: Pod) => isRunningAndReady(pod) && !isTerminating(pod);

// --- identity and storage ------------------------------------------------------------------

interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [k: string]: unknown;
}

function podSpec(pod: Pod): Record<string, unknown> & { volumes?: Volume[] } {
  return (pod.spec ??= {}) as Record<string, unknown> & { volumes?: Volume[] };
}

/** identityMatches: name, namespace and the pod-name and pod-index labels fit the ordinal. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const labels = pod.metadata?.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata?.name &&
    pod.metadata?.name === podName(set, ordinal) &&
    pod.metadata?.namespace === set.metadata?.namespace &&
    labels[POD_NAME_LABEL] === pod.metadata?.name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** updateIdentity: name, namespace, hostname, subdomain and the identity labels. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  const m = (pod.metadata ??= {});
  m.name = podName(set, ordinal);
  m.namespace = set.metadata?.namespace;
  m.labels = { ...(m.labels ?? {}), [POD_NAME_LABEL]: m.name, [POD_INDEX_LABEL]: String(ordinal) };
  const spec = podSpec(pod);
  spec.hostname = m.name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
}

/** getPersistentVolumeClaimName */
export function claimName(set: StatefulSet, template: PersistentVolumeClaim, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata?.name ?? ''}-${ordinal}`;
}

/**
 * getPersistentVolumeClaims: the claims of the pod with this ordinal, keyed by template name:
 * the template's spec, its labels plus the set's matchLabels.
 */
export function podClaims(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const tm = t.metadata ?? {};
    const metadata: PersistentVolumeClaim['metadata'] = {
      name: claimName(set, t, ordinal),
      namespace: set.metadata?.namespace,
      labels: { ...(tm.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
    };
    if (tm.annotations && Object.keys(tm.annotations).length) metadata.annotations = { ...tm.annotations };
    out.set(tm.name ?? '', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: structuredClone(t.spec ?? {}) });
  }
  return out;
}

/** storageMatches: a volume per claim template, pointing at the pod's claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((podSpec(pod).volumes ?? []).map((v) => [v.name, v]));
  for (const [name, claim] of podClaims(set, ordinal)) {
    const v = volumes.get(name);
    if (!v?.persistentVolumeClaim || v.persistentVolumeClaim.claimName !== claim.metadata?.name) return false;
  }
  return true;
}

/** updateStorage: the claim volumes first, then the pod's other volumes. */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = podClaims(set, ordinalOf(pod));
  if (claims.size === 0) return;
  const spec = podSpec(pod);
  // readOnly: false is Go's zero value, which the wire form leaves out.
  const volumes: Volume[] = [...claims].map(([name, c]) => ({ name, persistentVolumeClaim: { claimName: c.metadata!.name! } }));
  for (const v of spec.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  spec.volumes = volumes;
}

/** The set with the template a revision holds (ApplyRevision). */
export function applyRevision(set: StatefulSet, rev: ControllerRevision): StatefulSet {
  const out = structuredClone(set);
  (out.spec ??= {}).template = templateOf(rev) as PodTemplateSpec;
  return out;
}

/** newStatefulSetPod + setPodRevision: the pod with this ordinal, from set's template. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revisionName: string): Pod {
  const pod = podFromTemplate(set.spec?.template, set.metadata?.name ?? '', newControllerRef(set, 'apps/v1', 'StatefulSet'));
  delete pod.metadata!.generateName;
  pod.metadata!.name = podName(set, ordinal);
  updateIdentity(set, pod);
  updateStorage(set, pod);
  pod.metadata!.labels = { ...(pod.metadata!.labels ?? {}), [REVISION_LABEL]: revisionName };
  return pod;
}

/**
 * newVersionedStatefulSetPod: ordinals below the partition (or, without rollingUpdate, below
 * the current replicas) are made at the current revision, the others at the update revision.
 */
export function newVersionedPod(currentSet: StatefulSet, updateSet: StatefulSet, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const ru = currentSet.spec?.updateStrategy?.rollingUpdate;
  const start = startOrdinal(currentSet);
  const atCurrent = ru ? ordinal < start + (ru.partition ?? 0) : isRollingUpdate(currentSet) && ordinal < start + (currentSet.status?.currentReplicas ?? 0);
  return atCurrent ? newStatefulSetPod(currentSet, ordinal, currentRevision) : newStatefulSetPod(updateSet, ordinal, updateRevision);
}

// --- claim retention -----------------------------------------------------------------------

function retention(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

/** Scaling down leaves stale claims owned by the old pod until they are collected (PodClaimIsStale). */
export function claimIsStale(set: StatefulSet, claim: PersistentVolumeClaim, podUid: string | undefined): boolean {
  if (retention(set).whenScaled === 'Retain') return false;
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.uid !== podUid);
}

/** Another controller owns the claim: the retention policy leaves it alone (hasUnexpectedController). */
function hasOtherController(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid !== set.metadata?.uid && r.uid !== pod.metadata?.uid);
}

/**
 * updateClaimOwnerRefForSetAndPod: the owner references a claim should have under the
 * retention policy. whenDeleted=Delete: the set controls it (the garbage collector deletes it
 * with the set); whenScaled=Delete: a pod scaled away owns it (it goes with the pod). Returns
 * the new list, or undefined when nothing changes.
 */
export function claimOwnerRefs(set: StatefulSet, pod: Pod, claim: PersistentVolumeClaim): OwnerReference[] | undefined {
  const refs = claim.metadata?.ownerReferences ?? [];
  const setUid = set.metadata?.uid;
  const podUid = pod.metadata?.uid;
  const { whenDeleted, whenScaled } = retention(set);
  const scaledDown = !inOrdinalRange(pod, set);
  let wantSet = whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown);
  let wantPod = whenScaled === 'Delete' && scaledDown && !!podUid;
  if (hasOtherController(claim, set, pod)) wantSet = wantPod = false;
  let out = refs.filter((r) => (r.uid !== setUid || wantSet) && (r.uid !== podUid || wantPod));
  if (wantSet && !out.some((r) => r.uid === setUid)) out = [...out, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: setUid ?? '', controller: true }];
  if (wantPod && !out.some((r) => r.uid === podUid)) out = [...out, { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: podUid! }];
  return out.length === refs.length && out.every((r, i) => r === refs[i]) ? undefined : out;
}
