// The garbage collector's dependency graph (upstream garbagecollector's GraphBuilder, pure):
// one node per object uid, seen through monitors (metadata informers) of every deletable
// resource, with an owner-uid → dependents index. Observing a change returns which uids to
// look at: dependents whose owner vanished or is being deleted in the foreground, owners
// deleted with the orphan policy, owners waiting for their blocking dependents.
import type { ResourceRef } from '../runtime/client.ts';
import type { ObjectMeta, OwnerReference } from '../runtime/types.ts';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export interface Identity {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

export interface GraphNode {
  identity: Identity;
  owners: OwnerReference[];
  deletionTimestamp?: string;
  finalizers: string[];
  /** Monitors that currently see the object (one resource may be served by several groups). */
  sources: Set<string>;
}

/** What an observation asks the collector to look at. */
export interface GraphWork {
  attemptToDelete: Set<string>;
  attemptToOrphan: Set<string>;
}

export function isDeletingDependents(n: { deletionTimestamp?: string; finalizers: string[] }): boolean {
  return !!n.deletionTimestamp && n.finalizers.includes(FINALIZER_FOREGROUND);
}

function ownersKey(owners: OwnerReference[]): string {
  return JSON.stringify(owners.map((o) => [o.uid, o.apiVersion, o.kind, o.name, !!o.blockOwnerDeletion, !!o.controller]));
}

export class Graph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  size(): number {
    return this.nodes.size;
  }

  node(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  dependentsOf(uid: string): GraphNode[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)).filter((n): n is GraphNode => !!n);
  }

  /** Dependents whose ownerReference to uid has blockOwnerDeletion: true. */
  blockingDependentsOf(uid: string): GraphNode[] {
    return this.dependentsOf(uid).filter((d) => d.owners.some((o) => o.uid === uid && o.blockOwnerDeletion === true));
  }

  private link(dep: string, owners: OwnerReference[]): void {
    for (const o of owners) {
      let s = this.dependents.get(o.uid);
      if (!s) this.dependents.set(o.uid, (s = new Set()));
      s.add(dep);
    }
  }

  private unlink(dep: string, owners: OwnerReference[]): void {
    for (const o of owners) {
      const s = this.dependents.get(o.uid);
      if (!s) continue;
      s.delete(dep);
      if (s.size === 0) this.dependents.delete(o.uid);
    }
  }

  /**
   * Whether an owner is known at the coordinates the reference resolves to from a dependent
   * in `namespace` ('' when cluster-scoped), and live (not being deleted).
   */
  ownerSolid(ref: OwnerReference, namespace: string): boolean {
    const n = this.nodes.get(ref.uid);
    if (!n || n.deletionTimestamp || n.identity.name !== ref.name) return false;
    // A namespaced owner lives in its dependent's namespace; a cluster-scoped dependent has none.
    if (n.identity.ref.namespaced && (namespace === '' || n.identity.namespace !== namespace)) return false;
    return true;
  }

  /** An object added or updated, as a monitor saw it. */
  observe(source: string, identity: Identity, meta: ObjectMeta): GraphWork {
    const work: GraphWork = { attemptToDelete: new Set(), attemptToOrphan: new Set() };
    const uid = identity.uid;
    const owners = (meta.ownerReferences ?? []).filter((o) => o && typeof o.uid === 'string');
    const old = this.nodes.get(uid);
    const node: GraphNode = {
      identity,
      owners,
      deletionTimestamp: meta.deletionTimestamp,
      finalizers: [...(meta.finalizers ?? [])],
      sources: new Set([...(old?.sources ?? []), source]),
    };
    if (old) {
      node.identity = old.identity;
      this.unlink(uid, old.owners);
    }
    this.nodes.set(uid, node);
    this.link(uid, owners);

    const ownersChanged = !old || ownersKey(old.owners) !== ownersKey(owners);
    if (ownersChanged) {
      // A dependent whose owner is unknown or going away needs a look (a virtual owner upstream).
      if (owners.some((o) => !this.ownerSolid(o, identity.namespace))) work.attemptToDelete.add(uid);
      // Owners waiting in the foreground may have lost a blocking dependent.
      for (const o of [...(old?.owners ?? []), ...owners]) {
        const on = this.nodes.get(o.uid);
        if (on && isDeletingDependents(on)) work.attemptToDelete.add(o.uid);
      }
    }
    if (node.deletionTimestamp && node.finalizers.includes(FINALIZER_ORPHAN)) work.attemptToOrphan.add(uid);
    if (isDeletingDependents(node)) {
      work.attemptToDelete.add(uid);
      if (!old || !isDeletingDependents(old)) for (const d of this.dependentsOf(uid)) work.attemptToDelete.add(d.identity.uid);
    }
    // An object whose owners all vanished earlier but that was never collected (e.g. observed
    // first after its owner's deletion) is caught by the ownersChanged check on its first observation.
    return work;
  }

  /** An object deleted (as one monitor saw it). */
  forget(source: string, uid: string): GraphWork {
    const work: GraphWork = { attemptToDelete: new Set(), attemptToOrphan: new Set() };
    const node = this.nodes.get(uid);
    if (!node) return work;
    node.sources.delete(source);
    if (node.sources.size > 0) return work;
    this.nodes.delete(uid);
    this.unlink(uid, node.owners);
    for (const d of this.dependentsOf(uid)) work.attemptToDelete.add(d.identity.uid);
    for (const o of node.owners) {
      const on = this.nodes.get(o.uid);
      if (on && isDeletingDependents(on)) work.attemptToDelete.add(o.uid);
    }
    return work;
  }

  /** Nodes of a source, e.g. to forget them when its monitor goes away. */
  uidsOf(source: string): string[] {
    return [...this.nodes.values()].filter((n) => n.sources.has(source)).map((n) => n.identity.uid);
  }
}
