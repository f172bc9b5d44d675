import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvConf, podDnsConfig, podResolvConf, type NodeDnsSettings } from './resolv-conf.ts';

const host = parseResolvConf('# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example. lab.example\noptions edns0 timeout:2\n');
const node: NodeDnsSettings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host };

describe('pod resolv.conf', () => {
  it('parses resolv.conf as the kubelet does', () => {
    assert.deepEqual(host, { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
    assert.deepEqual(parseResolvConf('search a\nsearch b c\noptions x\noptions y\nnameserver\n'), { nameservers: [], searches: ['b', 'c'], options: ['y'] });
  });

  it('ClusterFirst: the cluster DNS, the cluster search path then the host\'s, ndots:5', () => {
    assert.equal(
      podResolvConf({ namespace: 'shop' }, node).content,
      'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n',
    );
    assert.equal(
      podResolvConf({ namespace: 'default', dnsPolicy: 'ClusterFirst' }, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' }).content,
      'nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    );
  });

  it('Default, and ClusterFirst on the host network: the host\'s file', () => {
    const want = { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] };
    assert.deepEqual(podDnsConfig({ namespace: 'x', dnsPolicy: 'Default' }, node).config, want);
    assert.deepEqual(podDnsConfig({ namespace: 'x', hostNetwork: true }, node).config, want);
    assert.deepEqual(podDnsConfig({ namespace: 'x', dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }, node).config.nameservers, ['10.96.0.10']);
    assert.equal(podResolvConf({ namespace: 'x', dnsPolicy: 'Default' }, { ...node, host: undefined }).content, 'nameserver 127.0.0.1\nsearch .\n');
  });

  it('falls back to Default without a cluster DNS IP, with a MissingClusterDNS warning', () => {
    const { config, warnings } = podDnsConfig({ namespace: 'x' }, { ...node, clusterDNS: [] });
    assert.deepEqual(config.nameservers, ['192.0.2.53', '192.0.2.54']);
    assert.deepEqual(warnings.map((w) => w.reason), ['MissingClusterDNS']);
  });

  it('None: only dnsConfig; dnsConfig is appended without duplicates and its options override', () => {
    const none = podDnsConfig({ namespace: 'x', dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }] } }, node);
    assert.deepEqual(none.config, { nameservers: ['192.0.2.1'], searches: ['a.example'], options: ['ndots:2'] });
    const merged = podDnsConfig(
      { namespace: 'x', dnsConfig: { nameservers: ['10.96.0.10', '192.0.2.1'], searches: ['svc.cluster.local', 'b.example'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } },
      { ...node, host: undefined },
    );
    assert.deepEqual(merged.config, {
      nameservers: ['10.96.0.10', '192.0.2.1'],
      searches: ['x.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'b.example'],
      options: ['ndots:1', 'edns0'],
    });
  });

  it('keeps within the limits and says what it dropped', () => {
    const ns = podDnsConfig({ namespace: 'x', dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4'] } }, node);
    assert.deepEqual(ns.config.nameservers, ['1.1.1.1', '1.0.0.1', '8.8.8.8']);
    assert.match(ns.warnings[0]!.message, /^Nameserver limits were exceeded.*: 1\.1\.1\.1 1\.0\.0\.1 8\.8\.8\.8$/);
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const s = podDnsConfig({ namespace: 'x', dnsConfig: { searches: many } }, { ...node, host: undefined });
    assert.equal(s.config.searches.length, 32);
    assert.equal(s.warnings[0]!.reason, 'DNSConfigForming');
    const long = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(260)}.x`);
    const l = podDnsConfig({ namespace: 'x', dnsPolicy: 'None', dnsConfig: { searches: [...long, 'ok.example'] } }, node);
    assert.deepEqual(l.config.searches, ['ok.example'], 'paths over 253 characters go');
    const wide = Array.from({ length: 20 }, (_, i) => `${'a'.repeat(120)}${i}.example`);
    const w = podDnsConfig({ namespace: 'x', dnsPolicy: 'None', dnsConfig: { searches: wide } }, node);
    assert.ok(w.config.searches.join(' ').length <= 2048);
    assert.equal(w.config.searches.length, 15);
  });
});
