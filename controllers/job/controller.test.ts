import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PatchType, ResourceRef } from '../runtime/client.ts';
import { FakeClock } from '../runtime/clock.ts';
import { FakeRecorder } from '../runtime/events.ts';
import type { Pod } from '../runtime/pods.ts';
import { FakeApi, WORKLOAD_RESOURCES, res } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import type { KubeObject } from '../runtime/types.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { JobController } from './controller.ts';
import { COMPLETION_INDEX_ANNOTATION } from './indexes.ts';
import { JOBS, JOB_TRACKING_FINALIZER, type Job } from './job.ts';

const FINALIZERS_DIRECTIVE = '$deleteFromPrimitiveList/finalizers';

/** The fake API plus the one strategic-merge directive the Job controller sends. */
class JobFakeApi extends FakeApi {
  override async patch<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    const md = (patch as { metadata?: Record<string, unknown> }).metadata;
    const drop = md?.[FINALIZERS_DIRECTIVE] as string[] | undefined;
    const cur = drop && this.peek(ref.resource, ns, name);
    if (!drop || !cur) return super.patch<T>(ref, ns, name, patch, type);
    const { [FINALIZERS_DIRECTIVE]: _, ...rest } = md!;
    return super.patch<T>(ref, ns, name, { metadata: { ...rest, finalizers: (cur.metadata?.finalizers ?? []).filter((f) => !drop.includes(f)) } }, 'merge');
  }
}

const T0 = Date.parse('2024-01-01T00:00:00Z');

async function setup() {
  const clock = new FakeClock(T0);
  const api = new JobFakeApi([...WORKLOAD_RESOURCES, res('batch', 'v1', 'jobs', 'Job', true)]);
  api.now = () => new Date(clock.now());
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const recorder = new FakeRecorder();
  const c = new JobController({ api, jobs: factory.informer(JOBS), pods: factory.informer(PODS), recorder, clock });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([c.controller, c.orphans], { clock, stepMs: 1000, maxMs: 120_000 });
  const pods = () => (api.all('pods', 'ns') as Pod[]).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  const job = (name = 'pi') => api.peek('jobs', 'ns', name) as Job;
  /** What a kubelet reports when the pod's containers exit. */
  const finish = async (p: Pod, phase: 'Succeeded' | 'Failed') => {
    const t = new Date(clock.now()).toISOString();
    const cur = api.peek('pods', 'ns', p.metadata!.name!) as Pod;
    await api.update(PODS, 'ns', { ...cur, status: { phase, containerStatuses: [{ name: 'c', state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: t } } } as never] } }, 'status');
  };
  const create = (spec: Record<string, unknown>, name = 'pi') =>
    api.create(JOBS, 'ns', {
      metadata: { name },
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': `${name}-uid` } },
        template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': `${name}-uid`, 'batch.kubernetes.io/job-name': name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        backoffLimit: 6,
        ...spec,
      },
    });
  return { clock, api, c, recorder, run, pods, job, finish, create, stop: () => factory.stop() };
}

const statusWrites = (api: FakeApi) => api.actions.filter((a) => a.verb === 'update' && a.resource === 'jobs' && a.subresource === 'status').map((a) => (a.body as Job).status!);

describe('Job controller', () => {
  it('runs completions pods, parallelism at a time, counting each once, and completes', async () => {
    const { api, run, pods, job, finish, create, recorder, stop } = await setup();
    const j = (await create({ completions: 3, parallelism: 2 })) as Job;
    await run();
    let ps = pods();
    assert.equal(ps.length, 2);
    for (const p of ps) {
      assert.match(p.metadata!.name!, /^pi-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata!.finalizers, [JOB_TRACKING_FINALIZER]);
      assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: j.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata!.labels!['batch.kubernetes.io/job-name'], 'pi');
    }
    assert.deepEqual(job().status, { startTime: '2024-01-01T00:00:00Z', active: 2, ready: 0, terminating: 0, uncountedTerminatedPods: {} });

    await finish(ps[0]!, 'Succeeded');
    await finish(ps[1]!, 'Succeeded');
    const writesBefore = statusWrites(api).length;
    await run();
    // First the uids as uncounted, then the counters once the finalizers are off.
    const writes = statusWrites(api).slice(writesBefore);
    assert.deepEqual([...(writes[0]!.uncountedTerminatedPods!.succeeded ?? [])].sort(), ps.map((p) => p.metadata!.uid).sort());
    assert.equal(writes[1]!.succeeded, 2);
    ps = pods();
    assert.equal(ps.length, 3);
    assert.deepEqual(
      ps.filter((p) => p.status?.phase === 'Succeeded').map((p) => p.metadata!.finalizers ?? []),
      [[], []],
    );
    await finish(ps.find((p) => !p.status?.phase)!, 'Succeeded');
    await run();
    const st = job().status!;
    assert.equal(st.succeeded, 3);
    assert.equal(st.active ?? 0, 0);
    assert.deepEqual(
      st.conditions!.map((c) => `${c.type} ${c.status} ${c.reason}`),
      ['SuccessCriteriaMet True CompletionsReached', 'Complete True CompletionsReached'],
    );
    assert.equal(st.completionTime, st.conditions![1]!.lastTransitionTime);
    assert.deepEqual(recorder.events.filter((e) => !e.includes('SuccessfulCreate')), ['Normal Completed Job completed']);
    assert.equal(recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: pi-')).length, 3);
    await stop();
  });

  it('fails after backoffLimit failures, with a back-off between attempts', async () => {
    const { run, pods, job, finish, create, recorder, stop, clock } = await setup();
    await create({ completions: 1, parallelism: 1, backoffLimit: 1 });
    await run();
    await finish(pods()[0]!, 'Failed');
    const failedAt = clock.now();
    await run();
    const second = pods().find((p) => p.status?.phase !== 'Failed')!;
    assert.ok(second, 'a replacement');
    assert.ok(Date.parse(second.metadata!.creationTimestamp!) - failedAt >= 10_000, 'after the 10 s back-off');
    await finish(second, 'Failed');
    await run();
    const st = job().status!;
    assert.equal(st.failed, 2);
    assert.deepEqual(
      st.conditions!.map((c) => `${c.type} ${c.reason}`),
      ['FailureTarget BackoffLimitExceeded', 'Failed BackoffLimitExceeded'],
    );
    assert.ok(recorder.events.includes('Warning BackoffLimitExceeded Job has reached the specified backoff limit'));
    assert.equal(pods().length, 2, 'failed pods stay, without finalizers');
    assert.ok(pods().every((p) => (p.metadata!.finalizers ?? []).length === 0));
    await stop();
  });

  it('Indexed: pods per index with annotation, label, hostname and JOB_COMPLETION_INDEX; completedIndexes', async () => {
    const { run, pods, job, finish, create, stop } = await setup();
    await create({ completions: 3, parallelism: 3, completionMode: 'Indexed' });
    await run();
    const ps = pods();
    assert.deepEqual(ps.map((p) => p.metadata!.annotations![COMPLETION_INDEX_ANNOTATION]).sort(), ['0', '1', '2']);
    for (const p of ps) {
      const ix = p.metadata!.annotations![COMPLETION_INDEX_ANNOTATION]!;
      assert.equal(p.metadata!.labels![COMPLETION_INDEX_ANNOTATION], ix);
      assert.match(p.metadata!.name!, new RegExp(`^pi-${ix}-[a-z0-9]{5}$`));
      const spec = p.spec as { hostname?: string; containers: { env: unknown[] }[] };
      assert.equal(spec.hostname, `pi-${ix}`);
      assert.deepEqual(spec.containers[0]!.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_ANNOTATION}']` } } }]);
    }
    const byIndex = (ix: string) => ps.find((p) => p.metadata!.annotations![COMPLETION_INDEX_ANNOTATION] === ix)!;
    await finish(byIndex('0'), 'Succeeded');
    await finish(byIndex('2'), 'Succeeded');
    await run();
    assert.equal(job().status!.completedIndexes, '0,2');
    await finish(byIndex('1'), 'Succeeded');
    await run();
    assert.equal(job().status!.completedIndexes, '0-2');
    assert.equal(job().status!.succeeded, 3);
    assert.ok(job().status!.conditions!.some((c) => c.type === 'Complete' && c.status === 'True'));
    await stop();
  });

  it('suspend deletes the pods without counting them; resume starts again', async () => {
    const { api, run, pods, job, create, recorder, stop } = await setup();
    await create({ completions: 2, parallelism: 2 });
    await run();
    assert.equal(pods().length, 2);
    const j = job();
    await api.update(JOBS, 'ns', { ...j, spec: { ...j.spec, suspend: true } });
    await run();
    assert.equal(pods().length, 0, 'finalizers removed, pods gone');
    assert.equal(job().status!.failed ?? 0, 0);
    assert.deepEqual(
      job().status!.conditions!.map((c) => `${c.type} ${c.status} ${c.reason}`),
      ['Suspended True JobSuspended'],
    );
    const s = job();
    await api.update(JOBS, 'ns', { ...s, spec: { ...s.spec, suspend: false } });
    await run();
    assert.equal(pods().length, 2);
    assert.deepEqual(
      job().status!.conditions!.map((c) => `${c.type} ${c.status} ${c.reason}`),
      ['Suspended False JobResumed'],
    );
    assert.ok(recorder.events.includes('Normal Suspended Job suspended') && recorder.events.includes('Normal Resumed Job resumed'));
    assert.equal(recorder.events.filter((e) => e.startsWith('Normal SuccessfulDelete Deleted pod: pi-')).length, 2);
    await stop();
  });

  it('a deleted Job leaves no tracking finalizer on its pods', async () => {
    const { api, run, pods, create, stop } = await setup();
    await create({ completions: 2, parallelism: 2 });
    await run();
    assert.ok(pods().every((p) => p.metadata!.finalizers!.includes(JOB_TRACKING_FINALIZER)));
    await api.delete(JOBS, 'ns', 'pi');
    await run();
    assert.equal(pods().length, 2);
    assert.ok(pods().every((p) => (p.metadata!.finalizers ?? []).length === 0));
    await stop();
  });
});
