import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { check, probeTimings, ProbeState, resolvePort } from './probes.ts';

test('probe timings default as the API does', () => {
  assert.deepEqual(probeTimings({}), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(probeTimings({ initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 }), {
    initialDelayMs: 5000,
    periodMs: 2000,
    timeoutMs: 3000,
    successThreshold: 2,
    failureThreshold: 1,
  });
});

test('results flip only after the thresholds, from the kind-specific start', () => {
  const t = probeTimings({ successThreshold: 2, failureThreshold: 3 });
  const ready = new ProbeState('readiness', t);
  assert.equal(ready.result, 'failure');
  assert.equal(ready.record(true), false);
  assert.equal(ready.record(true), true);
  assert.equal(ready.result, 'success');
  const live = new ProbeState('liveness', t);
  assert.equal(live.result, 'success');
  live.record(false);
  live.record(false);
  live.record(true); // a success resets the failure streak
  live.record(false);
  live.record(false);
  assert.equal(live.result, 'success');
  assert.equal(live.record(false), true);
  assert.equal(live.result, 'failure');
  assert.equal(new ProbeState('startup', t).result, 'unknown');
});

test('ports by number, numeric string or name', () => {
  const c = { ports: [{ name: 'http', containerPort: 8080 }] };
  assert.equal(resolvePort(80, c), 80);
  assert.equal(resolvePort('81', c), 81);
  assert.equal(resolvePort('http', c), 8080);
  assert.equal(resolvePort('nope', c), undefined);
});

async function server(handler: (path: string) => number | 'hang'): Promise<{ s: Server; port: number }> {
  const s = createServer((req, res) => {
    const r = handler(req.url ?? '/');
    if (r !== 'hang') res.writeHead(r).end(req.headers['x-probe'] ?? '');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { s, port: (s.address() as AddressInfo).port };
}

const noExec = async () => ({ code: 0, output: '' });

test('httpGet: 2xx and 3xx succeed, others and refused connections fail, slow answers time out', async () => {
  const { s, port } = await server((p) => (p === '/ok' ? 200 : p === '/moved' ? 302 : p === '/slow' ? 'hang' : 500));
  try {
    const c = { ports: [{ name: 'web', containerPort: port }] };
    assert.deepEqual(await check({ httpGet: { path: '/ok', port: 'web' } }, c, '127.0.0.1', 1000, noExec), { ok: true, message: '' });
    assert.equal((await check({ httpGet: { path: 'moved', port } }, c, '127.0.0.1', 1000, noExec)).ok, true);
    assert.deepEqual(await check({ httpGet: { path: '/bad', port } }, c, '127.0.0.1', 1000, noExec), { ok: false, message: 'HTTP probe failed with statuscode: 500' });
    const slow = await check({ httpGet: { path: '/slow', port } }, c, '127.0.0.1', 200, noExec);
    assert.match(slow.message, /context deadline exceeded/);
  } finally {
    s.closeAllConnections();
    s.close();
  }
  const refused = await check({ httpGet: { path: '/', port } }, {}, '127.0.0.1', 1000, noExec);
  assert.equal(refused.message, `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`);
});

test('tcpSocket: a connection is a success', async () => {
  const { s, port } = await server(() => 200);
  try {
    assert.equal((await check({ tcpSocket: { port } }, {}, '127.0.0.1', 1000, noExec)).ok, true);
  } finally {
    s.close();
  }
  assert.equal((await check({ tcpSocket: { port } }, {}, '127.0.0.1', 1000, noExec)).message, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
});

test('exec: exit code 0 succeeds; the output explains a failure; a timeout fails', async () => {
  const seen: string[][] = [];
  const exec = async (cmd: string[]) => {
    seen.push(cmd);
    return cmd[0] === 'true' ? { code: 0, output: '' } : cmd[0] === 'slow' ? undefined : { code: 1, output: 'cat: /tmp/healthy: No such file or directory\n' };
  };
  assert.equal((await check({ exec: { command: ['true'] } }, {}, '', 1000, exec)).ok, true);
  assert.deepEqual(await check({ exec: { command: ['cat', '/tmp/healthy'] } }, {}, '', 1000, exec), { ok: false, message: 'cat: /tmp/healthy: No such file or directory' });
  assert.match((await check({ exec: { command: ['slow'] } }, {}, '', 1000, exec)).message, /timed out/);
  assert.deepEqual(seen[1], ['cat', '/tmp/healthy']);
});
