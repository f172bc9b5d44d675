// Turns plans into sockets: one listener per (protocol, address, port), opened when a plan
// wants it and closed when none does; ClusterIPs plumbed before their listeners open and
// unplumbed after they close. An endpoint change only swaps a listener's route, so it takes
// effect for the next connection without touching sockets. A listener that cannot bind
// (address not local yet, port taken) is reported and retried on the next apply.
import { logger } from '../../lib/logger.ts';
import { errorMessage } from '../../controllers/runtime/errors.ts';
import { Balancer } from './balancer.ts';
import type { ListenerSpec, ServicePortPlan } from './plan.ts';
import { NoopPlumber, type AddressPlumber } from './plumber.ts';
import type { ProxyListener, Route } from './route.ts';
import { TcpListener } from './tcp.ts';
import { UdpListener } from './udp.ts';

const log = logger.child({ component: 'service-proxy' });

export interface ProxierOptions {
  plumber?: AddressPlumber;
  /** UDP flows end after this long without traffic (default 30 s). */
  udpIdleTimeoutMs?: number;
  /** Dialing one TCP endpoint may take this long (default 5 s). */
  connectTimeoutMs?: number;
  /** Addresses another component plumbs on the same interface (the cluster DNS IP): never removed here. */
  keepAddresses?: string[];
}

interface Open {
  spec: ListenerSpec;
  planKey: string;
  listener: ProxyListener;
}

export const listenerKey = (l: ListenerSpec): string => `${l.protocol}|${l.address}|${l.port}`;

export class Proxier {
  private readonly plumber: AddressPlumber;
  private readonly opts: ProxierOptions;
  private readonly open = new Map<string, Open>();
  private readonly balancers = new Map<string, Balancer>();
  private readonly addresses = new Set<string>();
  /** Listener keys whose bind failed last time, with the error (logged once per new error). */
  private readonly failing = new Map<string, string>();

  constructor(opts: ProxierOptions = {}) {
    this.opts = opts;
    this.plumber = opts.plumber ?? new NoopPlumber();
  }

  /** Takes over the addresses an earlier run left plumbed (the next apply removes stale ones). */
  async adopt(): Promise<void> {
    for (const ip of await this.plumber.list()) this.addresses.add(ip);
  }

  /** Listeners open now, as `TCP|address|port` keys (tests, debugging). */
  listening(): string[] {
    return [...this.open.keys()].sort();
  }

  /** Makes the sockets match the plans; resolves with the listener keys that could not bind. */
  async apply(plans: ServicePortPlan[]): Promise<string[]> {
    const desired = new Map<string, { spec: ListenerSpec; planKey: string; route: Route }>();
    const balancers = new Map<string, Balancer>();
    for (const plan of plans) {
      const existing = this.balancers.get(plan.key);
      const balancer = existing && existing.affinityTimeoutMs === plan.affinityTimeoutMs ? existing : new Balancer(plan.affinityTimeoutMs);
      balancers.set(plan.key, balancer);
      for (const spec of plan.listeners) {
        const key = listenerKey(spec);
        if (!desired.has(key)) desired.set(key, { spec, planKey: plan.key, route: { endpoints: plan.endpoints[spec.scope], balancer } });
      }
    }
    this.balancers.clear();
    for (const [k, b] of balancers) this.balancers.set(k, b);

    // Close first: a port a service gave up may be the one another now takes.
    for (const [key, o] of this.open) {
      const want = desired.get(key);
      if (want && want.planKey === o.planKey) continue;
      this.open.delete(key);
      await o.listener.close();
    }

    const ips = new Set(plans.flatMap((p) => p.clusterIPs));
    for (const ip of ips) {
      if (this.addresses.has(ip)) continue;
      try {
        await this.plumber.ensure(ip);
        this.addresses.add(ip);
      } catch (err) {
        log.warn({ ip, err: errorMessage(err) }, 'could not make the ClusterIP a local address');
      }
    }

    const failed: string[] = [];
    for (const [key, want] of desired) {
      const cur = this.open.get(key);
      if (cur) {
        cur.listener.setRoute(want.route);
        continue;
      }
      const listener = this.create(want.spec, want.route);
      try {
        await listener.listen();
        this.open.set(key, { spec: want.spec, planKey: want.planKey, listener });
        this.failing.delete(key);
      } catch (err) {
        await listener.close();
        failed.push(key);
        const msg = errorMessage(err);
        if (this.failing.get(key) !== msg) log.warn({ listener: key, service: want.planKey, err: msg }, 'could not listen for a service port; will retry');
        this.failing.set(key, msg);
      }
    }
    for (const key of this.failing.keys()) if (!desired.has(key)) this.failing.delete(key);

    const keep = new Set(this.opts.keepAddresses ?? []);
    for (const ip of [...this.addresses]) {
      if (ips.has(ip) || keep.has(ip)) continue;
      try {
        await this.plumber.remove(ip);
        this.addresses.delete(ip);
      } catch (err) {
        log.warn({ ip, err: errorMessage(err) }, 'could not remove a ClusterIP address');
      }
    }
    return failed;
  }

  private create(spec: ListenerSpec, route: Route): ProxyListener {
    return spec.protocol === 'UDP'
      ? new UdpListener(spec.address, spec.port, route, { idleTimeoutMs: this.opts.udpIdleTimeoutMs })
      : new TcpListener(spec.address, spec.port, route, { connectTimeoutMs: this.opts.connectTimeoutMs });
  }

  /** Closes every listener and connection; `unplumb` also takes the addresses (and interface) away. */
  async stop(unplumb = true): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((o) => o.listener.close(true)));
    if (unplumb) {
      try {
        await this.plumber.close();
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'could not remove the service addresses');
      }
      this.addresses.clear();
    }
  }
}
