// [sig-node] conformance tests that exercise the core/v1 and coordination APIs without
// running containers: ConfigMaps, Secrets, PodTemplates, Pods as API objects, Nodes, Leases.
// Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, podSpec, selector, startCluster, type Client, type Cluster, type Json } from './harness.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('[sig-node]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  // --- ConfigMaps and Secrets ---------------------------------------------------------

  test('ConfigMap, with empty-key', async () => {
    const ns = await cluster.namespace('configmap');
    const st = await c.fails('POST', `/api/v1/namespaces/${ns}/configmaps`, 422, { body: { metadata: { name: 'configmap-test-emptykey' }, data: { '': 'value-1' } } }, 'Invalid');
    assert.equal(st.details.causes[0].field, 'data[]');
    await c.fails('GET', `/api/v1/namespaces/${ns}/configmaps/configmap-test-emptykey`, 404);
  });

  test('ConfigMap lifecycle', async () => {
    const ns = await cluster.namespace('configmap');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const label = { 'test-configmap-static': 'true' };
    await c.create(base, { metadata: { name: 'test-configmap', labels: label }, data: { valueName: 'value' } });
    await c.patch(`${base}/test-configmap`, 'strategic', { metadata: { labels: { 'test-configmap': 'patched' } }, data: { valueName: 'value1' } });
    const got = await c.get(`${base}/test-configmap`);
    assert.equal(got.metadata.labels['test-configmap'], 'patched');
    assert.deepEqual(got.data, { valueName: 'value1' });
    const all = await c.get(`/api/v1/configmaps?labelSelector=${selector(label)}`);
    const found = (all.items as Json[]).find((i) => i.metadata.name === 'test-configmap' && i.metadata.namespace === ns);
    assert.ok(found, 'found by its static label across namespaces');
    assert.equal(found.data.valueName, 'value1');
    assert.equal(found.metadata.labels['test-configmap'], 'patched');
    await c.delete(`${base}?labelSelector=${selector(label)}`);
    await c.fails('GET', `${base}/test-configmap`, 404);
  });

  test('Secrets, with empty-key', async () => {
    const ns = await cluster.namespace('secrets');
    await c.fails('POST', `/api/v1/namespaces/${ns}/secrets`, 422, { body: { metadata: { name: 'secret-emptykey-test' }, data: { '': b64('value-1\n') } } }, 'Invalid');
  });

  test('Secret patching', async () => {
    const ns = await cluster.namespace('secrets');
    const base = `/api/v1/namespaces/${ns}/secrets`;
    const label = { testsecret: 'true', [`testsecret-constant-${ns}`]: 'true' };
    await c.create(base, { metadata: { name: 'test-secret', labels: label }, data: { key: b64('value') }, type: 'Opaque' });
    const listed = await c.get(`/api/v1/secrets?labelSelector=${selector(label)}`);
    assert.deepEqual(names(listed), ['test-secret']);
    const patched = await c.patch(`${base}/test-secret`, 'strategic', { metadata: { labels: { testsecret: 'true' } }, data: { key: b64('value1') } });
    assert.equal(patched.data.key, b64('value1'));
    const got = await c.get(`${base}/test-secret`);
    assert.deepEqual(got.data, { key: b64('value1') });
    await c.delete(`${base}?labelSelector=${selector({ [`testsecret-constant-${ns}`]: 'true' })}`);
    const after = await c.get('/api/v1/secrets');
    assert.ok(!(after.items as Json[]).some((s) => s.metadata.name === 'test-secret' && s.metadata.namespace === ns));
  });

  // --- PodTemplates -------------------------------------------------------------------

  const podTemplate = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: { name, labels },
    template: { metadata: { labels: { app: 'x' } }, spec: podSpec() },
  });

  test('PodTemplate lifecycle', async () => {
    const ns = await cluster.namespace('podtemplate');
    const base = `/api/v1/namespaces/${ns}/podtemplates`;
    await c.create(base, podTemplate('nginx-pod-template', { 'podtemplate-static': 'true' }));
    await c.patch(`${base}/nginx-pod-template`, 'strategic', { metadata: { labels: { podtemplate: 'patched' } } });
    const got = await c.get(`${base}/nginx-pod-template`);
    assert.equal(got.metadata.labels.podtemplate, 'patched');
    const all = await c.get(`/api/v1/podtemplates?labelSelector=${selector({ 'podtemplate-static': 'true' })}`);
    const found = (all.items as Json[]).find((i) => i.metadata.namespace === ns);
    assert.equal(found?.metadata.labels.podtemplate, 'patched');
    await c.delete(`${base}/nginx-pod-template`);
    await c.fails('GET', `${base}/nginx-pod-template`, 404);
  });

  test('PodTemplate, delete a collection', async () => {
    const ns = await cluster.namespace('podtemplate');
    const base = `/api/v1/namespaces/${ns}/podtemplates`;
    const label = { podtemplate: 'set' };
    for (const n of ['podtemplate-1', 'podtemplate-2', 'podtemplate-3']) await c.create(base, podTemplate(n, label));
    assert.equal((await c.get(`${base}?labelSelector=${selector(label)}`)).items.length, 3);
    await c.delete(`${base}?labelSelector=${selector(label)}`);
    assert.deepEqual((await c.get(`${base}?labelSelector=${selector(label)}`)).items, []);
  });

  test('PodTemplate, replace', async () => {
    const ns = await cluster.namespace('podtemplate');
    const base = `/api/v1/namespaces/${ns}/podtemplates`;
    const created = await c.create(base, podTemplate('podtemplate-replace'));
    created.metadata.annotations = { updated: 'true' };
    const replaced = await c.update(`${base}/podtemplate-replace`, created);
    assert.equal(replaced.metadata.annotations.updated, 'true');
    assert.equal((await c.get(`${base}/podtemplate-replace`)).metadata.annotations.updated, 'true');
  });

  // --- Pods as API objects ------------------------------------------------------------

  test('Pods, QOS', async () => {
    const ns = await cluster.namespace('pods');
    const resources = { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '100m', memory: '100Mi' } };
    const pod = await c.create(`/api/v1/namespaces/${ns}/pods`, { metadata: { name: 'pod-qos-class' }, spec: podSpec('registry.k8s.io/pause:3.9', { resources }) });
    assert.equal(pod.status.qosClass, 'Guaranteed');
    assert.equal((await c.get(`/api/v1/namespaces/${ns}/pods/pod-qos-class`)).status.qosClass, 'Guaranteed');
  });

  test('Pods, update', async () => {
    const ns = await cluster.namespace('pods');
    const base = `/api/v1/namespaces/${ns}/pods`;
    const value = String(Date.now());
    await c.create(base, { metadata: { name: 'pod-update', labels: { name: 'foo', time: value } }, spec: podSpec() });
    assert.deepEqual(names(await c.get(`${base}?labelSelector=${selector({ time: value })}`)), ['pod-update']);
    const pod = await c.get(`${base}/pod-update`);
    const newValue = String(Date.now() + 1);
    pod.metadata.labels.time = newValue;
    await c.update(`${base}/pod-update`, pod);
    assert.deepEqual(names(await c.get(`${base}?labelSelector=${selector({ time: newValue })}`)), ['pod-update']);
    assert.deepEqual((await c.get(`${base}?labelSelector=${selector({ time: value })}`)).items, []);
  });

  test('Pods, delete a collection', async () => {
    const ns = await cluster.namespace('pods');
    const base = `/api/v1/namespaces/${ns}/pods`;
    const label = { type: 'Testing' };
    for (const n of ['test-pod-1', 'test-pod-2', 'test-pod-3']) await c.create(base, { metadata: { name: n, labels: label }, spec: podSpec() });
    assert.equal((await c.get(`${base}?labelSelector=${selector(label)}`)).items.length, 3);
    await c.delete(`${base}?labelSelector=${selector(label)}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 1 });
    assert.deepEqual((await c.get(`${base}?labelSelector=${selector(label)}`)).items, []);
  });

  test('Pods, completes the lifecycle of a Pod and the PodStatus', async () => {
    const ns = await cluster.namespace('pods');
    const base = `/api/v1/namespaces/${ns}/pods`;
    const label = { 'test-pod-static': 'true' };
    const list = await c.get(`${base}?labelSelector=${selector(label)}`);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: 'test-pod-static=true' });
    try {
      await c.create(base, { metadata: { name: 'pod-test', labels: label }, spec: { ...podSpec(), terminationGracePeriodSeconds: 1 } });
      await w.until((ev) => ev.type === 'ADDED' && ev.object.metadata.name === 'pod-test');
      const patched = await c.patch(`${base}/pod-test`, 'strategic', {
        metadata: { labels: { 'test-pod': 'patched' } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
      });
      assert.equal(patched.metadata.labels['test-pod'], 'patched');
      assert.equal(patched.spec.containers[0].image, 'registry.k8s.io/pause:3.10');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.labels['test-pod'] === 'patched');
      const st = await c.get(`${base}/pod-test/status`);
      assert.equal(st.status.phase, 'Pending');
      st.status.conditions = [...(st.status.conditions ?? []), { type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }];
      const replaced = await c.update(`${base}/pod-test/status`, st);
      assert.ok(replaced.status.conditions.some((x: Json) => x.type === 'Ready' && x.status === 'True'));
      assert.equal((await c.get(`${base}/pod-test`)).spec.containers[0].image, 'registry.k8s.io/pause:3.10');
      await c.delete(`${base}/pod-test`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 1 });
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'pod-test');
      await c.fails('GET', `${base}/pod-test`, 404);
    } finally {
      w.close();
    }
  });

  test('Sysctls, reject invalid sysctls', async () => {
    const ns = await cluster.namespace('sysctl');
    const st = await c.fails('POST', `/api/v1/namespaces/${ns}/pods`, 422, {
      body: {
        metadata: { name: 'sysctl-pod' },
        spec: {
          ...podSpec(),
          securityContext: {
            sysctls: [
              { name: 'foo-', value: 'bar' },
              { name: 'kernel.shmmax', value: '100000000' },
              { name: 'safe-and-unsafe', value: '100000000' },
              { name: 'bar..', value: '42' },
            ],
          },
        },
      },
    });
    assert.ok(st.message.includes('Invalid value: "foo-"'), st.message);
    assert.ok(st.message.includes('Invalid value: "bar.."'), st.message);
    assert.ok(!st.message.includes('safe-and-unsafe'), st.message);
    assert.ok(!st.message.includes('kernel.shmmax'), st.message);
  });

  // --- Nodes --------------------------------------------------------------------------

  test('Node, resource lifecycle', async () => {
    const name = `e2e-fake-node-${(await cluster.namespace('node')).split('-').pop()}`;
    const created = await c.create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} });
    assert.equal(created.metadata.name, name);
    assert.equal((await c.get(`/api/v1/nodes/${name}`)).metadata.name, name);
    const patched = await c.patch(`/api/v1/nodes/${name}`, 'merge', { metadata: { labels: { [name]: 'patched' } } });
    assert.equal(patched.metadata.labels[name], 'patched');
    assert.deepEqual(names(await c.get(`/api/v1/nodes?labelSelector=${selector({ [name]: 'patched' })}`)), [name]);
    const cur = await c.get(`/api/v1/nodes/${name}`);
    cur.metadata.labels[`${name}-updated`] = 'true';
    const updated = await c.update(`/api/v1/nodes/${name}`, cur);
    assert.equal(updated.metadata.labels[`${name}-updated`], 'true');
    await c.delete(`/api/v1/nodes/${name}`);
    await c.fails('GET', `/api/v1/nodes/${name}`, 404, {}, 'NotFound');
  });

  // --- Leases -------------------------------------------------------------------------

  test('lease API should be available', async () => {
    const ns = await cluster.namespace('lease-test');
    const base = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
    const micro = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const spec = { holderIdentity: 'holder', leaseDurationSeconds: 30, acquireTime: micro(Date.now() - 10_000), renewTime: micro(Date.now() - 5_000), leaseTransitions: 0 };
    const created = await c.create(base, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'lease' }, spec });
    assert.deepEqual(created.spec, spec);
    assert.deepEqual((await c.get(`${base}/lease`)).spec, spec);
    const cur = await c.get(`${base}/lease`);
    const spec2 = { holderIdentity: 'holder2', leaseDurationSeconds: 30, acquireTime: micro(Date.now() - 3_000), renewTime: micro(Date.now() - 2_000), leaseTransitions: 1 };
    cur.spec = spec2;
    await c.update(`${base}/lease`, cur);
    assert.deepEqual((await c.get(`${base}/lease`)).spec, spec2);
    const spec3 = { holderIdentity: 'holder3', leaseDurationSeconds: 60, acquireTime: micro(Date.now() - 1_000), renewTime: micro(Date.now()), leaseTransitions: 2 };
    await c.patch(`${base}/lease`, 'strategic', { spec: spec3 });
    assert.deepEqual((await c.get(`${base}/lease`)).spec, spec3);
    await c.create(base, { metadata: { name: 'lease2', labels: { deletecollection: 'true' } }, spec: { holderIdentity: 'holder' } });
    assert.deepEqual(names(await c.get(base)), ['lease', 'lease2']);
    await c.delete(`${base}?labelSelector=${selector({ deletecollection: 'true' })}`);
    assert.deepEqual(names(await c.get(base)), ['lease']);
    await c.delete(`${base}/lease`);
    await c.fails('GET', `${base}/lease`, 404, {}, 'NotFound');
  });
});
