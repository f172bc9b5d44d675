// The resourcequota controller's shell (upstream ResourceQuotaController): a quota is synced
// when it is added or changed, every minute, and when objects it counts are deleted or change
// their usage (replenishment: a pod finishing gives its cpu back). A sync reads the quota, then
// lists what it counts (consistent reads, so never older than the quota) and writes the status
// with the quota's resourceVersion: an object admitted meanwhile charged the quota in the same
// write that stored it, so the status write conflicts and the sync runs again, and usage is
// never undercounted. Resources without a dedicated informer (count/deployments.apps, ...) are
// found through discovery and listed at sync time.
import { evaluatorFor, listsEqual, parseResourceList, type GroupResource } from '../../api/admission/quota-usage.ts';
import { preferredResources, type Api, type ApiResource, type ResourceRef } from '../runtime/client.ts';
import { Controller } from '../runtime/controller.ts';
import { DiscoveryError } from '../runtime/client.ts';
import { isNotFound } from '../runtime/errors.ts';
import type { Informer } from '../runtime/informer.ts';
import { objectKey, splitKey, type KubeObject } from '../runtime/types.ts';
import { grKey, quotaStatus, statusUpToDate, trackedResources } from './quota.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'resourcequota-controller' });

export const RESOURCEQUOTAS: ResourceRef = { group: '', version: 'v1', resource: 'resourcequotas', namespaced: true, kind: 'ResourceQuota' };
/** The resources quota replenishment watches (upstream's evaluated resources). */
export const REPLENISHED: ResourceRef[] = [
  { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' },
  { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' },
  { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' },
  { group: '', version: 'v1', resource: 'secrets', namespaced: true, kind: 'Secret' },
  { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' },
  RESOURCEQUOTAS,
  // Workloads quotas often count (count/replicasets.apps); their informers are shared with their controllers.
  { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, kind: 'ReplicaSet' },
  { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, kind: 'Deployment' },
  { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, kind: 'StatefulSet' },
];
/** Counting these needs only their metadata (the others' informers are shared with their controllers). */
const METADATA_ONLY = new Set(['configmaps', 'secrets']);
/** The evaluators that read more than metadata. */
const FULL_OBJECTS = new Set(['pods', 'services', 'persistentvolumeclaims']);
const DISCOVERY_REFRESH_MS = 30_000;

export interface ResourceQuotaControllerOptions {
  api: Api;
  quotas: Informer;
  /** Informers on REPLENISHED resources (by resource name), to sync quotas when usage drops. */
  replenish: Map<string, Informer>;
  /** Default 60 s (upstream's --resource-quota-sync-period is 5 min). */
  resyncMs?: number;
  now?: () => number;
}

function hardMatchesSpec(q: KubeObject): boolean {
  const spec = parseResourceList((q.spec as { hard?: unknown } | undefined)?.hard);
  const status = parseResourceList((q.status as { hard?: unknown } | undefined)?.hard);
  return listsEqual(spec, status);
}

export function replenishmentInformerOptions(ref: ResourceRef): { metadataOnly?: boolean } {
  return METADATA_ONLY.has(ref.resource) ? { metadataOnly: true } : {};
}

export class ResourceQuotaController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly quotas: Informer;
  private readonly now: () => number;
  private discovered: { at: number; resources: ApiResource[] } | undefined;

  constructor(opts: ResourceQuotaControllerOptions) {
    this.api = opts.api;
    this.quotas = opts.quotas;
    this.now = opts.now ?? Date.now;
    this.controller = new Controller({ name: 'resourcequota', reconcile: (key) => this.sync(key), workers: 2 });
    const enqueue = (q: KubeObject) => this.controller.enqueue(objectKey(q));
    this.quotas.addEventHandler(
      {
        add: enqueue,
        // A resync, a new spec, or a status not (yet) matching it; not the usage admission charges.
        update: (old, q) => {
          if (old === q || JSON.stringify(old.spec) !== JSON.stringify(q.spec) || !hardMatchesSpec(q)) enqueue(q);
        },
      },
      opts.resyncMs ?? 60_000,
    );
    for (const ref of REPLENISHED) {
      const inf = opts.replenish.get(ref.resource);
      if (!inf) continue;
      const gr: GroupResource = { group: ref.group, resource: ref.resource };
      const evaluator = evaluatorFor(gr);
      inf.addEventHandler({
        delete: (obj) => this.replenish(gr, obj),
        update: (old, cur) => {
          if (ref.resource === 'resourcequotas') return;
          const t = this.now();
          if (!listsEqual(evaluator.usage(old, t), evaluator.usage(cur, t))) this.replenish(gr, cur);
        },
      });
    }
  }

  /** Syncs the quotas of the object's namespace that count its resource. */
  private replenish(gr: GroupResource, obj: KubeObject): void {
    const evaluator = evaluatorFor(gr);
    for (const q of this.quotas.store.listByNamespace(obj.metadata?.namespace ?? '')) {
      const hard = Object.keys(((q.spec as { hard?: Record<string, unknown> } | undefined)?.hard) ?? {});
      if (evaluator.matchingResources(hard).length) this.controller.enqueue(objectKey(q));
    }
  }

  /** The served resource for a group/resource (discovery, refreshed when a name is missing). */
  private async resolve(gr: GroupResource): Promise<ResourceRef | undefined> {
    const find = () => this.discovered?.resources.find((r) => r.group === gr.group && r.resource === gr.resource && r.verbs.includes('list'));
    const found = find();
    if (found) return found;
    if (this.discovered && this.now() - this.discovered.at < DISCOVERY_REFRESH_MS) return undefined;
    let all: ApiResource[];
    try {
      all = await this.api.discover();
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      all = err.partial;
    }
    this.discovered = { at: this.now(), resources: preferredResources(all) };
    return find();
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    let quota: KubeObject;
    try {
      quota = await this.api.get(RESOURCEQUOTAS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const objects = new Map<string, KubeObject[]>();
    for (const { gr } of trackedResources(quota)) {
      const ref = REPLENISHED.find((r) => r.group === gr.group && r.resource === gr.resource) ?? (await this.resolve(gr));
      if (!ref) continue;
      const list = await this.api.list(ref, namespace, { metadataOnly: !(ref.group === '' && FULL_OBJECTS.has(ref.resource)) });
      objects.set(grKey(gr), list.items);
    }
    const status = quotaStatus(quota, objects, this.now());
    if (statusUpToDate(quota, status)) return;
    await this.api.update(RESOURCEQUOTAS, namespace, { ...quota, status }, 'status');
    log.debug({ quota: key, used: status.used }, 'quota usage updated');
  }
}

export function resourceQuotaController(opts: ResourceQuotaControllerOptions): Controller {
  return new ResourceQuotaController(opts).controller;
}
