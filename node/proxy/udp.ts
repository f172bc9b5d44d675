// One UDP listener of the service proxy. Each client address (ip:port) is a flow: its first
// datagram picks an endpoint, and a socket of the flow's own carries the client's datagrams
// there and the replies back (sent from the service address, so the client sees the service
// answer). A flow ends after a quiet spell, or when its endpoint leaves the route. Datagrams
// for a service without endpoints are dropped.
import dgram from 'node:dgram';
import { logger } from '../../lib/logger.ts';
import { endpointId, pickEndpoint, type ProxyListener, type Route } from './route.ts';
import type { ProxyEndpoint } from './plan.ts';

const log = logger.child({ component: 'service-proxy' });

export interface UdpListenerOptions {
  /** A flow without traffic either way for this long ends (default 30 s, conntrack's UDP timeout). */
  idleTimeoutMs?: number;
}

interface Flow {
  endpoint: ProxyEndpoint;
  socket: dgram.Socket;
  timer: NodeJS.Timeout;
}

const family = (ip: string): 'udp4' | 'udp6' => (ip.includes(':') ? 'udp6' : 'udp4');

export class UdpListener implements ProxyListener {
  route: Route;
  private readonly socket: dgram.Socket;
  private readonly flows = new Map<string, Flow>();
  private readonly idleTimeoutMs: number;

  constructor(
    readonly address: string,
    readonly port: number,
    route: Route,
    opts: UdpListenerOptions = {},
  ) {
    this.route = route;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.socket = dgram.createSocket({ type: family(address) });
    this.socket.on('message', (msg, rinfo) => this.forward(msg, rinfo.address, rinfo.port));
  }

  /** Flows in progress (tests, debugging). */
  get flowCount(): number {
    return this.flows.size;
  }

  setRoute(route: Route): void {
    this.route = route;
    const live = new Set(route.endpoints.map(endpointId));
    for (const [client, flow] of this.flows) if (!live.has(endpointId(flow.endpoint))) this.endFlow(client);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ address: this.address, port: this.port, exclusive: true }, () => {
        this.socket.off('error', reject);
        this.socket.on('error', (err) => log.warn({ err, address: this.address, port: this.port }, 'UDP listener failed'));
        resolve();
      });
    });
  }

  close(): Promise<void> {
    // A flow lives only as long as its listener: nothing could carry its replies back.
    for (const client of [...this.flows.keys()]) this.endFlow(client);
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private forward(msg: Buffer, clientIP: string, clientPort: number): void {
    const key = `${clientIP}|${clientPort}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const endpoint = pickEndpoint(this.route, clientIP);
      if (!endpoint) return;
      flow = this.openFlow(key, endpoint, clientIP, clientPort);
    }
    flow.timer.refresh();
    flow.socket.send(msg, flow.endpoint.port, flow.endpoint.address, (err) => {
      if (err) {
        log.debug({ err, endpoint: endpointId(flow.endpoint) }, 'UDP send failed; ending the flow');
        this.endFlow(key);
      }
    });
  }

  private openFlow(key: string, endpoint: ProxyEndpoint, clientIP: string, clientPort: number): Flow {
    const socket = dgram.createSocket({ type: family(endpoint.address) });
    const flow: Flow = { endpoint, socket, timer: setTimeout(() => this.endFlow(key), this.idleTimeoutMs) };
    flow.timer.unref();
    socket.on('message', (reply, from) => {
      if (from.address !== endpoint.address || from.port !== endpoint.port) return;
      flow.timer.refresh();
      this.socket.send(reply, clientPort, clientIP);
    });
    socket.on('error', (err) => {
      log.debug({ err, endpoint: endpointId(endpoint) }, 'UDP flow failed');
      this.endFlow(key);
    });
    this.flows.set(key, flow);
    return flow;
  }

  private endFlow(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    this.flows.delete(key);
    clearTimeout(flow.timer);
    try {
      flow.socket.close();
    } catch {
      // already closed
    }
  }
}
