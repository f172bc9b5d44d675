// exec/attach for SPDY clients (kubectl before 1.30, and later ones falling back): the client
// opens one SPDY stream per channel (error, stdin, stdout, stderr, resize; header streamType);
// once all it asked for exist they are bridged to the agent's v5.channel.k8s.io WebSocket.
// The exit status goes back on the error stream as JSON (v4, v5) or as its message (older).
import type { WebSocket } from 'ws';
import { channelProtocol, CLOSE, decodeFrame, encodeFrame, ERROR, RESIZE, STDERR, STDIN, STDOUT } from '../../lib/streams/channel.ts';
import { parseStatus, statusText } from '../../lib/streams/status.ts';
import { WsOutbox } from '../../lib/streams/ws-outbox.ts';
import { logger } from '../../lib/logger.ts';
import type { SpdySession, SpdyStream } from './spdy/session.ts';

const log = logger.child({ component: 'streams' });

/** What SPDY clients may speak, newest first (v5 over SPDY behaves as v4). */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** Upstream's streamCreationTimeout. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export const AGENT_PROTOCOL = channelProtocol('v5.channel.k8s.io');

export interface RequestedStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The stream types the client will open for these options under this protocol. */
export function expectedStreams(o: RequestedStreams, protocol: string): string[] {
  const version = channelProtocol(protocol).version;
  const types = ['error'];
  if (o.stdin) types.push('stdin');
  if (o.stdout) types.push('stdout');
  if (o.stderr && !o.tty) types.push('stderr');
  if (o.tty && version >= 3) types.push('resize');
  return types;
}

/** Splits the resize stream (JSON values one after another) into terminal sizes. */
export class ResizeDecoder {
  private text = '';

  push(chunk: Buffer): string[] {
    this.text += chunk.toString();
    const out: string[] = [];
    let depth = 0;
    let start = -1;
    let inString = false;
    for (let i = 0; i < this.text.length; i++) {
      const ch = this.text[i];
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') {
        if (depth++ === 0) start = i;
      } else if (ch === '}' && depth > 0 && --depth === 0) {
        out.push(this.text.slice(start, i + 1));
        this.text = this.text.slice(i + 1);
        i = -1;
      }
    }
    return out;
  }
}

/** Bridges a SPDY session to the agent's WebSocket (open and paused: it resumes once the streams exist). */
export function bridgeSpdyRemoteCommand(session: SpdySession, agent: WebSocket, protocol: string, o: RequestedStreams): void {
  const want = expectedStreams(o, protocol);
  const streams = new Map<string, SpdyStream>();
  const v4 = channelProtocol(protocol).version >= 4;
  const timer = setTimeout(() => {
    log.debug({ want, got: [...streams.keys()] }, 'timed out waiting for client to create streams');
    session.destroy();
  }, STREAM_CREATION_TIMEOUT_MS);
  session.once('close', () => {
    clearTimeout(timer);
    agent.terminate();
  });
  session.on('stream', (s) => {
    const type = s.headers.streamtype ?? '';
    if (!want.includes(type) || streams.has(type)) return s.reset();
    streams.set(type, s);
    if (streams.size === want.length) {
      clearTimeout(timer);
      start();
    }
  });

  function start(): void {
    const toAgent = new WsOutbox(agent);
    const send = (channel: number, data: Buffer, source?: SpdyStream) => {
      const f = encodeFrame(AGENT_PROTOCOL, channel, data);
      toAgent.send(f.payload, f.binary, source);
    };
    const stdin = streams.get('stdin');
    stdin?.on('data', (d: Buffer) => send(STDIN, d, stdin));
    stdin?.once('end', () => send(CLOSE, Buffer.from([STDIN])));
    const resize = streams.get('resize');
    if (resize) {
      const decoder = new ResizeDecoder();
      resize.on('data', (d: Buffer) => {
        for (const json of decoder.push(d)) send(RESIZE, Buffer.from(json));
      });
    }

    const outputs: Record<number, SpdyStream | undefined> = { [STDOUT]: streams.get('stdout'), [STDERR]: streams.get('stderr') };
    const error = streams.get('error')!;
    agent.on('message', (raw: Buffer) => {
      const f = decodeFrame(AGENT_PROTOCOL, raw);
      if (!f || f.data.length === 0) return;
      const out = outputs[f.channel];
      if (out) {
        if (!out.write(f.data)) {
          agent.pause();
          out.once('drain', () => agent.resume());
        }
      } else if (f.channel === ERROR) {
        const body = v4 ? f.data : Buffer.from(statusText(parseStatus(f.data.toString()) ?? { metadata: {}, status: 'Failure', message: f.data.toString() }));
        if (body.length) error.write(body);
      }
    });
    agent.once('close', () => {
      const writers = [...streams.values()].filter((s) => s.headers.streamtype !== 'stdin' && s.headers.streamtype !== 'resize');
      void Promise.all(writers.map((s) => new Promise<void>((resolve) => s.end(resolve)))).then(() => session.close());
    });
    agent.resume();
  }
}
