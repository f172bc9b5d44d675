// The root CA publisher (upstream pkg/controller/certificates/rootcacertpublisher): every
// active namespace has the ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA,
// so pods can verify the API server.
import type { Api, ResourceRef } from '../runtime/client.ts';
import { Controller } from '../runtime/controller.ts';
import { isAlreadyExists, isNamespaceTerminating, isNotFound } from '../runtime/errors.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeObject } from '../runtime/types.ts';
import { namespaceActive } from './serviceaccounts.ts';

export const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true, kind: 'ConfigMap' };
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DATA_KEY = 'ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export type RootCaPlan = { action: 'none' } | { action: 'create'; object: KubeObject } | { action: 'update'; object: KubeObject };

/** What to do about a namespace's kube-root-ca.crt (pure). */
export function planRootCa(ns: KubeObject | undefined, existing: KubeObject | undefined, rootCA: string): RootCaPlan {
  if (!namespaceActive(ns)) return { action: 'none' };
  const data = { [DATA_KEY]: rootCA };
  if (!existing) {
    return {
      action: 'create',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns!.metadata!.name, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data,
      },
    };
  }
  const cur = (existing.data ?? {}) as Record<string, string>;
  const sameData = Object.keys(cur).length === 1 && cur[DATA_KEY] === rootCA;
  if (sameData && existing.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return { action: 'none' };
  const next = structuredClone(existing);
  next.data = data;
  next.metadata = { ...next.metadata, annotations: { ...(next.metadata?.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } };
  return { action: 'update', object: next };
}

export interface RootCaPublisherOptions {
  api: Pick<Api, 'create' | 'update'>;
  namespaces: Informer;
  /** An informer of configmaps named kube-root-ca.crt (fieldSelector metadata.name=kube-root-ca.crt). */
  configMaps: Informer;
  rootCA: string;
  workers?: number;
}

export async function syncRootCa(opts: RootCaPublisherOptions, namespace: string): Promise<void> {
  const plan = planRootCa(opts.namespaces.store.get(namespace), opts.configMaps.store.getByName(namespace, ROOT_CA_CONFIGMAP), opts.rootCA);
  try {
    if (plan.action === 'create') await opts.api.create(CONFIGMAPS, namespace, plan.object);
    else if (plan.action === 'update') await opts.api.update(CONFIGMAPS, namespace, plan.object);
  } catch (err) {
    if (isAlreadyExists(err) || isNamespaceTerminating(err) || isNotFound(err)) return;
    throw err;
  }
}

export function rootCaPublisher(opts: RootCaPublisherOptions): Controller {
  const c = new Controller({ name: 'root-ca-cert-publisher', reconcile: (ns) => syncRootCa(opts, ns), workers: opts.workers ?? 1 });
  const byNs = (ns: KubeObject) => ns.metadata?.name && c.enqueue(ns.metadata.name);
  const byCm = (cm: KubeObject) => cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace && c.enqueue(cm.metadata.namespace);
  opts.namespaces.addEventHandler({ add: byNs, update: (_o, n) => byNs(n) });
  opts.configMaps.addEventHandler({ update: (_o, n) => byCm(n), delete: byCm });
  return c;
}
