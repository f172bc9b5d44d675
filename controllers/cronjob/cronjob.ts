// The CronJob controller's pure core (upstream pkg/controller/cronjob, controller v2): when
// the next Job is due (the most recent unmet schedule time since the last one, within
// startingDeadlineSeconds, giving up on listing more than 100 missed times), what to do about
// it (concurrencyPolicy, suspend, a time zone that does not load), the Job made from the
// template (`<cronjob>-<minutes since the epoch>`, with its scheduled time as an annotation),
// the reconciliation of status.active with the Jobs that exist, and which finished Jobs the
// history limits let go.
import type { ResourceRef } from '../runtime/client.ts';
import { newControllerRef } from '../runtime/controller-ref.ts';
import type { ObjectReference } from '../runtime/events.ts';
import { parseTime } from '../runtime/pods.ts';
import { rfc3339, type KubeObject, type ObjectMeta } from '../runtime/types.ts';
import { loadLocationError } from '../../lib/cron/go-time.ts';
import { JOB_API_VERSION, finishedType, isJobFinished, isJobSucceeded, type Job, type JobSpec } from '../job/job.ts';
import type { PlannedEvent } from '../job/sync.ts';
import { parseStandard, type Schedule } from '../../lib/cron/schedule.ts';
import { UTC, ZERO_TIME, offsetAt, wallClock } from '../../lib/cron/zone.ts';

export const CRONJOBS: ResourceRef = { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, kind: 'CronJob' };
export const COMPONENT = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream nextScheduleDelta: requeues land this long after the schedule time (clock skew). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobSpec {
  schedule?: string;
  timeZone?: string | null;
  startingDeadlineSeconds?: number | null;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace' | string;
  suspend?: boolean;
  jobTemplate?: { metadata?: ObjectMeta; spec?: JobSpec };
  successfulJobsHistoryLimit?: number | null;
  failedJobsHistoryLimit?: number | null;
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJob extends KubeObject {
  metadata?: ObjectMeta;
  spec?: CronJobSpec;
  status?: CronJobStatus;
}

/** The process's own zone: Go's time.Local in kube-controller-manager. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC;
}

/**
 * Upstream formatSchedule: spec.timeZone becomes a `TZ=` prefix (when it loads); a schedule
 * that carries TZ itself is taken as written (and is worth a warning).
 */
export function formatSchedule(cj: CronJob): { schedule: string; tzInSchedule: boolean } {
  const schedule = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) return { schedule, tzInSchedule: true };
  const tz = cj.spec?.timeZone;
  if (tz !== undefined && tz !== null && !loadLocationError(tz)) return { schedule: `TZ=${tz} ${schedule}`, tzInSchedule: false };
  return { schedule, tzInSchedule: false };
}

export const UNSUPPORTED_TZ_MESSAGE = (schedule: string) =>
  `CRON_TZ or TZ used in schedule ${JSON.stringify(schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`;

export interface MostRecent {
  /** The last schedule time, else the creation time (moved up to the starting deadline when asked). */
  earliest: number;
  /** The latest schedule time in (earliest, now], if any. */
  mostRecent?: number;
  missed: 'none' | 'few' | 'many';
  error?: string;
}

/** Upstream mostRecentScheduleTime. */
export function mostRecentScheduleTime(cj: CronJob, now: number, sched: Schedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = parseTime(cj.status?.lastScheduleTime) || parseTime(cj.metadata?.creationTimestamp) || ZERO_TIME;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    // Nothing before this point will be started anyway.
    earliest = Math.max(earliest, now - deadline * 1000);
  }
  const t1 = sched.next(earliest);
  const t2 = sched.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  // A grammatically valid but impossible schedule (e.g. Feb 31) has no second time.
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // A rough count of missed times, then the exact most recent one from just before it.
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  for (let t = sched.next(t1 + (missedCount - 2) * between * 1000); t <= now && t !== ZERO_TIME; t = sched.next(t)) mostRecent = t;
  const missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** Upstream nextScheduleTimeDuration: how long until the next schedule time (plus a margin). */
export function nextScheduleTimeDuration(cj: CronJob, now: number, sched: Schedule): number {
  const r = mostRecentScheduleTime(cj, now, sched, false);
  const from = r.error ? now : (r.mostRecent ?? r.earliest);
  return sched.next(from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>`: the same time never makes two Jobs. */
export function jobName(cj: CronJob, scheduledTime: number): string {
  return `${cj.metadata?.name ?? ''}-${Math.floor(scheduledTime / 60_000)}`;
}

/** RFC 3339 in the zone, as Go formats a time.Time in its location ("Z" for UTC). */
export function rfc3339InZone(ms: number, zone: string): string {
  const off = offsetAt(ms, zone);
  if (off === 0) return rfc3339(new Date(ms));
  const w = wallClock(ms, zone);
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  const abs = Math.abs(off) / 60_000;
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}${off < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

/** Upstream getJobFromTemplate2: the Job for the scheduled time, owned by the CronJob. */
export function jobFromTemplate(cj: CronJob, scheduledTime: number): Job {
  const tmeta = cj.spec?.jobTemplate?.metadata ?? {};
  const tz = cj.spec?.timeZone ?? '';
  const annotations = { ...(tmeta.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339InZone(scheduledTime, tz === '' ? UTC : tz) };
  const metadata: ObjectMeta = { name: jobName(cj, scheduledTime), annotations, ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')] };
  if (tmeta.labels) metadata.labels = { ...tmeta.labels };
  return { apiVersion: JOB_API_VERSION, kind: 'Job', metadata, spec: structuredClone(cj.spec?.jobTemplate?.spec ?? {}) };
}

/** reference.GetReference of a Job, as status.active lists it. */
export function jobReference(job: Job): ObjectReference {
  const m = job.metadata ?? {};
  return { kind: 'Job', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: JOB_API_VERSION, resourceVersion: m.resourceVersion };
}

export function inActiveList(cj: CronJob, uid: string | undefined): boolean {
  return (cj.status?.active ?? []).some((r) => r.uid === uid);
}

export function deleteFromActiveList(cj: CronJob, uid: string | undefined): void {
  const status = (cj.status ??= {});
  status.active = (status.active ?? []).filter((r) => r.uid !== uid);
}

export interface ChildrenResult {
  /** Unfinished Jobs of ours that status.active does not list. */
  unexpected: Job[];
  /** status.active entries with no Job in the cache (to check against the server). */
  missing: ObjectReference[];
  events: PlannedEvent[];
  changed: boolean;
}

/**
 * The first part of upstream syncCronJob over a copy of the CronJob: finished Jobs leave
 * status.active (SawCompletedJob), the newest completion becomes lastSuccessfulTime.
 */
export function reconcileChildren(cj: CronJob, jobs: Job[]): ChildrenResult {
  const out: ChildrenResult = { unexpected: [], missing: [], events: [], changed: false };
  const status = (cj.status ??= {});
  for (const j of jobs) {
    const found = inActiveList(cj, j.metadata?.uid);
    if (!found && !isJobFinished(j)) out.unexpected.push(j);
    else if (found && isJobFinished(j)) {
      deleteFromActiveList(cj, j.metadata?.uid);
      out.events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata?.name}, status: ${finishedType(j)}` });
      out.changed = true;
    } else if (isJobSucceeded(j)) {
      const done = j.status?.completionTime;
      if (done && (!status.lastSuccessfulTime || parseTime(done) > parseTime(status.lastSuccessfulTime))) {
        status.lastSuccessfulTime = done;
        out.changed = true;
      }
    }
  }
  const uids = new Set(jobs.map((j) => j.metadata?.uid));
  out.missing = (status.active ?? []).filter((r) => !uids.has(r.uid));
  return out;
}

export type Decision =
  /** Nothing to start and nothing to wait for (suspended, being deleted, a broken spec). */
  | { kind: 'idle'; events: PlannedEvent[] }
  /** Nothing to start now: look again after requeueAfterMs. */
  | { kind: 'wait'; events: PlannedEvent[]; requeueAfterMs: number }
  /** Start the Job for scheduledTime (replacing the active ones first when `replace`). */
  | { kind: 'run'; events: PlannedEvent[]; scheduledTime: number; replace: boolean; schedule: Schedule };

/** The rest of upstream syncCronJob up to creating the Job. */
export function decide(cj: CronJob, now: number, localZone: string): Decision {
  const events: PlannedEvent[] = [];
  if (cj.metadata?.deletionTimestamp) return { kind: 'idle', events };
  const tz = cj.spec?.timeZone;
  if (tz !== undefined && tz !== null) {
    const err = loadLocationError(tz);
    if (err) return { kind: 'idle', events: [{ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${JSON.stringify(tz)}: ${err}` }] };
  }
  if (cj.spec?.suspend) return { kind: 'idle', events };
  const { schedule: spec, tzInSchedule } = formatSchedule(cj);
  if (tzInSchedule) events.push({ type: 'Warning', reason: 'UnsupportedSchedule', message: UNSUPPORTED_TZ_MESSAGE(cj.spec?.schedule ?? '') });
  let sched: Schedule;
  try {
    sched = parseStandard(spec, localZone);
  } catch (err) {
    events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(cj.spec?.schedule ?? '')} : ${(err as Error).message}` });
    return { kind: 'idle', events };
  }
  const recent = mostRecentScheduleTime(cj, now, sched, true);
  if (recent.mostRecent !== undefined && recent.missed === 'many') {
    events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
  }
  if (recent.error) {
    events.push({ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${cj.spec?.schedule ?? ''} : ${recent.error}` });
    return { kind: 'idle', events };
  }
  const wait = () => ({ kind: 'wait' as const, events, requeueAfterMs: nextScheduleTimeDuration(cj, now, sched) });
  const scheduled = recent.mostRecent;
  if (scheduled === undefined || scheduled > now) return wait();
  // Upstream's "too late" check (a MissSchedule event) cannot fire: the search above already
  // started at now - startingDeadlineSeconds, so a time missed by more is never found.
  const name = jobName(cj, scheduled);
  const processed = (cj.status?.active ?? []).some((r) => r.name === name && r.namespace === cj.metadata?.namespace) || parseTime(cj.status?.lastScheduleTime) === scheduled;
  if (processed) return wait();
  if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status?.active ?? []).length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return wait();
  }
  return { kind: 'run', events, scheduledTime: scheduled, replace: cj.spec?.concurrencyPolicy === 'Replace', schedule: sched };
}

/** Upstream byJobStartTime: started before not started, earlier first, then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  const d = parseTime(sa) - parseTime(sb);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Upstream cleanupFinishedJobs: the oldest finished Jobs beyond the history limits. */
export function jobsBeyondHistoryLimits(cj: CronJob, jobs: Job[]): Job[] {
  const out: Job[] = [];
  const limits: ['Complete' | 'Failed', number | null | undefined][] = [
    ['Complete', cj.spec?.successfulJobsHistoryLimit],
    ['Failed', cj.spec?.failedJobsHistoryLimit],
  ];
  for (const [type, limit] of limits) {
    if (limit === undefined || limit === null) continue;
    const finished = jobs.filter((j) => finishedType(j) === type).sort(byStartTime);
    out.push(...finished.slice(0, Math.max(0, finished.length - limit)));
  }
  return out;
}

