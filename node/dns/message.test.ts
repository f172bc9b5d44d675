import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket, { type Packet } from 'dns-packet';
import type { Service } from '../proxy/endpoints.ts';
import { respond } from './message.ts';
import { buildZone } from './zone.ts';

type J = Record<string, any>;

const headless: Service = { metadata: { name: 'big', namespace: 'ns' }, spec: { clusterIP: 'None' } };
const endpoints = Array.from({ length: 25 }, (_, i) => ({ addresses: [`10.244.0.${i + 2}`], conditions: { ready: true } }));
const zone = buildZone(
  [{ metadata: { name: 'web', namespace: 'ns' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] } }, headless],
  [{ metadata: { name: 'big-1', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'big' } }, endpoints, ports: [] }],
);

const query = (name: string, type = 'A', extra: Partial<Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }], ...extra });

const decode = (b: Buffer | undefined): J => dnsPacket.decode(b!) as J;

describe('DNS messages', () => {
  it('answers a query authoritatively, echoing id, question and RD, without RA', () => {
    const r = decode(respond(zone, query('web.ns.svc.cluster.local'), 'udp'));
    assert.equal(r.id, 4242);
    assert.equal(r.type, 'response');
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.flag_aa, true);
    assert.equal(r.flag_rd, true);
    assert.equal(r.flag_ra, false);
    assert.deepEqual(r.questions, [{ name: 'web.ns.svc.cluster.local', type: 'A', class: 'IN' }]);
    assert.deepEqual(r.answers.map((a: J) => a.data), ['10.96.0.20']);
  });

  it('carries NXDOMAIN with the SOA, and REFUSED for other names', () => {
    const nx = decode(respond(zone, query('nope.ns.svc.cluster.local'), 'udp'));
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities[0].type, 'SOA');
    const refused = decode(respond(zone, query('example.com'), 'udp'));
    assert.equal(refused.rcode, 'REFUSED');
    assert.equal(refused.flag_aa, false);
    assert.deepEqual(refused.answers, []);
  });

  it('answers SRV with additional addresses', () => {
    const r = decode(respond(zone, query('_http._tcp.web.ns.svc.cluster.local', 'SRV'), 'tcp'));
    assert.deepEqual(r.answers.map((a: J) => a.data), [{ priority: 0, weight: 100, port: 80, target: 'web.ns.svc.cluster.local' }]);
    assert.deepEqual(r.additionals.map((a: J) => a.data), ['10.96.0.20']);
  });

  it('truncates large UDP answers (TC) but not TCP ones, and honours EDNS0 sizes', () => {
    const udp = decode(respond(zone, query('big.ns.svc.cluster.local'), 'udp'));
    assert.equal(udp.flag_tc, true);
    assert.deepEqual(udp.answers, []);
    const tcp = decode(respond(zone, query('big.ns.svc.cluster.local'), 'tcp'));
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers.length, 25);
    const edns = query('big.ns.svc.cluster.local', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
    const big = decode(respond(zone, edns, 'udp'));
    assert.equal(big.flag_tc, false, '25 A records (no name compression: ~40 bytes each) fit in 1232 bytes');
    assert.equal(big.answers.length, 25);
    assert.equal(big.additionals.find((a: J) => a.type === 'OPT')?.udpPayloadSize, 1232);
  });

  it('FORMERR for garbage and for several questions, NOTIMP for other opcodes, nothing for responses', () => {
    const garbage = Buffer.from('0102ffffffffffffffffffffffffffff', 'hex');
    const fe = decode(respond(zone, garbage, 'udp'));
    assert.equal(fe.id, 0x0102);
    assert.equal(fe.rcode, 'FORMERR');
    const two = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
    assert.equal(decode(respond(zone, two, 'udp')).rcode, 'FORMERR');
    const notify = query('web.ns.svc.cluster.local');
    notify.writeUInt16BE((notify.readUInt16BE(2) & ~0x7800) | (4 << 11), 2); // opcode NOTIFY
    assert.equal(decode(respond(zone, notify, 'udp')).rcode, 'NOTIMP');
    assert.equal(respond(zone, dnsPacket.encode({ type: 'response', id: 1, questions: [] }), 'udp'), undefined);
    assert.equal(respond(zone, Buffer.alloc(5), 'udp'), undefined);
  });
});
