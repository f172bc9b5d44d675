// The proxier with real sockets on loopback: plans are fed directly (no API server), "pods"
// are echo servers on 127.x addresses, and the "ClusterIPs" are other 127.x addresses (all of
// 127.0.0.0/8 is local on Linux, so the no-op plumber suffices).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { freePorts } from '../../lib/free-ports.ts';
import type { ServicePortPlan, ProxyEndpoint } from './plan.ts';
import { Proxier } from './proxier.ts';
import type { AddressPlumber } from './plumber.ts';
import { tcpAsk, tcpEcho, udpClient, udpEcho, type EchoServer } from './testing/echo.ts';

const net = `127.${randomInt(100, 200)}.${randomInt(0, 250)}`;
const svcIP = (n: number) => `${net}.${n}`;
const podIP = (n: number) => `${net}.${100 + n}`;

class RecordingPlumber implements AddressPlumber {
  readonly calls: string[] = [];
  async ensure(ip: string) {
    this.calls.push(`+${ip}`);
  }
  async remove(ip: string) {
    this.calls.push(`-${ip}`);
  }
  async list() {
    return ['127.0.0.250', '127.0.0.251'];
  }
  async close() {
    this.calls.push('close');
  }
}

const ep = (s: EchoServer): ProxyEndpoint => ({ address: s.address, port: s.port });

function plan(key: string, protocol: 'TCP' | 'UDP', address: string, port: number, endpoints: ProxyEndpoint[], extra: Partial<ServicePortPlan> = {}): ServicePortPlan {
  return { key, protocol, endpoints: { cluster: endpoints, external: endpoints }, listeners: [{ protocol, address, port, scope: 'cluster' }], clusterIPs: [address], ...extra };
}

const names = (answers: string[]) => answers.map((a) => a.split('|')[0]);

describe('Proxier over loopback', () => {
  let ports: number[];
  let a: EchoServer, b: EchoServer, ua: EchoServer, ub: EchoServer;
  const plumber = new RecordingPlumber();
  const proxier = new Proxier({ plumber, connectTimeoutMs: 1000, keepAddresses: ['127.0.0.251'] });

  before(async () => {
    ports = await freePorts(6);
    [a, b, ua, ub] = await Promise.all([tcpEcho('a', podIP(1)), tcpEcho('b', podIP(2)), udpEcho('ua', podIP(1)), udpEcho('ub', podIP(2))]);
    await proxier.adopt();
  });

  after(async () => {
    await proxier.stop();
    await Promise.all([a, b, ua, ub].map((s) => s?.close()));
  });

  it('balances TCP connections round robin and carries half-closes both ways', async () => {
    const failed = await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [ep(a), ep(b)])]);
    assert.deepEqual(failed, []);
    assert.deepEqual([...plumber.calls], [`+${svcIP(1)}`, '-127.0.0.250'], 'the stale address of an earlier run goes, the kept one stays');
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await tcpAsk(svcIP(1), ports[0]!, `hello ${i}`));
    assert.deepEqual(answers, ['a|hello 0', 'b|hello 1', 'a|hello 2', 'b|hello 3']);
  });

  it('switches endpoints for new connections at once, without reopening the listener', async () => {
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [ep(b)])]);
    assert.deepEqual(names(await Promise.all([1, 2, 3].map(() => tcpAsk(svcIP(1), ports[0]!)))), ['b', 'b', 'b']);
    assert.deepEqual(plumber.calls.slice(2), [], 'the address stays');
  });

  it('resets connections to a service without endpoints', async () => {
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [])]);
    await assert.rejects(tcpAsk(svcIP(1), ports[0]!), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  });

  it('skips an endpoint that refuses and tries the next', async () => {
    const dead = { address: podIP(9), port: ports[5]! };
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [dead, ep(a)])]);
    assert.deepEqual(names(await Promise.all([1, 2, 3, 4].map(() => tcpAsk(svcIP(1), ports[0]!)))), ['a', 'a', 'a', 'a']);
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [dead])]);
    await assert.rejects(tcpAsk(svcIP(1), ports[0]!), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  });

  it('keeps a client on its endpoint with ClientIP affinity, and other clients rotate', async () => {
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [ep(a), ep(b)], { affinityTimeoutMs: 60_000 })]);
    const first = names(await Promise.all([1, 2, 3, 4].map(() => tcpAsk(svcIP(1), ports[0]!, 'x', { localAddress: '127.0.0.1' }))));
    assert.equal(new Set(first).size, 1, `one endpoint for one client: ${first}`);
    const other = names([await tcpAsk(svcIP(1), ports[0]!, 'x', { localAddress: '127.0.0.2' })]);
    assert.notEqual(other[0], first[0]);
  });

  it('balances UDP per client flow, answering from the service address', async () => {
    await proxier.apply([plan('ns/dns:dns', 'UDP', svcIP(2), ports[1]!, [ep(ua), ep(ub)])]);
    const c1 = await udpClient();
    const c2 = await udpClient();
    try {
      const r1 = [await c1.ask(svcIP(2), ports[1]!, 'q1'), await c1.ask(svcIP(2), ports[1]!, 'q2')];
      assert.equal(new Set(names(r1)).size, 1, 'one flow, one endpoint');
      assert.match(r1[1]!, /\|q2$/);
      const r2 = await c2.ask(svcIP(2), ports[1]!);
      assert.notEqual(names([r2])[0], names(r1)[0], 'a second client gets the next endpoint');
    } finally {
      c1.close();
      c2.close();
    }
  });

  it('ends a UDP flow after its idle timeout: the next datagram is a new flow', async () => {
    const quick = new Proxier({ udpIdleTimeoutMs: 150 });
    await quick.apply([plan('ns/q:dns', 'UDP', svcIP(4), ports[3]!, [ep(ua), ep(ub)])]);
    const c = await udpClient();
    try {
      const first = names([await c.ask(svcIP(4), ports[3]!)])[0];
      await new Promise((r) => setTimeout(r, 600));
      const second = names([await c.ask(svcIP(4), ports[3]!)])[0];
      assert.notEqual(second, first, 'a new flow takes the next endpoint in turn');
    } finally {
      c.close();
      await quick.stop();
    }
  });

  it('ends UDP flows whose endpoint left, and drops datagrams without endpoints', async () => {
    await proxier.apply([plan('ns/dns:dns', 'UDP', svcIP(2), ports[1]!, [ep(ua)], { affinityTimeoutMs: 60_000 })]);
    const c = await udpClient();
    try {
      assert.equal(names([await c.ask(svcIP(2), ports[1]!)])[0], 'ua');
      await proxier.apply([plan('ns/dns:dns', 'UDP', svcIP(2), ports[1]!, [ep(ub)], { affinityTimeoutMs: 60_000 })]);
      assert.equal(names([await c.ask(svcIP(2), ports[1]!)])[0], 'ub', 'the old flow ended with its endpoint');
      await proxier.apply([plan('ns/dns:dns', 'UDP', svcIP(2), ports[1]!, [])]);
      await assert.rejects(c.ask(svcIP(2), ports[1]!, 'x', 300), /timeout/);
    } finally {
      c.close();
    }
  });

  it('reports a listener that cannot bind and retries it on the next apply', async () => {
    const blocker = await tcpEcho('blocker', svcIP(3), ports[2]);
    const p = plan('ns/late:http', 'TCP', svcIP(3), ports[2]!, [ep(a)]);
    assert.deepEqual(await proxier.apply([p]), [`TCP|${svcIP(3)}|${ports[2]}`]);
    await blocker.close();
    assert.deepEqual(await proxier.apply([p]), []);
    assert.equal(names([await tcpAsk(svcIP(3), ports[2]!)])[0], 'a');
  });

  it('closes listeners and unplumbs addresses of services that went away', async () => {
    plumber.calls.length = 0;
    await proxier.apply([plan('ns/web:http', 'TCP', svcIP(1), ports[0]!, [ep(a)])]);
    assert.deepEqual(proxier.listening(), [`TCP|${svcIP(1)}|${ports[0]}`]);
    assert.deepEqual([...plumber.calls], [`+${svcIP(1)}`, `-${svcIP(3)}`]);
    await proxier.apply([]);
    assert.deepEqual(proxier.listening(), []);
    await assert.rejects(tcpAsk(svcIP(1), ports[0]!), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
  });
});
