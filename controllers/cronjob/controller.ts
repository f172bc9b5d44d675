// The CronJob controller's shell (upstream ControllerV2): informers on CronJobs and Jobs feed
// CronJob keys into a work queue; a sync deletes finished Jobs beyond the history limits,
// reconciles status.active with the Jobs that exist (checking with the server before calling a
// Job missing or unexpected), creates the Job that is due, writes the status once, and asks to
// be woken for the next schedule time.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { getControllerOf } from '../runtime/controller-ref.ts';
import { errorMessage, isAlreadyExists, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { objectKey, rfc3339, splitKey, type OwnerReference } from '../runtime/types.ts';
import { JOBS, type Job } from '../job/job.ts';
import type { PlannedEvent } from '../job/sync.ts';
import { parseStandard } from '../../lib/cron/schedule.ts';
import {
  COMPONENT,
  CRONJOBS,
  decide,
  deleteFromActiveList,
  formatSchedule,
  inActiveList,
  jobFromTemplate,
  jobReference,
  jobsBeyondHistoryLimits,
  localTimeZone,
  nextScheduleTimeDuration,
  reconcileChildren,
  type CronJob,
} from './cronjob.ts';

export interface CronJobControllerOptions {
  api: Api;
  cronJobs: Informer;
  jobs: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
  /** The zone of schedules without spec.timeZone (default: this process's zone, as upstream's time.Local). */
  localZone?: string;
}

const noRecorder: EventRecorder = { event() {} };

interface SyncState {
  cj: CronJob;
  updateStatus: boolean;
}

export class CronJobController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly cronJobs: Informer<CronJob>;
  private readonly jobs: Informer<Job>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly localZone: string;

  constructor(opts: CronJobControllerOptions) {
    this.api = opts.api;
    this.cronJobs = opts.cronJobs as Informer<CronJob>;
    this.jobs = opts.jobs as Informer<Job>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.localZone = opts.localZone ?? localTimeZone();
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: 'cronjob', clock: this.clock }),
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 5,
    });
    this.cronJobs.addEventHandler({
      add: (cj) => this.controller.enqueue(objectKey(cj)),
      update: (old, cur) => this.updateCronJob(old, cur),
      delete: (cj) => this.controller.enqueue(objectKey(cj)),
    });
    this.jobs.addEventHandler({
      add: (job) => this.enqueueOwner(job),
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        if (JSON.stringify(getControllerOf(old) ?? null) !== JSON.stringify(getControllerOf(cur) ?? null)) this.enqueueOwner(old);
        this.enqueueOwner(cur);
      },
      delete: (job) => this.enqueueOwner(job),
    });
  }

  private resolveControllerRef(namespace: string, ref: OwnerReference): CronJob | undefined {
    if (ref.kind !== 'CronJob') return undefined;
    const cj = this.cronJobs.store.getByName(namespace, ref.name);
    return cj && cj.metadata?.uid === ref.uid ? cj : undefined;
  }

  private enqueueOwner(job: Job): void {
    const ref = getControllerOf(job);
    const cj = ref && this.resolveControllerRef(job.metadata?.namespace ?? '', ref);
    if (cj) this.controller.enqueue(objectKey(cj));
  }

  /** A new schedule or zone: wake up at its next time rather than now. */
  private updateCronJob(old: CronJob, cur: CronJob): void {
    if (old.spec?.schedule === cur.spec?.schedule && (old.spec?.timeZone ?? null) === (cur.spec?.timeZone ?? null)) {
      this.controller.enqueue(objectKey(cur));
      return;
    }
    try {
      const sched = parseStandard(formatSchedule(cur).schedule, this.localZone);
      this.controller.queue.addAfter(objectKey(cur), nextScheduleTimeDuration(cur, this.clock.now(), sched));
    } catch {
      this.recorder.event(this.typed(cur), 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${cur.spec?.schedule ?? ''}`);
    }
  }

  private typed(cj: CronJob): CronJob {
    return { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };
  }

  private record(cj: CronJob, events: PlannedEvent[]): void {
    for (const ev of events) this.recorder.event(cj, ev.type, ev.reason, ev.message);
  }

  /** One sync of the CronJob under key (upstream sync + syncCronJob). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.cronJobs.store.getByName(namespace, name);
    if (!cached) return {};
    // Jobs it controls; upstream goes by the controller's name.
    const jobs = this.jobs.store.listByNamespace(namespace).filter((j) => {
      const ref = getControllerOf(j);
      return ref?.kind === 'CronJob' && ref.name === name;
    });
    // A finished or vanished active Job may be one an earlier sync already handled, its status
    // write not yet in the cache: judge those on the live CronJob (no second SawCompletedJob or
    // a MissingJob for the Job Replace deleted), as for unexpected Jobs below.
    let base = cached;
    const probe = reconcileChildren(structuredClone(cached), jobs);
    if (probe.events.length || probe.missing.length) {
      try {
        base = await this.api.get<CronJob>(CRONJOBS, namespace, name);
      } catch (err) {
        if (isNotFound(err)) return {};
        throw err;
      }
    }
    const state: SyncState = { cj: this.typed(structuredClone(base)), updateStatus: false };
    state.updateStatus = await this.cleanupFinishedJobs(state.cj, jobs);
    let requeueAfterMs: number | undefined;
    let syncError: unknown;
    try {
      requeueAfterMs = await this.syncCronJob(state, jobs);
    } catch (err) {
      syncError = err;
    }
    if (state.updateStatus) await this.api.update(CRONJOBS, namespace, state.cj, 'status');
    if (requeueAfterMs !== undefined) return { requeueAfterMs: Math.max(0, requeueAfterMs) };
    if (syncError) throw syncError;
    return {};
  }

  /** Works on state.cj (a copy), noting in state.updateStatus whether its status changed; returns when to sync again. */
  private async syncCronJob(state: SyncState, jobs: Job[]): Promise<number | undefined> {
    let cj = state.cj;
    const children = reconcileChildren(cj, jobs);
    if (children.changed) state.updateStatus = true;
    for (const j of children.unexpected) {
      // Perhaps the cache is behind our own status write: ask the server.
      const live = this.typed(await this.api.get<CronJob>(CRONJOBS, cj.metadata?.namespace, cj.metadata!.name!));
      if (inActiveList(live, j.metadata?.uid)) {
        cj = state.cj = live;
        continue;
      }
      this.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`);
    }
    this.record(cj, children.events);
    for (const ref of children.missing) {
      try {
        await this.api.get(JOBS, ref.namespace, ref.name!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        deleteFromActiveList(cj, ref.uid);
        state.updateStatus = true;
      }
    }

    const now = this.clock.now();
    const d = decide(cj, now, this.localZone);
    this.record(cj, d.events);
    if (d.kind === 'idle') return undefined;
    if (d.kind === 'wait') return d.requeueAfterMs;

    if (d.replace) {
      for (const ref of [...(cj.status?.active ?? [])]) {
        let job: Job;
        try {
          job = await this.api.get<Job>(JOBS, ref.namespace, ref.name!);
        } catch (err) {
          this.recorder.event(cj, 'Warning', 'FailedGet', `Get job: ${errorMessage(err)}`);
          throw err;
        }
        if (!(await this.deleteJob(cj, job))) throw new Error(`could not replace job ${job.metadata?.namespace}/${job.metadata?.name}`);
        state.updateStatus = true;
      }
    }

    const want = jobFromTemplate(cj, d.scheduledTime);
    let created: Job;
    try {
      created = await this.api.create<Job>(JOBS, cj.metadata?.namespace, want);
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
    } catch (err) {
      if (isNamespaceTerminating(err)) throw err;
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
        throw err;
      }
      // Ours from an earlier sync whose status write was lost: list it again; someone else's: leave it.
      created = await this.api.get<Job>(JOBS, cj.metadata?.namespace, want.metadata!.name!);
      if (getControllerOf(created)?.uid !== cj.metadata?.uid || inActiveList(cj, created.metadata?.uid)) return undefined;
    }
    const status = (cj.status ??= {});
    status.active = [...(status.active ?? []), jobReference(created)];
    status.lastScheduleTime = rfc3339(new Date(d.scheduledTime));
    state.updateStatus = true;
    return nextScheduleTimeDuration(cj, now, d.schedule);
  }

  /** Upstream cleanupFinishedJobs; returns whether the status changed. */
  private async cleanupFinishedJobs(cj: CronJob, jobs: Job[]): Promise<boolean> {
    let changed = false;
    for (const job of jobsBeyondHistoryLimits(cj, jobs)) if (await this.deleteJob(cj, job)) changed = true;
    return changed;
  }

  /** Deletes the Job and its pods (background) and forgets it in status.active. */
  private async deleteJob(cj: CronJob, job: Job): Promise<boolean> {
    try {
      await this.api.delete(JOBS, job.metadata?.namespace, job.metadata!.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      this.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
      return false;
    }
    deleteFromActiveList(cj, job.metadata?.uid);
    this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata?.name}`);
    return true;
  }
}

export function cronJobController(opts: CronJobControllerOptions): Controller {
  return new CronJobController(opts).controller;
}
