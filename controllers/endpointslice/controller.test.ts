import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeApi, NODES } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { SERVICES } from '../endpoints/service-pods.ts';
import { ENDPOINT_RESOURCES, pod, svc } from '../endpoints/test-fixtures.ts';
import { EndpointSliceController, ENDPOINTSLICES, MANAGED_SLICES_SELECTOR } from './controller.ts';
import type { EndpointSlice } from './reconciler.ts';

async function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(ENDPOINT_RESOURCES);
  api.seed('namespaces', { metadata: { name: 'ns' } });
  api.seed('nodes', { metadata: { name: 'n1' } });
  const factory = fakeFactory(api, clock);
  const c = new EndpointSliceController({
    api,
    services: factory.informer(SERVICES),
    pods: factory.informer(PODS),
    nodes: factory.informer(NODES),
    slices: factory.informer(ENDPOINTSLICES, { labelSelector: MANAGED_SLICES_SELECTOR }),
    maxEndpointsPerSlice: 2,
    clock,
  });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([c.controller], { clock, stepMs: 1000, maxMs: 10_000 });
  const slices = () => api.all('endpointslices', 'ns') as EndpointSlice[];
  const endpoints = () =>
    slices()
      .flatMap((s) => (s.endpoints ?? []).map((e) => `${e.addresses[0]}${e.conditions?.ready ? '' : ' (not ready)'}`))
      .sort();
  const writes = () => api.actions.filter((a) => a.resource === 'endpointslices' && ['create', 'update', 'delete'].includes(a.verb)).length;
  return { api, run, slices, endpoints, writes, stop: () => factory.stop() };
}

describe('EndpointSlice controller', () => {
  it('slices a service’s pods (at most 2 per slice here) and follows them with minimal writes', async () => {
    const { api, run, slices, endpoints, writes, stop } = await setup();
    for (const [n, ip] of [['a', '10.0.0.1'], ['b', '10.0.0.2'], ['c', '10.0.0.3']] as const) api.seed('pods', pod(n, ip));
    await api.create(SERVICES, 'ns', svc());
    await run();
    assert.deepEqual(endpoints(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.equal(slices().length, 2);
    const settled = writes();
    await run();
    assert.equal(writes(), settled, 'a settled service writes nothing');

    const b = api.peek('pods', 'ns', 'b')!;
    await api.update(PODS, 'ns', { ...b, status: { ...(b.status as object), conditions: [{ type: 'Ready', status: 'False' }] } }, 'status');
    await run();
    assert.deepEqual(endpoints(), ['10.0.0.1', '10.0.0.2 (not ready)', '10.0.0.3']);
    assert.equal(writes(), settled + 1, 'one slice updated');

    await api.delete(PODS, 'ns', 'c');
    await api.delete(PODS, 'ns', 'a');
    await run();
    assert.deepEqual(endpoints(), ['10.0.0.2 (not ready)']);
    await stop();
  });

  it('puts back a slice someone deleted, and leaves services without a selector alone', async () => {
    const { api, run, slices, endpoints, stop } = await setup();
    api.seed('pods', pod('a', '10.0.0.1'));
    await api.create(SERVICES, 'ns', svc());
    await api.create(SERVICES, 'ns', { ...svc({ selector: undefined }), metadata: { name: 'manual', namespace: 'ns' } });
    await run();
    assert.deepEqual(slices().map((s) => s.metadata!.labels!['kubernetes.io/service-name']), ['web']);
    await api.delete(ENDPOINTSLICES, 'ns', slices()[0]!.metadata!.name!);
    await run();
    assert.deepEqual(endpoints(), ['10.0.0.1']);
    await stop();
  });
});
