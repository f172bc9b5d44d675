import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { createCertificate, EKU_CLIENT_AUTH, newKey, type DistinguishedName } from '../../lib/x509.ts';
import { HollowStreams } from './hollow-streams.ts';
import { startKubeletServer, type KubeletServer } from './server.ts';
import { StreamError, type ContainerProcess, type ContainerStreams, type PodRef, type StreamOptions, type TerminalSize } from './types.ts';

const DAY = 24 * 3600 * 1000;

/** A throwaway CA and client certificates it signs. */
function testPki() {
  const ca = newKey();
  const caName: DistinguishedName = { commonName: 'test-ca' };
  const validity = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY) };
  const caCert = createCertificate({ subject: caName, publicKey: ca.publicKey, issuer: caName, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, ...validity, isCA: true });
  const client = (organizations: string[]) => {
    const k = newKey();
    const cert = createCertificate({ subject: { commonName: 'client', organizations }, publicKey: k.publicKey, issuer: caName, issuerKey: ca.privateKey, issuerPublicKey: ca.publicKey, ...validity, isCA: false, extKeyUsage: [EKU_CLIENT_AUTH] });
    return { cert, key: k.pem };
  };
  return { caCert, client };
}

/** Commands run as host processes; container "missing" does not exist. */
class FakeStreams implements ContainerStreams {
  resizes: TerminalSize[] = [];
  constructor(private readonly echoPort: () => number) {}
  async logs(pod: PodRef, container: string, options: unknown): Promise<Readable> {
    return Readable.from([Buffer.from(JSON.stringify({ pod, container, options }))]);
  }
  async exec(_pod: PodRef, container: string, command: string[], o: StreamOptions): Promise<ContainerProcess> {
    if (container === 'missing') throw new StreamError(404, `container not found ("${container}")`);
    const child = spawn(command[0]!, command.slice(1), { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return {
      stdin: child.stdin ?? undefined,
      stdout: child.stdout ?? undefined,
      stderr: child.stderr ?? undefined,
      resize: (s) => this.resizes.push(s),
      exited: new Promise((resolve) => child.once('close', (code) => resolve(code ?? 1))),
      close: () => child.kill(),
    };
  }
  attach(): Promise<ContainerProcess> {
    throw new StreamError(400, 'no attach here');
  }
  portForward(_pod: PodRef, port: number): Promise<Duplex> {
    if (port !== 7) return Promise.reject(new Error('connection refused'));
    return new Promise((resolve, reject) => {
      const s = connect(this.echoPort(), '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }
}

interface Message {
  channel: number;
  text: string;
}

describe('kubelet server', () => {
  const pki = testPki();
  const admin = pki.client(['system:masters']);
  let server: KubeletServer;
  let hollow: KubeletServer;
  let echo: Server;
  let streams: FakeStreams;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    streams = new FakeStreams(() => (echo.address() as AddressInfo).port);
    server = await startKubeletServer({ streams, clientCA: pki.caCert, host: '127.0.0.1', port: 0 });
    hollow = await startKubeletServer({ streams: new HollowStreams(), clientCA: pki.caCert, host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server.close();
    await hollow.close();
    echo.close();
  });

  const get = (path: string, creds: { cert?: string; key?: string } = admin, port = server.port) =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, ...creds, rejectUnauthorized: false, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });

  /** Runs a WebSocket session: sends `send` once open, collects messages until the server closes. */
  const session = (path: string, protocols: string[], send: (ws: WebSocket) => void = () => {}, port = server.port) =>
    new Promise<{ protocol: string; messages: Message[]; code: number; binary: boolean[] }>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, protocols, { ...admin, rejectUnauthorized: false });
      const messages: Message[] = [];
      const binary: boolean[] = [];
      ws.on('open', () => send(ws));
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        binary.push(isBinary);
        if (isBinary) messages.push({ channel: data[0]!, text: data.subarray(1).toString() });
        else messages.push({ channel: data[0]! - 48, text: Buffer.from(data.subarray(1).toString(), 'base64').toString() });
      });
      ws.on('close', (code) => resolve({ protocol: ws.protocol, messages, code, binary }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(Object.assign(new Error(body), { code: res.statusCode })));
      });
      ws.on('error', reject);
    });
  const joined = (ms: Message[], channel: number) =>
    ms
      .filter((m) => m.channel === channel)
      .map((m) => m.text)
      .join('');

  it('serves only clients with a certificate of the cluster CA in system:masters', async () => {
    assert.deepEqual(await get('/healthz'), { code: 200, body: 'ok' });
    assert.equal((await get('/healthz', pki.client(['system:nodes']))).code, 403);
    await assert.rejects(get('/healthz', {}));
    assert.equal((await get('/nowhere')).code, 404);
  });

  it('containerLogs: the options parsed for the runtime, bad ones refused', async () => {
    const r = await get('/containerLogs/ns/p/c?follow=true&tailLines=5&limitBytes=9&timestamps=1&sinceTime=2024-01-01T00:00:00Z');
    assert.equal(r.code, 200);
    assert.deepEqual(JSON.parse(r.body), {
      pod: { namespace: 'ns', name: 'p' },
      container: 'c',
      options: { follow: true, previous: false, timestamps: true, tailLines: 5, limitBytes: 9, sinceTime: '2024-01-01T00:00:00.000Z' },
    });
    const since = JSON.parse((await get('/containerLogs/ns/p/c?sinceSeconds=60')).body).options.sinceTime;
    assert.ok(Math.abs(Date.parse(since) - (Date.now() - 60_000)) < 10_000);
    assert.deepEqual(await get('/containerLogs/ns/p/c?tailLines=x'), { code: 400, body: 'invalid tailLines "x"' });
    assert.deepEqual(await get('/exec/ns/p/c?command=true'), { code: 400, body: 'Upgrade request required' });
  });

  it('exec over v5: outputs, the exit code in a JSON status, then a normal close', async () => {
    const cmd = ['sh', '-c', 'echo out; echo err >&2; exit 3'].map((c) => `command=${encodeURIComponent(c)}`).join('&');
    const r = await session(`/exec/ns/p/c?${cmd}&output=1&error=1`, ['v5.channel.k8s.io']);
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.deepEqual(r.messages[0], { channel: 1, text: '' }, 'the streams-ready notice');
    assert.equal(joined(r.messages, 1), 'out\n');
    assert.equal(joined(r.messages, 2), 'err\n');
    const status = JSON.parse(joined(r.messages, 3));
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.equal(r.code, 1000);
  });

  it('exec over v5: stdin until the close signal, and resize', async () => {
    const r = await session('/exec/ns/p/c?command=cat&input=1&output=1', ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('abc')]));
      ws.send(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]));
      ws.send(Buffer.from([255, 0]));
    });
    assert.equal(joined(r.messages, 1), 'abc');
    assert.deepEqual(JSON.parse(joined(r.messages, 3)), { metadata: {}, status: 'Success' });
    assert.deepEqual(streams.resizes.at(-1), { width: 80, height: 24 });
  });

  it('exec over older protocols: base64 text frames, and the failure as text before v4', async () => {
    const b64 = await session('/exec/ns/p/c?command=echo&command=hi&output=1', ['v4.base64.channel.k8s.io']);
    assert.equal(b64.protocol, 'v4.base64.channel.k8s.io');
    assert.ok(b64.binary.every((b) => !b));
    assert.equal(joined(b64.messages, 1), 'hi\n');
    const v1 = await session('/exec/ns/p/c?command=false&output=1', ['channel.k8s.io']);
    assert.match(joined(v1.messages, 3), /^command terminated with non-zero exit code: .*exit code 1$/);
    const none = await session('/exec/ns/p/c?command=true&output=1', []);
    assert.equal(none.protocol, '');
    assert.equal(joined(none.messages, 3), '', 'success writes nothing before v4');
  });

  it('exec refusals are HTTP errors before the upgrade', async () => {
    await assert.rejects(session('/exec/ns/p/missing?command=true&output=1', ['v5.channel.k8s.io']), { code: 404, message: 'container not found ("missing")' });
    await assert.rejects(session('/exec/ns/p/c?command=true', ['v5.channel.k8s.io']), { code: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' });
    await assert.rejects(session('/exec/ns/p/c?command=true&output=1', ['v9.channel.k8s.io']), { code: 400, message: /requested protocol\(s\) are not supported/ });
  });

  it('portForward: the port on each channel first, data both ways, errors on the error channel', async () => {
    const r = await session('/portForward/ns/p?port=7', ['v4.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('ping')]));
      setTimeout(() => ws.send(Buffer.from([255, 0])), 200);
    });
    assert.deepEqual(r.messages.slice(0, 2), [
      { channel: 0, text: '\x07\x00' },
      { channel: 1, text: '\x07\x00' },
    ]);
    assert.equal(joined(r.messages.slice(2), 0), 'ping');
    const refused = await session('/portForward/ns/p?port=8', ['v4.channel.k8s.io']);
    assert.equal(joined(refused.messages.slice(2), 1), 'error forwarding port 8 to pod ns/p: connection refused');
    await assert.rejects(session('/portForward/ns/p', ['v4.channel.k8s.io']), { code: 400, message: 'query parameter "port" is required' });
  });

  it('hollow nodes: empty logs, exec refused with the reason', async () => {
    assert.deepEqual(await get('/containerLogs/ns/p/c', admin, hollow.port), { code: 200, body: '' });
    await assert.rejects(session('/exec/ns/p/c?command=true&output=1', ['v5.channel.k8s.io'], undefined, hollow.port), {
      code: 400,
      message: 'exec is not possible on a hollow node: pod ns/p runs no processes',
    });
  });
});
