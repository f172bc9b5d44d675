import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodCondition } from '../runtime/pods.ts';
import { NO_BACKOFF } from './backoff.ts';
import { JOB_TRACKING_FINALIZER, type Job } from './job.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { finishStatus, planJob } from './sync.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function job(rules: unknown[]): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pfp', namespace: 'ns', uid: 'job-uid' },
    spec: { parallelism: 1, completions: 1, backoffLimit: 6, template: { spec: { restartPolicy: 'Never' } }, podFailurePolicy: { rules } },
    status: { startTime: '2024-01-01T00:00:00Z' },
  };
}

function failedPod(name: string, exitCode: number, conditions: PodCondition[] = []): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: name, finalizers: [JOB_TRACKING_FINALIZER] },
    status: { phase: 'Failed', conditions, containerStatuses: [{ name: 'c', state: { terminated: { exitCode } } } as never] },
  };
}

const failOn42 = { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } };
const ignoreDisruption = { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] };

function sync(j: Job, pods: Pod[]) {
  const plan = planJob({ job: j, pods, now: T0, satisfiedExpectations: true, expectedRmFinalizers: new Set(), backoff: NO_BACKOFF });
  return { plan, finish: finishStatus(j, plan, new Set(), T0) };
}

describe('podFailurePolicy', () => {
  it('matches rules in order: exit codes (In, NotIn, container name) and pod conditions', () => {
    const j = job([ignoreDisruption, failOn42, { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } }]);
    assert.deepEqual(matchPodFailurePolicy(j, failedPod('a', 42)), {
      countFailed: true,
      failJobMessage: 'Container c for pod ns/a failed with exit code 42 matching FailJob rule at index 1',
    });
    assert.deepEqual(matchPodFailurePolicy(j, failedPod('b', 42, [{ type: 'DisruptionTarget', status: 'True' }])), { countFailed: false });
    assert.deepEqual(matchPodFailurePolicy(j, failedPod('c', 3)), { countFailed: true });
    assert.deepEqual(matchPodFailurePolicy(job([{ action: 'FailJob', onExitCodes: { containerName: 'other', operator: 'In', values: [42] } }]), failedPod('d', 42)), { countFailed: true });
    assert.deepEqual(matchPodFailurePolicy(job([{ action: 'FailJob', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }]), failedPod('e', 1, [{ type: 'DisruptionTarget', status: 'True' }])), {
      countFailed: true,
      failJobMessage: 'Pod ns/e has condition DisruptionTarget matching FailJob rule at index 0',
    });
  });

  it('a FailJob match fails the Job at once with reason PodFailurePolicy', () => {
    const j = job([failOn42]);
    const { plan, finish } = sync(j, [failedPod('p1', 42)]);
    assert.equal(plan.create.length, 0);
    const target = plan.status.conditions?.find((c) => c.type === 'FailureTarget');
    assert.equal(target?.reason, 'PodFailurePolicy');
    assert.equal(target?.message, 'Container c for pod ns/p1 failed with exit code 42 matching FailJob rule at index 0');
    assert.deepEqual(plan.status.uncountedTerminatedPods, { failed: ['p1'] });
    assert.ok(finish.finished);
    assert.equal(finish.status.conditions?.find((c) => c.type === 'Failed')?.reason, 'PodFailurePolicy');
    assert.deepEqual(finish.events.map((e) => `${e.type} ${e.reason}`), ['Warning PodFailurePolicy']);
  });

  it('an Ignore match is not counted and the pod is replaced', () => {
    const j = job([ignoreDisruption]);
    j.spec!.backoffLimit = 0;
    const { plan } = sync(j, [failedPod('p1', 137, [{ type: 'DisruptionTarget', status: 'True' }])]);
    assert.equal(plan.finished, undefined);
    assert.deepEqual(plan.status.uncountedTerminatedPods, {});
    assert.deepEqual(plan.removeFinalizers.map((p) => p.metadata!.uid), ['p1']);
    assert.equal(plan.create.length, 1);
  });

  it('an unmatched failure counts against backoffLimit as without a policy', () => {
    const j = job([failOn42]);
    j.spec!.backoffLimit = 0;
    const { plan } = sync(j, [failedPod('p1', 1)]);
    assert.equal(plan.status.conditions?.find((c) => c.type === 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  });
});
