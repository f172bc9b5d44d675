// WebSocket clients of exec, attach and port-forward: the API server opens a WebSocket to the
// node agent offering what the client offered, completes the client's handshake with what the
// agent chose, then relays messages both ways unchanged (both ends speak the same channel
// protocol), with backpressure, and closes one side when the other closes.
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { apiErrors } from '../../api/errors.ts';
import { negotiateProtocol, offeredProtocols } from '../../lib/streams/channel.ts';
import { WsOutbox } from '../../lib/streams/ws-outbox.ts';
import { takeOver } from './upgrade.ts';

type Negotiated = IncomingMessage & { negotiated?: string };

/**
 * The server that completes client handshakes, with the protocol chosen per request. The ws
 * library accepts only RFC 7230 tokens as subprotocols, and kubectl's tunnel protocol
 * (SPDY/3.1+portforward.k8s.io) is none: the request's header is dropped before the handshake
 * and the chosen protocol added to the answer here.
 */
export function handshakeServer(): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const p = (req as Negotiated).negotiated;
    if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
  });
  return wss;
}

/** Completes the client's WebSocket handshake with `protocol` ('' for none). */
export function acceptWebSocket(wss: WebSocketServer, req: Request, res: Response, protocol: string): Promise<WebSocket> {
  (req as unknown as Negotiated).negotiated = protocol;
  delete req.headers['sec-websocket-protocol'];
  const u = takeOver(req, res);
  return new Promise((resolve, reject) => {
    const left = () => reject(new Error('the client left during the handshake'));
    if (u.socket.destroyed) return left();
    u.socket.once('close', left);
    wss.handleUpgrade(req, u.socket, u.head, resolve);
  });
}

/** The client's offered protocols, checked against what the agent serves (400 when none fits). */
export function clientProtocols(req: Request, supported: string[]): string[] {
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  if (negotiateProtocol(offered, supported) === undefined) {
    throw apiErrors.badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
  }
  return offered.filter((p) => supported.includes(p));
}

export async function relayWebSocket(wss: WebSocketServer, req: Request, res: Response, supported: string[], connect: (protocols: string[]) => Promise<WebSocket>): Promise<void> {
  const agent = await connect(clientProtocols(req, supported));
  let client: WebSocket;
  try {
    client = await acceptWebSocket(wss, req, res, agent.protocol);
  } catch {
    agent.terminate();
    return;
  }
  pipeWebSockets(client, agent);
}

/** A close code that may be sent on (1005 and 1006 only describe what happened). */
const sendable = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/** Relays messages between two WebSockets (either may be paused: both are resumed). */
export function pipeWebSockets(a: WebSocket, b: WebSocket): void {
  const toB = new WsOutbox(b);
  const toA = new WsOutbox(a);
  a.on('message', (data: Buffer, isBinary: boolean) => toB.send(data, isBinary, a));
  b.on('message', (data: Buffer, isBinary: boolean) => toA.send(data, isBinary, b));
  const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
    if (other.readyState === WebSocket.OPEN) other.close(sendable(code) ? code : 1000, reason);
    else if (other.readyState === WebSocket.CONNECTING) other.terminate();
  };
  a.once('close', closeOther(b));
  b.once('close', closeOther(a));
  a.on('error', () => b.terminate());
  b.on('error', () => a.terminate());
  a.resume();
  b.resume();
}
