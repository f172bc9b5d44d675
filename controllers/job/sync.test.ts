import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import { NO_BACKOFF, type BackoffRecord } from './backoff.ts';
import { COMPLETION_INDEX_ANNOTATION, UNKNOWN_INDEX } from './indexes.ts';
import { JOB_TRACKING_FINALIZER, type Job, type JobSpec, type JobStatus } from './job.ts';
import { activePodsForRemoval, finishStatus, planJob, type JobSyncPlan } from './sync.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function job(spec: JobSpec = {}, status?: JobStatus): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid', generation: 1 },
    spec: { parallelism: 2, completions: 5, backoffLimit: 6, completionMode: 'NonIndexed', template: { spec: { restartPolicy: 'Never' } }, ...spec },
    status,
  };
}

interface PodOpts {
  index?: number;
  ready?: boolean;
  deleting?: boolean;
  finalizer?: boolean;
  finishedAt?: number;
  restarts?: number;
}

function pod(name: string, phase: string, o: PodOpts = {}): Pod {
  const annotations = o.index === undefined ? undefined : { [COMPLETION_INDEX_ANNOTATION]: String(o.index) };
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: name,
      creationTimestamp: iso(T0),
      annotations,
      finalizers: o.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      deletionTimestamp: o.deleting ? iso(T0) : undefined,
    },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'c', restartCount: o.restarts ?? 0, ...(o.finishedAt !== undefined ? { state: { terminated: { finishedAt: iso(o.finishedAt) } } } : {}) } as never,
      ],
    },
  };
}

function plan(j: Job, pods: Pod[], extra: { now?: number; satisfied?: boolean; expectedRm?: string[]; backoff?: BackoffRecord } = {}): JobSyncPlan {
  return planJob({
    job: j,
    pods,
    now: extra.now ?? T0,
    satisfiedExpectations: extra.satisfied ?? true,
    expectedRmFinalizers: new Set(extra.expectedRm ?? []),
    backoff: extra.backoff ?? NO_BACKOFF,
  });
}

/** finishStatus after every finalizer removal succeeded. */
const finish = (j: Job, p: JobSyncPlan, now = T0) => finishStatus(j, p, new Set([...p.withFinalizer].filter((u) => !p.removeFinalizers.some((x) => x.metadata!.uid === u))), now);
const condTypes = (s: JobStatus) => (s.conditions ?? []).map((c) => `${c.type}=${c.status} ${c.reason ?? ''}`.trim());

describe('planJob: pods', () => {
  it('a new Job starts parallelism pods, sets startTime, and reports active', () => {
    const p = plan(job(), []);
    assert.deepEqual(p.create, [UNKNOWN_INDEX, UNKNOWN_INDEX]);
    assert.equal(p.status.startTime, iso(T0));
    assert.equal(p.status.active, 2);
    assert.equal(p.status.ready, 0);
    assert.equal(p.status.terminating, 0);
    assert.deepEqual(p.status.uncountedTerminatedPods, {});
    assert.ok(p.flush);
  });

  it('never more than the remaining completions', () => {
    const p = plan(job({ completions: 5, parallelism: 4 }, { succeeded: 3, startTime: iso(T0) }), [pod('a', 'Running')]);
    assert.deepEqual(p.create, [UNKNOWN_INDEX], 'two remain, one running');
  });

  it('scales down to parallelism, removing not-ready pods first', () => {
    const pods = [pod('a', 'Running', { ready: true }), pod('b', 'Pending'), pod('c', 'Running', { ready: true })];
    const p = plan(job({ parallelism: 2 }, { startTime: iso(T0), active: 3 }), pods);
    assert.deepEqual(
      p.deletePods.map((x) => x.metadata!.name),
      ['b'],
    );
    assert.equal(p.status.active, 2);
    assert.equal(p.status.terminating, 1);
  });

  it('creates nothing while expectations are pending', () => {
    const p = plan(job(), [], { satisfied: false });
    assert.deepEqual(p.create, []);
  });

  it('waits out the failure back-off before replacing a failed pod', () => {
    const failedAt = T0 - 4000;
    const backoff = { failuresAfterLastSuccess: 1, lastFailureTime: failedAt };
    const p = plan(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0), failed: 1 }), [pod('a', 'Failed', { finalizer: false, finishedAt: failedAt })], { backoff });
    assert.deepEqual(p.create, []);
    assert.equal(p.requeueAfterMs, 6000);
    const later = plan(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0), failed: 1 }), [], { backoff, now: failedAt + 10_000 });
    assert.deepEqual(later.create, [UNKNOWN_INDEX]);
  });

  it('a newly failed pod starts the back-off record', () => {
    const p = plan(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), [pod('a', 'Failed', { finishedAt: T0 - 1000 })]);
    assert.deepEqual(p.backoff, { failuresAfterLastSuccess: 1, lastFailureTime: T0 - 1000 });
    assert.deepEqual(p.create, [], 'the replacement waits 10 s');
    assert.equal(p.requeueAfterMs, 9000);
  });

  it('podReplacementPolicy Failed: terminating pods are not replaced yet', () => {
    // Already counted (no finalizer): no back-off in the way.
    const pods = [pod('a', 'Running', { deleting: true, finalizer: false })];
    const p = plan(job({ parallelism: 1, completions: 1, podReplacementPolicy: 'Failed' }, { startTime: iso(T0) }), pods);
    assert.deepEqual(p.create, []);
    const q = plan(job({ parallelism: 1, completions: 1 }, { startTime: iso(T0) }), pods);
    assert.deepEqual(q.create, [UNKNOWN_INDEX], 'TerminatingOrFailed replaces at once');
  });

  it('without completions: parallelism pods until one succeeds, then none new', () => {
    const j = job({ completions: undefined, parallelism: 3 }, { startTime: iso(T0) });
    assert.equal(plan(j, []).create.length, 3);
    const p = plan(j, [pod('a', 'Succeeded'), pod('b', 'Running')]);
    assert.deepEqual(p.create, []);
    assert.equal(p.finished, undefined, 'still one running');
    const done = plan(j, [pod('a', 'Succeeded'), pod('b', 'Succeeded')]);
    assert.equal(done.finished?.type, 'Complete');
  });
});

describe('planJob: counting with the tracking finalizer', () => {
  it('finished pods go to uncountedTerminatedPods, lose their finalizer, then count', () => {
    const j = job({}, { startTime: iso(T0), active: 2, ready: 0, terminating: 0 });
    const pods = [pod('a', 'Succeeded'), pod('b', 'Failed', { finishedAt: T0 }), pod('c', 'Running')];
    const p = plan(j, pods);
    assert.deepEqual(p.status.uncountedTerminatedPods, { succeeded: ['a'], failed: ['b'] });
    assert.deepEqual(
      p.removeFinalizers.map((x) => x.metadata!.name),
      ['a', 'b'],
    );
    assert.ok(p.flush);
    const f = finish(j, p);
    assert.equal(f.status.succeeded, 1);
    assert.equal(f.status.failed, 1);
    assert.deepEqual(f.status.uncountedTerminatedPods, {});
    assert.ok(f.changed && !f.finished);
  });

  it('a removal that failed keeps the uid uncounted; the next sync counts it once', () => {
    const j = job({}, { startTime: iso(T0), active: 1, ready: 0, terminating: 0 });
    const p = plan(j, [pod('a', 'Succeeded'), pod('c', 'Running')]);
    const f = finishStatus(j, p, new Set(['a']), T0);
    assert.deepEqual(f.status.uncountedTerminatedPods, { succeeded: ['a'] });
    assert.equal(f.status.succeeded ?? 0, 0);
    // Next sync: the finalizer is gone now.
    const j2 = job({}, f.status);
    const p2 = plan(j2, [pod('a', 'Succeeded', { finalizer: false }), pod('c', 'Running')]);
    assert.equal(p2.status.succeeded, 1);
    assert.deepEqual(p2.status.uncountedTerminatedPods, {});
  });

  it('pods whose finalizer removal is expected are not counted again', () => {
    const j = job({}, { startTime: iso(T0), succeeded: 1, active: 1, ready: 0, terminating: 0 });
    const p = plan(j, [pod('a', 'Succeeded'), pod('c', 'Running')], { expectedRm: ['a'] });
    assert.deepEqual(p.status.uncountedTerminatedPods, {});
    assert.deepEqual(p.removeFinalizers, []);
    assert.equal(p.status.succeeded, 1);
  });

  it('deleted pods count as failed (TerminatingOrFailed), but not with podReplacementPolicy Failed', () => {
    const pods = [pod('a', 'Running', { deleting: true })];
    assert.deepEqual(plan(job({}, { startTime: iso(T0) }), pods).status.uncountedTerminatedPods, { failed: ['a'] });
    assert.deepEqual(plan(job({ podReplacementPolicy: 'Failed' }, { startTime: iso(T0) }), pods).status.uncountedTerminatedPods, {});
  });
});

describe('planJob: finishing', () => {
  it('reaching completions: SuccessCriteriaMet, then Complete with completionTime and an event', () => {
    const j = job({}, { startTime: iso(T0 - 60_000), succeeded: 3, active: 2, ready: 0, terminating: 0 });
    const p = plan(j, [pod('d', 'Succeeded'), pod('e', 'Succeeded')], { now: T0 });
    assert.deepEqual(p.create, []);
    assert.deepEqual(condTypes(p.status), ['SuccessCriteriaMet=True CompletionsReached']);
    assert.equal(p.status.conditions![0]!.message, 'Reached expected number of succeeded pods');
    const f = finish(j, p);
    assert.ok(f.finished);
    assert.deepEqual(condTypes(f.status), ['SuccessCriteriaMet=True CompletionsReached', 'Complete=True CompletionsReached']);
    assert.equal(f.status.completionTime, iso(T0));
    assert.equal(f.status.succeeded, 5);
    assert.equal(f.status.active, 0);
    assert.deepEqual(f.events, [{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });

  it('backoffLimit exceeded: FailureTarget, running pods deleted and counted, Failed once none terminates', () => {
    const j = job({ backoffLimit: 1, parallelism: 2 }, { startTime: iso(T0), failed: 1, active: 2, ready: 1, terminating: 0 });
    const pods = [pod('b', 'Failed', { finishedAt: T0 }), pod('c', 'Running', { ready: true })];
    const p = plan(j, pods);
    assert.deepEqual(
      p.deleteActive.map((x) => x.metadata!.name),
      ['c'],
    );
    assert.deepEqual(p.create, []);
    assert.deepEqual(condTypes(p.status), ['FailureTarget=True BackoffLimitExceeded']);
    assert.deepEqual(p.status.uncountedTerminatedPods, { failed: ['b', 'c'] });
    assert.equal(p.status.terminating, 1);
    assert.equal(p.status.active, 0);
    assert.equal(p.status.ready, 0);
    const f = finish(j, p);
    assert.ok(!f.finished, 'c is still terminating');
    assert.equal(f.status.failed, 3);
    // Next sync: c is gone.
    const j2 = job({ backoffLimit: 1 }, f.status);
    const p2 = plan(j2, [pod('b', 'Failed', { finalizer: false })]);
    assert.equal(p2.finished?.type, 'Failed');
    const f2 = finish(j2, p2);
    assert.ok(f2.finished);
    assert.deepEqual(condTypes(f2.status), ['FailureTarget=True BackoffLimitExceeded', 'Failed=True BackoffLimitExceeded']);
    assert.equal(f2.status.completionTime, undefined);
    assert.deepEqual(f2.events, [{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
  });

  it('restartPolicy OnFailure: container restarts count against backoffLimit', () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure' } } }, { startTime: iso(T0) });
    assert.equal(plan(j, [pod('a', 'Running', { restarts: 1 })]).status.conditions, undefined);
    assert.deepEqual(condTypes(plan(j, [pod('a', 'Running', { restarts: 2 })]).status), ['FailureTarget=True BackoffLimitExceeded']);
  });

  it('activeDeadlineSeconds: a sync when it passes, then DeadlineExceeded', () => {
    const j = job({ activeDeadlineSeconds: 60 }, { startTime: iso(T0), active: 2, ready: 0, terminating: 0 });
    const pods = [pod('a', 'Running'), pod('b', 'Running')];
    assert.equal(plan(j, pods, { now: T0 + 20_000 }).requeueAfterMs, 40_000);
    const p = plan(j, pods, { now: T0 + 60_000 });
    assert.deepEqual(condTypes(p.status), ['FailureTarget=True DeadlineExceeded']);
    assert.equal(p.status.conditions![0]!.message, 'Job was active longer than specified deadline');
    assert.equal(p.deleteActive.length, 2);
  });

  it('a finished outcome waits for pending creations to be observed', () => {
    const j = job({ backoffLimit: 0 }, { startTime: iso(T0) });
    const p = plan(j, [pod('a', 'Failed')], { satisfied: false });
    assert.equal(p.finished, undefined);
  });
});

describe('planJob: suspend', () => {
  it('created suspended: no pods, no startTime, Suspended condition and event', () => {
    const p = plan(job({ suspend: true }), []);
    assert.deepEqual(p.create, []);
    assert.equal(p.status.startTime, undefined);
    assert.deepEqual(condTypes(p.status), ['Suspended=True JobSuspended']);
    assert.deepEqual(p.events, [{ type: 'Normal', reason: 'Suspended', message: 'Job suspended' }]);
  });

  it('suspending deletes the active pods (their finalizers come off first)', () => {
    const p = plan(job({ suspend: true }, { startTime: iso(T0), active: 2 }), [pod('a', 'Running'), pod('b', 'Running')]);
    assert.equal(p.deletePods.length, 2);
    assert.equal(p.status.active, 0);
  });

  it('resuming: Suspended=False JobResumed, an event, startTime reset', () => {
    const suspended = plan(job({ suspend: true }), []).status;
    const p = plan(job({ suspend: false }, suspended), [], { now: T0 + 5000 });
    assert.deepEqual(condTypes(p.status), ['Suspended=False JobResumed']);
    assert.deepEqual(p.events, [{ type: 'Normal', reason: 'Resumed', message: 'Job resumed' }]);
    assert.equal(p.status.startTime, iso(T0 + 5000));
    assert.equal(p.create.length, 2);
  });
});

describe('planJob: Indexed', () => {
  const indexed = (status?: JobStatus) => job({ completionMode: 'Indexed', completions: 5, parallelism: 2 }, status);

  it('creates the lowest pending indexes', () => {
    assert.deepEqual(plan(indexed(), []).create, [0, 1]);
    const p = plan(indexed({ startTime: iso(T0), completedIndexes: '0', succeeded: 1 }), [pod('b', 'Running', { index: 2 })]);
    assert.deepEqual(p.create, [1]);
  });

  it('completedIndexes and succeeded from the succeeded indexes; no uids tracked', () => {
    const p = plan(indexed({ startTime: iso(T0), completedIndexes: '0,1', succeeded: 2 }), [pod('c', 'Succeeded', { index: 2 }), pod('d', 'Running', { index: 3 })]);
    assert.equal(p.status.completedIndexes, '0-2');
    assert.equal(p.status.succeeded, 3);
    assert.deepEqual(p.status.uncountedTerminatedPods, {});
    assert.deepEqual(
      p.removeFinalizers.map((x) => x.metadata!.name),
      ['c'],
    );
    assert.deepEqual(p.create, [4]);
  });

  it('complete once every index succeeded', () => {
    const j = indexed({ startTime: iso(T0), completedIndexes: '0-3', succeeded: 4 });
    const p = plan(j, [pod('e', 'Succeeded', { index: 4 })]);
    const f = finish(j, p);
    assert.ok(f.finished);
    assert.equal(f.status.completedIndexes, '0-4');
    assert.equal(f.status.succeeded, 5);
  });

  it('removes pods of repeated or invalid indexes first', () => {
    const j = indexed();
    const pods = [pod('a', 'Running', { index: 0, ready: true }), pod('b', 'Pending', { index: 0 }), pod('c', 'Running', { index: 9 }), pod('d', 'Running', { index: 1 })];
    assert.deepEqual(
      activePodsForRemoval(j, pods, 0)
        .map((x) => x.metadata!.name)
        .sort(),
      ['b', 'c'],
    );
  });
});
