// [sig-node] RuntimeClass conformance tests that need no scheduler (test/e2e/common/node/
// runtimeclass.go): the node.k8s.io API and the RuntimeClass admission plugin's rejections.
// The two that wait for a pod to be scheduled run against `k8ts up --hollow-nodes 1` in
// conformance/scheduler/runtimeclass.test.ts. Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDiscovery, eventually, names, randomSuffix, startCluster, type Client, type Cluster, type Json } from './harness.ts';

const BASE = '/apis/node.k8s.io/v1/runtimeclasses';

/** runtimeclasstest.NewRuntimeClass. */
const runtimeClass = (name: string, handler: string, labels?: Record<string, string>): Json => ({
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name, ...(labels ? { labels } : {}) },
  handler,
});

/** e2eruntimeclass.NewRuntimeClassPod. */
const runtimeClassPod = (rcName: string): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: `test-runtimeclass-${rcName}-` },
  spec: {
    runtimeClassName: rcName,
    containers: [{ name: 'test', image: 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1', command: ['true'] }],
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
  },
});

describe('[sig-node] RuntimeClass', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  /** expectPodRejection: a dry-run create of the pod is Forbidden. */
  async function expectPodRejection(ns: string, rcName: string): Promise<Json> {
    return c.fails('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, 403, { body: runtimeClassPod(rcName) }, 'Forbidden');
  }

  test('Pod with the non-existing RuntimeClass is rejected.', async () => {
    const ns = await cluster.namespace('runtimeclass');
    const rcName = `${ns}-nonexistent`;
    const status = await expectPodRejection(ns, rcName);
    assert.equal(status.message, `pods "test-runtimeclass-${rcName}-" is forbidden: pod rejected: RuntimeClass "${rcName}" not found`);
  });

  test('Pod with the deleted RuntimeClass is rejected.', async () => {
    const ns = await cluster.namespace('runtimeclass');
    const rcName = `${ns}-delete-me`;
    await c.create(BASE, runtimeClass(rcName, 'runc'));
    // While it exists, the same pod is admitted (dry run).
    await c.ok('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, { body: runtimeClassPod(rcName), expect: 201 });
    await c.delete(`${BASE}/${rcName}`);
    await eventually(async () => (await c.request('GET', `${BASE}/${rcName}`)).status === 404, 60_000, 'the RuntimeClass to disappear');
    await expectPodRejection(ns, rcName);
  });

  test('RuntimeClass API', async () => {
    const unique = `runtimeclass-${randomSuffix()}`;
    const label = { test: unique };
    const rc1 = runtimeClass(`${unique}-conformance-runtime-class`, `${unique}-handler`, label);
    const rc2 = runtimeClass(`${unique}-conformance-runtime-class2`, `${unique}-handler2`, label);
    const rc3 = runtimeClass(`${unique}-conformance-runtime-class3`, `${unique}-handler3`, label);
    const sel = `labelSelector=${encodeURIComponent(`test=${unique}`)}`;

    await checkDiscovery(c, 'node.k8s.io', 'v1', ['runtimeclasses']);

    const created = await c.create(BASE, rc1);
    await c.fails('POST', BASE, 409, { body: rc1 }, 'AlreadyExists');
    await c.create(BASE, rc2);

    const w = await c.watch(BASE, { labelSelector: `test=${unique}` });
    try {
      await c.create(BASE, rc3);
      assert.equal((await c.get(`${BASE}/${rc1.metadata.name}`)).metadata.uid, created.metadata.uid);
      assert.equal((await c.get(`${BASE}?${sel}`)).items.length, 3);

      const patched = await c.patch(`${BASE}/${created.metadata.name}`, 'merge', { metadata: { annotations: { patched: 'true' } } });
      assert.equal(patched.metadata.annotations.patched, 'true');
      const toUpdate = { ...patched, metadata: { ...patched.metadata, annotations: { ...patched.metadata.annotations, updated: 'true' } } };
      const updated = await c.update(`${BASE}/${created.metadata.name}`, toUpdate);
      assert.equal(updated.metadata.annotations.updated, 'true');

      const seen = await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.updated === 'true');
      assert.ok(seen.some((ev) => ev.type === 'ADDED' && ev.object.kind === 'RuntimeClass'), 'an ADDED event for the class created after the watch');
      assert.ok(seen.some((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.patched === 'true'), 'the patch was watched');
    } finally {
      w.close();
    }

    await c.delete(`${BASE}/${created.metadata.name}`);
    await c.fails('GET', `${BASE}/${created.metadata.name}`, 404, {}, 'NotFound');
    assert.equal((await c.get(`${BASE}?${sel}`)).items.length, 2);

    await c.delete(`${BASE}?${sel}`);
    assert.deepEqual(names(await c.get(`${BASE}?${sel}`)), []);
  });

  test('RuntimeClass admission sets the class overhead and scheduling on a new pod', async () => {
    const ns = await cluster.namespace('runtimeclass');
    const rcName = `${ns}-overhead`;
    await c.create(BASE, {
      ...runtimeClass(rcName, 'runc'),
      overhead: { podFixed: { cpu: '10m', memory: '1Mi' } },
      scheduling: { nodeSelector: { 'example.com/sandbox': 'true' }, tolerations: [{ key: 'example.com/sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
    });
    const pod = await c.create(`/api/v1/namespaces/${ns}/pods`, runtimeClassPod(rcName));
    assert.deepEqual(pod.spec.overhead, { cpu: '10m', memory: '1Mi' });
    assert.deepEqual(pod.spec.nodeSelector, { 'example.com/sandbox': 'true' });
    assert.ok(pod.spec.tolerations.some((t: Json) => t.key === 'example.com/sandbox' && t.operator === 'Exists'), JSON.stringify(pod.spec.tolerations));
    const status = await c.fails(
      'POST',
      `/api/v1/namespaces/${ns}/pods`,
      403,
      { body: { ...runtimeClassPod(rcName), spec: { ...runtimeClassPod(rcName).spec, overhead: { cpu: '1' } } } },
      'Forbidden',
    );
    assert.match(status.message, /pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead$/);
    await c.delete(`${BASE}/${rcName}`);
  });
});
