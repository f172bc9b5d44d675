// The controller manager (kube-controller-manager): one API client, shared informers, and
// the controllers, run while this process holds the `kube-controller-manager` Lease in
// kube-system. Losing the lease stops the controllers (and their informers); the manager
// then campaigns again.
import { ApiClient, type ClientConfig, type ResourceRef } from './runtime/client.ts';
import type { Controller } from './runtime/controller.ts';
import { InformerFactory } from './runtime/informer.ts';
import { LeaderElector } from './runtime/leaderelection.ts';
import { namespaceController } from './namespace/controller.ts';
import { NAMESPACES } from './namespace/deleter.ts';
import { SERVICEACCOUNTS, serviceAccountsController } from './serviceaccount/serviceaccounts.ts';
import { CONFIGMAPS, ROOT_CA_CONFIGMAP, rootCaPublisher } from './serviceaccount/rootca.ts';
import { GarbageCollector } from './garbagecollector/garbagecollector.ts';
import { ApiEventRecorder } from './runtime/events.ts';
import { replicaSetController } from './replicaset/controller.ts';
import { PODS, REPLICASET_KIND, REPLICATIONCONTROLLER_KIND } from './replicaset/replicaset.ts';
import { COMPONENT as DEPLOYMENT_COMPONENT, DEPLOYMENTS, deploymentController } from './deployment/controller.ts';
import { logger } from '../lib/logger.ts';

const log = logger.child({ component: 'controller-manager' });

export const ALL_CONTROLLERS = [
  'namespace',
  'serviceaccount',
  'root-ca-cert-publisher',
  'garbagecollector',
  'replicaset',
  'replicationcontroller',
  'deployment',
] as const;
export type ControllerName = (typeof ALL_CONTROLLERS)[number];

export interface ControllerManagerOptions {
  /** How to reach the API server (or a ready client). */
  client: ApiClient | ClientConfig;
  /** The cluster CA (PEM) that kube-root-ca.crt publishes; default: the client's CA. */
  rootCA?: string;
  /** Default all. */
  controllers?: readonly ControllerName[];
  /** Default true. */
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManager {
  readonly client: ApiClient;
  readonly identity: string;
  isLeader(): boolean;
  /** Resolves once the controllers run (this process leads), or once stopped. */
  whenRunning(): Promise<void>;
  stop(): Promise<void>;
}

interface Running {
  factory: InformerFactory;
  controllers: Controller[];
  recorders: ApiEventRecorder[];
  gc?: GarbageCollector;
}

export function startControllerManager(opts: ControllerManagerOptions): ControllerManager {
  const client = opts.client instanceof ApiClient ? opts.client : new ApiClient({ userAgent: 'kube-controller-manager/k8ts', ...opts.client });
  const ownsClient = !(opts.client instanceof ApiClient);
  const rootCA = opts.rootCA ?? (client.config.ca ? client.config.ca.toString() : '');
  const enabled = new Set<string>(opts.controllers ?? ALL_CONTROLLERS);
  let running: Running | undefined;
  let starting: Promise<void> | undefined;
  let started = false;
  let runningWaiters: (() => void)[] = [];

  const startControllers = async () => {
    const factory = new InformerFactory(client);
    const controllers: Controller[] = [];
    const namespaces = factory.informer(NAMESPACES);
    if (enabled.has('namespace')) controllers.push(namespaceController({ api: client, namespaces }));
    if (enabled.has('serviceaccount')) {
      controllers.push(serviceAccountsController({ api: client, namespaces, serviceAccounts: factory.informer(SERVICEACCOUNTS) }));
    }
    if (enabled.has('root-ca-cert-publisher') && rootCA) {
      const configMaps = factory.informer(CONFIGMAPS as ResourceRef, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
      controllers.push(rootCaPublisher({ api: client, namespaces, configMaps, rootCA }));
    }
    // Workload controllers (ReplicaSet, ReplicationController, Deployment): shared pod and
    // ReplicaSet informers, an event recorder per controller as upstream's sources.
    const recorders: ApiEventRecorder[] = [];
    const recorder = (component: string) => {
      const rec = new ApiEventRecorder({ api: client, component });
      recorders.push(rec);
      return rec;
    };
    if (enabled.has('replicaset')) {
      controllers.push(
        replicaSetController({ api: client, kind: REPLICASET_KIND, owners: factory.informer(REPLICASET_KIND.ref), pods: factory.informer(PODS), recorder: recorder(REPLICASET_KIND.component) }),
      );
    }
    if (enabled.has('replicationcontroller')) {
      controllers.push(
        replicaSetController({
          api: client,
          kind: REPLICATIONCONTROLLER_KIND,
          owners: factory.informer(REPLICATIONCONTROLLER_KIND.ref),
          pods: factory.informer(PODS),
          recorder: recorder(REPLICATIONCONTROLLER_KIND.component),
        }),
      );
    }
    if (enabled.has('deployment')) {
      controllers.push(
        deploymentController({
          api: client,
          deployments: factory.informer(DEPLOYMENTS),
          replicaSets: factory.informer(REPLICASET_KIND.ref),
          pods: factory.informer(PODS),
          recorder: recorder(DEPLOYMENT_COMPONENT),
        }),
      );
    }
    const r: Running = { factory, controllers, recorders };
    running = r;
    factory.start();
    await factory.waitForSync();
    if (running !== r) return;
    for (const c of controllers) c.start();
    if (enabled.has('garbagecollector')) {
      r.gc = new GarbageCollector({ api: client, client });
      // The collector waits for its own monitors; the others need not wait for it.
      void r.gc.start().catch((err) => log.error({ err }, 'garbage collector failed to start'));
    }
    log.info({ controllers: [...enabled] }, 'controllers started');
    started = true;
    for (const w of runningWaiters.splice(0)) w();
  };

  const stopControllers = async () => {
    const r = running;
    running = undefined;
    started = false;
    // Stopping the informers first releases a start still waiting for their first lists.
    await r?.factory.stop();
    await starting;
    if (!r) return;
    await Promise.all([...r.controllers.map((c) => c.stop()), r.gc?.stop()]);
    for (const rec of r.recorders) rec.stop();
    log.info('controllers stopped');
  };

  const onStart = () => {
    starting = startControllers().catch((err) => log.error({ err }, 'starting controllers failed'));
  };

  let elector: LeaderElector | undefined;
  if (opts.leaderElect === false) onStart();
  else {
    elector = new LeaderElector({
      api: client,
      namespace: opts.leaseNamespace ?? 'kube-system',
      name: opts.leaseName ?? 'kube-controller-manager',
      identity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? 15,
      renewDeadlineMs: opts.renewDeadlineMs ?? 10_000,
      retryPeriodMs: opts.retryPeriodMs ?? 2_000,
      onStartedLeading: onStart,
      onStoppedLeading: stopControllers,
    });
    void elector.run();
  }

  let stopping: Promise<void> | undefined;
  return {
    client,
    identity: elector?.identity ?? opts.identity ?? '',
    isLeader: () => (elector ? elector.isLeader() : true),
    whenRunning: () => (started ? Promise.resolve() : new Promise<void>((resolve) => runningWaiters.push(resolve))),
    stop() {
      stopping ??= (async () => {
        if (elector) await elector.stop();
        await stopControllers();
        for (const w of runningWaiters.splice(0)) w();
        if (ownsClient) client.close();
      })();
      return stopping;
    },
  };
}
