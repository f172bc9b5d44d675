// Generates api/protobuf/k8s-messages.json: the protobuf messages of the Kubernetes API types
// (field numbers, types, nullability), so that the API server can read request bodies sent as
// `application/vnd.kubernetes.protobuf` (kubectl 1.32+ sends typed requests that way).
//
// The source is the FileDescriptorProtos that every Kubernetes Go binary embeds (gzipped,
// registered by the generated.pb.go of k8s.io/api and k8s.io/apimachinery), so no .proto file is
// needed: `npx tsx scripts/gen-protobuf-schema.ts /usr/lib/google-cloud-sdk/bin/kubectl.1.33`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { hasModel, modelInfo, type ModelInfo } from '../api/openapi/models.ts';

type Wire = [field: number, wire: number, value: bigint | Buffer];

function* fields(b: Buffer): Generator<Wire> {
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      if (i >= b.length) throw new Error('truncated varint');
      const c = b[i++]!;
      r |= BigInt(c & 0x7f) << s;
      s += 7n;
      if (!(c & 0x80)) return r;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const f = key >> 3;
    const w = key & 7;
    if (w === 0) yield [f, w, varint()];
    else if (w === 2) {
      const l = Number(varint());
      if (i + l > b.length) throw new Error('truncated bytes');
      yield [f, w, b.subarray(i, i + l)];
      i += l;
    } else if (w === 1) {
      yield [f, w, b.subarray(i, i + 8)];
      i += 8;
    } else if (w === 5) {
      yield [f, w, b.subarray(i, i + 4)];
      i += 4;
    } else throw new Error(`wire type ${w}`);
  }
}

const SCALARS: Record<number, string> = {
  1: 'double',
  2: 'float',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  6: 'fixed64',
  7: 'fixed32',
  8: 'bool',
  9: 'string',
  12: 'bytes',
  13: 'uint32',
  15: 'sfixed32',
  16: 'sfixed64',
  17: 'sint32',
  18: 'sint64',
};

interface RawField {
  name: string;
  number: number;
  repeated: boolean;
  type: string;
  nonNullable: boolean;
}
interface RawMessage {
  fields: RawField[];
  mapEntry: boolean;
}

function parseMessage(b: Buffer, prefix: string, out: Map<string, RawMessage>): void {
  let name = '';
  const fieldsOut: RawField[] = [];
  let mapEntry = false;
  const nested: Buffer[] = [];
  for (const [f, , v] of fields(b)) {
    if (f === 1) name = (v as Buffer).toString();
    else if (f === 2) {
      const fd: RawField = { name: '', number: 0, repeated: false, type: '', nonNullable: false };
      let typeCode = 0;
      let typeName = '';
      for (const [f2, , v2] of fields(v as Buffer)) {
        if (f2 === 1) fd.name = (v2 as Buffer).toString();
        else if (f2 === 3) fd.number = Number(v2);
        else if (f2 === 4) fd.repeated = Number(v2) === 3;
        else if (f2 === 5) typeCode = Number(v2);
        else if (f2 === 6) typeName = (v2 as Buffer).toString().replace(/^\./, '');
        else if (f2 === 8) for (const [f3, , v3] of fields(v2 as Buffer)) if (f3 === 65001 && Number(v3) === 0) fd.nonNullable = true; // (gogoproto.nullable) = false
      }
      fd.type = typeCode === 11 || typeCode === 14 ? typeName : (SCALARS[typeCode] ?? `unknown${typeCode}`);
      fieldsOut.push(fd);
    } else if (f === 3) nested.push(v as Buffer);
    else if (f === 7) for (const [f3, , v3] of fields(v as Buffer)) if (f3 === 7 && Number(v3) === 1) mapEntry = true;
  }
  const full = `${prefix}.${name}`;
  out.set(full, { fields: fieldsOut, mapEntry });
  for (const n of nested) parseMessage(n, full, out);
}

/** Which descriptor files to keep: GA API groups and the apimachinery types they use. */
function wanted(file: string): boolean {
  if (/^k8s\.io\/apimachinery\/pkg\/(apis\/meta\/v1|runtime|api\/resource|util\/intstr)\/generated\.proto$/.test(file)) return true;
  return /^k8s\.io\/api\/[a-z]+\/v\d+\/generated\.proto$/.test(file);
}

/** The client-node model of a protobuf message (`k8s.io.api.core.v1.Volume` -> V1Volume or CoreV1...). */
function modelOf(message: string): ModelInfo | undefined {
  const parts = message.split('.');
  const kind = parts.pop()!;
  const version = parts.pop()!;
  const group = parts.pop()!;
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  for (const candidate of [`${cap(group)}${cap(version)}${kind}`, `${cap(version)}${kind}`]) {
    if (hasModel(candidate)) return modelInfo(candidate);
  }
  return undefined;
}

/**
 * Fields that JSON inlines: a message-typed field the parent's JSON schema does not have while
 * it has the embedded message's fields (Volume.volumeSource, ConfigMapKeySelector's
 * LocalObjectReference, Probe's handler, ...). The descriptors do not say it; the schema does.
 */
function inlineFields(messages: Map<string, RawMessage>): Set<string> {
  const out = new Set<string>();
  for (const [name, m] of messages) {
    if (m.mapEntry) continue;
    const model = modelOf(name);
    if (!model) continue;
    const jsonNames = new Set(model.fields.map((f) => f.name));
    for (const f of m.fields) {
      const embedded = messages.get(f.type);
      if (!embedded || f.repeated || jsonNames.has(f.name)) continue;
      if (embedded.fields.some((x) => jsonNames.has(x.name))) out.add(`${name}.${f.name}`);
    }
  }
  return out;
}

function main(): void {
  const binary = process.argv[2];
  if (!binary) {
    process.stderr.write('usage: gen-protobuf-schema.ts <kubernetes Go binary, e.g. kubectl>\n');
    process.exit(2);
  }
  const buf = readFileSync(binary);
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  const messages = new Map<string, RawMessage>();
  const files: string[] = [];
  for (let i = buf.indexOf(magic); i >= 0; i = buf.indexOf(magic, i + 1)) {
    let out: Buffer;
    try {
      out = inflateRawSync(buf.subarray(i + 10), { finishFlush: 2 });
    } catch {
      continue;
    }
    try {
      let file = '';
      let pkg = '';
      const msgs: Buffer[] = [];
      for (const [f, , v] of fields(out)) {
        if (f === 1) file = (v as Buffer).toString();
        else if (f === 2) pkg = (v as Buffer).toString();
        else if (f === 4) msgs.push(v as Buffer);
      }
      if (!file.endsWith('.proto') || !wanted(file) || files.includes(file)) continue;
      files.push(file);
      for (const m of msgs) parseMessage(m, pkg, messages);
    } catch {
      continue;
    }
  }
  const inline = inlineFields(messages);
  // Compact form: message -> [number, name, type, flags]; flags 1 repeated, 2 not nullable,
  // 4 inline (a Go struct embedded with `json:",inline"`: its fields sit in the parent's JSON).
  // map<K,V> fields become type `map<K,V>`.
  const result: Record<string, Array<[number, string, string, number]>> = {};
  for (const [name, m] of [...messages.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (m.mapEntry) continue;
    result[name] = m.fields.map((f) => {
      const entry = messages.get(f.type);
      if (entry?.mapEntry) {
        const k = entry.fields.find((x) => x.number === 1)!;
        const v = entry.fields.find((x) => x.number === 2)!;
        return [f.number, f.name, `map<${k.type},${v.type}>`, 0];
      }
      return [f.number, f.name, f.type, (f.repeated ? 1 : 0) | (f.nonNullable ? 2 : 0) | (inline.has(`${name}.${f.name}`) ? 4 : 0)];
    });
  }
  let version = '';
  try {
    version = (JSON.parse(execFileSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '';
  } catch {
    // not a kubectl, or not runnable here: the file name says enough
  }
  const target = fileURLToPath(new URL('../api/protobuf/k8s-messages.json', import.meta.url));
  const header = { source: `FileDescriptorProtos embedded in ${binary.split('/').pop()}${version ? ` ${version}` : ''}`, files: files.sort() };
  writeFileSync(target, `${JSON.stringify({ ...header, messages: result })}\n`);
  process.stdout.write(`${Object.keys(result).length} messages from ${files.length} files -> ${target}\n`);
  process.stdout.write(`inline fields: ${[...inline].sort().join(' ')}\n`);
}

main();
