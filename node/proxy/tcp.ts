// One TCP listener of the service proxy: each accepted connection is spliced to an endpoint
// the route picks. An endpoint that cannot be reached is left out and the next one tried; with
// no endpoint left (or none at all) the client gets a reset, as kube-proxy's REJECT rule gives.
// Half-closes travel through; a reset on one side resets the other.
import net from 'node:net';
import { logger } from '../../lib/logger.ts';
import { endpointId, pickEndpoint, type ProxyListener, type Route } from './route.ts';

const log = logger.child({ component: 'service-proxy' });

export interface TcpListenerOptions {
  /** How long dialing one endpoint may take (default 5 s). */
  connectTimeoutMs?: number;
}

export class TcpListener implements ProxyListener {
  route: Route;
  private readonly server: net.Server;
  private readonly conns = new Set<net.Socket>();
  private readonly connectTimeoutMs: number;

  constructor(
    readonly address: string,
    readonly port: number,
    route: Route,
    opts: TcpListenerOptions = {},
  ) {
    this.route = route;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    // Paused until the endpoint answers: what the client sends first waits in the socket.
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client));
  }

  setRoute(route: Route): void {
    this.route = route;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.address, port: this.port, exclusive: true }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => log.warn({ err, address: this.address, port: this.port }, 'TCP listener failed'));
        resolve();
      });
    });
  }

  close(drop = false): Promise<void> {
    if (drop) for (const c of this.conns) c.destroy();
    return new Promise((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }

  private track(s: net.Socket): void {
    this.conns.add(s);
    s.once('close', () => this.conns.delete(s));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    client.on('error', () => undefined);
    this.dial(client, client.remoteAddress ?? '', new Set());
  }

  private dial(client: net.Socket, clientIP: string, failed: Set<string>): void {
    if (client.destroyed) return;
    const ep = pickEndpoint(this.route, clientIP, failed);
    if (!ep) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: ep.address, port: ep.port, allowHalfOpen: true });
    this.track(upstream);
    let connected = false;
    const abandon = () => upstream.destroy();
    client.once('close', abandon);
    upstream.setTimeout(this.connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      client.off('close', abandon);
      splice(client, upstream);
    });
    upstream.once('error', (err) => {
      if (connected) return;
      client.off('close', abandon);
      log.debug({ err, endpoint: endpointId(ep) }, 'endpoint unreachable; trying another');
      failed.add(endpointId(ep));
      this.dial(client, clientIP, failed);
    });
  }
}

/** Copies both ways until both sides are done; an error on one side resets the other. */
function splice(a: net.Socket, b: net.Socket): void {
  const fail = (other: net.Socket) => () => {
    if (!other.destroyed) other.resetAndDestroy();
  };
  a.on('error', fail(b));
  b.on('error', fail(a));
  // A side gone without an error and without its FIN reaching the pipe still ends the other.
  const finish = (other: net.Socket) => () => {
    if (!other.destroyed && !other.writableEnded) other.end();
  };
  a.once('close', finish(b));
  b.once('close', finish(a));
  a.pipe(b);
  b.pipe(a);
}
