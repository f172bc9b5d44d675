// The controller manager (kube-controller-manager): one API client, shared informers, and
// the controllers, run while this process holds the `kube-controller-manager` Lease in
// kube-system. Losing the lease stops the controllers (and their informers); the manager
// then campaigns again.
import { ApiClient, type ClientConfig, type ResourceRef } from './runtime/client.ts';
import type { Controller } from './runtime/controller.ts';
import { InformerFactory } from './runtime/informer.ts';
import { leadOrRun, type LeaderElectionOptions } from './runtime/leaderelection.ts';
import { namespaceController } from './namespace/controller.ts';
import { NAMESPACES } from './namespace/deleter.ts';
import { SERVICEACCOUNTS, serviceAccountsController } from './serviceaccount/serviceaccounts.ts';
import { CONFIGMAPS, ROOT_CA_CONFIGMAP, rootCaPublisher } from './serviceaccount/rootca.ts';
import { GarbageCollector } from './garbagecollector/garbagecollector.ts';
import { ApiEventRecorder } from './runtime/events.ts';
import { replicaSetController } from './replicaset/controller.ts';
import { PODS, REPLICASET_KIND, REPLICATIONCONTROLLER_KIND } from './replicaset/replicaset.ts';
import { COMPONENT as DEPLOYMENT_COMPONENT, DEPLOYMENTS, deploymentController } from './deployment/controller.ts';
import { COMPONENT as STATEFULSET_COMPONENT, statefulSetController } from './statefulset/controller.ts';
import { PERSISTENTVOLUMECLAIMS, STATEFULSETS } from './statefulset/util.ts';
import { COMPONENT as DAEMONSET_COMPONENT, daemonSetController } from './daemonset/controller.ts';
import { DAEMONSETS, NODES } from './daemonset/util.ts';
import { CONTROLLERREVISIONS } from './history/history.ts';
import { COMPONENT as PV_COMPONENT, persistentVolumeController } from './volume/controller.ts';
import { COMPONENT as LOCAL_PATH_COMPONENT, localPathProvisioner } from './volume/local-path.ts';
import { ensureDefaultStorageClass } from './volume/default-class.ts';
import { NODES as VOLUME_NODES, PVCS, PVS, STORAGECLASSES } from './volume/volume.ts';
import { REPLENISHED, RESOURCEQUOTAS, replenishmentInformerOptions, resourceQuotaController } from './resourcequota/controller.ts';
import { COMPONENT as DISRUPTION_COMPONENT, PDBS, STATEFULSETS as PDB_STATEFULSETS, disruptionController } from './disruption/controller.ts';
import { COMPONENT as HPA_COMPONENT, HPAS, horizontalPodAutoscalerController } from './podautoscaler/controller.ts';
import { COMPONENT as ENDPOINTS_COMPONENT, endpointsController } from './endpoints/controller.ts';
import { ENDPOINTS, SERVICES } from './endpoints/service-pods.ts';
import { COMPONENT as ENDPOINTSLICE_COMPONENT, ENDPOINTSLICES, MANAGED_SLICES_SELECTOR, endpointSliceController } from './endpointslice/controller.ts';
import { COMPONENT as NODE_LIFECYCLE_COMPONENT, DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, DEFAULT_NODE_MONITOR_PERIOD_MS, nodeLifecycleControllers } from './nodelifecycle/controller.ts';
import { NODE_LEASE_NAMESPACE } from './nodelifecycle/node-util.ts';
import { COMPONENT as TAINT_EVICTION_COMPONENT, taintEvictionController } from './nodelifecycle/taint-eviction-controller.ts';
import { podGCController } from './podgc/controller.ts';
import { jobControllers } from './job/controller.ts';
import { COMPONENT as JOB_COMPONENT, JOBS } from './job/job.ts';
import { cronJobController } from './cronjob/controller.ts';
import { COMPONENT as CRONJOB_COMPONENT, CRONJOBS } from './cronjob/cronjob.ts';
import { ttlAfterFinishedController } from './ttlafterfinished/controller.ts';
import { LEASES } from './runtime/leaderelection.ts';
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
  'statefulset',
  'daemonset',
  'persistentvolume-binder',
  'local-path-provisioner',
  'resourcequota',
  'disruption',
  'horizontalpodautoscaling',
  'endpoint',
  'endpointslice',
  'nodelifecycle',
  'taint-eviction-controller',
  'podgc',
  'job',
  'cronjob',
  'ttl-after-finished',
] as const;
export type ControllerName = (typeof ALL_CONTROLLERS)[number];

export interface ControllerManagerOptions extends LeaderElectionOptions {
  /** How to reach the API server (or a ready client). */
  client: ApiClient | ClientConfig;
  /** The cluster CA (PEM) that kube-root-ca.crt publishes; default: the client's CA. */
  rootCA?: string;
  /** Default all. */
  controllers?: readonly ControllerName[];
  /** --horizontal-pod-autoscaler-sync-period: how often each HPA is synced (default 15 s). */
  horizontalPodAutoscalerSyncPeriodMs?: number;
  /**
   * --node-monitor-grace-period: how long a node may go unheard before it is marked
   * NotReady (default 40 s).
   */
  nodeMonitorGracePeriodMs?: number;
  /** --node-monitor-period (default 5 s, or an eighth of a shorter grace period). */
  nodeMonitorPeriodMs?: number;
  /** --terminated-pod-gc-threshold (default 12500; 0 disables). */
  terminatedPodGCThreshold?: number;
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
    if (enabled.has('statefulset')) {
      controllers.push(
        statefulSetController({
          api: client,
          statefulSets: factory.informer(STATEFULSETS),
          pods: factory.informer(PODS),
          revisions: factory.informer(CONTROLLERREVISIONS),
          claims: factory.informer(PERSISTENTVOLUMECLAIMS),
          recorder: recorder(STATEFULSET_COMPONENT),
        }),
      );
    }
    if (enabled.has('daemonset')) {
      controllers.push(
        daemonSetController({
          api: client,
          daemonSets: factory.informer(DAEMONSETS),
          pods: factory.informer(PODS),
          nodes: factory.informer(NODES),
          revisions: factory.informer(CONTROLLERREVISIONS),
          recorder: recorder(DAEMONSET_COMPONENT),
        }),
      );
    }
    // Volumes: the binder, the local-path provisioner and the default StorageClass they serve.
    const volumeInformers = () => ({
      volumes: factory.informer(PVS),
      claims: factory.informer(PVCS),
      classes: factory.informer(STORAGECLASSES),
      nodes: factory.informer(VOLUME_NODES),
    });
    if (enabled.has('persistentvolume-binder')) {
      controllers.push(persistentVolumeController({ api: client, ...volumeInformers(), pods: factory.informer(PODS), recorder: recorder(PV_COMPONENT) }));
    }
    if (enabled.has('local-path-provisioner')) {
      controllers.push(localPathProvisioner({ api: client, ...volumeInformers(), recorder: recorder(LOCAL_PATH_COMPONENT) }));
      void ensureDefaultStorageClass(client).catch((err) => log.warn({ err }, 'creating the default StorageClass failed'));
    }
    if (enabled.has('resourcequota')) {
      const replenish = new Map(REPLENISHED.map((ref) => [ref.resource, factory.informer(ref, replenishmentInformerOptions(ref))]));
      controllers.push(resourceQuotaController({ api: client, quotas: factory.informer(RESOURCEQUOTAS), replenish }));
    }
    if (enabled.has('disruption')) {
      controllers.push(
        disruptionController({
          api: client,
          pdbs: factory.informer(PDBS),
          pods: factory.informer(PODS),
          replicationControllers: factory.informer(REPLICATIONCONTROLLER_KIND.ref),
          replicaSets: factory.informer(REPLICASET_KIND.ref),
          deployments: factory.informer(DEPLOYMENTS),
          statefulSets: factory.informer(PDB_STATEFULSETS),
          recorder: recorder(DISRUPTION_COMPONENT),
        }),
      );
    }
    if (enabled.has('horizontalpodautoscaling')) {
      controllers.push(
        horizontalPodAutoscalerController({
          api: client,
          hpas: factory.informer(HPAS),
          pods: factory.informer(PODS),
          recorder: recorder(HPA_COMPONENT),
          syncPeriodMs: opts.horizontalPodAutoscalerSyncPeriodMs,
        }),
      );
    }
    // Services' Endpoints and EndpointSlices.
    if (enabled.has('endpoint')) {
      controllers.push(
        endpointsController({
          api: client,
          services: factory.informer(SERVICES),
          pods: factory.informer(PODS),
          endpoints: factory.informer(ENDPOINTS),
          recorder: recorder(ENDPOINTS_COMPONENT),
        }),
      );
    }
    if (enabled.has('endpointslice')) {
      controllers.push(
        endpointSliceController({
          api: client,
          services: factory.informer(SERVICES),
          pods: factory.informer(PODS),
          nodes: factory.informer(NODES),
          slices: factory.informer(ENDPOINTSLICES, { labelSelector: MANAGED_SLICES_SELECTOR }),
          recorder: recorder(ENDPOINTSLICE_COMPONENT),
        }),
      );
    }
    // Node health, taint-based eviction and pod GC.
    if (enabled.has('nodelifecycle')) {
      const grace = opts.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
      controllers.push(
        ...nodeLifecycleControllers({
          api: client,
          nodes: factory.informer(NODES),
          pods: factory.informer(PODS),
          leases: factory.informer(LEASES, { namespace: NODE_LEASE_NAMESPACE }),
          recorder: recorder(NODE_LIFECYCLE_COMPONENT),
          nodeMonitorGracePeriodMs: grace,
          // Upstream's ratio (5 s to 40 s) for shorter grace periods.
          nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs ?? Math.min(DEFAULT_NODE_MONITOR_PERIOD_MS, Math.max(250, grace / 8)),
        }),
      );
    }
    if (enabled.has('taint-eviction-controller')) {
      controllers.push(taintEvictionController({ api: client, nodes: factory.informer(NODES), pods: factory.informer(PODS), recorder: recorder(TAINT_EVICTION_COMPONENT) }));
    }
    if (enabled.has('podgc')) {
      controllers.push(podGCController({ api: client, pods: factory.informer(PODS), nodes: factory.informer(NODES), terminatedPodThreshold: opts.terminatedPodGCThreshold }));
    }
    if (enabled.has('job')) {
      controllers.push(...jobControllers({ api: client, jobs: factory.informer(JOBS), pods: factory.informer(PODS), recorder: recorder(JOB_COMPONENT) }));
    }
    if (enabled.has('cronjob')) {
      controllers.push(cronJobController({ api: client, cronJobs: factory.informer(CRONJOBS), jobs: factory.informer(JOBS), recorder: recorder(CRONJOB_COMPONENT) }));
    }
    if (enabled.has('ttl-after-finished')) controllers.push(ttlAfterFinishedController({ api: client, jobs: factory.informer(JOBS) }));
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

  const elector = leadOrRun(client, opts, 'kube-controller-manager', onStart, stopControllers);

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
