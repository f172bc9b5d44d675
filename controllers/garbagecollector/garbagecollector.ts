// The garbage collector (upstream pkg/controller/garbagecollector): monitors every deletable
// resource with a metadata informer, keeps the dependency graph, and
//   - deletes dependents whose owners are all gone (background cascading deletion),
//   - removes ownerReferences from the dependents of an owner deleted with the orphan
//     policy, then the owner's `orphan` finalizer,
//   - deletes the dependents of an owner deleted in the foreground, and removes its
//     `foregroundDeletion` finalizer once no dependent blocks it (blockOwnerDeletion).
// Owner absence is confirmed with a live GET before anything is deleted, as upstream.
import type { Api, ApiClient, ApiResource } from '../runtime/client.ts';
import { DiscoveryError, RestMapper, apiVersionOf } from '../runtime/client.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { errorMessage, isConflict, isNotFound } from '../runtime/errors.ts';
import { Informer, listerWatcher } from '../runtime/informer.ts';
import type { KubeObject, OwnerReference } from '../runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import { decideAttemptToDelete, unblocked, withoutOwners, type OwnerState } from './decide.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, Graph, isDeletingDependents, type GraphWork, type Identity } from './graph.ts';

const log = logger.child({ component: 'garbage-collector' });

/** Resources the collector never watches (upstream's default ignoredResources). */
export const IGNORED_RESOURCES = new Set(['/events', 'events.k8s.io/events']);

export function deletableResources(resources: ApiResource[], ignored = IGNORED_RESOURCES): ApiResource[] {
  return resources.filter(
    (r) => r.preferred && ['delete', 'list', 'watch'].every((v) => r.verbs.includes(v)) && !ignored.has(`${r.group}/${r.resource}`),
  );
}

/** A bounded set (upstream's absentOwnerCache, an LRU of owners known to be absent). */
class LruSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(k: string): boolean {
    if (!this.items.has(k)) return false;
    this.items.delete(k);
    this.items.add(k);
    return true;
  }
  add(k: string): void {
    this.items.delete(k);
    this.items.add(k);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
  }
}

export interface GarbageCollectorOptions {
  api: Api;
  /** Needed to watch (start()); tests that drive the graph by hand leave it out. */
  client?: Pick<ApiClient, 'list' | 'watch'>;
  workers?: number;
  /** How often discovery is refreshed to monitor new resources (default 30 s). */
  discoveryIntervalMs?: number;
  /** How long to wait for the monitors' first lists before collecting (default 30 s). */
  syncTimeoutMs?: number;
}

interface Monitor {
  resource: ApiResource;
  informer: Informer;
}

export class GarbageCollector {
  readonly graph = new Graph();
  readonly deleteController: Controller;
  readonly orphanController: Controller;
  private readonly api: Api;
  private readonly client: Pick<ApiClient, 'list' | 'watch'> | undefined;
  private readonly discoveryIntervalMs: number;
  private readonly syncTimeoutMs: number;
  private mapper = new RestMapper([]);
  private readonly monitors = new Map<string, Monitor>();
  private readonly absentOwners = new LruSet(1024);
  private discoveryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: GarbageCollectorOptions) {
    this.api = opts.api;
    this.client = opts.client;
    this.discoveryIntervalMs = opts.discoveryIntervalMs ?? 30_000;
    this.syncTimeoutMs = opts.syncTimeoutMs ?? 30_000;
    this.deleteController = new Controller({ name: 'garbagecollector-attempt-to-delete', reconcile: (uid) => this.attemptToDelete(uid), workers: opts.workers ?? 5 });
    this.orphanController = new Controller({ name: 'garbagecollector-attempt-to-orphan', reconcile: (uid) => this.attemptToOrphan(uid), workers: 2 });
  }

  /** Sets what discovery found (the REST mapping of ownerReferences). */
  setResources(resources: ApiResource[]): void {
    this.mapper = new RestMapper(resources);
  }

  private enqueue(work: GraphWork): void {
    for (const uid of work.attemptToDelete) this.deleteController.enqueue(uid);
    for (const uid of work.attemptToOrphan) this.orphanController.enqueue(uid);
  }

  private identity(r: ApiResource, obj: KubeObject): Identity | undefined {
    const m = obj.metadata;
    if (!m?.uid || !m.name) return undefined;
    return { ref: r, apiVersion: apiVersionOf(r), kind: r.kind, namespace: r.namespaced ? (m.namespace ?? '') : '', name: m.name, uid: m.uid };
  }

  /** An add or update seen by the monitor of `r`. */
  observe(r: ApiResource, obj: KubeObject): void {
    const id = this.identity(r, obj);
    if (id) this.enqueue(this.graph.observe(sourceOf(r), id, obj.metadata!));
  }

  /** A delete seen by the monitor of `r`. */
  forget(r: ApiResource, obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (uid) this.enqueue(this.graph.forget(sourceOf(r), uid));
  }

  // --- reconcile ---------------------------------------------------------------------------

  private async getLatest(id: Identity): Promise<KubeObject | undefined> {
    try {
      const obj = await this.api.get(id.ref, id.namespace || undefined, id.name);
      return obj.metadata?.uid === id.uid ? obj : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async refreshMapper(): Promise<void> {
    try {
      this.setResources(await this.api.discover());
    } catch (err) {
      if (err instanceof DiscoveryError) this.setResources(err.partial);
      else throw err;
    }
  }

  /** solid / dangling / waiting for one ownerReference of an item in `namespace` ('' if cluster-scoped). */
  async ownerState(ref: OwnerReference, namespace: string): Promise<OwnerState> {
    if (this.graph.ownerSolid(ref, namespace)) return 'solid';
    if (this.absentOwners.has(ref.uid)) return 'dangling';
    let mapping = this.mapper.map(ref.apiVersion, ref.kind);
    if (!mapping) {
      await this.refreshMapper();
      mapping = this.mapper.map(ref.apiVersion, ref.kind);
    }
    if (!mapping) throw new Error(`unable to map ownerReference ${ref.apiVersion}, Kind=${ref.kind} to a resource`);
    // A namespaced owner of a cluster-scoped dependent cannot exist.
    if (mapping.namespaced && !namespace) return 'dangling';
    let owner: KubeObject;
    try {
      owner = await this.api.get(mapping, mapping.namespaced ? namespace : undefined, ref.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.absentOwners.add(ref.uid);
      return 'dangling';
    }
    if (owner.metadata?.uid !== ref.uid) {
      this.absentOwners.add(ref.uid);
      return 'dangling';
    }
    return isDeletingDependents({ deletionTimestamp: owner.metadata?.deletionTimestamp, finalizers: owner.metadata?.finalizers ?? [] }) ? 'waiting' : 'solid';
  }

  private async patchMeta(id: Identity, latest: KubeObject, meta: Record<string, unknown>): Promise<void> {
    try {
      await this.api.patch(id.ref, id.namespace || undefined, id.name, {
        metadata: { ...meta, uid: id.uid, resourceVersion: latest.metadata?.resourceVersion },
      });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private setOwnerReferences(id: Identity, latest: KubeObject, refs: OwnerReference[]): Promise<void> {
    return this.patchMeta(id, latest, { ownerReferences: refs.length ? refs : null });
  }

  private removeFinalizer(id: Identity, latest: KubeObject, finalizer: string): Promise<void> {
    const rest = (latest.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    return this.patchMeta(id, latest, { finalizers: rest.length ? rest : null });
  }

  private async deleteItem(id: Identity, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    log.debug({ kind: id.kind, namespace: id.namespace, name: id.name, uid: id.uid, policy }, 'deleting object');
    try {
      await this.api.delete(id.ref, id.namespace || undefined, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (err) {
      // Gone already, or replaced by a new object of the same name.
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /** Upstream attemptToDeleteItem for the object with this uid. */
  async attemptToDelete(uid: string): Promise<ReconcileResult> {
    const node = this.graph.node(uid);
    if (!node) return {};
    const id = node.identity;
    const deletingDependents = isDeletingDependents(node);
    if (node.deletionTimestamp && !deletingDependents) return {};
    if (!deletingDependents && node.owners.every((o) => this.graph.ownerSolid(o, id.namespace))) return {};

    const latest = await this.getLatest(id);
    if (!latest) return {};
    const meta = latest.metadata!;
    const finalizers = meta.finalizers ?? [];
    if (isDeletingDependents({ deletionTimestamp: meta.deletionTimestamp, finalizers })) return this.processDeletingDependents(id, latest);
    if (meta.deletionTimestamp) return {};
    const refs = meta.ownerReferences ?? [];
    if (refs.length === 0) return {};

    const owners = new Map<string, OwnerState>();
    for (const ref of refs) owners.set(ref.uid, await this.ownerState(ref, id.namespace));
    const dependents = this.graph.dependentsOf(uid);
    const action = decideAttemptToDelete({
      ownerReferences: refs,
      finalizers,
      owners,
      hasDependents: dependents.length > 0,
      dependentDeletingDependents: dependents.some((d) => isDeletingDependents(d)),
    });
    switch (action.type) {
      case 'none':
        return {};
      case 'removeOwnerReferences':
        await this.setOwnerReferences(id, latest, withoutOwners(refs, action.uids));
        return {};
      case 'deleteForeground':
        if (action.unblockFirst) await this.setOwnerReferences(id, latest, unblocked(refs));
        await this.deleteItem(id, 'Foreground');
        return {};
      case 'delete':
        await this.deleteItem(id, action.policy);
        return {};
    }
  }

  /** An owner deleted in the foreground: delete its blocking dependents, then let it go. */
  private async processDeletingDependents(id: Identity, latest: KubeObject): Promise<ReconcileResult> {
    const blocking = this.graph.blockingDependentsOf(id.uid);
    if (blocking.length === 0) {
      await this.removeFinalizer(id, latest, FINALIZER_FOREGROUND);
      return {};
    }
    for (const d of blocking) if (!isDeletingDependents(d)) this.deleteController.enqueue(d.identity.uid);
    return {};
  }

  /** Upstream attemptToOrphan: the owner was deleted with propagationPolicy=Orphan. */
  async attemptToOrphan(uid: string): Promise<ReconcileResult> {
    const node = this.graph.node(uid);
    if (!node) return {};
    const id = node.identity;
    let latest = await this.getLatest(id);
    if (!latest?.metadata?.deletionTimestamp || !(latest.metadata.finalizers ?? []).includes(FINALIZER_ORPHAN)) return {};
    for (const dep of this.graph.dependentsOf(uid)) {
      const dl = await this.getLatest(dep.identity);
      const refs = dl?.metadata?.ownerReferences ?? [];
      if (!dl || !refs.some((r) => r.uid === uid)) continue;
      await this.setOwnerReferences(dep.identity, dl, withoutOwners(refs, [uid]));
    }
    latest = await this.getLatest(id);
    if (latest && (latest.metadata?.finalizers ?? []).includes(FINALIZER_ORPHAN)) await this.removeFinalizer(id, latest, FINALIZER_ORPHAN);
    return {};
  }

  // --- monitors ---------------------------------------------------------------------------

  /** Starts monitors for every deletable resource, waits for them (bounded), then collects. */
  async start(): Promise<void> {
    if (!this.client) throw new Error('garbage collector: start() needs a client that can watch');
    await this.syncMonitors();
    const synced = Promise.all([...this.monitors.values()].map((m) => m.informer.waitForSync()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.syncTimeoutMs);
      timer.unref();
    });
    if ((await Promise.race([synced, timeout])) === 'timeout') log.warn('timed out waiting for the dependency graph to sync; collecting anyway');
    clearTimeout(timer);
    if (this.stopped) return;
    this.deleteController.start();
    this.orphanController.start();
    const tick = () => {
      this.discoveryTimer = setTimeout(() => {
        if (this.stopped) return;
        this.syncMonitors()
          .catch((err) => log.warn({ err: errorMessage(err) }, 'refreshing monitors failed'))
          .finally(() => !this.stopped && tick());
      }, this.discoveryIntervalMs);
      this.discoveryTimer.unref();
    };
    tick();
  }

  /** Adds monitors for new deletable resources, removes those no longer served. */
  async syncMonitors(): Promise<void> {
    let resources: ApiResource[];
    let partial = false;
    try {
      resources = await this.api.discover();
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      resources = err.partial;
      partial = true;
    }
    this.setResources(resources);
    const wanted = new Map(deletableResources(resources).map((r) => [sourceOf(r), r]));
    for (const [source, r] of wanted) {
      const cur = this.monitors.get(source);
      if (cur && cur.resource.version === r.version) continue;
      if (cur) await this.removeMonitor(source);
      if (this.stopped) return;
      const informer = new Informer(listerWatcher(this.client!, r, undefined, { metadataOnly: true }), { name: `gc:${source}` });
      informer.addEventHandler({
        add: (o) => this.observe(r, o),
        update: (_old, o) => this.observe(r, o),
        delete: (o) => this.forget(r, o),
      });
      this.monitors.set(source, { resource: r, informer });
      informer.start();
    }
    // Keep monitors of groups discovery could not answer for this time.
    if (!partial) for (const source of [...this.monitors.keys()]) if (!wanted.has(source)) await this.removeMonitor(source);
  }

  private async removeMonitor(source: string): Promise<void> {
    const m = this.monitors.get(source);
    if (!m) return;
    this.monitors.delete(source);
    await m.informer.stop();
    for (const uid of this.graph.uidsOf(source)) this.enqueue(this.graph.forget(source, uid));
  }

  /** Monitored resources (group/resource). */
  monitored(): string[] {
    return [...this.monitors.keys()].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    await Promise.all([this.deleteController.stop(), this.orphanController.stop()]);
    await Promise.all([...this.monitors.values()].map((m) => m.informer.stop()));
    this.monitors.clear();
  }
}

function sourceOf(r: ApiResource): string {
  return `${r.group}/${r.resource}`;
}
