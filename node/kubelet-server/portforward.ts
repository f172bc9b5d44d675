// /portForward over WebSocket, as the kubelet serves it: one data channel (2i) and one error
// channel (2i+1) per requested port, each opened by the port as two little-endian bytes; the
// data channel carries the connection to that port in the pod, the error channel a message if
// it fails. k8ts addition: [255, 2i] half-closes the connection (the client sent everything),
// which the API server sends when a SPDY client ends its data stream.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CLOSE, decodeFrame, encodeFrame, type ChannelProtocol } from '../../lib/streams/channel.ts';
import { WsOutbox } from '../../lib/streams/ws-outbox.ts';
import { StreamError } from './types.ts';

/** The `port` query values (repeated or comma-separated), as the kubelet parses them. */
export function portsFromQuery(q: URLSearchParams): number[] {
  const values = q.getAll('port');
  if (values.length === 0) throw new StreamError(400, 'query parameter "port" is required');
  const ports: number[] = [];
  for (const v of values) {
    if (v === '') throw new StreamError(400, 'query parameter "port" cannot be empty');
    for (const p of v.split(',')) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!(n <= 65535)) throw new StreamError(400, `unable to parse "${v}" as a port`);
      if (n < 1) throw new StreamError(400, `port "${v}" must be > 0`);
      ports.push(n);
    }
  }
  return ports;
}

/** Runs the forwarding of `ports` over an open WebSocket; `connect` dials a port in the pod. */
export function runPortForward(ws: WebSocket, p: ChannelProtocol, ports: number[], podName: string, connect: (port: number) => Promise<Duplex>): void {
  const outbox = new WsOutbox(ws);
  const send = (channel: number, data: Buffer, source?: Duplex) => {
    const f = encodeFrame(p, channel, data);
    outbox.send(f.payload, f.binary, source);
  };
  const conns: (Duplex | undefined)[] = [];
  const early: Buffer[][] = ports.map(() => []);
  const halfClosed: boolean[] = ports.map(() => false);
  let open = ports.length;
  const done = () => {
    if (--open === 0) ws.close(1000);
  };

  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
    connect(port).then(
      (conn) => {
        if (ws.readyState > 1) return void conn.destroy();
        conns[i] = conn;
        for (const chunk of early[i]!) conn.write(chunk);
        if (halfClosed[i]) conn.end();
        conn.on('data', (chunk: Buffer) => send(2 * i, chunk, conn));
        conn.on('error', () => {});
        conn.once('close', done);
      },
      (err: Error) => {
        send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${podName}: ${err.message}`));
        done();
      },
    );
  });

  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const frame = decodeFrame(p, Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw));
    if (!frame) return;
    if (frame.channel === CLOSE) {
      const i = (frame.data[0] ?? 1) / 2;
      if (!Number.isInteger(i) || i >= ports.length) return;
      halfClosed[i] = true;
      conns[i]?.end();
      return;
    }
    const i = frame.channel / 2;
    if (!Number.isInteger(i) || i >= ports.length || frame.data.length === 0) return;
    const conn = conns[i];
    if (!conn) early[i]!.push(frame.data);
    else if (!conn.write(frame.data)) {
      ws.pause();
      conn.once('drain', () => ws.resume());
    }
  });
  ws.once('close', () => {
    for (const c of conns) c?.destroy();
  });
}
