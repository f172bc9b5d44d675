// RFC 7386 JSON merge patch, as the API server applies `application/merge-patch+json`
// (evanphx/json-patch MergePatch): objects merge key by key, `null` deletes, anything else
// (arrays included) replaces; nulls inside newly added objects are dropped.
import { apiErrors } from '../errors.ts';
import { deepClone, isObject } from './json-values.ts';

function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === null ? x : pruneNulls(x)));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = pruneNulls(x);
    return out;
  }
  return v;
}

function mergeDocs(doc: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    if (cur === undefined || cur === null) {
      doc[k] = pruneNulls(deepClone(v));
    } else if (!isObject(cur)) {
      doc[k] = pruneNulls(deepClone(v));
    } else if (!isObject(v)) {
      doc[k] = deepClone(v);
    } else {
      mergeDocs(cur, v);
    }
  }
}

/**
 * Applies a merge patch (parsed JSON) to a document; returns a new document. A patch that
 * isn't a JSON object replaces the document (nulls pruned), as RFC 7386 says.
 */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === undefined) throw apiErrors.badRequest('Invalid JSON Patch');
  if (!isObject(patch)) return pruneNulls(deepClone(patch));
  const out = isObject(doc) ? deepClone(doc) : {};
  mergeDocs(out, patch);
  return out;
}

/** A merge patch that turns `from` into `to` (RFC 7386 diff; used by tests and clients). */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return deepClone(to);
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    const f = from[k];
    if (isObject(f) && isObject(v)) {
      const sub = createMergePatch(f, v) as Record<string, unknown>;
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (JSON.stringify(f) !== JSON.stringify(v)) {
      patch[k] = deepClone(v);
    }
  }
  return patch;
}
