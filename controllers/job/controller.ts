// The Job controller's shell (upstream pkg/controller/job): informers on Jobs and pods feed
// Job keys into a work queue (pod events batched by a second, as upstream); a sync claims the
// Job's pods, asks planJob what to do, and carries it out in the order that keeps counting
// exact: pod creations and deletions, the status with newly finished pods listed as uncounted,
// the removal of their tracking finalizers, then the status with the counters and, when done,
// the terminal condition. A second queue removes the tracking finalizer from pods whose Job is
// gone or finished (upstream's orphan queue).
import type { Api } from '../runtime/client.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import {
  CONTROLLER_UID_INDEX,
  ControllerRefManager,
  controllerUidIndexFunc,
  ensureIndex,
  getControllerOf,
  objectsForOwner,
  recheckDeletionTimestamp,
} from '../runtime/controller-ref.ts';
import { errorMessage, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { ControllerExpectations } from '../runtime/expectations.ts';
import type { Informer } from '../runtime/informer.ts';
import { podKey, type Pod } from '../runtime/pods.ts';
import { ItemExponentialFailureRateLimiter, WorkQueue } from '../runtime/queue.ts';
import { labelSelectorAsSelector } from '../runtime/selector.ts';
import { objectKey, splitKey, type KubeObject, type OwnerReference } from '../runtime/types.ts';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE, PODS } from '../replicaset/replicaset.ts';
import { NO_BACKOFF, type BackoffRecord } from './backoff.ts';
import { COMPONENT, JOB_API_VERSION, JOB_TRACKING_FINALIZER, JOBS, hasTrackingFinalizer, isJobFinished, managedElsewhere, normalizeStatus, type Job, type JobStatus } from './job.ts';
import { jobPod } from './pod-template.ts';
import { SYNC_JOB_BATCH_PERIOD_MS, finishStatus, planJob, type PlannedEvent } from './sync.ts';

export interface JobControllerOptions {
  api: Api;
  jobs: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  clock?: Clock;
  workers?: number;
}

const noRecorder: EventRecorder = { event() {} };

/** Upstream uidTrackingExpectations: pods whose finalizer removal is not yet observed, per Job. */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();
  expect(key: string, uids: string[]): void {
    const s = this.byJob.get(key) ?? new Set<string>();
    for (const u of uids) s.add(u);
    this.byJob.set(key, s);
  }
  observed(key: string, uid: string): void {
    const s = this.byJob.get(key);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.byJob.delete(key);
  }
  expected(key: string): ReadonlySet<string> {
    return new Set(this.byJob.get(key) ?? []);
  }
  delete(key: string): void {
    this.byJob.delete(key);
  }
}

/** Upstream's job queue rate limiter: 1 s doubling to 1 min per key. */
function jobQueue(name: string, clock: Clock): WorkQueue<string> {
  return new WorkQueue<string>({ name, clock, rateLimiter: new ItemExponentialFailureRateLimiter<string>(1000, 60_000) });
}

/** The `$deleteFromPrimitiveList` strategic merge patch that takes the tracking finalizer off. */
const REMOVE_FINALIZER_PATCH = { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [JOB_TRACKING_FINALIZER] } };

export class JobController {
  readonly controller: Controller;
  readonly orphans: Controller;
  readonly expectations: ControllerExpectations;
  readonly finalizerExpectations = new FinalizerExpectations();
  private readonly backoffs = new Map<string, BackoffRecord>();
  private readonly api: Api;
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;

  constructor(opts: JobControllerOptions) {
    this.api = opts.api;
    this.jobs = opts.jobs as Informer<Job>;
    this.pods = opts.pods as Informer<Pod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.clock = opts.clock ?? realClock;
    this.expectations = new ControllerExpectations({ clock: this.clock });
    this.controller = new Controller({ name: COMPONENT, queue: jobQueue('job', this.clock), reconcile: (key) => this.sync(key), workers: opts.workers ?? 5 });
    this.orphans = new Controller({ name: `${COMPONENT}-orphan-pods`, queue: jobQueue('job_orphan_pod', this.clock), reconcile: (key) => this.syncOrphanPod(key) });
    ensureIndex(this.pods.store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);

    this.jobs.addEventHandler({
      add: (job) => this.enqueue(job, 0),
      update: (old, cur) => this.updateJob(old, cur),
      delete: (job) => {
        this.enqueue(job, 0);
        this.cleanupPodFinalizers(job);
      },
    });
    this.pods.addEventHandler({
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod, true),
    });
  }

  private enqueue(job: KubeObject, delayMs: number): void {
    this.controller.queue.addAfter(objectKey(job), delayMs);
  }

  private updateJob(old: Job, cur: Job): void {
    // Spec changes sync at once; status updates (mostly from pod events) are batched.
    this.enqueue(cur, cur.metadata?.generation === old.metadata?.generation ? SYNC_JOB_BATCH_PERIOD_MS : 0);
    // A backup: a finished Job's pods must not keep the finalizer.
    if (isJobFinished(cur)) this.cleanupPodFinalizers(cur);
    const ads = cur.spec?.activeDeadlineSeconds;
    if (cur.status?.startTime && ads !== undefined && ads !== null && ads !== old.spec?.activeDeadlineSeconds) {
      this.controller.queue.addAfter(objectKey(cur), ads * 1000 - (this.clock.now() - Date.parse(cur.status.startTime)));
    }
  }

  private cleanupPodFinalizers(job: Job): void {
    for (const pod of this.pods.store.byIndex(CONTROLLER_UID_INDEX, job.metadata?.uid ?? '')) if (hasTrackingFinalizer(pod)) this.orphans.enqueue(podKey(pod));
  }

  private resolveControllerRef(namespace: string, ref: OwnerReference): Job | undefined {
    if (ref.kind !== 'Job') return undefined;
    const job = this.jobs.store.getByName(namespace, ref.name);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  /** Jobs of the pod's namespace whose selector matches it (candidates to adopt an orphan). */
  private jobsMatching(pod: Pod): Job[] {
    return this.jobs.store.listByNamespace(pod.metadata?.namespace ?? '').filter((job) => {
      try {
        const sel = labelSelectorAsSelector(job.spec?.selector);
        return !sel.nothing && !sel.everything && sel.matches(pod.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod, false);
    const ref = getControllerOf(pod);
    if (ref) {
      const job = this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
      if (!job) return;
      this.expectations.creationObserved(objectKey(job));
      this.enqueue(job, SYNC_JOB_BATCH_PERIOD_MS);
      return;
    }
    if (hasTrackingFinalizer(pod)) this.orphans.enqueue(podKey(pod));
    for (const job of this.jobsMatching(pod)) this.enqueue(job, SYNC_JOB_BATCH_PERIOD_MS);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) return this.deletePod(cur, false);
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    const touch = (job: Job) => {
      if (finalizerRemoved) this.finalizerExpectations.observed(objectKey(job), cur.metadata?.uid ?? '');
      this.enqueue(job, SYNC_JOB_BATCH_PERIOD_MS);
    };
    if (refChanged && oldRef) {
      const job = this.resolveControllerRef(old.metadata?.namespace ?? '', oldRef);
      if (job) touch(job);
    }
    if (curRef) {
      const job = this.resolveControllerRef(cur.metadata?.namespace ?? '', curRef);
      if (job) touch(job);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.orphans.enqueue(podKey(cur));
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const job of this.jobsMatching(cur)) this.enqueue(job, SYNC_JOB_BATCH_PERIOD_MS);
  }

  /** `final`: the pod is gone (not just marked for deletion). */
  private deletePod(pod: Pod, final: boolean): void {
    const ref = getControllerOf(pod);
    const withFinalizer = hasTrackingFinalizer(pod);
    const job = ref && this.resolveControllerRef(pod.metadata?.namespace ?? '', ref);
    if (!job || isJobFinished(job)) {
      // No sync will remove this finalizer.
      if (withFinalizer && !final) this.orphans.enqueue(podKey(pod));
      return;
    }
    const key = objectKey(job);
    this.expectations.deletionObserved(key, podKey(pod));
    if (final || !withFinalizer) this.finalizerExpectations.observed(key, pod.metadata?.uid ?? '');
    this.enqueue(job, SYNC_JOB_BATCH_PERIOD_MS);
  }

  /** The pods the Job owns, adopting matching orphans (with the tracking finalizer) and releasing strays. */
  private async podsForJob(job: Job): Promise<Pod[]> {
    const selector = labelSelectorAsSelector(job.spec?.selector);
    const ns = job.metadata?.namespace ?? '';
    const candidates = objectsForOwner(this.pods.store, job, true);
    const manager = new ControllerRefManager({
      api: this.api,
      resource: PODS,
      owner: job,
      ownerApiVersion: JOB_API_VERSION,
      ownerKind: 'Job',
      match: (pod) => selector.matches(pod.metadata?.labels),
      canAdopt: recheckDeletionTimestamp(() => this.api.get(JOBS, ns, job.metadata!.name!), job),
    });
    const { claimed, errors } = await manager.claim(candidates);
    if (errors.length) throw errors[0];
    const out: Pod[] = [];
    for (const pod of claimed as Pod[]) {
      const wasOrphan = !getControllerOf(candidates.find((c) => c.metadata?.uid === pod.metadata?.uid));
      if (!wasOrphan || hasTrackingFinalizer(pod)) {
        out.push(pod);
        continue;
      }
      // Adopted: it is tracked like the pods the Job created.
      const finalizers = [...(pod.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER];
      out.push(await this.api.patch<Pod>(PODS, ns, pod.metadata!.name!, { metadata: { finalizers, uid: pod.metadata?.uid } }, 'strategic'));
    }
    return out;
  }

  /** One sync of the Job under key (upstream syncJob). */
  async sync(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.jobs.store.getByName(namespace, name);
    if (!cached) {
      this.expectations.delete(key);
      this.finalizerExpectations.delete(key);
      this.backoffs.delete(key);
      return {};
    }
    if (managedElsewhere(cached)) return {};
    const job: Job = { ...structuredClone(cached), apiVersion: JOB_API_VERSION, kind: 'Job' };
    if (isJobFinished(job)) {
      this.backoffs.delete(key);
      return {};
    }
    const mode = job.spec?.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.recorder.event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return {};
    }
    // Expectations before the pods: a pod arriving in between only defers the sync.
    const satisfiedExpectations = this.expectations.satisfied(key);
    const pods = await this.podsForJob(job);
    const now = this.clock.now();
    const plan = planJob({ job, pods, now, satisfiedExpectations, expectedRmFinalizers: this.finalizerExpectations.expected(key), backoff: this.backoffs.get(key) ?? NO_BACKOFF });
    this.record(job, plan.events);

    await this.deleteActive(job, plan.deleteActive);
    if (plan.deletePods.length) await this.deleteJobPods(key, job, plan.deletePods);
    if (plan.create.length) await this.createPods(key, job, plan.create);

    let current = job;
    if (plan.flush) {
      current = await this.writeStatus(current, plan.status);
      this.backoffs.set(key, plan.backoff);
    }
    const { removed, error } = await this.removeFinalizers(key, plan.removeFinalizers);
    const still = new Set([...plan.withFinalizer].filter((u) => !removed.has(u)));
    const done = finishStatus(job, plan, still, this.clock.now());
    if (done.changed) current = await this.writeStatus(current, done.status);
    if (done.finished) this.record(job, done.events);
    if (error) throw error;
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, plan.requeueAfterMs) } : {};
  }

  private record(job: Job, events: PlannedEvent[]): void {
    for (const ev of events) this.recorder.event(job, ev.type, ev.reason, ev.message);
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    const written = await this.api.update<Job>(JOBS, job.metadata?.namespace, { ...job, status: normalizeStatus(status) }, 'status');
    return { ...written, apiVersion: JOB_API_VERSION, kind: 'Job' };
  }

  /** A finished Job's active pods: deleted with their finalizers kept, so they are counted. */
  private async deleteActive(job: Job, pods: Pod[]): Promise<void> {
    const results = await Promise.allSettled(pods.map((pod) => this.deletePodFor(job, pod)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isNotFound(r.reason));
    if (failed) throw failed.reason;
  }

  /** Surplus or suspended pods: the finalizer comes off first, so they are not counted as failures. */
  private async deleteJobPods(key: string, job: Job, pods: Pod[]): Promise<void> {
    this.expectations.expectDeletions(key, pods.map(podKey));
    const results = await Promise.allSettled(
      pods.map(async (pod) => {
        try {
          if (hasTrackingFinalizer(pod)) await this.api.patch(PODS, pod.metadata?.namespace, pod.metadata!.name!, REMOVE_FINALIZER_PATCH, 'strategic');
          await this.deletePodFor(job, pod);
        } catch (err) {
          // This deletion will not be observed.
          this.expectations.deletionObserved(key, podKey(pod));
          if (!isNotFound(err)) throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** RealPodControl.DeletePod: the delete and its event. */
  private async deletePodFor(job: Job, pod: Pod): Promise<void> {
    try {
      await this.api.delete(PODS, pod.metadata?.namespace, pod.metadata!.name!);
      this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
    } catch (err) {
      if (!isNotFound(err)) this.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async createPods(key: string, job: Job, indexes: number[]): Promise<void> {
    this.expectations.expectCreations(key, indexes.length);
    let next = 0;
    const { successes, error } = await slowStartBatch(indexes.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const pod = jobPod(job, indexes[next++]!);
      try {
        const created = await this.api.create<Pod>(PODS, job.metadata?.namespace, pod);
        this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      } catch (err) {
        // Every creation would fail in a namespace being deleted; nothing to report.
        if (isNamespaceTerminating(err)) return;
        this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
        throw err;
      }
    });
    // Creations that failed or never happened will not be observed.
    for (let i = successes; i < indexes.length; i++) this.expectations.creationObserved(key);
    if (error) throw error;
  }

  /** Removes the tracking finalizers; returns the uids it came off (or whose pod is gone) and the first error. */
  private async removeFinalizers(key: string, pods: Pod[]): Promise<{ removed: Set<string>; error?: Error }> {
    const removed = new Set<string>();
    if (!pods.length) return { removed };
    this.finalizerExpectations.expect(
      key,
      pods.map((p) => p.metadata?.uid ?? ''),
    );
    let error: Error | undefined;
    await Promise.all(
      pods.map(async (pod) => {
        const uid = pod.metadata?.uid ?? '';
        try {
          await this.api.patch(PODS, pod.metadata?.namespace, pod.metadata!.name!, REMOVE_FINALIZER_PATCH, 'strategic');
        } catch (err) {
          // No update will show the finalizer gone.
          this.finalizerExpectations.observed(key, uid);
          if (!isNotFound(err)) {
            error ??= err as Error;
            return;
          }
        }
        removed.add(uid);
      }),
    );
    return { removed, error };
  }

  /** Takes the tracking finalizer off a pod no unfinished Job of ours controls. */
  async syncOrphanPod(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.store.getByName(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return {};
    const ref = getControllerOf(pod);
    if (ref) {
      // Owned by something else than a batch/v1 Job: not ours to touch.
      if (ref.kind !== 'Job' || ref.apiVersion !== JOB_API_VERSION) return {};
      const job = this.resolveControllerRef(namespace, ref);
      if (job && managedElsewhere(job)) return {};
      if (job && !isJobFinished(job)) return {};
    }
    try {
      await this.api.patch(PODS, namespace, name, REMOVE_FINALIZER_PATCH, 'strategic');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return {};
  }
}

/** The Job controller's two queues (Jobs, and orphan pods' finalizers). */
export function jobControllers(opts: JobControllerOptions): Controller[] {
  const c = new JobController(opts);
  return [c.controller, c.orphans];
}
