// Operations on objects typed by an apply schema, as structured-merge-diff's typed package:
// the field set a value sets (ToFieldSet), the fields two values differ in (Compare), the
// merge of an applied configuration into a live object (Merge), the removal of a set of
// fields (RemoveItems), and the validation of an applied configuration against the schema.
// `undefined` is an absent value; `null` an explicit one.
import { FieldSet, field, keyElement, pathString, type JsonValue, type Path, type PathElement } from './fieldpath.ts';
import { childAtom, DEDUCED, isNamedField, type Atom } from './schema.ts';

/** A schema problem at a path, printed as upstream's ValidationError: `.spec.foo: field not declared in schema`. */
export class TypedError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

type Obj = Record<string, unknown>;

function isMap(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mapLen(v: unknown): number {
  return isMap(v) ? Object.keys(v).length : 0;
}

function listLen(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** How a value of a type is walked: as a leaf, a map of fields or a list of items. */
type Shape = 'leaf' | 'map' | 'list';

function shapeOf(atom: Atom, v: unknown): Shape {
  switch (atom.kind) {
    case 'scalar':
      return 'leaf';
    case 'struct':
    case 'map':
      return atom.atomic ? 'leaf' : 'map';
    case 'list':
      return atom.associative ? 'list' : 'leaf';
    case 'deduced':
      return isMap(v) ? 'map' : 'leaf';
  }
}

/** The shape of a pair: a map (or list) only when neither side contradicts it. */
function pairShape(atom: Atom, l: unknown, r: unknown): Shape {
  const s = shapeOf(atom, l !== undefined && l !== null ? l : r);
  if (s === 'map') {
    for (const v of [l, r]) if (v !== undefined && v !== null && !isMap(v)) return 'leaf';
    // Both empty or null: a leaf, which keeps the empty/null distinction.
    if (mapLen(l) === 0 && mapLen(r) === 0) return 'leaf';
  }
  if (s === 'list') {
    for (const v of [l, r]) if (v !== undefined && v !== null && !Array.isArray(v)) return 'leaf';
    if (listLen(l) === 0 && listLen(r) === 0) return 'leaf';
  }
  return s;
}

function listElem(atom: Atom): Extract<Atom, { kind: 'list' }> {
  return atom as Extract<Atom, { kind: 'list' }>;
}

/** The path element of a list item: its key fields, its value (sets) or its index. */
export function listItemElement(atom: Extract<Atom, { kind: 'list' }>, item: unknown, index: number): PathElement {
  if (!atom.associative) return { kind: 'index', index };
  if (atom.keys.length > 0) {
    if (item === null) throw new Error('associative list with keys may not have a null element');
    if (!isMap(item)) throw new Error('associative list with keys may not have non-map elements');
    const fields: [string, JsonValue][] = [];
    for (const k of atom.keys) {
      if (item[k] !== undefined) fields.push([k, item[k] as JsonValue]);
      else if (k in atom.keyDefaults) fields.push([k, atom.keyDefaults[k]!]);
      else throw new Error(`associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    }
    return keyElement(fields);
  }
  if (isMap(item)) throw new Error("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new Error('not supported: associative list with lists as elements');
  if (item === null) throw new Error("associative list without keys has an element that's an explicit null");
  return { kind: 'value', value: item as JsonValue };
}

function itemElements(atom: Extract<Atom, { kind: 'list' }>, list: unknown, path: Path, lenient: boolean): { pe: PathElement; item: unknown }[] {
  const out: { pe: PathElement; item: unknown }[] = [];
  if (!Array.isArray(list)) return out;
  list.forEach((item, i) => {
    try {
      out.push({ pe: listItemElement(atom, item, i), item });
    } catch (err) {
      if (!lenient) throw new TypedError(pathString(path), `element ${i}: ${(err as Error).message}`);
    }
  });
  return out;
}

// ---------------------------------------------------------------- ToFieldSet

/** The fields a value sets (typed.ToFieldSet). */
export function toFieldSet(value: unknown, atom: Atom): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, a: Atom, path: Path) => {
    const shape = shapeOf(a, v);
    if (shape === 'leaf') {
      if (path.length) set.insert(path);
      return;
    }
    if (shape === 'list') {
      if (!Array.isArray(v)) {
        if (v !== null && path.length) set.insert(path);
        return;
      }
      const la = listElem(a);
      const seen = new Set<string>();
      for (const { pe, item } of itemElements(la, v, path, true)) {
        const p = [...path, pe];
        const k = JSON.stringify(pe);
        if (seen.has(k)) continue;
        seen.add(k);
        walk(item, la.elem, p);
        set.insert(p);
      }
      return;
    }
    if (!isMap(v)) {
      if (v !== null && path.length) set.insert(path);
      return;
    }
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const child = childAtom(a, k) ?? DEDUCED;
      const p = [...path, field(k)];
      walk(val, child, p);
      if (val === null || (isMap(val) && Object.keys(val).length === 0) || !isNamedField(a, k)) set.insert(p);
    }
  };
  walk(value, atom, []);
  return set;
}

// ---------------------------------------------------------------- Compare

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The fields `rhs` adds, changes and removes relative to `lhs` (typed.Compare). */
export function compare(lhs: unknown, rhs: unknown, atom: Atom): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, a: Atom, path: Path) => {
    // Equal values add, change and remove nothing at or below them (most of an object, on most writes).
    if (path.length > 0 && l !== undefined && r !== undefined && deepEqual(l, r)) return;
    const shape = pairShape(a, l, r);
    if (shape === 'leaf') {
      if (path.length === 0) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return;
    }
    if (shape === 'map') {
      const lm = isMap(l) ? l : {};
      const rm = isMap(r) ? r : {};
      const keys = new Set([...Object.keys(lm), ...Object.keys(rm)]);
      for (const k of keys) {
        const lv = lm[k];
        const rv = rm[k];
        if (lv === undefined && rv === undefined) continue;
        walk(lv, rv, childAtom(a, k) ?? DEDUCED, [...path, field(k)]);
      }
    } else {
      const la = listElem(a);
      const lItems = new Map<string, { pe: PathElement; item: unknown }>();
      for (const e of itemElements(la, l, path, true)) {
        const k = JSON.stringify(e.pe);
        if (!lItems.has(k)) lItems.set(k, e);
      }
      const rSeen = new Set<string>();
      for (const e of itemElements(la, r, path, true)) {
        const k = JSON.stringify(e.pe);
        if (rSeen.has(k)) continue;
        rSeen.add(k);
        walk(lItems.get(k)?.item, e.item, la.elem, [...path, e.pe]);
      }
      for (const [k, e] of lItems) if (!rSeen.has(k)) walk(e.item, undefined, la.elem, [...path, e.pe]);
    }
    if (path.length === 0) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk(lhs, rhs, atom, []);
  return c;
}

// ---------------------------------------------------------------- Merge

/** Merges an applied configuration into a live object (typed.Merge): the configuration wins. */
export function merge(lhs: unknown, rhs: unknown, atom: Atom): unknown {
  const walk = (l: unknown, r: unknown, a: Atom, path: Path): unknown => {
    if (r === undefined) return clone(l);
    if (l === undefined && shapeOf(a, r) === 'leaf') return clone(r);
    const shape = pairShape(a, l, r);
    if (shape === 'leaf') return clone(r);
    if (shape === 'map') {
      const lm = isMap(l) ? l : undefined;
      const rm = isMap(r) ? r : undefined;
      const out: Obj = {};
      for (const [k, lv] of Object.entries(lm ?? {})) {
        if (lv === undefined) continue;
        const v = walk(lv, rm?.[k], childAtom(a, k) ?? DEDUCED, [...path, field(k)]);
        if (v !== undefined) out[k] = v;
      }
      for (const [k, rv] of Object.entries(rm ?? {})) {
        if (rv === undefined || (lm && lm[k] !== undefined)) continue;
        const v = walk(undefined, rv, childAtom(a, k) ?? DEDUCED, [...path, field(k)]);
        if (v !== undefined) out[k] = v;
      }
      return Object.keys(out).length ? out : undefined;
    }
    return mergeList(l, r, listElem(a), path, walk);
  };
  return walk(lhs, rhs, atom, []);
}

/** The item order of upstream's merge: live order, with the applied items' relative order kept. */
function mergeList(
  l: unknown,
  r: unknown,
  a: Extract<Atom, { kind: 'list' }>,
  path: Path,
  walk: (l: unknown, r: unknown, a: Atom, path: Path) => unknown,
): unknown {
  const lhs = itemElements(a, l, path, false);
  const rhs = itemElements(a, r, path, false);
  const key = (pe: PathElement) => JSON.stringify(pe);
  const observedR = new Map<string, unknown>();
  for (const e of rhs) {
    if (observedR.has(key(e.pe))) throw new TypedError(pathString(path), `duplicate entries for key ${pathString([e.pe])}`);
    observedR.set(key(e.pe), e.item);
  }
  const observedL = new Map<string, unknown>();
  for (const e of lhs) if (!observedL.has(key(e.pe))) observedL.set(key(e.pe), e.item);
  const shared = rhs.filter((e) => observedL.has(key(e.pe))).map((e) => key(e.pe));
  let next = shared.shift();
  const merged = new Set<string>();
  const out: unknown[] = [];
  const push = (pe: PathElement, lv: unknown, rv: unknown) => {
    const v = walk(lv, rv, a.elem, [...path, pe]);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    if (li < lhs.length && ri < rhs.length) {
      const pe = lhs[li]!.pe;
      if (key(pe) === key(rhs[ri]!.pe)) {
        merged.add(key(pe));
        push(pe, observedL.get(key(pe)), observedR.get(key(pe)));
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (observedR.has(key(pe)) && next !== undefined && next !== key(pe)) {
        li++;
        continue;
      }
    }
    if (li < lhs.length) {
      const e = lhs[li]!;
      if (!observedR.has(key(e.pe))) {
        push(e.pe, e.item, undefined);
        li++;
        continue;
      } else if (merged.has(key(e.pe))) {
        li++;
        continue;
      }
    }
    if (ri < rhs.length) {
      const pe = rhs[ri]!.pe;
      merged.add(key(pe));
      push(pe, observedL.get(key(pe)), observedR.get(key(pe)));
      ri++;
      if (next !== undefined && next === key(pe)) next = shared.shift();
    }
  }
  return out.length ? out : undefined;
}

// ---------------------------------------------------------------- RemoveItems

/** The value without the fields of `set` (a member takes its whole subtree). */
export function removeItems(value: unknown, set: FieldSet, atom: Atom): unknown {
  const walk = (v: unknown, s: FieldSet, a: Atom): unknown => {
    const shape = shapeOf(a, v);
    if (shape === 'leaf') return v;
    if (shape === 'list') {
      if (!Array.isArray(v) || v.length === 0) return v;
      const la = listElem(a);
      const out: unknown[] = [];
      v.forEach((item, i) => {
        let pe: PathElement;
        try {
          pe = listItemElement(la, item, i);
        } catch {
          out.push(item);
          return;
        }
        if (s.has([pe])) return;
        const sub = s.withPrefix(pe);
        out.push(sub.empty() ? item : walk(item, sub, la.elem));
      });
      return out.length ? out : undefined;
    }
    if (!isMap(v) || Object.keys(v).length === 0) return v;
    const out: Obj = {};
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const pe = field(k);
      if (s.has([pe])) continue;
      const sub = s.withPrefix(pe);
      const nv = sub.empty() ? val : walk(val, sub, childAtom(a, k) ?? DEDUCED);
      if (nv !== undefined) out[k] = nv;
    }
    return Object.keys(out).length ? out : undefined;
  };
  return walk(value, set, atom);
}

/** Named (struct) fields that have children become members too (EnsureNamedFieldsAreMembers). */
export function ensureNamedFieldsAreMembers(set: FieldSet, atom: Atom): FieldSet {
  const out = new FieldSet();
  for (const [k, pe] of set.members) out.members.set(k, pe);
  for (const [k, n] of set.children) {
    let childType: Atom = DEDUCED;
    if (n.pe.kind === 'field') {
      if (isNamedField(atom, n.pe.name)) out.members.set(k, n.pe);
      childType = childAtom(atom, n.pe.name) ?? DEDUCED;
    } else if (atom.kind === 'list') childType = atom.elem;
    out.children.set(k, { pe: n.pe, set: ensureNamedFieldsAreMembers(n.set, childType) });
  }
  return out;
}

// ---------------------------------------------------------------- validation

function kindName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'number') return 'numeric';
  return typeof v;
}

/**
 * The schema errors of an applied configuration, as typed conversion reports them (fields the
 * schema does not declare, lists and maps where the other belongs, bad list keys, duplicate
 * keys).
 */
export function validate(value: unknown, atom: Atom): TypedError[] {
  const errs: TypedError[] = [];
  const walk = (v: unknown, a: Atom, path: Path) => {
    if (v === null || v === undefined) return;
    const p = () => pathString(path);
    switch (a.kind) {
      case 'scalar':
        if (typeof v === 'object') errs.push(new TypedError(p(), `expected scalar, got ${kindName(v)}`));
        return;
      case 'deduced':
        if (isMap(v)) for (const [k, x] of Object.entries(v)) walk(x, childAtom(a, k) ?? DEDUCED, [...path, field(k)]);
        return;
      case 'struct':
      case 'map':
        if (!isMap(v)) {
          errs.push(new TypedError(p(), `expected map, got ${kindName(v)}`));
          return;
        }
        for (const [k, x] of Object.entries(v)) {
          const child = childAtom(a, k);
          if (!child) {
            errs.push(new TypedError(pathString([...path, field(k)]), 'field not declared in schema'));
            continue;
          }
          walk(x, child, [...path, field(k)]);
        }
        return;
      case 'list': {
        if (!Array.isArray(v)) {
          errs.push(new TypedError(p(), `expected list, got ${kindName(v)}`));
          return;
        }
        const seen = new Set<string>();
        v.forEach((item, i) => {
          if (a.associative) {
            let pe: PathElement;
            try {
              pe = listItemElement(a, item, i);
            } catch (err) {
              errs.push(new TypedError(p(), `element ${i}: ${(err as Error).message}`));
              return;
            }
            const k = JSON.stringify(pe);
            if (seen.has(k)) errs.push(new TypedError(p(), `duplicate entries for key ${pathString([pe])}`));
            seen.add(k);
            walk(item, a.elem, [...path, pe]);
          } else walk(item, a.elem, [...path, { kind: 'index', index: i }]);
        });
        return;
      }
    }
  };
  walk(value, atom, []);
  return errs;
}

/** Drops explicit nulls of typed fields (what decoding into upstream's Go types does). */
export function dropNulls(value: unknown, atom: Atom): unknown {
  if (Array.isArray(value)) {
    const elem = atom.kind === 'list' ? atom.elem : DEDUCED;
    return value.map((x) => dropNulls(x, elem));
  }
  if (!isMap(value) || atom.kind === 'deduced' || atom.kind === 'scalar') return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || (v === null && atom.kind === 'struct')) continue;
    out[k] = dropNulls(v, childAtom(atom, k) ?? DEDUCED);
  }
  return out;
}
