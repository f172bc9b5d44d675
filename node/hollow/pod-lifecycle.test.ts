import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adoptRuntime, advance, DEFAULT_TIMING, imageID, newRuntime, normalizeImage, renderStatus, restartBackoff, type PodRuntime } from './pod-lifecycle.ts';

type J = Record<string, any>;
const T0 = Date.parse('2024-05-01T10:00:00Z');
const timing = { ...DEFAULT_TIMING, startDelayMs: 1000 };

function pod(extra: J = {}, annotations: J = {}): J {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations },
    spec: { nodeName: 'hollow-0', restartPolicy: 'Always', containers: [{ name: 'web', image: 'nginx' }], ...extra },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-05-01T09:59:59Z' }] },
  };
}

const ip = () => '10.244.0.2';
const step = (p: J, rt: PodRuntime, at: number) => {
  const a = advance(p, rt, timing, at, ip);
  p.status = renderStatus(p, rt, '127.0.0.2', at);
  return a;
};

test('images as a runtime reports them', () => {
  assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImage('bitnami/redis:7'), 'docker.io/bitnami/redis:7');
  assert.equal(normalizeImage('registry.k8s.io/pause:3.9'), 'registry.k8s.io/pause:3.9');
  assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.match(imageID('nginx'), /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
});

test('a pod goes Pending (ContainerCreating) then Running after the start delay', () => {
  const p = pod();
  const rt = newRuntime('u1', T0);
  assert.deepEqual(step(p, rt, T0), { nextAt: T0 + 1000 });
  assert.equal(p.status.phase, 'Pending');
  assert.equal(p.status.podIP, undefined);
  assert.deepEqual(p.status.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(p.status.hostIP, '127.0.0.2');
  assert.equal(p.status.startTime, '2024-05-01T10:00:00Z');
  assert.deepEqual(step(p, rt, T0 + 1000), {});
  const s = p.status;
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.244.0.2');
  assert.deepEqual(s.podIPs, [{ ip: '10.244.0.2' }]);
  assert.equal(s.qosClass, 'BestEffort');
  assert.deepEqual(
    s.conditions.map((c: J) => [c.type, c.status]),
    [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ],
  );
  // The scheduler's transition time is kept.
  assert.equal(s.conditions[4].lastTransitionTime, '2024-05-01T09:59:59Z');
  const c = s.containerStatuses[0];
  assert.deepEqual(
    { ready: c.ready, started: c.started, restartCount: c.restartCount, image: c.image, state: c.state },
    { ready: true, started: true, restartCount: 0, image: 'docker.io/library/nginx:latest', state: { running: { startedAt: '2024-05-01T10:00:01Z' } } },
  );
  assert.match(c.containerID, /^hollow:\/\/[0-9a-f]{64}$/);
  // Rendering again changes nothing (no status write loops).
  const again = renderStatus(p, rt, '127.0.0.2', T0 + 60_000);
  assert.deepEqual(again, s);
});

test('restartPolicy Never: exit code 0 succeeds, others fail', () => {
  for (const [code, phase, reason] of [
    ['0', 'Succeeded', 'Completed'],
    ['3', 'Failed', 'Error'],
  ]) {
    const p = pod({ restartPolicy: 'Never' }, { 'k8ts.io/hollow-exit-after': '5s', 'k8ts.io/hollow-exit-code': code });
    const rt = newRuntime('u1', T0);
    step(p, rt, T0 + 1000);
    assert.deepEqual(step(p, rt, T0 + 2000), { nextAt: T0 + 6000 });
    assert.deepEqual(step(p, rt, T0 + 6000), {});
    assert.equal(p.status.phase, phase);
    const term = p.status.containerStatuses[0].state.terminated;
    assert.deepEqual([term.exitCode, term.reason, term.startedAt, term.finishedAt], [Number(code), reason, '2024-05-01T10:00:01Z', '2024-05-01T10:00:06Z']);
    assert.equal(p.status.containerStatuses[0].ready, false);
    const ready = p.status.conditions.find((c: J) => c.type === 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, phase === 'Succeeded' ? 'PodCompleted' : 'ContainersNotReady');
    assert.equal(p.status.conditions.find((c: J) => c.type === 'PodReadyToStartContainers').status, 'False');
  }
});

test('restartPolicy OnFailure: restarts on failure, ends on success', () => {
  const p = pod({ restartPolicy: 'OnFailure' }, { 'k8ts.io/hollow-exit-after': '1s', 'k8ts.io/hollow-exit-code': '1' });
  const rt = newRuntime('u1', T0);
  step(p, rt, T0 + 2000);
  // Exited at +2 s and restarted at once (the first restart has no back-off).
  assert.equal(rt.restarts, 1);
  assert.equal(p.status.phase, 'Running');
  p.metadata.annotations['k8ts.io/hollow-exit-code'] = '0';
  step(p, rt, T0 + 3000);
  assert.equal(p.status.phase, 'Succeeded');
});

test('restartPolicy Always: the restart count grows, with CrashLoopBackOff between restarts', () => {
  const p = pod({}, { 'k8ts.io/hollow-exit-after': '1s', 'k8ts.io/hollow-exit-code': '2' });
  const rt = newRuntime('u1', T0);
  step(p, rt, T0 + 1000); // running
  step(p, rt, T0 + 2000); // exit #1, immediate restart
  assert.equal(rt.restarts, 1);
  assert.equal(p.status.containerStatuses[0].restartCount, 1);
  assert.equal(p.status.containerStatuses[0].lastState.terminated.exitCode, 2);
  const a = step(p, rt, T0 + 3000); // exit #2: back-off 10 s
  assert.deepEqual(a, { nextAt: T0 + 13_000 });
  const cs = p.status.containerStatuses[0];
  assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(cs.state.waiting.message, 'back-off 10s restarting failed container=web pod=p_ns(u1)');
  assert.equal(cs.ready, false);
  assert.equal(p.status.phase, 'Running');
  assert.equal(p.status.conditions.find((c: J) => c.type === 'Ready').message, 'containers with unready status: [web]');
  step(p, rt, T0 + 13_000);
  assert.equal(rt.restarts, 2);
  assert.equal(p.status.containerStatuses[0].state.running.startedAt, '2024-05-01T10:00:13Z');
  assert.deepEqual([1, 2, 3, 6, 7, 10].map((n) => restartBackoff(DEFAULT_TIMING, n)), [10_000, 20_000, 40_000, 300_000, 300_000, 300_000]);
});

test('readiness gates: Ready only once every gate condition is True', () => {
  const p = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
  const rt = newRuntime('u1', T0);
  step(p, rt, T0 + 1000);
  let ready = p.status.conditions.find((c: J) => c.type === 'Ready');
  assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.']);
  p.status.conditions.push({ type: 'example.com/lb', status: 'False' });
  step(p, rt, T0 + 2000);
  ready = p.status.conditions.find((c: J) => c.type === 'Ready');
  assert.equal(ready.message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');
  p.status.conditions.find((c: J) => c.type === 'example.com/lb').status = 'True';
  step(p, rt, T0 + 3000);
  assert.equal(p.status.conditions.find((c: J) => c.type === 'Ready').status, 'True');
  // The gate's condition is kept.
  assert.equal(p.status.conditions[0].type, 'example.com/lb');
});

test('init containers complete before the containers run; hostNetwork pods use the host IP', () => {
  const p = pod({ hostNetwork: true, initContainers: [{ name: 'setup', image: 'busybox' }] });
  const rt = newRuntime('u1', T0);
  step(p, rt, T0);
  assert.equal(p.status.conditions.find((c: J) => c.type === 'Initialized').message, 'containers with incomplete status: [setup]');
  assert.equal(p.status.containerStatuses[0].state.waiting.reason, 'PodInitializing');
  step(p, rt, T0 + 1000);
  assert.equal(p.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
  assert.equal(p.status.podIP, '127.0.0.2');
  assert.equal(rt.ip, undefined);
});

test('activeDeadlineSeconds fails the pod; deletion is confirmed after the termination delay', () => {
  const p = pod({ activeDeadlineSeconds: 30 });
  const rt = newRuntime('u1', T0);
  assert.deepEqual(step(p, rt, T0 + 1000), { nextAt: T0 + 30_000 });
  step(p, rt, T0 + 30_000);
  assert.deepEqual([p.status.phase, p.status.reason, p.status.message], ['Failed', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline']);
  const d = pod();
  d.metadata.deletionTimestamp = '2024-05-01T10:00:05Z';
  const drt = newRuntime('u1', T0);
  assert.deepEqual(advance(d, drt, { ...timing, terminateDelayMs: 500 }, T0 + 5000, ip), { nextAt: T0 + 5500 });
  assert.deepEqual(advance(d, drt, { ...timing, terminateDelayMs: 500 }, T0 + 5500, ip), { delete: true });
});

test('adopting pods after an agent restart', () => {
  const p = pod();
  const rt = newRuntime('u1', T0);
  step(p, rt, T0 + 1000);
  const adopted = adoptRuntime(p, T0 + 60_000);
  assert.equal(adopted.state, 'running');
  assert.equal(adopted.ip, '10.244.0.2');
  assert.equal(adopted.runStartedAt, T0 + 1000);
  assert.deepEqual(renderStatus(p, adopted, '127.0.0.2', T0 + 60_000), p.status);
  const done = adoptRuntime({ ...p, status: { phase: 'Succeeded' } }, T0);
  assert.equal(done.frozen, true);
});

test('a pod marked Failed by someone else stays Failed: its status is no longer written', () => {
  const p = pod();
  const rt = newRuntime('u1', T0);
  step(p, rt, T0 + 1000);
  assert.equal(p.status.phase, 'Running');
  p.status = { ...p.status, phase: 'Failed', reason: 'OutOfcpu' };
  advance(p, rt, DEFAULT_TIMING, T0 + 2000, () => undefined);
  assert.equal(rt.state, 'terminal');
  assert.equal(rt.frozen, true);
});
