import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { FakeApi } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import { PODS } from '../replicaset/replicaset.ts';
import { EndpointsController } from './controller.ts';
import type { Endpoints } from './endpoints.ts';
import { ENDPOINTS, SERVICES } from './service-pods.ts';
import { ENDPOINT_RESOURCES, pod, svc } from './test-fixtures.ts';

async function setup() {
  const clock = new FakeClock(Date.parse('2024-01-01T00:00:00Z'));
  const api = new FakeApi(ENDPOINT_RESOURCES);
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const factory = fakeFactory(api, clock);
  const c = new EndpointsController({ api, services: factory.informer(SERVICES), pods: factory.informer(PODS), endpoints: factory.informer(ENDPOINTS), clock });
  factory.start();
  await factory.waitForSync();
  const run = () => drain([c.controller], { clock, stepMs: 1000, maxMs: 10_000 });
  const ep = () => api.peek('endpoints', 'ns', 'web') as Endpoints | undefined;
  const ips = () => ({
    ready: (ep()?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort(),
    notReady: (ep()?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort(),
  });
  const writes = () => api.actions.filter((a) => a.resource === 'endpoints' && a.verb !== 'get' && a.verb !== 'list').length;
  return { api, run, ep, ips, writes, stop: () => factory.stop() };
}

describe('Endpoints controller', () => {
  it('follows the selected pods: created, not ready moves, deleted goes, no write when nothing changed', async () => {
    const { api, run, ep, ips, writes, stop } = await setup();
    api.seed('pods', pod('a', '10.0.0.1'));
    api.seed('pods', pod('b', '10.0.0.2'));
    api.seed('pods', pod('other', '10.0.0.9', { labels: { app: 'other' } }));
    await api.create(SERVICES, 'ns', svc());
    await run();
    assert.deepEqual(ips(), { ready: ['10.0.0.1', '10.0.0.2'], notReady: [] });
    assert.equal(ep()!.subsets![0]!.addresses![0]!.targetRef!.name, 'a');

    const b = api.peek('pods', 'ns', 'b')!;
    await api.update(PODS, 'ns', { ...b, status: { ...(b.status as object), conditions: [{ type: 'Ready', status: 'False' }] } }, 'status');
    await run();
    assert.deepEqual(ips(), { ready: ['10.0.0.1'], notReady: ['10.0.0.2'] });

    const before = writes();
    const a = api.peek('pods', 'ns', 'a')!;
    await api.update(PODS, 'ns', { ...a, metadata: { ...a.metadata, annotations: { touched: 'yes' } } });
    await run();
    assert.equal(writes(), before, 'an annotation change writes nothing');

    await api.delete(PODS, 'ns', 'a');
    await run();
    assert.deepEqual(ips(), { ready: [], notReady: ['10.0.0.2'] });
    await stop();
  });

  it('leaves services without a selector alone and deletes Endpoints with their service', async () => {
    const { api, run, ep, writes, stop } = await setup();
    await api.create(SERVICES, 'ns', svc({ selector: undefined }));
    const manual = { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ port: 80 }] }] };
    await api.create(ENDPOINTS, 'ns', manual);
    const before = writes();
    await run();
    assert.equal(writes(), before);
    assert.deepEqual(ep()!.subsets, manual.subsets);

    await api.delete(SERVICES, 'ns', 'web');
    await run();
    assert.equal(ep(), undefined);
    await stop();
  });

  it('recreates Endpoints deleted behind its back', async () => {
    const { api, run, ips, stop } = await setup();
    api.seed('pods', pod('a', '10.0.0.1'));
    await api.create(SERVICES, 'ns', svc());
    await run();
    await api.delete(ENDPOINTS, 'ns', 'web');
    await run();
    assert.deepEqual(ips().ready, ['10.0.0.1']);
    await stop();
  });
});
