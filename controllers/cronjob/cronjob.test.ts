import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../job/job.ts';
import { parseStandard } from '../../lib/cron/schedule.ts';
import {
  SCHEDULED_TIMESTAMP_ANNOTATION,
  decide,
  jobFromTemplate,
  jobName,
  jobsBeyondHistoryLimits,
  mostRecentScheduleTime,
  nextScheduleTimeDuration,
  reconcileChildren,
  rfc3339InZone,
  type CronJob,
} from './cronjob.ts';

const t = (s: string) => Date.parse(s.endsWith('Z') || /[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cronJob(spec: CronJob['spec'] = {}, status?: CronJob['status'], created = '2024-05-01T10:00:30'): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'ns', uid: 'cj-uid', creationTimestamp: iso(t(created)) },
    spec: { schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: {} } } }, ...spec },
    status,
  };
}

const job = (name: string, opts: { uid?: string; finished?: 'Complete' | 'Failed'; start?: string; completion?: string } = {}): Job => ({
  metadata: { name, namespace: 'ns', uid: opts.uid ?? name },
  status: {
    startTime: opts.start && iso(t(opts.start)),
    completionTime: opts.completion && iso(t(opts.completion)),
    conditions: opts.finished ? [{ type: opts.finished, status: 'True' }] : undefined,
  },
});

describe('schedule times', () => {
  const every = parseStandard('*/1 * * * *', 'UTC');

  it('nothing due before the first time after creation; then that time', () => {
    const cj = cronJob();
    assert.deepEqual(mostRecentScheduleTime(cj, t('2024-05-01T10:00:50'), every, true), { earliest: t('2024-05-01T10:00:30'), missed: 'none' });
    assert.equal(mostRecentScheduleTime(cj, t('2024-05-01T10:01:05'), every, true).mostRecent, t('2024-05-01T10:01'));
  });

  it('after several missed times, the most recent one', () => {
    const r = mostRecentScheduleTime(cronJob(), t('2024-05-01T10:07:10'), every, true);
    assert.equal(r.mostRecent, t('2024-05-01T10:07'));
    assert.equal(r.missed, 'few');
  });

  it('more than 100 missed times are many; startingDeadlineSeconds bounds the search', () => {
    const old = cronJob({}, undefined, '2024-04-01T00:00:00');
    assert.equal(mostRecentScheduleTime(old, t('2024-05-01T10:07:10'), every, true).missed, 'many');
    const bounded = cronJob({ startingDeadlineSeconds: 200 }, undefined, '2024-04-01T00:00:00');
    const r = mostRecentScheduleTime(bounded, t('2024-05-01T10:07:10'), every, true);
    assert.equal(r.missed, 'few');
    assert.equal(r.mostRecent, t('2024-05-01T10:07'));
  });

  it('an impossible schedule is an error', () => {
    const feb31 = parseStandard('0 0 31 2 *', 'UTC');
    assert.equal(mostRecentScheduleTime(cronJob({ schedule: '0 0 31 2 *' }), t('2024-05-01T10:00:00'), feb31, true).error, 'time difference between two schedules is less than 1 second');
  });

  it('the requeue lands 100 ms after the next time', () => {
    const cj = cronJob({}, { lastScheduleTime: iso(t('2024-05-01T10:05')) });
    assert.equal(nextScheduleTimeDuration(cj, t('2024-05-01T10:05:20'), every), 40_100);
  });
});

describe('decide', () => {
  const now = t('2024-05-01T10:01:02');

  it('runs the due time; names the Job after it in minutes', () => {
    const d = decide(cronJob(), now, 'UTC');
    assert.equal(d.kind, 'run');
    assert.equal(d.kind === 'run' && d.scheduledTime, t('2024-05-01T10:01'));
    assert.equal(jobName(cronJob(), t('2024-05-01T10:01')), `hello-${t('2024-05-01T10:01') / 60_000}`);
  });

  it('waits until the next time when nothing is due, or the time was already run', () => {
    const early = decide(cronJob(), t('2024-05-01T10:00:40'), 'UTC');
    assert.deepEqual(early, { kind: 'wait', events: [], requeueAfterMs: 20_100 });
    const done = decide(cronJob({}, { lastScheduleTime: iso(t('2024-05-01T10:01')) }), now, 'UTC');
    assert.equal(done.kind, 'wait');
  });

  it('suspended, being deleted: idle', () => {
    assert.equal(decide(cronJob({ suspend: true }), now, 'UTC').kind, 'idle');
    const deleting = cronJob();
    deleting.metadata!.deletionTimestamp = iso(now);
    assert.equal(decide(deleting, now, 'UTC').kind, 'idle');
  });

  it('Forbid with an active Job: JobAlreadyActive; Replace: run, replacing', () => {
    const active = { active: [{ kind: 'Job', name: 'hello-1', namespace: 'ns', uid: 'j1' }] };
    const f = decide(cronJob({ concurrencyPolicy: 'Forbid' }, active), now, 'UTC');
    assert.equal(f.kind, 'wait');
    assert.deepEqual(f.events, [{ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' }]);
    const r = decide(cronJob({ concurrencyPolicy: 'Replace' }, active), now, 'UTC');
    assert.ok(r.kind === 'run' && r.replace);
    assert.ok(decide(cronJob({}, active), now, 'UTC').kind === 'run', 'Allow runs alongside');
  });

  it('a time older than startingDeadlineSeconds is skipped: wait for the next one', () => {
    // The search starts at now - startingDeadlineSeconds, so (as upstream) the MissSchedule
    // branch is not reached: the missed time is simply not started.
    const d = decide(cronJob({ startingDeadlineSeconds: 10 }), t('2024-05-01T10:01:30'), 'UTC');
    assert.deepEqual(d, { kind: 'wait', events: [], requeueAfterMs: 30_100 });
    assert.equal(decide(cronJob({ startingDeadlineSeconds: 60 }), t('2024-05-01T10:01:30'), 'UTC').kind, 'run');
  });

  it('too many missed times: a warning, and the most recent one runs', () => {
    const d = decide(cronJob({}, undefined, '2024-04-01T00:00:00'), now, 'UTC');
    assert.equal(d.kind, 'run');
    assert.deepEqual(
      d.events.map((e) => e.reason),
      ['TooManyMissedTimes'],
    );
  });

  it('spec.timeZone: the schedule runs in that zone; an unknown zone is reported', () => {
    const tokyo = cronJob({ schedule: '0 19 * * *', timeZone: 'Asia/Tokyo' }, undefined, '2024-05-01T09:00:00');
    const d = decide(tokyo, t('2024-05-01T10:00:05'), 'UTC');
    assert.ok(d.kind === 'run' && d.scheduledTime === t('2024-05-01T10:00'));
    const bad = decide(cronJob({ timeZone: 'Mars/Olympus' }), now, 'UTC');
    assert.deepEqual(bad, { kind: 'idle', events: [{ type: 'Warning', reason: 'UnknownTimeZone', message: 'invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus' }] });
  });

  it('TZ in the schedule works but is warned about; broken schedules are reported', () => {
    const d = decide(cronJob({ schedule: 'TZ=UTC */1 * * * *' }), now, 'UTC');
    assert.equal(d.kind, 'run');
    assert.equal(d.events[0]!.reason, 'UnsupportedSchedule');
    const bad = decide(cronJob({ schedule: '61 * * * *' }), now, 'UTC');
    assert.deepEqual(bad.events, [{ type: 'Warning', reason: 'UnparseableSchedule', message: 'unparseable schedule: "61 * * * *" : end of range (61) above maximum (59): 61' }]);
    const never = decide(cronJob({ schedule: '0 0 31 2 *' }), now, 'UTC');
    assert.equal(never.events[0]!.reason, 'InvalidSchedule');
  });

  it('schedules without a timeZone use the local zone', () => {
    const nine = cronJob({ schedule: '0 9 * * *' }, undefined, '2024-05-01T00:00:00');
    const d = decide(nine, t('2024-05-01T13:00:05'), 'America/New_York');
    assert.ok(d.kind === 'run' && d.scheduledTime === t('2024-05-01T09:00:00-04:00'));
  });
});

describe('Jobs of a CronJob', () => {
  it('the Job from the template: name, labels, annotations, owner, scheduled timestamp in the zone', () => {
    const cj = cronJob({ timeZone: 'Europe/Berlin', jobTemplate: { metadata: { labels: { app: 'x' }, annotations: { a: 'b' } }, spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never' } } } } });
    const j = jobFromTemplate(cj, t('2024-05-01T10:01'));
    assert.equal(j.metadata!.name, `hello-${t('2024-05-01T10:01') / 60_000}`);
    assert.deepEqual(j.metadata!.labels, { app: 'x' });
    assert.deepEqual(j.metadata!.annotations, { a: 'b', [SCHEDULED_TIMESTAMP_ANNOTATION]: '2024-05-01T12:01:00+02:00' });
    assert.deepEqual(j.metadata!.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(j.spec, { backoffLimit: 2, template: { spec: { restartPolicy: 'Never' } } });
    assert.equal(jobFromTemplate(cronJob(), t('2024-05-01T10:01')).metadata!.annotations![SCHEDULED_TIMESTAMP_ANNOTATION], '2024-05-01T10:01:00Z');
  });

  it('formats the scheduled time as Go does, with the offset of the zone', () => {
    assert.equal(rfc3339InZone(t('2024-01-01T00:00'), 'America/St_Johns'), '2023-12-31T20:30:00-03:30');
  });

  it('finished Jobs leave status.active; the latest completion is lastSuccessfulTime; strays are unexpected', () => {
    const cj = cronJob({}, { active: [{ kind: 'Job', name: 'a', namespace: 'ns', uid: 'a' }, { kind: 'Job', name: 'gone', namespace: 'ns', uid: 'gone' }] });
    const r = reconcileChildren(cj, [job('a', { finished: 'Complete', completion: '2024-05-01T10:02' }), job('b', { finished: 'Complete', completion: '2024-05-01T10:03' }), job('c')]);
    assert.deepEqual(cj.status!.active!.map((x) => x.name), ['gone']);
    assert.equal(cj.status!.lastSuccessfulTime, iso(t('2024-05-01T10:03')));
    assert.deepEqual(r.events, [{ type: 'Normal', reason: 'SawCompletedJob', message: 'Saw completed job: a, status: Complete' }]);
    assert.deepEqual(r.unexpected.map((j) => j.metadata!.name), ['c']);
    assert.deepEqual(r.missing.map((x) => x.name), ['gone']);
    assert.ok(r.changed);
  });

  it('history limits let go of the oldest finished Jobs of each kind', () => {
    const cj = cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 0 });
    const jobs = [
      job('s3', { finished: 'Complete', start: '2024-05-01T10:03' }),
      job('s1', { finished: 'Complete', start: '2024-05-01T10:01' }),
      job('s2', { finished: 'Complete', start: '2024-05-01T10:02' }),
      job('f1', { finished: 'Failed', start: '2024-05-01T10:00' }),
      job('run', { start: '2024-05-01T09:00' }),
    ];
    assert.deepEqual(
      jobsBeyondHistoryLimits(cj, jobs).map((j) => j.metadata!.name),
      ['s1', 'f1'],
    );
    assert.deepEqual(jobsBeyondHistoryLimits(cronJob({ successfulJobsHistoryLimit: null, failedJobsHistoryLimit: null }), jobs), []);
  });
});
