// Endpoint picking for one service port, as kube-proxy's userspace round robin: each new
// connection or flow takes the next endpoint; with sessionAffinity ClientIP a client keeps
// its endpoint while it is still a candidate and it came back within the timeout.
import type { ProxyEndpoint } from './plan.ts';

const id = (e: ProxyEndpoint): string => `${e.address}:${e.port}`;
/** Expired affinity entries are swept after this many picks. */
const SWEEP_EVERY = 256;

export class Balancer {
  private next = 0;
  private picks = 0;
  private readonly affinity = new Map<string, { endpoint: string; lastUsed: number }>();

  /** affinityTimeoutMs: sessionAffinity ClientIP's timeout; undefined for none. */
  constructor(readonly affinityTimeoutMs?: number) {}

  /** The endpoint for a new connection from `clientIP` among `candidates`, or undefined when there is none. */
  pick(candidates: readonly ProxyEndpoint[], clientIP: string, now: number): ProxyEndpoint | undefined {
    if (candidates.length === 0) return undefined;
    const ttl = this.affinityTimeoutMs;
    if (ttl === undefined) return candidates[this.next++ % candidates.length];
    if (++this.picks % SWEEP_EVERY === 0) this.sweep(now);
    const held = this.affinity.get(clientIP);
    if (held && now - held.lastUsed < ttl) {
      const ep = candidates.find((c) => id(c) === held.endpoint);
      if (ep) {
        held.lastUsed = now;
        return ep;
      }
    }
    const ep = candidates[this.next++ % candidates.length]!;
    this.affinity.set(clientIP, { endpoint: id(ep), lastUsed: now });
    return ep;
  }

  /** How many clients hold an affinity (tests, debugging). */
  get affinities(): number {
    return this.affinity.size;
  }

  private sweep(now: number): void {
    for (const [client, a] of this.affinity) if (now - a.lastUsed >= this.affinityTimeoutMs!) this.affinity.delete(client);
  }
}
