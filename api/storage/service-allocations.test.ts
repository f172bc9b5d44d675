// Service allocations as store keys: two RegistryStores on one store stand for two API
// servers of a cluster (`k8ts up --servers 3`); the real built-in Service resource and a real
// LevelDB store underneath.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../registry/descriptor.ts';
import { builtinRegistry } from '../resources/index.ts';
import { RegistryStore } from './registry-store.ts';
import { allocationKeys, allocationOps } from './service-allocations.ts';
import { tempStore, type TempStore } from './testing/fixtures.ts';

type J = Record<string, any>;
const svc = (name: string, spec: J): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }], ...spec } });
const spec = (o: KubeObject) => o.spec as J;

it('allocation keys: cluster IPs, node ports and the health check port; claims and releases between versions', () => {
  const a = svc('a', { clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] });
  assert.deepEqual(allocationKeys(a), ['/registry/ranges/serviceips/10.96.0.9', '/registry/ranges/servicenodeports/30001']);
  assert.deepEqual(allocationKeys(svc('h', { clusterIP: 'None' })), []);
  const b = svc('a', { clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], type: 'ClusterIP' });
  const ops = allocationOps(b, a);
  assert.deepEqual(ops.claimed, []);
  assert.deepEqual(ops.success, [{ type: 'delete', key: '/registry/ranges/servicenodeports/30001' }]);
  assert.deepEqual(allocationOps(undefined, a).success.map((o) => o.type), ['delete', 'delete']);
});

describe('service allocations shared by API servers through the store', () => {
  let tmp: TempStore;
  let one: RegistryStore;
  let two: RegistryStore;
  let services: ResourceDescriptor;
  before(async () => {
    tmp = await tempStore();
    const registry = builtinRegistry();
    services = registry.get('', 'v1', 'services')!;
    one = new RegistryStore({ store: tmp.store, registry });
    two = new RegistryStore({ store: tmp.store, registry });
    await one.start();
    await two.start();
    const ns = registry.get('', 'v1', 'namespaces')!;
    await one.create(ns, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await tmp?.dispose();
  });

  it('a node port asked for on one server is refused on the other while held, and free at once after the delete', async () => {
    await one.create(services, 'default', svc('first', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] }));
    await assert.rejects(two.create(services, 'default', svc('second', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] })), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 422, String(e));
      assert.match(e.message, /spec\.ports\[0\]\.nodePort: Invalid value: 30100: provided port is already allocated/);
      return true;
    });
    await one.delete(services, 'default', 'first');
    const second = await two.create(services, 'default', svc('second', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] }));
    assert.equal(spec(second).ports[0].nodePort, 30100);
  });

  it('a cluster IP is refused while held, on either server, and free again right after its Service is deleted', async () => {
    const made = await one.create(services, 'default', svc('ip-a', {}));
    const ip = spec(made).clusterIP;
    for (const server of [one, two]) {
      await assert.rejects(server.create(services, 'default', svc('ip-b', { clusterIP: ip, clusterIPs: [ip] })), (e: unknown) => {
        assert.ok(e instanceof ApiError && e.code === 422, String(e));
        assert.equal(e.message, `Service "ip-b" is invalid: spec.clusterIPs: Invalid value: ["${ip}"]: failed to allocate IP ${ip}: provided IP is already allocated`);
        return true;
      });
    }
    await one.delete(services, 'default', 'ip-a');
    const again = await one.create(services, 'default', svc('ip-b', { clusterIP: ip, clusterIPs: [ip] }));
    assert.equal(spec(again).clusterIP, ip);
  });

  it('switching to ClusterIP gives the node port back', async () => {
    const s = await one.create(services, 'default', svc('sw', { type: 'NodePort', ports: [{ port: 80, nodePort: 30200 }] }));
    await one.update(services, 'default', 'sw', { ...s, spec: { ...spec(s), type: 'ClusterIP', ports: [{ port: 80 }] } });
    const taker = await two.create(services, 'default', svc('taker', { type: 'NodePort', ports: [{ port: 80, nodePort: 30200 }] }));
    assert.equal(spec(taker).ports[0].nodePort, 30200);
  });

  it('concurrent creates on two servers never share an IP or a node port', async () => {
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).create(services, 'default', svc(`c-${i}`, { type: 'NodePort' }))),
    );
    const ips = made.map((m) => spec(m).clusterIP);
    const ports = made.map((m) => spec(m).ports[0].nodePort);
    assert.equal(new Set(ips).size, 40);
    assert.equal(new Set(ports).size, 40);
  });
});

it('Services stored before allocations had keys get theirs on the next start, once', async () => {
  const tmp = await tempStore();
  const registry = builtinRegistry();
  const services = registry.get('', 'v1', 'services')!;
  const server = new RegistryStore({ store: tmp.store, registry });
  try {
    await server.start();
    await server.create(registry.get('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await server.create(services, 'default', svc('old', { type: 'NodePort', ports: [{ port: 80, nodePort: 30300 }] }));
    // As an older k8ts left it: the Service without its allocation keys.
    await tmp.store.delete('/registry/ranges/', { rangeEnd: '/registry/ranges0' });
    const before = await tmp.store.range('/registry/ranges/', { rangeEnd: '/registry/ranges0', countOnly: true });
    assert.equal(before.count, 0);
    await server.backfillServiceAllocations();
    const after = await tmp.store.range('/registry/ranges/', { rangeEnd: '/registry/ranges0' });
    assert.equal(after.count, 3); // its IP, its node port, the marker
    await assert.rejects(server.create(services, 'default', svc('new', { type: 'NodePort', ports: [{ port: 80, nodePort: 30300 }] })), /provided port is already allocated/);
  } finally {
    await server.close();
    await tmp.dispose();
  }
});
