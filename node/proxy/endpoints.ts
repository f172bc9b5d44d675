// What a node-level consumer (the service proxy, the DNS server) reads of EndpointSlices:
// a service's slices (by the kubernetes.io/service-name label), each endpoint's conditions as
// the API documents their unset values, and the endpoints that serve one service port.
import { SERVICE_NAME_LABEL, type EndpointSlice, type SliceEndpoint } from '../../controllers/endpointslice/reconciler.ts';
import type { Service } from '../../controllers/endpoints/service-pods.ts';

export type { EndpointSlice, Service };

/** One address of one endpoint, on the port a service port resolves to. */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  hostname?: string;
}

/** `namespace/name` of a Service. */
export function serviceKey(svc: Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

/** The slices of each service, keyed `namespace/service-name`. */
export function slicesByService(slices: Iterable<EndpointSlice>): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name) continue;
    const key = `${s.metadata?.namespace ?? ''}/${name}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/**
 * EndpointConditions as the API defines unset values: ready unknown counts as ready, serving
 * unknown as the ready value, terminating unknown as not terminating.
 */
export function endpointConditions(ep: SliceEndpoint): { ready: boolean; serving: boolean; terminating: boolean } {
  const c = ep.conditions ?? {};
  const ready = c.ready !== false;
  return { ready, serving: c.serving ?? ready, terminating: c.terminating === true };
}

const normProto = (p: string | undefined): string => (p ?? 'TCP').toUpperCase();

/** Every address of the slices' endpoints on the port `portOf` gives (slices without one are skipped), one per address and port. */
function collect(slices: EndpointSlice[], portOf: (slice: EndpointSlice) => number | undefined): EndpointInfo[] {
  const byAddr = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    const port = portOf(slice);
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const cond = endpointConditions(ep);
      for (const ip of ep.addresses ?? []) {
        const info: EndpointInfo = { ip, port, ...cond };
        if (ep.nodeName) info.nodeName = ep.nodeName;
        if (ep.hostname) info.hostname = ep.hostname;
        // A ready entry wins over a duplicate from a slice in transition.
        const id = `${ip}:${port}`;
        const seen = byAddr.get(id);
        if (!seen || (!seen.ready && info.ready)) byAddr.set(id, info);
      }
    }
  }
  return [...byAddr.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}

/** The endpoints serving the service port named `portName` with `protocol`. */
export function portEndpoints(slices: EndpointSlice[], portName: string, protocol: string): EndpointInfo[] {
  return collect(slices, (slice) => {
    const p = (slice.ports ?? []).find((sp) => (sp.name ?? '') === portName && normProto(sp.protocol) === normProto(protocol));
    return typeof p?.port === 'number' ? p.port : undefined;
  });
}

/** Every address of the service's endpoints regardless of port (port 0), one per IP: headless DNS answers. */
export function allEndpoints(slices: EndpointSlice[]): EndpointInfo[] {
  return collect(slices, () => 0);
}

/** The service's cluster IPs (spec.clusterIPs, else spec.clusterIP); none for headless/ExternalName. */
export function clusterIPs(svc: Service): string[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const ips = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as unknown[]).filter((x): x is string => typeof x === 'string') : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => ip !== '' && ip !== 'None');
}
