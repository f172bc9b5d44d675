// Request body decoding as upstream's serializers do it: JSON and YAML into plain objects,
// recording what strict decoding reports (duplicate fields, YAML duplicate keys with their
// lines, unknown fields against the kind's schema), so that fieldValidation=Strict|Warn|Ignore
// can fail, warn or stay silent with upstream's messages.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import { apiErrors } from '../api/errors.ts';
import { modelInfo } from '../api/openapi/models.ts';
import { decodeProtobufObject, messageTypeFor, ProtobufError, summarizeData } from '../api/protobuf/codec.ts';

export class JsonSyntaxError extends Error {}

export interface Decoded {
  value: unknown;
  /** Duplicated keys (JSON): their paths and where the duplicate occurs in the document. */
  duplicates: { path: string; index: number }[];
  /** JSON: the document position (key order) of each path's first occurrence. */
  order: Map<string, number>;
  /** For YAML: one `yaml: unmarshal errors:` message listing duplicate keys with lines. */
  yamlError?: string;
  format: 'json' | 'yaml' | 'protobuf';
}

function pathJoin(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/**
 * A JSON parser that keeps the last value of a duplicated key (as Go's encoding/json) and
 * reports each duplicate as `duplicate field "a.b"`.
 */
export function parseJsonStrict(text: string): { value: unknown; duplicates: { path: string; index: number }[]; order: Map<string, number> } {
  let i = 0;
  const duplicates: { path: string; index: number }[] = [];
  const order = new Map<string, number>();
  let keyIndex = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    // text[i] === '"'
    const start = i;
    i++;
    let simple = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        simple = false;
        i += 2;
        continue;
      }
      if (c < 0x20) fail('invalid character in string literal');
      i++;
    }
    if (i >= n) fail('unexpected end of JSON input');
    i++;
    const raw = text.slice(start, i);
    if (simple) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('invalid escape in string literal');
    }
  };
  const value = (path: string): unknown => {
    ws();
    if (i >= n) fail('unexpected end of JSON input');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("invalid character looking for beginning of object key string");
        const key = str();
        ws();
        if (text[i] !== ':') fail("invalid character after object key");
        i++;
        const childPath = pathJoin(path, key);
        const index = keyIndex++;
        if (seen.has(key)) duplicates.push({ path: childPath, index });
        else if (!order.has(childPath)) order.set(childPath, index);
        seen.add(key);
        const v = value(childPath);
        if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[key] = v;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("invalid character after object key:value pair");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('invalid character after array element');
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(`invalid character ${JSON.stringify(c)} looking for beginning of value`);
    i += m![0].length;
    const tok = m![0];
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (tok === 'null') return null;
    return Number(tok);
  };
  const v = value('');
  ws();
  if (i < n) fail('invalid character after top-level value');
  return { value: v, duplicates, order };
}

/** YAML (first document) into plain data; duplicate keys are reported with their lines. */
export function parseYamlStrict(text: string): { value: unknown; yamlError?: string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter, prettyErrors: false, strict: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new JsonSyntaxError(`yaml: ${line ? `line ${line}: ` : ''}${e.message.split('\n')[0]}`);
  }
  const lines: string[] = [];
  const walk = (node: YamlNode | null | undefined) => {
    if (!node) return;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(k)) {
          const offset = (pair.key as YamlNode | null)?.range?.[0] ?? 0;
          lines.push(`  line ${lineCounter.linePos(offset).line}: key ${JSON.stringify(k)} already set in map`);
        }
        seen.add(k);
        walk(pair.value as YamlNode);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item as YamlNode);
    }
  };
  walk(doc.contents as YamlNode);
  const value = plainJson(doc.toJS({ maxAliasCount: 1000 }));
  return { value: value === undefined ? null : value, yamlError: lines.length ? `yaml: unmarshal errors:\n${lines.join('\n')}` : undefined };
}

/**
 * YAML values as the JSON they convert to upstream (sigs.k8s.io/yaml): tagged values become
 * plain data (!!binary -> its bytes as a string, !!set -> a map of nulls, Maps -> objects,
 * dates -> RFC 3339 strings, big integers -> numbers); NaN and infinities have no JSON form.
 */
function plainJson(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new JsonSyntaxError(`json: unsupported value: ${v}`);
    return v;
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString().replace(/\.000Z$/, 'Z');
  if (Array.isArray(v)) return v.map(plainJson);
  if (v instanceof Set) return Object.fromEntries([...v].map((k) => [String(k), null]));
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : typeof v === 'object' ? Object.entries(v as object) : [];
  if (typeof v !== 'object') return String(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) {
    const key = typeof k === 'string' ? k : JSON.stringify(plainJson(k)) ?? String(k);
    Object.defineProperty(out, key, { value: plainJson(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** How many object keys a JSON text has (a string followed by a colon), without building anything. */
function countKeyTokens(text: string): number {
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) !== 0x22) continue;
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) break;
    }
    let j = i + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) j++;
      else break;
    }
    if (text.charCodeAt(j) === 0x3a) keys++;
  }
  return keys;
}

/** How many keys the objects of a parsed JSON value have, in all. */
function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += countKeys(x);
    return n;
  }
  for (const k in v) n += 1 + countKeys((v as Record<string, unknown>)[k]);
  return n;
}

/**
 * parseJsonStrict's answer at JSON.parse's speed: the strict parser runs only for what
 * JSON.parse cannot tell (a syntax error's message, duplicated keys: the texts with more keys
 * than their value), and for the key order once someone asks (only to report problems).
 */
export function parseJson(text: string): { value: unknown; duplicates: { path: string; index: number }[]; order: Map<string, number> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseJsonStrict(text);
  }
  if (countKeyTokens(text) !== countKeys(value)) return parseJsonStrict(text);
  let order: Map<string, number> | undefined;
  return {
    value,
    duplicates: [],
    get order() {
      order ??= parseJsonStrict(text).order;
      return order;
    },
  };
}

/** Decodes a body by its media type; 400 BadRequest for malformed input. */
export function decodeBody(body: Buffer, mediaType: string): Decoded {
  const text = body.toString('utf8');
  const isYaml = mediaType === 'application/yaml' || mediaType === 'application/apply-patch+yaml' || mediaType === 'text/yaml' || mediaType === 'application/x-yaml';
  try {
    if (isYaml) {
      const { value, yamlError } = parseYamlStrict(text);
      return { value, duplicates: [], order: new Map(), yamlError, format: 'yaml' };
    }
    return Object.assign(parseJson(text), { format: 'json' as const });
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw apiErrors.badRequest(`${isYaml ? 'error converting YAML to JSON' : 'json parse error'}: ${err.message}`);
    }
    throw apiErrors.badRequest(`unable to decode the request body: ${(err as Error).message}`);
  }
}

/**
 * A `application/vnd.kubernetes.protobuf` body of a built-in kind into its JSON form; 415 for kinds
 * without a protobuf message (as upstream for custom resources), 400 for malformed bodies.
 */
export function decodeProtobufBody(body: Buffer, expect: { apiVersion: string; kind: string }): Decoded {
  if (!messageTypeFor(expect.apiVersion, expect.kind)) throw apiErrors.unsupportedMediaType('application/vnd.kubernetes.protobuf');
  try {
    const { object } = decodeProtobufObject(body, expect);
    return { value: object, duplicates: [], order: new Map(), format: 'protobuf' };
  } catch (err) {
    // (A RangeError is a body nested past the stack: malformed too.)
    if (!(err instanceof ProtobufError) && !(err instanceof RangeError)) throw err;
    const version = expect.apiVersion.split('/').pop();
    if (body.length > 4 && err.message.startsWith('no kind')) throw apiErrors.badRequest(`${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: ${err.message}`);
    throw apiErrors.badRequest(`the object provided is unrecognized (must be of type ${expect.kind}): ${err.message} (${summarizeData(body)})`);
  }
}

// --- unknown fields against the client-node models ------------------------------------

const fieldTypes = new Map<string, Map<string, string> | null>();

/** A client-node type name's shape (`Array<T>`, `{ [key: string]: T; }` or anything else), parsed once. */
interface Shape {
  array?: string;
  map?: string;
}
const shapes = new Map<string, Shape>();
function shapeOf(type: string): Shape {
  let s = shapes.get(type);
  if (!s) {
    const arr = /^Array<(.+)>$/.exec(type);
    const map = arr ? null : /^\{ \[key: string\]: (.+); \}$/.exec(type);
    s = arr ? { array: arr[1]! } : map ? { map: map[1]! } : {};
    shapes.set(type, s);
  }
  return s;
}

function attributes(model: string): Map<string, string> | null {
  let m = fieldTypes.get(model);
  if (m !== undefined) return m;
  const info = modelInfo(model);
  m = info ? new Map(info.fields.map((f) => [f.name, f.type])) : null;
  fieldTypes.set(model, m);
  return m;
}

/**
 * Paths of the fields of `value` that the model does not declare (`spec.foo`). `sorted`
 * walks keys in sorted order (what upstream reports for YAML and patch bodies, which pass
 * through a map); otherwise document order (JSON bodies). `prune` removes them in place,
 * as decoding into upstream's typed objects does.
 */
export function unknownFields(value: unknown, model: string, sorted = false, prune = false): string[] {
  const out: string[] = [];
  const visit = (v: unknown, type: string, path: string) => {
    if (v === null || v === undefined) return;
    const { array, map } = shapeOf(type);
    if (array) {
      if (Array.isArray(v)) v.forEach((item, i) => visit(item, array, `${path}[${i}]`));
      return;
    }
    if (map) {
      if (typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v as object);
        if (sorted) keys.sort();
        for (const k of keys) visit((v as Record<string, unknown>)[k], map, pathJoin(path, k));
      }
      return;
    }
    const attrs = attributes(type);
    if (!attrs || typeof v !== 'object' || Array.isArray(v)) return;
    const keys = Object.keys(v as object);
    if (sorted) keys.sort();
    for (const k of keys) {
      const t = attrs.get(k);
      const p = pathJoin(path, k);
      if (t === undefined) {
        out.push(p);
        // Decoding into the typed object drops what the type does not have.
        if (prune) delete (v as Record<string, unknown>)[k];
      } else visit((v as Record<string, unknown>)[k], t, p);
    }
  };
  visit(value, model, '');
  return out;
}

/**
 * Upstream's strict-decoding messages for a JSON body in document order: duplicates and
 * unknown fields interleaved as the decoder meets them; a duplicate inside (or of) an unknown
 * field is reported only as unknown, as for typed resources upstream.
 */
export function strictJsonProblems(decoded: Decoded, unknownPaths: string[]): string[] {
  const unknown = new Set(unknownPaths);
  const under = (p: string) => {
    for (const u of unknown) if (p === u || p.startsWith(`${u}.`) || p.startsWith(`${u}[`)) return true;
    return false;
  };
  const items = [
    ...decoded.duplicates.filter((d) => !under(d.path)).map((d) => ({ index: d.index, msg: `duplicate field "${d.path}"` })),
    ...unknownPaths.map((p) => ({ index: decoded.order.get(p) ?? Number.MAX_SAFE_INTEGER, msg: `unknown field "${p}"` })),
  ];
  items.sort((a, b) => a.index - b.index);
  return items.map((x) => x.msg);
}

// --- structural type checks -------------------------------------------------------------

function goType(type: string, format = ''): string {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return `[]${goType(arr[1]!)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[string]${goType(map[1]!)}`;
  switch (type) {
    case 'string':
      return format === 'byte' ? '[]uint8' : 'string';
    case 'number':
      return format === 'int32' ? 'int32' : format === 'double' ? 'float64' : 'int64';
    case 'boolean':
      return 'bool';
    case 'Date':
      return 'v1.Time';
    case 'IntOrString':
      return 'intstr.IntOrString';
    case 'any':
      return 'interface {}';
  }
  const m = /^V\d+(?:alpha\d+|beta\d+)?(.+)$/.exec(type);
  return m ? `v1.${m[1]}` : type;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/**
 * The first place where the body's JSON shape contradicts the kind's schema (an object where
 * a list belongs, a string where an object belongs...), as Go's json decoder reports it:
 * `json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string`.
 * Scalars are not checked against each other (quantities and int-or-strings take both).
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Go's json decoder on a scalar of the wrong JSON type: `json: cannot unmarshal <kind>` (the
 * caller adds where), or a metav1.Time parse error. Numbers are accepted where a string may be
 * a quantity (anything but `strict`), as resource.Quantity decodes them.
 */
function scalarTypeError(v: unknown, type: string, format: string, strict: boolean): string | undefined {
  const kind = typeof v === 'boolean' ? 'bool' : jsonKind(v);
  switch (type) {
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `json: cannot unmarshal ${kind}`;
    case 'number':
      if (typeof v !== 'number') return `json: cannot unmarshal ${kind}`;
      if ((format === 'int32' || format === 'int64') && !Number.isInteger(v)) return `json: cannot unmarshal number ${v}`;
      if (format === 'int32' && (v > 2147483647 || v < -2147483648)) return `json: cannot unmarshal number ${v}`;
      if (format === 'int64' && Math.abs(v) > 2 ** 63) return `json: cannot unmarshal number ${v}`;
      return undefined;
    case 'Date':
      if (typeof v !== 'string') return `json: cannot unmarshal ${kind}`;
      if (!RFC3339.test(v) || Number.isNaN(Date.parse(v))) return `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00"`;
      return undefined;
    case 'IntOrString':
      return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) ? undefined : `json: cannot unmarshal ${kind}`;
    case 'string':
      if (typeof v === 'string') return undefined;
      if (typeof v === 'number' && !strict && format !== 'byte') return undefined;
      return `json: cannot unmarshal ${kind}`;
    default:
      return undefined;
  }
}

export function structuralTypeError(value: unknown, model: string, kind: string): string | undefined {
  let found: string | undefined;
  const visit = (v: unknown, type: string, format: string, path: string, strict = false): void => {
    if (found || v === null || v === undefined) return;
    const { array: arr, map } = shapeOf(type);
    const isModel = !arr && !map && attributes(type) !== null;
    const wantsObject = !!map || isModel;
    const bad = (arr && !Array.isArray(v)) || (wantsObject && (typeof v !== 'object' || Array.isArray(v))) || (!arr && !wantsObject && type !== 'any' && typeof v === 'object');
    if (bad) {
      found = `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${kind}.${path} of type ${goType(type, format)}`;
      return;
    }
    if (!arr && !wantsObject) {
      const scalar = scalarTypeError(v, type, format, strict);
      if (scalar) found = `${scalar} into Go struct field ${kind}.${path} of type ${goType(type, format)}`;
      if (found && scalar?.startsWith('parsing time')) found = scalar;
      return;
    }
    // ObjectMeta's strings are plain strings (elsewhere a string field may be a quantity, which takes numbers).
    const strictBelow = strict || type === 'V1ObjectMeta';
    if (arr) for (const item of v as unknown[]) visit(item, arr, '', path, strictBelow);
    else if (map) for (const [k, x] of Object.entries(v as object)) visit(x, map, '', `${path}.${k}`, strictBelow);
    else if (isModel) {
      const info = modelInfo(type)!;
      for (const f of info.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x !== undefined) visit(x, f.type, f.format, path ? `${path}.${f.name}` : f.name, strictBelow);
      }
    }
  };
  const top = modelInfo(model);
  if (!top || typeof value !== 'object' || value === null) return undefined;
  for (const f of top.fields) {
    const x = (value as Record<string, unknown>)[f.name];
    if (x !== undefined) visit(x, f.type, f.format, f.name);
  }
  return found;
}
