// ControllerRefs (ownerReferences with controller: true) and the claim/adopt/release protocol
// of upstream pkg/controller/controller_ref_manager.go: a controller owns the objects whose
// controllerRef points at it and that its selector matches; it adopts matching orphans (a
// strategic merge patch adding its controllerRef, after re-checking with a live GET that it is
// not being deleted) and releases objects it owns that no longer match (a patch deleting its
// ownerReference). Plus informer indexes by owner uid so a controller finds its objects
// without scanning the namespace.
import type { Api, ResourceRef } from './client.ts';
import { ApiStatusError, isNotFound } from './errors.ts';
import type { Indexer, IndexFunc } from './store.ts';
import type { KubeObject, OwnerReference } from './types.ts';

/** metav1.GetControllerOf: the ownerReference with controller: true, if any. */
export function getControllerOf(obj: KubeObject | undefined): OwnerReference | undefined {
  return (obj?.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion set. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Index of objects by their controller's uid; orphans under orphanIndexKey(namespace). */
export const CONTROLLER_UID_INDEX = 'controllerUID';
/** Index of objects by every owner's uid. */
export const OWNER_UID_INDEX = 'ownerUID';

/** Upstream's OrphanPodIndexKeyForNamespace. */
export function orphanIndexKey(namespace: string): string {
  return `_ORPHAN_POD/${namespace}`;
}

export const controllerUidIndexFunc: IndexFunc<KubeObject> = (obj) => {
  const ref = getControllerOf(obj);
  return [ref ? ref.uid : orphanIndexKey(obj.metadata?.namespace ?? '')];
};

export const ownerUidIndexFunc: IndexFunc<KubeObject> = (obj) => [...new Set((obj.metadata?.ownerReferences ?? []).map((r) => r.uid))];

/** Adds an index unless the store has one by that name (informers are shared between controllers). */
export function ensureIndex<T extends KubeObject>(store: Indexer<T>, name: string, fn: IndexFunc<T>): void {
  if (!store.hasIndexer(name)) store.addIndexer(name, fn);
}

/**
 * The objects an owner may claim, from a CONTROLLER_UID_INDEX: those it controls and, when
 * includeOrphans, the namespace's orphans (upstream FilterPodsByOwner).
 */
export function objectsForOwner<T extends KubeObject>(store: Indexer<T>, owner: KubeObject, includeOrphans: boolean): T[] {
  const uid = owner.metadata?.uid ?? '';
  const ns = owner.metadata?.namespace ?? '';
  const out = store.byIndex(CONTROLLER_UID_INDEX, uid).filter((o) => (o.metadata?.namespace ?? '') === ns);
  if (includeOrphans) out.push(...store.byIndex(CONTROLLER_UID_INDEX, orphanIndexKey(ns)));
  return out;
}

export type ClaimDecision = 'claimed' | 'adopt' | 'release' | 'ignore';

/**
 * What claiming obj means for owner (upstream BaseControllerRefManager.ClaimObject, without the
 * API calls): keep what it controls and matches; release what it controls and no longer
 * matches (unless the owner is being deleted); adopt matching live orphans of its namespace
 * (unless the owner is being deleted); ignore the rest.
 */
export function claimDecision(owner: KubeObject, obj: KubeObject, match: (o: KubeObject) => boolean): ClaimDecision {
  const ref = getControllerOf(obj);
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  if (ref) {
    if (ref.uid !== owner.metadata?.uid) return 'ignore';
    if (match(obj)) return 'claimed';
    return ownerDeleting ? 'ignore' : 'release';
  }
  if (ownerDeleting || !match(obj)) return 'ignore';
  if (obj.metadata?.deletionTimestamp) return 'ignore';
  const ns = owner.metadata?.namespace ?? '';
  if (ns && ns !== (obj.metadata?.namespace ?? '')) return 'ignore';
  return 'adopt';
}

/**
 * Upstream RecheckDeletionTimestamp: a canAdopt function that GETs the owner live (the cache
 * may be stale) and refuses adoption when it is gone, replaced, or being deleted. The check
 * runs at most once per function.
 */
export function recheckDeletionTimestamp(getFresh: () => Promise<KubeObject>, owner: KubeObject): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= (async () => {
      const m = owner.metadata ?? {};
      const fresh = await getFresh();
      if (fresh.metadata?.uid !== m.uid) throw new Error(`original ${m.namespace}/${m.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${m.uid}`);
      if (fresh.metadata?.deletionTimestamp) throw new Error(`${m.namespace}/${m.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    })();
    return result;
  };
}

export interface ControllerRefManagerOptions {
  api: Pick<Api, 'patch'>;
  /** The resource of the claimed objects (pods, replicasets). */
  resource: ResourceRef;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  match: (obj: KubeObject) => boolean;
  /** Called (once) before the first adoption; throws to refuse. */
  canAdopt: () => Promise<void>;
}

export interface ClaimResult<T> {
  claimed: T[];
  errors: Error[];
}

/** Adoption and release through the API (upstream PodControllerRefManager / ReplicaSetControllerRefManager). */
export class ControllerRefManager {
  constructor(private readonly opts: ControllerRefManagerOptions) {}

  /** Claims each object (adopting or releasing as needed); errors are collected, not thrown. */
  async claim<T extends KubeObject>(objs: T[]): Promise<ClaimResult<T>> {
    const claimed: T[] = [];
    const errors: Error[] = [];
    for (const obj of objs) {
      const d = claimDecision(this.opts.owner, obj, this.opts.match);
      try {
        if (d === 'claimed') claimed.push(obj);
        else if (d === 'adopt') {
          const adopted = await this.adopt(obj);
          if (adopted) claimed.push(adopted as T);
        } else if (d === 'release') await this.release(obj);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    return { claimed, errors };
  }

  /** Adds the owner's controllerRef; undefined when the object is gone. */
  async adopt(obj: KubeObject): Promise<KubeObject | undefined> {
    await this.opts.canAdopt();
    const ref = newControllerRef(this.opts.owner, this.opts.ownerApiVersion, this.opts.ownerKind);
    try {
      return await this.opts.api.patch(
        this.opts.resource,
        obj.metadata?.namespace,
        obj.metadata!.name!,
        { metadata: { ownerReferences: [ref], uid: obj.metadata?.uid } },
        'strategic',
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Removes the owner's ownerReference (gone or invalid objects are fine). */
  async release(obj: KubeObject): Promise<void> {
    try {
      await this.opts.api.patch(
        this.opts.resource,
        obj.metadata?.namespace,
        obj.metadata!.name!,
        { metadata: { ownerReferences: [{ $patch: 'delete', uid: this.opts.owner.metadata?.uid }], uid: obj.metadata?.uid } },
        'strategic',
      );
    } catch (err) {
      if (isNotFound(err) || (err instanceof ApiStatusError && err.code === 422)) return;
      throw err;
    }
  }
}
