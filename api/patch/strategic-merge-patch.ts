// Strategic merge patch (`application/strategic-merge-patch+json`) with upstream's apply
// semantics (k8s.io/apimachinery/pkg/util/strategicpatch, StrategicMergeMapPatch):
// - maps merge key by key, `null` deletes a key;
// - lists whose field has patch strategy `merge` merge: lists of objects by the merge key,
//   lists of scalars as a set; every other list is replaced;
// - directives: `$patch: replace|delete` (maps and list items), `$patch: replace` as a list
//   item, `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`;
// - order of merged lists: `$setElementOrder` > order in the patch > order in the object.
// Field metadata comes from api/openapi (model attribute maps + patch-meta.ts).
import { ApiError, apiErrors } from '../errors.ts';
import { genericPatchSchema, patchSchemaFor, type PatchSchema } from '../openapi/schema.ts';
import { unknownError, unprocessable } from './errors.ts';
import { deepClone, goKind, goValue, isObject } from './json-values.ts';

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysDirective = '$retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const setElementOrderPrefix = '$setElementOrder';

type JsonMap = Record<string, unknown>;

/** How the server reports each of the library's errors. */
type ErrorClass = 'badRequest' | 'invalid' | 'unknown';

class SmpError extends Error {
  constructor(
    message: string,
    readonly cls: ErrorClass = 'unknown',
  ) {
    super(message);
  }
}

const errBadJSONDoc = () => new SmpError('invalid JSON document', 'badRequest');
const errNoListOfLists = () => new SmpError('lists of lists are not supported', 'invalid');
const errBadPatchFormatForPrimitiveList = () => new SmpError('invalid patch format of primitive list', 'badRequest');
const errBadPatchFormatForRetainKeys = () => new SmpError('invalid patch format of retainKeys', 'badRequest');
const errBadPatchFormatForSetElementOrderList = () => new SmpError('invalid patch format of setElementOrder list', 'badRequest');
const errBadArgType = (expected: string, actual: unknown) => new SmpError(`expected a ${expected}, but received a ${goKind(actual)}`);
const errNoMergeKey = (m: unknown, key: string) => new SmpError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
const errBadPatchType = (t: unknown, m: unknown) => new SmpError(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);

function toApiError(e: SmpError): ApiError {
  switch (e.cls) {
    case 'badRequest':
      return apiErrors.badRequest(e.message);
    case 'invalid':
      return unprocessable(e.message);
    default:
      return unknownError(e.message);
  }
}

/** Go reflect.Type identity of decoded JSON values. */
function typeOf(v: unknown): string {
  return goKind(v);
}

function splitStrategies(strategy: string | undefined): string[] {
  return strategy ? strategy.split(',') : [];
}

/** extractRetainKeysPatchStrategy: the strategy besides retainKeys. */
function mainStrategy(strategy: string | undefined): string {
  const s = splitStrategies(strategy);
  if (s.length === 0) return '';
  if (s.length === 1) return s[0] === 'retainKeys' ? '' : s[0]!;
  if (s.length === 2) {
    if (s[0] === 'retainKeys') return s[1]!;
    if (s[1] === 'retainKeys') return s[0]!;
  }
  throw new SmpError(`unexpected patch strategy: [${s.join(' ')}]`);
}

interface FieldInfo {
  schema: PatchSchema;
  strategy: string;
  mergeKey: string;
}

/** Lenient lookup: a field the model doesn't know is merged as a plain map / replaced as a list. */
function lookup(schema: PatchSchema, key: string): FieldInfo {
  const f = schema.lookup(key);
  if (!f) return { schema: genericPatchSchema, strategy: '', mergeKey: '' };
  return { schema: f.schema, strategy: mainStrategy(f.meta.strategy), mergeKey: f.meta.mergeKey ?? '' };
}

function discardNullValues(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValues(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNullValues(x);
    }
  }
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === deleteFromPrimitiveListPrefix) throw errBadPatchFormatForPrimitiveList();
    if (prefix === setElementOrderPrefix) throw errBadPatchFormatForSetElementOrderList();
    throw new SmpError(`fail to find unknown prefix ${JSON.stringify(prefix)} in ${s}\n`);
  }
  return s.slice(i + 1);
}

function handleDirectiveInMergeMap(directive: unknown, patch: JsonMap): JsonMap {
  if (directive === replaceDirective) {
    delete patch[directiveMarker];
    return patch;
  }
  if (directive === deleteDirective) return {};
  throw errBadPatchType(directive, patch);
}

function applyRetainKeysDirective(original: JsonMap, patch: JsonMap): void {
  if (!(retainKeysDirective in patch)) return;
  const retain = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retain)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set(retain);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** The element type shared by all the lists' items (sliceElementType). */
function sliceElementType(...lists: unknown[][]): string {
  let prev: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = typeOf(v);
      if (prev === undefined) {
        prev = t;
        if (t === 'slice') throw errNoListOfLists();
      } else if (prev !== t) {
        throw new SmpError(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (prev === undefined) throw new SmpError('no elements in any of the given slices');
  return prev;
}

function mergeKeyValue(item: unknown, mergeKey: string, kind: string): unknown {
  if (kind !== 'map') return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: string): number {
  const want = mergeKeyValue(item, mergeKey, kind);
  return list.findIndex((v) => mergeKeyValue(v, mergeKey, kind) === want);
}

function findByKey(list: unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObject(v)) throw new SmpError(`value for key ${i} is not a map.`);
    if (Object.prototype.hasOwnProperty.call(v, key) && v[key] === value) return i;
  }
  return -1;
}

function validateMergeKeyInLists(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw errBadArgType('map', item);
      if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
    }
  }
}

/** normalizeSliceOrder: sort `toSort` by position in `order`; `$patch: delete` items last. */
function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    const keep: unknown[] = [];
    for (const v of toSort) {
      if ((v as JsonMap)[directiveMarker] === deleteDirective) toDelete.push(v);
      else keep.push(v);
    }
    toSort = keep;
  }
  const positions = toSort.map((v) => indexIn(order, v, mergeKey, kind));
  const idx = toSort.map((_, i) => i);
  idx.sort((a, b) => {
    const pa = positions[a]!;
    const pb = positions[b]!;
    if (pa >= 0 && pb >= 0) return pa - pb;
    return 0;
  });
  return [...idx.map((i) => toSort[i]), ...toDelete];
}

/** mergeSortedSlice: interleave server-only items into the patch items by the server's order. */
function mergeSortedSlice(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(
  patch: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: string,
): unknown[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function partitionPrimitives(list: unknown[], by: unknown[]): [unknown[], unknown[]] {
  const inPatch = new Set(by);
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMaps(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const patch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType('map', v);
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

function partition(list: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  return mergeKey ? partitionMaps(list, by, mergeKey) : partitionPrimitives(list, by);
}

function dedupeScalars(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of list) if (!out.includes(v)) out.push(v);
  return out;
}

function mergeSliceWithSpecialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const plain: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const m = v as JsonMap;
    if (!(directiveMarker in m)) {
      plain.push(v);
      continue;
    }
    const directive = m[directiveMarker];
    if (directive === deleteDirective) {
      if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
      const value = m[mergeKey];
      for (;;) {
        const i = findByKey(original, mergeKey, value);
        if (i < 0) break;
        original = [...original.slice(0, i), ...original.slice(i + 1)];
      }
    } else if (directive === replaceDirective) {
      replace = true;
    } else if (directive === mergeDirective) {
      throw new SmpError('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, m);
    }
  }
  return replace ? [plain, []] : [original, plain];
}

function mergeSliceWithoutSpecialElements(original: unknown[], patch: unknown[], mergeKey: string, schema: PatchSchema): unknown[] {
  const out = [...original];
  for (const v of patch) {
    const m = v as JsonMap;
    if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
    const i = findByKey(out, mergeKey, m[mergeKey]);
    if (i >= 0) out[i] = mergeMap(out[i] as JsonMap, m, schema);
    else out.push(v);
  }
  return out;
}

function deleteFromSlice(current: unknown[], toDelete: unknown[]): unknown[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

function mergeSlice(original: unknown[], patch: unknown[], schema: PatchSchema, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType(original, patch);
  let merged: unknown[];
  if (kind !== 'map') {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (!mergeKey) throw new SmpError(`cannot merge lists without merge key for ${schema.name}`);
    [original, patch] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements(original, patch, mergeKey, schema);
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

function mergeSliceHandler(original: unknown, patch: unknown, f: FieldInfo, isDeleteList: boolean): unknown[] {
  if (!Array.isArray(original)) throw errBadArgType('slice', original);
  if (!Array.isArray(patch)) throw errBadArgType('slice', patch);
  if (f.strategy === mergeDirective || isDeleteList) return mergeSlice(original, patch, f.schema, f.mergeKey, isDeleteList);
  return patch;
}

/** validatePatchWithSetOrderList: the patch list's items appear in the $setElementOrder list, in its order. */
function validatePatchWithSetOrderList(patchList: unknown[], setOrder: unknown[], mergeKey: string): void {
  if (setOrder.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey) {
    nonDelete = patchList.filter((v) => {
      if (!isObject(v)) throw errBadArgType('map', v);
      return v[directiveMarker] !== deleteDirective;
    });
  }
  const keyEqual = (a: unknown, b: unknown): boolean => {
    if (!mergeKey) return a === b;
    if (!isObject(a)) throw errBadArgType('map', a);
    if (!isObject(b)) throw errBadArgType('map', b);
    if (!(mergeKey in a)) throw errNoMergeKey(a, mergeKey);
    if (!(mergeKey in b)) throw errNoMergeKey(b, mergeKey);
    return a[mergeKey] === b[mergeKey];
  };
  let pi = 0;
  let si = 0;
  while (pi < nonDelete.length && si < setOrder.length) {
    if (isObject(nonDelete[pi]) && directiveMarker in (nonDelete[pi] as JsonMap)) {
      pi++;
      continue;
    }
    if (keyEqual(nonDelete[pi], setOrder[si])) pi++;
    si++;
  }
  if (pi < nonDelete.length && si >= setOrder.length) {
    throw new SmpError(`The order in patch list:\n${goValue(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goValue(setOrder)}\n`);
  }
}

/** mergePatchIntoOriginal: lists with a `$setElementOrder/<field>` directive. */
function mergePatchIntoOriginal(original: JsonMap, patch: JsonMap, schema: PatchSchema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const setOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setOrder)) throw errBadArgType('slice', setOrder);
    const field = extractKey(key, setElementOrderPrefix);
    const foundOriginal = field in original;
    const foundPatch = field in patch;
    const originalList = original[field];
    const patchList = patch[field];
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType('slice', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('slice', patchList);
    const originalValue = (foundOriginal ? originalList : []) as unknown[];
    const patchValue = (foundPatch ? patchList : []) as unknown[];
    const f = lookup(schema, field);
    validatePatchWithSetOrderList(patchValue, setOrder, f.mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalValue;
    else if (!foundOriginal && foundPatch) merged = patchValue;
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, f, false);
    else continue;

    const [patchItems, serverOnly] = partition(merged, setOrder, f.mergeKey);
    const kind = sliceElementType(originalValue, patchValue);
    original[field] = normalizeElementOrder(patchItems, serverOnly, setOrder, originalValue, f.mergeKey, kind);
    delete patch[field];
  }
}

function mergeMap(original: JsonMap | null | undefined, patch: JsonMap, schema: PatchSchema): JsonMap {
  if (directiveMarker in patch) return handleDirectiveInMergeMap(patch[directiveMarker], patch);
  const out: JsonMap = original ?? {};
  applyRetainKeysDirective(out, patch);
  mergePatchIntoOriginal(out, patch, schema);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListPrefix)) {
      k = extractKey(rawKey, deleteFromPrimitiveListPrefix);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete out[k];
      continue;
    }
    if (!(k in out)) {
      if (!isDeleteList) {
        discardNullValues(patchV);
        out[k] = patchV;
      }
      continue;
    }
    if (typeOf(out[k]) !== typeOf(patchV)) {
      if (!isDeleteList) {
        discardNullValues(patchV);
        out[k] = patchV;
      }
      continue;
    }
    if (isObject(patchV)) {
      const f = lookup(schema, k);
      out[k] = f.strategy === replaceDirective ? patchV : mergeMap(out[k] as JsonMap, patchV, f.schema);
    } else if (Array.isArray(patchV)) {
      const f = lookup(schema, k);
      out[k] = mergeSliceHandler(out[k], patchV, f, isDeleteList);
    } else {
      out[k] = patchV;
    }
  }
  return out;
}

/**
 * Applies a strategic merge patch (parsed JSON) to `original`; returns the patched object
 * (inputs are not modified). `schema` is a client-node model name (`V1Deployment`, from the
 * descriptor's `model`) or a PatchSchema. Throws ApiError as the API server answers.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: PatchSchema | string): Record<string, unknown> {
  if (!isObject(patch)) {
    throw apiErrors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
  }
  if (original !== undefined && original !== null && !isObject(original)) throw toApiError(errBadJSONDoc());
  const s = typeof schema === 'string' ? patchSchemaFor(schema) : schema;
  try {
    return mergeMap(deepClone((original ?? {}) as JsonMap), deepClone(patch), s);
  } catch (e) {
    if (e instanceof SmpError) throw toApiError(e);
    throw e;
  }
}
