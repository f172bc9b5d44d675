// The SPDY/3.1 upgrade kubectl asks for (Connection: Upgrade, Upgrade: SPDY/3.1, one
// X-Stream-Protocol-Version header per protocol it speaks): upstream's protocol negotiation,
// the 101 answer naming the chosen protocol, and a SPDY session on the socket.
import type { Request, Response } from 'express';
import { ApiError } from '../../api/errors.ts';
import { SpdySession } from './spdy/session.ts';
import { takeOver } from './upgrade.ts';

const PROTOCOL_HEADER = 'x-stream-protocol-version';

/** The first protocol the client lists that the server supports (403 when there is none). */
export function spdyProtocol(req: Request, res: Response, supported: string[]): string {
  const offered = (req.headersDistinct[PROTOCOL_HEADER] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  // A client that names no protocol speaks the first one (channel.k8s.io for commands).
  if (offered.length === 0) return supported[supported.length - 1]!;
  const chosen = offered.find((p) => supported.includes(p));
  if (chosen) return chosen;
  res.setHeader('X-Accepted-Stream-Protocol-Versions', supported);
  throw new ApiError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`);
}

/** Answers 101 and starts the SPDY session on the connection. */
export function acceptSpdy(req: Request, res: Response, protocol: string): SpdySession {
  const u = takeOver(req, res);
  u.socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  if (u.head.length) u.socket.unshift(u.head);
  return new SpdySession(u.socket);
}
