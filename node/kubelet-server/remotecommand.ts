// /exec and /attach over WebSocket, as the kubelet serves them: the channel protocols from
// v5.channel.k8s.io back to channel.k8s.io (binary or base64), the command started before the
// upgrade (so that "container not found" is an HTTP error), then stdin/stdout/stderr/resize
// pumped between the WebSocket and the runtime's process, and the exit status on the error
// channel (JSON from v4 on, the message text before).
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { channelProtocol, CLOSE, decodeFrame, encodeFrame, ERROR, RESIZE, STDERR, STDIN, STDOUT, type ChannelProtocol } from '../../lib/streams/channel.ts';
import { exitStatus, internalErrorStatus, statusText, successStatus, type StreamStatus } from '../../lib/streams/status.ts';
import { WsOutbox } from '../../lib/streams/ws-outbox.ts';
import { StreamError, type ContainerProcess, type StreamOptions, type TerminalSize } from './types.ts';

/** How long output may still arrive after the command exited (a background child holding the pipes). */
const OUTPUT_GRACE_MS = 2000;

const flag = (v: string | null) => v === '1' || v === 'true';

/** The kubelet's stream options: input/output/error/tty (also accepted under the API's names). */
export function streamOptionsFromQuery(q: URLSearchParams): StreamOptions {
  const pick = (kubelet: string, api: string) => flag(q.get(kubelet) ?? q.get(api));
  const tty = pick('tty', 'tty');
  const o: StreamOptions = { stdin: pick('input', 'stdin'), stdout: pick('output', 'stdout'), stderr: pick('error', 'stderr'), tty };
  // Upstream bypasses stderr under a terminal: the terminal carries both.
  if (tty) o.stderr = false;
  if (!o.stdin && !o.stdout && !o.stderr) throw new StreamError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

/** Parses the resize channel's JSON (`{"Width":80,"Height":24}`). */
export function parseTerminalSize(data: Buffer): TerminalSize | undefined {
  try {
    const v = JSON.parse(data.toString()) as { Width?: unknown; Height?: unknown };
    return typeof v.Width === 'number' && typeof v.Height === 'number' ? { width: v.Width, height: v.Height } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Completes the upgrade and runs the session. `start` launches the command; it runs before the
 * upgrade so that its failures reach the client as HTTP errors.
 */
export async function serveRemoteCommand(
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
  options: StreamOptions,
  command: string[] | undefined,
  start: () => Promise<ContainerProcess>,
): Promise<void> {
  const proc = await start();
  let upgraded = false;
  socket.once('close', () => {
    if (!upgraded) proc.close();
  });
  wss.handleUpgrade(req, socket, head, (ws) => {
    upgraded = true;
    runSession(ws, channelProtocol(protocol), options, command, proc);
  });
}

function runSession(ws: WebSocket, p: ChannelProtocol, o: StreamOptions, command: string[] | undefined, proc: ContainerProcess): void {
  const outbox = new WsOutbox(ws);
  const send = (channel: number, data: Buffer, source?: Readable) => {
    const f = encodeFrame(p, channel, data);
    outbox.send(f.payload, f.binary, source);
  };
  let finished = false;

  // Tell the client the streams are ready: an empty message on the lowest writable channel.
  send(o.stdout ? STDOUT : o.stderr ? STDERR : ERROR, Buffer.alloc(0));

  proc.stdin?.on('error', () => {});
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const frame = decodeFrame(p, Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw));
    if (!frame) return;
    if (frame.channel === STDIN && proc.stdin && frame.data.length > 0) {
      if (!proc.stdin.write(frame.data)) {
        ws.pause();
        proc.stdin.once('drain', () => ws.resume());
      }
    } else if (frame.channel === RESIZE) {
      const size = parseTerminalSize(frame.data);
      if (size) proc.resize?.(size);
    } else if (frame.channel === CLOSE && p.version >= 5 && frame.data[0] === STDIN) {
      proc.stdin?.end();
    }
  });

  const outputs: Promise<void>[] = [];
  const pump = (stream: Readable | undefined, channel: number) => {
    if (!stream) return;
    outputs.push(
      new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => send(channel, chunk, stream));
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
      }),
    );
  };
  if (o.stdout) pump(proc.stdout, STDOUT);
  if (o.stderr) pump(proc.stderr, STDERR);

  const finish = (status: StreamStatus) => {
    if (finished) return;
    finished = true;
    const body = p.version >= 4 ? JSON.stringify(status) : statusText(status);
    if (body) send(ERROR, Buffer.from(body));
    ws.close(1000);
  };
  proc.exited.then(
    async (code) => {
      await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, OUTPUT_GRACE_MS).unref())]);
      finish(command ? exitStatus(code, command) : successStatus());
    },
    (err: Error) => finish(internalErrorStatus(`error executing command in container: ${err.message}`)),
  );
  ws.once('close', () => {
    if (!finished) {
      finished = true;
      proc.close();
    }
  });
}
