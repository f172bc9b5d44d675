import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodes } from './nodes.ts';
import { events } from './events.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-03T00:00:00Z');

function node(): KubeObject {
  return {
    metadata: { name: 'worker-1', creationTimestamp: '2024-01-01T00:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge' } },
    spec: { unschedulable: true, podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '4', memory: '8048576Ki', pods: '110' },
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'worker-1' }],
      nodeInfo: { kubeletVersion: 'v1.30.14', osImage: 'Ubuntu 22.04', kernelVersion: '6.5.0', containerRuntimeVersion: 'containerd://1.7.0' },
    },
  };
}

test('node defaults: allocatable from capacity', () => {
  const n = node();
  nodes.strategy.defaults(n);
  assert.deepEqual((n.status as any).allocatable, { cpu: '4', memory: '8048576Ki', pods: '110' });
  assert.deepEqual(nodes.strategy.validate(n), []);
});

test('node printer', () => {
  const n = node();
  assert.deepEqual(Object.fromEntries(nodes.printerColumns.map((c) => [c.name, c.cell(n, now)])), {
    Status: 'Ready,SchedulingDisabled',
    Roles: 'control-plane,edge,worker',
    Age: '2d',
    Version: 'v1.30.14',
    'Internal-IP': '192.168.1.10',
    'External-IP': '<none>',
    'OS-Image': 'Ubuntu 22.04',
    'Kernel-Version': '6.5.0',
    'Container-Runtime': 'containerd://1.7.0',
  });
  const bare: KubeObject = { metadata: { name: 'n' } };
  assert.deepEqual(nodes.printerColumns.map((c) => c.cell(bare, now)), ['Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(nodes.fieldSelectors['spec.unschedulable']!(n), 'true');
});

test('node validation: taints, resources, pod CIDRs', () => {
  const n = node();
  (n.spec as any).taints = [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }, { key: 'x', effect: '' }];
  (n.spec as any).podCIDRs = ['10.0.0.0/33'];
  (n.status as any).capacity.pods = '1.5';
  assert.deepEqual(nodes.strategy.validate(n).map((e) => `${e.field}: ${e.message}`), [
    'metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
    'metadata.taints[2].effect: Required value',
    'status.capacity.pods: Invalid value: "1500m": must be an integer',
    'spec.podCIDRs[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
  ]);
  const old = node();
  const upd = node();
  (upd.spec as any).podCIDRs = ['10.244.1.0/24'];
  (upd.spec as any).providerID = 'x';
  (old.spec as any).providerID = 'y';
  assert.deepEqual(nodes.strategy.validateUpdate(upd, old).map((e) => e.field), ['spec.podCIDRs', 'spec.providerID']);
});

function event(extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'web.17a1', namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
    reason: 'Pulled',
    message: 'Successfully pulled image  ',
    type: 'Normal',
    source: { component: 'kubelet', host: 'worker-1' },
    firstTimestamp: '2024-01-02T23:50:00Z',
    lastTimestamp: '2024-01-02T23:59:00Z',
    count: 3,
    ...extra,
  };
}

test('event printer (wide columns and NAME position)', () => {
  assert.deepEqual(events.printerColumns.map((c) => [c.name, c.priority, c.format ?? '', c.cell(event(), now)]), [
    ['Last Seen', 0, '', '60s'],
    ['Type', 0, '', 'Normal'],
    ['Reason', 0, '', 'Pulled'],
    ['Object', 0, '', 'pod/web'],
    ['Subobject', 1, '', 'spec.containers{web}'],
    ['Source', 1, '', 'kubelet, worker-1'],
    ['Message', 0, '', 'Successfully pulled image'],
    ['First Seen', 1, '', '10m'],
    ['Count', 1, '', 3],
    ['Name', 1, 'name', 'web.17a1'],
  ]);
  const series = event({ firstTimestamp: undefined, lastTimestamp: undefined, count: undefined, eventTime: '2024-01-02T23:00:00.000000Z', series: { count: 7, lastObservedTime: '2024-01-02T23:58:00.000000Z' } });
  const cell = (name: string) => events.printerColumns.find((c) => c.name === name)!.cell(series, now);
  assert.deepEqual([cell('Last Seen'), cell('First Seen'), cell('Count')], ['2m', '60m', 7]);
});

test('event validation (core/v1 legacy rules)', () => {
  assert.deepEqual(events.strategy.validate(event()), []);
  assert.deepEqual(events.strategy.validate(event({ involvedObject: { kind: 'Pod', namespace: 'other', name: 'x' } })).map((e) => `${e.field}: ${e.message}`), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
  const modern = event({ eventTime: '2024-01-02T23:00:00.000000Z', reason: '' });
  assert.deepEqual(events.strategy.validate(modern).map((e) => e.field), ['reportingComponent', 'reportingComponent', 'reportingComponent', 'reportingInstance', 'action', 'reason']);
});

test('event field selectors', () => {
  const e = event({ reportingComponent: '' });
  const f = events.fieldSelectors;
  assert.equal(f['involvedObject.kind']!(e), 'Pod');
  assert.equal(f['involvedObject.uid']!(e), 'u1');
  assert.equal(f.source!(e), 'kubelet');
  assert.equal(f.type!(e), 'Normal');
  assert.equal(f.reason!(e), 'Pulled');
});
