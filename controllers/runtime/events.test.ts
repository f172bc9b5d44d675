import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { ApiEventRecorder, EventCorrelator, type CoreEvent } from './events.ts';
import { FakeApi, WORKLOAD_RESOURCES } from './testing/fake-api.ts';
import type { KubeObject } from './types.ts';

const deploy: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', resourceVersion: '7' } };

function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(WORKLOAD_RESOURCES);
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const rec = new ApiEventRecorder({ api, component: 'deployment-controller', clock });
  const events = () => api.all('events', 'ns') as CoreEvent[];
  return { clock, api, rec, events };
}

describe('event recorder', () => {
  it('creates a core/v1 Event about the object, with source and timestamps', async () => {
    const { rec, events } = setup();
    rec.event(deploy, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc to 3');
    await rec.flush();
    const [ev] = events();
    assert.match(ev!.metadata!.name!, /^web\.[0-9a-f]+$/);
    assert.deepEqual(ev!.involvedObject, { kind: 'Deployment', namespace: 'ns', name: 'web', uid: 'd-uid', apiVersion: 'apps/v1', resourceVersion: '7' });
    assert.equal(ev!.reason, 'ScalingReplicaSet');
    assert.equal(ev!.type, 'Normal');
    assert.deepEqual(ev!.source, { component: 'deployment-controller' });
    assert.equal(ev!.count, 1);
    assert.equal(ev!.firstTimestamp, '2024-01-01T00:00:00Z');
    assert.equal(ev!.lastTimestamp, '2024-01-01T00:00:00Z');
  });

  it('a repeated event is a patch of the first: count + 1 and lastTimestamp, same name and firstTimestamp', async () => {
    const { rec, events, clock, api } = setup();
    rec.event(deploy, 'Warning', 'FailedCreate', 'Error creating: quota');
    await rec.flush();
    clock.step(30_000);
    rec.event(deploy, 'Warning', 'FailedCreate', 'Error creating: quota');
    clock.step(30_000);
    rec.event(deploy, 'Warning', 'FailedCreate', 'Error creating: quota');
    await rec.flush();
    const all = events();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.count, 3);
    assert.equal(all[0]!.firstTimestamp, '2024-01-01T00:00:00Z');
    assert.equal(all[0]!.lastTimestamp, '2024-01-01T00:01:00Z');
    assert.deepEqual(
      api.actions.filter((a) => a.resource === 'events').map((a) => a.verb),
      ['create', 'patch', 'patch'],
    );
    // Deleted meanwhile: the next repeat creates it again.
    await api.delete({ group: '', version: 'v1', resource: 'events', namespaced: true }, 'ns', all[0]!.metadata!.name!);
    rec.event(deploy, 'Warning', 'FailedCreate', 'Error creating: quota');
    await rec.flush();
    assert.equal(events().length, 1);
    assert.equal(events()[0]!.count, 4);
  });

  it('ten different messages for one reason within ten minutes are combined', () => {
    const c = new EventCorrelator({ clock: new FakeClock() });
    const rec = new ApiEventRecorder({ api: new FakeApi(), component: 'x', correlator: c });
    const out = [];
    for (let i = 0; i < 12; i++) out.push(c.correlate(rec.makeEvent(deploy, 'Normal', 'SuccessfulCreate', `Created pod: p${i}`)));
    assert.equal(out[8]!.event.message, 'Created pod: p8');
    assert.equal(out[9]!.event.message, '(combined from similar events): Created pod: p9');
    assert.equal(out[9]!.patch, undefined);
    assert.equal(out[10]!.event.message, '(combined from similar events): Created pod: p10');
    assert.equal(out[10]!.event.count, 2, 'later ones count on the combined event');
    assert.equal(out[10]!.event.metadata!.name, out[9]!.event.metadata!.name);
  });

  it('the spam filter lets 25 events per object through, then one per 5 minutes', () => {
    const clock = new FakeClock();
    const c = new EventCorrelator({ clock });
    const rec = new ApiEventRecorder({ api: new FakeApi(), component: 'x', correlator: c, clock });
    const skipped = () => c.correlate(rec.makeEvent(deploy, 'Normal', 'R', 'same')).skip;
    const first = Array.from({ length: 26 }, skipped);
    assert.equal(first.filter((s) => !s).length, 25);
    assert.equal(first[25], true);
    clock.step(300_000);
    assert.equal(skipped(), false);
    assert.equal(skipped(), true);
  });
});
