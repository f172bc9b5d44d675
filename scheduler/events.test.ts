import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../controllers/runtime/clock.ts';
import { EventRecorder, truncateNote } from './events.ts';
import type { KubeObject } from '../controllers/runtime/types.ts';

test('events.k8s.io/v1 events; a repeat grows the series of the first', async () => {
  const calls: { verb: string; ns?: string; name?: string; body: KubeObject | unknown }[] = [];
  const api = {
    async create<T extends KubeObject>(_ref: unknown, ns: string | undefined, obj: T): Promise<T> {
      calls.push({ verb: 'create', ns, body: obj });
      return obj;
    },
    async patch<T extends KubeObject>(_ref: unknown, ns: string | undefined, name: string, body: unknown): Promise<T> {
      calls.push({ verb: 'patch', ns, name, body });
      return {} as T;
    },
  };
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  const rec = new EventRecorder({ api, component: 'default-scheduler', instance: 'default-scheduler-host', clock });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1', resourceVersion: '7' } };
  rec.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', 'no room');
  await rec.flush();
  clock.step(30_000);
  rec.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', 'no room');
  await rec.flush();
  assert.equal(calls.length, 2);
  const ev = calls[0]!.body as Record<string, any>;
  assert.equal(ev.apiVersion, 'events.k8s.io/v1');
  assert.match(ev.metadata.name, /^p\.[0-9a-f]+$/);
  assert.equal(ev.eventTime, '2024-05-01T10:00:00.000000Z');
  assert.deepEqual(
    { c: ev.reportingController, i: ev.reportingInstance, a: ev.action, r: ev.reason, n: ev.note, t: ev.type },
    { c: 'default-scheduler', i: 'default-scheduler-host', a: 'Scheduling', r: 'FailedScheduling', n: 'no room', t: 'Warning' },
  );
  assert.deepEqual(ev.regarding, { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u1', apiVersion: 'v1', resourceVersion: '7' });
  assert.deepEqual(calls[1], { verb: 'patch', ns: 'ns', name: ev.metadata.name, body: { series: { count: 2, lastObservedTime: '2024-05-01T10:00:30.000000Z' } } });
});

test('notes longer than 1024 characters are cut with " ..."', () => {
  const cut = truncateNote('x'.repeat(2000));
  assert.equal(cut.length, 1024);
  assert.ok(cut.endsWith('x ...'));
});

test('events waiting to be written are bounded: more are dropped, as client-go drops them', async () => {
  let created = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const api = {
    async create<T extends KubeObject>(_ref: unknown, _ns: string | undefined, obj: T): Promise<T> {
      await gate;
      created++;
      return obj;
    },
    async patch<T extends KubeObject>(): Promise<T> {
      return {} as T;
    },
  };
  const rec = new EventRecorder({ api, component: 'default-scheduler', instance: 'i', maxPending: 3 });
  for (let i = 0; i < 5; i++) rec.event({ kind: 'Pod', metadata: { name: `p${i}`, namespace: 'ns', uid: `u${i}` } }, 'Normal', 'Scheduled', 'Binding', 'assigned');
  release();
  await rec.flush();
  assert.equal(created, 3);
});
