// The service proxy of a node, an API client like kube-proxy: informers on Services and
// discovery.k8s.io/v1 EndpointSlices; any change schedules a sync that plans every service
// (plan.ts) and applies it (proxier.ts) right away, so an endpoint change reaches new
// connections as soon as the watch event arrives. Listeners that could not bind are retried.
import { ApiClient, type ClientConfig } from '../../controllers/runtime/client.ts';
import { InformerFactory, type Informer } from '../../controllers/runtime/informer.ts';
import { SERVICES } from '../../controllers/endpoints/service-pods.ts';
import { ENDPOINTSLICES } from '../../controllers/endpointslice/controller.ts';
import { errorMessage } from '../../controllers/runtime/errors.ts';
import { coalescer } from './coalescer.ts';
import { logger } from '../../lib/logger.ts';
import type { EndpointSlice, Service } from './endpoints.ts';
import { planAll, type PlanOptions, type ServicePortPlan } from './plan.ts';
import { Proxier, type ProxierOptions } from './proxier.ts';

const log = logger.child({ component: 'service-proxy' });

export interface ServiceProxyOptions extends PlanOptions, ProxierOptions {
  client: ApiClient | ClientConfig;
  /** Share informers with other node components (started here if not yet). */
  informers?: InformerFactory;
  /** How soon a listener that could not bind is tried again (default 5 s). */
  retryMs?: number;
}

export interface ServiceProxy {
  /** Resolves once the informers synced and the first sync applied. */
  whenReady(): Promise<void>;
  /** The plans last applied (tests, debugging). */
  plans(): ServicePortPlan[];
  /** Listeners open now, as `TCP|address|port`. */
  listening(): string[];
  /** Closes listeners and connections, and removes the plumbed addresses. */
  stop(): Promise<void>;
}

/** Informers on Services and EndpointSlices (all namespaces), from a shared factory. */
export function serviceInformers(factory: InformerFactory): { services: Informer<Service>; slices: Informer<EndpointSlice> } {
  return { services: factory.informer<Service>(SERVICES), slices: factory.informer<EndpointSlice>(ENDPOINTSLICES) };
}

export function startServiceProxy(opts: ServiceProxyOptions): ServiceProxy {
  const client = opts.client instanceof ApiClient ? opts.client : new ApiClient({ userAgent: 'kube-proxy/k8ts', ...opts.client });
  const factory = opts.informers ?? new InformerFactory(client);
  const { services, slices } = serviceInformers(factory);
  const proxier = new Proxier(opts);
  const retryMs = opts.retryMs ?? 5000;
  let current: ServicePortPlan[] = [];
  let synced = false;

  const sync = coalescer(async () => {
    if (!synced) return;
    current = planAll(services.store.list(), slices.store.list(), opts);
    const failed = await proxier.apply(current);
    if (failed.length > 0) sync.schedule(retryMs);
  }, 'service-proxy');
  const onChange = { add: () => sync.schedule(), update: () => sync.schedule(), delete: () => sync.schedule() };
  services.addEventHandler(onChange);
  slices.addEventHandler(onChange);

  const ready = (async () => {
    await proxier.adopt().catch((err) => log.warn({ err: errorMessage(err) }, 'could not list the addresses of an earlier run'));
    factory.start();
    await Promise.all([services.waitForSync(), slices.waitForSync()]);
    synced = true;
    await sync.flush();
  })();

  let stopping: Promise<void> | undefined;
  return {
    whenReady: () => ready,
    plans: () => current,
    listening: () => proxier.listening(),
    stop() {
      stopping ??= (async () => {
        await sync.stop();
        if (!opts.informers) await factory.stop();
        await ready.catch(() => undefined);
        await proxier.stop();
        if (!(opts.client instanceof ApiClient)) client.close();
      })();
      return stopping;
    },
  };
}
