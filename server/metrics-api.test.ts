// The metrics.k8s.io API over HTTP: discovery, NodeMetrics and PodMetrics from the usage
// reports in node Leases, selectors, tables, errors; and two API servers on one store answer
// the same (the reports live in the store, not in a server).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { RegistryStore } from '../api/storage/registry-store.ts';
import { tempStore, type TempStore } from '../api/storage/testing/fixtures.ts';
import { allResources } from '../api/resources/index.ts';
import { metricsResources } from '../api/metrics/resources.ts';
import { encodeUsageReport, USAGE_ANNOTATION, type UsageReport } from '../api/metrics/usage-report.ts';
import { Registry } from '../api/registry/registry.ts';
import { createApp } from './app.ts';
import { applyPatch } from './extensions.ts';
import { metricsHandlers } from './metrics-api.ts';
import { ensureDefaultNamespaces } from './server.ts';

describe('metrics.k8s.io/v1beta1', () => {
  let ts: TempStore;
  const storages: RegistryStore[] = [];
  let app: Express;
  let other: Express;
  const registry = new Registry([...allResources, ...metricsResources]);

  const server = async () => {
    const storage = new RegistryStore({ store: ts.store, registry });
    await storage.start();
    storages.push(storage);
    return createApp({ registry, storage, extensions: { applyPatch }, subresources: new Map(metricsHandlers()) });
  };

  const report = (pods: UsageReport['pods'], cpu = '300m'): string =>
    encodeUsageReport({ timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), windowSeconds: 10, node: { cpu, memory: '536870912' }, pods });

  const create = async (path: string, body: object) => {
    const res = await request(app).post(path).send(body);
    assert.equal(res.status, 201, res.text);
    return res.body;
  };

  const runningPod = async (ns: string, name: string, node: string, labels: Record<string, string>) => {
    const p = await create(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName: node, containers: [{ name: 'c', image: 'nginx' }] } });
    const res = await request(app).put(`/api/v1/namespaces/${ns}/pods/${name}/status`).send({ ...p, status: { phase: 'Running' } });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    ts = await tempStore();
    app = await server();
    other = await server();
    await ensureDefaultNamespaces(storages[0]!, registry);
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    for (const [name, zone] of [['n1', 'a'], ['n2', 'b'], ['n3', 'b']]) {
      await create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: zone! } } });
    }
    await runningPod('default', 'web-1', 'n1', { app: 'web' });
    await runningPod('default', 'web-2', 'n2', { app: 'web' });
    await runningPod('shop', 'db', 'n2', { app: 'db' });
    await create('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] } });
    const lease = (name: string, annotation: string) =>
      create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, annotations: { [USAGE_ANNOTATION]: annotation } }, spec: { holderIdentity: name } });
    await lease('n1', report({ 'default/web-1': { c: { cpu: '200m', memory: '50331648' } }, 'default/pending': { c: { cpu: '1m', memory: '1Mi' } } }));
    await lease('n2', report({ 'default/web-2': { c: { cpu: '100m', memory: '1Mi' } }, 'shop/db': { c: { cpu: '1', memory: '1Gi' } } }, '1200m'));
    // n3 stopped reporting an hour ago.
    await lease('n3', encodeUsageReport({ timestamp: '2020-01-01T00:00:00Z', windowSeconds: 10, node: { cpu: '1', memory: '1' }, pods: {} }));
  });

  after(async () => {
    for (const s of storages) await s.close();
    await ts.dispose();
  });

  it('is discovered: /apis, the group version, aggregated discovery', async () => {
    const groups = (await request(app).get('/apis')).body;
    const g = groups.groups.find((x: { name: string }) => x.name === 'metrics.k8s.io');
    assert.deepEqual(g, { name: 'metrics.k8s.io', versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }], preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' } });
    const list = (await request(app).get('/apis/metrics.k8s.io/v1beta1')).body;
    assert.deepEqual(
      list.resources.map((r: Record<string, unknown>) => [r.name, r.kind, r.namespaced, r.verbs]),
      [
        ['nodes', 'NodeMetrics', false, ['get', 'list']],
        ['pods', 'PodMetrics', true, ['get', 'list']],
      ],
    );
    const agg = (await request(app).get('/apis').set('Accept', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')).body;
    const item = agg.items.find((x: { metadata: { name: string } }) => x.metadata.name === 'metrics.k8s.io');
    assert.deepEqual(
      item.versions[0].resources.map((r: Record<string, unknown>) => [r.resource, (r.responseKind as { kind: string }).kind, r.scope, r.verbs]),
      [
        ['nodes', 'NodeMetrics', 'Cluster', ['get', 'list']],
        ['pods', 'PodMetrics', 'Namespaced', ['get', 'list']],
      ],
    );
  });

  it('lists NodeMetrics of the nodes with fresh reports, by label', async () => {
    const res = await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.body.kind, 'NodeMetricsList');
    assert.deepEqual(
      res.body.items.map((i: { metadata: { name: string }; usage: object; window: string }) => [i.metadata.name, i.usage, i.window]),
      [
        ['n1', { cpu: '300m', memory: '512Mi' }, '10s'],
        ['n2', { cpu: '1200m', memory: '512Mi' }, '10s'],
      ],
    );
    const b = (await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db')).body;
    assert.deepEqual(
      b.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ['n2'],
    );
    const byName = (await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes?fieldSelector=metadata.name%3Dn1')).body;
    assert.deepEqual(
      byName.items.map((i: { metadata: { name: string } }) => i.metadata.name),
      ['n1'],
    );
  });

  it('gets one node; a node without metrics or that does not exist is NotFound', async () => {
    const n1 = (await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes/n1')).body;
    assert.equal(n1.kind, 'NodeMetrics');
    assert.deepEqual(n1.metadata.labels, { zone: 'a' });
    const stale = await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes/n3');
    assert.equal(stale.status, 404);
    assert.equal(stale.body.message, 'nodes.metrics.k8s.io "n3" not found');
    const missing = await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'nodes "nope" not found');
  });

  it('lists PodMetrics of Running pods, per namespace or in all, by label', async () => {
    const names = (body: { items: { metadata: { namespace: string; name: string } }[] }) => body.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
    assert.deepEqual(names((await request(app).get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods')).body), ['default/web-1', 'default/web-2']);
    assert.deepEqual(names((await request(app).get('/apis/metrics.k8s.io/v1beta1/pods')).body), ['default/web-1', 'default/web-2', 'shop/db']);
    assert.deepEqual(names((await request(app).get('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Ddb')).body), ['shop/db']);
    const web1 = (await request(app).get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1')).body;
    assert.deepEqual(web1.containers, [{ name: 'c', usage: { cpu: '200m', memory: '48Mi' } }]);
    assert.deepEqual(web1.metadata.labels, { app: 'web' });
    const pending = await request(app).get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/pending');
    assert.equal(pending.status, 404);
    assert.equal(pending.body.message, 'pods.metrics.k8s.io "default/pending" not found');
  });

  it('answers a Table for kubectl get, JSON when protobuf is asked for', async () => {
    const table = await request(app).get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods').set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    assert.equal(table.body.kind, 'Table');
    assert.deepEqual(
      table.body.columnDefinitions.map((c: { name: string }) => c.name),
      ['Name', 'cpu', 'memory', 'Window'],
    );
    assert.deepEqual(table.body.rows[0].cells, ['web-1', '200m', '48Mi', '10s']);
    const pb = await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes').set('Accept', 'application/vnd.kubernetes.protobuf, */*');
    assert.equal(pb.headers['content-type'], 'application/json');
    assert.equal(pb.body.kind, 'NodeMetricsList');
  });

  it('serves get and list only', async () => {
    assert.equal((await request(app).get('/apis/metrics.k8s.io/v1beta1/nodes?watch=1')).status, 405);
    assert.equal((await request(app).post('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods').send({})).status, 405);
    assert.equal((await request(app).delete('/apis/metrics.k8s.io/v1beta1/nodes/n1')).status, 405);
  });

  it('another API server on the same store answers the same', async () => {
    const a = (await request(app).get('/apis/metrics.k8s.io/v1beta1/pods')).body.items.map((i: { containers: unknown }) => i.containers);
    const b = (await request(other).get('/apis/metrics.k8s.io/v1beta1/pods')).body.items.map((i: { containers: unknown }) => i.containers);
    assert.deepEqual(b, a);
  });
});
