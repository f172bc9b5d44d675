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

  test('LimitRange, resources', async () => {
    const ns = await cluster.namespace('limitrange');
    const rl = (cpu: string, memory: string, eph: string) =>
      Object.fromEntries(Object.entries({ cpu, memory, 'ephemeral-storage': eph }).filter(([, v]) => v !== ''));
    const value = `${Date.now()}`;
    const base = `/api/v1/namespaces/${ns}/limitranges`;
    const pods = `/api/v1/namespaces/${ns}/pods`;
    const list = await c.get(`${base}?labelSelector=${selector({ time: value })}`);
    assert.deepEqual(list.items, []);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: `time=${value}` });
    let lr;
    try {
      lr = await c.create(base, {
        metadata: { name: 'limit-range', labels: { time: value } },
        spec: { limits: [{ type: 'Container', min: rl('50m', '100Mi', '100Gi'), max: rl('500m', '500Mi', '500Gi'), default: rl('500m', '500Mi', '500Gi'), defaultRequest: rl('100m', '200Mi', '200Gi'), maxLimitRequestRatio: {} }] },
      });
      assert.equal((await w.next()).type, 'ADDED');
    } finally {
      w.close();
    }
    const got = await c.get(`${base}/limit-range`);
    assert.deepEqual(got.spec.limits[0].defaultRequest, rl('100m', '200Mi', '200Gi'));
    assert.deepEqual(got.spec.limits[0].default, rl('500m', '500Mi', '500Gi'));
    const pod = (name: string, requests: Record<string, string>, limits: Record<string, string>) => ({
      metadata: { name },
      spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.9', resources: { requests, limits } }] },
    });
    // No requirements: the defaults.
    await c.create(pods, pod('pod-no-resources', {}, {}));
    const p1 = await c.get(`${pods}/pod-no-resources`);
    assert.deepEqual(p1.spec.containers[0].resources, { requests: rl('100m', '200Mi', '200Gi'), limits: rl('500m', '500Mi', '500Gi') });
    // Partial requirements: merged (a limit without a request makes the request).
    await c.create(pods, pod('pod-partial-resources', rl('', '150Mi', '150Gi'), rl('300m', '', '')));
    const p2 = await c.get(`${pods}/pod-partial-resources`);
    assert.deepEqual(p2.spec.containers[0].resources, { requests: rl('300m', '150Mi', '150Gi'), limits: rl('300m', '500Mi', '500Gi') });
    // Below min, above max: refused (above max, the defaulted limit is below the request, which
    // validation refuses before LimitRanger's own check, as upstream orders them).
    await c.fails('POST', pods, 403, { body: pod('pfpod', rl('10m', '50Mi', '50Gi'), {}) }, 'Forbidden');
    await c.fails('POST', pods, 422, { body: pod('pfpod', rl('600m', '600Mi', '600Gi'), {}) }, 'Invalid');
    const st = await c.fails('POST', pods, 403, { body: pod('pfpod', rl('600m', '600Mi', '600Gi'), rl('600m', '600Mi', '600Gi')) }, 'Forbidden');
    assert.match(st.message, /maximum cpu usage per Container is 500m, but limit is 600m/);
    // A lower min lets the small pod in; the big one is still refused.
    lr = await c.get(`${base}/limit-range`);
    lr.spec.limits[0].min = rl('9m', '49Mi', '49Gi');
    await c.update(`${base}/limit-range`, lr);
    assert.deepEqual((await c.get(`${base}/limit-range`)).spec.limits[0].min, rl('9m', '49Mi', '49Gi'));
    await c.create(pods, pod('pfpod', rl('10m', '50Mi', '50Gi'), {}));
    await c.fails('POST', pods, 422, { body: pod('pfpod2', rl('600m', '600Mi', '600Gi'), {}) }, 'Invalid');
    // Without the LimitRange, anything goes.
    await c.delete(`${base}/limit-range`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 30 });
    assert.deepEqual((await c.get(base)).items, []);
    await c.create(pods, pod('pfpod2', rl('600m', '600Mi', '600Gi'), {}));
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
