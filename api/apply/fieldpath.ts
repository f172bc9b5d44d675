// Field paths and field sets as sigs.k8s.io/structured-merge-diff's fieldpath package has
// them: a path element is a struct field or map key (`f:name`), an associative list item by
// its key fields (`k:{"name":"x"}`), a set item by its value (`v:"x"`) or a list index
// (`i:0`). A set is a trie whose nodes are members (the path itself is in the set) and/or
// parents of more paths; its wire form is metadata.managedFields[].fieldsV1, where `.`
// marks a node that is both a member and a parent.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export type PathElement =
  | { kind: 'field'; name: string }
  | { kind: 'key'; fields: [string, JsonValue][] }
  | { kind: 'value'; value: JsonValue }
  | { kind: 'index'; index: number };

export type Path = PathElement[];

export const field = (name: string): PathElement => ({ kind: 'field', name });

/** A key element; fields are sorted by name as upstream's FieldList. */
export function keyElement(fields: [string, JsonValue][]): PathElement {
  return { kind: 'key', fields: [...fields].sort((a, b) => cmpString(a[0], b[0])) };
}

function cmpString(a: string, b: string): number {
  // Go's strings.Compare is byte-wise: compare the UTF-8 encodings.
  if (a === b) return 0;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

function typeRank(v: JsonValue): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null && typeof v === 'object') return 4;
  return 5;
}

/** value.Compare: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return cmpString(a as string, b as string);
    case 2:
      return a === b ? 0 : a === false ? -1 : 1;
    case 3: {
      const x = a as JsonValue[];
      const y = b as JsonValue[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 4: {
      const x = a as Record<string, JsonValue>;
      const y = b as Record<string, JsonValue>;
      const kx = Object.keys(x).sort(cmpString);
      const ky = Object.keys(y).sort(cmpString);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = cmpString(kx[i]!, ky[i]!) || compareValues(x[kx[i]!]!, y[ky[i]!]!);
        if (c !== 0) return c;
      }
      return kx.length === ky.length ? 0 : kx.length < ky.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

const kindRank = { field: 0, key: 1, value: 2, index: 3 } as const;

/** PathElement.Compare: fields < keys < values < indices. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return kindRank[a.kind] < kindRank[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return cmpString(a.name, (b as { name: string }).name);
    case 'key': {
      const x = a.fields;
      const y = (b as { fields: [string, JsonValue][] }).fields;
      for (let i = 0; ; i++) {
        if (i >= x.length && i >= y.length) return 0;
        if (i >= x.length) return -1;
        if (i >= y.length) return 1;
        const c = cmpString(x[i]![0], y[i]![0]) || compareValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
    }
    case 'value':
      return compareValues(a.value, (b as { value: JsonValue }).value);
    case 'index': {
      const j = (b as { index: number }).index;
      return a.index < j ? -1 : a.index > j ? 1 : 0;
    }
  }
}

/** Go's encoding/json for map keys and values (sorted keys, HTML-safe escaping). */
export function goJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return typeof v === 'string' ? s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : s;
  }
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const keys = Object.keys(v).sort(cmpString);
  return `{${keys.map((k) => `${goJson(k)}:${goJson(v[k]!)}`).join(',')}}`;
}

/** The fieldsV1 key of an element: `f:name`, `k:{"name":"x"}`, `v:"x"`, `i:0`. */
export function serializePathElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([n, v]) => `${goJson(n)}:${goJson(v)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

export function parsePathElement(s: string): PathElement {
  const colon = s.indexOf(':');
  if (colon < 0) throw new Error(`invalid path element: ${JSON.stringify(s)}`);
  const prefix = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  switch (prefix) {
    case 'f':
      return field(rest);
    case 'v':
      return { kind: 'value', value: JSON.parse(rest) as JsonValue };
    case 'i': {
      if (!/^\d+$/.test(rest)) throw new Error(`invalid index: ${JSON.stringify(rest)}`);
      return { kind: 'index', index: Number(rest) };
    }
    case 'k': {
      const obj = JSON.parse(rest) as unknown;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`invalid key: ${JSON.stringify(rest)}`);
      return keyElement(Object.entries(obj as Record<string, JsonValue>));
    }
    default:
      throw new Error(`unknown path element prefix ${JSON.stringify(prefix)}`);
  }
}

/** value.ToString: strings quoted, maps as k=v pairs. */
function valueString(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  return Object.entries(v)
    .map(([k, x]) => `${k}=${valueString(x)}`)
    .join('');
}

/** A path as upstream prints it in conflicts: `.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      switch (pe.kind) {
        case 'field':
          return `.${pe.name}`;
        case 'key':
          return `[${pe.fields.map(([n, v]) => `${n}=${valueString(v)}`).join(',')}]`;
        case 'value':
          return `[=${valueString(pe.value)}]`;
        case 'index':
          return `[${pe.index}]`;
      }
    })
    .join('');
}

// ---------------------------------------------------------------- sets

interface Node {
  pe: PathElement;
  set: FieldSet;
}

/** fieldpath.Set: members at this level and child sets by element. */
export class FieldSet {
  readonly members = new Map<string, PathElement>();
  readonly children = new Map<string, Node>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.empty()) return false;
    return true;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let cur: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) cur = cur.child(path[i]!, true)!;
    const last = path[path.length - 1]!;
    cur.members.set(serializePathElement(last), last);
  }

  /** The child set of `pe` (created when asked to). */
  child(pe: PathElement, create = false): FieldSet | undefined {
    const k = serializePathElement(pe);
    let n = this.children.get(k);
    if (!n && create) {
      n = { pe, set: new FieldSet() };
      this.children.set(k, n);
    }
    return n?.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let cur: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && cur; i++) cur = cur.children.get(serializePathElement(path[i]!))?.set;
    return !!cur && cur.members.has(serializePathElement(path[path.length - 1]!));
  }

  /** The paths under `pe` (WithPrefix). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? new FieldSet();
  }

  clone(): FieldSet {
    const s = new FieldSet();
    for (const [k, pe] of this.members) s.members.set(k, pe);
    for (const [k, n] of this.children) s.children.set(k, { pe: n.pe, set: n.set.clone() });
    return s;
  }

  union(o: FieldSet): FieldSet {
    const s = this.clone();
    for (const [k, pe] of o.members) s.members.set(k, pe);
    for (const [k, n] of o.children) {
      const mine = s.children.get(k);
      s.children.set(k, { pe: n.pe, set: mine ? mine.set.union(n.set) : n.set.clone() });
    }
    return s;
  }

  difference(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) s.members.set(k, pe);
    for (const [k, n] of this.children) {
      const theirs = o.children.get(k);
      const d = theirs ? n.set.difference(theirs.set) : n.set.clone();
      if (!d.empty()) s.children.set(k, { pe: n.pe, set: d });
    }
    return s;
  }

  intersection(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [k, pe] of this.members) if (o.members.has(k)) s.members.set(k, pe);
    for (const [k, n] of this.children) {
      const theirs = o.children.get(k);
      if (!theirs) continue;
      const i = n.set.intersection(theirs.set);
      if (!i.empty()) s.children.set(k, { pe: n.pe, set: i });
    }
    return s;
  }

  /** Removes every path of `o` and everything below its members. */
  recursiveDifference(o: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) s.members.set(k, pe);
    for (const [k, n] of this.children) {
      if (o.members.has(k)) continue;
      const theirs = o.children.get(k);
      const d = theirs ? n.set.recursiveDifference(theirs.set) : n.set.clone();
      if (!d.empty()) s.children.set(k, { pe: n.pe, set: d });
    }
    return s;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).empty() && o.difference(this).empty();
  }

  private sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  private sortedChildren(): Node[] {
    return [...this.children.values()].filter((n) => !n.set.empty()).sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /** Every path of the set: members first, then the children's, each level sorted (Set.Iterate). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = this.sortedMembers().map((pe) => [...prefix, pe]);
    for (const n of this.sortedChildren()) out.push(...n.set.paths([...prefix, n.pe]));
    return out;
  }

  /** The fieldsV1 wire form. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(member: boolean): Record<string, unknown> {
    // Members and children are keyed by their serialized path element already.
    const entries: { k: string; pe: PathElement; v: Record<string, unknown> }[] = [];
    const emitted = new Set<string>();
    for (const [k, n] of this.children) {
      if (n.set.empty()) continue;
      emitted.add(k);
      entries.push({ k, pe: n.pe, v: n.set.emit(this.members.has(k)) });
    }
    for (const [k, pe] of this.members) if (!emitted.has(k)) entries.push({ k, pe, v: {} });
    entries.sort((a, b) => comparePathElements(a.pe, b.pe));
    const out: Record<string, unknown> = {};
    if (member) out['.'] = {};
    for (const e of entries) out[e.k] = e.v;
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    const read = (obj: unknown, into: FieldSet) => {
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('expected an object in fieldsV1');
      for (const [k, child] of Object.entries(obj as Record<string, unknown>)) {
        if (k === '.') continue;
        const pe = parsePathElement(k);
        const c = child as Record<string, unknown>;
        if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new Error('expected an object in fieldsV1');
        const keys = Object.keys(c);
        if (keys.length === 0) {
          into.members.set(serializePathElement(pe), pe);
          continue;
        }
        if ('.' in c) into.members.set(serializePathElement(pe), pe);
        if (keys.some((x) => x !== '.')) read(c, into.child(pe, true)!);
      }
    };
    read(v, s);
    return s;
  }
}
