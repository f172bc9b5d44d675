import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, podRequests, requestForResource, resourceFromList } from './resources.ts';
import { pod } from './testing/fixtures.ts';

const c = (name: string, cpu?: string, memory?: string, restartPolicy?: 'Always') => ({
  name,
  image: 'x',
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
  ...(restartPolicy ? { restartPolicy } : {}),
});

test('containers add up; the largest init container is a floor; overhead on top', () => {
  // Upstream's example: init 2/1G and 2/3G, containers 2/1G and 1/1G: 3 CPUs and 3G.
  const p = pod('p', { containers: [c('c1', '2', '1G'), c('c2', '1', '1G')], spec: { initContainers: [c('i1', '2', '1G'), c('i2', '2', '3G')], overhead: { cpu: '250m' } } });
  const r = podRequests(p);
  assert.equal(r.milliCPU, 3250);
  assert.equal(r.memory, 3e9);
});

test('sidecars (restartable init containers) add to the sum and to the later init containers', () => {
  const p = pod('p', { containers: [c('c1', '1')], spec: { initContainers: [c('side', '500m', undefined, 'Always'), c('i2', '2')] } });
  // Containers 1 + sidecar 0.5 = 1.5; the init container runs beside the sidecar: 2.5.
  assert.equal(podRequests(p).milliCPU, 2500);
});

test('non-zero requests: missing CPU/memory requests count as 100m / 200Mi per container', () => {
  const p = pod('p', { containers: [c('a'), c('b', '1')] });
  const r = podRequests(p, true);
  assert.equal(r.milliCPU, DEFAULT_MILLI_CPU_REQUEST + 1000);
  assert.equal(r.memory, 2 * DEFAULT_MEMORY_REQUEST);
  // The incoming pod's request for scoring: the default only when the whole pod sets none.
  assert.equal(requestForResource(p, podRequests(p), 'cpu', true), 1000);
  assert.equal(requestForResource(p, podRequests(p), 'memory', true), DEFAULT_MEMORY_REQUEST);
  assert.equal(requestForResource(p, podRequests(p), 'memory', false), 0);
});

test('resourceFromList: pods count and scalar resources', () => {
  const r = resourceFromList({ cpu: '4', memory: '1Gi', pods: '110', 'ephemeral-storage': '10Gi', 'example.com/gpu': '2', 'hugepages-2Mi': '0', storage: '1Gi' });
  assert.deepEqual(r, { milliCPU: 4000, memory: 2 ** 30, ephemeralStorage: 10 * 2 ** 30, allowedPodNumber: 110, scalar: { 'example.com/gpu': 2, 'hugepages-2Mi': 0 } });
});
