// [sig-scheduling] conformance tests of the LimitRange and PriorityClass APIs (no scheduler
// involved). Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, selector, startCluster, type Client, type Cluster } from './harness.ts';

describe('[sig-scheduling]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  test('LimitRange, list, patch and delete a LimitRange by collection', async () => {
    const ns1 = await cluster.namespace('limitrange');
    const ns2 = await cluster.namespace('limitrange-2');
    const label = { 'e2e-limitrange': ns1 };
    const limitRange = (name: string) => ({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name, labels: label },
      spec: {
        limits: [
          {
            type: 'Container',
            min: { cpu: '100m', memory: '10Mi' },
            max: { cpu: '500m', memory: '500Mi' },
            default: { cpu: '500m', memory: '500Mi' },
            defaultRequest: { cpu: '100m', memory: '200Mi' },
            maxLimitRequestRatio: { cpu: '5' },
          },
        ],
      },
    });
    await c.create(`/api/v1/namespaces/${ns1}/limitranges`, limitRange('e2e-limitrange'));
    await c.create(`/api/v1/namespaces/${ns2}/limitranges`, limitRange('e2e-limitrange'));
    const all = await c.get(`/api/v1/limitranges?labelSelector=${selector(label)}`);
    assert.deepEqual(all.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace).sort(), [ns1, ns2].sort());
    const patched = await c.patch(`/api/v1/namespaces/${ns1}/limitranges/e2e-limitrange`, 'merge', {
      metadata: { labels: { [`${ns1}-patched`]: 'true' } },
      spec: { limits: [{ type: 'Container', min: { cpu: '200m', memory: '20Mi' }, max: { cpu: '500m', memory: '500Mi' }, default: { cpu: '500m', memory: '500Mi' }, defaultRequest: { cpu: '200m', memory: '200Mi' } }] },
    });
    assert.equal(patched.metadata.labels[`${ns1}-patched`], 'true');
    assert.deepEqual(patched.spec.limits[0].min, { cpu: '200m', memory: '20Mi' });
    assert.deepEqual((await c.get(`/api/v1/namespaces/${ns1}/limitranges/e2e-limitrange`)).spec.limits[0].defaultRequest, { cpu: '200m', memory: '200Mi' });
    await c.delete(`/api/v1/namespaces/${ns1}/limitranges?labelSelector=${selector({ [`${ns1}-patched`]: 'true' })}`);
    const left = await c.get(`/api/v1/limitranges?labelSelector=${selector(label)}`);
    assert.deepEqual(left.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace), [ns2]);
  });

  test('Scheduler, Verify PriorityClass endpoints', async () => {
    const ns = await cluster.namespace('sched-preemption');
    const base = '/apis/scheduling.k8s.io/v1/priorityclasses';
    const pcs = [];
    for (const [i, value] of [1, 2, 3].entries()) {
      pcs.push(await c.create(base, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: `${ns}-p${i + 1}` }, value, description: 'original' }));
    }
    // Immutable fields: value (patch and update fail).
    await c.fails('PATCH', `${base}/${pcs[0].metadata.name}`, 422, { body: JSON.stringify({ value: pcs[0].value * 10 }), contentType: 'application/strategic-merge-patch+json' }, 'Invalid');
    await c.fails('PUT', `${base}/${pcs[1].metadata.name}`, 422, { body: { ...pcs[1], value: pcs[1].value * 10 } }, 'Invalid');
    // Mutable fields: description.
    const patched = await c.patch(`${base}/${pcs[0].metadata.name}`, 'strategic', { description: 'updated description' });
    assert.equal(patched.description, 'updated description');
    const cur = await c.get(`${base}/${pcs[1].metadata.name}`);
    const updated = await c.update(`${base}/${pcs[1].metadata.name}`, { ...cur, description: 'updated description' });
    assert.equal(updated.description, 'updated description');
    const list = await c.get(base);
    for (const pc of pcs) assert.ok(names(list).includes(pc.metadata.name));
    for (const pc of pcs.slice(0, 2)) {
      const live = await c.get(`${base}/${pc.metadata.name}`);
      assert.equal(live.value, pc.value);
      assert.equal(live.description, 'updated description');
    }
    for (const pc of pcs) await c.delete(`${base}/${pc.metadata.name}`);
  });
});
