import { test } from 'node:test';
import assert from 'node:assert/strict';
import { services } from './services.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-01T00:02:00Z');
const ctx = { now, user: 'admin' };

function svc(spec: Record<string, unknown>): KubeObject {
  const o: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec };
  services.strategy.defaults(o);
  return o;
}

function msgs(errs: { field: string; message: string }[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

test('defaults as upstream', () => {
  assert.deepEqual(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }).spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
  });
  assert.deepEqual(svc({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 443, targetPort: 'https' }] }).spec, {
    type: 'LoadBalancer',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    ports: [{ port: 443, targetPort: 'https', protocol: 'TCP' }],
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    allocateLoadBalancerNodePorts: true,
  });
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'example.com' }).spec, { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
});

test('a defaulted service without a clusterIP is valid; clusterIP mirrored into clusterIPs', () => {
  const s = svc({ selector: { app: 'web' }, ports: [{ port: 80 }] });
  assert.deepEqual(services.strategy.validate(s), []);
  const withIP = svc({ clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] });
  services.strategy.prepareForCreate!(withIP, ctx);
  assert.deepEqual((withIP.spec as any).clusterIPs, ['10.96.0.10']);
  assert.deepEqual(withIP.status, { loadBalancer: {} });
  assert.deepEqual(services.strategy.validate(withIP), []);
});

test('port validation and duplicates', () => {
  const s = svc({ ports: [{ port: 80 }, { port: 80, name: 'Bad_Name' }, { port: 0, name: 'x', targetPort: 'toolongportname99' }], type: 'ClusterIP' });
  assert.deepEqual(msgs(services.strategy.validate(s)).map((m) => m.replace(/ \(e\.g\..*$/, '')), [
    'spec.ports[0].name: Required value',
    `spec.ports[1].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    'spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[2].targetPort: Invalid value: "toolongportname99": must be no more than 15 characters',
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
});

test('type rules', () => {
  assert.deepEqual(msgs(services.strategy.validate(svc({ type: 'ExternalName' }))), ['spec.externalName: Required value']);
  assert.deepEqual(msgs(services.strategy.validate(svc({ type: 'Foo', ports: [{ port: 1 }] }))), [
    'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(msgs(services.strategy.validate(svc({ ports: [{ port: 1, nodePort: 30001 }] }))), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]);
  assert.deepEqual(msgs(services.strategy.validate(svc({ clusterIP: 'None', clusterIPs: ['None'] }))), []);
  assert.deepEqual(msgs(services.strategy.validate(svc({ ports: [{ port: 1 }], externalIPs: ['127.0.0.1', 'x'] }))), [
    'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    'spec.externalIPs[1]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
});

test('updates: clusterIP carried over, immutable once set', () => {
  const old = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80 }] });
  const applied = svc({ ports: [{ port: 8080 }] });
  services.strategy.prepareForUpdate!(applied, old, ctx);
  assert.deepEqual([(applied.spec as any).clusterIP, (applied.spec as any).clusterIPs, (applied.spec as any).ipFamilies], ['10.96.0.10', ['10.96.0.10'], ['IPv4']]);
  assert.deepEqual(services.strategy.validateUpdate(applied, old), []);
  const changed = svc({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] });
  services.strategy.prepareForUpdate!(changed, old, ctx);
  assert.deepEqual(msgs(services.strategy.validateUpdate(changed, old)), ['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set']);
});

test('updates: NodePort to ClusterIP drops node ports', () => {
  const old = svc({ type: 'NodePort', clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ports: [{ port: 80, nodePort: 30080 }] });
  const upd: KubeObject = structuredClone(old);
  (upd.spec as any).type = 'ClusterIP';
  services.strategy.prepareForUpdate!(upd, old, ctx);
  assert.equal((upd.spec as any).ports[0].nodePort, undefined);
  assert.equal((upd.spec as any).externalTrafficPolicy, undefined);
  assert.deepEqual(services.strategy.validateUpdate(upd, old), []);
});

test('status: load balancer ingress', () => {
  const lb = svc({ type: 'LoadBalancer', ports: [{ port: 80 }] });
  lb.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
  assert.deepEqual(msgs(services.strategy.validateStatusUpdate!(lb, lb)), ['status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set']);
  const cip = svc({ ports: [{ port: 80 }] });
  cip.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'VIP' }] } };
  assert.deepEqual(msgs(services.strategy.validateStatusUpdate!(cip, cip)), ["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"]);
});

test('printer cells', () => {
  const cells = (o: KubeObject) => services.printerColumns.map((c) => c.cell(o, now));
  const c = svc({ clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], selector: { b: '2', a: '1' }, ports: [{ port: 443, name: 'https' }, { port: 53, protocol: 'UDP', name: 'dns' }] });
  assert.deepEqual(cells(c), ['ClusterIP', '10.96.0.1', '<none>', '443/TCP,53/UDP', '2m', 'a=1,b=2']);
  const np = svc({ type: 'NodePort', clusterIPs: ['10.0.0.2'], ports: [{ port: 80, nodePort: 30080 }] });
  assert.deepEqual(cells(np).slice(0, 4), ['NodePort', '10.0.0.2', '<none>', '80:30080/TCP']);
  const lb = svc({ type: 'LoadBalancer', clusterIPs: ['10.0.0.3'], ports: [{ port: 80 }] });
  assert.equal(cells(lb)[2], '<pending>');
  lb.status = { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }] } };
  assert.equal(cells(lb)[2], '203.0.113.9,lb.example.com');
  const ext = svc({ type: 'ExternalName', externalName: 'db.example.com' });
  assert.deepEqual(cells(ext), ['ExternalName', '<none>', 'db.example.com', '<none>', '2m', '<none>']);
});
