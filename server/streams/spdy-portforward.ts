// Port-forward for SPDY clients (kubectl's SPDY sessions, directly or tunnelled in a
// WebSocket): each forwarded connection is a pair of streams (streamType error and data, same
// requestID and port header); each pair gets its own WebSocket to the agent's /portForward,
// whose data channel feeds the data stream and whose error channel the error stream.
import type { WebSocket } from 'ws';
import { channelProtocol, CLOSE, decodeFrame, encodeFrame } from '../../lib/streams/channel.ts';
import { WsOutbox } from '../../lib/streams/ws-outbox.ts';
import type { SpdySession, SpdyStream } from './spdy/session.ts';

const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** The agent link: one port per WebSocket, data on channel 0, errors on 1. */
export const PORT_FORWARD_AGENT_PROTOCOL = channelProtocol('v4.channel.k8s.io');

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** upstream's pairing key; clients without requestID get one from the stream IDs (error n, data n+2). */
export function requestIdOf(s: SpdyStream): string {
  return s.headers.requestid ?? String(s.headers.streamtype === 'error' ? s.id : s.id - 2);
}

/** `connect` opens a paused WebSocket to the agent for one port. */
export function bridgeSpdyPortForward(session: SpdySession, podName: string, connect: (port: number) => Promise<WebSocket>): void {
  const pairs = new Map<string, Pair>();
  const sockets = new Set<WebSocket>();
  session.once('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    for (const ws of sockets) ws.terminate();
  });
  session.on('stream', (s) => {
    const type = s.headers.streamtype;
    if (type !== 'data' && type !== 'error') return s.reset();
    const id = requestIdOf(s);
    let p = pairs.get(id);
    if (!p) {
      const timer = setTimeout(() => {
        pairs.delete(id);
        p?.data?.reset();
        p?.error?.reset();
      }, STREAM_CREATION_TIMEOUT_MS);
      p = { timer };
      pairs.set(id, p);
    }
    if (p[type]) return s.reset();
    p[type] = s;
    if (p.data && p.error) {
      clearTimeout(p.timer);
      pairs.delete(id);
      void forward(p.data, p.error);
    }
  });

  async function forward(data: SpdyStream, error: SpdyStream): Promise<void> {
    const portText = data.headers.port ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    const fail = (message: string) => {
      error.end(message);
      data.end();
    };
    if (!(port >= 1 && port <= 65535)) return fail(`invalid port ${JSON.stringify(portText)}`);
    let ws: WebSocket;
    try {
      ws = await connect(port);
    } catch (err) {
      return fail(`error forwarding port ${port} to pod ${podName}: ${(err as Error).message}`);
    }
    if (session.isClosed || data.isReset) return void ws.close();
    sockets.add(ws);
    const toAgent = new WsOutbox(ws);
    const send = (channel: number, payload: Buffer, source?: SpdyStream) => {
      const f = encodeFrame(PORT_FORWARD_AGENT_PROTOCOL, channel, payload);
      toAgent.send(f.payload, f.binary, source);
    };
    // Each channel starts with the port as two bytes, which is not forwarded.
    const prefix = [2, 2];
    ws.on('message', (raw: Buffer) => {
      const f = decodeFrame(PORT_FORWARD_AGENT_PROTOCOL, raw);
      if (!f || f.channel > 1) return;
      const skip = Math.min(prefix[f.channel]!, f.data.length);
      prefix[f.channel]! -= skip;
      const payload = f.data.subarray(skip);
      if (payload.length === 0) return;
      const target = f.channel === 0 ? data : error;
      if (!target.write(payload)) {
        ws.pause();
        target.once('drain', () => ws.resume());
      }
    });
    ws.once('close', () => {
      sockets.delete(ws);
      data.end();
      error.end();
    });
    data.on('data', (chunk: Buffer) => send(0, chunk, data));
    data.once('end', () => send(CLOSE, Buffer.from([0])));
    data.once('reset', () => ws.close());
    ws.resume();
  }
}
