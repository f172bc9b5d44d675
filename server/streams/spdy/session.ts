// The server side of a SPDY/3.1 session over a byte stream (an upgraded socket, or a
// WebSocket tunnel): what kubectl's SPDY client (moby/spdystream) needs. Every stream the
// client opens is answered at once with a SYN_REPLY and handed out as a Duplex; the client's
// PINGs are echoed. spdystream does no flow control, so none is enforced here: backpressure
// is the transport's (a stream whose reader lags pauses reading from the connection).
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { logger } from '../../../lib/logger.ts';
import {
  dataFrame,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  GOAWAY,
  GOAWAY_OK,
  goAwayFrame,
  HEADERS,
  HeaderCompressor,
  HeaderDecompressor,
  parseHeaderBlock,
  parseSynStream,
  PING,
  pingFrame,
  RST_CANCEL,
  RST_PROTOCOL_ERROR,
  RST_REFUSED_STREAM,
  RST_STREAM,
  rstStreamFrame,
  SPDY_VERSION,
  SYN_REPLY,
  SYN_STREAM,
  synReplyFrame,
  type Frame,
} from './frames.ts';

const log = logger.child({ component: 'spdy' });

/** Largest data frame written (spdystream reads any size up to 16 MiB). */
const MAX_DATA = 32 * 1024;

export class SpdyStream extends Duplex {
  /** The client's FIN arrived. */
  remoteEnded = false;
  /** Reset by either side, or the session ended: writes are dropped. */
  isReset = false;
  private localEnded = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** Lower-case names, e.g. streamtype, port, requestid. */
    readonly headers: Record<string, string>,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    this.session.readerCaughtUp(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.isReset || this.localEnded || chunk.length === 0) return cb();
    this.session.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.isReset || this.localEnded) return cb();
    this.localEnded = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, cb);
    this.session.maybeForget(this);
  }

  /** Abandons the stream (RST_STREAM CANCEL). */
  reset(status = RST_CANCEL): void {
    if (this.isReset) return;
    this.session.send(rstStreamFrame(this.id, status));
    this.gone();
  }

  get bothEnded(): boolean {
    return this.isReset || (this.remoteEnded && this.localEnded);
  }

  /** @internal data from the client */
  received(data: Buffer, fin: boolean): void {
    if (this.remoteEnded) return;
    if (data.length > 0 && !this.push(data)) this.session.readerLags(this);
    if (fin) {
      this.remoteEnded = true;
      this.push(null);
      this.session.maybeForget(this);
    }
  }

  /** @internal the client reset the stream, or the session ended */
  gone(): void {
    if (this.isReset) return;
    this.isReset = true;
    if (!this.remoteEnded) {
      this.remoteEnded = true;
      this.push(null);
    }
    this.session.maybeForget(this);
    this.emit('reset');
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderDecompressor();
  private readonly deflater = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly lagging = new Set<SpdyStream>();
  private lastStreamId = 0;
  private queue: Promise<void> = Promise.resolve();
  private goneAway = false;
  private closed = false;

  constructor(private readonly io: Duplex) {
    super();
    io.setMaxListeners(0);
    io.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        log.debug({ err }, 'bad SPDY framing');
        return this.destroy();
      }
      for (const f of frames) this.queue = this.queue.then(() => this.handle(f));
      this.queue = this.queue.catch((err: Error) => {
        log.debug({ err }, 'SPDY protocol error');
        this.destroy();
      });
    });
    io.once('end', () => this.teardown());
    io.once('close', () => this.teardown());
    io.on('error', (err) => {
      log.debug({ err }, 'SPDY connection failed');
      this.teardown();
    });
    // A connection gone before the session began ends it at once (its 'close' came already).
    if (io.destroyed) queueMicrotask(() => this.teardown());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Says goodbye (GOAWAY) and ends the connection once everything written went out. */
  close(): void {
    if (this.closed) return;
    this.send(goAwayFrame(this.lastStreamId, GOAWAY_OK));
    this.io.end();
    this.teardown();
  }

  destroy(): void {
    this.io.destroy();
    this.teardown();
  }

  /** @internal */
  send(frame: Buffer): boolean {
    if (this.closed || this.io.destroyed || !this.io.writable) return true;
    return this.io.write(frame);
  }

  /** @internal data frames for a stream; cb once the connection took them (backpressure). */
  sendData(id: number, data: Buffer, fin: boolean, cb: () => void): void {
    let ok = true;
    let off = 0;
    do {
      const piece = data.subarray(off, off + MAX_DATA);
      off += piece.length;
      ok = this.send(dataFrame(id, fin && off >= data.length ? FLAG_FIN : 0, piece));
    } while (off < data.length);
    if (ok || this.closed) cb();
    else this.io.once('drain', cb);
  }

  /** @internal a stream's reader is behind: stop reading from the connection until it catches up. */
  readerLags(s: SpdyStream): void {
    this.lagging.add(s);
    this.io.pause();
  }

  /** @internal */
  readerCaughtUp(s: SpdyStream): void {
    if (this.lagging.delete(s) && this.lagging.size === 0 && !this.closed) this.io.resume();
  }

  /** @internal */
  maybeForget(s: SpdyStream): void {
    if (s.bothEnded) {
      this.streams.delete(s.id);
      this.readerCaughtUp(s);
    }
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      this.streams.get(f.streamId)?.received(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    if (f.version !== SPDY_VERSION) throw new Error(`SPDY version ${f.version} is not served`);
    switch (f.type) {
      case SYN_STREAM:
        return this.onSynStream(f.body, f.flags);
      case SYN_REPLY:
      case HEADERS:
        // Nothing to act on, but the header block moves the shared zlib stream on.
        if (f.body.length > 4) await this.inflater.inflate(f.body.subarray(4));
        return;
      case RST_STREAM:
        if (f.body.length >= 4) this.streams.get(f.body.readUInt32BE(0) & 0x7fffffff)?.gone();
        return;
      case PING:
        // Odd IDs are the client's: echo them; even ones would answer our own (we send none).
        if (f.body.length >= 4 && f.body.readUInt32BE(0) % 2 === 1) this.send(pingFrame(f.body.readUInt32BE(0)));
        return;
      case GOAWAY:
        this.goneAway = true;
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: nothing to do (no flow control, see above).
        return;
    }
  }

  private async onSynStream(body: Buffer, flags: number): Promise<void> {
    const syn = parseSynStream(body);
    const headers = parseHeaderBlock(await this.inflater.inflate(syn.block));
    if (syn.streamId % 2 === 0 || syn.streamId <= this.lastStreamId) {
      this.send(rstStreamFrame(syn.streamId, RST_PROTOCOL_ERROR));
      return;
    }
    this.lastStreamId = syn.streamId;
    if (this.goneAway) {
      this.send(rstStreamFrame(syn.streamId, RST_REFUSED_STREAM));
      return;
    }
    const s = new SpdyStream(this, syn.streamId, headers);
    this.streams.set(s.id, s);
    this.send(synReplyFrame(s.id, 0, this.deflater.block(encodeHeaderBlock([]))));
    if (flags & FLAG_FIN) s.received(Buffer.alloc(0), true);
    this.emit('stream', s);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.gone();
    this.streams.clear();
    this.inflater.close();
    this.emit('close');
  }
}
