// A SPDY/3.1 client for tests, doing what kubectl's (moby/spdystream) does on the wire: header
// blocks compressed as Go's compress/zlib does (best compression, the dictionary, a sync flush
// per block), odd stream IDs, odd PING IDs.
import type { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { controlFrame, dataFrame, encodeHeaderBlock, FLAG_FIN, FrameReader, parseHeaderBlock, pingFrame, rstStreamFrame, SYN_STREAM, type Frame, type HeaderList } from './frames.ts';

/** One zlib stream through which blocks pass in order, each sync-flushed. */
function zlibBlocks(z: ReturnType<typeof createDeflate> | ReturnType<typeof createInflate>): (block: Buffer) => Promise<Buffer> {
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  return (block) =>
    new Promise((resolve) => {
      z.write(block);
      z.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
    });
}

export const clientCompressor = () => zlibBlocks(createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 }));

export class SpdyTestClient {
  private readonly reader = new FrameReader();
  private readonly frames: Frame[] = [];
  private readonly waiting: ((f: Frame) => void)[] = [];
  private readonly compress = clientCompressor();
  private readonly decompress = zlibBlocks(createInflate({ dictionary: SPDY3_DICTIONARY }));

  constructor(readonly io: Duplex) {
    io.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) {
        const w = this.waiting.shift();
        if (w) w(f);
        else this.frames.push(f);
      }
    });
  }

  /** The next frame from the server. */
  next(): Promise<Frame> {
    const f = this.frames.shift();
    return f ? Promise.resolve(f) : new Promise((resolve) => this.waiting.push(resolve));
  }

  async synStream(id: number, headers: HeaderList, fin = false): Promise<void> {
    const ids = Buffer.alloc(10);
    ids.writeUInt32BE(id, 0);
    const block = await this.compress(encodeHeaderBlock(headers));
    this.io.write(controlFrame(SYN_STREAM, fin ? FLAG_FIN : 0, Buffer.concat([ids, block])));
  }

  data(id: number, data: Buffer | string, fin = false): void {
    this.io.write(dataFrame(id, fin ? FLAG_FIN : 0, Buffer.from(data)));
  }

  ping(id: number): void {
    this.io.write(pingFrame(id));
  }

  rst(id: number, status: number): void {
    this.io.write(rstStreamFrame(id, status));
  }

  /** The headers of a SYN_REPLY frame (decoded in the shared zlib stream). */
  async replyHeaders(f: Frame): Promise<Record<string, string>> {
    if (!f.control) throw new Error('not a control frame');
    return parseHeaderBlock(await this.decompress(f.body.subarray(4)));
  }
}
