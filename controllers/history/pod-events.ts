// Pod informer events routed to the workload that owns (or may adopt) the pod, as the
// StatefulSet and DaemonSet controllers both do upstream (addPod/updatePod/deletePod): a pod
// with a controllerRef wakes its owner; an orphan wakes every owner whose selector matches it;
// a pod that turns ready wakes its owner again once minReadySeconds have passed.
import { getControllerOf } from '../runtime/controller-ref.ts';
import type { Informer } from '../runtime/informer.ts';
import { isPodReady, type Pod } from '../runtime/pods.ts';
import type { Selector } from '../runtime/selector.ts';
import type { KubeObject, OwnerReference } from '../runtime/types.ts';

export interface PodOwnerRouting<O extends KubeObject> {
  /** The owners' kind (controllerRefs of other kinds are not ours). */
  kind: string;
  owners: Informer<O>;
  /** The owner's selector (may throw for an invalid one). */
  selector(owner: O): Selector;
  enqueue(owner: O, afterMs?: number): void;
  minReadySeconds(owner: O): number;
  /** A pod of owner appeared (for expectations). */
  created?(owner: O, pod: Pod): void;
  /** A pod of owner is gone or being deleted (for expectations). */
  deleted?(owner: O, pod: Pod): void;
}

const json = (v: unknown) => JSON.stringify(v ?? null);

export function routePodEvents<O extends KubeObject>(pods: Informer<Pod>, r: PodOwnerRouting<O>): void {
  const resolve = (namespace: string, ref: OwnerReference): O | undefined => {
    if (ref.kind !== r.kind) return undefined;
    const owner = r.owners.store.getByName(namespace, ref.name);
    return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
  };
  const matching = (pod: Pod): O[] =>
    r.owners.store.listByNamespace(pod.metadata?.namespace ?? '').filter((o) => {
      try {
        const sel = r.selector(o);
        return !sel.nothing && !sel.everything && sel.matches(pod.metadata?.labels);
      } catch {
        return false;
      }
    });
  const ownerOf = (pod: Pod): O | undefined => {
    const ref = getControllerOf(pod);
    return ref && resolve(pod.metadata?.namespace ?? '', ref);
  };
  const deleted = (pod: Pod) => {
    const owner = ownerOf(pod);
    if (!owner) return;
    r.deleted?.(owner, pod);
    r.enqueue(owner);
  };

  pods.addEventHandler({
    add: (pod) => {
      if (pod.metadata?.deletionTimestamp) return deleted(pod);
      if (getControllerOf(pod)) {
        const owner = ownerOf(pod);
        if (!owner) return;
        r.created?.(owner, pod);
        r.enqueue(owner);
        return;
      }
      for (const o of matching(pod)) r.enqueue(o);
    },
    update: (old, cur) => {
      if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
      if (cur.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) return deleted(cur);
      const oldRef = getControllerOf(old);
      const curRef = getControllerOf(cur);
      const refChanged = json(oldRef) !== json(curRef);
      if (refChanged && oldRef) {
        const prev = resolve(old.metadata?.namespace ?? '', oldRef);
        if (prev) r.enqueue(prev);
      }
      if (curRef) {
        const owner = resolve(cur.metadata?.namespace ?? '', curRef);
        if (!owner) return;
        r.enqueue(owner);
        const minReady = r.minReadySeconds(owner);
        if (!isPodReady(old) && isPodReady(cur) && minReady > 0) r.enqueue(owner, minReady * 1000 + 1000);
        return;
      }
      if (refChanged || json(old.metadata?.labels) !== json(cur.metadata?.labels)) for (const o of matching(cur)) r.enqueue(o);
    },
    delete: deleted,
  });
}
