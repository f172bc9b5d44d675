import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopBackoff } from './backoff.ts';
import { markExited, markRunning, markWaiting, newPodState, noteRestart, planPod, type PodState } from './pod-state.ts';
import { podPhase, renderPodStatus } from './status.ts';

type J = Record<string, any>;
const T0 = Date.UTC(2024, 0, 1);

function pod(spec: J, meta: J = {}): J {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u1', ...meta }, spec: { nodeName: 'n', ...spec }, status: {} };
}

/** Plays the worker: carries out a plan at `now` (every start succeeds). */
function carryOut(p: J, st: PodState, now: number, backoff: CrashLoopBackoff) {
  const plan = planPod(p, st, now, backoff);
  for (const name of plan.start) {
    const rec = st.containers.get(name)!;
    noteRestart(st, rec, backoff);
    const c = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((x: J) => x.name === name);
    markRunning(rec, c, now, `id-${name}-${rec.runs + 1}`);
  }
  for (const name of plan.stop) exit(st, name, 137, now);
  st.sandboxReady = true;
  st.ip = '127.244.0.2';
  return plan;
}

function exit(st: PodState, name: string, code: number, now: number) {
  const rec = st.containers.get(name)!;
  assert.equal(rec.state.kind, 'running', `${name} is not running`);
  const started = rec.state.kind === 'running' ? rec.state.startedAt : now;
  const id = rec.state.kind === 'running' ? rec.state.containerID : '';
  markExited(rec, { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: started, finishedAt: now, containerID: id });
}

const status = (p: J, st: PodState, now: number) => renderPodStatus(p, st, '127.0.0.2', now);
const cond = (s: J, type: string) => s.conditions.find((c: J) => c.type === type);

test('a pod starts its containers and runs: Running, Ready, IPs and start time', () => {
  const p = pod({ containers: [{ name: 'web', image: 'nginx' }, { name: 'a-side', image: 'busybox' }] });
  const st = newPodState(p, T0);
  let s = status(p, st, T0);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses.map((c: J) => [c.name, c.state.waiting?.reason]), [['a-side', 'ContainerCreating'], ['web', 'ContainerCreating']]);
  assert.equal(s.podIP, undefined);
  const plan = carryOut(p, st, T0, new CrashLoopBackoff());
  assert.deepEqual(plan.start, ['web', 'a-side']);
  s = status(p, st, T0 + 1000);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Ready').status, 'True');
  assert.equal(cond(s, 'ContainersReady').status, 'True');
  assert.equal(cond(s, 'Initialized').status, 'True');
  assert.equal(cond(s, 'PodReadyToStartContainers').status, 'True');
  assert.equal(s.podIP, '127.244.0.2');
  assert.deepEqual(s.podIPs, [{ ip: '127.244.0.2' }]);
  assert.equal(s.hostIP, '127.0.0.2');
  assert.equal(s.startTime, '2024-01-01T00:00:00Z');
  const web = s.containerStatuses[1];
  assert.deepEqual(web.state, { running: { startedAt: '2024-01-01T00:00:00Z' } });
  assert.equal(web.ready, true);
  assert.equal(web.started, true);
  assert.equal(web.restartCount, 0);
  assert.equal(web.image, 'docker.io/library/nginx:latest');
  assert.match(web.imageID, /^docker\.io\/library\/nginx@sha256:/);
  assert.equal(web.containerID, 'id-web-1');
  assert.deepEqual(planPod(p, st, T0 + 2000, new CrashLoopBackoff()), { start: [], stop: [], backingOff: [] });
});

test('a crashing container restarts at once, then backs off: CrashLoopBackOff with lastState and restartCount', () => {
  const p = pod({ containers: [{ name: 'c', image: 'busybox' }] });
  const st = newPodState(p, T0);
  const b = new CrashLoopBackoff();
  carryOut(p, st, T0, b);
  exit(st, 'c', 1, T0 + 1000);
  let plan = carryOut(p, st, T0 + 1000, b);
  assert.deepEqual(plan.start, ['c']);
  exit(st, 'c', 2, T0 + 2000);
  plan = carryOut(p, st, T0 + 2000, b);
  assert.deepEqual(plan.start, []);
  assert.deepEqual(plan.backingOff, ['c']);
  assert.equal(plan.wakeAt, T0 + 12_000);
  const s = status(p, st, T0 + 3000);
  const c = s.containerStatuses[0];
  assert.deepEqual(c.state.waiting, { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=p_ns(u1)' });
  assert.equal(c.lastState.terminated.exitCode, 2);
  assert.equal(c.lastState.terminated.reason, 'Error');
  assert.equal(c.restartCount, 1);
  assert.equal(c.ready, false);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Ready').message, 'containers with unready status: [c]');
  // Not yet…
  assert.deepEqual(carryOut(p, st, T0 + 11_000, b).start, []);
  // …now, and the next wait doubles.
  assert.deepEqual(carryOut(p, st, T0 + 12_000, b).start, ['c']);
  exit(st, 'c', 1, T0 + 13_000);
  assert.equal(carryOut(p, st, T0 + 13_000, b).wakeAt, T0 + 33_000);
  assert.equal(status(p, st, T0 + 13_000).containerStatuses[0].restartCount, 2);
});

test('restartPolicy Never and OnFailure end the pod: Succeeded when every container exited 0', () => {
  for (const [policy, codes, phase] of [
    ['Never', [0, 0], 'Succeeded'],
    ['Never', [0, 3], 'Failed'],
    ['OnFailure', [0, 0], 'Succeeded'],
  ] as const) {
    const p = pod({ restartPolicy: policy, containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }] });
    const st = newPodState(p, T0);
    const b = new CrashLoopBackoff();
    carryOut(p, st, T0, b);
    exit(st, 'a', codes[0], T0 + 1000);
    assert.equal(carryOut(p, st, T0 + 1000, b).start.length, 0);
    assert.equal(st.terminal, undefined);
    exit(st, 'b', codes[1], T0 + 2000);
    carryOut(p, st, T0 + 2000, b);
    assert.equal((st as PodState).terminal?.phase, phase, `${policy} ${codes}`);
    const s = status(p, st, T0 + 2000);
    assert.equal(s.phase, phase);
    assert.equal(cond(s, 'Ready').status, 'False');
    assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
    if (phase === 'Succeeded') assert.equal(cond(s, 'ContainersReady').reason, 'PodCompleted');
    assert.deepEqual(s.containerStatuses[1].state.terminated.exitCode, codes[1]);
  }
  // OnFailure restarts a failed container.
  const p = pod({ restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'busybox' }] });
  const st = newPodState(p, T0);
  const b = new CrashLoopBackoff();
  carryOut(p, st, T0, b);
  exit(st, 'a', 1, T0 + 1000);
  assert.deepEqual(carryOut(p, st, T0 + 1000, b).start, ['a']);
});

test('init containers run one at a time before the containers; a failed one fails a Never pod', () => {
  const p = pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }] });
  const st = newPodState(p, T0);
  const b = new CrashLoopBackoff();
  let s = status(p, st, T0);
  assert.equal(s.containerStatuses[0].state.waiting.reason, 'PodInitializing');
  assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [i1 i2]');
  assert.deepEqual(carryOut(p, st, T0, b).start, ['i1']);
  assert.deepEqual(carryOut(p, st, T0 + 10, b).start, []);
  exit(st, 'i1', 0, T0 + 100);
  assert.deepEqual(carryOut(p, st, T0 + 100, b).start, ['i2']);
  s = status(p, st, T0 + 100);
  assert.equal(s.phase, 'Pending');
  assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [i2]');
  exit(st, 'i2', 0, T0 + 200);
  assert.deepEqual(carryOut(p, st, T0 + 200, b).start, ['c']);
  s = status(p, st, T0 + 300);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Initialized').status, 'True');
  assert.equal(s.initContainerStatuses[0].state.terminated.reason, 'Completed');

  const never = pod({ restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }] });
  const st2 = newPodState(never, T0);
  carryOut(never, st2, T0, b);
  exit(st2, 'i1', 1, T0 + 100);
  assert.deepEqual(carryOut(never, st2, T0 + 100, b).start, []);
  assert.equal(st2.terminal?.phase, 'Failed');
  assert.equal(status(never, st2, T0 + 100).phase, 'Failed');

  const always = pod({ initContainers: [{ name: 'i1', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }] });
  const st3 = newPodState(always, T0);
  const b3 = new CrashLoopBackoff();
  carryOut(always, st3, T0, b3);
  exit(st3, 'i1', 1, T0 + 100);
  assert.deepEqual(carryOut(always, st3, T0 + 100, b3).start, ['i1']);
  exit(st3, 'i1', 1, T0 + 200);
  assert.deepEqual(carryOut(always, st3, T0 + 200, b3).backingOff, ['i1']);
  assert.equal(status(always, st3, T0 + 200).initContainerStatuses[0].state.waiting.reason, 'CrashLoopBackOff');
  assert.equal(status(always, st3, T0 + 200).phase, 'Pending');
});

test('sidecars start before the next init container, keep running, and stop when the pod is done', () => {
  const p = pod({
    restartPolicy: 'Never',
    initContainers: [{ name: 'side', image: 'busybox', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }, { name: 'i', image: 'busybox' }],
    containers: [{ name: 'c', image: 'busybox' }],
  });
  const st = newPodState(p, T0);
  const b = new CrashLoopBackoff();
  assert.deepEqual(carryOut(p, st, T0, b).start, ['side']);
  // Not started (startup probe) yet: i waits.
  assert.deepEqual(carryOut(p, st, T0 + 10, b).start, []);
  st.containers.get('side')!.started = true;
  assert.deepEqual(carryOut(p, st, T0 + 20, b).start, ['i']);
  exit(st, 'i', 0, T0 + 30);
  assert.deepEqual(carryOut(p, st, T0 + 30, b).start, ['c']);
  // A sidecar that dies is restarted even in a Never pod.
  exit(st, 'side', 1, T0 + 40);
  assert.deepEqual(carryOut(p, st, T0 + 40, b).start, ['side']);
  st.containers.get('side')!.started = true;
  exit(st, 'c', 0, T0 + 50);
  const plan = planPod(p, st, T0 + 50, b);
  assert.deepEqual(plan.stop, ['side']);
  assert.equal(st.terminal?.phase, 'Succeeded');
});

test('activeDeadlineSeconds fails the pod and stops its containers; deletion stops them', () => {
  const p = pod({ activeDeadlineSeconds: 5, containers: [{ name: 'c', image: 'busybox' }] });
  const st = newPodState(p, T0);
  const b = new CrashLoopBackoff();
  assert.equal(carryOut(p, st, T0, b).wakeAt, T0 + 5000);
  const plan = planPod(p, st, T0 + 5000, b);
  assert.deepEqual(plan.stop, ['c']);
  exit(st, 'c', 137, T0 + 5100);
  const s = status(p, st, T0 + 5100);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.reason, 'DeadlineExceeded');
  assert.equal(s.message, 'Pod was active on the node longer than the specified deadline');

  const d = pod({ containers: [{ name: 'c', image: 'busybox' }] });
  const st2 = newPodState(d, T0);
  carryOut(d, st2, T0, b);
  const deleting = { ...d, metadata: { ...d.metadata, deletionTimestamp: '2024-01-01T00:01:00Z' } };
  assert.deepEqual(planPod(deleting, st2, T0 + 60_000, b).stop, ['c']);
  st2.containers.get('c')!.busy = 'stopping';
  assert.deepEqual(planPod(deleting, st2, T0 + 60_001, b).stop, []);
});

test('containers that cannot be created wait with the reason', () => {
  const p = pod({ containers: [{ name: 'c', image: 'busybox' }] });
  const st = newPodState(p, T0);
  markWaiting(st.containers.get('c')!, 'CreateContainerConfigError', 'configmap "x" not found');
  const s = status(p, st, T0);
  assert.deepEqual(s.containerStatuses[0].state, { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found' } });
  assert.equal(s.phase, 'Pending');
  // It is tried again on the next plan.
  assert.deepEqual(planPod(p, st, T0 + 1, new CrashLoopBackoff()).start, ['c']);
});

test('getPhase: the kubelet table', () => {
  const spec = (policy: string) => ({ restartPolicy: policy, containers: [{ name: 'a' }] });
  const st = (state: J, lastState: J = {}) => [{ name: 'a', state, lastState }];
  assert.equal(podPhase(spec('Always'), [], st({ waiting: { reason: 'ContainerCreating' } }), false, true), 'Pending');
  assert.equal(podPhase(spec('Always'), [], st({ running: {} }), false, true), 'Running');
  assert.equal(podPhase(spec('Always'), [], st({ terminated: { exitCode: 1 } }), false, true), 'Running');
  assert.equal(podPhase(spec('Always'), [], st({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { exitCode: 1 } }), false, true), 'Running');
  assert.equal(podPhase(spec('Always'), [], st({ terminated: { exitCode: 0 } }), true, true), 'Succeeded');
  assert.equal(podPhase(spec('Never'), [], st({ terminated: { exitCode: 1 } }), false, true), 'Failed');
  assert.equal(podPhase(spec('OnFailure'), [], st({ terminated: { exitCode: 1 } }), false, true), 'Running');
  assert.equal(podPhase(spec('OnFailure'), [], st({ terminated: { exitCode: 0 } }), false, true), 'Succeeded');
});
