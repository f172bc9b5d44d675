// [sig-api-machinery] conformance tests that need neither running containers nor
// controllers, each named exactly as the upstream `testname`, each doing what the upstream
// description says against a real API server over HTTPS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, selector, startCluster, type Client, type Cluster, type Json, type WatchEvent } from './harness.ts';

describe('[sig-api-machinery]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  // --- discovery and version ----------------------------------------------------------

  test('Discovery, confirm the groupVersion and a resource from each apiGroup', async () => {
    const groups = await c.get('/apis');
    assert.equal(groups.kind, 'APIGroupList');
    assert.ok(groups.groups.length > 0);
    const gvs: string[] = ['v1'];
    for (const g of groups.groups as Json[]) for (const v of g.versions as Json[]) gvs.push(v.groupVersion);
    for (const gv of gvs) {
      const list = await c.get(gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
      assert.equal(list.kind, 'APIResourceList');
      // The resourceList's groupVersion equals the one the group list reports.
      assert.equal(list.groupVersion, gv);
      const top = (list.resources as Json[]).filter((r) => !r.name.includes('/'));
      assert.ok(top.length > 0, `${gv} has no resources`);
      for (const r of top) {
        assert.ok(r.kind && r.singularName !== undefined && typeof r.namespaced === 'boolean' && Array.isArray(r.verbs), JSON.stringify(r));
      }
    }
    // The well-known resources of each group are where clients look for them.
    const expected: Record<string, string> = {
      v1: 'namespaces',
      'apps/v1': 'deployments',
      'autoscaling/v1': 'horizontalpodautoscalers',
      'batch/v1': 'jobs',
      'coordination.k8s.io/v1': 'leases',
      'discovery.k8s.io/v1': 'endpointslices',
      'events.k8s.io/v1': 'events',
      'networking.k8s.io/v1': 'ingresses',
      'policy/v1': 'poddisruptionbudgets',
      'rbac.authorization.k8s.io/v1': 'roles',
      'scheduling.k8s.io/v1': 'priorityclasses',
      'storage.k8s.io/v1': 'storageclasses',
    };
    for (const [gv, resource] of Object.entries(expected)) {
      const list = await c.get(gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
      assert.ok((list.resources as Json[]).some((r) => r.name === resource), `${resource} in ${gv}`);
    }
  });

  test('Discovery, confirm the PreferredVersion for each api group', async () => {
    const groups = await c.get('/apis');
    for (const g of groups.groups as Json[]) {
      if (String(g.name).endsWith('example.com')) continue;
      const pv = g.preferredVersion;
      assert.ok(pv && pv.groupVersion && pv.version, `${g.name} has a preferred version`);
      assert.equal(pv.groupVersion, `${g.name}/${pv.version}`);
      assert.ok((g.versions as Json[]).some((v) => v.groupVersion === pv.groupVersion), `${g.name}: preferred version is served`);
      const doc = await c.get(`/apis/${g.name}`);
      assert.equal(doc.kind, 'APIGroup');
      assert.deepEqual(doc.preferredVersion, pv);
    }
  });

  test('Confirm a server version', async () => {
    const v = await c.get('/version');
    assert.match(v.major, /^\d+$/);
    assert.match(v.minor, /^\d+$/);
    assert.match(v.gitVersion, /^v\d+\.\d+\.\d+/);
  });

  // --- field validation ---------------------------------------------------------------

  const deploymentJson = (name: string, metaExtra: string, specExtra: string) => `{
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
      "name": "${name}",${metaExtra}
      "labels": {"app": "nginx"}
    },
    "spec": {${specExtra}
      "selector": {"matchLabels": {"app": "nginx"}},
      "template": {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]}
      }
    }
  }`;

  test('Server side field validation, typed object', async () => {
    const ns = await cluster.namespace('field-validation');
    const path = `/apis/apps/v1/namespaces/${ns}/deployments?fieldManager=field_validation_mgr&fieldValidation=Strict`;
    const body = deploymentJson('my-dep', '', '\n"unknownField": "foo",\n"replicas": 2,\n"replicas": 3,');
    const st = await c.fails('POST', path, 400, { raw: body, contentType: 'application/json' }, 'BadRequest');
    assert.ok(st.message.includes('strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"'), st.message);
    // Nothing was created.
    await c.fails('GET', `/apis/apps/v1/namespaces/${ns}/deployments/my-dep`, 404);
  });

  test('Server side field validation, typed unknown metadata', async () => {
    const ns = await cluster.namespace('field-validation');
    const path = `/apis/apps/v1/namespaces/${ns}/deployments?fieldManager=field_validation_mgr&fieldValidation=Strict`;
    const body = deploymentJson('my-dep', '\n"unknownMeta": "foo",', '');
    const st = await c.fails('POST', path, 400, { raw: body, contentType: 'application/json' }, 'BadRequest');
    assert.ok(st.message.includes('strict decoding error: unknown field "metadata.unknownMeta"'), st.message);
  });

  // --- namespaces ---------------------------------------------------------------------

  test('Namespace patching', async () => {
    const name = await cluster.namespace('nspatchtest');
    await c.patch(`/api/v1/namespaces/${name}`, 'strategic', { metadata: { labels: { testLabel: 'testValue' } } });
    const ns = await c.get(`/api/v1/namespaces/${name}`);
    assert.equal(ns.metadata.labels.testLabel, 'testValue');
  });

  test('Namespace, apply update to a namespace', async () => {
    const name = await cluster.namespace('e2e-ns');
    const ns = await c.get(`/api/v1/namespaces/${name}`);
    ns.metadata.labels = { ...ns.metadata.labels, 'e2e-ns-update': 'updated' };
    const updated = await c.update(`/api/v1/namespaces/${name}`, ns);
    assert.equal(updated.metadata.labels['e2e-ns-update'], 'updated');
    assert.equal((await c.get(`/api/v1/namespaces/${name}`)).metadata.labels['e2e-ns-update'], 'updated');
  });

  test('Namespace, apply changes to a namespace status', async () => {
    const name = await cluster.namespace('e2e-ns');
    const st = await c.get(`/api/v1/namespaces/${name}/status`);
    assert.equal(st.status.phase, 'Active');
    const patched = await c.patch(`/api/v1/namespaces/${name}/status`, 'strategic', {
      status: { conditions: [{ type: 'StatusPatch', status: 'True', reason: 'E2E', message: 'Patched by an e2e test' }] },
    });
    assert.deepEqual(patched.status.conditions, [{ type: 'StatusPatch', status: 'True', reason: 'E2E', message: 'Patched by an e2e test' }]);
    const cur = await c.get(`/api/v1/namespaces/${name}/status`);
    cur.status.conditions.push({ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Updated by an e2e test' });
    const updated = await c.update(`/api/v1/namespaces/${name}/status`, cur);
    assert.deepEqual(
      updated.status.conditions.map((x: Json) => [x.type, x.message]),
      [
        ['StatusPatch', 'Patched by an e2e test'],
        ['StatusUpdate', 'Updated by an e2e test'],
      ],
    );
    assert.equal((await c.get(`/api/v1/namespaces/${name}`)).status.conditions.length, 2);
  });

  test('Namespace, apply finalizer to a namespace', async () => {
    const name = await cluster.namespace('e2e-ns');
    const fake = 'e2e.example.com/fakeFinalizer';
    const ns = await c.get(`/api/v1/namespaces/${name}`);
    ns.spec.finalizers = [...ns.spec.finalizers, fake];
    const withFinalizer = await c.update(`/api/v1/namespaces/${name}/finalize`, ns);
    assert.ok(withFinalizer.spec.finalizers.includes(fake));
    assert.ok((await c.get(`/api/v1/namespaces/${name}`)).spec.finalizers.includes(fake));
    withFinalizer.spec.finalizers = withFinalizer.spec.finalizers.filter((f: string) => f !== fake);
    const without = await c.update(`/api/v1/namespaces/${name}/finalize`, withFinalizer);
    assert.ok(!without.spec.finalizers.includes(fake));
    assert.deepEqual((await c.get(`/api/v1/namespaces/${name}`)).spec.finalizers, ['kubernetes']);
  });

  // --- resource quotas ----------------------------------------------------------------

  const quota = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, labels },
    spec: { hard: { cpu: '500m', memory: '500Mi' } },
  });

  test('ResourceQuota, update and delete', async () => {
    const ns = await cluster.namespace('resourcequota');
    const base = `/api/v1/namespaces/${ns}/resourcequotas`;
    const created = await c.create(base, quota('test-quota'));
    assert.deepEqual(created.spec.hard, { cpu: '500m', memory: '500Mi' });
    created.spec.hard = { cpu: '1', memory: '1Gi' };
    const updated = await c.update(`${base}/test-quota`, created);
    assert.deepEqual(updated.spec.hard, { cpu: '1', memory: '1Gi' });
    assert.deepEqual((await c.get(`${base}/test-quota`)).spec.hard, { cpu: '1', memory: '1Gi' });
    await c.delete(`${base}/test-quota`);
    await c.fails('GET', `${base}/test-quota`, 404, {}, 'NotFound');
  });

  test('ResourceQuota, manage lifecycle of a ResourceQuota', async () => {
    const ns = await cluster.namespace('resourcequota');
    const base = `/api/v1/namespaces/${ns}/resourcequotas`;
    const label = `e2e-rq-label-${ns}`;
    await c.create(base, quota('e2e-quota', { [label]: 'e2e-rq' }));
    // Listing quotas across all namespaces with the label finds exactly this one.
    const all = await c.get(`/api/v1/resourcequotas?labelSelector=${selector({ [label]: 'e2e-rq' })}`);
    assert.deepEqual(names(all), ['e2e-quota']);
    const patched = await c.patch(`${base}/e2e-quota`, 'strategic', { metadata: { labels: { 'e2e-rq-patched': 'true' } }, spec: { hard: { memory: '750Mi' } } });
    assert.equal(patched.metadata.labels['e2e-rq-patched'], 'true');
    assert.deepEqual(patched.spec.hard, { cpu: '500m', memory: '750Mi' });
    await c.delete(`${base}?labelSelector=${selector({ [label]: 'e2e-rq' })}`);
    const left = await c.get(`/api/v1/resourcequotas?labelSelector=${selector({ [label]: 'e2e-rq' })}`);
    assert.deepEqual(left.items, []);
  });

  test('ResourceQuota, apply changes to a ResourceQuota status', async () => {
    const ns = await cluster.namespace('resourcequota');
    const base = `/api/v1/namespaces/${ns}/resourcequotas`;
    const rq = await c.create(base, quota('e2e-rq-status'));
    assert.deepEqual(rq.status ?? {}, {});
    // Updating the hard status values.
    rq.status = { hard: { cpu: '500m', memory: '500Mi' } };
    const upd = await c.update(`${base}/e2e-rq-status/status`, rq);
    assert.deepEqual(upd.status.hard, upd.spec.hard);
    // Patching the spec.
    const specPatched = await c.patch(`${base}/e2e-rq-status`, 'strategic', { spec: { hard: { cpu: '1', memory: '1Gi' } } });
    assert.deepEqual(specPatched.spec.hard, { cpu: '1', memory: '1Gi' });
    assert.deepEqual(specPatched.status.hard, { cpu: '500m', memory: '500Mi' }, 'a spec patch leaves the status alone');
    // Patching the status to the new spec values.
    const statusPatched = await c.patch(`${base}/e2e-rq-status/status`, 'strategic', { status: { hard: { cpu: '1', memory: '1Gi' } } });
    assert.deepEqual(statusPatched.status.hard, statusPatched.spec.hard);
    const got = await c.get(`${base}/e2e-rq-status/status`);
    assert.deepEqual(got.status.hard, got.spec.hard);
    // Repatching the status (with a spec in the patch): the spec does not change.
    const repatched = await c.patch(`${base}/e2e-rq-status/status`, 'merge', { spec: { hard: { cpu: '9' } }, status: { hard: { cpu: '2', memory: '2Gi' } } });
    assert.deepEqual(repatched.status.hard, { cpu: '2', memory: '2Gi' });
    assert.deepEqual(repatched.spec.hard, { cpu: '1', memory: '1Gi' });
    assert.deepEqual((await c.get(`${base}/e2e-rq-status`)).spec.hard, { cpu: '1', memory: '1Gi' });
  });

  // --- chunking -----------------------------------------------------------------------

  const TOTAL = 400;
  async function createTemplates(ns: string): Promise<void> {
    const ids = Array.from({ length: TOTAL }, (_, i) => i);
    const worker = async () => {
      for (let i = ids.shift(); i !== undefined; i = ids.shift()) {
        await c.create(`/api/v1/namespaces/${ns}/podtemplates`, {
          metadata: { name: `template-${String(i).padStart(4, '0')}` },
          template: { spec: { containers: [{ name: 'test', image: 'test2' }] } },
        });
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
  }

  function checkRemaining(list: Json, found: number): void {
    if (!list.metadata.continue) assert.equal(list.metadata.remainingItemCount, undefined);
    else assert.equal(list.metadata.remainingItemCount + list.items.length + found, TOTAL);
  }

  test('API Chunking, server should return chunks of results for list calls', async () => {
    const ns = await cluster.namespace('chunking');
    await createTemplates(ns);
    const base = `/api/v1/namespaces/${ns}/podtemplates`;
    for (let round = 0; round < 3; round++) {
      let found = 0;
      let lastRv = '';
      let cont = '';
      for (;;) {
        const limit = 1 + Math.floor(Math.random() * (TOTAL / 10));
        const list = await c.get(`${base}?limit=${limit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        assert.ok(list.items.length <= limit);
        if (!lastRv) lastRv = list.metadata.resourceVersion;
        assert.equal(list.metadata.resourceVersion, lastRv, 'every chunk is read at the first chunk\'s resourceVersion');
        checkRemaining(list, found);
        for (const item of list.items) assert.equal(item.metadata.name, `template-${String(found++).padStart(4, '0')}`);
        if (!list.metadata.continue) break;
        cont = list.metadata.continue;
      }
      assert.equal(found, TOTAL);
    }
    const all = await c.get(`${base}?limit=${TOTAL + 1}`);
    assert.equal(all.items.length, TOTAL);
    assert.equal(all.metadata.continue, undefined);
  });

  test('API Chunking, server should support continue listing from the last key even if the original version has been compacted away', async () => {
    const ns = await cluster.namespace('chunking');
    await createTemplates(ns);
    const base = `/api/v1/namespaces/${ns}/podtemplates`;
    const oneTenth = TOTAL / 10;
    const first = await c.get(`${base}?limit=${oneTenth}`);
    checkRemaining(first, 0);
    const firstToken = first.metadata.continue as string;
    const firstRv = first.metadata.resourceVersion as string;
    // Move on and compact away the first page's revision (upstream waits for the periodic compaction).
    await c.create(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'after-first-page' } });
    const store = cluster.server.storage.store;
    await store.compact((await store.status()).header.revision);
    const expired = await c.fails('GET', `${base}?limit=${oneTenth}&continue=${encodeURIComponent(firstToken)}`, 410, {}, 'Expired');
    const inconsistent = expired.metadata.continue as string;
    assert.ok(inconsistent, 'the 410 carries a continue token for an inconsistent continuation');

    let found = oneTenth;
    const second = await c.get(`${base}?limit=${oneTenth}&continue=${encodeURIComponent(inconsistent)}`);
    assert.notEqual(second.metadata.resourceVersion, firstRv);
    assert.equal(second.items.length, oneTenth);
    checkRemaining(second, found);
    for (const item of second.items) assert.equal(item.metadata.name, `template-${String(found++).padStart(4, '0')}`);
    const lastRv = second.metadata.resourceVersion;
    let cont = second.metadata.continue as string;
    for (;;) {
      const list = await c.get(`${base}?limit=${oneTenth}&continue=${encodeURIComponent(cont)}`);
      checkRemaining(list, found);
      assert.ok(list.items.length <= oneTenth);
      assert.equal(list.metadata.resourceVersion, lastRv);
      for (const item of list.items) assert.equal(item.metadata.name, `template-${String(found++).padStart(4, '0')}`);
      if (!list.metadata.continue) break;
      cont = list.metadata.continue;
    }
    assert.equal(found, TOTAL);
  });

  // --- watch --------------------------------------------------------------------------

  const cm = (name: string, labels: Record<string, string>, data?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels },
    ...(data ? { data } : {}),
  });

  function expectEvent(ev: WatchEvent, type: WatchEvent['type'], name: string, mutation?: string): void {
    assert.equal(ev.type, type, JSON.stringify(ev));
    assert.equal(ev.object.kind, 'ConfigMap');
    assert.equal(ev.object.metadata.name, name);
    if (mutation !== undefined) assert.equal(ev.object.data?.mutation, mutation);
  }

  test('watch-configmaps-with-multiple-watchers', async () => {
    const ns = await cluster.namespace('watch');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const label = 'watch-this-configmap';
    const watchA = await c.watch(base, { labelSelector: `${label}=multiple-watchers-A` });
    const watchB = await c.watch(base, { labelSelector: `${label}=multiple-watchers-B` });
    const watchAB = await c.watch(base, { labelSelector: `${label} in (multiple-watchers-A,multiple-watchers-B)` });
    try {
      for (const [which, own, other] of [
        ['A', watchA, watchB],
        ['B', watchB, watchA],
      ] as const) {
        const name = `e2e-watch-test-configmap-${which.toLowerCase()}`;
        await c.create(base, cm(name, { [label]: `multiple-watchers-${which}` }));
        for (const w of [own, watchAB]) expectEvent(await w.next(), 'ADDED', name);
        await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '1' } });
        for (const w of [own, watchAB]) expectEvent(await w.next(), 'MODIFIED', name, '1');
        await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '2' } });
        for (const w of [own, watchAB]) expectEvent(await w.next(), 'MODIFIED', name, '2');
        await c.delete(`${base}/${name}`);
        for (const w of [own, watchAB]) expectEvent(await w.next(), 'DELETED', name);
        await other.expectNothing(100);
      }
      // A configmap matching neither selector is seen by nobody.
      await c.create(base, cm('e2e-watch-test-unlabeled', { [label]: 'someone-else' }));
      for (const w of [watchA, watchB, watchAB]) await w.expectNothing(100);
    } finally {
      for (const w of [watchA, watchB, watchAB]) w.close();
    }
  });

  test('watch-configmaps-from-resource-version', async () => {
    const ns = await cluster.namespace('watch');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const name = 'e2e-watch-test-resource-version';
    const labels = { 'watch-this-configmap': 'from-resource-version' };
    await c.create(base, cm(name, labels));
    const first = await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '1' } });
    await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '2' } });
    await c.delete(`${base}/${name}`);
    const w = await c.watch(base, { resourceVersion: first.metadata.resourceVersion, labelSelector: 'watch-this-configmap=from-resource-version' });
    try {
      expectEvent(await w.next(), 'MODIFIED', name, '2');
      expectEvent(await w.next(), 'DELETED', name, '2');
      await w.expectNothing(200);
    } finally {
      w.close();
    }
  });

  test('watch-configmaps-closed-and-restarted', async () => {
    const ns = await cluster.namespace('watch');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const name = 'e2e-watch-test-watch-closed';
    const sel = { labelSelector: 'watch-this-configmap=watch-closed-and-restarted' };
    const w1 = await c.watch(base, sel);
    await c.create(base, cm(name, { 'watch-this-configmap': 'watch-closed-and-restarted' }));
    await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '1' } });
    expectEvent(await w1.next(), 'ADDED', name);
    const last = await w1.next();
    expectEvent(last, 'MODIFIED', name, '1');
    w1.close();
    // Changes while no watch is open...
    await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '2' } });
    await c.delete(`${base}/${name}`);
    // ...are delivered to a watch restarted from the last resourceVersion observed.
    const w2 = await c.watch(base, { ...sel, resourceVersion: last.object.metadata.resourceVersion });
    try {
      expectEvent(await w2.next(), 'MODIFIED', name, '2');
      expectEvent(await w2.next(), 'DELETED', name);
    } finally {
      w2.close();
    }
  });

  test('watch-configmaps-label-changed', async () => {
    const ns = await cluster.namespace('watch');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const name = 'e2e-watch-test-label-changed';
    const label = 'watch-this-configmap';
    const w = await c.watch(base, { labelSelector: `${label}=label-changed-and-restored` });
    try {
      await c.create(base, cm(name, { [label]: 'label-changed-and-restored' }));
      expectEvent(await w.next(), 'ADDED', name);
      await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '1' } });
      expectEvent(await w.next(), 'MODIFIED', name, '1');
      // No longer matching the selector: a DELETED event.
      await c.patch(`${base}/${name}`, 'merge', { metadata: { labels: { [label]: 'wrong-value' } } });
      expectEvent(await w.next(), 'DELETED', name);
      // Changes while it does not match are not seen.
      await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '2' } });
      await w.expectNothing(200);
      // Matching again: ADDED with the change made meanwhile.
      await c.patch(`${base}/${name}`, 'merge', { metadata: { labels: { [label]: 'label-changed-and-restored' } } });
      expectEvent(await w.next(), 'ADDED', name, '2');
      await c.patch(`${base}/${name}`, 'merge', { data: { mutation: '3' } });
      expectEvent(await w.next(), 'MODIFIED', name, '3');
      await c.delete(`${base}/${name}`);
      expectEvent(await w.next(), 'DELETED', name, '3');
    } finally {
      w.close();
    }
  });

  test('watch-consistency', async () => {
    const ns = await cluster.namespace('watch');
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const list = await c.get(base);
    const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion });
    // Writes on a "background goroutine": creates, updates and deletes of a few configmaps.
    const TOTAL_EVENTS = 120;
    const producer = (async () => {
      const present = new Set<string>();
      for (let i = 0; i < TOTAL_EVENTS; i++) {
        const name = `cm-${i % 7}`;
        if (!present.has(name)) {
          await c.create(base, cm(name, {}, { n: String(i) }));
          present.add(name);
        } else if (i % 3 === 0) {
          await c.delete(`${base}/${name}`);
          present.delete(name);
        } else await c.patch(`${base}/${name}`, 'merge', { data: { n: String(i) } });
      }
    })();
    const watchers: { from: number; w: Awaited<ReturnType<Client['watch']>> }[] = [];
    const seen: WatchEvent[] = [];
    try {
      for (let i = 0; i < TOTAL_EVENTS; i++) {
        const ev = await w.next(10_000);
        seen.push(ev);
        // For every event of the first watch, a new watch from that event's resourceVersion.
        if (i % 10 === 0) watchers.push({ from: i, w: await c.watch(base, { resourceVersion: ev.object.metadata.resourceVersion }) });
      }
      await producer;
      for (const { from, w: other } of watchers) {
        for (let j = from + 1; j < seen.length; j++) {
          const ev = await other.next(10_000);
          assert.equal(ev.type, seen[j]!.type);
          assert.equal(ev.object.metadata.name, seen[j]!.object.metadata.name);
          assert.equal(ev.object.metadata.resourceVersion, seen[j]!.object.metadata.resourceVersion, `watch from event ${from}, event ${j}`);
        }
      }
    } finally {
      await producer.catch(() => undefined);
      w.close();
      for (const x of watchers) x.w.close();
    }
  });

  // --- table conversion ---------------------------------------------------------------

  test('API metadata HTTP return', async () => {
    // Upstream posts a SelfSubjectAccessReview asking for a Table; any backend that cannot
    // produce object metadata answers 406. Here: the scale subresource, which (as upstream)
    // has no Table conversion.
    const ns = await cluster.namespace('tables');
    await c.create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    const st = await c.fails('GET', `/apis/apps/v1/namespaces/${ns}/deployments/d/scale`, 406, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }, 'NotAcceptable');
    assert.ok(st.message.length > 0);
  });
});
