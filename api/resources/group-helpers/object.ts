// Small, typed accessors for objects held as plain JSON, shared by the named-group descriptors
// (apps, batch, autoscaling, networking, ...). Pure functions only.

export type Json = Record<string, unknown>;

export function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` when it is an object, else a fresh empty object (not attached to anything). */
export function asObj(v: unknown): Json {
  return isObj(v) ? v : {};
}

export function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asStr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Numbers as Go's int fields read them: a missing or non-number value is 0. */
export function asNum(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The child object at `key`, created when missing (or not an object). */
export function child(parent: Json, key: string): Json {
  const v = parent[key];
  if (isObj(v)) return v;
  const c: Json = {};
  parent[key] = c;
  return c;
}

/** The value at a dotted path (`spec.template.spec`), undefined when any step is missing. */
export function at(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Semantic equality of two JSON values as upstream's apiequality.Semantic.DeepEqual sees the
 * decoded Go structs: a missing key, `null` and (for maps and lists) an empty value are alike,
 * since they decode to the same zero value.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isEmptyish(a) && isEmptyish(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) || isObj(b)) {
    if (!isObj(a) || !isObj(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isEmptyish(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
}

/** Sets `obj[key] = value` only when the key is missing (or null), as Go defaulting of nil pointers. */
export function setDefault(obj: Json, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
