import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { builtinRegistry } from '../api/resources/index.ts';
import { RegistryStore } from '../api/storage/registry-store.ts';
import { tempStore, type TempStore } from '../api/storage/testing/fixtures.ts';
import { createApp } from './app.ts';
import { openApiHandler } from './openapi.ts';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from '../api/openapi/protobuf-v2.ts';

/** A protobuf wire-format reader: field number -> raw values (bytes for length-delimited). */
function fields(buf: Buffer): Map<number, (Buffer | bigint)[]> {
  const out = new Map<number, (Buffer | bigint)[]>();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let v: Buffer | bigint;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const len = Number(varint());
      v = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      v = buf.subarray(i, i + 8);
      i += 8;
    } else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

describe('OpenAPI endpoints', () => {
  let ts: TempStore;
  let storage: RegistryStore;
  let app: Express;

  before(async () => {
    ts = await tempStore();
    const registry = builtinRegistry();
    storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    app = createApp({ registry, storage, openapi: openApiHandler(registry) });
  });
  after(async () => {
    await storage.close();
    await ts.dispose();
  });

  it('serves the v3 index and hash-addressed group-version documents', async () => {
    const index = await request(app).get('/openapi/v3');
    assert.equal(index.status, 200);
    const url: string = index.body.paths['api/v1'].serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await request(app).get(url);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    assert.equal(doc.body.openapi, '3.0.0');
    assert.ok(doc.body.components.schemas['io.k8s.api.core.v1.ConfigMap']);
    const stale = await request(app).get('/openapi/v3/api/v1?hash=00');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.location, url);
    assert.equal((await request(app).get('/openapi/v3/apis/nope/v1')).status, 404);
  });

  it('serves v2 as JSON and as gnostic protobuf', async () => {
    const json = await request(app).get('/openapi/v2').set('Accept', 'application/json');
    assert.equal(json.status, 200);
    assert.equal(json.body.swagger, '2.0');
    const pb = await request(app)
      .get('/openapi/v2')
      .set('Accept', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    assert.equal(pb.status, 200);
    assert.equal(pb.headers['content-type'], OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
    const doc = fields(pb.body as Buffer);
    assert.equal((doc.get(1)![0] as Buffer).toString(), '2.0');
    const definitions = fields(doc.get(9)![0] as Buffer).get(1)!.map((d) => fields(d as Buffer));
    const cm = definitions.find((d) => (d.get(1)![0] as Buffer).toString() === 'io.k8s.api.core.v1.ConfigMap')!;
    const schema = fields(cm.get(2)![0] as Buffer);
    const ext = schema.get(31)!.map((e) => fields(e as Buffer));
    const gvk = ext.find((e) => (e.get(1)![0] as Buffer).toString() === 'x-kubernetes-group-version-kind')!;
    const yaml = (fields(gvk.get(2)![0] as Buffer).get(2)![0] as Buffer).toString();
    assert.deepEqual(JSON.parse(yaml), [{ group: '', kind: 'ConfigMap', version: 'v1' }]);
    assert.equal((await request(app).get('/openapi/v3').set('Accept', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).status, 406);
  });
});
