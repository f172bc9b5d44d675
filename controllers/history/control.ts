// ControllerRevisions through the API (upstream history.Interface and the ControllerRevision
// ControllerRefManager): the revisions a workload owns (adopting matching orphans, releasing
// those that stopped matching), creating one under a hash that may collide, renumbering one
// (a rollback to an old template), deleting one.
import type { Api, ResourceRef } from '../runtime/client.ts';
import { ControllerRefManager, objectsForOwner, recheckDeletionTimestamp } from '../runtime/controller-ref.ts';
import { isAlreadyExists, isNotFound } from '../runtime/errors.ts';
import type { Indexer } from '../runtime/store.ts';
import type { Selector } from '../runtime/selector.ts';
import type { KubeObject } from '../runtime/types.ts';
import { CONTROLLERREVISIONS, CONTROLLER_REVISION_HASH_LABEL, equalRevision, hashRevisionData, revisionName, type ControllerRevision } from './history.ts';

export interface OwnerKind {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
}

/**
 * The revisions owner controls, after claiming: those it controls and that its selector
 * matches, plus matching orphans of its namespace (adopted). Needs a CONTROLLER_UID_INDEX on the store.
 */
export async function claimRevisions(api: Api, store: Indexer<ControllerRevision>, owner: KubeObject, kind: OwnerKind, selector: Selector): Promise<ControllerRevision[]> {
  const ns = owner.metadata?.namespace ?? '';
  const manager = new ControllerRefManager({
    api,
    resource: CONTROLLERREVISIONS,
    owner,
    ownerApiVersion: kind.apiVersion,
    ownerKind: kind.kind,
    match: (r) => selector.matches(r.metadata?.labels),
    canAdopt: recheckDeletionTimestamp(() => api.get(kind.ref, ns, owner.metadata!.name!), owner),
  });
  const { claimed, errors } = await manager.claim(objectsForOwner(store, owner, true));
  if (errors.length) throw errors[0];
  return claimed as ControllerRevision[];
}

/**
 * CreateControllerRevision: creates rev named `<owner>-<hash of its data and collisionCount>`;
 * when that name is taken by a revision with other data, raises collisionCount and tries the
 * next name. Returns the revision (the existing one when equal) and the collision count used.
 */
export async function createRevision(api: Api, owner: KubeObject, rev: ControllerRevision, collisionCount: number): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  const ns = owner.metadata?.namespace;
  for (let count = collisionCount; ; count++) {
    const hash = hashRevisionData(rev.data, count);
    const candidate: ControllerRevision = structuredClone(rev);
    candidate.metadata = { ...candidate.metadata, name: revisionName(owner.metadata?.name ?? '', hash), labels: { ...(candidate.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash } };
    try {
      return { revision: await api.create(CONTROLLERREVISIONS, ns, candidate), collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await api.get<ControllerRevision>(CONTROLLERREVISIONS, ns, candidate.metadata!.name!);
      if (equalRevision(existing, candidate)) return { revision: existing, collisionCount: count };
    }
  }
}

/** UpdateControllerRevision: gives rev a new number (with one retry on a fresh copy). */
export async function renumberRevision(api: Api, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  if (rev.revision === revision) return rev;
  const ns = rev.metadata?.namespace;
  try {
    return await api.update(CONTROLLERREVISIONS, ns, { ...structuredClone(rev), revision });
  } catch (err) {
    if (isNotFound(err)) throw err;
    const fresh = await api.get<ControllerRevision>(CONTROLLERREVISIONS, ns, rev.metadata!.name!);
    return api.update(CONTROLLERREVISIONS, ns, { ...fresh, revision });
  }
}

/** DeleteControllerRevision (one already gone is fine). */
export async function deleteRevision(api: Api, rev: ControllerRevision): Promise<void> {
  try {
    await api.delete(CONTROLLERREVISIONS, rev.metadata?.namespace, rev.metadata!.name!);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
