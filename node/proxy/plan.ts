// What the service proxy should serve, as a pure function of Services and EndpointSlices: for
// each TCP/UDP service port, the listeners (ClusterIPs; node addresses for NodePort and
// LoadBalancer) and the endpoints each kind of traffic may go to. Endpoint choice follows
// kube-proxy's CategorizeEndpoints: ready endpoints; when there are none, endpoints that are
// serving though terminating; traffic policy Local keeps only this node's endpoints (cluster
// traffic under internalTrafficPolicy, node-port traffic under externalTrafficPolicy), with no
// fallback to other nodes.
import { identityMapper, type AddressMapper } from './address-map.ts';
import { clusterIPs, portEndpoints, serviceKey, slicesByService, type EndpointInfo, type EndpointSlice, type Service } from './endpoints.ts';

export type Protocol = 'TCP' | 'UDP';
/** Which traffic a listener takes: to a ClusterIP, or to a node address (NodePort). */
export type Scope = 'cluster' | 'external';

/** An endpoint as the proxy dials it (address already mapped). */
export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ListenerSpec {
  protocol: Protocol;
  address: string;
  port: number;
  scope: Scope;
}

export interface ServicePortPlan {
  /** `namespace/name:portName` (kube-proxy's ServicePortName). */
  key: string;
  protocol: Protocol;
  /** sessionAffinity ClientIP: how long a client sticks to its endpoint. */
  affinityTimeoutMs?: number;
  endpoints: Record<Scope, ProxyEndpoint[]>;
  listeners: ListenerSpec[];
  /** The ClusterIPs (mapped) that must be local addresses. */
  clusterIPs: string[];
}

export interface PlanOptions {
  nodeName: string;
  /** Addresses NodePorts are served on (e.g. the node's InternalIP; 0.0.0.0 for all). */
  nodeAddresses: string[];
  clusterIPMapper?: AddressMapper;
  endpointMapper?: AddressMapper;
  /** Services this proxy leaves alone (`namespace/name`), e.g. kube-dns when the node's DNS server binds its ClusterIP. */
  skipServices?: Iterable<string>;
}

/** v1.DefaultClientIPServiceAffinitySeconds. */
export const DEFAULT_AFFINITY_SECONDS = 10800;

type J = Record<string, any>;

/** CategorizeEndpoints for one filter: ready ones, else serving-and-terminating ones. */
function usable(eps: EndpointInfo[], keep: (ep: EndpointInfo) => boolean): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready && keep(e));
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating && keep(e));
}

export function planService(svc: Service, slices: EndpointSlice[], opts: PlanOptions): ServicePortPlan[] {
  const spec = (svc.spec ?? {}) as J;
  const ips = clusterIPs(svc).map(opts.clusterIPMapper ?? identityMapper);
  if (ips.length === 0) return [];
  const mapEp = opts.endpointMapper ?? identityMapper;
  const nodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const affinityTimeoutMs = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) * 1000 : undefined;
  const plans: ServicePortPlan[] = [];
  for (const p of (spec.ports ?? []) as J[]) {
    const protocol = String(p.protocol ?? 'TCP').toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') continue;
    const portName = String(p.name ?? '');
    const eps = portEndpoints(slices, portName, protocol);
    const cluster = usable(eps, () => true);
    const local = usable(eps, (e) => e.nodeName === opts.nodeName);
    const toProxy = (list: EndpointInfo[]) => list.map((e) => ({ address: mapEp(e.ip), port: e.port }));
    const listeners: ListenerSpec[] = ips.map((address) => ({ protocol: protocol as Protocol, address, port: Number(p.port), scope: 'cluster' as const }));
    if (nodePorts && typeof p.nodePort === 'number') {
      for (const address of opts.nodeAddresses) listeners.push({ protocol: protocol as Protocol, address, port: p.nodePort, scope: 'external' });
    }
    plans.push({
      key: `${serviceKey(svc)}:${portName}`,
      protocol: protocol as Protocol,
      affinityTimeoutMs,
      endpoints: {
        cluster: toProxy(spec.internalTrafficPolicy === 'Local' ? local : cluster),
        external: toProxy(spec.externalTrafficPolicy === 'Local' ? local : cluster),
      },
      listeners,
      clusterIPs: ips,
    });
  }
  return plans;
}

/** The plan for every service (sorted by key, so equal inputs give equal plans). */
export function planAll(services: Iterable<Service>, slices: Iterable<EndpointSlice>, opts: PlanOptions): ServicePortPlan[] {
  const skip = new Set(opts.skipServices ?? []);
  const bySvc = slicesByService(slices);
  const out: ServicePortPlan[] = [];
  for (const svc of services) {
    const key = serviceKey(svc);
    if (skip.has(key)) continue;
    out.push(...planService(svc, bySvc.get(key) ?? [], opts));
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.protocol < b.protocol ? -1 : 1));
}
