import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../controllers/runtime/clock.ts';
import { isPodUpdated, SchedulingQueue } from './queue.ts';
import { pod } from './testing/fixtures.ts';

function setup() {
  const clock = new FakeClock();
  const q = new SchedulingQueue({ clock });
  q.run();
  return { clock, q };
}

test('activeQ: higher priority first, then the longest waiting', async () => {
  const { clock, q } = setup();
  q.add(pod('low-old', { priority: 0 }));
  clock.step(10);
  q.add(pod('high', { priority: 100 }));
  clock.step(10);
  q.add(pod('low-new', { priority: 0 }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata!.name);
  assert.deepEqual(order, ['high', 'low-old', 'low-new']);
  q.close();
});

test('pop waits for a pod; close releases the waiters', async () => {
  const { q } = setup();
  const waiting = q.pop();
  q.add(pod('p'));
  assert.equal((await waiting)!.pod.metadata!.name, 'p');
  const never = q.pop();
  q.close();
  assert.equal(await never, undefined);
});

test('unschedulable pods wait for a cluster event, then go active (or back off)', async () => {
  const { clock, q } = setup();
  q.add(pod('p'));
  const info = (await q.pop())!;
  assert.equal(info.attempts, 1);
  q.requeueFailed(info, q.schedulingCycle(), true);
  assert.equal(q.locate(info.key), 'unschedulable');
  // Still backing off (1 s after the first attempt): the event moves it to backoffQ.
  q.moveAllToActiveOrBackoff('NodeAdd');
  assert.equal(q.locate(info.key), 'backoff');
  clock.step(1000);
  assert.equal(q.locate(info.key), 'active');
  const again = (await q.pop())!;
  assert.equal(again.attempts, 2);
  q.requeueFailed(again, q.schedulingCycle(), true);
  clock.step(5000);
  // Back-off over: an event moves it straight to activeQ.
  q.moveAllToActiveOrBackoff('NodeUpdate');
  assert.equal(q.locate(info.key), 'active');
  q.close();
});

test('an event during the attempt sends the failed pod to backoffQ, not unschedulable', async () => {
  const { clock, q } = setup();
  q.add(pod('p'));
  const info = (await q.pop())!;
  const cycle = q.schedulingCycle();
  q.moveAllToActiveOrBackoff('NodeAdd');
  q.requeueFailed(info, cycle, true);
  assert.equal(q.locate(info.key), 'backoff');
  clock.step(1000);
  assert.equal(q.locate(info.key), 'active');
  q.close();
});

test('errors back off, doubling from 1 s to at most 10 s', async () => {
  const { clock, q } = setup();
  q.add(pod('p'));
  let info = (await q.pop())!;
  const durations = [];
  for (let i = 0; i < 6; i++) {
    durations.push(q.backoffDuration(info));
    q.requeueFailed(info, q.schedulingCycle(), false);
    assert.equal(q.locate(info.key), 'backoff');
    clock.step(q.backoffDuration(info));
    info = (await q.pop())!;
  }
  assert.deepEqual(durations, [1000, 2000, 4000, 8000, 10000, 10000]);
  q.close();
});

test('unschedulable pods are retried after 5 minutes without events', async () => {
  const { clock, q } = setup();
  q.add(pod('p'));
  const info = (await q.pop())!;
  q.requeueFailed(info, q.schedulingCycle(), true);
  clock.step(4 * 60_000);
  assert.equal(q.locate(info.key), 'unschedulable');
  clock.step(60_000 + 30_000);
  assert.equal(q.locate(info.key), 'active');
  q.close();
});

test('updates: a spec change moves an unschedulable pod; a status change does not', async () => {
  const { clock, q } = setup();
  const p = pod('p');
  q.add(p);
  const info = (await q.pop())!;
  q.requeueFailed(info, q.schedulingCycle(), true);
  clock.step(2000);
  const statusOnly = { ...p, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' as const }] }, metadata: { ...p.metadata, resourceVersion: '9' } };
  assert.equal(isPodUpdated(p, statusOnly), false);
  q.update(p, statusOnly);
  assert.equal(q.locate(info.key), 'unschedulable');
  const relabeled = { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { a: 'b' } } };
  q.update(statusOnly, relabeled);
  assert.equal(q.locate(info.key), 'active');
  assert.equal((await q.pop())!.pod, relabeled);
  q.close();
});

test('gated pods wait until their scheduling gates are removed; deleted pods leave', async () => {
  const { q } = setup();
  const gated = pod('g', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } });
  q.add(gated);
  assert.equal(q.locate('default/g'), 'unschedulable');
  q.moveAllToActiveOrBackoff('NodeAdd');
  assert.equal(q.locate('default/g'), 'unschedulable');
  const open = { ...gated, spec: { ...gated.spec, schedulingGates: [] } };
  q.update(gated, open);
  assert.equal(q.locate('default/g'), 'active');
  q.delete(open);
  assert.equal(q.locate('default/g'), '');
  q.add(pod('x'));
  assert.equal((await q.pop())!.pod.metadata!.name, 'x');
  assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, inFlight: 1 });
  q.close();
});

test('a pod updated while being scheduled is queued again', async () => {
  const { q } = setup();
  const p = pod('p');
  q.add(p);
  const info = (await q.pop())!;
  assert.equal(q.locate(info.key), 'inflight');
  q.update(p, { ...p, metadata: { ...p.metadata, labels: { new: 'label' } } });
  assert.equal(q.locate(info.key), 'active');
  // The failed attempt does not queue it twice.
  q.requeueFailed(info, q.schedulingCycle(), true);
  assert.equal(q.counts().active, 1);
  q.close();
});

test('events move only the pods rejected by a plugin they concern', async () => {
  const { clock, q } = setup();
  q.add(pod('cpu'));
  q.add(pod('affinity'));
  const a = (await q.pop())!;
  const b = (await q.pop())!;
  q.requeueFailed(a, q.schedulingCycle(), true, ['NodeResourcesFit']);
  q.requeueFailed(b, q.schedulingCycle(), true, ['InterPodAffinity']);
  clock.step(20_000);
  q.moveAllToActiveOrBackoff('AssignedPodAdd');
  assert.equal(q.locate(a.key), 'unschedulable');
  assert.equal(q.locate(b.key), 'active');
  q.moveAllToActiveOrBackoff('AssignedPodDelete');
  assert.equal(q.locate(a.key), 'active');
  q.close();
});
