// Addresses for hollow nodes: node i gets the InternalIP 127.0.0.(i+2) (loopback, so nothing
// leaves the machine) and the pod range 10.244.i.0/24 (continuing into 10.245... past 256
// nodes); its pods get unique addresses .2-.254 of that range.

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseIPv4(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

const LOOPBACK_BASE = 127 << 24;

/** The node's InternalIP: 127.0.0.2 for node 0 (127.0.1.x and on past 253 nodes). */
export function nodeInternalIP(index: number): string {
  return ipv4(LOOPBACK_BASE + ((index + 2) % (1 << 24)));
}

/** The node's pod CIDR: a /24 per node inside 10.0.0.0/8, from 10.244.0.0/24. */
export function nodePodCIDR(index: number): string {
  const blocks = 1 << 16; // /24 blocks in 10.0.0.0/8
  const base = ((10 << 24) >>> 0) + (((244 << 8) + index) % blocks) * 256;
  return `${ipv4(base)}/24`;
}

/**
 * The pod range of a node whose pods get loopback addresses (no network namespaces): a /24 of
 * 127.244.0.0-127.255.255.255 per node, reachable from the host with no setup at all.
 */
export function loopbackPodCIDR(index: number): string {
  const blocks = (256 - 244) * 256;
  return `${ipv4((LOOPBACK_BASE + (244 << 16) + (index % blocks) * 256) >>> 0)}/24`;
}

/** The node index in a `<prefix>-<n>` name (hollow-7 → 7), else a stable hash of the name. */
export function indexFromName(name: string): number {
  const m = /-(\d+)$/.exec(name);
  if (m) return Number(m[1]);
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 4096 + (h % 4096);
}

/** Unique pod IPs of one node's /24 (.2 to .254), by pod uid. */
export class PodIPAllocator {
  private readonly base: number;
  private readonly byUid = new Map<string, number>();
  private readonly used = new Set<number>();
  private next = 2;

  constructor(cidr: string) {
    const [addr] = cidr.split('/');
    const base = parseIPv4(addr ?? '');
    if (base === undefined) throw new Error(`not an IPv4 CIDR: ${cidr}`);
    this.base = base & ~255;
  }

  /** The pod's address (the same one again for the same uid). */
  allocate(uid: string): string {
    const have = this.byUid.get(uid);
    if (have !== undefined) return ipv4(this.base + have);
    for (let i = 0; i < 253; i++) {
      const host = 2 + ((this.next - 2 + i) % 253);
      if (this.used.has(host)) continue;
      this.used.add(host);
      this.byUid.set(uid, host);
      this.next = host + 1 > 254 ? 2 : host + 1;
      return ipv4(this.base + host);
    }
    throw new Error('no pod IPs left on this node');
  }

  /** Records an address a pod already has (after a restart of the agent); false when it is not ours or taken. */
  reserve(uid: string, ip: string): boolean {
    const n = parseIPv4(ip);
    if (n === undefined || (n & ~255) !== this.base) return false;
    const host = n & 255;
    if (host < 2 || host > 254) return false;
    const owner = [...this.byUid].find(([, h]) => h === host)?.[0];
    if (owner !== undefined && owner !== uid) return false;
    this.used.add(host);
    this.byUid.set(uid, host);
    return true;
  }

  release(uid: string): void {
    const host = this.byUid.get(uid);
    if (host === undefined) return;
    this.byUid.delete(uid);
    this.used.delete(host);
  }

  inUse(): number {
    return this.used.size;
  }
}

export { ipv4, parseIPv4 };
