// RFC 6902 JSON patch with the semantics and error messages of the library the API server
// uses (evanphx/json-patch v4): decode errors are 400 BadRequest, more than 10000 operations
// 413, and a failing operation (including a failed `test`) 422 with the library's message.
import { ApiError, apiErrors } from '../errors.ts';
import { unprocessable } from './errors.ts';
import { deepClone, deepEqual, isObject } from './json-values.ts';

export const maxJsonPatchOperations = 10000;

type Container = Record<string, unknown> | unknown[];

class PatchError extends Error {}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

function decodeKey(k: string): string {
  return k.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** strconv.Atoi */
function atoi(s: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined;
}

/** The parent container of `path` and the last key, or undefined when a parent is missing. */
function findObject(doc: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = doc;
  for (const part of split.slice(1, -1)) {
    const next = get(cur, decodeKey(part), true);
    if (next === undefined || next === null) return undefined;
    if (!Array.isArray(next) && !isObject(next)) return undefined;
    cur = next;
  }
  return { con: cur, key: decodeKey(split[split.length - 1]!) };
}

/** container.get; for arrays throws on a bad index (unless `lenient`, as findObject). */
function get(con: Container, key: string, lenient = false): unknown {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  const idx = atoi(key);
  if (idx === undefined) {
    if (lenient) return undefined;
    throw new PatchError(`value was not a proper array index: '${key}'`);
  }
  if (idx < 0 || idx >= con.length) {
    if (lenient) return undefined;
    throw new PatchError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  }
  return con[idx];
}

function add(con: Container, key: string, val: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  if (key === '-') {
    con.push(val);
    return;
  }
  let idx = atoi(key);
  if (idx === undefined) throw new PatchError(`value was not a proper array index: '${key}'`);
  const size = con.length + 1;
  if (idx >= size || idx < -size) throw new PatchError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  if (idx < 0) idx += size;
  con.splice(idx, 0, val);
}

function set(con: Container, key: string, val: unknown): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  const idx = atoi(key);
  if (idx === undefined) throw new PatchError(`value was not a proper array index: '${key}'`);
  if (idx < 0 || idx >= con.length) throw new PatchError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  con[idx] = val;
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) throw new PatchError(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete con[key];
    return;
  }
  let idx = atoi(key);
  if (idx === undefined) throw new PatchError(`value was not a proper array index: '${key}'`);
  if (idx >= con.length || idx < -con.length) throw new PatchError(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  if (idx < 0) idx += con.length;
  con.splice(idx, 1);
}

function wrap(prefix: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof PatchError) throw new PatchError(`${prefix}: ${e.message}`);
    throw e;
  }
}

interface Operation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
}

function strField(op: Operation, name: 'path' | 'from', kind: string): string {
  const v = op[name];
  if (v === undefined || v === null) {
    throw new PatchError(`${kind} operation failed to decode ${name}: operation missing ${name}: ${MISSING}`);
  }
  if (typeof v !== 'string') {
    throw new PatchError(`${kind} operation failed to decode ${name}: json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
  }
  return v;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function applyOp(doc: Container, op: Operation): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const value = Object.prototype.hasOwnProperty.call(op, 'value') ? op.value : null;
  switch (kind) {
    case 'add': {
      const path = strField(op, 'path', 'add');
      const at = findObject(doc, path);
      if (!at) throw new PatchError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in add for path: '${path}'`, () => add(at.con, at.key, deepClone(value)));
      return;
    }
    case 'remove': {
      const path = strField(op, 'path', 'remove');
      const at = findObject(doc, path);
      if (!at) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in remove for path: '${path}'`, () => remove(at.con, at.key));
      return;
    }
    case 'replace': {
      const path = strField(op, 'path', 'replace');
      const at = findObject(doc, path);
      if (!at) throw new PatchError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      if (Array.isArray(at.con)) {
        try {
          get(at.con, at.key);
        } catch {
          throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
        }
      }
      wrap(`error in remove for path: '${path}'`, () => set(at.con, at.key, deepClone(value)));
      return;
    }
    case 'move': {
      const from = strField(op, 'from', 'move');
      const src = findObject(doc, from);
      if (!src) throw new PatchError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      wrap(`error in move for path: '${from}'`, () => {
        val = get(src.con, src.key);
      });
      wrap(`error in move for path: '${from}'`, () => remove(src.con, src.key));
      const path = strField(op, 'path', 'move');
      const dst = findObject(doc, path);
      if (!dst) throw new PatchError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap(`error in move for path: '${path}'`, () => add(dst.con, dst.key, val));
      return;
    }
    case 'copy': {
      const from = strField(op, 'from', 'copy');
      const src = findObject(doc, from);
      if (!src) throw new PatchError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      let val: unknown;
      wrap(`error in copy for from: '${from}'`, () => {
        val = get(src.con, src.key);
      });
      const path = strField(op, 'path', 'copy');
      const dst = findObject(doc, path);
      if (!dst) throw new PatchError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap('error while adding value during copy', () => add(dst.con, dst.key, deepClone(val === undefined ? null : val)));
      return;
    }
    case 'test': {
      const path = strField(op, 'path', 'test');
      const at = findObject(doc, path);
      if (!at) throw new PatchError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      let val: unknown;
      try {
        val = get(at.con, at.key);
      } catch (e) {
        throw new PatchError(`error in test for path: '${path}': ${(e as Error).message}`);
      }
      const want = op.value;
      if (val === undefined || val === null) {
        if (want === undefined || want === null) return;
        throw new PatchError(`testing value ${path} failed: test failed`);
      }
      if (want === undefined) throw new PatchError(`testing value ${path} failed: test failed`);
      if (deepEqual(val, want)) return;
      throw new PatchError(`testing value ${path} failed: test failed`);
    }
    default:
      throw new PatchError(`Unexpected kind: ${kind}: unknown object type`);
  }
}

/** Validates the patch document's shape (jsonpatch.DecodePatch); throws 400/413. */
export function decodeJsonPatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw apiErrors.badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isObject(op)) throw apiErrors.badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (patch.length > maxJsonPatchOperations) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`,
    );
  }
  return patch as Operation[];
}

/**
 * Applies a JSON patch (already parsed from JSON) to a document; returns a new document,
 * the input is not modified. Throws ApiError as the API server answers.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodeJsonPatch(patch);
  const out = deepClone(doc);
  if (!Array.isArray(out) && !isObject(out)) {
    throw unprocessable('Invalid JSON Document');
  }
  try {
    for (const op of ops) applyOp(out, op);
  } catch (e) {
    if (e instanceof PatchError) throw unprocessable(e.message);
    throw e;
  }
  return out;
}
