import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrMapper } from './address-map.ts';
import { planAll, planService, type PlanOptions } from './plan.ts';
import type { EndpointSlice, Service } from './endpoints.ts';

type J = Record<string, any>;

const svc = (name: string, spec: J, ns = 'default'): Service => ({ metadata: { name, namespace: ns }, spec: { type: 'ClusterIP', ...spec } });

const ep = (ip: string, cond: J = {}, extra: J = {}) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false, ...cond }, ...extra });

const slice = (service: string, endpoints: J[], ports: J[] = [{ name: 'http', port: 8080, protocol: 'TCP' }], name = `${service}-abc`, ns = 'default'): EndpointSlice => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints as EndpointSlice['endpoints'],
  ports,
});

const opts: PlanOptions = { nodeName: 'node-a', nodeAddresses: ['192.0.2.1'] };
const web = svc('web', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });

describe('planService', () => {
  it('listens on the ClusterIP and goes to the ready endpoints', () => {
    const [p, ...rest] = planService(web, [slice('web', [ep('10.244.0.3'), ep('10.244.0.2'), ep('10.244.0.4', { ready: false, serving: false })])], opts);
    assert.equal(rest.length, 0);
    assert.equal(p!.key, 'default/web:http');
    assert.deepEqual(p!.listeners, [{ protocol: 'TCP', address: '10.96.0.20', port: 80, scope: 'cluster' }]);
    assert.deepEqual(p!.endpoints.cluster, [
      { address: '10.244.0.2', port: 8080 },
      { address: '10.244.0.3', port: 8080 },
    ]);
    assert.deepEqual(p!.clusterIPs, ['10.96.0.20']);
    assert.equal(p!.affinityTimeoutMs, undefined);
  });

  it('falls back to serving terminating endpoints only when none is ready', () => {
    const terminating = ep('10.244.0.9', { ready: false, serving: true, terminating: true });
    const notServing = ep('10.244.0.8', { ready: false, serving: false, terminating: true });
    assert.deepEqual(planService(web, [slice('web', [terminating, notServing])], opts)[0]!.endpoints.cluster, [{ address: '10.244.0.9', port: 8080 }]);
    assert.deepEqual(planService(web, [slice('web', [terminating, ep('10.244.0.2')])], opts)[0]!.endpoints.cluster, [{ address: '10.244.0.2', port: 8080 }]);
  });

  it('reads unset conditions as the API says (ready unknown = ready)', () => {
    const s = slice('web', [{ addresses: ['10.244.0.7'] }]);
    assert.deepEqual(planService(web, [s], opts)[0]!.endpoints.cluster, [{ address: '10.244.0.7', port: 8080 }]);
  });

  it('matches endpoint ports by name and protocol across slices, deduplicating addresses', () => {
    const multi = svc('multi', {
      clusterIP: '10.96.0.21',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'sctp', port: 99, protocol: 'SCTP' },
      ],
    });
    const ports = [
      { name: 'dns', port: 5353, protocol: 'UDP' },
      { name: 'dns-tcp', port: 5354, protocol: 'TCP' },
    ];
    const plans = planService(multi, [slice('multi', [ep('10.244.0.2')], ports, 'a'), slice('multi', [ep('10.244.0.2', { ready: false }), ep('10.244.0.3')], ports, 'b')], opts);
    assert.deepEqual(
      plans.map((p) => [p.key, p.protocol, p.endpoints.cluster]),
      [
        ['default/multi:dns', 'UDP', [{ address: '10.244.0.2', port: 5353 }, { address: '10.244.0.3', port: 5353 }]],
        ['default/multi:dns-tcp', 'TCP', [{ address: '10.244.0.2', port: 5354 }, { address: '10.244.0.3', port: 5354 }]],
      ],
    );
  });

  it('adds node-address listeners for NodePort and LoadBalancer services', () => {
    for (const type of ['NodePort', 'LoadBalancer']) {
      const np = svc('np', { type, clusterIP: '10.96.0.22', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }] });
      assert.deepEqual(planService(np, [], { ...opts, nodeAddresses: ['192.0.2.1', '127.0.0.2'] })[0]!.listeners, [
        { protocol: 'TCP', address: '10.96.0.22', port: 80, scope: 'cluster' },
        { protocol: 'TCP', address: '192.0.2.1', port: 30080, scope: 'external' },
        { protocol: 'TCP', address: '127.0.0.2', port: 30080, scope: 'external' },
      ]);
    }
  });

  it('honours traffic policies Local with this node\'s endpoints only', () => {
    const eps = [ep('10.244.0.2', {}, { nodeName: 'node-a' }), ep('10.244.1.2', {}, { nodeName: 'node-b' })];
    const base = { clusterIP: '10.96.0.23', ports: [{ name: 'http', port: 80, nodePort: 30081 }] };
    const ext = planService(svc('ext', { ...base, type: 'NodePort', externalTrafficPolicy: 'Local' }), [slice('ext', eps)], opts)[0]!;
    assert.deepEqual(ext.endpoints.external, [{ address: '10.244.0.2', port: 8080 }]);
    assert.equal(ext.endpoints.cluster.length, 2);
    const int = planService(svc('int', { ...base, internalTrafficPolicy: 'Local' }), [slice('int', eps)], { ...opts, nodeName: 'node-c' })[0]!;
    assert.deepEqual(int.endpoints.cluster, [], 'no local endpoint: no fallback to other nodes');
  });

  it('takes sessionAffinity ClientIP with its timeout (10800 s by default)', () => {
    const a = svc('a', { clusterIP: '10.96.0.24', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' });
    assert.equal(planService(a, [], opts)[0]!.affinityTimeoutMs, 10_800_000);
    const b = svc('b', { clusterIP: '10.96.0.25', ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } });
    assert.equal(planService(b, [], opts)[0]!.affinityTimeoutMs, 30_000);
    assert.equal(planService(b, [], opts)[0]!.key, 'default/b:', 'an unnamed port has the empty name');
  });

  it('leaves headless and ExternalName services alone', () => {
    assert.deepEqual(planService(svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }), [], opts), []);
    assert.deepEqual(planService(svc('x', { type: 'ExternalName', externalName: 'example.com', ports: [{ port: 80 }] }), [], opts), []);
  });

  it('maps ClusterIPs and endpoints onto local addresses when configured', () => {
    const m = cidrMapper('10.0.0.0/8', '127.0.0.0/8');
    const p = planService(web, [slice('web', [ep('10.244.0.2')])], { ...opts, clusterIPMapper: m, endpointMapper: m })[0]!;
    assert.equal(p.listeners[0]!.address, '127.96.0.20');
    assert.deepEqual(p.clusterIPs, ['127.96.0.20']);
    assert.deepEqual(p.endpoints.cluster, [{ address: '127.244.0.2', port: 8080 }]);
  });
});

describe('planAll', () => {
  it('pairs slices with their service by label and namespace, and skips services on request', () => {
    const other = svc('web', { clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80 }] }, 'other');
    const dns = svc('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system');
    const plans = planAll([web, other, dns], [slice('web', [ep('10.244.0.2')])], { ...opts, skipServices: ['kube-system/kube-dns'] });
    assert.deepEqual(
      plans.map((p) => [p.key, p.endpoints.cluster.length]),
      [
        ['default/web:http', 1],
        ['other/web:http', 0],
      ],
    );
  });
});
