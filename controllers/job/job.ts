// batch/v1 Job as the Job controller reads and writes it (wire types), and the small facts
// about Jobs and their pods that the controller, the CronJob controller and the TTL
// controller share (upstream pkg/controller/job/util and the batch/v1 constants).
import type { ResourceRef } from '../runtime/client.ts';
import type { Pod, PodTemplateSpec } from '../runtime/pods.ts';
import type { LabelSelector } from '../runtime/selector.ts';
import { hasFinalizer, rfc3339, type KubeObject, type ObjectMeta } from '../runtime/types.ts';

export const JOBS: ResourceRef = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, kind: 'Job' };
export const JOB_API_VERSION = 'batch/v1';
export const COMPONENT = 'job-controller';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** spec.managedBy of the Jobs this controller manages (absent means the same). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  [k: string]: unknown;
}

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template?: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  podFailurePolicy?: unknown;
  managedBy?: string;
  [k: string]: unknown;
}

export interface Job extends KubeObject {
  metadata?: ObjectMeta;
  spec?: JobSpec;
  status?: JobStatus;
}

export function findCondition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

function conditionTrue(status: JobStatus | undefined, type: string): boolean {
  return findCondition(status, type)?.status === 'True';
}

/** The type of the Job's terminal condition (Complete or Failed, True), if any. */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

export function isJobFinished(job: Job): boolean {
  return finishedType(job) !== undefined;
}

export function isJobSucceeded(job: Job): boolean {
  return conditionTrue(job.status, 'Complete');
}

export function isSuspended(job: Job): boolean {
  return job.spec?.suspend === true;
}

export function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** Replacement pods only once the old ones failed (podReplacementPolicy Failed, or a pod failure policy). */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || (job.spec?.podFailurePolicy !== undefined && job.spec?.podFailurePolicy !== null);
}

/** A managedBy naming another controller: this one leaves the Job alone. */
export function managedElsewhere(job: Job): boolean {
  const by = job.spec?.managedBy;
  return typeof by === 'string' && by !== JOB_CONTROLLER_NAME;
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return hasFinalizer(pod, JOB_TRACKING_FINALIZER);
}

/** A pod being deleted that has not reached a terminal phase. */
export function isTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Failed, or (unless only failed pods are replaced) deleted before succeeding: orphans never reach Failed. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

export function newCondition(type: string, status: JobCondition['status'], reason: string, message: string, now: number): JobCondition {
  const t = rfc3339(new Date(now));
  const c: JobCondition = { type, status, lastProbeTime: t, lastTransitionTime: t };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/**
 * Upstream ensureJobConditionStatus: updates the condition of that type when its status,
 * reason or message differ, or appends it (never appending a False one). Returns whether it changed.
 */
export function ensureCondition(status: JobStatus, type: string, value: JobCondition['status'], reason: string, message: string, now: number): boolean {
  const conds = (status.conditions ??= []);
  const i = conds.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = conds[i]!;
    if (c.status === value && (c.reason ?? '') === reason && (c.message ?? '') === message) return false;
    conds[i] = newCondition(type, value, reason, message, now);
    return true;
  }
  if (value === 'False') {
    if (conds.length === 0) delete status.conditions;
    return false;
  }
  conds.push(newCondition(type, value, reason, message, now));
  return true;
}

/** The status as the API serializes it: zero counters and empty lists omitted (Go's omitempty). */
export function normalizeStatus(status: JobStatus): JobStatus {
  const out: JobStatus = { ...status };
  for (const k of ['active', 'succeeded', 'failed'] as const) if (!out[k]) delete out[k];
  if (!out.completedIndexes) delete out.completedIndexes;
  if (out.conditions && out.conditions.length === 0) delete out.conditions;
  if (out.uncountedTerminatedPods) {
    const u: UncountedTerminatedPods = {};
    if (out.uncountedTerminatedPods.succeeded?.length) u.succeeded = [...out.uncountedTerminatedPods.succeeded];
    if (out.uncountedTerminatedPods.failed?.length) u.failed = [...out.uncountedTerminatedPods.failed];
    out.uncountedTerminatedPods = u;
  }
  return out;
}
