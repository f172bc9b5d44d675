// metadata.managedFields as upstream's field manager keeps it
// (k8s.io/apimachinery/pkg/util/managedfields/internal + structured-merge-diff's merge.Updater):
// one entry per manager, operation (Apply/Update), API version (Update only) and subresource;
// Update operations add the fields they change to their manager's set, Apply operations
// merge an applied configuration, own exactly its fields, remove the fields they applied
// before and no longer apply (unless another manager owns them), and fail with a 409 on
// fields another manager owns unless forced. Pure functions: the registry store and the
// server call them with the live object, the new object or configuration and the time.
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { FieldSet, field, pathString, type Path } from './fieldpath.ts';
import { rootAtom, structField as fieldAtom, type Atom } from './schema.ts';
import { compare, deepEqual, dropNulls, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, TypedError, validate } from './typed.ts';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** What the field manager needs to know about the resource being written. */
export interface FieldManagerScope {
  group: string;
  version: string;
  kind: string;
  /** The client-node model of the kind; absent or unknown: a schemaless (deduced) object. */
  model?: string;
  /** Whether the resource has a status subresource (then the main resource does not own status). */
  hasStatus: boolean;
}

export interface UpdateOptions {
  manager: string;
  /** `status`, `scale`, ... for writes through a subresource. */
  subresource?: string;
  now: Date;
}

export interface ApplyOptions extends UpdateOptions {
  force: boolean;
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_UPDATE_MANAGERS = 10;

// ---------------------------------------------------------------- decoding and encoding

interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string | undefined>;
}

function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** BuildManagerIdentifier: the entry without fields, type and time (and apiVersion for appliers). */
export function managerIdentifier(e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  const id: Record<string, string> = {};
  if (e.manager) id.manager = e.manager;
  if (e.operation) id.operation = e.operation;
  if (e.apiVersion && e.operation !== 'Apply') id.apiVersion = e.apiVersion;
  if (e.subresource) id.subresource = e.subresource;
  return JSON.stringify(id);
}

/**
 * Field sets decoded from their fieldsV1 text, and the canonical text of sets: the objects of
 * a kind written by the same managers carry the same sets, and decoding and re-encoding the
 * sets of managers a write leaves alone was most of the field manager's work. A set is never
 * changed once built, so one decoded set serves every object that carries it.
 */
const decodedSets = new Map<string, FieldSet>();
const DECODED_SETS_MAX = 1024;
/** The canonical fieldsV1 text of decoded sets, once computed. */
const encodedSets = new WeakMap<FieldSet, string | undefined>();

function decodeSet(fieldsV1: unknown): FieldSet {
  const text = JSON.stringify(fieldsV1);
  let set = decodedSets.get(text);
  if (set) {
    // Most recently used last: the first is the one to evict.
    decodedSets.delete(text);
  } else {
    set = FieldSet.fromFieldsV1(fieldsV1);
    encodedSets.set(set, undefined);
    if (decodedSets.size >= DECODED_SETS_MAX) decodedSets.delete(decodedSets.keys().next().value!);
  }
  decodedSets.set(text, set);
  return set;
}

/** The fieldsV1 form of a set: a fresh object (callers own it), from the set's text once computed. */
function encodeSet(set: FieldSet): Record<string, unknown> {
  const known = encodedSets.get(set);
  if (known !== undefined) return JSON.parse(known) as Record<string, unknown>;
  const fieldsV1 = set.toFieldsV1();
  // A decoded set is shared: remember its text for the next object that carries it.
  if (encodedSets.has(set)) encodedSets.set(set, JSON.stringify(fieldsV1));
  return fieldsV1;
}

function decodeManaged(entries: unknown): Managed {
  const m = emptyManaged();
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((raw, i) => {
    const e = raw as ManagedFieldsEntry;
    if (e === null || typeof e !== 'object') throw new Error(`invalid managed fields entry ${i}`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (e.fieldsType !== 'FieldsV1') throw new Error(e.fieldsType ? `invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}` : `missing fieldsType in managed fields entry ${i}`);
    const id = managerIdentifier(e);
    m.fields.set(id, { set: decodeSet(e.fieldsV1 ?? {}), apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    m.times.set(id, e.time);
  });
  return m;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

function encodeManaged(m: Managed): ManagedFieldsEntry[] | undefined {
  if (m.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const parsed = JSON.parse(id) as ManagedFieldsEntry;
    const e: ManagedFieldsEntry = {};
    if (parsed.manager) e.manager = parsed.manager;
    e.operation = vs.applied ? 'Apply' : (parsed.operation ?? 'Update');
    e.apiVersion = vs.apiVersion;
    const time = m.times.get(id);
    if (time) e.time = time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = encodeSet(vs.set);
    if (parsed.subresource) e.subresource = parsed.subresource;
    out.push(e);
  }
  // sortEncodedManagedFields: operation, time (seconds), manager, apiVersion, subresource.
  const cmp = (a = '', b = '') => (a < b ? -1 : a > b ? 1 : 0);
  out.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  return out;
}

/** RFC 3339 with seconds, as metav1.Time. */
function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------- the scope's schema

function apiVersionOf(s: FieldManagerScope): string {
  return s.group ? `${s.group}/${s.version}` : s.version;
}

/** Fields no manager owns (stripMetaManager). */
const STRIP = FieldSet.of(
  [field('apiVersion')],
  [field('kind')],
  [field('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((n) => [field('metadata'), field(n)]),
);

/** The fields a write through this subresource resets (upstream strategies' GetResetFields). */
function resetFields(s: FieldManagerScope, subresource: string | undefined): FieldSet {
  if (subresource === 'status') return FieldSet.of([field('spec')]);
  if (s.hasStatus) return FieldSet.of([field('status')]);
  return new FieldSet();
}

/**
 * Go struct fields that serialize even when zero: value structs (`{}`) and lists, maps and
 * pointers without omitempty (`null`). Upstream's field manager compares objects decoded from
 * Go types, where these are always present, so whether a parent is "added" follows them.
 */
const ZERO_FIELDS: Record<string, Record<string, 'object' | 'null'>> = {
  V1PodTemplateSpec: { metadata: 'object', spec: 'object' },
  V1JobTemplateSpec: { metadata: 'object', spec: 'object' },
  V1PodSpec: { containers: 'null' },
  V1Container: { resources: 'object' },
  V1DeploymentSpec: { selector: 'null', template: 'object', strategy: 'object' },
  V1ReplicaSetSpec: { selector: 'null', template: 'object' },
  V1StatefulSetSpec: { selector: 'null', template: 'object', updateStrategy: 'object' },
  V1DaemonSetSpec: { selector: 'null', template: 'object', updateStrategy: 'object' },
  V1JobSpec: { template: 'object' },
  V1CronJobSpec: { jobTemplate: 'object' },
  V1ServiceStatus: { loadBalancer: 'object' },
  V1PersistentVolumeClaimSpec: { resources: 'object' },
  V1RoleBinding: { roleRef: 'object' },
  V1ClusterRoleBinding: { roleRef: 'object' },
  V1Role: { rules: 'null' },
  V1ClusterRole: { rules: 'null' },
  V1NodeStatus: { daemonEndpoints: 'object', nodeInfo: 'object' },
  V1HorizontalPodAutoscalerSpec: { scaleTargetRef: 'object' },
  V2HorizontalPodAutoscalerSpec: { scaleTargetRef: 'object' },
  V1NetworkPolicySpec: { podSelector: 'object' },
};

/** The object as upstream's Go types would serialize it (zero value structs present). */
export function withZeroFields(obj: unknown, atom: Atom, top = true): unknown {
  if (Array.isArray(obj)) return atom.kind === 'list' ? obj.map((x) => withZeroFields(x, atom.elem, false)) : obj;
  if (obj === null || typeof obj !== 'object' || atom.kind !== 'struct') return obj;
  const out: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
  const zero: Record<string, 'object' | 'null'> = { ...(ZERO_FIELDS[atom.model] ?? {}) };
  if (top) {
    zero.metadata = 'object';
    for (const f of ['spec', 'status']) {
      const a = structFieldAtom(atom, f);
      if (a?.kind === 'struct') zero[f] = 'object';
    }
  }
  for (const [k, z] of Object.entries(zero)) if (out[k] === undefined) out[k] = z === 'object' ? {} : null;
  for (const [k, v] of Object.entries(out)) {
    if (v === null || typeof v !== 'object') continue;
    const a = structFieldAtom(atom, k);
    if (a) out[k] = withZeroFields(v, a, false);
  }
  return out;
}

function structFieldAtom(atom: Atom, name: string): Atom | undefined {
  return atom.kind === 'struct' ? fieldAtom(atom.model, name) : undefined;
}


function withoutManagedFields(obj: KubeObject | undefined): KubeObject {
  if (!obj) return {};
  const copy: KubeObject = { ...obj };
  if (copy.metadata) {
    const { managedFields: _m, ...rest } = copy.metadata;
    copy.metadata = rest;
  }
  return copy;
}

// ---------------------------------------------------------------- the updater

class Conflicts extends Error {
  constructor(readonly conflicts: { manager: string; path: Path }[]) {
    super('conflicts');
  }
}

/** merge.Updater.update: ownership moves with what changed; conflicts unless forced. */
function updateOwnership(oldObj: unknown, newObj: unknown, atom: Atom, ignored: FieldSet, managers: Map<string, VersionedSet>, workflow: string, force: boolean) {
  const c = compare(oldObj, newObj, atom);
  const added = c.added.recursiveDifference(ignored);
  const modified = c.modified.recursiveDifference(ignored);
  const removed = c.removed.recursiveDifference(ignored);
  const changed = modified.union(added);
  const conflicts: { manager: string; path: Path }[] = [];
  const conflictSets = new Map<string, FieldSet>();
  for (const [manager, vs] of managers) {
    if (manager === workflow) continue;
    const cs = vs.set.intersection(changed);
    if (!cs.empty()) {
      conflictSets.set(manager, cs);
      for (const p of cs.paths()) conflicts.push({ manager, path: p });
    }
  }
  if (!force && conflicts.length) throw new Conflicts(conflicts);
  for (const [manager, vs] of [...managers]) {
    if (manager === workflow) continue;
    let set = vs.set;
    const cs = conflictSets.get(manager);
    if (cs) set = set.difference(cs);
    if (!removed.empty()) set = set.difference(removed);
    if (set.empty()) managers.delete(manager);
    else managers.set(manager, { ...vs, set });
  }
  return { added, modified, removed };
}

function stripManager(managers: Map<string, VersionedSet>, id: string): void {
  const vs = managers.get(id);
  if (!vs) return;
  const set = vs.set.difference(STRIP);
  if (set.empty()) managers.delete(id);
  else managers.set(id, { ...vs, set });
}

/** capManagersManager: at most ten Update entries; the oldest merge into `ancient-changes`. */
function capUpdateManagers(m: Managed): void {
  const updaters = [...m.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(m.times.get(a)) - seconds(m.times.get(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i]!;
    const vs = m.fields.get(id)!;
    const time = m.times.get(id);
    const bucket = managerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!m.fields.has(bucket)) {
      m.fields.set(bucket, m.fields.get(first)!);
      m.fields.delete(first);
    }
    const b = m.fields.get(bucket)!;
    m.fields.set(bucket, { set: vs.set.union(b.set), apiVersion: vs.apiVersion, applied: vs.applied });
    m.fields.delete(id);
    length--;
    m.times.set(bucket, time);
  }
}

/** The typed Update of one manager: `manager` takes what changed between the objects. */
function updateManaged(scope: FieldManagerScope, live: KubeObject, next: KubeObject, managed: Managed, id: string, subresource: string | undefined, now: Date): Managed {
  const atom = rootAtom(scope.model);
  const ignored = resetFields(scope, subresource);
  const oldObj = withZeroFields(withoutManagedFields(live), atom);
  const newObj = withZeroFields(withoutManagedFields(next), atom);
  const managers = new Map(managed.fields);
  const self = 'current-operation';
  const c = updateOwnership(oldObj, newObj, atom, ignored, managers, self, true);
  const set = c.modified.union(c.added).difference(c.removed).recursiveDifference(ignored).difference(STRIP);
  const times = new Map(managed.times);
  if (!set.empty()) {
    const previous = managers.get(id);
    managers.set(id, { set: previous ? set.union(previous.set) : set, apiVersion: apiVersionOf(scope), applied: false });
    times.set(id, timestamp(now));
  }
  const m = { fields: managers, times };
  capUpdateManagers(m);
  return m;
}

/** decodeLiveOrNew: the request's managedFields when it sets valid ones, else the live object's. */
function baseManaged(live: KubeObject | undefined, next: KubeObject, subresource: string | undefined): Managed {
  const fromLive = () => {
    try {
      return live?.metadata?.managedFields ? decodeManaged(live.metadata.managedFields) : emptyManaged();
    } catch {
      return emptyManaged();
    }
  };
  if (subresource) return fromLive();
  const requested = next.metadata?.managedFields;
  if (Array.isArray(requested)) {
    // An empty list, or one empty entry, resets the managed fields.
    if (requested.length === 0) return emptyManaged();
    if (requested.length === 1 && requested[0] && typeof requested[0] === 'object' && Object.keys(requested[0] as object).length === 0) return emptyManaged();
    try {
      const m = decodeManaged(requested);
      if (m.fields.size > 0) return m;
    } catch {
      // fall through to the live object's
    }
  }
  return fromLive();
}

/**
 * The managedFields of `next` after an Update by `manager` (create when `live` is undefined):
 * upstream's FieldManager.UpdateNoErrors. Undefined: the object carries none (an existing
 * object that was never tracked stays untracked). Never throws: on trouble, the live
 * object's managedFields stay.
 */
export function updateManagedFields(scope: FieldManagerScope, live: KubeObject | undefined, next: KubeObject, opts: UpdateOptions): ManagedFieldsEntry[] | undefined {
  try {
    const managed = baseManaged(live, next, opts.subresource);
    if (managed.fields.size === 0 && live !== undefined) return undefined;
    const id = managerIdentifier({ manager: opts.manager, operation: 'Update', apiVersion: apiVersionOf(scope), subresource: opts.subresource });
    return encodeManaged(updateManaged(scope, live ?? {}, next, managed, id, opts.subresource, opts.now));
  } catch {
    return live?.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
  }
}

// ---------------------------------------------------------------- apply

/** The 409 of an apply that would take fields other managers own (internal.NewConflictError). */
export function conflictError(conflicts: { manager: string; path: Path }[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, Path[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${printManager(m)}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

function printManager(id: string): string {
  let e: ManagedFieldsEntry;
  try {
    e = JSON.parse(id) as ManagedFieldsEntry;
  } catch {
    return JSON.stringify(id);
  }
  let s = JSON.stringify(e.manager ?? '');
  if (e.subresource) s = `${s} with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') return e.time ? `${s} using ${e.apiVersion ?? ''} at ${e.time}` : `${s} using ${e.apiVersion ?? ''}`;
  return s;
}

function gvkString(apiVersion: unknown, kind: unknown): string {
  const av = typeof apiVersion === 'string' ? apiVersion : '';
  const [group, version] = av.includes('/') ? [av.slice(0, av.lastIndexOf('/')), av.slice(av.lastIndexOf('/') + 1)] : ['', av];
  return `${group}/${version}, Kind=${typeof kind === 'string' ? kind : ''}`;
}

function typedErrors(errs: TypedError[]): string {
  if (errs.length === 1) return errs[0]!.message;
  return ['errors:', ...errs.map((e) => `  ${e.message}`)].join('\n');
}

export interface ApplyResult {
  /** The object to store (with its managedFields). */
  object: KubeObject;
  /** Whether the configuration changed anything but managedFields. */
  changed: boolean;
}

/**
 * Server-side apply of `config` by `manager` to `live` (undefined: the object does not exist
 * yet): upstream's FieldManager.Apply with its wrappers (version check, last-applied
 * annotation upgrade and sync, tracking from the first apply, managedFields times, stripped
 * metadata). Throws ApiErrors: 400 for a configuration of another kind or carrying
 * managedFields, 500 for one the schema rejects, 409 for conflicts.
 */
export function applyConfiguration(scope: FieldManagerScope, live: KubeObject | undefined, config: KubeObject, opts: ApplyOptions): ApplyResult {
  const expected = gvkString(apiVersionOf(scope), scope.kind);
  const got = gvkString(config.apiVersion, config.kind);
  if (got !== expected) throw new ApiError(400, 'BadRequest', `invalid object type: ${got}`);
  if (Array.isArray(config.metadata?.managedFields)) throw new ApiError(400, 'BadRequest', 'metadata.managedFields must be nil');
  const atom = rootAtom(scope.model);
  const errs = validate(config, atom);
  if (errs.length) {
    const nn = `${config.metadata?.namespace ?? ''}/${config.metadata?.name ?? ''}`;
    throw new ApiError(500, '', `failed to create typed patch object (${nn}; ${got}): ${typedErrors(errs)}`);
  }
  const run = (force: boolean) => applyOnce(scope, live, config, atom, opts, force);
  let result: ApplyResult;
  try {
    result = run(opts.force);
  } catch (err) {
    if (!(err instanceof Conflicts)) throw err;
    let conflicts = err.conflicts;
    // lastAppliedManager: kubectl's first server-side apply of an object it applied client-side
    // takes the fields the last-applied annotation still matches.
    if (opts.manager === 'kubectl' && live) {
      const allowed = allowedFromLastApplied(scope, live, atom);
      if (allowed) {
        conflicts = conflicts.filter((c) => !allowed.has(c.path));
        if (conflicts.length === 0) result = run(true);
      }
    }
    if (conflicts.length) throw conflictError(conflicts);
  }
  // lastAppliedUpdater: kubectl's server-side applies keep an existing annotation current.
  if (opts.manager === 'kubectl' && live?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]) {
    const lastApplied = structuredClone(config) as KubeObject;
    const ann = lastApplied.metadata?.annotations;
    if (ann) delete ann[LAST_APPLIED_ANNOTATION];
    const obj = result!.object;
    obj.metadata = { ...(obj.metadata ?? {}), annotations: { ...(obj.metadata?.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: goJsonEncode(lastApplied) + '\n' } };
  }
  return result!;
}

/** Go's encoding/json of a map (keys sorted). */
function goJsonEncode(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(goJsonEncode).join(',')}]`;
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${goJsonEncode((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

function allowedFromLastApplied(scope: FieldManagerScope, live: KubeObject, atom: Atom): FieldSet | undefined {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  let last: KubeObject;
  try {
    last = JSON.parse(text) as KubeObject;
  } catch {
    return undefined;
  }
  if (last.apiVersion !== apiVersionOf(scope)) return undefined;
  try {
    const set = toFieldSet(last, atom);
    const c = compare(last, withoutManagedFields(live), atom);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}

function applyOnce(scope: FieldManagerScope, live: KubeObject | undefined, config: KubeObject, atom: Atom, opts: ApplyOptions, force: boolean): ApplyResult {
  const liveObj = withoutManagedFields(live);
  let managed: Managed;
  try {
    managed = live?.metadata?.managedFields ? decodeManaged(live.metadata.managedFields) : emptyManaged();
  } catch (err) {
    throw new ApiError(500, '', `failed to decode managed fields: ${(err as Error).message}`);
  }
  // skipNonAppliedManager: an object applied to for the first time gets its existing fields
  // attributed to `before-first-apply`.
  if (managed.fields.size === 0 && live) {
    const id = managerIdentifier({ manager: 'before-first-apply', operation: 'Update', apiVersion: apiVersionOf(scope) });
    managed = updateManaged(scope, {}, liveObj, managed, id, undefined, opts.now);
  }
  const id = managerIdentifier({ manager: opts.manager, operation: 'Apply', subresource: opts.subresource });
  const ignored = resetFields(scope, opts.subresource);
  let merged: unknown;
  try {
    merged = merge(liveObj, config, atom);
  } catch (err) {
    // The configuration was validated: what does not fit is the live object.
    if (err instanceof TypedError) {
      const nn = `${liveObj.metadata?.namespace ?? ''}/${liveObj.metadata?.name ?? ''}`;
      throw new ApiError(500, '', `failed to create typed live object (${nn}; ${gvkString(apiVersionOf(scope), scope.kind)}): ${err.message}`);
    }
    throw err;
  }
  const managers = new Map(managed.fields);
  const lastSet = managers.get(id);
  managers.set(id, { set: toFieldSet(config, atom).recursiveDifference(ignored), apiVersion: apiVersionOf(scope), applied: true });
  merged = prune(merged, managers, atom, lastSet);
  updateOwnership(withZeroFields(liveObj, atom), withZeroFields(merged, atom), atom, ignored, managers, id, force);
  stripManager(managers, id);
  const next = (dropNulls(merged, atom) ?? {}) as KubeObject;
  const changed = !deepEqual(dropNulls(liveObj, atom), next);
  const times = new Map(managed.times);
  if (changed) times.set(id, timestamp(opts.now));
  const entries = encodeManaged({ fields: managers, times });
  // Unchanged: the live object as it is (key order included), with the new entries.
  const out: KubeObject = changed ? next : structuredClone(live ?? {});
  out.metadata = { ...(out.metadata ?? {}) };
  if (entries) out.metadata.managedFields = entries;
  else delete out.metadata.managedFields;
  return { object: out, changed };
}

/**
 * Removes what the applier applied last time and no longer applies, unless a manager (the
 * applier's new configuration included) owns it (merge.Updater.prune).
 */
function prune(merged: unknown, managers: Map<string, VersionedSet>, atom: Atom, lastSet: VersionedSet | undefined): unknown {
  if (!lastSet || lastSet.set.empty()) return merged;
  const last = ensureNamedFieldsAreMembers(lastSet.set, atom);
  const pruned1 = removeItems(merged, last, atom);
  let managedAll = new FieldSet();
  for (const vs of managers.values()) managedAll = managedAll.union(vs.set);
  const mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, atom), atom);
  const pruned1Set = ensureNamedFieldsAreMembers(toFieldSet(pruned1, atom), atom);
  const pruned2 = removeItems(merged, mergedSet.difference(pruned1Set.union(ensureNamedFieldsAreMembers(managedAll, atom))), atom);
  const pruned2Set = ensureNamedFieldsAreMembers(toFieldSet(pruned2, atom), atom);
  return removeItems(merged, mergedSet.difference(pruned2Set).intersection(last), atom);
}
