import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenApiV2 } from './document.ts';
import { encodeOpenApiV2Protobuf } from './protobuf-v2.ts';
import { testRegistry } from './testing-registry.ts';

/** A minimal protobuf reader: field number -> list of raw values (varint number or bytes). */
function decode(buf: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  let i = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let v: number | Uint8Array;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const len = varint();
      v = buf.subarray(i, i + len);
      i += len;
    } else throw new Error(`unexpected wire type ${wire}`);
    const l = out.get(field) ?? [];
    l.push(v);
    out.set(field, l);
  }
  return out;
}

const str = (v: number | Uint8Array | undefined) => Buffer.from(v as Uint8Array).toString('utf8');
const msg = (v: number | Uint8Array | undefined) => decode(v as Uint8Array);

test('the swagger document encodes as gnostic openapi.v2.Document', () => {
  const doc = buildOpenApiV2(testRegistry());
  const pb = decode(encodeOpenApiV2Protobuf(doc));
  assert.equal(str(pb.get(1)![0]), '2.0', 'swagger = 1');

  // definitions = 9: NamedSchema{name=1, value=2}
  const defs = msg(pb.get(9)![0]).get(1)!.map(msg);
  const byName = new Map(defs.map((d) => [str(d.get(1)![0]), msg(d.get(2)![0])]));
  assert.equal(byName.size, Object.keys(doc.definitions as object).length);
  const dep = byName.get('io.k8s.api.apps.v1.Deployment')!;
  assert.match(str(dep.get(4)![0]), /^Deployment enables declarative updates/, 'description = 4');
  assert.equal(str(msg(dep.get(22)![0]).get(1)![0]), 'object', 'type = 22');
  const ext = msg(dep.get(31)![0]);
  assert.equal(str(ext.get(1)![0]), 'x-kubernetes-group-version-kind');
  assert.deepEqual(JSON.parse(str(msg(ext.get(2)![0]).get(2)![0])), [{ group: 'apps', kind: 'Deployment', version: 'v1' }], 'vendor extension as YAML');
  // properties = 25 -> metadata $ref = 1
  const props = msg(dep.get(25)![0]).get(1)!.map(msg);
  const metadata = props.find((p) => str(p.get(1)![0]) === 'metadata')!;
  assert.equal(str(msg(metadata.get(2)![0]).get(1)![0]), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  // PodSpec.containers carries its merge key
  const podSpec = byName.get('io.k8s.api.core.v1.PodSpec')!;
  const containers = msg(msg(podSpec.get(25)![0]).get(1)!.map(msg).find((p) => str(p.get(1)![0]) === 'containers')!.get(2)![0]);
  const exts = new Map(containers.get(31)!.map(msg).map((e) => [str(e.get(1)![0]), str(msg(e.get(2)![0]).get(2)![0]).trim()]));
  assert.equal(exts.get('x-kubernetes-patch-merge-key'), '"name"');
  assert.equal(exts.get('x-kubernetes-patch-strategy'), '"merge"');

  // paths = 8: NamedPathItem{name, PathItem{patch = 8 -> Operation{operation_id = 5, parameters = 8}}}
  const paths = msg(pb.get(8)![0]).get(2)!.map(msg);
  const item = paths.find((p) => str(p.get(1)![0]) === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')!;
  const patch = msg(msg(item.get(2)![0]).get(8)![0]);
  assert.equal(str(patch.get(5)![0]), 'patchAppsV1NamespacedDeployment');
  const queryNames = patch
    .get(8)!
    .map((p) => msg(msg(p).get(1)![0]))
    .filter((param) => param.has(2))
    .map((param) => msg(msg(param.get(2)![0]).get(3)![0]))
    .map((q) => str(q.get(4)![0]));
  assert.ok(queryNames.includes('fieldValidation'), `query params: ${queryNames}`);
});
