// Container logs in the CRI file format the kubelet reads (`<time> <stream> <F|P> <text>`,
// one line each; P marks a fragment continued by the next line), and reading them back with
// the kubelet's options: sinceTime, tailLines, timestamps, limitBytes and follow. A runtime
// that writes its containers' output with CriLogWriter serves logs with readCriLog.
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { LogOptions } from './types.ts';

export type LogStream = 'stdout' | 'stderr';

/** containerd's limit: longer lines are split into P fragments. */
const MAX_LINE = 16 * 1024;

/** RFC 3339 with nine fractional digits, as the kubelet prints timestamps (RFC3339NanoFixed). */
export function rfc3339NanoFixed(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Appends a container's stdout and stderr to a CRI log file, line by line. */
export class CriLogWriter {
  private readonly out: WriteStream;
  private readonly pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  constructor(
    path: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.out = createWriteStream(path, { flags: 'a' });
  }

  write(stream: LogStream, chunk: Buffer): void {
    let buf = Buffer.concat([this.pending[stream], chunk]);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      this.line(stream, buf.subarray(0, nl), 'F');
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > MAX_LINE) {
      this.line(stream, buf.subarray(0, MAX_LINE), 'P');
      buf = buf.subarray(MAX_LINE);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** Writes what is left without a newline as fragments, then closes the file. */
  end(): Promise<void> {
    for (const s of ['stdout', 'stderr'] as const) if (this.pending[s].length) this.line(s, this.pending[s], 'P');
    return new Promise((resolve) => this.out.end(resolve));
  }

  private line(stream: LogStream, text: Buffer, tag: 'F' | 'P'): void {
    this.out.write(Buffer.concat([Buffer.from(`${rfc3339NanoFixed(this.now())} ${stream} ${tag} `), text, Buffer.from('\n')]));
  }
}

interface Entry {
  /** As written (RFC 3339, any precision). */
  time: string;
  ms: number;
  full: boolean;
  text: Buffer;
}

/** One CRI line; undefined when it is not one. */
export function parseCriLine(line: Buffer): Entry | undefined {
  const a = line.indexOf(32);
  const b = a < 0 ? -1 : line.indexOf(32, a + 1);
  const c = b < 0 ? -1 : line.indexOf(32, b + 1);
  if (c < 0 && !(b > 0 && line.length === b + 2)) return undefined;
  const time = line.subarray(0, a).toString();
  const tag = line.subarray(b + 1, b + 2).toString();
  const ms = Date.parse(time);
  if (Number.isNaN(ms) || (tag !== 'F' && tag !== 'P')) return undefined;
  return { time, ms, full: tag === 'F', text: c < 0 ? Buffer.alloc(0) : line.subarray(c + 1) };
}

/** The kubelet's output timestamp: nine fractional digits whatever the file has. */
function fixedTime(time: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}` : time;
}

/** The last n entries: the kubelet's tail counts the file's lines, fragments included. */
export function tailEntries<T>(entries: T[], n: number): T[] {
  return n <= 0 ? [] : entries.slice(Math.max(0, entries.length - n));
}

/** Renders entries as `kubectl logs` prints them, tracking whether the next one starts a line. */
class Renderer {
  private atLineStart = true;
  private budget: number;

  constructor(private readonly o: LogOptions) {
    this.budget = o.limitBytes ?? Infinity;
  }

  get exhausted(): boolean {
    return this.budget <= 0;
  }

  render(entries: Entry[]): Buffer {
    const parts: Buffer[] = [];
    for (const e of entries) {
      if (this.o.sinceTime && e.ms < this.o.sinceTime.getTime()) continue;
      if (this.o.timestamps && this.atLineStart) parts.push(Buffer.from(fixedTime(e.time) + ' '));
      parts.push(e.text);
      if (e.full) parts.push(Buffer.from('\n'));
      this.atLineStart = e.full;
    }
    let out = Buffer.concat(parts);
    if (out.length > this.budget) out = out.subarray(0, this.budget);
    this.budget -= out.length;
    return out;
  }
}

/** Reads a file from an offset; ENOENT reads as empty (nothing logged yet). */
async function readFrom(path: string, offset: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface FollowOptions {
  /** Whether the container still runs: following ends once it stopped and everything is read. */
  running: () => boolean;
  pollMs?: number;
}

/** The log at `path` as the options select it; with follow, new lines until the container stopped. */
export function readCriLog(path: string, o: LogOptions, follow?: FollowOptions): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    const renderer = new Renderer(o);
    let offset = 0;
    let carry: Buffer = Buffer.alloc(0);
    const next = async (): Promise<Entry[]> => {
      const chunk = await readFrom(path, offset);
      offset += chunk.length;
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const end = buf.lastIndexOf(10);
      carry = Buffer.from(buf.subarray(end + 1));
      const entries: Entry[] = [];
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0 && nl <= end; nl = buf.indexOf(10, start)) {
        const e = parseCriLine(buf.subarray(start, nl));
        if (e) entries.push(e);
        start = nl + 1;
      }
      return entries;
    };
    let entries = await next();
    if (o.tailLines !== undefined) entries = tailEntries(entries, o.tailLines);
    const first = renderer.render(entries);
    if (first.length) yield first;
    if (!o.follow || !follow) return;
    for (;;) {
      if (renderer.exhausted) return;
      const wasRunning = follow.running();
      const more = renderer.render(await next());
      if (more.length) yield more;
      else if (!wasRunning) return;
      else await new Promise((r) => setTimeout(r, follow.pollMs ?? 200));
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
