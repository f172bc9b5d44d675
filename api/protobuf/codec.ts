// The Kubernetes protobuf wire format (`application/vnd.kubernetes.protobuf`) for built-in kinds:
// the `k8s\0` magic, a runtime.Unknown envelope carrying apiVersion/kind, and the object as the
// message of its kind (k8s.io/api generated.proto). Decoding produces the object's JSON form,
// exactly what the same typed object marshals to as JSON (pointer fields kept when set, non-pointer
// zero values dropped, metav1.Time/Quantity/IntOrString/RawExtension as their JSON forms), so a
// body decodes to what kubectl would have sent as JSON. kubectl 1.32+ sends typed requests
// (create namespace, create configmap, auth whoami, ...) this way.
import { readFileSync } from 'node:fs';
import { parseGoDurationNs } from '../../lib/duration.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/**
 * [number, name, type, flags]: flags 1 = repeated, 2 = not nullable (a Go value, not a pointer),
 * 4 = inline (an embedded struct whose fields JSON shows in the parent, e.g. Volume.volumeSource).
 */
type FieldDef = [number, string, string, number];

interface Schema {
  messages: Record<string, FieldDef[]>;
}

let schema: { messages: Map<string, Map<number, FieldDef>> } | undefined;

function messages(): Map<string, Map<number, FieldDef>> {
  if (!schema) {
    const raw = JSON.parse(readFileSync(new URL('./k8s-messages.json', import.meta.url), 'utf8')) as Schema;
    const m = new Map<string, Map<number, FieldDef>>();
    for (const [name, fields] of Object.entries(raw.messages)) m.set(name, new Map(fields.map((f) => [f[0], f])));
    schema = { messages: m };
  }
  return schema.messages;
}

export class ProtobufError extends Error {}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';
/** Named slices that go-to-protobuf wraps in a message of `items`; JSON arrays. */
const LIST_WRAPPERS = /\.(Verbs|ExtraValue)$/;

// --- wire reading -------------------------------------------------------------------------

class Reader {
  i = 0;
  constructor(readonly b: Buffer) {}
  get done(): boolean {
    return this.i >= this.b.length;
  }
  varint(): bigint {
    let r = 0n;
    let s = 0n;
    for (;;) {
      if (this.i >= this.b.length) throw new ProtobufError('unexpected EOF');
      const c = this.b[this.i++]!;
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (!(c & 0x80)) return r;
      if (s > 70n) throw new ProtobufError('proto: integer overflow');
    }
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.i + n > this.b.length) throw new ProtobufError('unexpected EOF');
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
  lengthDelimited(): Buffer {
    return this.bytes(Number(this.varint()));
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.bytes(8);
    else if (wire === 2) this.lengthDelimited();
    else if (wire === 5) this.bytes(4);
    else throw new ProtobufError(`proto: illegal wireType ${wire}`);
  }
}

function scalarFromVarint(type: string, v: bigint): number | boolean | string {
  switch (type) {
    case 'bool':
      return v !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, v));
    case 'int64':
      return Number(BigInt.asIntN(64, v));
    case 'uint32':
      return Number(BigInt.asUintN(32, v));
    case 'uint64':
      return Number(BigInt.asUintN(64, v));
    case 'sint32':
    case 'sint64': {
      const n = BigInt.asUintN(64, v);
      return Number((n >> 1n) ^ -(n & 1n));
    }
    default:
      throw new ProtobufError(`proto: wrong wireType for ${type}`);
  }
}

function scalarFromFixed(type: string, b: Buffer): number {
  switch (type) {
    case 'double':
      return b.readDoubleLE(0);
    case 'float':
      return b.readFloatLE(0);
    case 'fixed32':
      return b.readUInt32LE(0);
    case 'sfixed32':
      return b.readInt32LE(0);
    case 'fixed64':
      return Number(b.readBigUInt64LE(0));
    case 'sfixed64':
      return Number(b.readBigInt64LE(0));
    default:
      throw new ProtobufError(`proto: wrong wireType for ${type}`);
  }
}

const isScalar = (type: string): boolean =>
  ['double', 'float', 'int64', 'uint64', 'int32', 'fixed64', 'fixed32', 'bool', 'string', 'bytes', 'uint32', 'sfixed32', 'sfixed64', 'sint32', 'sint64'].includes(type);

/** One value of a (non-map) field from the wire. */
function readValue(r: Reader, wire: number, type: string): unknown {
  if (type === 'string') {
    if (wire !== 2) throw new ProtobufError('proto: wrong wireType for string');
    return r.lengthDelimited().toString('utf8');
  }
  if (type === 'bytes') {
    if (wire !== 2) throw new ProtobufError('proto: wrong wireType for bytes');
    return r.lengthDelimited().toString('base64');
  }
  if (isScalar(type)) {
    if (wire === 0) return scalarFromVarint(type, r.varint());
    if (wire === 1) return scalarFromFixed(type, r.bytes(8));
    if (wire === 5) return scalarFromFixed(type, r.bytes(4));
    throw new ProtobufError(`proto: wrong wireType for ${type}`);
  }
  if (wire !== 2) throw new ProtobufError(`proto: wrong wireType for ${type}`);
  return decodeMessage(r.lengthDelimited(), type);
}

/** Packed repeated scalars (proto3 style); gogo's proto2 writes them unpacked, both are read. */
function readPacked(b: Buffer, type: string): unknown[] {
  const r = new Reader(b);
  const out: unknown[] = [];
  const fixed = ['double', 'fixed64', 'sfixed64'].includes(type) ? 8 : ['float', 'fixed32', 'sfixed32'].includes(type) ? 4 : 0;
  while (!r.done) out.push(fixed ? scalarFromFixed(type, r.bytes(fixed)) : scalarFromVarint(type, r.varint()));
  return out;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function rfc3339(seconds: number, fraction?: { nanos: number; digits: number }): string {
  const d = new Date(seconds * 1000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  if (!fraction) return `${base}Z`;
  return `${base}.${pad(Math.floor(fraction.nanos / 10 ** (9 - fraction.digits)), fraction.digits)}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const neg = nanos < 0;
  let u = Math.abs(nanos);
  const sign = neg ? '-' : '';
  if (u < 1e9) {
    if (u < 1e3) return `${sign}${u}ns`;
    if (u < 1e6) return `${sign}${trimFraction(u / 1e3)}µs`;
    return `${sign}${trimFraction(u / 1e6)}ms`;
  }
  const h = Math.floor(u / 3600e9);
  u -= h * 3600e9;
  const m = Math.floor(u / 60e9);
  u -= m * 60e9;
  const s = trimFraction(u / 1e9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

function trimFraction(x: number): string {
  return String(Number(x.toFixed(9)));
}

function parseRawJson(b: Buffer): unknown {
  if (b.length === 0) return null;
  if (b.subarray(0, 4).equals(PROTOBUF_MAGIC)) return decodeProtobufObject(b).object;
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw new ProtobufError('invalid JSON in a raw extension');
  }
}

/** The fields of a message as plain numbers, for the well-known wrappers. */
function plainFields(b: Buffer, type: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const defs = messages().get(type);
  const r = new Reader(b);
  while (!r.done) {
    const key = Number(r.varint());
    const def = defs?.get(key >> 3);
    if (!def) {
      r.skip(key & 7);
      continue;
    }
    if (def[2] === 'bytes') out[def[1]] = r.lengthDelimited();
    else out[def[1]] = readValue(r, key & 7, def[2]);
  }
  return out;
}

/** A message of `type` as its JSON value. */
export function decodeMessage(b: Buffer, type: string): unknown {
  switch (type) {
    case TIME: {
      if (b.length === 0) return null;
      const f = plainFields(b, type);
      return rfc3339(Number(f.seconds ?? 0));
    }
    case MICRO_TIME: {
      if (b.length === 0) return null;
      const f = plainFields(b, type);
      return rfc3339(Number(f.seconds ?? 0), { nanos: Number(f.nanos ?? 0), digits: 6 });
    }
    case DURATION:
      return goDuration(Number(plainFields(b, type).duration ?? 0));
    case FIELDS_V1:
    case RAW_EXTENSION: {
      // RawExtension's field is `raw`, FieldsV1's `Raw`.
      const f = plainFields(b, type);
      const raw = (f.raw ?? f.Raw) as Buffer | undefined;
      return raw ? parseRawJson(raw) : type === FIELDS_V1 ? {} : null;
    }
    case QUANTITY:
      return String(plainFields(b, type).string ?? '0');
    case INT_OR_STRING: {
      const f = plainFields(b, type);
      return Number(f.type ?? 0) === 1 ? String(f.strVal ?? '') : Number(f.intVal ?? 0);
    }
  }
  const defs = messages().get(type);
  if (!defs) throw new ProtobufError(`no protobuf message ${type}`);
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const r = new Reader(b);
  while (!r.done) {
    const key = Number(r.varint());
    const wire = key & 7;
    const def = defs.get(key >> 3);
    if (!def) {
      // Unknown fields are skipped, as the generated Unmarshal does.
      r.skip(wire);
      continue;
    }
    const [, name, ftype, flags] = def;
    const map = /^map<([^,]+),(.+)>$/.exec(ftype);
    if (map) {
      if (wire !== 2) throw new ProtobufError(`proto: wrong wireType for ${name}`);
      const entry = new Reader(r.lengthDelimited());
      let k: unknown = '';
      let v: unknown;
      while (!entry.done) {
        const ek = Number(entry.varint());
        if (ek >> 3 === 1) k = readValue(entry, ek & 7, map[1]!);
        else if (ek >> 3 === 2) v = readValue(entry, ek & 7, map[2]!);
        else entry.skip(ek & 7);
      }
      if (v === undefined) v = map[2] === 'string' || map[2] === 'bytes' ? '' : isScalar(map[2]!) ? 0 : decodeMessage(Buffer.alloc(0), map[2]!);
      const m = (out[name] ??= {}) as Record<string, unknown>;
      // defineProperty: a key such as `__proto__` is data, not the object's prototype.
      Object.defineProperty(m, String(k), { value: v, enumerable: true, writable: true, configurable: true });
      continue;
    }
    if (flags & 1) {
      const list = (out[name] ??= []) as unknown[];
      if (wire === 2 && isScalar(ftype) && ftype !== 'string' && ftype !== 'bytes') list.push(...readPacked(r.lengthDelimited(), ftype));
      else list.push(readValue(r, wire, ftype));
      continue;
    }
    if (flags & 4) {
      // An inline struct: its fields are the parent's in JSON.
      if (wire !== 2) throw new ProtobufError(`proto: wrong wireType for ${name}`);
      Object.assign(out, decodeMessage(r.lengthDelimited(), ftype) as Record<string, unknown>);
      continue;
    }
    out[name] = readValue(r, wire, ftype);
    seen.add(name);
  }
  // A Go value (not a pointer) is always on the wire; JSON leaves its zero value out (omitempty).
  for (const [, name, ftype, flags] of defs.values()) {
    if (seen.has(name) && flags & 2 && isScalar(ftype) && isZero(out[name])) delete out[name];
  }
  if (LIST_WRAPPERS.test(type)) return out.items ?? [];
  return out;
}

// --- objects --------------------------------------------------------------------------------

/** The protobuf package of an API group version (`apps/v1` -> k8s.io.api.apps.v1). */
function packagesFor(apiVersion: string): string[] {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const out: string[] = [];
  if (group === '') out.push(`k8s.io.api.core.${version}`);
  else if (group === 'meta.k8s.io') out.push(`k8s.io.apimachinery.pkg.apis.meta.${version}`);
  else out.push(`k8s.io.api.${group.split('.')[0]}.${version}`);
  // Options kinds (DeleteOptions, ...) are registered in every group version.
  out.push(META);
  return out;
}

/** The message type of a kind, if it has one. */
export function messageTypeFor(apiVersion: string, kind: string): string | undefined {
  for (const pkg of packagesFor(apiVersion)) {
    const name = `${pkg}.${kind}`;
    if (messages().has(name)) return name;
  }
  return undefined;
}

export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

/** Whether a body starts with the Kubernetes protobuf magic. */
export function isProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(PROTOBUF_MAGIC);
}

/**
 * Decodes `k8s\0` + runtime.Unknown into the object's JSON form with apiVersion and kind set.
 * `fallback` names the kind when the envelope leaves it out (as upstream defaults it from the endpoint).
 */
export function decodeProtobufObject(body: Buffer, fallback?: { apiVersion: string; kind: string }): DecodedProtobuf {
  if (body.length === 0) throw new ProtobufError('empty data');
  if (!isProtobuf(body)) throw new ProtobufError(`provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]`);
  if (body.length === 4) throw new ProtobufError('empty body');
  const env = plainFields(body.subarray(4), UNKNOWN);
  const typeMeta = (env.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion || fallback?.apiVersion || '';
  const kind = typeMeta.kind || fallback?.kind || '';
  if (env.contentEncoding) throw new ProtobufError(`unsupported content encoding ${JSON.stringify(env.contentEncoding)}`);
  if (env.contentType && env.contentType !== PROTOBUF_MEDIA_TYPE) throw new ProtobufError(`unsupported content type ${JSON.stringify(env.contentType)}`);
  const type = messageTypeFor(apiVersion, kind);
  if (!type) throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  const raw = (env.raw as Buffer | undefined) ?? Buffer.alloc(0);
  const value = decodeMessage(raw, type) as Record<string, unknown>;
  return { apiVersion, kind, object: { apiVersion, kind, ...value } };
}

/** Upstream's summarizeData: what an undecodable body looked like, for error messages. */
export function summarizeData(data: Buffer, maxLength = 30): string {
  if (data.length === 0) return '<empty>';
  if (data[0] === 0x7b) return data.length > maxLength ? `${data.subarray(0, maxLength).toString('utf8')} ...` : data.toString('utf8');
  return data.length > maxLength ? `${data.subarray(0, maxLength).toString('hex')} ...` : data.toString('hex');
}

// --- encoding -------------------------------------------------------------------------------

class Writer {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }
  varint(v: bigint | number): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.push(Buffer.from(out));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  fixed(field: number, wire: 1 | 5, b: Buffer): void {
    this.tag(field, wire);
    this.push(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

export class ProtobufEncodeError extends Error {}

/** RFC 3339 (metav1.Time / MicroTime JSON) into seconds and nanoseconds. */
function parseTime(v: unknown): { seconds: number; nanos: number } | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(v);
  if (!m) throw new ProtobufEncodeError(`invalid time ${JSON.stringify(v)}`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) throw new ProtobufEncodeError(`invalid time ${JSON.stringify(v)}`);
  return { seconds: Math.floor(ms / 1000), nanos: m[2] ? Number(m[2].padEnd(9, '0')) : 0 };
}

/** Go's time.ParseDuration (nanoseconds) for what metav1.Duration serializes to. */
export function parseGoDuration(v: string): number {
  try {
    return Math.round(parseGoDurationNs(v));
  } catch {
    throw new ProtobufEncodeError(`invalid duration ${JSON.stringify(v)}`);
  }
}

function integer(v: unknown): bigint {
  const n = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new ProtobufEncodeError(`number expected, got ${JSON.stringify(v)}`);
  return BigInt(Math.trunc(n));
}

function float(v: unknown): number {
  if (typeof v !== 'number') throw new ProtobufEncodeError(`number expected, got ${JSON.stringify(v)}`);
  return v;
}

function scalarBytes(type: string, v: unknown): { wire: 0 | 1 | 2 | 5; varint?: bigint; bytes?: Buffer } {
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw new ProtobufEncodeError(`string expected, got ${JSON.stringify(v)}`);
      return { wire: 2, bytes: Buffer.from(v, 'utf8') };
    case 'bytes':
      if (typeof v !== 'string') throw new ProtobufEncodeError(`base64 string expected, got ${JSON.stringify(v)}`);
      return { wire: 2, bytes: Buffer.from(v, 'base64') };
    case 'bool':
      if (typeof v !== 'boolean') throw new ProtobufEncodeError(`bool expected, got ${JSON.stringify(v)}`);
      return { wire: 0, varint: v ? 1n : 0n };
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return { wire: 0, varint: integer(v) };
    case 'sint32':
    case 'sint64': {
      const n = integer(v);
      return { wire: 0, varint: n >= 0n ? n << 1n : ((-n) << 1n) - 1n };
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(float(v));
      return { wire: 1, bytes: b };
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(float(v));
      return { wire: 5, bytes: b };
    }
    case 'fixed64':
    case 'sfixed64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, integer(v)));
      return { wire: 1, bytes: b };
    }
    case 'fixed32':
    case 'sfixed32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(integer(v)) >>> 0);
      return { wire: 5, bytes: b };
    }
  }
  throw new ProtobufEncodeError(`unknown scalar type ${type}`);
}

function writeValue(w: Writer, field: number, type: string, v: unknown): void {
  if (isScalar(type)) {
    const s = scalarBytes(type, v);
    if (s.wire === 0) {
      w.tag(field, 0);
      w.varint(s.varint!);
    } else if (s.wire === 2) w.bytes(field, s.bytes!);
    else w.fixed(field, s.wire, s.bytes!);
    return;
  }
  w.bytes(field, encodeMessage(v, type));
}

/** A JSON value as the message `type` (the inverse of decodeMessage). */
export function encodeMessage(v: unknown, type: string): Buffer {
  const w = new Writer();
  switch (type) {
    case TIME:
    case MICRO_TIME: {
      const t = parseTime(v);
      if (t) {
        if (t.seconds !== 0) writeValue(w, 1, 'int64', t.seconds);
        if (type === MICRO_TIME && t.nanos !== 0) writeValue(w, 2, 'int32', t.nanos);
      }
      return w.finish();
    }
    case DURATION:
      writeValue(w, 1, 'int64', typeof v === 'string' ? parseGoDuration(v) : Number(v ?? 0));
      return w.finish();
    case FIELDS_V1:
    case RAW_EXTENSION:
      if (v !== undefined && v !== null) w.bytes(1, Buffer.from(JSON.stringify(v), 'utf8'));
      return w.finish();
    case QUANTITY:
      w.bytes(1, Buffer.from(String(v ?? '0'), 'utf8'));
      return w.finish();
    case INT_OR_STRING:
      if (typeof v === 'string') {
        writeValue(w, 1, 'int64', 1);
        writeValue(w, 3, 'string', v);
      } else {
        writeValue(w, 1, 'int64', 0);
        writeValue(w, 2, 'int32', Number(v ?? 0));
      }
      return w.finish();
  }
  const defs = messages().get(type);
  if (!defs) throw new ProtobufEncodeError(`no protobuf message ${type}`);
  if (LIST_WRAPPERS.test(type)) v = { items: v };
  if (v === null || v === undefined) return w.finish();
  if (typeof v !== 'object' || Array.isArray(v)) throw new ProtobufEncodeError(`${type}: object expected`);
  const obj = v as Record<string, unknown>;
  // Fields in number order, as the generated Marshal writes them.
  for (const [num, name, ftype, flags] of [...defs.values()].sort((a, b) => a[0] - b[0])) {
    if (flags & 4) {
      // An inline struct takes its fields from the parent's JSON.
      w.bytes(num, encodeMessage(obj, ftype));
      continue;
    }
    const value = obj[name];
    if (value === undefined) continue;
    const map = /^map<([^,]+),(.+)>$/.exec(ftype);
    if (value === null) {
      // A Go value that JSON shows as null (a zero metav1.Time) is still on the wire, empty.
      if (flags & 2 && !(flags & 1) && !map && !isScalar(ftype)) w.bytes(num, Buffer.alloc(0));
      continue;
    }
    if (map) {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ProtobufEncodeError(`${type}.${name}: map expected`);
      for (const k of Object.keys(value).sort()) {
        const entry = new Writer();
        writeValue(entry, 1, map[1]!, k);
        const ev = (value as Record<string, unknown>)[k];
        if (ev !== null && ev !== undefined) writeValue(entry, 2, map[2]!, ev);
        w.bytes(num, entry.finish());
      }
      continue;
    }
    if (flags & 1) {
      if (!Array.isArray(value)) throw new ProtobufEncodeError(`${type}.${name}: list expected`);
      for (const item of value) if (item !== null && item !== undefined) writeValue(w, num, ftype, item);
      else if (!isScalar(ftype)) w.bytes(num, Buffer.alloc(0));
      continue;
    }
    writeValue(w, num, ftype, value);
  }
  return w.finish();
}

/**
 * An object (with apiVersion and kind) as `k8s\0` + runtime.Unknown, or undefined when its kind
 * has no protobuf message (custom resources, Tables): the caller answers JSON then.
 */
export function encodeProtobufObject(obj: unknown): Buffer | undefined {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return undefined;
  const type = messageTypeFor(o.apiVersion, o.kind);
  if (!type) return undefined;
  let raw: Buffer;
  try {
    raw = encodeMessage(o, type);
  } catch (err) {
    if (err instanceof ProtobufEncodeError) return undefined;
    throw err;
  }
  const typeMeta = new Writer();
  writeValue(typeMeta, 1, 'string', o.apiVersion);
  writeValue(typeMeta, 2, 'string', o.kind);
  const env = new Writer();
  env.bytes(1, typeMeta.finish());
  env.bytes(2, raw);
  env.bytes(3, Buffer.alloc(0));
  env.bytes(4, Buffer.alloc(0));
  return Buffer.concat([PROTOBUF_MAGIC, env.finish()]);
}
