// End to end: a CronJob on `k8ts up --hollow-nodes 2` fires on its minute (the one long wait
// of these tests: up to a minute), names its Job `<cronjob>-<minutes since the epoch>` with the
// scheduled time as an annotation, records lastScheduleTime and lastSuccessfulTime, trims the
// finished Job under successfulJobsHistoryLimit 0; a suspended CronJob on the same schedule
// starts nothing. Concurrency policies and longer histories are covered by the unit tests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;

function cronJobYaml(name: string, extra: string): string {
  return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "*/1 * * * *"
${extra}
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            k8ts.io/hollow-exit-after: "500ms"
        spec:
          restartPolicy: Never
          containers:
          - name: hello
            image: busybox
            command: ["echo", "hello"]
`;
}

describe('CronJobs against k8ts up with hollow nodes, with kubectl', { skip }, () => {
  let k8ts: K8tsProcess;
  const k = kubectlFor(() => k8ts);
  const jobsOf = async (cronJob: string) => (await k.items('jobs')).filter((j) => j.metadata.ownerReferences?.[0]?.name === cronJob);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '2'] });
    await eventually('Ready nodes', async () => (await k.items('nodes')).some((n) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')));
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('a */1 CronJob starts a Job on its minute, then lets the finished Job go (successfulJobsHistoryLimit 0); a suspended one starts nothing', async () => {
    await k.create(cronJobYaml('hello', '  successfulJobsHistoryLimit: 0'));
    await k.create(cronJobYaml('paused', '  suspend: true'));
    const cj = (await k.getJson('cronjob', 'hello'))!;
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');

    const scheduled = await eventually(
      'the first scheduled Job',
      async () => {
        const c = await k.getJson('cronjob', 'hello');
        return c?.status?.lastScheduleTime;
      },
      75_000,
    );
    const at = Date.parse(scheduled);
    assert.equal(at % 60_000, 0, 'on a minute');
    assert.ok(at > Date.parse(cj.metadata.creationTimestamp), 'the first minute after creation');
    const name = `hello-${at / 60_000}`;
    const described = await eventually('the SuccessfulCreate event', async () => {
      const out = await k.ok('describe', 'cronjob', 'hello');
      return out.includes(`Created job ${name}`) && out;
    });
    assert.match(described, new RegExp(`Normal\\s+SuccessfulCreate\\s+\\S+\\s+cronjob-controller\\s+Created job ${name}`));

    // The Job runs to completion, and the history limit of 0 deletes it.
    const c = await eventually(
      'lastSuccessfulTime, and the Job gone',
      async () => {
        const x = await k.getJson('cronjob', 'hello');
        return x?.status?.lastSuccessfulTime && (await jobsOf('hello')).length === 0 && x;
      },
      60_000,
    );
    assert.deepEqual(c.status.active ?? [], []);
    assert.ok(Date.parse(c.status.lastSuccessfulTime) >= at);
    await eventually('the SuccessfulDelete event', async () => new RegExp(`Normal\\s+SuccessfulDelete\\s+\\S+\\s+cronjob-controller\\s+Deleted job ${name}`).test(await k.ok('describe', 'cronjob', 'hello')));
    // NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST-SCHEDULE AGE
    const row = /^hello\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+(\S+)\s+\S+$/m.exec(await k.ok('get', 'cronjob', 'hello'));
    assert.ok(row && row[1] !== '<none>', `LAST SCHEDULE shown: ${row?.[0]}`);

    // CronJob Suspend: the same minute passed without a Job.
    assert.deepEqual(await jobsOf('paused'), []);
    assert.equal((await k.getJson('cronjob', 'paused'))!.status?.lastScheduleTime, undefined);
  });
});
