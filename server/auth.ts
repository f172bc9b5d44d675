// Authentication: a client certificate signed by the cluster CA (user = CN, groups = O), or
// the admin bearer token kept in the data dir. Anything else is anonymous (no credentials)
// or invalid (credentials that do not check out), which the app answers with 401.
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { Authenticator, User } from './app.ts';

export interface AuthOptions {
  /** Bearer tokens and who they stand for. */
  tokens: Map<string, User>;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticator(options: AuthOptions): Authenticator {
  // The peer certificate is fixed for a connection: decode it once per socket, not per request.
  const byCert = new WeakMap<object, User | 'invalid'>();
  return (req: Request) => {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m) return 'invalid';
      for (const [token, user] of options.tokens) if (sameToken(token, m[1]!)) return user;
      return 'invalid';
    }
    const socket = req.socket as Partial<TLSSocket>;
    if (socket.encrypted && socket.authorized && typeof socket.getPeerCertificate === 'function') {
      const known = byCert.get(socket);
      if (known) return known;
      const who = certificateUser(socket.getPeerCertificate());
      byCert.set(socket, who);
      return who;
    }
    return undefined;
  };
}

/** user = CN, groups = O (+ system:authenticated); a verified certificate without a CN is refused. */
function certificateUser(cert: ReturnType<TLSSocket['getPeerCertificate']> | undefined): User | 'invalid' {
  const cn = cert?.subject?.CN;
  if (!cn) return 'invalid';
  const o = cert.subject.O;
  const orgs = Array.isArray(o) ? o : o ? [o] : [];
  return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...orgs, 'system:authenticated'] };
}
