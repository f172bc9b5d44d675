import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { RegistryStore } from '../api/storage/registry-store.ts';
import { tempStore, type TempStore } from '../api/storage/testing/fixtures.ts';
import { builtinRegistry } from '../api/resources/index.ts';
import { createApp } from './app.ts';
import { applyPatch } from './extensions.ts';
import { bindingHandlers } from './binding.ts';
import { ensureDefaultNamespaces } from './server.ts';

describe('pods/binding and bindings', () => {
  let ts: TempStore;
  let storage: RegistryStore;
  let app: Express;

  before(async () => {
    ts = await tempStore();
    const registry = builtinRegistry();
    storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    await ensureDefaultNamespaces(storage, registry);
    app = createApp({ registry, storage, extensions: { applyPatch }, subresources: bindingHandlers() });
  });
  after(async () => {
    await storage.close();
    await ts.dispose();
  });

  const pod = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...extra },
  });
  const create = async (name: string, extra?: Record<string, unknown>) => {
    const res = await request(app).post('/api/v1/namespaces/default/pods').send(pod(name, extra));
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const bind = (name: string, node: string, meta: Record<string, unknown> = {}) =>
    request(app)
      .post(`/api/v1/namespaces/default/pods/${name}/binding`)
      .send({ apiVersion: 'v1', kind: 'Binding', metadata: { name, ...meta }, target: { kind: 'Node', name: node } });

  it('sets spec.nodeName and PodScheduled=True, answering a Success Status (201)', async () => {
    await create('p1');
    const res = await bind('p1', 'node-a', { annotations: { 'example.com/x': 'y' } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const got = (await request(app).get('/api/v1/namespaces/default/pods/p1')).body;
    assert.equal(got.spec.nodeName, 'node-a');
    assert.equal(got.metadata.annotations['example.com/x'], 'y');
    const cond = got.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled');
    assert.equal(cond.status, 'True');
    assert.ok(cond.lastTransitionTime);
    assert.equal(got.status.phase, 'Pending');
  });

  it('refuses a second binding with 409', async () => {
    const res = await bind('p1', 'node-b');
    assert.equal(res.status, 409);
    assert.equal(res.body.reason, 'Conflict');
    assert.equal(res.body.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "node-a"');
  });

  it('checks the uid precondition and the names', async () => {
    await create('p2');
    const wrongUid = await bind('p2', 'node-a', { uid: 'nope' });
    assert.equal(wrongUid.status, 409);
    assert.match(wrongUid.body.message, /Precondition failed: UID in precondition: nope/);
    const mismatch = await request(app)
      .post('/api/v1/namespaces/default/pods/p2/binding')
      .send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'other' }, target: { name: 'node-a' } });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.message, 'name in URL does not match name in Binding object');
    const noTarget = await request(app).post('/api/v1/namespaces/default/pods/p2/binding').send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p2' }, target: {} });
    assert.equal(noTarget.status, 422);
    assert.equal(noTarget.body.message, 'Binding "p2" is invalid: target.name: Required value');
    const missing = await bind('nope', 'node-a');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods "nope" not found');
  });

  it('refuses pods with scheduling gates', async () => {
    await create('gated', { schedulingGates: [{ name: 'example.com/gate' }] });
    const res = await bind('gated', 'node-a');
    assert.equal(res.status, 409);
    assert.match(res.body.message, /pod gated has non-empty \.spec\.schedulingGates/);
  });

  it('serves the legacy POST /api/v1/namespaces/{ns}/bindings', async () => {
    await create('p3');
    const res = await request(app)
      .post('/api/v1/namespaces/default/bindings')
      .send({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p3' }, target: { kind: 'Node', name: 'node-c' } });
    assert.equal(res.status, 201, res.text);
    assert.equal((await request(app).get('/api/v1/namespaces/default/pods/p3')).body.spec.nodeName, 'node-c');
    const list = await request(app).get('/api/v1/namespaces/default/bindings');
    assert.equal(list.status, 405);
  });

  it('lists bindings in discovery as create-only', async () => {
    const res = await request(app).get('/api/v1');
    const b = res.body.resources.find((r: { name: string }) => r.name === 'bindings');
    assert.deepEqual(b.verbs, ['create']);
    assert.equal(b.kind, 'Binding');
    const sub = res.body.resources.find((r: { name: string }) => r.name === 'pods/binding');
    assert.deepEqual(sub.verbs, ['create']);
  });
});
