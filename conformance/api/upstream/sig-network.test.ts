// [sig-network] conformance tests of the networking APIs as API objects (no traffic, no
// endpoint controllers). Named exactly as the upstream `testname`s; "EndpointSlice API" names
// four upstream tests, the codename comment says which one a test is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiOperations, checkDiscovery, names, selector, startCluster, type Client, type Cluster, type Json } from './harness.ts';

describe('[sig-network]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  // codename: [sig-network] EndpointSlice should support creating EndpointSlice API operations [Conformance]
  test('EndpointSlice API', async () => {
    const ns = await cluster.namespace('endpointslice');
    await checkDiscovery(c, 'discovery.k8s.io', 'v1', ['endpointslices']);
    await apiOperations(c, {
      base: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      allNamespaces: '/apis/discovery.k8s.io/v1/endpointslices',
      label: { 'special-label': ns },
      make: (name, labels) => ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name, labels },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['1.2.3.4', '5.6.7.8'] }],
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      }),
    });
  });

  test('Ingress API', async () => {
    const ns = await cluster.namespace('ingress');
    await checkDiscovery(c, 'networking.k8s.io', 'v1', ['ingresses', 'ingresses/status']);
    const base = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`;
    const ingress = (name: string, labels: Record<string, string>) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, labels },
      spec: {
        defaultBackend: { service: { name: 'default-backend', port: { number: 8080 } } },
        rules: [{ host: 'foo.bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'test-backend', port: { number: 8080 } } } }] } }],
      },
    });
    // The /status subresource: update and patch.
    const st = await c.create(base, ingress('status-ingress', {}));
    const lb = { ingress: [{ ip: '169.1.1.1' }] };
    const patched = await c.patch(`${base}/status-ingress/status`, 'merge', { metadata: { annotations: { patchedstatus: 'true' } }, status: { loadBalancer: lb } });
    assert.deepEqual(patched.status.loadBalancer, lb);
    assert.equal(patched.metadata.annotations.patchedstatus, 'true');
    const cur = await c.get(`${base}/status-ingress/status`);
    cur.status.loadBalancer = { ingress: [{ ip: '169.1.1.2' }] };
    const updated = await c.update(`${base}/status-ingress/status`, cur);
    assert.deepEqual(updated.status.loadBalancer, { ingress: [{ ip: '169.1.1.2' }] });
    assert.equal((await c.get(`${base}/status-ingress`)).metadata.uid, st.metadata.uid);
    await c.delete(`${base}/status-ingress`);
    await apiOperations(c, { base, allNamespaces: '/apis/networking.k8s.io/v1/ingresses', label: { 'special-label': ns }, make: ingress });
  });

  test('IngressClass API', async () => {
    const ns = await cluster.namespace('ingressclass');
    await checkDiscovery(c, 'networking.k8s.io', 'v1', ['ingressclasses']);
    await apiOperations(c, {
      base: '/apis/networking.k8s.io/v1/ingressclasses',
      label: { ingressclass: ns },
      // Cluster-scoped: the names carry the test's namespace to stay unique.
      make: (name, labels) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, labels }, spec: { controller: 'example.com/controller' } }),
    });
  });

  const service = (name: string, labels: Record<string, string> = {}, spec: Json = {}) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 80 }], selector: { test: 'x' }, ...spec },
  });

  test('Service, complete ServiceStatus lifecycle', async () => {
    const ns = await cluster.namespace('services');
    const base = `/api/v1/namespaces/${ns}/services`;
    const list = await c.get(base);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion });
    try {
      const created = await c.create(base, service('test-service', { 'test-service-static': 'true' }, { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false }));
      await w.until((ev) => ev.type === 'ADDED' && ev.object.metadata.name === 'test-service');
      const st = await c.get(`${base}/test-service/status`);
      assert.equal(st.metadata.uid, created.metadata.uid);
      const lb = { ingress: [{ ip: '203.0.113.1' }] };
      const patched = await c.patch(`${base}/test-service/status`, 'merge', { metadata: { annotations: { patchedstatus: 'true' } }, status: { loadBalancer: lb } });
      // ipMode defaults to VIP (the LoadBalancerIPMode gate is on in 1.30).
      assert.deepEqual(patched.status.loadBalancer, { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP' }] });
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.patchedstatus === 'true' && ev.object.status?.loadBalancer?.ingress?.[0]?.ip === '203.0.113.1');
      const cur = await c.get(`${base}/test-service/status`);
      cur.status.conditions = [{ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }];
      const updated = await c.update(`${base}/test-service/status`, cur);
      assert.equal(updated.status.conditions[0].type, 'StatusUpdate');
      await w.until((ev) => ev.type === 'MODIFIED' && (ev.object.status?.conditions ?? []).some((x: Json) => x.type === 'StatusUpdate'));
      const svcPatched = await c.patch(`${base}/test-service`, 'merge', { metadata: { labels: { 'test-service': 'patched' } } });
      assert.equal(svcPatched.metadata.labels['test-service'], 'patched');
      assert.equal(svcPatched.status.conditions[0].type, 'StatusUpdate', 'the status survives a spec patch');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.labels['test-service'] === 'patched');
      await c.delete(`${base}/test-service`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'test-service');
    } finally {
      w.close();
    }
  });

  test('Service, deletes a collection of services', async () => {
    const ns = await cluster.namespace('services');
    const base = `/api/v1/namespaces/${ns}/services`;
    const label = { 'e2e-test-service': 'delete' };
    await c.create(base, service('service-1', label));
    await c.create(base, service('service-2', label));
    await c.create(base, service('service-3', {}));
    assert.equal((await c.get(base)).items.length, 3);
    await c.delete(`${base}?labelSelector=${selector(label)}`);
    assert.deepEqual(names(await c.get(base)), ['service-3']);
  });

  test('Kubernetes Service', async () => {
    const svc = await c.get('/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.metadata.name, 'kubernetes');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.ok(svc.spec.clusterIP, 'it has a cluster IP');
    const https = (svc.spec.ports as Json[]).find((p) => p.name === 'https');
    assert.equal(https?.port, 443);
    assert.equal(https?.protocol, 'TCP');
    assert.deepEqual(svc.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });
  });

  test('Find Kubernetes Service in default Namespace', async () => {
    const all = await c.get('/api/v1/services');
    const found = (all.items as Json[]).find((s) => s.metadata.name === 'kubernetes' && s.metadata.namespace === 'default');
    assert.ok(found, 'the kubernetes service is listed across all namespaces');
  });

  test('Endpoint resource lifecycle', async () => {
    const ns = await cluster.namespace('endpoints');
    const base = `/api/v1/namespaces/${ns}/endpoints`;
    const label = { 'test-endpoint-static': 'true' };
    const list = await c.get(base);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: 'test-endpoint-static=true' });
    try {
      await c.create(base, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'testservice', labels: label },
        subsets: [{ addresses: [{ ip: '10.0.0.24' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
      });
      await w.until((ev) => ev.type === 'ADDED' && ev.object.metadata.name === 'testservice');
      assert.equal((await c.get(`/api/v1/endpoints?labelSelector=${selector(label)}`)).items.length, 1);
      const cur = await c.get(`${base}/testservice`);
      cur.metadata.labels['test-service'] = 'updated';
      await c.update(`${base}/testservice`, cur);
      assert.equal((await c.get(`${base}/testservice`)).metadata.labels['test-service'], 'updated');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.labels['test-service'] === 'updated');
      const patched = await c.patch(`${base}/testservice`, 'strategic', {
        metadata: { labels: { 'test-service': 'patched' } },
        subsets: [{ addresses: [{ ip: '10.0.0.25' }], ports: [{ name: 'http-test', port: 8080, protocol: 'TCP' }] }],
      });
      assert.equal(patched.metadata.labels['test-service'], 'patched');
      const got = await c.get(`${base}/testservice`);
      assert.equal(got.subsets[0].addresses[0].ip, '10.0.0.25');
      assert.equal(got.subsets[0].ports[0].port, 8080);
      await c.delete(`${base}?labelSelector=${selector(label)}`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'testservice');
      await c.fails('GET', `${base}/testservice`, 404);
    } finally {
      w.close();
    }
  });
});
