// End to end: Jobs on `k8ts up --hollow-nodes 2` (hollow pods exit as their
// k8ts.io/hollow-exit-after / hollow-exit-code annotations say), driven with the real kubectl:
// completions with bounded parallelism (a pod watcher checks every event), `kubectl wait
// --for=condition=complete` and `--for=condition=failed` (backoffLimit, activeDeadlineSeconds,
// podFailurePolicy), Indexed Jobs, suspend and resume, adoption and release of pods, cascading
// deletion, ttlSecondsAfterFinished, and `kubectl create job --from=cronjob/...`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';
import { PodWatcher, isActive } from '../support/pod-watcher.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;

const TRACKING = 'batch.kubernetes.io/job-tracking';

/** A Job whose pods exit with `code` after `after` (none: they run until deleted). */
function jobYaml(name: string, spec: string, exit?: { after: string; code: number }, restartPolicy = 'Never'): string {
  const annotations = exit ? `\n      annotations:\n        k8ts.io/hollow-exit-after: "${exit.after}"\n        k8ts.io/hollow-exit-code: "${exit.code}"` : '';
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    metadata:
      labels:
        app: ${name}${annotations}
    spec:
      restartPolicy: ${restartPolicy}
      containers:
      - name: work
        image: busybox
        command: ["sh", "-c", "echo done"]
`;
}

const conditions = (job: Obj) => (job.status?.conditions ?? []).filter((c: Obj) => c.status === 'True').map((c: Obj) => `${c.type}/${c.reason}`);

describe('Jobs against k8ts up with hollow nodes, with kubectl', { skip }, () => {
  let k8ts: K8tsProcess;
  let client: ApiClient;
  const k = kubectlFor(() => k8ts);

  const job = async (name: string) => (await k.getJson('job', name))!;
  const podsOf = (name: string) => k.items('pods', '-l', `batch.kubernetes.io/job-name=${name}`);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '2', ...(upHasFlag('--hollow-start-delay') ? ['--hollow-start-delay', '300'] : [])] });
    client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
    await eventually('two Ready nodes', async () => {
      const nodes = await k.items('nodes');
      return nodes.filter((n) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')).length === 2;
    });
    // The slowest story first, so that its 10 s back-off overlaps the others.
    await k.create(jobYaml('fails', 'backoffLimit: 1\ncompletions: 1', { after: '1s', code: 1 }));
  });

  after(async () => {
    client?.close();
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('completions 5, parallelism 2: never more than 2 pods at once, kubectl wait --for=condition=complete', async () => {
    let maxActive = 0;
    const watcher = await new PodWatcher(client, 'default', 'batch.kubernetes.io/job-name=pi', (pods, ev) => {
      const active = pods.filter(isActive).length;
      maxActive = Math.max(maxActive, active);
      return active > 2 ? `${active} active pods after ${ev.type} ${ev.pod?.metadata?.name ?? ''}` : undefined;
    }).start();
    try {
      await k.create(jobYaml('pi', 'completions: 5\nparallelism: 2', { after: '1s', code: 0 }));
      await k.ok('wait', '--for=condition=complete', 'job/pi', '--timeout=90s');
    } finally {
      watcher.stop();
    }
    assert.deepEqual(watcher.violations, []);
    assert.equal(maxActive, 2, 'parallelism was used');
    const j = await job('pi');
    assert.equal(j.status.succeeded, 5);
    assert.equal(j.status.active, undefined);
    assert.equal(j.status.ready, 0);
    assert.equal(j.status.terminating, 0);
    assert.deepEqual(j.status.uncountedTerminatedPods, {});
    assert.deepEqual(conditions(j), ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    assert.ok(j.status.completionTime >= j.status.startTime);
    const pods = await podsOf('pi');
    assert.equal(pods.length, 5);
    for (const p of pods) {
      assert.equal(p.status.phase, 'Succeeded');
      assert.ok(!(p.metadata.finalizers ?? []).includes(TRACKING), 'counted pods lose the tracking finalizer');
      assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], j.metadata.uid);
      assert.equal(p.metadata.labels['job-name'], 'pi');
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: j.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    assert.match(await k.ok('get', 'job', 'pi'), /pi\s+Complete\s+5\/5\s+/);
    const described = await eventually('the events in describe', async () => {
      const out = await k.ok('describe', 'job', 'pi');
      return out.includes('Completed') && out;
    });
    assert.match(described, /Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: pi-/);
    assert.match(described, /Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);
  });

  it('backoffLimit: the failed pods are counted, then FailureTarget and Failed BackoffLimitExceeded', async () => {
    await k.ok('wait', '--for=condition=failed', 'job/fails', '--timeout=90s');
    const j = await job('fails');
    assert.equal(j.status.failed, 2);
    assert.deepEqual(conditions(j), ['FailureTarget/BackoffLimitExceeded', 'Failed/BackoffLimitExceeded']);
    assert.equal(j.status.conditions.find((c: Obj) => c.type === 'Failed').message, 'Job has reached the specified backoff limit');
    assert.equal(j.status.completionTime, undefined);
    const pods = await podsOf('fails');
    assert.equal(pods.length, 2);
    const [first, second] = pods.map((p) => Date.parse(p.metadata.creationTimestamp)).sort();
    assert.ok(second! - first! >= 10_000, 'the replacement waited out the 10 s back-off');
    assert.match(await k.ok('get', 'job', 'fails'), /fails\s+Failed\s+0\/1\s+/);
    await eventually('the BackoffLimitExceeded event', async () => /Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified backoff limit/.test(await k.ok('describe', 'job', 'fails')));
  });

  it('Ensure Pods of an Indexed Job get a unique index.', async () => {
    await k.create(jobYaml('idx', 'completions: 5\nparallelism: 3\ncompletionMode: Indexed', { after: '1s', code: 0 }));
    await k.ok('wait', '--for=condition=complete', 'job/idx', '--timeout=90s');
    const j = await job('idx');
    assert.equal(j.status.completedIndexes, '0-4');
    assert.equal(j.status.succeeded, 5);
    const pods = await podsOf('idx');
    const indexes = pods.map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2', '3', '4']);
    for (const p of pods) {
      const ix = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
      assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], ix);
      assert.match(p.metadata.name, new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      assert.equal(p.spec.hostname, `idx-${ix}`);
      assert.deepEqual(
        p.spec.containers[0].env.find((e: Obj) => e.name === 'JOB_COMPLETION_INDEX'),
        { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } },
      );
    }
  });

  it('activeDeadlineSeconds: running pods are stopped and the Job fails with DeadlineExceeded', async () => {
    await k.create(jobYaml('slow', 'parallelism: 2\ncompletions: 2\nactiveDeadlineSeconds: 3'));
    await k.ok('wait', '--for=condition=failed', 'job/slow', '--timeout=60s');
    const j = await job('slow');
    assert.deepEqual(conditions(j), ['FailureTarget/DeadlineExceeded', 'Failed/DeadlineExceeded']);
    assert.equal(j.status.failed, 2, 'the deleted pods count as failed');
    assert.equal(j.status.active, undefined);
    await eventually('the pods gone', async () => (await podsOf('slow')).length === 0);
  });

  it('podFailurePolicy: a FailJob rule on the exit code fails the Job at once with reason PodFailurePolicy', async () => {
    const policy = 'backoffLimit: 6\npodFailurePolicy:\n  rules:\n  - action: FailJob\n    onExitCodes:\n      containerName: work\n      operator: In\n      values: [42]';
    await k.create(jobYaml('pfp', policy, { after: '1s', code: 42 }));
    await k.ok('wait', '--for=condition=failed', 'job/pfp', '--timeout=60s');
    const j = await job('pfp');
    assert.deepEqual(conditions(j), ['FailureTarget/PodFailurePolicy', 'Failed/PodFailurePolicy']);
    assert.match(j.status.conditions.find((c: Obj) => c.type === 'Failed').message, /^Container work for pod default\/pfp-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(j.status.failed, 1, 'no retry despite backoffLimit 6');
  });

  it('suspend and resume: no pods while suspended, Suspended condition, then completion', async () => {
    await k.create(jobYaml('later', 'suspend: true\ncompletions: 2\nparallelism: 2', { after: '1s', code: 0 }));
    const suspended = await eventually('the Suspended condition', async () => {
      const j = await job('later');
      return conditions(j).includes('Suspended/JobSuspended') && j;
    });
    assert.equal(suspended.status.startTime, undefined);
    assert.deepEqual(await podsOf('later'), []);
    await k.ok('patch', 'job', 'later', '--type=merge', '-p', '{"spec":{"suspend":false}}');
    await k.ok('wait', '--for=condition=complete', 'job/later', '--timeout=60s');
    const j = await job('later');
    assert.equal(j.status.conditions.find((c: Obj) => c.type === 'Suspended').status, 'False');
    assert.equal(j.status.conditions.find((c: Obj) => c.type === 'Suspended').reason, 'JobResumed');
    assert.equal(j.status.succeeded, 2);
  });

  it('Jobs, orphan pods, re-adoption', async () => {
    await k.create(jobYaml('keep', 'parallelism: 2\ncompletions: 4'));
    const pods = await eventually('two running pods', async () => {
      const ps = (await podsOf('keep')).filter((p) => p.status?.phase === 'Running');
      return ps.length === 2 && ps;
    });
    const j = await job('keep');
    // Orphaned by hand: the Job adopts it back.
    const orphan = pods[0]!.metadata.name;
    await k.ok('patch', 'pod', orphan, '--type=json', '-p', '[{"op":"remove","path":"/metadata/ownerReferences"}]');
    await eventually('re-adoption', async () => {
      const p = await k.getJson('pod', orphan);
      return p?.metadata.ownerReferences?.[0]?.uid === j.metadata.uid;
    });
    // Relabelled: released (and its finalizer removed), replaced by a new pod.
    const stray = pods[1]!.metadata.name;
    await k.ok('label', 'pod', stray, '--overwrite', `batch.kubernetes.io/controller-uid=other`);
    await eventually('release', async () => {
      const p = await k.getJson('pod', stray);
      return p && !p.metadata.ownerReferences?.length && !(p.metadata.finalizers ?? []).includes(TRACKING);
    });
    await eventually('a replacement', async () => (await podsOf('keep')).filter((p) => p.metadata.labels['batch.kubernetes.io/controller-uid'] === j.metadata.uid).length === 2);
    await k.ok('delete', 'pod', stray, '--wait=false');
  });

  it('Jobs, active pods, graceful termination: kubectl delete job takes its pods along', async () => {
    await eventually('the pods of keep', async () => (await podsOf('keep')).length >= 2);
    await k.ok('delete', 'job', 'keep', '--timeout=60s');
    await eventually('the pods gone', async () => (await podsOf('keep')).length === 0, 60_000);
  });

  it('ttlSecondsAfterFinished: the Job is deleted that long after it finished', async () => {
    await k.create(jobYaml('brief', 'ttlSecondsAfterFinished: 2', { after: '500ms', code: 0 }));
    await k.ok('wait', '--for=condition=complete', 'job/brief', '--timeout=60s');
    await eventually('the Job deleted', async () => (await k.run('get', 'job', 'brief')).code !== 0, 60_000);
    await eventually('its pods deleted', async () => (await podsOf('brief')).length === 0);
  });

  it('kubectl create job --from=cronjob/...: a Job from the template, owned by the CronJob, runs', async () => {
    await k.create(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 1 1 *"
  jobTemplate:
    metadata:
      labels:
        from: nightly
    spec:
      template:
        metadata:
          annotations:
            k8ts.io/hollow-exit-after: "500ms"
        spec:
          restartPolicy: OnFailure
          containers:
          - name: work
            image: busybox
`);
    await k.ok('create', 'job', 'manual-run', '--from=cronjob/nightly');
    await k.ok('wait', '--for=condition=complete', 'job/manual-run', '--timeout=60s');
    const j = await job('manual-run');
    const cj = (await k.getJson('cronjob', 'nightly'))!;
    assert.equal(j.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(j.metadata.labels.from, 'nightly');
    assert.equal(j.metadata.ownerReferences[0].uid, cj.metadata.uid);
    assert.equal(j.status.succeeded, 1);
  });
});
