// Deployment facts (upstream pkg/controller/deployment/util and the sorting helpers of
// pkg/controller): surge and unavailability from int-or-percent values, revisions and the
// annotations a Deployment keeps on its ReplicaSets, the pod-template hash, conditions,
// status from the ReplicaSets, and when a rollout is complete, progressing or timed out.
import type { PodTemplateSpec } from '../runtime/pods.ts';
import { parseTime } from '../runtime/pods.ts';
import type { LabelSelector } from '../runtime/selector.ts';
import { rfc3339, type KubeObject } from '../runtime/types.ts';
import { specReplicas, type ReplicaSetCondition, type ReplicaSetObject } from '../replicaset/replicaset.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** apps.DefaultDeploymentUniqueLabelKey */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Upstream maxRevHistoryLengthInChars. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;
const MAX_INT32 = 2147483647;

// Condition reasons (upstream deploymentutil).
export const NEW_RS_CREATED_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const MIN_REPLICAS_AVAILABLE = 'MinimumReplicasAvailable';
export const MIN_REPLICAS_UNAVAILABLE = 'MinimumReplicasUnavailable';

export type IntOrString = number | string;

export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate' | string;
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  [k: string]: unknown;
}

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
  [k: string]: unknown;
}

export interface Deployment extends KubeObject {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

export type RS = ReplicaSetObject;

export function deploymentReplicas(d: Deployment): number {
  return typeof d.spec?.replicas === 'number' ? d.spec.replicas : 1;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is; "N%" of total, rounded up or down.
 * Anything else is an error, as upstream.
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** deploymentutil.ResolveFenceposts: surge rounds up, unavailable rounds down; both 0 → unavailable 1. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, deploymentReplicas(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = deploymentReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const { unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

// --- revisions and annotations -------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A revision annotation as strconv.ParseInt(v, 10, 64) reads it: revisions are int64 and a
 * Deployment may adopt a ReplicaSet whose revision is beyond 2^53, so they are bigints here.
 */
export function parseRevision(v: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(v)) return undefined;
  const n = BigInt(v);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** The revision of a ReplicaSet (0 when absent or not an int64). */
export function revisionOf(obj: KubeObject | undefined): bigint {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  return (v === undefined ? undefined : parseRevision(v)) ?? 0n;
}

export function maxRevision(rss: (RS | undefined)[]): bigint {
  let max = 0n;
  for (const rs of rss) {
    const r = revisionOf(rs);
    if (rs && r > max) max = r;
  }
  return max;
}

const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

export function skipCopyAnnotation(key: string): boolean {
  return ANNOTATIONS_TO_SKIP.has(key);
}

/** Copies the Deployment's annotations (but the skipped ones) to the ReplicaSet; true when something changed. */
export function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: RS): boolean {
  const m = (rs.metadata ??= {});
  const ann = (m.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (skipCopyAnnotation(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

/** SetReplicasAnnotations: desired-replicas and max-replicas; true when changed. */
export function setReplicasAnnotations(rs: RS, desired: number, max: number): boolean {
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  let changed = false;
  if (ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    ann[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    ann[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: RS, desired: number, max: number): boolean {
  const ann = rs.metadata?.annotations;
  if (!ann) return true;
  return ann[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || ann[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision to
 * newRevision (keeping the replaced one in revision-history, up to maxHistoryChars) and, for
 * a ReplicaSet about to be created, sets the replicas annotations. True when changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: RS, revision: bigint | number, exists: boolean, maxHistoryChars = MAX_REV_HISTORY_LENGTH_IN_CHARS): boolean {
  const newRevision = BigInt(revision);
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  const had = Object.prototype.hasOwnProperty.call(ann, REVISION_ANNOTATION);
  const oldRevision = ann[REVISION_ANNOTATION] ?? '';
  let oldRevisionInt = 0n;
  if (oldRevision !== '') {
    const parsed = parseRevision(oldRevision);
    if (parsed === undefined) return false;
    oldRevisionInt = parsed;
  }
  if (oldRevisionInt < newRevision) {
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
  }
  if (had && oldRevisionInt < newRevision) {
    const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
    const olds = history.split(',');
    if (olds[0]!.length === 0) ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
    else {
      let totalLen = history.length + oldRevision.length + 1;
      let start = 0;
      while (totalLen > maxHistoryChars && start < olds.length) {
        totalLen -= olds[start]!.length + 1;
        start++;
      }
      if (totalLen <= maxHistoryChars) ann[REVISION_HISTORY_ANNOTATION] = [...olds.slice(start), oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, deploymentReplicas(d), deploymentReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetDeploymentRevision; true when changed. */
export function setDeploymentRevision(d: Deployment, revision: string): boolean {
  const ann = ((d.metadata ??= {}).annotations ??= {});
  if (ann[REVISION_ANNOTATION] === revision) return false;
  ann[REVISION_ANNOTATION] = revision;
  return true;
}

// --- pod-template hash and template equality ----------------------------------------------

/** JSON with sorted keys, dropping null, undefined, empty objects and empty arrays (Go's nil == empty). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonical(v)) ?? 'null';
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(canonical).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/** FNV-1a, 32 bits. */
export function fnv32a(data: Uint8Array, h = 0x811c9dc5): number {
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: maps each character to one that cannot form bad words. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

/**
 * controller.ComputeHash: FNV-32a over the template (then collisionCount as 8 little-endian
 * bytes when set), as the decimal string safe-encoded. Upstream hashes Go's spew dump of the
 * typed struct; k8ts hashes the canonical JSON, so the values differ from a real cluster's
 * for the same template (they are stable for k8ts, which is what matters).
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return c;
}

/** EqualIgnoreHash: the templates are semantically equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

// --- sorting and finding ReplicaSets ------------------------------------------------------

function createdAt(o: KubeObject): number {
  return parseTime(o.metadata?.creationTimestamp);
}

/** ReplicaSetsByCreationTimestamp (names break ties). */
export function byCreationTimestamp(a: RS, b: RS): number {
  const ta = createdAt(a);
  const tb = createdAt(b);
  if (ta === tb) return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
  return ta - tb;
}

/** ReplicaSetsBySizeOlder: larger first, older first among equals. */
export function bySizeOlder(a: RS, b: RS): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

/** ReplicaSetsBySizeNewer: larger first, newer first among equals. */
export function bySizeNewer(a: RS, b: RS): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(b, a);
}

/** ReplicaSetsByRevision (creation time breaks ties). */
export function byRevision(a: RS, b: RS): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  return ra < rb ? -1 : ra > rb ? 1 : byCreationTimestamp(a, b);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(d: Deployment, rsList: RS[]): RS | undefined {
  return [...rsList].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets: every other ReplicaSet (allOld), and those with replicas (required). */
export function findOldReplicaSets(d: Deployment, rsList: RS[]): { required: RS[]; all: RS[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const all = rsList.filter((rs) => !newRS || rs.metadata?.name !== newRS.metadata?.name);
  return { required: all.filter((rs) => specReplicas(rs) !== 0), all };
}

export function filterActiveReplicaSets(rss: (RS | undefined)[]): RS[] {
  return rss.filter((rs): rs is RS => !!rs && specReplicas(rs) > 0);
}

/** FindActiveOrLatest: the only active ReplicaSet; with none active, the new one or the newest old one. */
export function findActiveOrLatest(newRS: RS | undefined, oldRSs: RS[]): RS | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = filterActiveReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

export function desiredReplicasAnnotation(rs: RS): number | undefined {
  const v = rs.metadata?.annotations?.[DESIRED_REPLICAS_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

function maxReplicasAnnotation(rs: RS): number | undefined {
  const v = rs.metadata?.annotations?.[MAX_REPLICAS_ANNOTATION];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** IsSaturated: the ReplicaSet has the Deployment's replicas, desired, and all of them available. */
export function isSaturated(d: Deployment, rs: RS | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const n = deploymentReplicas(d);
  return specReplicas(rs) === n && desired === n && (rs.status?.availableReplicas ?? 0) === n;
}

export const replicaCount = (rss: (RS | undefined)[]) => rss.reduce((s, rs) => s + (rs ? specReplicas(rs) : 0), 0);
export const actualReplicaCount = (rss: (RS | undefined)[]) => rss.reduce((s, rs) => s + (rs?.status?.replicas ?? 0), 0);
export const readyReplicaCount = (rss: (RS | undefined)[]) => rss.reduce((s, rs) => s + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicaCount = (rss: (RS | undefined)[]) => rss.reduce((s, rs) => s + (rs?.status?.availableReplicas ?? 0), 0);

/** math.Round (half away from zero), as integer.RoundToInt32. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** getReplicaSetFraction: this ReplicaSet's share of a resize, from its max-replicas annotation. */
function replicaSetFraction(rs: RS, d: Deployment): number {
  if (deploymentReplicas(d) === 0) return -specReplicas(rs);
  const deploymentMax = deploymentReplicas(d) + maxSurge(d);
  let before = maxReplicasAnnotation(rs);
  if (before === undefined || before === 0) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  return roundHalfAway((specReplicas(rs) * deploymentMax) / before) - specReplicas(rs);
}

/** GetReplicaSetProportion: how many replicas this ReplicaSet gains (or loses) in a proportional resize. */
export function replicaSetProportion(rs: RS | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** NewRSNewReplicas: the new ReplicaSet's size for this step of the rollout. */
export function newRSNewReplicas(d: Deployment, allRSs: (RS | undefined)[], newRS: RS): number {
  const replicas = deploymentReplicas(d);
  if (isRollingUpdate(d)) {
    const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? 0, replicas, true);
    const current = replicaCount(allRSs);
    const maxTotal = replicas + surge;
    if (current >= maxTotal) return specReplicas(newRS);
    const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
    return specReplicas(newRS) + up;
  }
  if ((d.spec?.strategy?.type ?? '') === 'Recreate') return replicas;
  throw new Error(`deployment type ${d.spec?.strategy?.type} isn't supported`);
}

// --- conditions ----------------------------------------------------------------------------

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(new Date(now));
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: no-op for the same status and reason; keeps lastTransitionTime for the same status. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const c = { ...cond };
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}

/** ReplicaSetToDeploymentCondition */
export function replicaSetToDeploymentCondition(c: ReplicaSetCondition): DeploymentCondition {
  return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return typeof p === 'number' && p !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec?.revisionHistoryLimit;
  return typeof l === 'number' && l !== MAX_INT32;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = deploymentReplicas(d);
  return (s.updatedReplicas ?? 0) === n && (s.replicas ?? 0) === n && (s.availableReplicas ?? 0) === n && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** DeploymentProgressing: more updated, ready or available replicas, or fewer old ones, than last reported. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const o = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = parseTime(c.lastUpdateTime);
  return from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/** calculateStatus: the Deployment's counters from its ReplicaSets, and the Available condition. */
export function calculateDeploymentStatus(allRSs: (RS | undefined)[], newRS: RS | undefined, d: Deployment, now: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const total = replicaCount(allRSs);
  const unavailable = Math.max(0, total - available);
  const s: DeploymentStatus = {};
  const put = (k: keyof DeploymentStatus, v: number) => {
    if (v) (s as Record<string, unknown>)[k] = v;
  };
  put('observedGeneration', d.metadata?.generation ?? 0);
  put('replicas', actualReplicaCount(allRSs));
  put('updatedReplicas', actualReplicaCount([newRS]));
  put('readyReplicas', readyReplicaCount(allRSs));
  put('availableReplicas', available);
  put('unavailableReplicas', unavailable);
  if (d.status?.conditions?.length) s.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (typeof d.status?.collisionCount === 'number') s.collisionCount = d.status.collisionCount;
  if (available >= deploymentReplicas(d) - maxUnavailable(d)) {
    setCondition(s, newCondition('Available', 'True', MIN_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', now));
  } else {
    setCondition(s, newCondition('Available', 'False', MIN_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', now));
  }
  return s;
}

/** Field-by-field equality of two statuses (absent counters are 0, as Go's zero values). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const) {
    if ((x[k] ?? 0) !== (y[k] ?? 0)) return false;
  }
  if ((x.collisionCount ?? null) !== (y.collisionCount ?? null)) return false;
  return canonicalJson(x.conditions ?? []) === canonicalJson(y.conditions ?? []);
}
