// HTTP upgrades (WebSocket, SPDY/3.1) go through the same express app as every request, so
// that authentication, routing and errors work as usual: the app answers on a response bound
// to the raw socket. A handler that speaks a streaming protocol takes the socket over; any
// other answer (an error Status) ends the connection once written.
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Request, Response } from 'express';

export interface Upgrade {
  socket: Duplex;
  /** Bytes that arrived after the request head. */
  head: Buffer;
  taken: boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    k8tsUpgrade?: Upgrade;
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function serveUpgrades(server: Server | HttpsServer, app: Handler): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    const upgrade: Upgrade = { socket, head, taken: false };
    (req as Request).k8tsUpgrade = upgrade;
    res.once('finish', () => {
      if (!upgrade.taken) socket.end();
    });
    app(req, res);
  });
}

/** The upgrade a request asks for, lower-cased ('websocket', 'spdy/3.1'), or undefined. */
export function upgradeKind(req: Request): string | undefined {
  return req.k8tsUpgrade ? (req.headers.upgrade ?? '').toLowerCase() : undefined;
}

/** Detaches the socket from the HTTP response: from here on the caller speaks on it. */
export function takeOver(req: Request, res: Response): Upgrade {
  const u = req.k8tsUpgrade;
  if (!u) throw new Error('not an upgrade request');
  u.taken = true;
  res.detachSocket(u.socket as Socket);
  return u;
}
