import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrMapper } from '../proxy/address-map.ts';
import type { EndpointSlice, Service } from '../proxy/endpoints.ts';
import { buildZone, lookup, reverseName, type Zone } from './zone.ts';

type J = Record<string, any>;

const svc = (name: string, ns: string, spec: J): Service => ({ metadata: { name, namespace: ns }, spec });
const slice = (service: string, ns: string, endpoints: J[], ports: J[]): EndpointSlice => ({
  metadata: { name: `${service}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints as EndpointSlice['endpoints'],
  ports,
});

const services = [
  svc('kubernetes', 'default', { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
  svc('web', 'shop', { type: 'NodePort', clusterIP: '10.96.5.6', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }, { port: 81 }] }),
  svc('db', 'shop', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
  svc('empty', 'shop', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }),
  svc('ext', 'shop', { type: 'ExternalName', externalName: 'db.example.com.' }),
  svc('alias', 'shop', { type: 'ExternalName', externalName: 'web.shop.svc.cluster.local' }),
  svc('DNS', 'kube-system', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }),
];
const slices = [
  slice(
    'db',
    'shop',
    [
      { addresses: ['10.244.0.7'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.1.8'], conditions: { ready: true } },
      { addresses: ['10.244.2.9'], hostname: 'db-2', conditions: { ready: false } },
    ],
    [{ name: 'pg', port: 5433, protocol: 'TCP' }],
  ),
];

const zone: Zone = buildZone(services, slices, { serial: 42 });
const ask = (name: string, type = 'A') => lookup(zone, { name, type });
const data = (r: ReturnType<typeof ask>) => r.answers.map((a) => (a as { data: unknown }).data);

describe('DNS records', () => {
  it('answers a ClusterIP service with its address, case-insensitively, with or without the root dot', () => {
    for (const name of ['web.shop.svc.cluster.local', 'WEB.Shop.svc.cluster.local.']) {
      const r = ask(name);
      assert.equal(r.rcode, 'NOERROR');
      assert.equal(r.authoritative, true);
      assert.deepEqual(data(r), ['10.96.5.6']);
      assert.equal(r.answers[0]!.ttl, 5);
    }
    assert.deepEqual(data(ask('dns.kube-system.svc.cluster.local')), ['10.96.0.10']);
  });

  it('has SRV records for named ports only, with the target address as additional', () => {
    const r = ask('_http._tcp.web.shop.svc.cluster.local', 'SRV');
    assert.deepEqual(data(r), [{ priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' }]);
    assert.deepEqual(r.additionals.map((a) => [a.name, (a as { data: unknown }).data]), [['web.shop.svc.cluster.local', '10.96.5.6']]);
    assert.deepEqual(data(ask('_dns._udp.dns.kube-system.svc.cluster.local', 'SRV')), [{ priority: 0, weight: 100, port: 53, target: 'dns.kube-system.svc.cluster.local' }]);
    assert.equal(ask('_dns._tcp.dns.kube-system.svc.cluster.local', 'SRV').rcode, 'NXDOMAIN', 'the TCP port is named dns-tcp');
    assert.equal(ask('_dns-tcp._tcp.dns.kube-system.svc.cluster.local', 'SRV').answers.length, 1);
  });

  it('answers a headless service with its ready endpoints, and each by hostname', () => {
    assert.deepEqual(data(ask('db.shop.svc.cluster.local')).sort(), ['10.244.0.7', '10.244.1.8']);
    assert.deepEqual(data(ask('db-0.db.shop.svc.cluster.local')), ['10.244.0.7']);
    assert.deepEqual(data(ask('10-244-1-8.db.shop.svc.cluster.local')), ['10.244.1.8'], 'no hostname: the dashed IP');
    assert.equal(ask('db-2.db.shop.svc.cluster.local').rcode, 'NXDOMAIN', 'not ready');
    const srv = ask('_pg._tcp.db.shop.svc.cluster.local', 'SRV');
    assert.deepEqual(
      data(srv).sort((a: any, b: any) => (a.target < b.target ? -1 : 1)),
      [
        { priority: 0, weight: 100, port: 5433, target: '10-244-1-8.db.shop.svc.cluster.local' },
        { priority: 0, weight: 100, port: 5433, target: 'db-0.db.shop.svc.cluster.local' },
      ],
    );
    assert.equal(srv.additionals.length, 2);
  });

  it('has an empty answer, not NXDOMAIN, for a headless service without ready endpoints', () => {
    const r = ask('empty.shop.svc.cluster.local');
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers, []);
    assert.equal(r.authorities[0]!.type, 'SOA');
  });

  it('answers ExternalName with a CNAME, following it inside the cluster domain', () => {
    const r = ask('ext.shop.svc.cluster.local');
    assert.deepEqual(r.answers.map((a) => [a.type, (a as { data: unknown }).data]), [['CNAME', 'db.example.com']]);
    const alias = ask('alias.shop.svc.cluster.local');
    assert.deepEqual(alias.answers.map((a) => [a.type, (a as { data: unknown }).data]), [
      ['CNAME', 'web.shop.svc.cluster.local'],
      ['A', '10.96.5.6'],
    ]);
  });

  it('answers PTR for ClusterIPs and headless endpoints', () => {
    assert.equal(reverseName('10.96.0.1'), '1.0.96.10.in-addr.arpa');
    assert.deepEqual(data(ask('1.0.96.10.in-addr.arpa', 'PTR')), ['kubernetes.default.svc.cluster.local']);
    assert.deepEqual(data(ask('7.0.244.10.in-addr.arpa.', 'PTR')), ['db-0.db.shop.svc.cluster.local']);
    assert.equal(ask('9.9.9.10.in-addr.arpa', 'PTR').rcode, 'REFUSED', 'not ours: not forwarded either');
  });

  it('NXDOMAIN for unknown cluster names, NODATA for names that exist without that type', () => {
    for (const name of ['nope.shop.svc.cluster.local', 'web.nope.svc.cluster.local', 'x.cluster.local', 'a.b.web.shop.svc.cluster.local']) {
      const r = ask(name);
      assert.equal(r.rcode, 'NXDOMAIN', name);
      assert.equal(r.authoritative, true);
      assert.deepEqual(r.authorities.map((a) => [a.type, a.name]), [['SOA', 'cluster.local']]);
    }
    for (const [name, type] of [
      ['web.shop.svc.cluster.local', 'AAAA'],
      ['shop.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
      ['cluster.local', 'A'],
    ]) {
      const r = ask(name!, type);
      assert.equal(r.rcode, 'NOERROR', `${name} ${type}`);
      assert.deepEqual(r.answers, []);
    }
  });

  it('refuses names outside the cluster domain (nothing is forwarded)', () => {
    for (const name of ['example.com', 'web.shop', 'web', 'localcluster.local']) {
      const r = ask(name);
      assert.equal(r.rcode, 'REFUSED', name);
      assert.equal(r.authoritative, false);
    }
  });

  it('serves the schema version, the SOA, and pod names', () => {
    assert.deepEqual(data(ask('dns-version.cluster.local', 'TXT')), ['1.1.0']);
    const soa = ask('cluster.local', 'SOA');
    assert.equal((soa.answers[0] as J).data.serial, 42);
    assert.deepEqual(data(ask('10-244-0-99.shop.pod.cluster.local')), ['10.244.0.99']);
    assert.equal(ask('10-244-0-999.shop.pod.cluster.local').rcode, 'NXDOMAIN');
  });

  it('honours another domain, TTL and an address mapper (answers what is reachable here)', () => {
    const z = buildZone(services, slices, { domain: 'k8s.test.', ttl: 30, addressMapper: cidrMapper('10.0.0.0/8', '127.0.0.0/8') });
    const r = lookup(z, { name: 'web.shop.svc.k8s.test', type: 'A' });
    assert.deepEqual(data(r), ['127.96.5.6']);
    assert.equal(r.answers[0]!.ttl, 30);
    assert.deepEqual(data(lookup(z, { name: 'db-0.db.shop.svc.k8s.test', type: 'A' })), ['127.244.0.7']);
    assert.deepEqual(data(lookup(z, { name: '6.5.96.127.in-addr.arpa', type: 'PTR' })), ['web.shop.svc.k8s.test']);
    assert.equal(lookup(z, { name: 'web.shop.svc.cluster.local', type: 'A' }).rcode, 'REFUSED');
  });

  it('answers ANY with every record of the name', () => {
    assert.deepEqual(ask('web.shop.svc.cluster.local', 'ANY').answers.map((a) => a.type), ['A']);
  });
});
