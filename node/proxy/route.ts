// What a listener forwards to: the endpoints its traffic may use now and the balancer of its
// service port. The proxier swaps the endpoints in place when slices change, so listeners
// (and their sockets) stay while the endpoints behind them come and go.
import type { Balancer } from './balancer.ts';
import type { ProxyEndpoint } from './plan.ts';

export interface Route {
  endpoints: ProxyEndpoint[];
  balancer: Balancer;
}

export const endpointId = (e: ProxyEndpoint): string => `${e.address}:${e.port}`;

/** The endpoint for a client's new connection or flow, leaving out ones that already failed it. */
export function pickEndpoint(route: Route, clientIP: string, failed?: Set<string>): ProxyEndpoint | undefined {
  const candidates = failed?.size ? route.endpoints.filter((e) => !failed.has(endpointId(e))) : route.endpoints;
  return route.balancer.pick(candidates, clientIP, Date.now());
}

/** A TCP or UDP listener of the proxy. */
export interface ProxyListener {
  readonly route: Route;
  /** New endpoints (or balancer) for new traffic; UDP flows to endpoints that left end, as kube-proxy clears their conntrack entries. */
  setRoute(route: Route): void;
  listen(): Promise<void>;
  /** Stops taking new traffic; `drop` also ends the connections and flows in progress. */
  close(drop?: boolean): Promise<void>;
}
