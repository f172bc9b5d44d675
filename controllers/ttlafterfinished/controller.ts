// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a Job with
// spec.ttlSecondsAfterFinished is deleted that long after it finished (the time its Complete
// or Failed condition turned True), in the foreground so its pods go first. Before deleting,
// it reads the Job again from the server: the TTL may have changed since the cache saw it.
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { isNotFound } from '../runtime/errors.ts';
import type { Informer } from '../runtime/informer.ts';
import { WorkQueue } from '../runtime/queue.ts';
import { objectKey, splitKey } from '../runtime/types.ts';
import { parseTime } from '../runtime/pods.ts';
import { logger } from '../../lib/logger.ts';
import { JOBS, isJobFinished, type Job } from '../job/job.ts';

export const COMPONENT = 'ttl-after-finished-controller';

const log = logger.child({ component: COMPONENT });

/** Has a TTL and has finished. */
export function needsCleanup(job: Job): boolean {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  return ttl !== undefined && ttl !== null && isJobFinished(job);
}

/** When the terminal condition turned True (ms), or undefined. */
export function finishTime(job: Job): number | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  const t = parseTime(c?.lastTransitionTime);
  return t || undefined;
}

export type TtlState = { state: 'none' } | { state: 'wait'; ms: number } | { state: 'expired'; expiredAt: number };

/** Upstream processTTL/timeLeft: nothing to do, wait this long, or expired. */
export function ttlState(job: Job, now: number): TtlState {
  if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return { state: 'none' };
  const finished = finishTime(job);
  if (finished === undefined) throw new Error(`unable to find the time when the Job ${job.metadata?.namespace}/${job.metadata?.name} finished`);
  // A finish in the future is clock skew: wait until it is past too.
  const expiredAt = finished + job.spec!.ttlSecondsAfterFinished! * 1000;
  return expiredAt <= now ? { state: 'expired', expiredAt } : { state: 'wait', ms: expiredAt - now };
}

export interface TtlAfterFinishedOptions {
  api: Api;
  jobs: Informer;
  clock?: Clock;
  workers?: number;
}

export class TtlAfterFinishedController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly jobs: Informer<Job>;
  private readonly clock: Clock;

  constructor(opts: TtlAfterFinishedOptions) {
    this.api = opts.api;
    this.jobs = opts.jobs as Informer<Job>;
    this.clock = opts.clock ?? realClock;
    this.controller = new Controller({
      name: COMPONENT,
      queue: new WorkQueue<string>({ name: 'ttl_jobs_to_delete', clock: this.clock }),
      reconcile: (key) => this.processJob(key),
      workers: opts.workers ?? 5,
    });
    const maybeEnqueue = (job: Job) => {
      if (!job.metadata?.deletionTimestamp && needsCleanup(job)) this.controller.enqueue(objectKey(job));
    };
    this.jobs.addEventHandler({ add: maybeEnqueue, update: (_old, cur) => maybeEnqueue(cur) });
  }

  async processJob(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.store.getByName(namespace, name);
    if (!cached) return {};
    const first = ttlState(cached, this.clock.now());
    if (first.state === 'wait') return { requeueAfterMs: first.ms };
    if (first.state !== 'expired') return {};
    let fresh: Job;
    try {
      fresh = await this.api.get<Job>(JOBS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const now = this.clock.now();
    const second = ttlState(fresh, now);
    if (second.state === 'wait') return { requeueAfterMs: second.ms };
    if (second.state !== 'expired') return {};
    log.debug({ job: key, lateMs: now - second.expiredAt }, 'cleaning up a finished Job');
    try {
      await this.api.delete(JOBS, namespace, name, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return {};
  }
}

export function ttlAfterFinishedController(opts: TtlAfterFinishedOptions): Controller {
  return new TtlAfterFinishedController(opts).controller;
}
