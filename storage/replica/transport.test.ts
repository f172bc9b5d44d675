import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transport, RemoteError, TransportError, type TransportHandler } from './transport.ts';
import { freePorts } from '../../lib/free-ports.ts';
import type { Message } from '../raft/types.ts';
import { StoreError } from '../errors.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Recorder extends TransportHandler {
  messages: Message[];
  unreachable: number[];
  snapshots: Array<{ from: number; msg: Message; bytes: number }>;
}

function recorder(overrides: Partial<TransportHandler> = {}): Recorder {
  const r: Recorder = {
    messages: [],
    unreachable: [],
    snapshots: [],
    onMessages: (msgs) => void r.messages.push(...msgs),
    onRpc: async (_from, method, payload) => {
      if (method === 'echo') return payload;
      if (method === 'store-error') throw new StoreError('lease-not-found', 'etcdserver: requested lease not found');
      throw Object.assign(new Error('go away'), { code: 'not-leader' });
    },
    onSnapshot: async (from, msg, chunks) => {
      let bytes = 0;
      for await (const c of chunks) {
        bytes += c.length;
        await sleep(1); // a slow consumer: the sender must be paused, not buffered without bound
      }
      r.snapshots.push({ from, msg, bytes });
    },
    onUnreachable: (id) => void r.unreachable.push(id),
    ...overrides,
  };
  return r;
}

async function eventually(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const hb = (from: number, to: number, commit: number): Message => ({ type: 'MsgHeartbeat', from, to, term: 1, commit });

test('messages of one turn go out in one frame, in order; RPCs answer on the same connection', async () => {
  const [p1, p2] = await freePorts(2);
  const h1 = recorder();
  const h2 = recorder();
  const t1 = await Transport.start({ id: 1, listen: `127.0.0.1:${p1}`, cluster: 'c', handler: h1 });
  const t2 = await Transport.start({ id: 2, listen: `127.0.0.1:${p2}`, cluster: 'c', handler: h2 });
  try {
    t1.setPeer(2, `127.0.0.1:${p2}`);
    t2.setPeer(1, `127.0.0.1:${p1}`);
    assert.deepEqual(Buffer.from(await t1.rpc(2, 'echo', Buffer.from('hi'), 2000)).toString(), 'hi');
    const frames = t1.stats.framesSent;
    t1.send(Array.from({ length: 500 }, (_, i) => hb(1, 2, i)));
    await eventually('500 messages', () => h2.messages.length === 500);
    assert.deepEqual(h2.messages.map((m) => m.commit), Array.from({ length: 500 }, (_, i) => i));
    assert.equal(t1.stats.framesSent - frames, 1, 'one frame for the batch');
    await assert.rejects(t1.rpc(2, 'refuse', Buffer.alloc(0), 2000), (e) => e instanceof RemoteError && e.code === 'not-leader');
    await assert.rejects(t1.rpc(2, 'store-error', Buffer.alloc(0), 2000), (e) => e instanceof RemoteError && e.storeCode === 'lease-not-found');
  } finally {
    await t1.close();
    await t2.close();
  }
});

test('a peer that is down: drops are reported, RPCs fail as not sent, and it reconnects once up', async () => {
  const [p1, p2] = await freePorts(2);
  const h1 = recorder();
  const t1 = await Transport.start({ id: 1, listen: `127.0.0.1:${p1}`, cluster: 'c', handler: h1 });
  let t2: Transport | undefined;
  try {
    t1.setPeer(2, `127.0.0.1:${p2}`);
    t1.send([hb(1, 2, 1)]);
    await eventually('unreachable reported', () => h1.unreachable.includes(2));
    await assert.rejects(t1.rpc(2, 'echo', Buffer.alloc(0), 300), (e) => e instanceof TransportError && !e.sent);
    const h2 = recorder();
    t2 = await Transport.start({ id: 2, listen: `127.0.0.1:${p2}`, cluster: 'c', handler: h2 });
    // Heartbeats keep coming, as Raft sends them every tick; one gets through after the backoff.
    await eventually('delivery after reconnect', () => {
      t1.send([hb(1, 2, 2)]);
      return h2.messages.length > 0;
    });
    // The peer goes away again: the connection breaks and is retried.
    await t2.close();
    h1.unreachable.length = 0;
    await eventually('unreachable again', () => {
      t1.send([hb(1, 2, 3)]);
      return h1.unreachable.includes(2);
    });
  } finally {
    await t1.close();
    await t2?.close();
  }
});

test('snapshots stream on their own connection with backpressure; failures reach the sender', async () => {
  const [p1, p2] = await freePorts(2);
  let refuse = false;
  const h2 = recorder();
  const onSnapshot = h2.onSnapshot;
  h2.onSnapshot = async (from, msg, chunks) => {
    if (refuse) throw new Error('no thanks');
    return onSnapshot(from, msg, chunks);
  };
  const t1 = await Transport.start({ id: 1, listen: `127.0.0.1:${p1}`, cluster: 'c', handler: recorder() });
  const t2 = await Transport.start({ id: 2, listen: `127.0.0.1:${p2}`, cluster: 'c', handler: h2 });
  try {
    t1.setPeer(2, `127.0.0.1:${p2}`);
    const msg: Message = {
      type: 'MsgSnap',
      from: 1,
      to: 2,
      term: 3,
      snapshot: { metadata: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array(0) },
    };
    const chunk = Buffer.alloc(1024 * 1024, 1);
    async function* chunks(n: number) {
      for (let i = 0; i < n; i++) yield chunk;
    }
    // Raft messages keep flowing while the snapshot streams.
    const sending = t1.sendSnapshot(2, msg, chunks(32));
    t1.send([hb(1, 2, 1)]);
    await eventually('heartbeat during the snapshot', () => h2.messages.length === 1);
    assert.equal(await sending, 32 * 1024 * 1024);
    assert.equal(h2.snapshots.length, 1);
    assert.equal(h2.snapshots[0]!.bytes, 32 * 1024 * 1024);
    assert.equal(h2.snapshots[0]!.msg.snapshot?.metadata.index, 10);
    refuse = true;
    await assert.rejects(t1.sendSnapshot(2, msg, chunks(2)), /no thanks/);
  } finally {
    await t1.close();
    await t2.close();
  }
});

test('connections from another cluster are refused', async () => {
  const [p1, p2] = await freePorts(2);
  const h2 = recorder();
  const h1 = recorder();
  const t1 = await Transport.start({ id: 1, listen: `127.0.0.1:${p1}`, cluster: 'a', handler: h1 });
  const t2 = await Transport.start({ id: 2, listen: `127.0.0.1:${p2}`, cluster: 'b', handler: h2 });
  try {
    t1.setPeer(2, `127.0.0.1:${p2}`);
    t1.send([hb(1, 2, 1)]);
    await eventually('connection refused', () => h1.unreachable.includes(2));
    await sleep(100);
    assert.equal(h2.messages.length, 0);
  } finally {
    await t1.close();
    await t2.close();
  }
});
