import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { parse as parseYaml } from 'yaml';
import { RegistryStore } from '../api/storage/registry-store.ts';
import { tempStore, testRegistry, type TempStore } from '../api/storage/testing/fixtures.ts';
import { createApp } from './app.ts';
import { applyPatch } from './extensions.ts';
import { ensureDefaultNamespaces } from './server.ts';
import { decodeProtobufObject } from '../api/protobuf/codec.ts';

const JSON_CT = 'application/json';

/** Keeps a body as bytes (protobuf answers). */
function binary(res: request.Response, cb: (err: Error | null, body: unknown) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** Keeps a streamed (newline-delimited) body as text. */
function text(res: request.Response, cb: (err: Error | null, body: unknown) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  let data = '';
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => (data += c));
  stream.on('end', () => cb(null, data));
}

describe('API server (HTTP)', () => {
  let ts: TempStore;
  let storage: RegistryStore;
  let app: Express;

  before(async () => {
    ts = await tempStore();
    const registry = testRegistry();
    storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    await ensureDefaultNamespaces(storage, registry);
    app = createApp({ registry, storage, serverAddress: '127.0.0.1:6443', extensions: { applyPatch } });
  });
  after(async () => {
    await storage.close();
    await ts.dispose();
  });

  describe('health and version', () => {
    it('answers /healthz, /livez, /readyz', async () => {
      for (const p of ['/healthz', '/livez', '/readyz']) {
        const res = await request(app).get(p);
        assert.equal(res.status, 200);
        assert.equal(res.text, 'ok');
      }
      const verbose = await request(app).get('/readyz?verbose');
      assert.match(verbose.text, /\[\+\]ping ok/);
      assert.match(verbose.text, /readyz check passed/);
    });

    it('answers /version with a Kubernetes version', async () => {
      const res = await request(app).get('/version');
      assert.equal(res.status, 200);
      assert.match(res.body.gitVersion, /^v1\.\d+\.\d+-k8ts$/);
      assert.equal(res.body.major, '1');
      assert.equal(res.body.gitVersion.split('.')[1], res.body.minor);
    });
  });

  describe('discovery', () => {
    it('serves legacy /api and /api/v1', async () => {
      const api = await request(app).get('/api');
      assert.deepEqual(api.body, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
      const v1 = await request(app).get('/api/v1');
      assert.equal(v1.body.kind, 'APIResourceList');
      assert.equal(v1.body.groupVersion, 'v1');
      assert.equal(v1.body.apiVersion, undefined);
      const cmRes = v1.body.resources.find((r: { name: string }) => r.name === 'configmaps');
      assert.deepEqual(cmRes, {
        name: 'configmaps',
        singularName: 'configmap',
        namespaced: true,
        kind: 'ConfigMap',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['cm'],
        storageVersionHash: 'qFsyl6wFWjQ=',
      });
      const podStatus = v1.body.resources.find((r: { name: string }) => r.name === 'pods/status');
      assert.deepEqual(podStatus, { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    });

    it('serves legacy /apis, /apis/<group> and /apis/<group>/<version> with subresources', async () => {
      const apis = await request(app).get('/apis');
      assert.equal(apis.body.kind, 'APIGroupList');
      const apps = apis.body.groups.find((g: { name: string }) => g.name === 'apps');
      assert.deepEqual(apps, { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
      const widgets = apis.body.groups.find((g: { name: string }) => g.name === 'example.k8ts.io');
      assert.equal(widgets.preferredVersion.version, 'v2');
      const group = await request(app).get('/apis/apps');
      assert.equal(group.body.kind, 'APIGroup');
      const appsV1 = await request(app).get('/apis/apps/v1');
      assert.equal(appsV1.body.apiVersion, 'v1');
      const scale = appsV1.body.resources.find((r: { name: string }) => r.name === 'deployments/scale');
      assert.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      const dep = appsV1.body.resources.find((r: { name: string }) => r.name === 'deployments');
      assert.deepEqual(dep.categories, ['all']);
      assert.equal(dep.storageVersionHash, '8aSe+NMegvE=');
      assert.equal((await request(app).get('/apis/nope')).status, 404);
      assert.equal((await request(app).get('/apis/apps/v7')).status, 404);
    });

    for (const v of ['v2', 'v2beta1']) {
      it(`serves aggregated discovery ${v} with the matching Content-Type`, async () => {
        const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json`;
        const core = await request(app).get('/api').set('Accept', accept);
        assert.equal(core.headers['content-type'], `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
        const body = JSON.parse(core.text);
        assert.equal(body.kind, 'APIGroupDiscoveryList');
        assert.equal(body.apiVersion, `apidiscovery.k8s.io/${v}`);
        const cmRes = body.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'configmaps');
        assert.deepEqual(cmRes, {
          resource: 'configmaps',
          responseKind: { group: '', version: '', kind: 'ConfigMap' },
          scope: 'Namespaced',
          singularResource: 'configmap',
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          shortNames: ['cm'],
        });
        const named = JSON.parse((await request(app).get('/apis').set('Accept', accept)).text);
        const apps = named.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
        const dep = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
        assert.deepEqual(dep.subresources, [
          { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
          { subresource: 'status', responseKind: { group: '', version: '', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
        ]);
        assert.equal(apps.versions[0].freshness, 'Current');
      });
    }

    it('answers plain JSON when the client prefers it', async () => {
      const res = await request(app).get('/api').set('Accept', 'application/json');
      assert.equal(res.body.kind, 'APIVersions');
    });
  });

  describe('CRUD', () => {
    it('creates, gets, lists, updates and deletes configmaps', async () => {
      const created = await request(app)
        .post('/api/v1/namespaces/default/configmaps')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud' }, data: { a: 'b' } }));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers['content-type'], 'application/json');
      assert.equal(created.body.kind, 'ConfigMap');
      const got = await request(app).get('/api/v1/namespaces/default/configmaps/crud');
      assert.equal(got.status, 200);
      assert.deepEqual(got.body.data, { a: 'b' });
      const list = await request(app).get('/api/v1/namespaces/default/configmaps');
      assert.equal(list.body.kind, 'ConfigMapList');
      assert.ok(list.body.items.some((i: { metadata: { name: string } }) => i.metadata.name === 'crud'));
      const upd = await request(app)
        .put('/api/v1/namespaces/default/configmaps/crud')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ ...got.body, data: { a: 'c' } }));
      assert.equal(upd.status, 200, upd.text);
      const stale = await request(app)
        .put('/api/v1/namespaces/default/configmaps/crud')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ ...got.body, data: { a: 'd' } }));
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      assert.equal(stale.body.message, 'Operation cannot be fulfilled on configmaps "crud": the object has been modified; please apply your changes to the latest version and try again');
      const del = await request(app).delete('/api/v1/namespaces/default/configmaps/crud');
      assert.equal(del.status, 200);
      assert.equal(del.body.status, 'Success');
      const gone = await request(app).get('/api/v1/namespaces/default/configmaps/crud');
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "crud" not found',
        reason: 'NotFound',
        details: { name: 'crud', kind: 'configmaps' },
        code: 404,
      });
    });

    it('accepts YAML bodies and answers YAML when asked', async () => {
      const res = await request(app)
        .post('/api/v1/namespaces/default/configmaps')
        .set('Content-Type', 'application/yaml')
        .set('Accept', 'application/yaml')
        .send('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yml\ndata:\n  k: v\n');
      assert.equal(res.status, 201, res.text);
      assert.match(res.headers['content-type'], /^application\/yaml/);
      const obj = parseYaml(res.text);
      assert.equal(obj.metadata.name, 'yml');
      assert.deepEqual(obj.data, { k: 'v' });
    });

    it('accepts Kubernetes protobuf bodies (as kubectl 1.32+ sends) and answers protobuf when asked first', async () => {
      // `kubectl create configmap pb --from-literal=k=v -n default` from kubectl 1.33.
      const body = Buffer.from('azhzAAoPCgJ2MRIJQ29uZmlnTWFwEiMKGQoCcGISABoHZGVmYXVsdCIAKgAyADgAQgASBgoBaxIBdhoAIgA=', 'base64');
      const res = await request(app)
        .post('/api/v1/namespaces/default/configmaps')
        .set('Content-Type', 'application/vnd.kubernetes.protobuf')
        .set('Accept', 'application/vnd.kubernetes.protobuf,application/json')
        .buffer(true)
        .parse(binary)
        .send(body);
      assert.equal(res.status, 201);
      assert.equal(res.headers['content-type'], 'application/vnd.kubernetes.protobuf');
      const created = decodeProtobufObject(res.body as Buffer).object as { kind: string; metadata: { name: string; namespace: string; uid: string }; data: unknown };
      assert.equal(created.kind, 'ConfigMap');
      assert.equal(created.metadata.name, 'pb');
      assert.equal(created.metadata.namespace, 'default');
      assert.deepEqual(created.data, { k: 'v' });
      // JSON first (or only) is answered JSON; watches and tables are JSON whatever the order.
      const json = await request(app).get('/api/v1/namespaces/default/configmaps/pb').set('Accept', 'application/json,application/vnd.kubernetes.protobuf');
      assert.match(json.headers['content-type'], /^application\/json/);
      assert.equal(json.body.metadata.uid, created.metadata.uid);
      const list = await request(app).get('/api/v1/namespaces/default/configmaps').set('Accept', 'application/vnd.kubernetes.protobuf, application/json').buffer(true).parse(binary);
      assert.equal(list.headers['content-type'], 'application/vnd.kubernetes.protobuf');
      assert.equal((decodeProtobufObject(list.body as Buffer).object as { kind: string }).kind, 'ConfigMapList');
      const table = await request(app).get('/api/v1/namespaces/default/configmaps').set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/vnd.kubernetes.protobuf');
      assert.equal(table.body.kind, 'Table');
    });

    it('defaults apiVersion/kind from the endpoint and refuses mismatches', async () => {
      const ok = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"nokind"}}');
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.body.kind, 'ConfigMap');
      const wrongVersion = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}');
      assert.equal(wrongVersion.status, 400);
      assert.equal(wrongVersion.body.message, 'the API version in the data (apps/v1) does not match the expected API version (v1)');
      const wrongKind = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}');
      assert.equal(wrongKind.status, 400);
      assert.equal(wrongKind.body.reason, 'BadRequest');
    });

    it('answers 400 for malformed bodies, 413 for huge ones, 415 for unknown media types', async () => {
      const bad = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"metadata": {');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.kind, 'Status');
      const badYaml = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', 'application/yaml').send('a: [\n');
      assert.equal(badYaml.status, 400);
      const notObject = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('[1,2]');
      assert.equal(notObject.status, 400);
      const big = await request(app)
        .post('/api/v1/namespaces/default/configmaps')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ metadata: { name: 'big' }, data: { x: 'y'.repeat(3 * 1024 * 1024) } }));
      assert.equal(big.status, 413);
      assert.equal(big.body.reason, 'RequestEntityTooLarge');
      const cbor = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', 'application/cbor').send('xx');
      assert.equal(cbor.status, 415);
      assert.equal(cbor.body.reason, 'UnsupportedMediaType');
      const proto = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', 'application/vnd.kubernetes.protobuf').send('xx');
      assert.equal(proto.status, 400);
      assert.equal(
        proto.body.message,
        'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (7878)',
      );
    });

    it('answers 400 for values of the wrong JSON shape', async () => {
      const res = await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"shape"},"data":"oops"}');
      assert.equal(res.status, 400);
      assert.equal(res.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string');
      const nested = await request(app)
        .post('/apis/apps/v1/namespaces/default/deployments')
        .set('Content-Type', JSON_CT)
        .send('{"metadata":{"name":"shape"},"spec":{"template":{"spec":{"containers":{"name":"x"}}}}}');
      assert.equal(nested.status, 400);
      assert.match(nested.body.message, /cannot unmarshal object into Go struct field Deployment.spec.template.spec.containers of type \[\]v1.Container$/);
      const patched = await request(app).patch('/api/v1/namespaces/default/configmaps/nokind').set('Content-Type', 'application/merge-patch+json').send('{"data":[1]}');
      assert.equal(patched.status, 400);
    });

    it('answers 404 Status for unknown resources and 405 for unsupported verbs', async () => {
      const unknown = await request(app).get('/api/v1/namespaces/default/frobs');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.message, 'the server could not find the requested resource');
      assert.equal((await request(app).get('/api/v1/configmaps/x')).status, 404);
      const noDeleteCollection = await request(app).delete('/api/v1/namespaces');
      assert.equal(noDeleteCollection.status, 405);
      assert.equal(noDeleteCollection.body.reason, 'MethodNotAllowed');
      assert.equal((await request(app).post('/api/v1/configmaps').set('Content-Type', JSON_CT).send('{}')).status, 405);
      assert.equal((await request(app).get('/nope')).status, 404);
      assert.equal((await request(app).get('/api/v1/namespaces/default/configmaps/%E0%A4%A')).status, 400);
    });

    it('validates dryRun and fieldValidation values', async () => {
      const res = await request(app).post('/api/v1/namespaces/default/configmaps?dryRun=Some').set('Content-Type', JSON_CT).send('{"metadata":{"name":"d"}}');
      assert.equal(res.status, 422);
      assert.match(res.body.message, /^CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value/);
      const dry = await request(app).post('/api/v1/namespaces/default/configmaps?dryRun=All').set('Content-Type', JSON_CT).send('{"metadata":{"name":"dry"}}');
      assert.equal(dry.status, 201);
      assert.equal((await request(app).get('/api/v1/namespaces/default/configmaps/dry')).status, 404);
    });
  });

  describe('fieldValidation', () => {
    const body = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fv","name":"fv","unknownMeta":1},"spec":{"foo":1,"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"i","bar":true}]}}}}';

    it('Strict fails with every problem in document order', async () => {
      const res = await request(app).post('/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict').set('Content-Type', JSON_CT).send(body);
      assert.equal(res.status, 400);
      assert.equal(
        res.body.message,
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: duplicate field "metadata.name", unknown field "metadata.unknownMeta", unknown field "spec.foo", duplicate field "spec.replicas", unknown field "spec.template.spec.containers[0].bar"',
      );
    });

    it('Warn (and the default) answers Warning headers and creates the object', async () => {
      for (const q of ['?fieldValidation=Warn', '']) {
        const name = q ? 'fv-warn' : 'fv-default';
        const res = await request(app).post(`/apis/apps/v1/namespaces/default/deployments${q}`).set('Content-Type', JSON_CT).send(body.replace(/"fv"/g, `"${name}"`));
        assert.equal(res.status, 201, res.text);
        const warnings = String(res.headers.warning).split(/,\s*(?=299)/);
        assert.deepEqual(warnings, [
          '299 - "duplicate field \\"metadata.name\\""',
          '299 - "unknown field \\"metadata.unknownMeta\\""',
          '299 - "unknown field \\"spec.foo\\""',
          '299 - "duplicate field \\"spec.replicas\\""',
          '299 - "unknown field \\"spec.template.spec.containers[0].bar\\""',
        ]);
        assert.equal(res.body.spec.replicas, 2, 'the last duplicate wins');
        assert.equal(res.body.spec.foo, undefined, 'unknown fields are dropped');
      }
    });

    it('Ignore is silent', async () => {
      const res = await request(app).post('/apis/apps/v1/namespaces/default/deployments?fieldValidation=Ignore').set('Content-Type', JSON_CT).send(body.replace(/"fv"/g, '"fv-ignore"'));
      assert.equal(res.status, 201);
      assert.equal(res.headers.warning, undefined);
    });

    it('reports YAML duplicate keys with their lines', async () => {
      const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y1\n  name: y1\ndata:\n  a: b\nfoo: 1\n';
      const res = await request(app).post('/api/v1/namespaces/default/configmaps?fieldValidation=Strict').set('Content-Type', 'application/yaml').send(yaml);
      assert.equal(res.status, 400);
      assert.equal(res.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 5: key "name" already set in map, unknown field "foo"');
      const warn = await request(app).post('/api/v1/namespaces/default/configmaps?fieldValidation=Warn').set('Content-Type', 'application/yaml').send(yaml);
      assert.equal(warn.status, 201);
      assert.equal(warn.headers.warning, '299 - "line 5: key \\"name\\" already set in map", 299 - "unknown field \\"foo\\""');
    });
  });

  describe('patch', () => {
    before(async () => {
      await request(app).post('/api/v1/namespaces/default/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"p","labels":{"a":"1"}},"data":{"x":"1"}}');
    });

    it('applies merge, JSON and strategic merge patches', async () => {
      const merge = await request(app).patch('/api/v1/namespaces/default/configmaps/p').set('Content-Type', 'application/merge-patch+json').send('{"metadata":{"labels":{"b":"2"}},"data":{"x":null,"y":"2"}}');
      assert.equal(merge.status, 200, merge.text);
      assert.deepEqual(merge.body.metadata.labels, { a: '1', b: '2' });
      assert.deepEqual(merge.body.data, { y: '2' });
      const json = await request(app).patch('/api/v1/namespaces/default/configmaps/p').set('Content-Type', 'application/json-patch+json').send('[{"op":"add","path":"/data/z","value":"3"}]');
      assert.equal(json.status, 200, json.text);
      assert.deepEqual(json.body.data, { y: '2', z: '3' });
      const smp = await request(app).patch('/api/v1/namespaces/default/configmaps/p').set('Content-Type', 'application/strategic-merge-patch+json').send('{"data":{"w":"4"}}');
      assert.equal(smp.status, 200, smp.text);
      assert.deepEqual(smp.body.data, { y: '2', z: '3', w: '4' });
    });

    it('honours a resourceVersion in the patch', async () => {
      const res = await request(app).patch('/api/v1/namespaces/default/configmaps/p').set('Content-Type', 'application/merge-patch+json').send('{"metadata":{"resourceVersion":"1"},"data":{"q":"1"}}');
      assert.equal(res.status, 409);
    });

    it('answers 404 for a missing object and 415 for unknown patch types', async () => {
      assert.equal((await request(app).patch('/api/v1/namespaces/default/configmaps/missing').set('Content-Type', 'application/merge-patch+json').send('{}')).status, 404);
      assert.equal((await request(app).patch('/api/v1/namespaces/default/configmaps/p').set('Content-Type', 'text/plain').send('{}')).status, 415);
    });

    it('reports unknown fields the patch introduces', async () => {
      const res = await request(app).patch('/api/v1/namespaces/default/configmaps/p?fieldValidation=Strict').set('Content-Type', 'application/merge-patch+json').send('{"bogus":1}');
      assert.equal(res.status, 400);
      assert.equal(res.body.message, 'strict decoding error: unknown field "bogus"');
    });
  });

  describe('selectors, pagination and deletion options', () => {
    before(async () => {
      await request(app).post('/api/v1/namespaces').set('Content-Type', JSON_CT).send('{"metadata":{"name":"sel"}}');
      for (let i = 0; i < 5; i++) {
        await request(app)
          .post('/api/v1/namespaces/sel/configmaps')
          .set('Content-Type', JSON_CT)
          .send(JSON.stringify({ metadata: { name: `s${i}`, labels: { tier: i < 2 ? 'front' : 'back' } } }));
      }
    });

    it('filters by label and field selectors', async () => {
      const front = await request(app).get('/api/v1/namespaces/sel/configmaps?labelSelector=tier%3Dfront');
      assert.deepEqual(front.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['s0', 's1']);
      const byName = await request(app).get('/api/v1/namespaces/sel/configmaps?fieldSelector=metadata.name%3Ds3');
      assert.deepEqual(byName.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['s3']);
      const bad = await request(app).get('/api/v1/namespaces/sel/configmaps?fieldSelector=spec.foo%3Dx');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /field label not supported: spec.foo/);
      const badLabel = await request(app).get('/api/v1/namespaces/sel/configmaps?labelSelector=%3D%3D');
      assert.equal(badLabel.status, 400);
    });

    it('paginates with limit and continue', async () => {
      const p1 = await request(app).get('/api/v1/namespaces/sel/configmaps?limit=2');
      assert.equal(p1.body.items.length, 2);
      assert.equal(p1.body.metadata.remainingItemCount, 3);
      const p2 = await request(app).get(`/api/v1/namespaces/sel/configmaps?limit=10&continue=${encodeURIComponent(p1.body.metadata.continue)}`);
      assert.deepEqual(p2.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['s2', 's3', 's4']);
      const badLimit = await request(app).get('/api/v1/namespaces/sel/configmaps?limit=abc');
      assert.equal(badLimit.status, 400);
    });

    it('deletes with DeleteOptions in the body and deletes collections', async () => {
      const got = await request(app).get('/api/v1/namespaces/sel/configmaps/s4');
      const wrong = await request(app).delete('/api/v1/namespaces/sel/configmaps/s4').set('Content-Type', JSON_CT).send(JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'x' } }));
      assert.equal(wrong.status, 409);
      const ok = await request(app).delete('/api/v1/namespaces/sel/configmaps/s4').set('Content-Type', JSON_CT).send(JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: got.body.metadata.uid } }));
      assert.equal(ok.status, 200);
      const coll = await request(app).delete('/api/v1/namespaces/sel/configmaps?labelSelector=tier%3Dback');
      assert.equal(coll.status, 200, coll.text);
      assert.equal(coll.body.kind, 'ConfigMapList');
      assert.deepEqual(coll.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['s2', 's3']);
      const badPolicy = await request(app).delete('/api/v1/namespaces/sel/configmaps/s0?propagationPolicy=Sometimes');
      assert.equal(badPolicy.status, 422);
    });

    it('refuses creates in a terminating namespace', async () => {
      await request(app).post('/api/v1/namespaces').set('Content-Type', JSON_CT).send('{"metadata":{"name":"term"}}');
      const del = await request(app).delete('/api/v1/namespaces/term');
      assert.equal(del.status, 200);
      assert.equal(del.body.status.phase, 'Terminating');
      const res = await request(app).post('/api/v1/namespaces/term/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"x"}}');
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'configmaps "x" is forbidden: unable to create new content in namespace term because it is being terminated');
    });
  });

  describe('subresources', () => {
    it('serves status and scale', async () => {
      const created = await request(app)
        .post('/apis/apps/v1/namespaces/default/deployments')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ metadata: { name: 'sub' }, spec: { replicas: 1, selector: { matchLabels: { app: 'sub' } } } }));
      assert.equal(created.status, 201, created.text);
      const status = await request(app)
        .put('/apis/apps/v1/namespaces/default/deployments/sub/status')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ ...created.body, spec: { replicas: 9 }, status: { replicas: 1 } }));
      assert.equal(status.status, 200, status.text);
      assert.deepEqual(status.body.status, { replicas: 1 });
      assert.equal(status.body.spec.replicas, 1);
      const scale = await request(app).get('/apis/apps/v1/namespaces/default/deployments/sub/scale');
      assert.deepEqual(scale.body.spec, { replicas: 1 });
      assert.deepEqual(scale.body.status, { replicas: 1, selector: 'app=sub' });
      const scaled = await request(app).patch('/apis/apps/v1/namespaces/default/deployments/sub/scale').set('Content-Type', 'application/merge-patch+json').send('{"spec":{"replicas":4}}');
      assert.equal(scaled.status, 200, scaled.text);
      assert.equal(scaled.body.spec.replicas, 4);
      const put = await request(app)
        .put('/apis/apps/v1/namespaces/default/deployments/sub/scale')
        .set('Content-Type', JSON_CT)
        .send(JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sub' }, spec: { replicas: 2 } }));
      assert.equal(put.status, 200, put.text);
      const dep = await request(app).get('/apis/apps/v1/namespaces/default/deployments/sub');
      assert.equal(dep.body.spec.replicas, 2);
      assert.equal(dep.body.metadata.generation, 3);
      assert.equal((await request(app).get('/api/v1/namespaces/default/configmaps/x/status')).status, 404);
    });
  });

  describe('watch', () => {
    it('streams newline-delimited events until timeoutSeconds', async () => {
      await request(app).post('/api/v1/namespaces').set('Content-Type', JSON_CT).send('{"metadata":{"name":"watched"}}');
      await request(app).post('/api/v1/namespaces/watched/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"w0"}}');
      setTimeout(() => {
        void request(app).post('/api/v1/namespaces/watched/configmaps').set('Content-Type', JSON_CT).send('{"metadata":{"name":"w1"}}').then(() => undefined);
      }, 200);
      const res = await request(app).get('/api/v1/namespaces/watched/configmaps?watch=1&timeoutSeconds=1').buffer(true).parse(text);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      const events = (res.body as string).trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w0'], ['ADDED', 'w1']]);
      assert.equal(events[0].object.kind, 'ConfigMap');
    });

    it('answers a too-old resourceVersion with an ERROR event', async () => {
      await ts.store.compact((await ts.store.status()).header.revision);
      const small = new RegistryStore({ store: ts.store, registry: testRegistry(), watchCache: { capacity: 1 } });
      await small.start();
      const smallApp = createApp({ registry: testRegistry(), storage: small });
      for (const n of ['e1', 'e2', 'e3']) await small.create(testRegistry().get('', 'v1', 'configmaps')!, 'default', { metadata: { name: n } });
      const res = await request(smallApp).get('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2&timeoutSeconds=5').buffer(true).parse(text);
      const events = (res.body as string).trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'ERROR');
      assert.equal(events[0].object.code, 410);
      assert.equal(events[0].object.reason, 'Expired');
      await small.close();
    });

    it('supports the deprecated /watch/ paths', async () => {
      const res = await request(app).get('/api/v1/watch/namespaces/watched/configmaps?timeoutSeconds=1').buffer(true).parse(text);
      assert.equal(res.status, 200);
      assert.ok((res.body as string).includes('"ADDED"'));
    });
  });
});
