// The ServiceAccount controller (upstream pkg/controller/serviceaccount ServiceAccountsController):
// every active namespace has a `default` ServiceAccount; one deleted is created again.
import type { Api, ResourceRef } from '../runtime/client.ts';
import { Controller } from '../runtime/controller.ts';
import { isAlreadyExists, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeObject } from '../runtime/types.ts';

export const SERVICEACCOUNTS: ResourceRef = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true, kind: 'ServiceAccount' };
export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export function namespaceActive(ns: KubeObject | undefined): boolean {
  if (!ns || ns.metadata?.deletionTimestamp) return false;
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return phase === undefined || phase === 'Active';
}

/** The ServiceAccounts to create in a namespace (pure). */
export function missingServiceAccounts(ns: KubeObject | undefined, exists: (name: string) => boolean, required = DEFAULT_SERVICE_ACCOUNTS): KubeObject[] {
  if (!namespaceActive(ns)) return [];
  const namespace = ns!.metadata!.name!;
  return required.filter((n) => !exists(n)).map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
}

export interface ServiceAccountsControllerOptions {
  api: Pick<Api, 'create'>;
  namespaces: Informer;
  serviceAccounts: Informer;
  required?: string[];
  workers?: number;
}

/** Reconciles one namespace: creates what missingServiceAccounts says. */
export async function syncServiceAccounts(opts: ServiceAccountsControllerOptions, namespace: string): Promise<void> {
  const ns = opts.namespaces.store.get(namespace);
  const exists = (name: string) => opts.serviceAccounts.store.getByName(namespace, name) !== undefined;
  for (const sa of missingServiceAccounts(ns, exists, opts.required)) {
    try {
      await opts.api.create(SERVICEACCOUNTS, namespace, sa);
    } catch (err) {
      // A stale cache, or the namespace going away meanwhile: nothing to do.
      if (isAlreadyExists(err) || isNamespaceTerminating(err) || isNotFound(err)) continue;
      throw err;
    }
  }
}

export function serviceAccountsController(opts: ServiceAccountsControllerOptions): Controller {
  const c = new Controller({ name: 'serviceaccount', reconcile: (ns) => syncServiceAccounts(opts, ns), workers: opts.workers ?? 1 });
  const byNs = (ns: KubeObject) => ns.metadata?.name && c.enqueue(ns.metadata.name);
  opts.namespaces.addEventHandler({ add: byNs, update: (_o, n) => byNs(n) });
  opts.serviceAccounts.addEventHandler({ delete: (sa) => sa.metadata?.namespace && c.enqueue(sa.metadata.namespace) });
  return c;
}
