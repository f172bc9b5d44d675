// Where a cluster address is reached on this machine. Normally an address is itself (the
// ClusterIP is plumbed onto a local interface; a pod IP is routed to the pod). Without root,
// and in tests, cluster ranges are mapped onto loopback instead: 127.0.0.0/8 is entirely local
// on Linux, so `cidrMapper('10.0.0.0/8', '127.0.0.0/8')` turns ClusterIP 10.96.3.4 into
// 127.96.3.4 and pod IP 10.244.0.5 into 127.244.0.5, and nothing needs to be configured.

/** Maps a cluster address (ClusterIP or endpoint IP) to the address used on this machine. */
export type AddressMapper = (ip: string) => string;

export const identityMapper: AddressMapper = (ip) => ip;

export function parseIPv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseCidr(cidr: string): { base: number; bits: number } {
  const [ip, len] = cidr.split('/');
  const base = parseIPv4(ip ?? '');
  const bits = Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, bits };
}

/**
 * Maps IPv4 addresses inside `from` onto `to` (same prefix length), keeping the host bits;
 * every other address maps to itself.
 */
export function cidrMapper(from: string, to: string): AddressMapper {
  const a = parseCidr(from);
  const b = parseCidr(to);
  if (a.bits !== b.bits) throw new Error(`cannot map ${from} onto ${to}: prefix lengths differ`);
  const mask = a.bits === 0 ? 0 : (~0 << (32 - a.bits)) >>> 0;
  return (ip) => {
    const n = parseIPv4(ip);
    if (n === undefined || ((n & mask) >>> 0) !== a.base) return ip;
    return formatIPv4((b.base | (n & ~mask)) >>> 0);
  };
}
