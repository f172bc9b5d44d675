// A node agent's kubelet-style HTTPS endpoint, the one the API server reaches through the
// Node's InternalIP and status.daemonEndpoints.kubeletEndpoint.Port, on upstream's paths:
//   GET  /containerLogs/{namespace}/{pod}/{container}?follow=&tailLines=&...   (chunked text)
//   WS   /exec/{namespace}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1
//   WS   /attach/{namespace}/{pod}/{container}?input=1&output=1&...
//   WS   /portForward/{namespace}/{pod}?port=N
//   GET  /healthz
// Clients authenticate with a certificate signed by the cluster CA; only the system:masters
// group (the API server's kubelet client certificate, admins) may use it. A runtime plugs in
// through ContainerStreams.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { channelProtocol, negotiateProtocol, offeredProtocols, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS } from '../../lib/streams/channel.ts';
import { logger } from '../../lib/logger.ts';
import { selfSignedServingCertificate } from '../../lib/x509.ts';
import { serveLogs } from './logs.ts';
import { portsFromQuery, runPortForward } from './portforward.ts';
import { serveRemoteCommand, streamOptionsFromQuery } from './remotecommand.ts';
import { StreamError, type ContainerStreams, type PodRef } from './types.ts';

const log = logger.child({ component: 'kubelet-server' });

export interface KubeletServerOptions {
  streams: ContainerStreams;
  /** PEM of the cluster CA: clients must present a certificate it signed. */
  clientCA: string;
  /** Default 0.0.0.0. */
  host?: string;
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** Serving certificate and key (PEM); default: self-signed for the host, as a kubelet makes one. */
  cert?: string;
  key?: string;
  /** Who may use the server; default: certificates in the system:masters group. */
  authorize?: (cert: PeerCertificate) => boolean;
}

export interface KubeletServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export function inMastersGroup(cert: PeerCertificate): boolean {
  const o = cert.subject?.O as string | string[] | undefined;
  return Array.isArray(o) ? o.includes('system:masters') : o === 'system:masters';
}

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward' | 'healthz';
  pod?: PodRef;
  container?: string;
  query: URLSearchParams;
}

export function parseRoute(url: string): Route | undefined {
  const u = new URL(url, 'https://kubelet');
  let parts: string[];
  try {
    parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [kind, namespace, name, container] = parts;
  if (kind === 'healthz' && parts.length === 1) return { kind, query: u.searchParams };
  if (!namespace || !name) return undefined;
  const pod = { namespace, name };
  if (kind === 'portForward' && parts.length === 3) return { kind, pod, query: u.searchParams };
  if ((kind === 'containerLogs' || kind === 'exec' || kind === 'attach') && parts.length === 4 && container) return { kind, pod, container, query: u.searchParams };
  return undefined;
}

function sendError(res: ServerResponse, code: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}

/** An HTTP error on a socket that asked to upgrade (no ServerResponse exists for it). */
function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : code === 403 ? 'Forbidden' : code >= 500 ? 'Internal Server Error' : 'Bad Request'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${message}`);
}

const errorCode = (err: unknown) => (err instanceof StreamError ? err.code : 500);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const host = o.host ?? '0.0.0.0';
  const authorize = o.authorize ?? inMastersGroup;
  const tls = o.cert && o.key ? { cert: o.cert, key: o.key } : selfSignedServingCertificate('kubelet', servingNames(host));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (_offered, req) => (req as Negotiated).negotiated || false });
  const allowed = (req: IncomingMessage) => {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    return !!cert && Object.keys(cert).length > 0 && authorize(cert);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    if (!allowed(req)) return sendError(res, 403, 'Forbidden');
    const route = parseRoute(req.url ?? '/');
    if (!route) return sendError(res, 404, '404 page not found');
    try {
      if (route.kind === 'healthz') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      if (route.kind === 'containerLogs') return await serveLogs(res, o.streams, route.pod!, route.container!, route.query);
      sendError(res, 400, 'Upgrade request required');
    } catch (err) {
      sendError(res, errorCode(err), errorText(err));
    }
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!allowed(req)) return rejectUpgrade(socket, 403, 'Forbidden');
    const route = parseRoute(req.url ?? '/');
    if (!route || route.kind === 'containerLogs' || route.kind === 'healthz') return rejectUpgrade(socket, 404, '404 page not found');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rejectUpgrade(socket, 400, 'only WebSocket upgrades are served');
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    try {
      const pod = route.pod!;
      if (route.kind === 'portForward') {
        const ports = portsFromQuery(route.query);
        const protocol = negotiate(req, offered, PORT_FORWARD_PROTOCOLS);
        wss.handleUpgrade(req, socket, head, (ws) => runPortForward(ws, channelProtocol(protocol), ports, `${pod.namespace}/${pod.name}`, (port) => o.streams.portForward(pod, port)));
        return;
      }
      const options = streamOptionsFromQuery(route.query);
      const protocol = negotiate(req, offered, REMOTE_COMMAND_PROTOCOLS);
      const container = route.container!;
      if (route.kind === 'exec') {
        const command = route.query.getAll('command');
        if (command.length === 0) throw new StreamError(400, 'you must specify a command');
        await serveRemoteCommand(wss, req, socket, head, protocol, options, command, () => o.streams.exec(pod, container, command, options));
      } else {
        await serveRemoteCommand(wss, req, socket, head, protocol, options, undefined, () => o.streams.attach(pod, container, options));
      }
    } catch (err) {
      log.debug({ err, url: req.url }, 'stream request failed');
      rejectUpgrade(socket, errorCode(err), errorText(err));
    }
  };

  const server: Server = createServer({ ...tls, ca: o.clientCA, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (req, res) => void onRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 10250, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 10250);
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** The names a self-signed certificate covers: loopback, and the address or name served on. */
function servingNames(host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const specific = host !== '0.0.0.0' && host !== '::';
  return {
    dnsNames: ['localhost', ...(specific && !isIP(host) ? [host] : [])],
    ipAddresses: ['127.0.0.1', ...(specific && isIP(host) && host !== '127.0.0.1' ? [host] : [])],
  };
}

type Negotiated = IncomingMessage & { negotiated?: string };

/** Upstream's handshake: the first offered protocol supported, or a 400 naming both lists. */
function negotiate(req: IncomingMessage, offered: string[], supported: string[]): string {
  const protocol = negotiateProtocol(offered, supported);
  if (protocol === undefined) throw new StreamError(400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
  (req as Negotiated).negotiated = protocol;
  return protocol;
}
