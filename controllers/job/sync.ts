// The Job controller's pure core (upstream syncJob, manageJob and
// trackJobStatusAndRemoveFinalizers), from the Job and the pods it owns:
// - which pods to create (with their completion indexes) or delete, within parallelism and the
//   remaining completions, waiting out the pod-failure back-off;
// - whether the Job has failed (backoffLimit, activeDeadlineSeconds: FailureTarget, then Failed
//   once no pod is left running) or succeeded (SuccessCriteriaMet, then Complete);
// - how finished pods are counted exactly once: a pod keeps the `batch.kubernetes.io/job-tracking`
//   finalizer until it is counted; the controller first writes its uid into
//   status.uncountedTerminatedPods, then removes the finalizer, then moves the uid into the
//   succeeded/failed counters (finishStatus). A crash between any two steps loses nothing and
//   counts nothing twice.
// The shell executes planJob's pod operations and status writes in this order, assuming each
// succeeds (it stops at the first failure and retries the whole sync).
import { deletesBefore, isPodActive, isPodReady, type Pod } from '../runtime/pods.ts';
import { rfc3339 } from '../runtime/types.ts';
import { newBackoffRecord, remainingBackoffMs, type BackoffRecord } from './backoff.ts';
import { REASON_POD_FAILURE_POLICY, countsAsFailed, failJobMessage } from './pod-failure-policy.ts';
import {
  UNKNOWN_INDEX,
  completionIndex,
  firstPendingIndexes,
  formatIndexes,
  hasIndex,
  indexesOf,
  parseIndexes,
  totalIndexes,
  withIndexes,
  type Interval,
} from './indexes.ts';
import {
  ensureCondition,
  findCondition,
  hasTrackingFinalizer,
  isIndexed,
  isPodFailed,
  isSuspended,
  isTerminating,
  newCondition,
  onlyReplaceFailedPods,
  type Job,
  type JobCondition,
  type JobStatus,
} from './job.ts';

/** Upstream MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
/** Upstream MaxUncountedPods: keeps status.uncountedTerminatedPods small. */
export const MAX_UNCOUNTED_PODS = 500;
/** Upstream syncJobBatchPeriod: the least delay of a delayed sync. */
export const SYNC_JOB_BATCH_PERIOD_MS = 1000;
export const DEFAULT_BACKOFF_LIMIT = 6;

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobSyncInput {
  job: Job;
  /** The pods the Job owns (claimed). */
  pods: Pod[];
  now: number;
  /** False while pod creations or deletions asked for earlier are not yet observed. */
  satisfiedExpectations: boolean;
  /** Pods whose finalizer removal was asked for and not yet observed. */
  expectedRmFinalizers: ReadonlySet<string>;
  backoff: BackoffRecord;
}

export interface JobSyncPlan {
  /** The Job has finished: delete its active pods, keeping their finalizers (they are counted as failed). */
  deleteActive: Pod[];
  /** Too many pods, or suspended: remove their finalizers, then delete them (not counted). */
  deletePods: Pod[];
  /** Pods to create, one entry each: its completion index, or UNKNOWN_INDEX. */
  create: number[];
  /** Events to record now (Suspended, Resumed). */
  events: PlannedEvent[];
  /** The status with newly finished pods added to uncountedTerminatedPods; write it when `flush`. */
  status: JobStatus;
  flush: boolean;
  /** Pods whose tracking finalizer to remove once `status` is written. */
  removeFinalizers: Pod[];
  /** Uids of pods with the finalizer (not expected gone) before the removals. */
  withFinalizer: Set<string>;
  /** The terminal condition to set once every pod is counted and none is terminating. */
  finished?: JobCondition;
  terminating: number;
  /** Counting stopped at MAX_UNCOUNTED_PODS: not finished in this sync. */
  reachedMaxUncounted: boolean;
  /** Sync again after this long (deadline, back-off). */
  requeueAfterMs?: number;
  /** The back-off record to keep once `status` is written. */
  backoff: BackoffRecord;
}

function uid(p: Pod): string {
  return p.metadata?.uid ?? '';
}

/** Sum of container restarts of running or pending pods reached backoffLimit (restartPolicy OnFailure). */
function pastBackoffLimitOnFailure(job: Job, pods: Pod[], backoffLimit: number): boolean {
  if ((job.spec?.template?.spec as { restartPolicy?: string } | undefined)?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    const statuses = [...((p.status?.initContainerStatuses as { restartCount?: number }[] | undefined) ?? []), ...(p.status?.containerStatuses ?? [])];
    for (const s of statuses) restarts += s.restartCount ?? 0;
  }
  return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
}

function pastActiveDeadline(job: Job, status: JobStatus, now: number): boolean {
  const ads = job.spec?.activeDeadlineSeconds;
  if (ads === undefined || ads === null || !status.startTime || isSuspended(job)) return false;
  return now - Date.parse(status.startTime) >= ads * 1000;
}

/** controller.ActivePods order: the pods to delete first come first. */
function sortForDeletion(pods: Pod[]): Pod[] {
  return [...pods].sort((a, b) => (deletesBefore(a, b, 0, 0, 0) ? -1 : deletesBefore(b, a, 0, 0, 0) ? 1 : 0));
}

/**
 * Upstream activePodsForRemoval: for Indexed Jobs first the pods without a valid index and all
 * but the best pod of a repeated index, then others in deletion order.
 */
export function activePodsForRemoval(job: Job, pods: Pod[], atLeast: number): Pod[] {
  const rm: Pod[] = [];
  let left = pods;
  if (isIndexed(job)) {
    const completions = job.spec?.completions ?? 0;
    left = [];
    const byIndex = new Map<number, Pod[]>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix === UNKNOWN_INDEX || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = sortForDeletion(byIndex.get(ix)!);
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1]!);
    }
  }
  if (rm.length < atLeast) rm.push(...sortForDeletion(left).slice(0, atLeast - rm.length));
  return rm;
}

/** Moves uncounted uids whose pods lost their finalizer into the counters; returns whether anything moved. */
export function cleanUncounted(status: JobStatus, withFinalizer: ReadonlySet<string>): boolean {
  const u = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const [list, counter] of [
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
  ] as const) {
    const before = u[list] ?? [];
    const keep = before.filter((x) => withFinalizer.has(x));
    if (keep.length === before.length) continue;
    changed = true;
    status[counter] = (status[counter] ?? 0) + before.length - keep.length;
    if (keep.length) u[list] = keep;
    else delete u[list];
  }
  return changed;
}

interface Manage {
  active: number;
  ready: number;
  terminating: number;
  deletePods: Pod[];
  create: number[];
  requeueAfterMs?: number;
}

/** Upstream manageJob: suspension, scaling down, and creating pods up to the wanted number. */
function manage(job: Job, active: Pod[], pods: Pod[], succeeded: number, succeededIndexes: Interval[], terminating: number, ready: number, backoff: BackoffRecord, now: number): Manage {
  const spec = job.spec ?? {};
  let count = active.length;
  const remove = (victims: Pod[]): Manage => ({
    active: count - victims.length,
    ready: ready - victims.filter(isPodReady).length,
    terminating: terminating + victims.length,
    deletePods: victims,
    create: [],
  });
  if (isSuspended(job)) return remove(activePodsForRemoval(job, active, count));
  const parallelism = spec.parallelism ?? 1;
  let want: number;
  if (spec.completions === undefined || spec.completions === null) want = succeeded > 0 ? count : parallelism;
  else want = Math.max(0, Math.min(spec.completions - succeeded, parallelism));
  const victims = activePodsForRemoval(job, active, Math.max(0, count - want)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (victims.length) return remove(victims);
  const none: Manage = { active: count, ready, terminating, deletePods: [], create: [] };
  let diff = want - (onlyReplaceFailedPods(job) ? terminating : 0) - count;
  if (diff <= 0) return none;
  const wait = remainingBackoffMs(backoff, now);
  if (wait > 0) return { ...none, requeueAfterMs: Math.max(wait, SYNC_JOB_BATCH_PERIOD_MS) };
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
  let create: number[];
  if (isIndexed(job)) {
    let nonPending = withIndexes(succeededIndexes, indexesOf(active));
    if (onlyReplaceFailedPods(job)) nonPending = withIndexes(nonPending, indexesOf(pods.filter(isTerminating)));
    create = firstPendingIndexes(nonPending, diff, spec.completions ?? 0);
  } else create = new Array<number>(diff).fill(UNKNOWN_INDEX);
  count += create.length;
  return { ...none, active: count, create };
}

/** One sync of a Job that has not finished (callers skip finished Jobs). */
export function planJob(input: JobSyncInput): JobSyncPlan {
  const { job, pods, now, expectedRmFinalizers } = input;
  const spec = job.spec ?? {};
  const status: JobStatus = structuredClone(job.status ?? {});
  const uncounted = (status.uncountedTerminatedPods ??= {});
  const uncountedSucceeded = new Set(uncounted.succeeded ?? []);
  const uncountedFailed = new Set(uncounted.failed ?? []);
  const indexed = isIndexed(job);
  const completions = spec.completions ?? 0;
  const validIndex = (p: Pod) => !indexed || (completionIndex(p) !== UNKNOWN_INDEX && completionIndex(p) < completions);
  const countable = (p: Pod) => hasTrackingFinalizer(p) && !expectedRmFinalizers.has(uid(p)) && validIndex(p);

  const active = pods.filter(isPodActive);
  let ready = active.filter(isPodReady).length;
  let terminating = pods.filter(isTerminating).length;
  const newSucceeded = pods.filter((p) => countable(p) && !uncountedSucceeded.has(uid(p)) && p.status?.phase === 'Succeeded');
  const newFailed = pods.filter((p) => countable(p) && !uncountedFailed.has(uid(p)) && isPodFailed(p, job));
  let succeeded = (status.succeeded ?? 0) + newSucceeded.length + uncountedSucceeded.size;
  // Pods an Ignore rule of spec.podFailurePolicy matches do not count against backoffLimit.
  const failed = (status.failed ?? 0) + newFailed.filter((p) => countsAsFailed(job, p)).length + uncountedFailed.size;
  if (!status.startTime && !isSuspended(job)) status.startTime = rfc3339(new Date(now));
  const backoff = newBackoffRecord(input.backoff, newSucceeded, newFailed);
  const backoffLimit = spec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => (requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms));

  // The terminal outcome: decided in an earlier sync (an interim condition), or now.
  let finished: JobCondition | undefined;
  const met = findCondition(status, 'SuccessCriteriaMet');
  const target = findCondition(status, 'FailureTarget');
  const failJob = failJobMessage(job, pods.filter((p) => isPodFailed(p, job)));
  if (met?.status === 'True') finished = met;
  else if (target?.status === 'True') finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
  else if (failJob) finished = newCondition('FailureTarget', 'True', REASON_POD_FAILURE_POLICY, failJob, now);
  else if (failed > backoffLimit || pastBackoffLimitOnFailure(job, pods, backoffLimit)) {
    finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
  } else if (pastActiveDeadline(job, status, now)) {
    finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
  } else if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && !isSuspended(job)) {
    requeue(spec.activeDeadlineSeconds * 1000 - (now - Date.parse(status.startTime!)));
  }

  let prevSucceededIndexes: Interval[] = [];
  let succeededIndexes: Interval[] = [];
  if (indexed) {
    prevSucceededIndexes = parseIndexes(status.completedIndexes, completions);
    const done = pods.filter((p) => p.status?.phase === 'Succeeded' && validIndex(p) && hasTrackingFinalizer(p));
    succeededIndexes = withIndexes(prevSucceededIndexes, indexesOf(done));
    succeeded = totalIndexes(succeededIndexes);
  }

  const events: PlannedEvent[] = [];
  let deleteActive: Pod[] = [];
  let deletePods: Pod[] = [];
  let create: number[] = [];
  let activeCount = active.length;
  let suspendChanged = false;
  if (finished) {
    deleteActive = active;
    // Pods not yet in the cache may still come: not finished until expectations are met.
    if (!input.satisfiedExpectations) finished = undefined;
    activeCount = 0;
    terminating += active.length;
    ready -= active.filter(isPodReady).length;
  } else {
    let managed = false;
    if (input.satisfiedExpectations && !job.metadata?.deletionTimestamp) {
      const m = manage(job, active, pods, succeeded, succeededIndexes, terminating, ready, backoff, now);
      ({ active: activeCount, ready, terminating, deletePods, create } = m);
      if (m.requeueAfterMs !== undefined) requeue(m.requeueAfterMs);
      managed = true;
    }
    const complete = spec.completions === undefined || spec.completions === null ? succeeded > 0 && activeCount === 0 : succeeded >= spec.completions && activeCount === 0;
    if (complete) finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    else if (managed && isSuspended(job)) {
      if (ensureCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
        suspendChanged = true;
        events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
      }
    } else if (managed && ensureCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
      suspendChanged = true;
      events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
      // activeDeadlineSeconds counts the time the Job is continuously active.
      status.startTime = rfc3339(new Date(now));
    }
  }

  let flush = suspendChanged || activeCount !== (status.active ?? 0) || ready !== status.ready || terminating !== status.terminating;
  status.active = activeCount;
  status.ready = ready;
  status.terminating = terminating;

  // Counting: finished pods go into uncountedTerminatedPods, their finalizers come off.
  const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !expectedRmFinalizers.has(uid(p))).map(uid));
  if (cleanUncounted(status, withFinalizer)) flush = true;
  const u = status.uncountedTerminatedPods!;
  const removeFinalizers: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMaxUncounted = false;
  const ordered = indexed ? [...pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : pods;
  for (const pod of ordered) {
    if (!hasTrackingFinalizer(pod) || expectedRmFinalizers.has(uid(pod))) continue;
    const podFailed = isPodFailed(pod, job);
    const succeededPod = pod.status?.phase === 'Succeeded';
    if (!(job.metadata?.deletionTimestamp || finished || succeededPod || podFailed)) continue;
    removeFinalizers.push(pod);
    if (succeededPod && !uncountedFailed.has(uid(pod))) {
      if (indexed) {
        const ix = completionIndex(pod);
        if (validIndex(pod) && !hasIndex(prevSucceededIndexes, ix)) {
          newSucceededIndexes.push(ix);
          flush = true;
        }
      } else if (!uncountedSucceeded.has(uid(pod))) {
        (u.succeeded ??= []).push(uid(pod));
        flush = true;
      }
    } else if (podFailed || (finished && finished.type !== 'SuccessCriteriaMet')) {
      // Once the Job has failed, every pod not terminated counts as failed.
      if (!uncountedFailed.has(uid(pod)) && validIndex(pod) && countsAsFailed(job, pod)) {
        (u.failed ??= []).push(uid(pod));
        flush = true;
      }
    }
    if (newSucceededIndexes.length + (u.succeeded?.length ?? 0) + (u.failed?.length ?? 0) >= MAX_UNCOUNTED_PODS) {
      reachedMaxUncounted = true;
      break;
    }
  }
  if (indexed) {
    succeededIndexes = withIndexes(succeededIndexes, newSucceededIndexes);
    const s = formatIndexes(succeededIndexes);
    if (s !== (status.completedIndexes ?? '')) flush = true;
    status.succeeded = totalIndexes(succeededIndexes);
    status.completedIndexes = s;
  }
  // Interim conditions go out with the uncounted pods; the terminal one follows.
  if (finished?.type === 'FailureTarget') {
    (status.conditions ??= []).push(finished);
    flush = true;
    finished = newCondition('Failed', 'True', finished.reason ?? '', finished.message ?? '', now);
  } else if (finished?.type === 'SuccessCriteriaMet') {
    if (findCondition(status, 'SuccessCriteriaMet')?.status !== 'True') {
      (status.conditions ??= []).push(finished);
      flush = true;
    }
    finished = newCondition('Complete', 'True', finished.reason ?? '', finished.message ?? '', now);
  }
  return {
    deleteActive,
    deletePods,
    create,
    events,
    status,
    flush,
    removeFinalizers,
    withFinalizer,
    finished,
    terminating,
    reachedMaxUncounted,
    requeueAfterMs,
    backoff,
  };
}

export interface FinishResult {
  status: JobStatus;
  /** The status changed since plan.status (write it). */
  changed: boolean;
  /** The Job got its terminal condition. */
  finished: boolean;
  events: PlannedEvent[];
}

/**
 * After the finalizer removals (`stillWithFinalizer`: uids whose finalizer is still there):
 * counts the uncounted pods that lost it, and sets the terminal condition (and
 * completionTime) once nothing is uncounted or terminating (upstream enactJobFinished).
 */
export function finishStatus(job: Job, plan: JobSyncPlan, stillWithFinalizer: ReadonlySet<string>, now: number): FinishResult {
  const status = structuredClone(plan.status);
  let changed = cleanUncounted(status, stillWithFinalizer);
  const cond = plan.finished;
  const u = status.uncountedTerminatedPods ?? {};
  const pending = (u.succeeded?.length ?? 0) + (u.failed?.length ?? 0);
  if (!cond || plan.reachedMaxUncounted || pending > 0 || plan.terminating > 0) return { status, changed, finished: false, events: [] };
  ensureCondition(status, cond.type, cond.status, cond.reason ?? '', cond.message ?? '', now);
  const events: PlannedEvent[] = [];
  if (cond.type === 'Complete') {
    status.completionTime = findCondition(status, 'Complete')!.lastTransitionTime;
    const completions = job.spec?.completions;
    if (completions !== undefined && completions !== null && (status.succeeded ?? 0) > completions) {
      events.push({ type: 'Warning', reason: 'TooManySucceededPods', message: 'Too many succeeded pods running after completion count reached' });
    }
    events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
  } else events.push({ type: 'Warning', reason: cond.reason ?? '', message: cond.message ?? '' });
  changed = true;
  return { status, changed, finished: true, events };
}
