// The namespace controller's shell: a namespace informer feeds the names of namespaces
// being deleted into a work queue; workers run NamespaceDeleter.sync (upstream
// NamespaceController, 5 min resync).
import type { Api } from '../runtime/client.ts';
import { Controller } from '../runtime/controller.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeObject } from '../runtime/types.ts';
import { NamespaceDeleter } from './deleter.ts';

export interface NamespaceControllerOptions {
  api: Api;
  namespaces: Informer;
  workers?: number;
  resyncMs?: number;
}

export function namespaceController(opts: NamespaceControllerOptions): Controller {
  const deleter = new NamespaceDeleter({ api: opts.api });
  const c = new Controller({ name: 'namespace', reconcile: (name) => deleter.sync(name), workers: opts.workers ?? 5 });
  const enqueue = (ns: KubeObject) => {
    if (ns.metadata?.deletionTimestamp && ns.metadata.name) c.enqueue(ns.metadata.name);
  };
  opts.namespaces.addEventHandler({ add: enqueue, update: (_old, ns) => enqueue(ns) }, opts.resyncMs ?? 5 * 60_000);
  return c;
}
