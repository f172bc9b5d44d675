// A TCP proxy on loopback that a test controls, to make network faults between processes:
// one proxy per directed peer link (A's connections to B go through proxy A→B), so that a
// test can cut any set of links.
//
//   pass       forward bytes both ways
//   blackhole  a partition: nothing flows either way, without errors. Connections stay open
//              but are not read (bytes wait in the kernel's buffers, as TCP retransmits do
//              across a real partition, and flow again when healed); new connections are
//              accepted and held, and connected through when healed
//   drop       reset every connection, and reset new ones at once (a peer that refuses)
import net from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'drop';

export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** `127.0.0.1:<port>` */
  addr: string;
  target: string;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): void;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

export async function startTcpProxy(target: { host: string; port: number }, options: { port?: number } = {}): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const end = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const connectUpstream = (pair: Pair) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.setNoDelay(true);
    upstream.on('close', () => end(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };

  const server = net.createServer((client) => {
    accepted++;
    client.on('error', () => undefined);
    if (mode === 'drop') {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('close', () => end(pair));
    if (mode === 'blackhole') client.pause();
    else connectUpstream(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    addr: `127.0.0.1:${port}`,
    target: `${target.host}:${target.port}`,
    mode: () => mode,
    setMode(m) {
      const was = mode;
      mode = m;
      for (const p of [...pairs]) {
        if (m === 'drop') {
          p.client.resetAndDestroy();
          p.upstream?.resetAndDestroy();
          pairs.delete(p);
        } else if (m === 'blackhole') {
          // pipe() resumes a paused source when its destination drains: unpipe first.
          p.client.unpipe();
          p.upstream?.unpipe();
          p.client.pause();
          p.upstream?.pause();
        } else if (was === 'blackhole') {
          if (!p.upstream) connectUpstream(p);
          else {
            p.client.pipe(p.upstream);
            p.upstream.pipe(p.client);
          }
        }
      }
    },
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream?.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}
