import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { ago, cells, clone, meta } from '../group-helpers/fixtures.ts';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.ts';
import { eventsV1 } from './events.ts';

function event(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: meta('web.17c', 'default'),
    eventTime: '2024-05-01T11:59:00.000000Z',
    reportingController: 'k8s.io/my-controller',
    reportingInstance: 'node-1',
    action: 'Scaled',
    reason: 'ScalingReplicaSet',
    regarding: { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' },
    note: 'Scaled up replica set web-abc to 3',
    type: 'Normal',
    ...extra,
  };
}

describe('events.k8s.io/v1 events', () => {
  it('shares core/v1 storage', () => {
    assert.equal(eventsV1.storageResource, 'events');
    assert.equal(eventsV1.conversion?.storageVersion, 'v1');
    assert.deepEqual(eventsV1.shortNames, ['ev']);
    assert.equal(eventsV1.model, 'EventsV1Event');
  });

  it('converts field names to core/v1 and back', () => {
    const core = eventsV1ToCore(event({ deprecatedCount: 2, series: { count: 3, lastObservedTime: '2024-05-01T11:59:30.000000Z' } }));
    assert.equal(core.apiVersion, 'v1');
    assert.equal(core.message, 'Scaled up replica set web-abc to 3');
    assert.equal(core.reportingComponent, 'k8s.io/my-controller');
    assert.deepEqual(core.involvedObject, { kind: 'Deployment', namespace: 'default', name: 'web', apiVersion: 'apps/v1' });
    assert.equal(core.count, 2);
    assert.deepEqual(core.source, {});
    assert.equal(core.firstTimestamp, null);
    const back = coreToEventsV1(core);
    assert.equal(back.note, 'Scaled up replica set web-abc to 3');
    assert.equal(back.reportingController, 'k8s.io/my-controller');
    assert.deepEqual(back.regarding, core.involvedObject);
    assert.deepEqual(back.deprecatedSource, {});
    assert.equal(back.deprecatedCount, 2);
  });

  it('reads a kubelet-style core event with deprecated fields', () => {
    const v1 = coreToEventsV1({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('p.1', 'default'),
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      reason: 'Pulled',
      message: 'pulled',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(60),
      lastTimestamp: ago(30),
      count: 4,
      type: 'Normal',
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    });
    assert.equal(v1.eventTime, null);
    assert.deepEqual(v1.deprecatedSource, { component: 'kubelet', host: 'node-1' });
    assert.equal(v1.deprecatedCount, 4);
  });

  it('applies the strict events.k8s.io validation on create', () => {
    assert.deepEqual(eventsV1.strategy.validate(event()), []);
    const bad = event({ eventTime: null, type: 'Info', deprecatedCount: 3, reportingController: '' });
    assert.deepEqual(eventsV1.strategy.validate(bad).map((e) => [e.field, e.message]), [
      ['eventTime', 'Required value'],
      ['type', 'Invalid value: "": has invalid value: Info'],
      ['deprecatedCount', 'Invalid value: "": needs to be unset'],
    ]);
    const noController = event({ reportingController: '', action: '' });
    assert.deepEqual(eventsV1.strategy.validate(noController).map((e) => [e.field, e.type]), [
      ['reportingController', 'FieldValueRequired'],
      ['reportingController', 'FieldValueInvalid'],
      ['reportingController', 'FieldValueInvalid'],
      ['action', 'FieldValueRequired'],
    ]);
  });

  it('allows only the series to change on update', () => {
    const old = event();
    const ok = clone(old);
    ok.series = { count: 2, lastObservedTime: '2024-05-01T11:59:40.000000Z' };
    assert.deepEqual(eventsV1.strategy.validateUpdate(ok, old), []);
    const bad = clone(old);
    bad.note = 'changed';
    bad.series = { count: 1, lastObservedTime: '2024-05-01T11:59:40.000000Z' };
    assert.deepEqual(eventsV1.strategy.validateUpdate(bad, old).map((e) => [e.field, e.message]), [
      ['series.count', 'Invalid value: "": should be at least 2'],
      ['message', 'Invalid value: "changed": field is immutable'],
    ]);
  });

  it('prints the core event columns with NAME last', () => {
    const e = event({ series: { count: 5, lastObservedTime: ago(10) } });
    assert.deepEqual(cells(eventsV1, e, true), {
      'Last Seen': '10s',
      Type: 'Normal',
      Reason: 'ScalingReplicaSet',
      Object: 'deployment/web',
      Subobject: '',
      Source: 'k8s.io/my-controller, node-1',
      Message: 'Scaled up replica set web-abc to 3',
      'First Seen': '60s',
      Count: 5,
      Name: 'web.17c',
    });
    const last = eventsV1.printerColumns[eventsV1.printerColumns.length - 1]!;
    assert.equal(last.format, 'name');
    assert.equal(last.priority, 1);
    assert.equal(cells(eventsV1, event())['Last Seen'], '60s');
  });

  it('maps field selectors onto the events.k8s.io names', () => {
    const e = event();
    assert.equal(eventsV1.fieldSelectors['regarding.kind']!(e), 'Deployment');
    assert.equal(eventsV1.fieldSelectors['reportingController']!(e), 'k8s.io/my-controller');
    assert.equal(eventsV1.fieldSelectors['type']!(e), 'Normal');
  });
});
