import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { controlFrame, GOAWAY, PING, RST_CANCEL, RST_PROTOCOL_ERROR, RST_REFUSED_STREAM, RST_STREAM, SETTINGS, SYN_REPLY, WINDOW_UPDATE, type Frame } from './frames.ts';
import { SpdySession, type SpdyStream } from './session.ts';
import { SpdyTestClient } from './test-client.ts';

const control = (f: Frame) => (f.control ? { type: f.type, flags: f.flags, body: [...f.body] } : assert.fail(`a data frame: ${JSON.stringify(f)}`));
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

describe('SPDY session (server side)', () => {
  let listener: Server;
  let session: SpdySession;
  let client: SpdyTestClient;
  let clientSocket: Socket;
  let streams: SpdyStream[];
  let nextStream: () => Promise<SpdyStream>;

  before(async () => {
    listener = createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  });
  after(() => listener.close());
  beforeEach(async () => {
    const accepted = new Promise<Socket>((r) => listener.once('connection', r));
    clientSocket = connect((listener.address() as AddressInfo).port, '127.0.0.1');
    client = new SpdyTestClient(clientSocket);
    session = new SpdySession(await accepted);
    streams = [];
    const waiters: ((s: SpdyStream) => void)[] = [];
    session.on('stream', (s) => {
      const w = waiters.shift();
      if (w) w(s);
      else streams.push(s);
    });
    nextStream = () => {
      const s = streams.shift();
      return s ? Promise.resolve(s) : new Promise((r) => waiters.push(r));
    };
  });
  afterEach(() => {
    clientSocket.destroy();
    session.destroy();
  });

  it('answers every stream with a SYN_REPLY and hands it out with its headers', async () => {
    await client.synStream(1, [['streamType', 'error'], ['port', '80'], ['requestID', '0']]);
    const s = await nextStream();
    assert.deepEqual([s.id, s.headers], [1, { streamtype: 'error', port: '80', requestid: '0' }]);
    const reply = await client.next();
    assert.deepEqual(control(reply).type, SYN_REPLY);
    assert.deepEqual(control(reply).body.slice(0, 4), u32(1));
    assert.deepEqual(await client.replyHeaders(reply), {});
    // The second block continues the same zlib stream on both sides.
    await client.synStream(3, [['streamtype', 'data'], ['port', '80'], ['requestid', '0']]);
    assert.deepEqual((await nextStream()).headers, { streamtype: 'data', port: '80', requestid: '0' });
    assert.deepEqual(await client.replyHeaders(await client.next()), {});
  });

  it('carries data both ways; FIN ends each direction', async () => {
    await client.synStream(1, [['streamtype', 'stdin']]);
    const s = await nextStream();
    await client.next(); // SYN_REPLY
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    const ended = new Promise((r) => s.once('end', r));
    client.data(1, 'hello ');
    client.data(1, 'world', true);
    await ended;
    assert.equal(got, 'hello world');
    s.end('back');
    assert.deepEqual(await client.next(), { control: false, streamId: 1, flags: 0, data: Buffer.from('back') });
    assert.deepEqual(await client.next(), { control: false, streamId: 1, flags: 1, data: Buffer.alloc(0) });
  });

  it('a stream opened with FIN has no data; large writes are split into frames', async () => {
    await client.synStream(1, [['streamtype', 'error']], true);
    const s = await nextStream();
    await client.next();
    s.resume();
    await new Promise((r) => s.once('end', r));
    s.end(Buffer.alloc(100_000, 1));
    let total = 0;
    for (;;) {
      const f = await client.next();
      assert.equal(f.control, false);
      if (f.control) break;
      assert.ok(f.data.length <= 32 * 1024);
      total += f.data.length;
      if (f.flags & 1) break;
    }
    assert.equal(total, 100_000);
  });

  it('echoes the client PINGs, ignores SETTINGS and WINDOW_UPDATE', async () => {
    clientSocket.write(controlFrame(SETTINGS, 0, Buffer.from([0, 0, 0, 1, 0, 0, 0, 7, 0, 1, 0, 0])));
    clientSocket.write(controlFrame(WINDOW_UPDATE, 0, Buffer.from([0, 0, 0, 0, 0, 1, 0, 0])));
    client.ping(7);
    assert.deepEqual(control(await client.next()), { type: PING, flags: 0, body: u32(7) });
  });

  it('a reset stream ends, drops writes and says so', async () => {
    await client.synStream(1, [['streamtype', 'data']]);
    const s = await nextStream();
    await client.next();
    const reset = new Promise((r) => s.once('reset', r));
    s.resume();
    client.rst(1, RST_CANCEL);
    await reset;
    assert.equal(s.isReset, true);
    s.write('dropped');
    client.ping(9);
    assert.deepEqual(control(await client.next()).type, PING, 'nothing was written for the reset stream');
    // A stream the server resets.
    await client.synStream(3, [['streamtype', 'data']]);
    const t = await nextStream();
    await client.next();
    t.reset();
    assert.deepEqual(control(await client.next()), { type: RST_STREAM, flags: 0, body: [...u32(3), ...u32(RST_CANCEL)] });
  });

  it('refuses stream IDs out of order, and new streams after GOAWAY', async () => {
    await client.synStream(2, [['streamtype', 'data']]);
    assert.deepEqual(control(await client.next()), { type: RST_STREAM, flags: 0, body: [...u32(2), ...u32(RST_PROTOCOL_ERROR)] });
    clientSocket.write(controlFrame(GOAWAY, 0, Buffer.from([...u32(0), ...u32(0)])));
    await client.synStream(5, [['streamtype', 'data']]);
    assert.deepEqual(control(await client.next()), { type: RST_STREAM, flags: 0, body: [...u32(5), ...u32(RST_REFUSED_STREAM)] });
  });

  it('close says GOAWAY with the last stream, and the connection ends', async () => {
    await client.synStream(1, [['streamtype', 'error']]);
    const s = await nextStream();
    await client.next();
    const reset = new Promise((r) => s.once('reset', r));
    const closed = new Promise<void>((r) => session.once('close', () => r()));
    session.close();
    assert.deepEqual(control(await client.next()), { type: GOAWAY, flags: 0, body: [...u32(1), ...u32(0)] });
    await Promise.all([closed, reset, new Promise((r) => clientSocket.once('end', r))]);
  });

  it('ends every stream when the connection goes', async () => {
    await client.synStream(1, [['streamtype', 'stdout']]);
    const s = await nextStream();
    s.resume();
    const ended = new Promise((r) => s.once('end', r));
    clientSocket.destroy();
    await ended;
    assert.equal(s.isReset, true);
  });
});
