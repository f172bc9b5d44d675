import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { KUBERNETES_SERVICE_IP, ServiceAllocator } from './service-allocator.ts';

const svc = (name: string, spec: Record<string, unknown>, namespace = 'ns'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec });

function allocatorWith(stored: KubeObject[]): ServiceAllocator {
  return new ServiceAllocator(() => stored);
}

const inCidr = (ip: string) => {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 && b! >= 96 && b! <= 111;
};

test('a ClusterIP service gets an IP of the service CIDR, single-stack IPv4', () => {
  const s = svc('a', { type: 'ClusterIP', ports: [{ port: 80 }] });
  allocatorWith([]).allocate(s);
  const spec = s.spec as Record<string, unknown>;
  assert.ok(inCidr(spec.clusterIP as string), String(spec.clusterIP));
  assert.notEqual(spec.clusterIP, KUBERNETES_SERVICE_IP);
  assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
  assert.deepEqual(spec.ipFamilies, ['IPv4']);
  assert.equal(spec.ipFamilyPolicy, 'SingleStack');
  assert.equal((spec.ports as { nodePort?: number }[])[0]!.nodePort, undefined);
});

test('headless and ExternalName services get no IP', () => {
  const headless = svc('h', { type: 'ClusterIP', clusterIP: 'None' });
  allocatorWith([]).allocate(headless);
  assert.equal((headless.spec as Record<string, unknown>).clusterIP, 'None');
  assert.deepEqual((headless.spec as Record<string, unknown>).ipFamilies, ['IPv4']);
  const ext = svc('e', { type: 'ExternalName', externalName: 'example.com' });
  allocatorWith([]).allocate(ext);
  assert.deepEqual(ext.spec, { type: 'ExternalName', externalName: 'example.com' });
});

test('NodePort services get node ports of the range; one per port number across protocols', () => {
  const s = svc('n', { type: 'NodePort', ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }, { port: 80 }] });
  allocatorWith([]).allocate(s);
  const ports = (s.spec as { ports: { nodePort: number }[] }).ports;
  for (const p of ports) assert.ok(p.nodePort >= 30000 && p.nodePort <= 32767, String(p.nodePort));
  assert.equal(ports[0]!.nodePort, ports[1]!.nodePort);
  assert.notEqual(ports[0]!.nodePort, ports[2]!.nodePort);
});

test('given IPs and ports out of range, or the kubernetes Service\'s address, are refused with upstream messages (taken ones: service-allocations.test.ts)', () => {
  const alloc = allocatorWith([]);
  assert.throws(
    () => alloc.allocate(svc('y', { type: 'ClusterIP', clusterIP: '192.168.0.1' })),
    (e: unknown) => e instanceof ApiError && /the provided IP \(192\.168\.0\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12$/.test(e.message),
  );
  assert.throws(
    () => alloc.allocate(svc('y', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }, { port: 81, nodePort: 30080 }] })),
    (e: unknown) => e instanceof ApiError && /spec\.ports\[1\]\.nodePort: Invalid value: 30080: provided port is already allocated$/.test(e.message),
  );
  assert.throws(
    () => alloc.allocate(svc('y', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })),
    (e: unknown) => e instanceof ApiError && /provided port is not in the valid range\. The range of valid ports is 30000-32767$/.test(e.message),
  );
  // The kubernetes Service owns the first address.
  assert.throws(
    () => alloc.allocate(svc('y', { type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP })),
    (e: unknown) => e instanceof ApiError && e.message === 'Service "y" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.1"]: failed to allocate IP 10.96.0.1: provided IP is already allocated',
  );
  const k = svc('kubernetes', { type: 'ClusterIP', clusterIP: KUBERNETES_SERVICE_IP }, 'default');
  alloc.allocate(k);
  assert.deepEqual((k.spec as Record<string, unknown>).ipFamilies, ['IPv4']);
});

test('an update keeps what the service has and allocates what it newly needs', () => {
  const old = svc('u', { type: 'ClusterIP', clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] });
  const alloc = allocatorWith([old]);
  const next = svc('u', { type: 'NodePort', clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'], ports: [{ port: 80 }] });
  alloc.allocate(next, old);
  const spec = next.spec as { clusterIP: string; ports: { nodePort: number }[] };
  assert.equal(spec.clusterIP, '10.96.5.5');
  assert.ok(spec.ports[0]!.nodePort >= 30000);
  // An ExternalName service that becomes ClusterIP gets an address.
  const ext = svc('e', { type: 'ExternalName', externalName: 'x.example' });
  const toCluster = svc('e', { type: 'ClusterIP', ports: [{ port: 80 }] });
  allocatorWith([ext]).allocate(toCluster, ext);
  assert.ok(inCidr((toCluster.spec as { clusterIP: string }).clusterIP));
});
