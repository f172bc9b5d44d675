import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pods } from './pods.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-01T01:00:00Z');
const ctx = { now, user: 'admin' };

function newPod(spec: Record<string, unknown> = {}): KubeObject {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec } };
  pods.strategy.defaults(pod);
  return pod;
}

function cells(pod: KubeObject): Record<string, unknown> {
  return Object.fromEntries(pods.printerColumns.map((c) => [c.name, c.cell(pod, now)]));
}

test('defaults on a pod include pod-only fields', () => {
  const pod = newPod();
  assert.equal(pod.spec && (pod.spec as any).enableServiceLinks, true);
  assert.equal((pod.spec as any).containers[0].imagePullPolicy, 'Always');
  assert.deepEqual(pods.strategy.validate(pod), []);
});

test('create: Pending with a QoS class', () => {
  const best = newPod();
  pods.strategy.prepareForCreate!(best, ctx);
  assert.deepEqual(best.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const guaranteed = newPod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] });
  pods.strategy.prepareForCreate!(guaranteed, ctx);
  assert.equal((guaranteed.status as any).qosClass, 'Guaranteed');
  const burstable = newPod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '100m' } } }] });
  pods.strategy.prepareForCreate!(burstable, ctx);
  assert.equal((burstable.status as any).qosClass, 'Burstable');
  const gated = newPod({ schedulingGates: [{ name: 'example.com/wait' }] });
  pods.strategy.prepareForCreate!(gated, ctx);
  assert.equal((gated.status as any).conditions[0].reason, 'SchedulingGated');
  assert.equal(cells(gated).Status, 'SchedulingGated');
});

test('create-only rules', () => {
  const pod = newPod({ ephemeralContainers: [{ name: 'dbg', image: 'busybox' }], nodeName: 'n1', schedulingGates: [{ name: 'g' }] });
  assert.deepEqual(pods.strategy.validate(pod).map((e) => `${e.field}: ${e.message}`), [
    'spec.ephemeralContainers: Forbidden: cannot be set on create',
    'spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared',
  ]);
});

test('updates: images and deadlines may change, other spec fields may not', () => {
  const old = newPod({ activeDeadlineSeconds: 100 });
  const ok = newPod({ activeDeadlineSeconds: 50 });
  (ok.spec as any).containers[0].image = 'nginx:1.27';
  (ok.spec as any).tolerations = [{ key: 'k', operator: 'Exists' }];
  assert.deepEqual(pods.strategy.validateUpdate(ok, old), []);
  const longer = newPod({ activeDeadlineSeconds: 200 });
  assert.deepEqual(pods.strategy.validateUpdate(longer, old).map((e) => e.message), ['Invalid value: 200: must be less than or equal to previous value']);
  const changed = newPod({ activeDeadlineSeconds: 100, restartPolicy: 'Never' });
  const errs = pods.strategy.validateUpdate(changed, old);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.field, 'spec');
  assert.ok(errs[0]!.message.startsWith('Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'));
  const more = newPod({ activeDeadlineSeconds: 100, containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] });
  assert.deepEqual(pods.strategy.validateUpdate(more, old).map((e) => `${e.field}: ${e.message}`), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
});

test('status updates keep the spec and validate transitions', () => {
  const old = newPod({ nodeName: 'n1', restartPolicy: 'Never' });
  old.status = { phase: 'Running', qosClass: 'BestEffort', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0 } } }] };
  const upd: KubeObject = { ...structuredClone(old), spec: { containers: [] }, status: { phase: 'Running', containerStatuses: [{ name: 'web', state: { running: {} } }] } };
  pods.strategy.prepareForStatusUpdate!(upd, old, ctx);
  assert.deepEqual(upd.spec, old.spec);
  assert.equal((upd.status as any).qosClass, 'BestEffort');
  assert.deepEqual(pods.strategy.validateStatusUpdate!(upd, old).map((e) => `${e.field}: ${e.message}`), [
    'status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state',
  ]);
});

test('graceful deletion period', () => {
  assert.equal(pods.strategy.defaultGracePeriodSeconds!(newPod({ nodeName: 'n1' })), 30);
  assert.equal(pods.strategy.defaultGracePeriodSeconds!(newPod()), 0);
  const done = newPod({ nodeName: 'n1' });
  done.status = { phase: 'Succeeded' };
  assert.equal(pods.strategy.defaultGracePeriodSeconds!(done), 0);
});

test('printer: pending, running, wide columns', () => {
  const pending = newPod();
  pending.status = { phase: 'Pending' };
  assert.deepEqual(cells(pending), { Ready: '0/1', Status: 'Pending', Restarts: '0', Age: '60m', IP: '<none>', Node: '<none>', 'Nominated Node': '<none>', 'Readiness Gates': '<none>' });
  const running = newPod({ nodeName: 'node-1', readinessGates: [{ conditionType: 'example.com/ready' }] });
  running.status = {
    phase: 'Running',
    podIPs: [{ ip: '10.0.0.5' }],
    conditions: [{ type: 'Ready', status: 'True' }, { type: 'example.com/ready', status: 'False' }],
    containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:05Z' } } }],
  };
  assert.deepEqual(cells(running), { Ready: '1/1', Status: 'Running', Restarts: '0', Age: '60m', IP: '10.0.0.5', Node: 'node-1', 'Nominated Node': '<none>', 'Readiness Gates': '0/1' });
});

test('printer: waiting reasons and restarts with age', () => {
  const pod = newPod();
  pod.status = {
    phase: 'Running',
    containerStatuses: [
      { name: 'web', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-01-01T00:55:00Z' } } },
    ],
  };
  assert.deepEqual([cells(pod).Ready, cells(pod).Status, cells(pod).Restarts], ['0/1', 'CrashLoopBackOff', '5 (5m ago)']);
  pod.status = { phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] };
  assert.equal(cells(pod).Status, 'ContainerCreating');
  pod.status = { phase: 'Succeeded', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
  assert.deepEqual([cells(pod).Ready, cells(pod).Status], ['0/1', 'Completed']);
  pod.status = { phase: 'Failed', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 137, signal: 9 } } }] };
  assert.equal(cells(pod).Status, 'Signal:9');
  pod.status = { phase: 'Failed', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 2 } } }] };
  assert.equal(cells(pod).Status, 'ExitCode:2');
});

test('printer: init containers, sidecars, terminating', () => {
  const pod = newPod({ initContainers: [{ name: 'init-a', image: 'x' }, { name: 'init-b', image: 'x' }] });
  pod.status = {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'init-a', state: { terminated: { exitCode: 0 } } },
      { name: 'init-b', state: { running: {} } },
    ],
    containerStatuses: [{ name: 'web', state: { waiting: { reason: 'PodInitializing' } } }],
  };
  assert.deepEqual([cells(pod).Ready, cells(pod).Status], ['0/1', 'Init:1/2']);
  (pod.status as any).initContainerStatuses[1].state = { waiting: { reason: 'ImagePullBackOff' } };
  assert.equal(cells(pod).Status, 'Init:ImagePullBackOff');
  (pod.status as any).initContainerStatuses[1].state = { terminated: { exitCode: 3 } };
  assert.equal(cells(pod).Status, 'Init:ExitCode:3');

  const side = newPod({ initContainers: [{ name: 'proxy', image: 'x', restartPolicy: 'Always' }] });
  side.status = {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
    initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: '2024-01-01T00:59:00Z' } } }],
    containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }],
  };
  assert.deepEqual([cells(side).Ready, cells(side).Status, cells(side).Restarts], ['2/2', 'Running', '1 (60s ago)']);

  const deleting = newPod({ nodeName: 'n' });
  deleting.metadata!.deletionTimestamp = '2024-01-01T00:59:00Z';
  deleting.status = { phase: 'Running', containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }] };
  assert.equal(cells(deleting).Status, 'Terminating');
  (deleting.status as any).reason = 'NodeLost';
  assert.equal(cells(deleting).Status, 'Unknown');
});

test('field selectors', () => {
  const pod = newPod({ nodeName: 'n1', hostNetwork: true });
  pod.status = { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }], nominatedNodeName: 'n2' };
  const f = pods.fieldSelectors;
  assert.deepEqual(
    Object.keys(f).map((k) => [k, f[k]!(pod)]),
    [
      ['spec.nodeName', 'n1'],
      ['spec.restartPolicy', 'Always'],
      ['spec.schedulerName', 'default-scheduler'],
      ['spec.serviceAccountName', ''],
      ['spec.hostNetwork', 'true'],
      ['status.phase', 'Running'],
      ['status.podIP', '10.0.0.1'],
      ['status.nominatedNodeName', 'n2'],
    ],
  );
});
