// The swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf
// (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), the only form
// kubectl 1.27 and 1.28 accept for /openapi/v2 (used by `explain` and by `apply`
// to compute strategic merge patches and validate). Covers what buildOpenApiV2 emits:
// schemas ($ref, type, format, description, required, properties, items,
// additionalProperties, allOf, vendor extensions as YAML), paths with operations, body /
// query / path parameters and responses, and the security definitions.

/** What clients send in Accept to get the protobuf form. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type of the protobuf response: Go's mime parser (client-go) rejects the `@` above. */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/octet-stream';

type J = Record<string, unknown>;

/** A protobuf message being written: fields appended in order. */
class Msg {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  string(field: number, s: unknown): this {
    if (typeof s !== 'string' || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  strings(field: number, list: unknown): this {
    if (Array.isArray(list)) for (const s of list) if (typeof s === 'string') this.forceString(field, s);
    return this;
  }

  /** Repeated strings keep empty values. */
  private forceString(field: number, s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }

  bool(field: number, v: unknown): this {
    if (v !== true) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  message(field: number, m: Msg | undefined): this {
    if (!m) return this;
    const b = m.bytes();
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  messages(field: number, ms: (Msg | undefined)[]): this {
    for (const m of ms) this.message(field, m);
    return this;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

/** NamedAny{name, value: Any{yaml}}; JSON is valid YAML. */
function vendorExtensions(o: J): Msg[] {
  return Object.keys(o)
    .filter((k) => k.startsWith('x-'))
    .map((k) => new Msg().string(1, k).message(2, new Msg().string(2, JSON.stringify(o[k]) + '\n')));
}

function schema(s: unknown): Msg | undefined {
  if (!isObj(s)) return undefined;
  const m = new Msg();
  m.string(1, s.$ref);
  m.string(2, s.format);
  m.string(3, s.title);
  m.string(4, s.description);
  m.strings(19, s.required);
  if (isObj(s.additionalProperties)) m.message(21, new Msg().message(1, schema(s.additionalProperties)));
  else if (s.additionalProperties === true) m.message(21, new Msg().bool(2, true));
  if (typeof s.type === 'string') m.message(22, new Msg().strings(1, [s.type]));
  else if (Array.isArray(s.type)) m.message(22, new Msg().strings(1, s.type));
  if (isObj(s.items)) m.message(23, new Msg().message(1, schema(s.items)));
  else if (Array.isArray(s.items)) m.message(23, new Msg().messages(1, s.items.map(schema)));
  if (Array.isArray(s.allOf)) m.messages(24, s.allOf.map(schema));
  if (isObj(s.properties)) {
    const props = s.properties;
    m.message(25, new Msg().messages(1, Object.keys(props).map((k) => new Msg().string(1, k).message(2, schema(props[k])))));
  }
  m.messages(31, vendorExtensions(s));
  return m;
}

function parameter(p: unknown): Msg | undefined {
  if (!isObj(p)) return undefined;
  let param: Msg;
  if (p.in === 'body') {
    param = new Msg().message(1, new Msg().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required).message(5, schema(p.schema)).messages(6, vendorExtensions(p)));
  } else if (p.in === 'path') {
    const sub = new Msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(5, p.type).string(6, p.format).bool(19, p.uniqueItems).messages(22, vendorExtensions(p));
    param = new Msg().message(2, new Msg().message(4, sub));
  } else if (p.in === 'header') {
    const sub = new Msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(5, p.type).string(6, p.format).bool(19, p.uniqueItems).messages(22, vendorExtensions(p));
    param = new Msg().message(2, new Msg().message(1, sub));
  } else {
    const sub = new Msg().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(6, p.type).string(7, p.format).bool(20, p.uniqueItems).messages(23, vendorExtensions(p));
    param = new Msg().message(2, new Msg().message(3, sub));
  }
  // ParametersItem{parameter}
  return new Msg().message(1, param);
}

function responses(r: unknown): Msg | undefined {
  if (!isObj(r)) return undefined;
  const named = Object.keys(r).map((code) => {
    const resp = r[code] as J;
    const body = new Msg().string(1, resp.description);
    if (isObj(resp.schema)) body.message(2, new Msg().message(1, schema(resp.schema)));
    body.messages(5, vendorExtensions(resp));
    return new Msg().string(1, code).message(2, new Msg().message(1, body));
  });
  return new Msg().messages(1, named);
}

function operation(o: unknown): Msg | undefined {
  if (!isObj(o)) return undefined;
  return new Msg()
    .strings(1, o.tags)
    .string(2, o.summary)
    .string(3, o.description)
    .string(5, o.operationId)
    .strings(6, o.produces)
    .strings(7, o.consumes)
    .messages(8, Array.isArray(o.parameters) ? o.parameters.map(parameter) : [])
    .message(9, responses(o.responses))
    .strings(10, o.schemes)
    .bool(11, o.deprecated)
    .messages(13, vendorExtensions(o));
}

const methodFields: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['options', 6],
  ['head', 7],
  ['patch', 8],
];

function pathItem(p: J): Msg {
  const m = new Msg();
  for (const [method, field] of methodFields) m.message(field, operation(p[method]));
  if (Array.isArray(p.parameters)) m.messages(9, p.parameters.map(parameter));
  m.messages(10, vendorExtensions(p));
  return m;
}

function securityDefinitions(s: unknown): Msg | undefined {
  if (!isObj(s)) return undefined;
  return new Msg().messages(
    1,
    Object.keys(s).map((name) => {
      const d = s[name] as J;
      const item = d.type === 'basic' ? new Msg().message(1, new Msg().string(1, d.type).string(2, d.description)) : new Msg().message(2, new Msg().string(1, d.type).string(2, d.name).string(3, d.in).string(4, d.description));
      return new Msg().string(1, name).message(2, item);
    }),
  );
}

function securityRequirement(r: unknown): Msg | undefined {
  if (!isObj(r)) return undefined;
  return new Msg().messages(
    1,
    Object.keys(r).map((k) => new Msg().string(1, k).message(2, new Msg().strings(1, r[k]))),
  );
}

/** Encodes a swagger 2.0 document (as buildOpenApiV2 returns it) into gnostic protobuf. */
export function encodeOpenApiV2Protobuf(doc: J): Uint8Array {
  const info = isObj(doc.info) ? new Msg().string(1, doc.info.title).string(2, doc.info.version).string(3, doc.info.description) : undefined;
  const paths = isObj(doc.paths) ? doc.paths : {};
  const defs = isObj(doc.definitions) ? doc.definitions : {};
  return new Msg()
    .string(1, doc.swagger)
    .message(2, info)
    .string(3, doc.host)
    .string(4, doc.basePath)
    .strings(5, doc.schemes)
    .strings(6, doc.consumes)
    .strings(7, doc.produces)
    .message(8, new Msg().messages(2, Object.keys(paths).map((p) => new Msg().string(1, p).message(2, pathItem(paths[p] as J)))))
    .message(9, new Msg().messages(1, Object.keys(defs).map((d) => new Msg().string(1, d).message(2, schema(defs[d])))))
    .messages(12, Array.isArray(doc.security) ? doc.security.map(securityRequirement) : [])
    .message(13, securityDefinitions(doc.securityDefinitions))
    .messages(16, vendorExtensions(doc))
    .bytes();
}
