// The structural schema server-side apply walks, as upstream's OpenAPI models become
// structured-merge-diff types: structs from the client-node models, maps granular unless
// `x-kubernetes-map-type: atomic`, lists atomic unless `x-kubernetes-list-type` (or a
// strategic-merge `patchStrategy: merge`) makes them associative: keyed by their
// `x-kubernetes-list-map-keys` / merge key, or sets of scalars. Kinds without a model are
// "deduced": maps granular, lists atomic, as upstream treats schemaless objects.
import { hasModel, modelInfo } from '../openapi/models.ts';
import { patchMetaFor } from '../openapi/patch-meta.ts';
import type { JsonValue } from './fieldpath.ts';

export type Atom =
  | { kind: 'scalar' }
  | { kind: 'struct'; model: string; atomic: boolean }
  | { kind: 'map'; elem: Atom; atomic: boolean }
  | { kind: 'list'; elem: Atom; associative: boolean; keys: string[]; keyDefaults: Record<string, JsonValue> }
  /** Untyped: scalars, atomic lists, granular maps of more untyped values. `root` types `metadata`. */
  | { kind: 'deduced'; root?: boolean };

export const SCALAR: Atom = { kind: 'scalar' };
export const DEDUCED: Atom = { kind: 'deduced' };

/** Structs upstream marks `+structType=atomic` (x-kubernetes-map-type: atomic on the definition). */
const ATOMIC_STRUCTS = new Set([
  'V1LabelSelector',
  'V1NodeSelector',
  'V1NodeSelectorTerm',
  'V1TopologySelectorTerm',
  'V1ObjectReference',
  'V1LocalObjectReference',
  'V1TypedLocalObjectReference',
  'V1SecretReference',
  'V1ConfigMapKeySelector',
  'V1SecretKeySelector',
  'V1ObjectFieldSelector',
  'V1ResourceFieldSelector',
  'V1ScopeSelector',
]);

/** Map fields upstream marks `+mapType=atomic`. */
const ATOMIC_MAPS = new Set(['V1PodSpec.nodeSelector', 'V1ServiceSpec.selector', 'V1ReplicationControllerSpec.selector']);

/** Defaults of list-map keys (OpenAPI `default`), used when an item omits the key field. */
const KEY_DEFAULTS: Record<string, JsonValue> = {
  'V1ContainerPort.protocol': 'TCP',
  'V1ServicePort.protocol': 'TCP',
};

function parseType(type: string): { kind: 'array' | 'map' | 'plain'; inner: string } {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { kind: 'array', inner: arr[1]! };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', inner: map[1]! };
  return { kind: 'plain', inner: type };
}

function elemAtom(type: string): Atom {
  const t = parseType(type);
  if (t.kind === 'array') return listAtom(t.inner, undefined, undefined);
  if (t.kind === 'map') return { kind: 'map', elem: elemAtom(t.inner), atomic: false };
  switch (type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'Date':
    case 'IntOrString':
      return SCALAR;
    case 'any':
      return DEDUCED;
  }
  if (hasModel(type)) return { kind: 'struct', model: type, atomic: ATOMIC_STRUCTS.has(type) };
  return DEDUCED;
}

function listAtom(inner: string, owner: string | undefined, fieldName: string | undefined): Atom {
  const elem = elemAtom(inner);
  const meta = owner && fieldName ? patchMetaFor(owner, fieldName) : undefined;
  let associative = false;
  let keys: string[] = [];
  if (meta?.listType) {
    if (meta.listType === 'set') associative = true;
    else if (meta.listType === 'map') {
      associative = true;
      keys = meta.listMapKeys ?? (meta.mergeKey ? [meta.mergeKey] : []);
    }
  } else if (meta?.strategy === 'merge' || meta?.strategy === 'merge,retainKeys') {
    associative = true;
    if (meta.mergeKey) keys = [meta.mergeKey];
  }
  const keyDefaults: Record<string, JsonValue> = {};
  if (elem.kind === 'struct') for (const k of keys) if (`${elem.model}.${k}` in KEY_DEFAULTS) keyDefaults[k] = KEY_DEFAULTS[`${elem.model}.${k}`]!;
  return { kind: 'list', elem, associative, keys, keyDefaults };
}

const fieldCache = new Map<string, Map<string, Atom>>();

function fieldsOf(model: string): Map<string, Atom> {
  let m = fieldCache.get(model);
  if (m) return m;
  m = new Map();
  for (const f of modelInfo(model)?.fields ?? []) {
    const t = parseType(f.type);
    let atom: Atom;
    if (t.kind === 'array') atom = listAtom(t.inner, model, f.name);
    else if (t.kind === 'map') atom = { kind: 'map', elem: elemAtom(t.inner), atomic: ATOMIC_MAPS.has(`${model}.${f.name}`) };
    else atom = elemAtom(f.type);
    m.set(f.name, atom);
  }
  fieldCache.set(model, m);
  return m;
}

/** The type of a struct's field; undefined when the struct does not declare it. */
export function structField(model: string, name: string): Atom | undefined {
  return fieldsOf(model).get(name);
}

/** The type of a key of a map-like atom (struct field, map element, deduced child). */
export function childAtom(parent: Atom, key: string): Atom | undefined {
  switch (parent.kind) {
    case 'struct':
      return structField(parent.model, key);
    case 'map':
      return parent.elem;
    case 'deduced':
      return parent.root && key === 'metadata' ? { kind: 'struct', model: 'V1ObjectMeta', atomic: false } : DEDUCED;
    default:
      return undefined;
  }
}

/** Whether `key` is a declared struct field (named fields become members, map keys do not). */
export function isNamedField(parent: Atom, key: string): boolean {
  return parent.kind === 'struct' && structField(parent.model, key) !== undefined;
}

/** The root type of a kind's objects. */
export function rootAtom(model: string | undefined): Atom {
  if (model && hasModel(model)) return { kind: 'struct', model, atomic: false };
  return { kind: 'deduced', root: true };
}
