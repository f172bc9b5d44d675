// SPDY/3.1 framing (draft 3.1, section 2.2): data and control frames, header blocks and their
// zlib compression with the SPDY/3 dictionary (one zlib stream per direction per session).
// Outgoing header blocks are zlib "stored" blocks: a valid stream every inflater reads, made
// synchronously; incoming ones (Go's compress/zlib at best compression) go through zlib.
import { constants, createInflate, type Inflate } from 'node:zlib';
import { adler32, SPDY3_DICTIONARY } from './dictionary.ts';

export const SPDY_VERSION = 3;

export const SYN_STREAM = 1;
export const SYN_REPLY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const HEADERS = 8;
export const WINDOW_UPDATE = 9;

export const FLAG_FIN = 0x01;

/** RST_STREAM status codes. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;

/** GOAWAY status codes. */
export const GOAWAY_OK = 0;

export type Frame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; version: number; type: number; flags: number; body: Buffer };

/** Splits a byte stream into frames, however the bytes arrive. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const length = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + length) break;
      const flags = this.buf[4]!;
      const payload = this.buf.subarray(8, 8 + length);
      if (this.buf[0]! & 0x80) frames.push({ control: true, version: this.buf.readUInt16BE(0) & 0x7fff, type: this.buf.readUInt16BE(2), flags, body: payload });
      else frames.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data: payload });
      this.buf = this.buf.subarray(8 + length);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return frames;
  }
}

function header(first: number, second: number, flags: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(first, 0);
  h.writeUInt16BE(second, 2);
  h[4] = flags;
  h.writeUIntBE(length, 5, 3);
  return h;
}

export function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([header(0x8000 | SPDY_VERSION, type, flags, body.length), body]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = header((streamId >>> 16) & 0x7fff, streamId & 0xffff, flags, data.length);
  return Buffer.concat([h, data]);
}

const u32 = (...values: number[]) => {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
};

export const synReplyFrame = (streamId: number, flags: number, block: Buffer) => controlFrame(SYN_REPLY, flags, Buffer.concat([u32(streamId & 0x7fffffff), block]));
export const rstStreamFrame = (streamId: number, status: number) => controlFrame(RST_STREAM, 0, u32(streamId & 0x7fffffff, status));
export const pingFrame = (id: number) => controlFrame(PING, 0, u32(id));
export const goAwayFrame = (lastGoodStreamId: number, status: number) => controlFrame(GOAWAY, 0, u32(lastGoodStreamId & 0x7fffffff, status));

/** A SYN_STREAM's fields; the header block stays compressed. */
export function parseSynStream(body: Buffer): { streamId: number; associatedId: number; priority: number; block: Buffer } {
  if (body.length < 10) throw new Error('SYN_STREAM too short');
  return { streamId: body.readUInt32BE(0) & 0x7fffffff, associatedId: body.readUInt32BE(4) & 0x7fffffff, priority: body[8]! >> 5, block: body.subarray(10) };
}

export type HeaderList = [string, string][];

/** An uncompressed header block: a count, then length-prefixed names and values (values NUL-joined). */
export function encodeHeaderBlock(headers: HeaderList): Buffer {
  const parts: Buffer[] = [u32(headers.length)];
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Header names are lower case on the wire; a name's several values stay NUL-separated. */
export function parseHeaderBlock(raw: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  const take = () => {
    if (off + 4 > raw.length) throw new Error('header block truncated');
    const len = raw.readUInt32BE(off);
    off += 4;
    if (off + len > raw.length) throw new Error('header block truncated');
    const s = raw.subarray(off, off + len).toString();
    off += len;
    return s;
  };
  if (raw.length < 4) throw new Error('header block truncated');
  const count = raw.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    out[name] = take();
  }
  return out;
}

/** This side's header compression: the zlib header naming the dictionary, then stored blocks, each block sync-flushed. */
export class HeaderCompressor {
  private started = false;

  block(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0xBB (FDICT set, check bits), then the DICTID.
      parts.push(Buffer.from([0x78, 0xbb]), u32(adler32(SPDY3_DICTIONARY)));
    }
    let off = 0;
    do {
      const piece = raw.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      h[0] = 0; // BFINAL 0, BTYPE 00: a stored block, byte-aligned like a sync flush
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(h, piece);
      off += piece.length;
    } while (off < raw.length);
    // An empty stored block ends it, as a sync flush does: a reader (Go's flate) hands the data
    // over at this marker instead of reading on into the next frame.
    parts.push(Buffer.from([0, 0, 0, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}

/** The peer's header compression, one zlib stream for the whole session. Calls must not overlap. */
export class HeaderDecompressor {
  private readonly z: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private out: Buffer[] = [];
  private failure?: Error;

  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (err: Error) => (this.failure = err));
  }

  inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.z.write(block);
      // Everything the block inflates to is emitted before the flush completes.
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const result = Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  close(): void {
    this.z.close();
  }
}
