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
import { evictionHandlers } from './eviction.ts';
import { ensureDefaultNamespaces } from './server.ts';

describe('pods/eviction', () => {
  let ts: TempStore;
  let storage: RegistryStore;
  let app: Express;

  before(async () => {
    ts = await tempStore();
    const registry = builtinRegistry();
    storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    await ensureDefaultNamespaces(storage, registry);
    app = createApp({ registry, storage, extensions: { applyPatch }, subresources: new Map([...bindingHandlers(), ...evictionHandlers()]) });
  });
  after(async () => {
    await storage.close();
    await ts.dispose();
  });

  const podsPath = '/api/v1/namespaces/default/pods';
  const pdbPath = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';

  /** A pod bound to a node and reported Running (and Ready). */
  const runningPod = async (name: string, labels: Record<string, string> = { app: 'web' }) => {
    let res = await request(app).post(podsPath).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    assert.equal(res.status, 201, res.text);
    res = await request(app).post(`${podsPath}/${name}/binding`).send({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(res.status, 201, res.text);
    const pod = (await request(app).get(`${podsPath}/${name}`)).body;
    pod.status = { ...pod.status, phase: 'Running', conditions: [...pod.status.conditions, { type: 'Ready', status: 'True' }] };
    res = await request(app).put(`${podsPath}/${name}/status`).send(pod);
    assert.equal(res.status, 200, res.text);
  };
  const evict = (name: string, deleteOptions?: Record<string, unknown>) =>
    request(app)
      .post(`${podsPath}/${name}/eviction`)
      .send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...(deleteOptions ? { deleteOptions } : {}) });
  const pdb = async (name: string, selector: Record<string, string>, status: Record<string, unknown>) => {
    let res = await request(app).post(pdbPath).send({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: selector } } });
    assert.equal(res.status, 201, res.text);
    const obj = res.body;
    obj.status = { observedGeneration: obj.metadata.generation, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, disruptionsAllowed: 0, ...status };
    res = await request(app).put(`${pdbPath}/${name}/status`).send(obj);
    assert.equal(res.status, 200, res.text);
  };

  it('evicts a pod no budget covers: DisruptionTarget, then a graceful delete', async () => {
    await runningPod('free', { app: 'free' });
    const res = await evict('free');
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const got = (await request(app).get(`${podsPath}/free`)).body;
    assert.ok(got.metadata.deletionTimestamp);
    const cond = got.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);
  });

  it('a pending pod goes at once, whatever the budgets', async () => {
    await request(app).post(podsPath).send({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const res = await evict('pending');
    assert.equal(res.status, 201, res.text);
    assert.equal((await request(app).get(`${podsPath}/pending`)).status, 404);
  });

  it('a budget with no disruptions allowed refuses with 429; one allowing a disruption lets it through', async () => {
    await runningPod('guarded', { app: 'guarded' });
    await pdb('guard', { app: 'guarded' }, { disruptionsAllowed: 0 });
    const refused = await evict('guarded');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal(refused.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.deepEqual(refused.body.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget guard needs 1 healthy pods and has 1 currently' }]);

    await runningPod('spare', { app: 'spare' });
    await pdb('spare-guard', { app: 'spare' }, { disruptionsAllowed: 1, currentHealthy: 2 });
    const ok = await evict('spare');
    assert.equal(ok.status, 201, ok.text);
    const budget = (await request(app).get(`${pdbPath}/spare-guard`)).body;
    assert.equal(budget.status.disruptionsAllowed, 0);
    assert.ok(budget.status.disruptedPods.spare);
    assert.equal(budget.status.conditions.find((c: { type: string }) => c.type === 'DisruptionAllowed').reason, 'InsufficientPods');
  });

  it('a budget the controller has not observed yet: 429 with a retry hint', async () => {
    await runningPod('fresh', { app: 'fresh' });
    await pdb('new-guard', { app: 'fresh' }, { observedGeneration: 0, disruptionsAllowed: 5 });
    const res = await evict('fresh');
    assert.equal(res.status, 429);
    assert.equal(res.body.details.retryAfterSeconds, 10);
    assert.equal(res.body.details.causes[0].message, 'The disruption budget new-guard is still being processed by the server.');
  });

  it('two budgets: 500; dry run deletes nothing; a name mismatch is a 400', async () => {
    await runningPod('twice', { app: 'twice', tier: 'x' });
    await pdb('a', { app: 'twice' }, { disruptionsAllowed: 1 });
    await pdb('b', { tier: 'x' }, { disruptionsAllowed: 1 });
    const res = await evict('twice');
    assert.equal(res.status, 500);
    assert.equal(res.body.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    await runningPod('dry', { app: 'dry' });
    const dry = await request(app).post(`${podsPath}/dry/eviction?dryRun=All`).send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'dry' } });
    assert.equal(dry.status, 201, dry.text);
    assert.equal((await request(app).get(`${podsPath}/dry`)).body.metadata.deletionTimestamp, undefined);
    const mismatch = await request(app).post(`${podsPath}/dry/eviction`).send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    assert.equal(mismatch.status, 400);
    assert.equal((await request(app).post(`${podsPath}/nope/eviction`).send({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'nope' } })).status, 404);
  });
});
