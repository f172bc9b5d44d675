// [sig-auth] conformance tests of the ServiceAccount API (no token controller involved).
// Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, selector, startCluster, type Client, type Cluster } from './harness.ts';

describe('[sig-auth]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  test('ServiceAccount lifecycle test', async () => {
    const ns = await cluster.namespace('svcaccounts');
    const base = `/api/v1/namespaces/${ns}/serviceaccounts`;
    const label = { 'test-serviceaccount-static': 'true' };
    const list = await c.get(base);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: 'test-serviceaccount-static=true' });
    try {
      await c.create(base, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'testserviceaccount', labels: label } });
      const added = await w.until((ev) => ev.type === 'ADDED');
      assert.equal(added.at(-1)!.object.metadata.labels['test-serviceaccount-static'], 'true');
      const patched = await c.patch(`${base}/testserviceaccount`, 'strategic', { automountServiceAccountToken: false });
      assert.equal(patched.automountServiceAccountToken, false);
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.automountServiceAccountToken === false);
      const all = await c.get(`/api/v1/serviceaccounts?labelSelector=${selector(label)}`);
      const found = all.items.find((s: { metadata: { namespace: string } }) => s.metadata.namespace === ns);
      assert.equal(found.automountServiceAccountToken, false);
      await c.delete(`${base}?labelSelector=${selector(label)}`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'testserviceaccount');
    } finally {
      w.close();
    }
  });

  test('ServiceAccount, update a ServiceAccount', async () => {
    const ns = await cluster.namespace('svcaccounts');
    const base = `/api/v1/namespaces/${ns}/serviceaccounts`;
    const created = await c.create(base, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'e2e-sa' } });
    assert.equal(created.automountServiceAccountToken, undefined);
    created.automountServiceAccountToken = true;
    created.metadata.labels = { updated: 'true' };
    const updated = await c.update(`${base}/e2e-sa`, created);
    assert.equal(updated.automountServiceAccountToken, true);
    const got = await c.get(`${base}/e2e-sa`);
    assert.equal(got.automountServiceAccountToken, true);
    assert.equal(got.metadata.labels.updated, 'true');
    assert.deepEqual(names(await c.get(`${base}?labelSelector=updated%3Dtrue`)), ['e2e-sa']);
  });
});
