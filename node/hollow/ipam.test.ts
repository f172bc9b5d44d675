import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexFromName, loopbackPodCIDR, nodeInternalIP, nodePodCIDR, PodIPAllocator } from './ipam.ts';

test('node addresses: loopback InternalIPs and a /24 pod range per node', () => {
  assert.equal(nodeInternalIP(0), '127.0.0.2');
  assert.equal(nodeInternalIP(253), '127.0.0.255');
  assert.equal(nodeInternalIP(254), '127.0.1.0');
  assert.equal(nodePodCIDR(0), '10.244.0.0/24');
  assert.equal(nodePodCIDR(7), '10.244.7.0/24');
  assert.equal(nodePodCIDR(256), '10.245.0.0/24');
  assert.equal(loopbackPodCIDR(0), '127.244.0.0/24');
  assert.equal(loopbackPodCIDR(257), '127.245.1.0/24');
  assert.equal(loopbackPodCIDR(12 * 256), '127.244.0.0/24');
  assert.equal(indexFromName('hollow-12'), 12);
  assert.equal(indexFromName('worker'), indexFromName('worker'));
});

test('pod IPs are unique per node, stable per uid, reused after release', () => {
  const a = new PodIPAllocator('10.244.3.0/24');
  assert.equal(a.allocate('u1'), '10.244.3.2');
  assert.equal(a.allocate('u2'), '10.244.3.3');
  assert.equal(a.allocate('u1'), '10.244.3.2');
  a.release('u1');
  const seen = new Set<string>();
  for (let i = 0; i < 252; i++) seen.add(a.allocate(`x${i}`));
  assert.equal(seen.size, 252);
  assert.ok(!seen.has('10.244.3.3'));
  assert.throws(() => a.allocate('one-too-many'), /no pod IPs left/);
});

test('reserve: an address a pod already has, when it is in range and free', () => {
  const a = new PodIPAllocator('10.244.0.0/24');
  assert.equal(a.reserve('u1', '10.244.0.9'), true);
  assert.equal(a.reserve('u2', '10.244.0.9'), false);
  assert.equal(a.reserve('u3', '10.244.1.9'), false);
  assert.equal(a.allocate('u1'), '10.244.0.9');
  assert.equal(a.inUse(), 1);
});
