// Tiny TCP/UDP servers that stand in for pods in proxy tests, and the clients that talk to
// them. A TCP server reads until the client's FIN, then answers `<name>|<what it read>` and
// closes (so a half-close must travel through the proxy); a UDP server answers each datagram
// with `<name>|<datagram>`.
import dgram from 'node:dgram';
import net from 'node:net';

export interface EchoServer {
  name: string;
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function tcpEcho(name: string, address: string, port = 0): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => s.end(`${name}|${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, address, () => resolve()));
  return {
    name,
    address,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function udpEcho(name: string, address: string, port = 0): Promise<EchoServer> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, r) => socket.send(`${name}|${msg.toString()}`, r.port, r.address));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve());
  });
  return { name, address, port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** Sends `payload`, half-closes, and resolves with the whole answer; rejects on error (e.g. a reset). */
export function tcpAsk(address: string, port: number, payload = 'ping', opts: { timeoutMs?: number; localAddress?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port, allowHalfOpen: true, localAddress: opts.localAddress });
    const chunks: Buffer[] = [];
    s.setTimeout(opts.timeoutMs ?? 5000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.end(payload));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      resolve(Buffer.concat(chunks).toString());
      s.destroy();
    });
    s.on('error', reject);
  });
}

/** A UDP client on its own socket: ask() sends one datagram and waits for one answer. */
export async function udpClient(localAddress = '127.0.0.1'): Promise<{ ask(address: string, port: number, payload?: string, timeoutMs?: number): Promise<string>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, localAddress, () => resolve()));
  return {
    ask: (address, port, payload = 'ping', timeoutMs = 2000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.off('message', onMsg);
          reject(new Error('timeout'));
        }, timeoutMs);
        const onMsg = (msg: Buffer, r: dgram.RemoteInfo) => {
          if (r.address !== address || r.port !== port) return;
          clearTimeout(timer);
          socket.off('message', onMsg);
          resolve(msg.toString());
        };
        socket.on('message', onMsg);
        socket.send(payload, port, address);
      }),
    close: () => socket.close(),
  };
}
