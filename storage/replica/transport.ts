// The peer transport: Raft messages, small RPCs and snapshot streams between replicas, as
// length-prefixed frames over TCP.
//
//   frame := length(u32 BE, of what follows) type(u8) payload
//
// Each replica keeps one outbound connection per peer and sends on it: batches of Raft
// messages (every message queued in the same event-loop turn goes out in one frame) and
// RPC requests, whose responses come back on the same socket. A snapshot travels on a
// dedicated connection of its own, so that heartbeats keep flowing while it streams.
// Failures never block Raft: messages to a peer that is down are dropped and reported
// (`onUnreachable`), and the connection is retried with exponential backoff.
import net from 'node:net';
import type { Message } from '../raft/types.ts';
import { CodecError, Reader, Writer, decodeMessage, decodeMessages, encodeMessage, writeMessage } from './codec.ts';

const F_HELLO = 1;
const F_MSGS = 2;
const F_RPC_REQ = 3;
const F_RPC_RESP = 4;
const F_SNAP_BEGIN = 5;
const F_SNAP_CHUNK = 6;
const F_SNAP_END = 7;
const F_SNAP_ACK = 8;

/** Largest frame accepted from a peer. */
const MAX_FRAME = 64 * 1024 * 1024;
/** Bytes of Raft messages packed into one frame. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Above this many unsent bytes on a peer's socket, new messages to it are dropped. */
const MAX_BUFFERED = 32 * 1024 * 1024;
/** Received snapshot bytes not yet consumed above which reading pauses. */
const SNAP_HIGH_WATER = 8 * 1024 * 1024;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;

export interface TransportHandler {
  /** Raft messages from a peer, in the order it sent them. */
  onMessages(msgs: Message[]): void;
  /** An RPC from a peer; the returned bytes (or the thrown error) are its answer. */
  onRpc(from: number, method: string, payload: Buffer): Promise<Buffer>;
  /**
   * A MsgSnap (metadata only) followed by the state machine image as a stream of chunks.
   * Resolve once the image is stored and the message stepped; the sender learns the outcome.
   */
  onSnapshot(from: number, msg: Message, chunks: AsyncIterable<Buffer>): Promise<void>;
  /** Messages to `id` were dropped because it cannot be reached. */
  onUnreachable(id: number): void;
  /** A peer told us where it listens (lets a joining member answer the leader). */
  onPeerAddress?(id: number, addr: string): void;
}

export interface TransportOptions {
  id: number;
  /** host:port to listen on. */
  listen: string;
  /** host:port peers reach us at (default `listen`). */
  advertise?: string;
  /** Connections between different clusters are refused. */
  cluster: string;
  handler: TransportHandler;
  log?: (err: unknown, msg: string) => void;
}

/** An RPC that the peer answered with an error. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  constructor(
    readonly code: string,
    message: string,
    /** The StoreError code when the remote error was a StoreError. */
    readonly storeCode?: string,
  ) {
    super(message);
  }
}

/** The peer could not be reached, or the connection broke before the answer arrived. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    /** Whether the request may have reached the peer (false: surely not). */
    readonly sent = true,
  ) {
    super(message);
  }
}

export interface TransportStats {
  framesSent: number;
  messagesSent: number;
  bytesSent: number;
  messagesDropped: number;
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr);
  if (!m) throw new Error(`bad address '${addr}' (want host:port)`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

function frame(type: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + payload.byteLength);
  b.writeUInt32BE(payload.byteLength + 1, 0);
  b[4] = type;
  b.set(payload, 5);
  return b;
}

/** Splits a byte stream into frames. */
class FrameParser {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(data: Buffer): void {
    this.chunks.push(data);
    this.bytes += data.length;
    while (this.bytes >= 4) {
      const head = this.peek(4);
      const len = head.readUInt32BE(0);
      if (len < 1 || len > MAX_FRAME) throw new CodecError(`bad frame length ${len}`);
      if (this.bytes < 4 + len) return;
      const all = this.take(4 + len);
      this.onFrame(all[4]!, all.subarray(5));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const b = Buffer.concat(this.chunks);
    this.chunks = [b];
    return b;
  }

  private take(n: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length < n) {
      first = Buffer.concat(this.chunks);
      this.chunks = [first];
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.bytes -= n;
    return out;
  }
}

/** Chunks received on a snapshot connection, consumed as an async iterable, with backpressure. */
class ChunkQueue implements AsyncIterable<Buffer> {
  private items: Buffer[] = [];
  private bytes = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly onHigh: () => void,
    private readonly onLow: () => void,
  ) {}

  push(b: Buffer): void {
    this.items.push(b);
    this.bytes += b.length;
    if (this.bytes > SNAP_HIGH_WATER) this.onHigh();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(e: Error): void {
    this.error ??= e;
    this.notify();
  }

  get finished(): boolean {
    return this.ended || this.error !== undefined;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.error) throw this.error;
      const b = this.items.shift();
      if (b) {
        const wasHigh = this.bytes > SNAP_HIGH_WATER;
        this.bytes -= b.length;
        if (wasHigh && this.bytes <= SNAP_HIGH_WATER) this.onLow();
        yield b;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

interface PendingRpc {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The outbound side of one peer. */
class Peer {
  socket: net.Socket | undefined;
  connected = false;
  queue: Message[] = [];
  flushScheduled = false;
  backoffMs = 0;
  retryAt = 0;
  connectedAt = 0;
  readonly rpcs = new Map<number, PendingRpc>();
  connectWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(
    readonly id: number,
    public addr: string,
  ) {}
}

export class Transport {
  private readonly server: net.Server;
  private readonly peers = new Map<number, Peer>();
  private readonly inbound = new Set<net.Socket>();
  private readonly outboundSnapshots = new Set<net.Socket>();
  private nextCallId = 1;
  private closed = false;
  readonly stats: TransportStats = { framesSent: 0, messagesSent: 0, bytesSent: 0, messagesDropped: 0 };
  private readonly log: (err: unknown, msg: string) => void;

  private constructor(private readonly options: TransportOptions) {
    this.log = options.log ?? (() => undefined);
    this.server = net.createServer((s) => this.accept(s));
  }

  static async start(options: TransportOptions): Promise<Transport> {
    const t = new Transport(options);
    const { host, port } = parseAddr(options.listen);
    await new Promise<void>((resolve, reject) => {
      t.server.once('error', reject);
      t.server.listen(port, host, () => {
        t.server.off('error', reject);
        resolve();
      });
    });
    t.server.on('error', (e) => t.log(e, 'transport: server error'));
    return t;
  }

  /** The address the server actually listens on (useful with port 0). */
  get address(): string {
    const a = this.server.address();
    if (a && typeof a === 'object') return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    return this.options.listen;
  }

  private get advertise(): string {
    return this.options.advertise ?? this.options.listen;
  }

  // ---- peers ----

  setPeer(id: number, addr: string): void {
    if (id === this.options.id) return;
    const p = this.peers.get(id);
    if (!p) {
      this.peers.set(id, new Peer(id, addr));
      return;
    }
    if (p.addr === addr) return;
    p.addr = addr;
    p.socket?.destroy();
  }

  removePeer(id: number): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    p.socket?.destroy();
    this.failPeer(p, new TransportError(`peer ${id} was removed`));
  }

  hasPeer(id: number): boolean {
    return this.peers.has(id);
  }

  peerAddr(id: number): string | undefined {
    return this.peers.get(id)?.addr;
  }

  // ---- raft messages ----

  /** Queues messages; each peer's messages of this turn go out together in one frame. */
  send(msgs: readonly Message[]): void {
    if (this.closed) return;
    const unreachable = new Set<number>();
    for (const m of msgs) {
      const p = this.peers.get(m.to);
      if (!p || (!p.connected && !this.ensureConnect(p))) {
        this.stats.messagesDropped++;
        unreachable.add(m.to);
        continue;
      }
      p.queue.push(m);
      if (!p.flushScheduled && p.connected) {
        p.flushScheduled = true;
        setImmediate(() => this.flush(p));
      }
    }
    for (const id of unreachable) this.options.handler.onUnreachable(id);
  }

  private flush(p: Peer): void {
    p.flushScheduled = false;
    if (!p.connected || !p.socket || p.queue.length === 0) return;
    const msgs = p.queue;
    p.queue = [];
    if (p.socket.writableLength > MAX_BUFFERED) {
      this.stats.messagesDropped += msgs.length;
      this.options.handler.onUnreachable(p.id);
      return;
    }
    let w = new Writer(4096);
    let n = 0;
    const out = (): void => {
      if (n === 0) return;
      const body = w.finish();
      const head = new Writer(8).uvarint(n).finish();
      const payload = Buffer.concat([head, body]);
      p.socket!.write(frame(F_MSGS, payload));
      this.stats.framesSent++;
      this.stats.bytesSent += payload.length + 5;
      w = new Writer(4096);
      n = 0;
    };
    for (const m of msgs) {
      writeMessage(w, m);
      n++;
      this.stats.messagesSent++;
      if (w.length >= BATCH_BYTES) out();
    }
    out();
  }

  // ---- connections ----

  /** Starts connecting unless backing off; returns whether messages may be queued. */
  private ensureConnect(p: Peer): boolean {
    if (p.socket) return true; // connecting
    if (Date.now() < p.retryAt) return false;
    const { host, port } = parseAddr(p.addr);
    const s = net.connect({ host, port });
    p.socket = s;
    s.setNoDelay(true);
    const timer = setTimeout(() => s.destroy(new TransportError(`connect to ${p.addr} timed out`)), CONNECT_TIMEOUT_MS);
    const parser = new FrameParser((type, payload) => this.onOutboundFrame(p, type, payload));
    s.on('connect', () => {
      clearTimeout(timer);
      if (p.socket !== s) return;
      s.setKeepAlive(true, 5000);
      s.write(frame(F_HELLO, this.hello(p.id, 'raft')));
      p.connected = true;
      p.connectedAt = Date.now();
      for (const w of p.connectWaiters.splice(0)) w.resolve();
      if (p.queue.length > 0) this.flush(p);
    });
    s.on('data', (d: Buffer) => {
      try {
        parser.push(d);
      } catch (e) {
        this.log(e, `transport: bad frame from peer ${p.id}`);
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      if (p.socket !== s) return;
      p.socket = undefined;
      const wasConnected = p.connected;
      p.connected = false;
      // A connection that lived a while starts the backoff over; one refused at once (a
      // peer that is down, or one that rejects our hello) backs off further each time.
      const lived = wasConnected && Date.now() - p.connectedAt > 1000;
      p.backoffMs = lived ? BACKOFF_MIN_MS : Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, p.backoffMs * 2));
      p.retryAt = Date.now() + p.backoffMs;
      // Messages written to a connection that broke may be lost: tell Raft.
      if (wasConnected && p.queue.length === 0 && !this.closed) this.options.handler.onUnreachable(p.id);
      this.failPeer(p, new TransportError(`connection to peer ${p.id} (${p.addr}) closed`));
    });
    return true;
  }

  private failPeer(p: Peer, e: Error): void {
    if (p.queue.length > 0) {
      this.stats.messagesDropped += p.queue.length;
      p.queue = [];
      if (!this.closed) this.options.handler.onUnreachable(p.id);
    }
    for (const [id, rpc] of p.rpcs) {
      clearTimeout(rpc.timer);
      rpc.reject(e);
      p.rpcs.delete(id);
    }
    for (const w of p.connectWaiters.splice(0)) w.reject(e);
  }

  private hello(to: number, kind: 'raft' | 'snapshot'): Buffer {
    return Buffer.from(JSON.stringify({ cluster: this.options.cluster, from: this.options.id, to, addr: this.advertise, kind }));
  }

  private onOutboundFrame(p: Peer, type: number, payload: Buffer): void {
    if (type !== F_RPC_RESP) return;
    const r = new Reader(payload);
    const callId = r.uvarint();
    const ok = r.u8() === 1;
    const body = r.rest();
    const rpc = p.rpcs.get(callId);
    if (!rpc) return;
    p.rpcs.delete(callId);
    clearTimeout(rpc.timer);
    if (ok) {
      rpc.resolve(body);
    } else {
      let err: { code?: string; message?: string; storeCode?: string } = {};
      try {
        err = JSON.parse(body.toString('utf8'));
      } catch {
        // keep the defaults
      }
      rpc.reject(new RemoteError(err.code ?? 'error', err.message ?? 'remote error', err.storeCode));
    }
  }

  private async connected(p: Peer, deadline: number): Promise<void> {
    if (p.connected) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new TransportError(`peer ${p.id} is not reachable`);
    if (!p.socket && Date.now() < p.retryAt) {
      await new Promise((r) => setTimeout(r, Math.min(left, p.retryAt - Date.now())));
      return this.connected(p, deadline);
    }
    if (!this.ensureConnect(p)) throw new TransportError(`peer ${p.id} is not reachable`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TransportError(`peer ${p.id} is not reachable`)), left);
      p.connectWaiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  // ---- RPC ----

  /**
   * Calls `method` on peer `to`. Rejects with RemoteError when the peer answered with an
   * error, TransportError when it could not be reached or the connection broke (the call
   * may or may not have run), or a timeout TransportError.
   */
  async rpc(to: number, method: string, payload: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.closed) throw new TransportError('transport is closed', false);
    const p = this.peers.get(to);
    if (!p) throw new TransportError(`unknown peer ${to}`, false);
    const deadline = Date.now() + timeoutMs;
    try {
      await this.connected(p, deadline);
    } catch (e) {
      throw new TransportError((e as Error).message, false);
    }
    const callId = this.nextCallId++;
    const w = new Writer(payload.byteLength + 32).uvarint(callId).string(method).raw(payload);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          p.rpcs.delete(callId);
          reject(new TransportError(`rpc ${method} to peer ${to} timed out`));
        },
        Math.max(1, deadline - Date.now()),
      );
      p.rpcs.set(callId, { resolve, reject, timer });
      if (!p.socket || !p.connected) {
        p.rpcs.delete(callId);
        clearTimeout(timer);
        reject(new TransportError(`peer ${to} is not reachable`, false));
        return;
      }
      p.socket.write(frame(F_RPC_REQ, w.finish()));
    });
  }

  // ---- snapshots ----

  /**
   * Streams a snapshot to `to` on a connection of its own: the MsgSnap (metadata only),
   * then `chunks`. Resolves once the receiver has stored it and stepped the message.
   */
  async sendSnapshot(to: number, msg: Message, chunks: AsyncIterable<Buffer>, timeoutMs = 10 * 60 * 1000): Promise<number> {
    const p = this.peers.get(to);
    if (!p) throw new TransportError(`unknown peer ${to}`);
    const { host, port } = parseAddr(p.addr);
    const s = net.connect({ host, port });
    this.outboundSnapshots.add(s);
    s.setNoDelay(true);
    let bytes = 0;
    let failure: Error | undefined;
    let ack: ((ok: boolean, why: string) => void) | undefined;
    const acked = new Promise<void>((resolve, reject) => {
      ack = (ok, why) => (ok ? resolve() : reject(new RemoteError('snapshot', `peer ${to} refused the snapshot: ${why}`)));
      s.on('close', () => reject(failure ?? new TransportError(`snapshot connection to peer ${to} closed`)));
    });
    acked.catch(() => undefined);
    const parser = new FrameParser((type, payload) => {
      if (type !== F_SNAP_ACK) return;
      const r = new Reader(payload);
      const ok = r.u8() === 1;
      ack?.(ok, r.done ? '' : r.string());
    });
    s.on('data', (d: Buffer) => {
      try {
        parser.push(d);
      } catch (e) {
        failure = e as Error;
        s.destroy();
      }
    });
    s.on('error', (e) => (failure ??= e));
    const timer = setTimeout(() => {
      failure ??= new TransportError(`snapshot to peer ${to} timed out`);
      s.destroy();
    }, timeoutMs);
    const drainOrClose = () =>
      new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          s.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          s.off('drain', onDrain);
          reject(failure ?? new TransportError(`snapshot connection to peer ${to} closed`));
        };
        s.once('drain', onDrain);
        s.once('close', onClose);
      });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve);
        s.once('close', () => reject(failure ?? new TransportError(`cannot connect to peer ${to} (${p.addr})`)));
      });
      s.write(frame(F_HELLO, this.hello(to, 'snapshot')));
      s.write(frame(F_SNAP_BEGIN, encodeMessage(msg)));
      for await (const chunk of chunks) {
        if (s.destroyed) throw failure ?? new TransportError(`snapshot connection to peer ${to} closed`);
        bytes += chunk.length;
        if (!s.write(frame(F_SNAP_CHUNK, chunk))) await drainOrClose();
      }
      s.write(frame(F_SNAP_END, Buffer.alloc(0)));
      await acked;
      return bytes;
    } finally {
      clearTimeout(timer);
      s.destroy();
      this.outboundSnapshots.delete(s);
    }
  }

  // ---- inbound ----

  private accept(s: net.Socket): void {
    if (this.closed) {
      s.destroy();
      return;
    }
    this.inbound.add(s);
    s.setNoDelay(true);
    let from = 0;
    let snapshot: ChunkQueue | undefined;
    const parser = new FrameParser((type, payload) => {
      if (from === 0) {
        if (type !== F_HELLO) throw new CodecError('expected hello');
        const h = JSON.parse(payload.toString('utf8')) as { cluster?: string; from?: number; to?: number; addr?: string };
        if (h.cluster !== this.options.cluster || h.to !== this.options.id || typeof h.from !== 'number' || h.from <= 0) {
          throw new CodecError(`refusing connection: cluster '${h.cluster}' to ${h.to} (we are '${this.options.cluster}' ${this.options.id})`);
        }
        from = h.from;
        if (typeof h.addr === 'string' && this.options.handler.onPeerAddress) this.options.handler.onPeerAddress(from, h.addr);
        return;
      }
      switch (type) {
        case F_MSGS: {
          const msgs = decodeMessages(payload);
          this.options.handler.onMessages(msgs.filter((m) => m.to === this.options.id));
          return;
        }
        case F_RPC_REQ: {
          const r = new Reader(payload);
          const callId = r.uvarint();
          const method = r.string();
          const body = Buffer.from(r.rest());
          this.options.handler.onRpc(from, method, body).then(
            (res) => {
              if (!s.destroyed) s.write(frame(F_RPC_RESP, new Writer(res.length + 16).uvarint(callId).u8(1).raw(res).finish()));
            },
            (e: unknown) => {
              const err = e as { code?: unknown; message?: unknown; name?: unknown };
              const body = JSON.stringify({
                code: typeof err.code === 'string' ? err.code : 'error',
                message: typeof err.message === 'string' ? err.message : String(e),
                ...(err.name === 'StoreError' && typeof err.code === 'string' ? { storeCode: err.code } : {}),
              });
              if (!s.destroyed) s.write(frame(F_RPC_RESP, new Writer(body.length + 16).uvarint(callId).u8(0).raw(Buffer.from(body)).finish()));
            },
          );
          return;
        }
        case F_SNAP_BEGIN: {
          if (snapshot) throw new CodecError('second snapshot on one connection');
          const msg = decodeMessage(payload);
          const q = new ChunkQueue(
            () => s.pause(),
            () => s.resume(),
          );
          snapshot = q;
          this.options.handler.onSnapshot(from, msg, q).then(
            () => {
              if (!s.destroyed) s.end(frame(F_SNAP_ACK, new Writer(4).u8(1).finish()));
            },
            (e: unknown) => {
              q.fail(e instanceof Error ? e : new Error(String(e)));
              if (!s.destroyed) s.end(frame(F_SNAP_ACK, new Writer(64).u8(0).string(e instanceof Error ? e.message : String(e)).finish()));
            },
          );
          return;
        }
        case F_SNAP_CHUNK:
          if (!snapshot) throw new CodecError('snapshot chunk without a snapshot');
          snapshot.push(Buffer.from(payload));
          return;
        case F_SNAP_END:
          if (!snapshot) throw new CodecError('snapshot end without a snapshot');
          snapshot.end();
          return;
        default:
          return;
      }
    });
    s.on('data', (d: Buffer) => {
      try {
        parser.push(d);
      } catch (e) {
        this.log(e, 'transport: closing a bad inbound connection');
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      this.inbound.delete(s);
      if (snapshot && !snapshot.finished) snapshot.fail(new TransportError('snapshot stream broken'));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.peers.values()) {
      p.socket?.destroy();
      this.failPeer(p, new TransportError('transport is closed'));
    }
    for (const s of this.inbound) s.destroy();
    for (const s of this.outboundSnapshots) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
