// Server-side apply and managedFields over HTTP: the apply-patch content type, the
// fieldManager parameter and its validation, create-on-apply, conflicts and the entries
// creates, updates, patches and subresource writes record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { RegistryStore } from '../api/storage/registry-store.ts';
import { builtinRegistry } from '../api/resources/index.ts';
import { tempStore, type TempStore } from '../api/storage/testing/fixtures.ts';
import { createApp } from './app.ts';
import { applyPatch } from './extensions.ts';
import { ensureDefaultNamespaces } from './server.ts';

const APPLY = 'application/apply-patch+yaml';
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

function entries(body: { metadata?: { managedFields?: Entry[] } }): Record<string, Entry> {
  return Object.fromEntries((body.metadata?.managedFields ?? []).map((e) => [`${e.manager}/${e.operation}${e.subresource ? '/' + e.subresource : ''}`, e]));
}

function deploymentYaml(name: string, replicas: number, image = 'nginx'): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    '      labels: {app: web}',
    '    spec:',
    '      containers:',
    '      - name: nginx',
    `        image: ${image}`,
    '',
  ].join('\n');
}

describe('server-side apply over HTTP', () => {
  let ts: TempStore;
  let storage: RegistryStore;
  let app: Express;

  before(async () => {
    ts = await tempStore();
    const registry = builtinRegistry();
    storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    await ensureDefaultNamespaces(storage, registry);
    app = createApp({ registry, storage, serverAddress: '127.0.0.1:6443', extensions: { applyPatch } });
  });
  after(async () => {
    await storage.close();
    await ts.dispose();
  });

  it('records creates, updates and patches under fieldManager or the User-Agent program', async () => {
    const created = await request(app)
      .post(`${CONFIGMAPS}?fieldManager=kubectl-create`)
      .send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mf' }, data: { a: '1' } });
    assert.equal(created.status, 201, created.text);
    const e = entries(created.body)['kubectl-create/Update']!;
    assert.deepEqual({ ...e, time: undefined }, { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: undefined, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } });
    assert.match(e.time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const patched = await request(app)
      .patch(`${CONFIGMAPS}/mf`)
      .set('Content-Type', 'application/merge-patch+json')
      .set('User-Agent', 'kubectl-label/v1.33.1 (linux/amd64) kubernetes/8adc0f0')
      .send({ metadata: { labels: { x: 'y' } } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(entries(patched.body)['kubectl-label/Update']!.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } });

    const replaced = await request(app)
      .put(`${CONFIGMAPS}/mf?fieldManager=kubectl-edit`)
      .send({ ...patched.body, data: { a: '2' } });
    assert.equal(replaced.status, 200, replaced.text);
    const after = entries(replaced.body);
    assert.deepEqual(after['kubectl-edit/Update']!.fieldsV1, { 'f:data': { 'f:a': {} } });
    assert.deepEqual(after['kubectl-create/Update']!.fieldsV1, { 'f:data': {} }, 'kubectl-create keeps the map it created, not the value it no longer set');

    const got = await request(app).get(`${CONFIGMAPS}/mf`);
    assert.deepEqual(got.body.metadata.managedFields, replaced.body.metadata.managedFields);
  });

  it('validates fieldManager and force as upstream', async () => {
    const long = await request(app).post(`${CONFIGMAPS}?fieldManager=${'m'.repeat(129)}`).send({ metadata: { name: 'x' } });
    assert.equal(long.status, 422);
    assert.equal(long.body.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes');
    const ctl = await request(app).put(`${CONFIGMAPS}/x?fieldManager=a%07b`).send({ metadata: { name: 'x' } });
    assert.equal(ctl.status, 422);
    assert.equal(ctl.body.message, 'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\u0007b": invalid character U+0007 (at position 1)');
    const noManager = await request(app).patch(`${CONFIGMAPS}/x`).set('Content-Type', APPLY).send('{}');
    assert.equal(noManager.status, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    assert.deepEqual(noManager.body.details.causes, [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]);
    const force = await request(app).patch(`${CONFIGMAPS}/x?force=true`).set('Content-Type', 'application/merge-patch+json').send({});
    assert.equal(force.status, 422);
    assert.equal(force.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it('creates on apply (201), then applies without change (200, same resourceVersion)', async () => {
    const created = await request(app).patch(`${DEPLOYMENTS}/web?fieldManager=kubectl`).set('Content-Type', APPLY).send(deploymentYaml('web', 2));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.spec.replicas, 2);
    assert.equal(created.body.spec.strategy.type, 'RollingUpdate', 'the applied object is defaulted');
    const mine = entries(created.body)['kubectl/Apply']!;
    assert.deepEqual(mine.fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
    assert.equal(Object.keys(entries(created.body)).length, 1);

    const again = await request(app).patch(`${DEPLOYMENTS}/web?fieldManager=kubectl`).set('Content-Type', APPLY).send(deploymentYaml('web', 2));
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
    assert.deepEqual(again.body.metadata.managedFields, created.body.metadata.managedFields);

    const json = await request(app)
      .patch(`${DEPLOYMENTS}/web?fieldManager=kubectl`)
      .set('Content-Type', APPLY)
      .send(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } } }));
    assert.equal(json.status, 200, json.text);
    assert.equal(json.body.spec.replicas, 3);
  });

  it('answers a conflict with the field and its manager, and force takes the field', async () => {
    const scaled = await request(app)
      .patch(`${DEPLOYMENTS}/web/scale`)
      .set('Content-Type', 'application/merge-patch+json')
      .set('User-Agent', 'kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0')
      .send({ spec: { replicas: 5 } });
    assert.equal(scaled.status, 200, scaled.text);
    const afterScale = await request(app).get(`${DEPLOYMENTS}/web`);
    assert.deepEqual(entries(afterScale.body)['kubectl/Update/scale']!.fieldsV1, { 'f:spec': { 'f:replicas': {} } });

    const conflict = await request(app).patch(`${DEPLOYMENTS}/web?fieldManager=kubectl`).set('Content-Type', APPLY).send(deploymentYaml('web', 2));
    assert.equal(conflict.status, 409, conflict.text);
    assert.deepEqual(conflict.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' }] },
      code: 409,
    });

    const forced = await request(app).patch(`${DEPLOYMENTS}/web?fieldManager=kubectl&force=true`).set('Content-Type', APPLY).send(deploymentYaml('web', 2));
    assert.equal(forced.status, 200, forced.text);
    assert.equal(forced.body.spec.replicas, 2);
    assert.equal(entries(forced.body)['kubectl/Update/scale'], undefined, 'the scaler lost its only field');
  });

  it('removes fields the manager stops applying', async () => {
    const withImage = await request(app).patch(`${DEPLOYMENTS}/prune?fieldManager=me`).set('Content-Type', APPLY).send(deploymentYaml('prune', 1).replace('spec:\n  replicas', 'spec:\n  minReadySeconds: 7\n  replicas'));
    assert.equal(withImage.status, 201, withImage.text);
    assert.equal(withImage.body.spec.minReadySeconds, 7);
    const without = await request(app).patch(`${DEPLOYMENTS}/prune?fieldManager=me`).set('Content-Type', APPLY).send(deploymentYaml('prune', 1));
    assert.equal(without.status, 200, without.text);
    assert.equal(without.body.spec.minReadySeconds, undefined);
  });

  it('records status writes under the status subresource', async () => {
    const cur = await request(app).get(`${DEPLOYMENTS}/web`);
    const res = await request(app)
      .put(`${DEPLOYMENTS}/web/status?fieldManager=controller`)
      .send({ ...cur.body, status: { replicas: 2, observedGeneration: 1 } });
    assert.equal(res.status, 200, res.text.slice(0, 2000));
    assert.deepEqual(entries(res.body)['controller/Update/status']!.fieldsV1, { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } });
    const applied = await request(app)
      .patch(`${DEPLOYMENTS}/web/status?fieldManager=ctrl-apply`)
      .set('Content-Type', APPLY)
      .send('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nstatus:\n  readyReplicas: 1\n');
    assert.equal(applied.status, 200, applied.text);
    assert.equal(applied.body.status.readyReplicas, 1);
    assert.deepEqual(entries(applied.body)['ctrl-apply/Apply/status']!.fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });
  });

  it('rejects configurations of another kind, with managedFields or with undeclared fields', async () => {
    const kind = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('apiVersion: v1\nkind: Secret\nmetadata:\n  name: k\n');
    assert.equal(kind.status, 400);
    assert.equal(kind.body.message, 'invalid object type: /v1, Kind=Secret');
    const mf = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n  managedFields: []\n');
    assert.equal(mf.status, 400);
    assert.equal(mf.body.message, 'metadata.managedFields must be nil');
    const unknown = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: k\n  namespace: default\nspec: {}\n');
    assert.equal(unknown.status, 500);
    assert.equal(unknown.body.message, 'failed to create typed patch object (default/k; /v1, Kind=ConfigMap): .spec: field not declared in schema');
    const name = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n');
    assert.equal(name.status, 400);
    assert.equal(name.body.message, 'the name of the object (other) does not match the name on the URL (k)');
    const list = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('- a\n- b\n');
    assert.equal(list.status, 400);
    assert.equal(list.body.message, 'error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}');
    const empty = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.message, 'invalid object type: /, Kind=');
    const bad = await request(app).patch(`${CONFIGMAPS}/k?fieldManager=m`).set('Content-Type', APPLY).send('a: [');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^error decoding YAML: error converting YAML to JSON: yaml: /);
    const missing = await request(app).get(`${CONFIGMAPS}/k`);
    assert.equal(missing.status, 404);
  });

  it('dry-run apply of a missing object creates nothing', async () => {
    const res = await request(app).patch(`${CONFIGMAPS}/dry?fieldManager=m&dryRun=All`).set('Content-Type', APPLY).send('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\ndata:\n  a: b\n');
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.data.a, 'b');
    assert.equal((await request(app).get(`${CONFIGMAPS}/dry`)).status, 404);
  });
});
