// The /etc/resolv.conf a pod gets, as the kubelet's DNS configurer (pkg/kubelet/network/dns)
// computes it from the pod's dnsPolicy and dnsConfig, the node's cluster DNS settings and the
// host's resolv.conf:
// - ClusterFirst (default; ClusterFirstWithHostNet, and ClusterFirst without hostNetwork):
//   the cluster DNS servers only, search `<ns>.svc.<domain> svc.<domain> <domain>` then the
//   host's, options ndots:5; without a cluster DNS IP it falls back to Default (with a
//   MissingClusterDNS warning);
// - Default (and ClusterFirst with hostNetwork): the host's file (nameserver 127.0.0.1 and
//   search `.` when the node has none);
// - None: only what dnsConfig says.
// dnsConfig nameservers and searches are appended without duplicates; its options override
// same-named ones. Then the limits: 3 nameservers, 32 search domains of at most 253
// characters and 2048 characters in all (warnings say what was dropped).

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface PodDnsSpec {
  namespace: string;
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name?: string; value?: string }[] };
}

export interface NodeDnsSettings {
  /** The cluster DNS server addresses (the kubelet's --cluster-dns), e.g. ['10.96.0.10']. */
  clusterDNS: string[];
  /** The kubelet's --cluster-domain, e.g. cluster.local ('' for none). */
  clusterDomain: string;
  /** The host's resolv.conf (parseResolvConf); undefined when the node has none (--resolv-conf ""). */
  host?: ResolvConf;
}

export interface PodDnsWarning {
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  message: string;
}

/** validation.MaxDNSNameservers, MaxDNSSearchPathsExpanded, MaxDNSSearchListCharsExpanded. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_CHARS = 2048;
/** DNS1123SubdomainMaxLength: longer search paths crash some resolvers (glibc 2.28). */
const MAX_SEARCH_PATH_LENGTH = 253;

const unique = (xs: string[]): string[] => [...new Set(xs)];

/** Parses resolv.conf: nameservers accumulate, the last search and options lines win. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const fields = line.trim().startsWith('#') ? [] : line.trim().split(/\s+/).filter(Boolean);
    if (fields[0] === 'nameserver' && fields[1]) out.nameservers.push(fields[1]);
    else if (fields[0] === 'search') out.searches = fields.slice(1).map((s) => s.replace(/\.$/, ''));
    else if (fields[0] === 'options') out.options = fields.slice(1);
  }
  return out;
}

/** Options by name, later ones overriding (`ndots:5`, `rotate`). */
function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const byName = new Map<string, string | undefined>();
  for (const o of base) {
    const i = o.indexOf(':');
    byName.set(i < 0 ? o : o.slice(0, i), i < 0 ? undefined : o.slice(i + 1));
  }
  for (const o of extra) if (o.name) byName.set(o.name, o.value || undefined);
  return [...byName].map(([k, v]) => (v === undefined ? k : `${k}:${v}`));
}

function fitSearches(searches: string[], warnings: PodDnsWarning[]): string[] {
  let out = searches.slice(0, MAX_SEARCH_PATHS);
  let exceeded = out.length < searches.length;
  const kept = out.filter((s) => s.length <= MAX_SEARCH_PATH_LENGTH);
  exceeded ||= kept.length < out.length;
  out = kept;
  while (out.length > 0 && out.join(' ').length > MAX_SEARCH_CHARS) {
    out = out.slice(0, -1);
    exceeded = true;
  }
  if (exceeded) warnings.push({ reason: 'DNSConfigForming', message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}` });
  return out;
}

/** The pod's resolver configuration, and the warnings the kubelet records as events. */
export function podDnsConfig(pod: PodDnsSpec, node: NodeDnsSettings): { config: ResolvConf; warnings: PodDnsWarning[] } {
  const warnings: PodDnsWarning[] = [];
  const policy = pod.dnsPolicy ?? 'ClusterFirst';
  const hostConf: ResolvConf = node.host ? { nameservers: [...node.host.nameservers], searches: [...node.host.searches], options: [...node.host.options] } : { nameservers: ['127.0.0.1'], searches: ['.'], options: [] };
  let config: ResolvConf;
  const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.hostNetwork);
  if (policy === 'None') config = { nameservers: [], searches: [], options: [] };
  else if (cluster && node.clusterDNS.length > 0) {
    const d = node.clusterDomain;
    const searches = d ? unique([`${pod.namespace}.svc.${d}`, `svc.${d}`, d, ...(node.host?.searches ?? [])]) : (node.host?.searches ?? []);
    config = { nameservers: [...node.clusterDNS], searches, options: ['ndots:5'] };
  } else {
    if (cluster) {
      warnings.push({
        reason: 'MissingClusterDNS',
        message: `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`,
      });
    }
    config = hostConf;
  }
  const extra = pod.dnsConfig;
  if (extra) {
    config = {
      nameservers: unique([...config.nameservers, ...(extra.nameservers ?? [])]),
      searches: unique([...config.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(config.options, extra.options ?? []),
    };
  }
  if (config.nameservers.length > MAX_NAMESERVERS) {
    config.nameservers = config.nameservers.slice(0, MAX_NAMESERVERS);
    warnings.push({ reason: 'DNSConfigForming', message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${config.nameservers.join(' ')}` });
  }
  config.searches = fitSearches(config.searches, warnings);
  return { config, warnings };
}

/** resolv.conf text for a configuration. */
export function renderResolvConf(c: ResolvConf): string {
  const lines = c.nameservers.map((n) => `nameserver ${n}`);
  if (c.searches.length > 0) lines.push(`search ${c.searches.join(' ')}`);
  if (c.options.length > 0) lines.push(`options ${c.options.join(' ')}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** The pod's /etc/resolv.conf content (and warnings to record as events on the pod). */
export function podResolvConf(pod: PodDnsSpec, node: NodeDnsSettings): { content: string; warnings: PodDnsWarning[] } {
  const { config, warnings } = podDnsConfig(pod, node);
  return { content: renderResolvConf(config), warnings };
}
