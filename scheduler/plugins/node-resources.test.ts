import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocation, balancedAllocationScore, fitsRequest, leastAllocatedScore, leastRequestedScore, nodeResourcesFitFilter } from './node-resources.ts';
import { podRequests, resourceFromList } from '../resources.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';

test('fit: requests against allocatable minus the requests of the pods already there', () => {
  const [ni] = nodeInfos([node('n', { cpu: '2', memory: '4Gi' })], [pod('a', { nodeName: 'n', cpu: '1500m', memory: '1Gi' })]);
  assert.equal(nodeResourcesFitFilter(podRequests(pod('fits', { cpu: '500m', memory: '3Gi' })), ni!), undefined);
  assert.deepEqual(nodeResourcesFitFilter(podRequests(pod('big', { cpu: '600m', memory: '3500Mi' })), ni!), { code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] });
  // A pod without requests always fits (but for the pod count).
  assert.equal(nodeResourcesFitFilter(podRequests(pod('none')), ni!), undefined);
});

test('fit: the pod count and extended resources', () => {
  const [full] = nodeInfos([node('n', { pods: 1 })], [pod('a', { nodeName: 'n' })]);
  assert.deepEqual(nodeResourcesFitFilter(podRequests(pod('p')), full!)?.reasons, ['Too many pods']);
  const gpu = pod('g', { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] });
  const [plain] = nodeInfos([node('n')]);
  assert.deepEqual(nodeResourcesFitFilter(podRequests(gpu), plain!)?.reasons, ['Insufficient example.com/gpu']);
  const [withGpu] = nodeInfos([node('n', { extra: { 'example.com/gpu': '2' } })]);
  assert.equal(nodeResourcesFitFilter(podRequests(gpu), withGpu!), undefined);
  const r = fitsRequest(resourceFromList({ cpu: '3' }), { allocatable: resourceFromList({ cpu: '2', pods: '10' }), requested: resourceFromList({ cpu: '1' }), podCount: 1 });
  assert.deepEqual(r, [{ resourceName: 'cpu', reason: 'Insufficient cpu', requested: 3000, used: 1000, capacity: 2000 }]);
});

test('LeastAllocated: the free share, integer arithmetic as upstream', () => {
  assert.equal(leastRequestedScore(0, 4000), 100);
  assert.equal(leastRequestedScore(3000, 4000), 25);
  assert.equal(leastRequestedScore(5000, 4000), 0);
  // Upstream's test: cpu 3000/4000 → 25, memory 5000/10000 → 50: (25+50)/2 = 37.
  assert.equal(leastAllocatedScore([3000, 5000], [4000, 10000], [1, 1]), 37);
  assert.equal(leastAllocatedScore([0, 0], [0, 0], [1, 1]), 0);
});

test('LeastAllocated counts pods without requests as 100m / 200Mi, so empty nodes win', () => {
  const [busy, idle] = nodeInfos([node('busy'), node('idle')], [pod('a', { nodeName: 'busy' }), pod('b', { nodeName: 'busy' })]);
  const p = pod('p');
  const a = allocation(p, podRequests(p), busy!, ['cpu', 'memory'], false);
  const b = allocation(p, podRequests(p), idle!, ['cpu', 'memory'], false);
  assert.deepEqual(a.requested, [300, 600 * 2 ** 20]);
  assert.deepEqual(b.requested, [100, 200 * 2 ** 20]);
  assert.ok(leastAllocatedScore(a.requested, a.allocatable, [1, 1]) < leastAllocatedScore(b.requested, b.allocatable, [1, 1]));
});

test('BalancedAllocation: 100 minus the spread of the used fractions', () => {
  // cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5: std 0.125 → 87.
  assert.equal(balancedAllocationScore([3000, 5000], [4000, 10000]), 87);
  assert.equal(balancedAllocationScore([2000, 5000], [4000, 10000]), 100);
  assert.equal(balancedAllocationScore([8000, 0], [4000, 10000]), 50);
});
