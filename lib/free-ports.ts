// Free loopback ports for servers that tests and benchmarks start. A port found free is
// released before the server binds it, so something else may take it meanwhile. The usual
// culprit is an outgoing connection: the kernel gives those ephemeral ports from the same
// range that `listen(0)` draws from. So ports are picked at random below that range (where
// only explicit binds land) and checked by binding them; a port is handed out once per process.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const FLOOR = 10_000;
const given = new Set<number>();

/** Lowest ephemeral port of this machine (Linux; 32768 elsewhere, the Linux default). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FLOOR + 1000 ? low : 32768;
  } catch {
    return 32768;
  }
}

const CEILING = ephemeralLow();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `n` distinct ports on 127.0.0.1 that are free now and outside the ephemeral range. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 1000 + 10 * n) throw new Error(`no free port found in ${FLOOR}-${CEILING - 1}`);
    const port = FLOOR + Math.floor(Math.random() * (CEILING - FLOOR));
    if (given.has(port)) continue;
    given.add(port);
    if (await canBind(port)) ports.push(port);
  }
  return ports;
}
