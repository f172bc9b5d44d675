// The cluster's DNS records as a pure function of Services and EndpointSlices, following the
// Kubernetes DNS-Based Service Discovery specification (schema 1.1.0) as CoreDNS's kubernetes
// plugin serves it:
// - `<svc>.<ns>.svc.<zone>`: A/AAAA with the ClusterIPs; for a headless service, the ready
//   endpoints' IPs (a headless service without ready endpoints exists but has no addresses);
//   CNAME for ExternalName;
// - `<hostname>.<svc>.<ns>.svc.<zone>` for each ready endpoint of a headless service (its
//   hostname, or its IP with dashes when it has none);
// - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV for named ports (the service port and the
//   service name; for headless services, each endpoint's port and hostname);
// - PTR for ClusterIPs and headless endpoints; `dns-version.<zone>` TXT;
// - `<a-b-c-d>.<ns>.pod.<zone>` A (CoreDNS's `pods insecure`, kubeadm's default).
// Names outside the cluster domain (and reverse names it does not know) are refused: nothing
// is forwarded off the machine. Comparisons are case-insensitive.
import type { Answer, OptAnswer, RecordType } from 'dns-packet';
import { identityMapper, parseIPv4, type AddressMapper } from '../proxy/address-map.ts';
import { allEndpoints, clusterIPs, portEndpoints, slicesByService, type EndpointSlice, type Service } from '../proxy/endpoints.ts';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** CoreDNS kubernetes plugin's default TTL. */
export const DEFAULT_TTL = 5;
export const SCHEMA_VERSION = '1.1.0';

/** A resource record (an OPT pseudo-record is not one). */
export type ZoneRecord = Exclude<Answer, OptAnswer>;

export interface ZoneOptions {
  domain?: string;
  ttl?: number;
  /** Applied to every address answered (ClusterIPs, endpoint and pod IPs), e.g. onto loopback. */
  addressMapper?: AddressMapper;
  /** The SOA serial (e.g. seconds at the last rebuild). */
  serial?: number;
}

export interface Zone {
  domain: string;
  ttl: number;
  mapAddress: AddressMapper;
  /** Records by lower-case owner name (no trailing dot). */
  records: Map<string, ZoneRecord[]>;
  /** Names that exist without records of their own (e.g. `<ns>.svc.<zone>`). */
  interior: Set<string>;
  soa: ZoneRecord;
}

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

export interface LookupResult {
  rcode: Rcode;
  /** Whether the name is the cluster's (authoritative answer). */
  authoritative: boolean;
  answers: ZoneRecord[];
  authorities: ZoneRecord[];
  additionals: ZoneRecord[];
}

type J = Record<string, any>;

const isV6 = (ip: string): boolean => ip.includes(':');
const dashed = (ip: string): string => ip.replace(/[.:]/g, '-');
const trimDot = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/** `d.c.b.a.in-addr.arpa` for an IPv4 address (undefined for others). */
export function reverseName(ip: string): string | undefined {
  return parseIPv4(ip) === undefined ? undefined : `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

class ZoneBuilder {
  readonly records = new Map<string, ZoneRecord[]>();
  readonly interior = new Set<string>();

  constructor(
    readonly domain: string,
    readonly ttl: number,
  ) {}

  add(record: ZoneRecord): void {
    const name = trimDot(record.name);
    const list = this.records.get(name) ?? [];
    const key = JSON.stringify(record.data);
    if (list.some((r) => r.type === record.type && JSON.stringify(r.data) === key)) return;
    list.push({ ...record, name } as ZoneRecord);
    this.records.set(name, list);
    this.markAncestors(name);
  }

  /** A name with no records of its own that still exists (a headless service without endpoints). */
  exists(name: string): void {
    this.interior.add(name);
    this.markAncestors(name);
  }

  /** Every ancestor inside the cluster domain exists (empty non-terminals answer NODATA, not NXDOMAIN). */
  private markAncestors(name: string): void {
    if (!name.endsWith(`.${this.domain}`)) return;
    for (let n = name; n.length > this.domain.length; ) {
      n = n.slice(n.indexOf('.') + 1);
      this.interior.add(n);
    }
  }

  address(name: string, ip: string): void {
    this.add(isV6(ip) ? { name, type: 'AAAA', ttl: this.ttl, data: ip } : { name, type: 'A', ttl: this.ttl, data: ip });
  }

  ptr(ip: string, target: string): void {
    const rev = reverseName(ip);
    if (rev) this.add({ name: rev, type: 'PTR', ttl: this.ttl, data: target });
  }

  srv(name: string, port: number, target: string): void {
    this.add({ name, type: 'SRV', ttl: this.ttl, data: { priority: 0, weight: 100, port, target } });
  }
}

export function buildZone(services: Iterable<Service>, slices: Iterable<EndpointSlice>, opts: ZoneOptions = {}): Zone {
  const domain = trimDot(opts.domain ?? DEFAULT_CLUSTER_DOMAIN);
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const map = opts.addressMapper ?? identityMapper;
  const z = new ZoneBuilder(domain, ttl);
  z.add({ name: `dns-version.${domain}`, type: 'TXT', ttl, data: SCHEMA_VERSION });
  const bySvc = slicesByService(slices);

  for (const svc of services) {
    const ns = String(svc.metadata?.namespace ?? '').toLowerCase();
    const name = String(svc.metadata?.name ?? '').toLowerCase();
    if (!ns || !name) continue;
    const spec = (svc.spec ?? {}) as J;
    const base = `${name}.${ns}.svc.${domain}`;
    if (spec.type === 'ExternalName') {
      if (typeof spec.externalName === 'string' && spec.externalName) z.add({ name: base, type: 'CNAME', ttl, data: trimDot(spec.externalName) });
      else z.exists(base);
      continue;
    }
    const ips = clusterIPs(svc);
    if (ips.length > 0) {
      for (const ip of ips.map(map)) {
        z.address(base, ip);
        z.ptr(ip, base);
      }
      for (const p of (spec.ports ?? []) as J[]) {
        if (p.name) z.srv(`_${String(p.name).toLowerCase()}._${String(p.protocol ?? 'TCP').toLowerCase()}.${base}`, Number(p.port), base);
      }
      continue;
    }
    // Headless: the ready endpoints themselves.
    const own = bySvc.get(`${svc.metadata?.namespace}/${svc.metadata?.name}`) ?? [];
    z.exists(base);
    const hostOf = (ep: { ip: string; hostname?: string }) => `${(ep.hostname ?? dashed(ep.ip)).toLowerCase()}.${base}`;
    for (const ep of allEndpoints(own)) {
      if (!ep.ready) continue;
      const ip = map(ep.ip);
      z.address(base, ip);
      z.address(hostOf(ep), ip);
      z.ptr(ip, hostOf(ep));
    }
    const named = new Map<string, { name: string; protocol: string }>();
    for (const s of own) for (const p of s.ports ?? []) if (p.name) named.set(`${p.name}/${p.protocol ?? 'TCP'}`, { name: p.name, protocol: p.protocol ?? 'TCP' });
    for (const { name: portName, protocol } of named.values()) {
      for (const ep of portEndpoints(own, portName, protocol)) {
        if (ep.ready) z.srv(`_${portName.toLowerCase()}._${protocol.toLowerCase()}.${base}`, ep.port, hostOf(ep));
      }
    }
  }

  const soa: ZoneRecord = {
    name: domain,
    type: 'SOA',
    ttl,
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: opts.serial ?? 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
  return { domain, ttl, mapAddress: map, records: z.records, interior: z.interior, soa };
}

const result = (rcode: Rcode, authoritative: boolean, answers: ZoneRecord[] = [], authorities: ZoneRecord[] = [], additionals: ZoneRecord[] = []): LookupResult => ({
  rcode,
  authoritative,
  answers,
  authorities,
  additionals,
});

/** `<a-b-c-d>.<ns>.pod.<zone>`: the address in the name (IPv4). */
function podRecord(zone: Zone, name: string): ZoneRecord | undefined {
  const m = /^(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.pod\.(.+)$/.exec(name);
  if (!m || m[4] !== zone.domain) return undefined;
  const ip = m[1]!.replace(/-/g, '.');
  if (parseIPv4(ip) === undefined) return undefined;
  return { name, type: 'A', ttl: zone.ttl, data: zone.mapAddress(ip) };
}

const matches = (r: ZoneRecord, type: RecordType | 'ANY'): boolean => type === 'ANY' || r.type === type;

/** The answer to one question. */
export function lookup(zone: Zone, question: { name: string; type: RecordType | 'ANY' | string }): LookupResult {
  const name = trimDot(question.name);
  const type = question.type as RecordType | 'ANY';
  const inDomain = name === zone.domain || name.endsWith(`.${zone.domain}`);
  if (!inDomain) {
    const ptrs = name.endsWith('.in-addr.arpa') ? zone.records.get(name) : undefined;
    if (!ptrs) return result('REFUSED', false);
    const answers = ptrs.filter((r) => matches(r, type));
    return result('NOERROR', true, answers);
  }
  const pod = podRecord(zone, name);
  const records = zone.records.get(name) ?? (pod ? [pod] : undefined);
  if (name === zone.domain && (type === 'SOA' || type === 'ANY')) return result('NOERROR', true, [zone.soa, ...(records ?? []).filter((r) => matches(r, type))]);
  if (!records) return zone.interior.has(name) ? result('NOERROR', true, [], [zone.soa]) : result('NXDOMAIN', true, [], [zone.soa]);

  const cname = records.find((r) => r.type === 'CNAME');
  if (cname && type !== 'CNAME' && type !== 'ANY') {
    // Follow a CNAME that stays in the cluster domain (one ExternalName naming another service).
    const target = String(cname.data);
    const inner = target !== name && (target === zone.domain || target.endsWith(`.${zone.domain}`)) ? lookup(zone, { name: target, type }) : undefined;
    return result(inner?.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'NOERROR', true, [cname, ...(inner?.answers ?? [])], inner?.authorities ?? [], inner?.additionals ?? []);
  }
  const answers = records.filter((r) => matches(r, type));
  if (answers.length === 0) return result('NOERROR', true, [], [zone.soa]);
  // SRV answers carry their targets' addresses.
  const additionals: ZoneRecord[] = [];
  for (const r of answers) {
    if (r.type !== 'SRV') continue;
    for (const a of zone.records.get(r.data.target) ?? []) if ((a.type === 'A' || a.type === 'AAAA') && !additionals.includes(a)) additionals.push(a);
  }
  return result('NOERROR', true, answers, [], additionals);
}
