// Small helpers for working on objects as decoded JSON (no generated types on the server side).

/** A JSON object. `any` values keep field access terse; validators check types as they go. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type J = Record<string, any>;

export function isObj(v: unknown): v is J {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The objects of a JSON array (anything else is treated as empty). */
export function objs(v: unknown): J[] {
  return Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : [];
}

export function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x))) : [];
}

/** `obj[key]` as an object, created when missing. */
export function child(obj: J, key: string): J {
  if (!isObj(obj[key])) obj[key] = {};
  return obj[key] as J;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Go zero values: absent, null, "", 0, false, empty list, empty map. */
export function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/**
 * Upstream's apiequality.Semantic.DeepEqual as seen through JSON: zero values equal absent
 * fields (Go cannot tell them apart for non-pointer fields), empty lists/maps equal nil.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

/** `base.child`, or `child` when base is empty. */
export function at(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

export function idx(base: string, i: number): string {
  return `${base}[${i}]`;
}

/** A map key in a path, as upstream's field.Path.Key renders it. */
export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}
