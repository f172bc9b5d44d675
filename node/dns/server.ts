// The node's cluster DNS server, an API client: informers on Services and EndpointSlices
// rebuild the zone (zone.ts) after each burst of changes, and UDP and TCP listeners on one
// address and port answer from it (message.ts). As NodeLocal DNSCache does, each node serves
// the kube-dns ClusterIP itself: bind the cluster DNS address (made local by the plumber) and
// keep the service proxy off the kube-dns Service.
import dgram from 'node:dgram';
import net from 'node:net';
import { ApiClient, type ClientConfig } from '../../controllers/runtime/client.ts';
import { InformerFactory } from '../../controllers/runtime/informer.ts';
import { errorMessage } from '../../controllers/runtime/errors.ts';
import { logger } from '../../lib/logger.ts';
import { coalescer } from '../proxy/coalescer.ts';
import type { AddressPlumber } from '../proxy/plumber.ts';
import { serviceInformers } from '../proxy/service-proxy.ts';
import { respond } from './message.ts';
import { buildZone, type Zone, type ZoneOptions } from './zone.ts';

const log = logger.child({ component: 'cluster-dns' });

/** Upstream clusters' kube-dns Service, which the API server creates (server/kube-dns-service.ts). */
export const KUBE_DNS_SERVICE = 'kube-system/kube-dns';
/** Its clusterIP, the tenth address of the service range (node components cannot import server/). */
export const CLUSTER_DNS_IP = '10.96.0.10';
/** An idle TCP client is dropped after this long (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;

export interface DnsServerOptions extends Omit<ZoneOptions, 'serial'> {
  client: ApiClient | ClientConfig;
  informers?: InformerFactory;
  /** Where to answer (default the cluster DNS IP). */
  address?: string;
  /** Default 53 (UDP and TCP). */
  port?: number;
  /** Makes `address` local first (and takes it away on stop). */
  plumber?: AddressPlumber;
}

export interface DnsServer {
  readonly address: string;
  /** The port answered on, once ready. */
  port(): number;
  whenReady(): Promise<void>;
  /** The zone served now (tests, debugging). */
  zone(): Zone;
  stop(): Promise<void>;
}

function bindUdp(socket: dgram.Socket, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

function listenTcp(server: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Answers length-prefixed queries (RFC 1035 §4.2.2) until the client goes quiet. */
function serveTcp(socket: net.Socket, zone: () => Zone): void {
  let buf = Buffer.alloc(0);
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      const out = respond(zone(), msg, 'tcp');
      if (out) {
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        socket.write(framed);
      }
    }
  });
}

export function startDnsServer(opts: DnsServerOptions): DnsServer {
  const client = opts.client instanceof ApiClient ? opts.client : new ApiClient({ userAgent: 'k8ts-dns', ...opts.client });
  const factory = opts.informers ?? new InformerFactory(client);
  const { services, slices } = serviceInformers(factory);
  const address = opts.address ?? CLUSTER_DNS_IP;
  const family = address.includes(':') ? 'udp6' : 'udp4';
  const zoneOpts = { domain: opts.domain, ttl: opts.ttl, addressMapper: opts.addressMapper };
  let zone = buildZone([], [], zoneOpts);
  let port = 0;
  let synced = false;
  const udp = dgram.createSocket({ type: family });
  const tcp = net.createServer((s) => serveTcp(s, () => zone));
  const clients = new Set<net.Socket>();
  tcp.on('connection', (s) => {
    clients.add(s);
    s.on('close', () => clients.delete(s));
  });
  udp.on('message', (msg, rinfo) => {
    const out = respond(zone, msg, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });

  // Rebuilding is cheap and synchronous; the coalescer turns a burst of events into one.
  const rebuild = coalescer(async () => {
    if (synced) zone = buildZone(services.store.list(), slices.store.list(), { ...zoneOpts, serial: Math.floor(Date.now() / 1000) });
  }, 'cluster-dns');
  const onChange = { add: () => rebuild.schedule(), update: () => rebuild.schedule(), delete: () => rebuild.schedule() };
  services.addEventHandler(onChange);
  slices.addEventHandler(onChange);

  const ready = (async () => {
    await opts.plumber?.ensure(address);
    port = await bindUdp(udp, address, opts.port ?? 53);
    await listenTcp(tcp, address, port);
    udp.on('error', (err) => log.warn({ err: errorMessage(err) }, 'DNS UDP socket failed'));
    tcp.on('error', (err) => log.warn({ err: errorMessage(err) }, 'DNS TCP listener failed'));
    factory.start();
    await Promise.all([services.waitForSync(), slices.waitForSync()]);
    synced = true;
    await rebuild.flush();
    log.info({ address, port }, 'cluster DNS answering');
  })();

  let stopping: Promise<void> | undefined;
  return {
    address,
    port: () => port,
    whenReady: () => ready,
    zone: () => zone,
    stop() {
      stopping ??= (async () => {
        await rebuild.stop();
        if (!opts.informers) await factory.stop();
        await ready.catch(() => undefined);
        for (const s of clients) s.destroy();
        await new Promise<void>((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve()));
        await new Promise<void>((resolve) => {
          try {
            udp.close(() => resolve());
          } catch {
            resolve();
          }
        });
        await opts.plumber?.remove(address).catch((err) => log.warn({ err: errorMessage(err) }, 'could not remove the cluster DNS address'));
        if (!(opts.client instanceof ApiClient)) client.close();
      })();
      return stopping;
    },
  };
}
