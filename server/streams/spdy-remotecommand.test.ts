import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { exitStatus } from '../../lib/streams/status.ts';
import { SpdySession } from './spdy/session.ts';
import { SpdyTestClient } from './spdy/test-client.ts';
import { bridgeSpdyRemoteCommand } from './spdy-remotecommand.ts';

/** What the agent saw: its messages from the API server, as [channel, text]. */
type Seen = [number, string][];

describe('SPDY exec bridged to the agent', () => {
  let agentServer: WebSocketServer;
  let listener: Server;
  /** The agent's script for the next session. */
  let script: (ws: WebSocket, seen: Seen) => void;

  before(async () => {
    agentServer = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => agentServer.once('listening', r));
    agentServer.on('connection', (ws) => {
      const seen: Seen = [];
      ws.on('message', (d: Buffer) => seen.push([d[0]!, d.subarray(1).toString()]));
      script(ws, seen);
    });
    listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  });
  after(() => {
    agentServer.close();
    listener.close();
  });

  /** A bridged session: the SPDY client, and the agent socket (paused as the API server gets it). */
  async function bridged(protocol: string, o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<SpdyTestClient> {
    const agent = new WebSocket(`ws://127.0.0.1:${(agentServer.address() as AddressInfo).port}`);
    // Paused as it opens, as the API server's kubelet client hands it out.
    await new Promise<void>((r) =>
      agent.once('open', () => {
        agent.pause();
        r();
      }),
    );
    const accepted = new Promise<Socket>((r) => listener.once('connection', r));
    const client = new SpdyTestClient(connect((listener.address() as AddressInfo).port, '127.0.0.1'));
    bridgeSpdyRemoteCommand(new SpdySession(await accepted), agent, protocol, o);
    return client;
  }

  /** Reads the client's side until the server ends the connection: data per stream ID. */
  async function drain(client: SpdyTestClient): Promise<Map<number, string>> {
    const data = new Map<number, string>();
    const ended = new Promise((r) => client.io.once('end', r));
    for (;;) {
      const f = await Promise.race([client.next(), ended.then(() => undefined)]);
      if (!f) return data;
      if (!f.control) data.set(f.streamId, (data.get(f.streamId) ?? '') + f.data.toString());
    }
  }

  it('v4: outputs and the JSON status on their streams; stdin and its end reach the agent', async () => {
    let seen: Seen = [];
    script = (ws, s) => {
      seen = s;
      ws.send(Buffer.from([1])); // the streams-ready notice, empty
      ws.on('message', (d: Buffer) => {
        if (d[0] !== 255) return;
        ws.send(Buffer.from([1, ...Buffer.from('out')]));
        ws.send(Buffer.from([2, ...Buffer.from('err')]));
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(3, ['x'])))]));
        ws.close(1000);
      });
    };
    const client = await bridged('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: false });
    await client.synStream(1, [['streamtype', 'error']], true);
    await client.synStream(3, [['streamtype', 'stdin']]);
    await client.synStream(5, [['streamtype', 'stdout']]);
    await client.synStream(7, [['streamtype', 'stderr']]);
    client.data(3, 'input', true);
    const data = await drain(client);
    assert.deepEqual([data.get(5), data.get(7)], ['out', 'err']);
    assert.equal(JSON.parse(data.get(1)!).reason, 'NonZeroExitCode');
    assert.deepEqual(seen, [
      [0, 'input'],
      [255, '\x00'],
    ]);
  });

  it('v2: the failure as its message on the error stream; no resize stream under a terminal before v3', async () => {
    script = (ws) => {
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(2, ['x'])))]));
      ws.close(1000);
    };
    const client = await bridged('v2.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: true });
    await client.synStream(1, [['streamtype', 'error']], true);
    await client.synStream(3, [['streamtype', 'stdout']]);
    const data = await drain(client);
    assert.equal(data.get(1), 'command terminated with non-zero exit code: error executing command [x], exit code 2');
  });

  it('v4 with a terminal: resize events reach the agent as channel 4', async () => {
    let seen: Seen = [];
    script = (ws, s) => {
      seen = s;
      ws.on('message', () => {
        if (s.length < 2) return;
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(exitStatus(0, ['x'])))]));
        ws.close(1000);
      });
    };
    const client = await bridged('v4.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: true });
    await client.synStream(1, [['streamtype', 'error']], true);
    await client.synStream(3, [['streamtype', 'stdout']]);
    await client.synStream(5, [['streamtype', 'resize']]);
    client.data(5, '{"Width":80,"Height":24}\n{"Width":90,');
    client.data(5, '"Height":30}\n');
    const data = await drain(client);
    assert.deepEqual(JSON.parse(data.get(1)!), { metadata: {}, status: 'Success' });
    assert.deepEqual(seen, [
      [4, '{"Width":80,"Height":24}'],
      [4, '{"Width":90,"Height":30}'],
    ]);
  });
});
