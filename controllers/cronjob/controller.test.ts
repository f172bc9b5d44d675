import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import { FakeApi, DEFAULT_RESOURCES, res } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { JOBS, type Job } from '../job/job.ts';
import { CronJobController } from './controller.ts';
import { CRONJOBS, type CronJob } from './cronjob.ts';

// 30 s past a minute: the first */1 time is 30 s away.
const T0 = Date.parse('2024-05-01T10:00:30Z');
const minute = (ms: number) => Math.floor(ms / 60_000);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function setup(spec: Record<string, unknown> = {}) {
  const clock = new FakeClock(T0);
  const api = new FakeApi([...DEFAULT_RESOURCES, res('batch', 'v1', 'jobs', 'Job', true), res('batch', 'v1', 'cronjobs', 'CronJob', true)]);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const c = new CronJobController({ api, cronJobs: factory.informer(CRONJOBS), jobs: factory.informer(JOBS), recorder, clock, localZone: 'UTC' });
  factory.start();
  await factory.waitForSync();
  await api.create(CRONJOBS, 'ns', {
    metadata: { name: 'hello' },
    spec: { schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never' } } } }, ...spec },
  });
  /** Runs the controller while the fake clock moves on by ms. */
  const runFor = (ms: number) => drain([c.controller], { clock, stepMs: 500, maxMs: ms });
  const jobs = () => (api.all('jobs', 'ns') as Job[]).filter((j) => !j.metadata?.deletionTimestamp).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  const cronJob = () => api.peek('cronjobs', 'ns', 'hello') as CronJob;
  /** What the Job controller reports when a Job ends. */
  const finishJob = async (name: string, type: 'Complete' | 'Failed') => {
    const j = api.peek('jobs', 'ns', name) as Job;
    const t = iso(clock.now());
    await api.update(JOBS, 'ns', { ...j, status: { startTime: j.metadata!.creationTimestamp, ...(type === 'Complete' ? { completionTime: t } : {}), conditions: [{ type, status: 'True', lastTransitionTime: t }] } }, 'status');
  };
  return { clock, api, recorder, runFor, jobs, cronJob, finishJob, controller: c, cronJobInformer: factory.informer<CronJob>(CRONJOBS), stop: () => factory.stop() };
}

describe('CronJob controller', () => {
  it('creates the Job on its minute, tracks it in status.active, and sees it complete', async () => {
    const { runFor, jobs, cronJob, finishJob, recorder, stop } = await setup();
    await runFor(29_000);
    assert.equal(jobs().length, 0, 'not before 10:01');
    await runFor(2000);
    const [j] = jobs();
    const scheduled = Date.parse('2024-05-01T10:01:00Z');
    assert.equal(j?.metadata!.name, `hello-${minute(scheduled)}`);
    assert.equal(j!.metadata!.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2024-05-01T10:01:00Z');
    assert.equal(j!.metadata!.ownerReferences![0]!.kind, 'CronJob');
    let st = cronJob().status!;
    assert.deepEqual(st.active!.map((r) => [r.kind, r.name, r.uid]), [['Job', j!.metadata!.name, j!.metadata!.uid]]);
    assert.equal(st.lastScheduleTime, '2024-05-01T10:01:00Z');
    assert.ok(recorder.events.includes(`Normal SuccessfulCreate Created job ${j!.metadata!.name}`));

    await finishJob(j!.metadata!.name!, 'Complete');
    await runFor(1000);
    st = cronJob().status!;
    assert.deepEqual(st.active ?? [], []);
    assert.ok(st.lastSuccessfulTime);
    assert.ok(recorder.events.includes(`Normal SawCompletedJob Saw completed job: ${j!.metadata!.name}, status: Complete`));
    await stop();
  });

  it('successfulJobsHistoryLimit and failedJobsHistoryLimit trim the oldest finished Jobs', async () => {
    const { runFor, jobs, finishJob, recorder, stop } = await setup({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      await runFor(60_000);
      const fresh = jobs().find((j) => !names.includes(j.metadata!.name!))!;
      names.push(fresh.metadata!.name!);
      await finishJob(fresh.metadata!.name!, i === 1 || i === 3 ? 'Failed' : 'Complete');
    }
    await runFor(1000);
    // Complete: 0, 2, 4 → keep 2 and 4. Failed: 1, 3 → keep 3.
    assert.deepEqual(
      jobs().map((j) => j.metadata!.name),
      [names[2], names[3], names[4]].sort(),
    );
    assert.ok(recorder.events.includes(`Normal SuccessfulDelete Deleted job ${names[0]}`));
    assert.ok(recorder.events.includes(`Normal SuccessfulDelete Deleted job ${names[1]}`));
    await stop();
  });

  it('Forbid skips a run while one is active; Replace deletes it first', async () => {
    const forbid = await setup({ concurrencyPolicy: 'Forbid' });
    await forbid.runFor(31_000);
    await forbid.runFor(60_000);
    assert.equal(forbid.jobs().length, 1);
    assert.ok(forbid.recorder.events.includes('Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid'));
    await forbid.stop();

    const replace = await setup({ concurrencyPolicy: 'Replace' });
    await replace.runFor(31_000);
    const first = replace.jobs()[0]!.metadata!.name!;
    await replace.runFor(60_000);
    const left = replace.jobs();
    assert.equal(left.length, 1);
    assert.notEqual(left[0]!.metadata!.name, first);
    assert.ok(replace.recorder.events.includes(`Normal SuccessfulDelete Deleted job ${first}`));
    assert.deepEqual(replace.cronJob().status!.active!.map((r) => r.name), [left[0]!.metadata!.name]);
    await replace.stop();
  });

  it('suspend: no Jobs; a Job that vanished leaves status.active; a hand-made Job is unexpected', async () => {
    const { api, runFor, jobs, cronJob, recorder, stop } = await setup({ suspend: true });
    await runFor(120_000);
    assert.equal(jobs().length, 0);
    const cj = cronJob();
    await api.update(CRONJOBS, 'ns', { ...cj, spec: { ...cj.spec, suspend: false } });
    await runFor(60_000);
    const [j] = jobs();
    assert.ok(j);
    await api.delete(JOBS, 'ns', j.metadata!.name!);
    await runFor(500);
    assert.ok(recorder.events.includes(`Normal MissingJob Active job went missing: ${j.metadata!.name}`));
    assert.deepEqual(cronJob().status!.active ?? [], []);
    // As `kubectl create job --from=cronjob/hello` makes it.
    const owner = cronJob();
    await api.create(JOBS, 'ns', { metadata: { name: 'manual', annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: owner.metadata!.uid!, controller: true }] }, spec: {} });
    await runFor(500);
    assert.ok(recorder.events.includes('Warning UnexpectedJob Saw a job that the controller did not create or forgot: manual'));
    await stop();
  });

  it('a cache behind its own status write: no second SawCompletedJob, no MissingJob for the Job Replace deleted', async () => {
    const { runFor, jobs, cronJob, finishJob, recorder, controller, cronJobInformer, stop } = await setup({ concurrencyPolicy: 'Replace' });
    await runFor(31_000);
    const [first] = jobs();
    const beforeReplace = structuredClone(cronJob());
    await runFor(60_000);
    assert.ok(recorder.events.includes(`Normal SuccessfulDelete Deleted job ${first!.metadata!.name}`));
    // The cache still has the CronJob with the deleted Job active.
    cronJobInformer.store.upsert(beforeReplace);
    await controller.sync('ns/hello');
    assert.ok(!recorder.events.some((e) => e.includes('MissingJob')), recorder.events.join('\n'));

    const [second] = jobs();
    await finishJob(second!.metadata!.name!, 'Complete');
    const beforeSeen = structuredClone(cronJob());
    await runFor(1000);
    cronJobInformer.store.upsert(beforeSeen);
    await controller.sync('ns/hello');
    assert.equal(recorder.events.filter((e) => e.startsWith('Normal SawCompletedJob')).length, 1);
    assert.deepEqual(cronJob().status!.active ?? [], []);
    await stop();
  });
});
