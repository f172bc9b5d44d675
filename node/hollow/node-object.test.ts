import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityOf, nodeConditions, nodeObject } from './node-object.ts';

test('the registered Node: labels, capacity and allocatable, addresses, nodeInfo, pod CIDR', () => {
  const now = new Date('2024-05-01T10:00:00Z');
  const n = nodeObject({ name: 'hollow-1', index: 1, kubeletVersion: 'v1.30.14-k8ts', arch: 'amd64' }, now, 'boot') as Record<string, any>;
  assert.equal(n.metadata.name, 'hollow-1');
  assert.equal(n.metadata.labels['kubernetes.io/hostname'], 'hollow-1');
  assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
  assert.equal(n.metadata.labels['kubernetes.io/arch'], 'amd64');
  assert.equal(n.metadata.labels['node.kubernetes.io/instance-type'], 'hollow');
  assert.deepEqual(n.spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
  assert.deepEqual(n.status.capacity, { cpu: '8', 'ephemeral-storage': '104857600Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '33554432Ki', pods: '110' });
  assert.equal(n.status.allocatable.memory, '33452032Ki');
  assert.equal(n.status.allocatable['ephemeral-storage'], String(Math.floor(100 * 2 ** 30 * 0.9)));
  assert.deepEqual(n.status.addresses, [
    { type: 'InternalIP', address: '127.0.0.3' },
    { type: 'Hostname', address: 'hollow-1' },
  ]);
  assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.30.14-k8ts');
  assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'hollow://1.0.0');
  const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual(ready, { type: 'Ready', status: 'True', lastHeartbeatTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
});

test('heartbeats move lastHeartbeatTime, not lastTransitionTime', () => {
  const first = nodeConditions(new Date('2024-05-01T10:00:00Z'));
  const later = nodeConditions(new Date('2024-05-01T10:01:00Z'), first as { type: string; status: string; lastTransitionTime?: string }[]);
  assert.equal(later[3]!.lastHeartbeatTime, '2024-05-01T10:01:00Z');
  assert.equal(later[3]!.lastTransitionTime, '2024-05-01T10:00:00Z');
});

test('capacity overrides', () => {
  const { capacity } = capacityOf({ name: 'n', index: 0, kubeletVersion: 'v', capacity: { cpu: '2', pods: 20 } });
  assert.equal(capacity.cpu, '2');
  assert.equal(capacity.pods, '20');
});
