// An in-memory Api for controller unit tests (client-go's fake clientset, with the object
// lifecycle the controllers depend on): uids and resourceVersions, optimistic concurrency,
// finalizers and deletionTimestamp, the Orphan/Foreground propagation finalizers, the
// two-phase namespace deletion with its finalize subresource, NamespaceLifecycle's refusal
// to create in a terminating namespace, merge patches, and discovery. Also watches (every write
// is an event, replayable from a resourceVersion, so real informers run over it), strategic
// merge patches for the lists controllers patch (ownerReferences by uid, with `$patch: delete`),
// and the workload resources' generation and status subresource semantics.
import { randomUUID } from 'node:crypto';
import type { Api, ApiResource, DeleteOptions, ListOptions, PatchType, ResourceRef, WatchHandle, WatchOptions } from '../client.ts';
import { ApiStatusError } from '../errors.ts';
import { rfc3339, type KubeList, type KubeObject, type StatusObject, type WatchEvent, type WatchEventType } from '../types.ts';
import { Informer } from '../informer.ts';

export function res(group: string, version: string, resource: string, kind: string, namespaced: boolean, verbs?: string[]): ApiResource {
  return {
    group,
    version,
    resource,
    kind,
    namespaced,
    preferred: true,
    verbs: verbs ?? ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  };
}

export const NAMESPACES = res('', 'v1', 'namespaces', 'Namespace', false, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
export const CONFIGMAPS = res('', 'v1', 'configmaps', 'ConfigMap', true);
export const SECRETS = res('', 'v1', 'secrets', 'Secret', true);
export const SERVICEACCOUNTS = res('', 'v1', 'serviceaccounts', 'ServiceAccount', true);
export const DEPLOYMENTS = res('apps', 'v1', 'deployments', 'Deployment', true);
export const LEASES_RES = res('coordination.k8s.io', 'v1', 'leases', 'Lease', true);
export const NODES = res('', 'v1', 'nodes', 'Node', false);
export const BINDINGS = res('', 'v1', 'bindings', 'Binding', true, ['create']);

export const DEFAULT_RESOURCES = [NAMESPACES, CONFIGMAPS, SECRETS, SERVICEACCOUNTS, DEPLOYMENTS, LEASES_RES, NODES, BINDINGS];

export const PODS = res('', 'v1', 'pods', 'Pod', true);
export const REPLICASETS = res('apps', 'v1', 'replicasets', 'ReplicaSet', true);
export const REPLICATIONCONTROLLERS = res('', 'v1', 'replicationcontrollers', 'ReplicationController', true);
export const EVENTS_RES = res('', 'v1', 'events', 'Event', true);
/** The default resources and the workload controllers' (pods, ReplicaSets, ReplicationControllers, events). */
export const WORKLOAD_RESOURCES = [...DEFAULT_RESOURCES, PODS, REPLICASETS, REPLICATIONCONTROLLERS, EVENTS_RES];

/** Resources whose metadata.generation tracks spec changes and whose main resource ignores status (upstream strategies). */
const GENERATION_RESOURCES = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'apps/daemonsets', '/replicationcontrollers']);

function err(code: number, reason: string, message: string, details?: StatusObject['details']): ApiStatusError {
  return new ApiStatusError(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const MERGE_KEYS: Record<string, string> = { ownerReferences: 'uid', conditions: 'type', containers: 'name', initContainers: 'name', env: 'name', ports: 'containerPort' };

/** A strategic merge patch for the lists controllers touch (merge keys above, `$patch: delete`); other lists are replaced. */
function strategicPatch(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target)) return structuredClone(patch.filter((p) => !(p && typeof p === 'object' && (p as Record<string, unknown>).$patch === 'delete')));
    const out = structuredClone(target) as Record<string, unknown>[];
    for (const item of patch as Record<string, unknown>[]) {
      const i = out.findIndex((o) => o && o[key] === item[key]);
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = strategicPatch(out[i], item) as Record<string, unknown>;
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (patch === null || typeof patch !== 'object') return structuredClone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (k === '$patch') continue;
    if (v === null) delete out[k];
    else out[k] = strategicPatch(out[k], v, k);
  }
  return out;
}

interface Watcher {
  ref: ResourceRef;
  namespace?: string;
  opts: WatchOptions;
  onEvent: (ev: WatchEvent) => void;
  stopped: boolean;
}

interface Change {
  rv: number;
  group: string;
  resource: string;
  type: WatchEventType;
  object: KubeObject;
}

type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'discover';

export interface FakeAction {
  verb: Verb;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  body?: unknown;
}

export class FakeApi implements Api {
  resources: ApiResource[];
  readonly objects = new Map<string, KubeObject>();
  readonly actions: FakeAction[] = [];
  /** Return an error to make a call fail (checked before it runs). */
  failOn: ((a: FakeAction) => Error | undefined) | undefined;
  now: () => Date = () => new Date('2024-01-01T00:00:00Z');
  private rv = 1;
  private readonly changes: Change[] = [];
  private readonly watchers = new Set<Watcher>();

  constructor(resources: ApiResource[] = DEFAULT_RESOURCES) {
    this.resources = resources;
  }

  private key(ref: ResourceRef, ns: string | undefined, name: string): string {
    return `${ref.group}/${ref.resource}/${ref.namespaced ? (ns ?? '') : ''}/${name}`;
  }

  private record(a: FakeAction): void {
    this.actions.push(a);
    const e = this.failOn?.(a);
    if (e) throw e;
  }

  private notFound(ref: ResourceRef, name: string): ApiStatusError {
    return err(404, 'NotFound', `${ref.resource}${ref.group ? `.${ref.group}` : ''} "${name}" not found`, { name, group: ref.group, kind: ref.resource });
  }

  private refFor(kindOrResource: string): ApiResource {
    const r = this.resources.find((x) => x.resource === kindOrResource || x.kind === kindOrResource);
    if (!r) throw new Error(`fake: unknown resource ${kindOrResource}`);
    return r;
  }

  /** Seeds an object directly (no admission), filling uid and resourceVersion. */
  seed(resource: string, obj: KubeObject): KubeObject {
    const ref = this.refFor(resource);
    const o = structuredClone(obj);
    const m = (o.metadata ??= {});
    m.uid ??= randomUUID();
    m.resourceVersion = String(++this.rv);
    m.creationTimestamp ??= rfc3339(this.now());
    o.apiVersion ??= ref.group ? `${ref.group}/${ref.version}` : ref.version;
    o.kind ??= ref.kind;
    this.objects.set(this.key(ref, m.namespace, m.name!), o);
    this.emit(ref, 'ADDED', o);
    return structuredClone(o);
  }

  private tracksGeneration(ref: ResourceRef): boolean {
    return GENERATION_RESOURCES.has(`${ref.group}/${ref.resource}`);
  }

  /** Records a change and tells the watchers (asynchronously, in order). */
  private emit(ref: ResourceRef, type: WatchEventType, obj: KubeObject): void {
    const change: Change = { rv: Number(obj.metadata?.resourceVersion ?? this.rv), group: ref.group, resource: ref.resource, type, object: structuredClone(obj) };
    this.changes.push(change);
    for (const w of this.watchers) this.deliver(w, change);
  }

  private deliver(w: Watcher, c: Change): void {
    if (w.stopped || c.group !== w.ref.group || c.resource !== w.ref.resource) return;
    if (w.ref.namespaced && w.namespace && c.object.metadata?.namespace !== w.namespace) return;
    if (!this.selected(c.object, w.opts)) return;
    const ev = { type: c.type, object: structuredClone(c.object) };
    queueMicrotask(() => {
      if (!w.stopped) w.onEvent(ev);
    });
  }

  private selected(v: KubeObject, opts: { labelSelector?: string; fieldSelector?: string }): boolean {
    if (opts.fieldSelector) {
      const m = /^metadata\.name=(.*)$/.exec(opts.fieldSelector);
      if (m && v.metadata?.name !== m[1]) return false;
    }
    if (opts.labelSelector) {
      return opts.labelSelector.split(',').every((term) => {
        const [lk, lv] = term.split('=');
        return v.metadata?.labels?.[lk!] === lv;
      });
    }
    return true;
  }

  /** A watch from opts.resourceVersion (every change after it is replayed first). */
  watch(ref: ResourceRef, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void): WatchHandle {
    const w: Watcher = { ref, namespace, opts, onEvent, stopped: false };
    const from = Number(opts.resourceVersion || this.rv);
    for (const c of this.changes) if (c.rv > from) this.deliver(w, c);
    this.watchers.add(w);
    return {
      stop: () => {
        if (w.stopped) return;
        w.stopped = true;
        this.watchers.delete(w);
        queueMicrotask(() => onClose());
      },
    };
  }

  /** The stored object (a copy), or undefined. */
  peek(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(this.refFor(resource), namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  /** Every stored object of a resource (copies). */
  all(resource: string, namespace?: string): KubeObject[] {
    const ref = this.refFor(resource);
    const prefix = `${ref.group}/${ref.resource}/${namespace ?? ''}`;
    return [...this.objects.entries()].filter(([k]) => (namespace === undefined ? k.startsWith(`${ref.group}/${ref.resource}/`) : k.startsWith(prefix + '/'))).map(([, v]) => structuredClone(v));
  }

  async discover(): Promise<ApiResource[]> {
    this.record({ verb: 'discover', resource: '' });
    return structuredClone(this.resources);
  }

  async get<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    this.record({ verb: 'get', resource: ref.resource, namespace: ns, name });
    const o = this.objects.get(this.key(ref, ns, name));
    if (!o) throw this.notFound(ref, name);
    return structuredClone(o) as T;
  }

  async list<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    this.record({ verb: 'list', resource: ref.resource, namespace: ns });
    const items = this.matching(ref, ns, opts);
    return { apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version, kind: `${ref.kind ?? ''}List`, metadata: { resourceVersion: String(this.rv) }, items: items as T[] };
  }

  private matching(ref: ResourceRef, ns: string | undefined, opts: ListOptions): KubeObject[] {
    const prefix = ref.namespaced && ns ? `${ref.group}/${ref.resource}/${ns}/` : `${ref.group}/${ref.resource}/`;
    const out: KubeObject[] = [];
    for (const [k, v] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (!this.selected(v, opts)) continue;
      out.push(structuredClone(v));
    }
    return out;
  }

  async create<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, obj: T): Promise<T> {
    this.record({ verb: 'create', resource: ref.resource, namespace: ns, name: obj.metadata?.name, body: obj });
    const o = structuredClone(obj) as KubeObject;
    const m = (o.metadata ??= {});
    if (!m.name && m.generateName) m.name = m.generateName + Math.random().toString(36).slice(2, 7);
    if (ref.namespaced) {
      m.namespace = ns;
      const nsObj = this.objects.get(`/namespaces//${ns}`);
      if (this.resources.includes(NAMESPACES) && !nsObj) throw err(404, 'NotFound', `namespaces "${ns}" not found`);
      if (nsObj?.metadata?.deletionTimestamp) {
        throw err(403, 'Forbidden', `${ref.resource} "${m.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    }
    const key = this.key(ref, ns, m.name!);
    if (this.objects.has(key)) throw err(409, 'AlreadyExists', `${ref.resource} "${m.name}" already exists`, { name: m.name, kind: ref.resource });
    if (ref.resource === 'namespaces' && !ref.group) {
      o.spec = { finalizers: ['kubernetes'], ...((o.spec as object) ?? {}) };
      o.status = { phase: 'Active' };
    }
    m.uid = randomUUID();
    m.resourceVersion = String(++this.rv);
    m.creationTimestamp = rfc3339(this.now());
    o.apiVersion = ref.group ? `${ref.group}/${ref.version}` : ref.version;
    o.kind = ref.kind;
    if (this.tracksGeneration(ref)) {
      m.generation = 1;
      o.status = {};
    }
    this.objects.set(key, o);
    this.emit(ref, 'ADDED', o);
    return structuredClone(o) as T;
  }

  private isNamespace(ref: ResourceRef): boolean {
    return ref.resource === 'namespaces' && !ref.group;
  }

  /** Stores `next` over `cur` or deletes it when its deletion is complete. */
  private write(ref: ResourceRef, key: string, next: KubeObject): KubeObject {
    const m = next.metadata!;
    const specFinalizers = this.isNamespace(ref) ? (((next.spec as { finalizers?: string[] }) ?? {}).finalizers ?? []) : [];
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && specFinalizers.length === 0) {
      this.objects.delete(key);
      m.resourceVersion = String(++this.rv);
      this.emit(ref, 'DELETED', next);
      return structuredClone(next);
    }
    m.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    this.emit(ref, 'MODIFIED', next);
    return structuredClone(next);
  }

  /** Generation and status rules of the workload resources for an update of the main resource. */
  private workloadUpdate(ref: ResourceRef, cur: KubeObject, next: KubeObject): void {
    if (!this.tracksGeneration(ref)) return;
    next.status = structuredClone(cur.status);
    const annotationsChanged = ref.resource === 'deployments' && JSON.stringify(next.metadata?.annotations ?? {}) !== JSON.stringify(cur.metadata?.annotations ?? {});
    const gen = cur.metadata?.generation ?? 1;
    next.metadata!.generation = JSON.stringify(next.spec) !== JSON.stringify(cur.spec) || annotationsChanged ? gen + 1 : gen;
  }

  async update<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, obj: T, subresource?: string): Promise<T> {
    const name = obj.metadata?.name ?? '';
    this.record({ verb: 'update', resource: ref.resource, namespace: ns, name, subresource, body: obj });
    const key = this.key(ref, ns, name);
    const cur = this.objects.get(key);
    if (!cur) throw this.notFound(ref, name);
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata?.resourceVersion) throw err(409, 'Conflict', `Operation cannot be fulfilled on ${ref.resource} "${name}": the object has been modified`);
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...structuredClone(cur), status: structuredClone(obj.status) };
      // Workload status updates may change annotations too (a Deployment's revision).
      if (this.tracksGeneration(ref)) {
        if (obj.metadata?.annotations) next.metadata!.annotations = structuredClone(obj.metadata.annotations);
        else delete next.metadata!.annotations;
      }
    }
    else if (subresource === 'finalize') {
      next = structuredClone(cur);
      next.spec = { ...((next.spec as object) ?? {}), finalizers: structuredClone(((obj.spec as { finalizers?: string[] }) ?? {}).finalizers ?? []) };
    } else {
      next = structuredClone(obj) as KubeObject;
      const m = (next.metadata ??= {});
      const cm = cur.metadata!;
      Object.assign(m, { uid: cm.uid, creationTimestamp: cm.creationTimestamp, deletionTimestamp: cm.deletionTimestamp, namespace: cm.namespace, name: cm.name });
      if (!cm.deletionTimestamp) delete m.deletionTimestamp;
      if (this.isNamespace(ref)) {
        next.spec = structuredClone(cur.spec);
        next.status = structuredClone(cur.status);
      }
      this.workloadUpdate(ref, cur, next);
    }
    return this.write(ref, key, next) as T;
  }

  async patch<T extends KubeObject = KubeObject>(ref: ResourceRef, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    this.record({ verb: 'patch', resource: ref.resource, namespace: ns, name, body: patch });
    if (type !== 'merge' && type !== 'strategic') throw new Error(`fake: ${type} patches are not supported`);
    const key = this.key(ref, ns, name);
    const cur = this.objects.get(key);
    if (!cur) throw this.notFound(ref, name);
    const next = (type === 'merge' ? mergePatch(cur, patch) : strategicPatch(cur, patch)) as KubeObject;
    const rv = next.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata?.resourceVersion) throw err(409, 'Conflict', `Operation cannot be fulfilled on ${ref.resource} "${name}": the object has been modified`);
    if (next.metadata?.uid !== cur.metadata?.uid) throw err(409, 'Conflict', 'Precondition failed: UID');
    next.metadata!.deletionTimestamp = cur.metadata?.deletionTimestamp;
    if (!cur.metadata?.deletionTimestamp) delete next.metadata!.deletionTimestamp;
    if (this.tracksGeneration(ref)) {
      const status = next.status;
      this.workloadUpdate(ref, cur, next);
      next.status = status;
    }
    return this.write(ref, key, next) as T;
  }

  async delete(ref: ResourceRef, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | StatusObject> {
    this.record({ verb: 'delete', resource: ref.resource, namespace: ns, name, body: opts });
    return this.deleteOne(ref, ns, name, opts);
  }

  private deleteOne(ref: ResourceRef, ns: string | undefined, name: string, opts: DeleteOptions): KubeObject | StatusObject {
    const key = this.key(ref, ns, name);
    const cur = this.objects.get(key);
    if (!cur) throw this.notFound(ref, name);
    const m = cur.metadata!;
    if (opts.preconditions?.uid && opts.preconditions.uid !== m.uid) throw err(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${m.uid}`);
    const next = structuredClone(cur);
    const nm = next.metadata!;
    let finalizers = [...(nm.finalizers ?? [])];
    if (opts.propagationPolicy === 'Orphan') {
      finalizers = finalizers.filter((f) => f !== 'foregroundDeletion');
      if (!finalizers.includes('orphan')) finalizers.push('orphan');
    } else if (opts.propagationPolicy === 'Foreground') {
      finalizers = finalizers.filter((f) => f !== 'orphan');
      if (!finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    } else if (opts.propagationPolicy === 'Background') finalizers = finalizers.filter((f) => f !== 'orphan');
    if (finalizers.length) nm.finalizers = finalizers;
    else delete nm.finalizers;
    if (this.isNamespace(ref)) {
      if (!nm.deletionTimestamp) {
        nm.deletionTimestamp = rfc3339(this.now());
        next.status = { ...((next.status as object) ?? {}), phase: 'Terminating' };
        nm.resourceVersion = String(++this.rv);
        this.objects.set(key, next);
        this.emit(ref, 'MODIFIED', next);
        return structuredClone(next);
      }
      return this.write(ref, key, next);
    }
    if (!nm.deletionTimestamp) nm.deletionTimestamp = rfc3339(this.now());
    if ((nm.finalizers ?? []).length === 0) {
      this.objects.delete(key);
      nm.resourceVersion = String(++this.rv);
      this.emit(ref, 'DELETED', next);
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: ref.resource, uid: m.uid } };
    }
    if (JSON.stringify(next) === JSON.stringify(cur)) return structuredClone(cur);
    return this.write(ref, key, next);
  }

  async deleteCollection(ref: ResourceRef, ns: string | undefined, opts: DeleteOptions & ListOptions = {}): Promise<void> {
    this.record({ verb: 'deletecollection', resource: ref.resource, namespace: ns, body: opts });
    for (const o of this.matching(ref, ns, opts)) {
      try {
        this.deleteOne(ref, o.metadata?.namespace, o.metadata!.name!, { propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds });
      } catch {
        /* raced away */
      }
    }
  }
}

/** An informer whose cache holds `objects` (synced, never watching): for reconcile tests. */
export async function staticInformer(objects: KubeObject[] = []): Promise<Informer> {
  const inf = new Informer({
    list: async () => ({ items: structuredClone(objects), metadata: { resourceVersion: '1' } }),
    watch: () => ({ stop() {} }),
  });
  inf.start();
  await inf.waitForSync();
  await inf.stop();
  return inf;
}
