// [sig-apps] conformance tests that exercise the workload APIs themselves (create, list,
// watch, patch, status and scale subresources, deletecollection): no running containers and
// no controllers. Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, selector, startCluster, type Client, type Cluster, type Json, type WatchStream } from './harness.ts';

const template = (labels: Record<string, string>, extra: Json = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'httpd', image: 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4' }], ...extra },
});

const workload = (kind: string, name: string, labels: Record<string, string>, spec: Json = {}) => ({
  apiVersion: kind === 'ReplicationController' ? 'v1' : 'apps/v1',
  kind,
  metadata: { name, labels },
  spec:
    kind === 'ReplicationController'
      ? { replicas: 1, selector: labels, template: template(labels), ...spec }
      : { ...(kind === 'DaemonSet' ? {} : { replicas: 1 }), selector: { matchLabels: labels }, template: template(labels), ...spec },
});

/** Reads, updates and patches the status subresource; every change is visible to later reads and to a watch. */
async function statusSubresource(c: Client, base: string, name: string): Promise<void> {
  const list = await c.get(base);
  const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, fieldSelector: `metadata.name=${name}` });
  try {
    const got = await c.get(`${base}/${name}/status`);
    assert.equal(got.metadata.name, name);
    got.status = { ...(got.status ?? {}), conditions: [...(got.status?.conditions ?? []), { type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test' }] };
    const updated = await c.update(`${base}/${name}/status`, got);
    assert.ok(updated.status.conditions.some((x: Json) => x.type === 'StatusUpdate' && x.message === 'Set from e2e test'));
    await w.until((ev) => ev.type === 'MODIFIED' && (ev.object.status?.conditions ?? []).some((x: Json) => x.type === 'StatusUpdate'));
    const patched = await c.patch(`${base}/${name}/status`, 'merge', {
      metadata: { annotations: { patchedstatus: 'true' } },
      status: { conditions: [{ type: 'StatusPatched', status: 'True', reason: 'E2E', message: 'Patched from e2e test' }] },
    });
    assert.equal(patched.metadata.annotations.patchedstatus, 'true');
    assert.deepEqual(patched.status.conditions.map((x: Json) => x.type), ['StatusPatched']);
    await w.until((ev) => ev.type === 'MODIFIED' && (ev.object.status?.conditions ?? []).some((x: Json) => x.type === 'StatusPatched'));
    const reread = await c.get(`${base}/${name}/status`);
    assert.deepEqual(reread.status.conditions.map((x: Json) => x.type), ['StatusPatched']);
    assert.deepEqual(reread.spec, got.spec, 'status writes leave the spec alone');
  } finally {
    w.close();
  }
}

describe('[sig-apps]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  // --- CronJob ------------------------------------------------------------------------

  test('CronJob API Operations', async () => {
    const ns = await cluster.namespace('cronjob');
    const base = `/apis/batch/v1/namespaces/${ns}/cronjobs`;
    const label = { 'special-label': ns };
    const cronJob = (name: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, labels: label },
      spec: {
        schedule: '*/1 * * * ?',
        concurrencyPolicy: 'Allow',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '300'] }] } } } },
      },
    });
    const created = await c.create(base, cronJob('e2e-cronjob-1'));
    await c.create(base, cronJob('e2e-cronjob-2'));
    assert.equal((await c.get(`${base}/e2e-cronjob-1`)).metadata.uid, created.metadata.uid);
    const inNs = await c.get(`${base}?labelSelector=${selector(label)}`);
    assert.equal(inNs.items.length, 2);
    const everywhere = await c.get(`/apis/batch/v1/cronjobs?labelSelector=${selector(label)}`);
    assert.equal(everywhere.items.length, 2);
    const w = await c.watch(base, { resourceVersion: inNs.metadata.resourceVersion, labelSelector: `special-label=${ns}` });
    try {
      const patched = await c.patch(`${base}/e2e-cronjob-1`, 'merge', { metadata: { annotations: { patched: 'true' } } });
      assert.equal(patched.metadata.annotations.patched, 'true');
      const cur = await c.get(`${base}/e2e-cronjob-1`);
      cur.metadata.annotations.updated = 'true';
      const updated = await c.update(`${base}/e2e-cronjob-1`, cur);
      assert.equal(updated.metadata.annotations.updated, 'true');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.updated === 'true');

      // status subresource
      const st = await c.get(`${base}/e2e-cronjob-1/status`);
      assert.equal(st.metadata.uid, created.metadata.uid);
      const now1 = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const ps = await c.patch(`${base}/e2e-cronjob-1/status`, 'merge', { metadata: { annotations: { patchedstatus: 'true' } }, status: { lastScheduleTime: now1 } });
      assert.equal(ps.status.lastScheduleTime, now1);
      assert.equal(ps.metadata.annotations.patchedstatus, 'true');
      const now2 = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      ps.status.lastScheduleTime = now2;
      const us = await c.update(`${base}/e2e-cronjob-1/status`, ps);
      assert.equal(us.status.lastScheduleTime, now2);
      assert.equal((await c.get(`${base}/e2e-cronjob-1/status`)).status.lastScheduleTime, now2);

      await c.delete(`${base}/e2e-cronjob-1`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'e2e-cronjob-1');
      assert.deepEqual(names(await c.get(`${base}?labelSelector=${selector(label)}`)), ['e2e-cronjob-2']);
      await c.delete(`${base}?labelSelector=${selector(label)}`);
      assert.deepEqual((await c.get(`${base}?labelSelector=${selector(label)}`)).items, []);
    } finally {
      w.close();
    }
  });

  // --- DaemonSet ----------------------------------------------------------------------

  test('DaemonSet, list and delete a collection of DaemonSets', async () => {
    const ns = await cluster.namespace('daemonsets');
    const label = { 'daemonset-name': 'daemon-set' };
    await c.create(`/apis/apps/v1/namespaces/${ns}/daemonsets`, workload('DaemonSet', 'daemon-set', label));
    const listed = await c.get(`/apis/apps/v1/daemonsets?labelSelector=${selector(label)}`);
    assert.ok(names(listed).includes('daemon-set'));
    await c.delete(`/apis/apps/v1/namespaces/${ns}/daemonsets?labelSelector=${selector(label)}`);
    assert.deepEqual((await c.get(`/apis/apps/v1/namespaces/${ns}/daemonsets?labelSelector=${selector(label)}`)).items, []);
  });

  test('DaemonSet, status sub-resource', async () => {
    const ns = await cluster.namespace('daemonsets');
    const base = `/apis/apps/v1/namespaces/${ns}/daemonsets`;
    await c.create(base, workload('DaemonSet', 'daemon-set', { 'daemonset-name': 'daemon-set' }));
    await statusSubresource(c, base, 'daemon-set');
  });

  // --- Deployment ---------------------------------------------------------------------

  test('Deployment, status sub-resource', async () => {
    const ns = await cluster.namespace('deployment');
    const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
    await c.create(base, workload('Deployment', 'test-deployment', { 'test-deployment-static': 'true' }));
    await statusSubresource(c, base, 'test-deployment');
  });

  // --- ReplicaSet ---------------------------------------------------------------------

  test('ReplicaSet, list and delete a collection of ReplicaSets', async () => {
    const ns = await cluster.namespace('replicaset');
    const label = { 'test-rs': ns };
    await c.create(`/apis/apps/v1/namespaces/${ns}/replicasets`, workload('ReplicaSet', 'test-rs', label));
    const listed = await c.get(`/apis/apps/v1/replicasets?labelSelector=${selector(label)}`);
    assert.deepEqual(names(listed), ['test-rs']);
    await c.delete(`/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=${selector(label)}`);
    assert.deepEqual((await c.get(`/apis/apps/v1/replicasets?labelSelector=${selector(label)}`)).items, []);
  });

  test('ReplicaSet, status sub-resource', async () => {
    const ns = await cluster.namespace('replicaset');
    const base = `/apis/apps/v1/namespaces/${ns}/replicasets`;
    await c.create(base, workload('ReplicaSet', 'test-rs', { name: 'sample-pod', pod: 'httpd' }));
    await statusSubresource(c, base, 'test-rs');
  });

  // --- ReplicationController ----------------------------------------------------------

  test('Replication Controller, get and update ReplicationController scale', async () => {
    const ns = await cluster.namespace('replication-controller');
    const base = `/api/v1/namespaces/${ns}/replicationcontrollers`;
    await c.create(base, workload('ReplicationController', 'e2e-rc', { name: 'e2e-rc' }));
    const scale = await c.get(`${base}/e2e-rc/scale`);
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 1);
    scale.spec.replicas = 2;
    const updated = await c.update(`${base}/e2e-rc/scale`, scale);
    assert.equal(updated.spec.replicas, 2);
    assert.equal((await c.get(`${base}/e2e-rc`)).spec.replicas, 2);
    assert.equal((await c.get(`${base}/e2e-rc/scale`)).spec.replicas, 2);
  });

  test('Replication Controller, lifecycle', async () => {
    const ns = await cluster.namespace('replication-controller');
    const base = `/api/v1/namespaces/${ns}/replicationcontrollers`;
    const label = { 'test-rc-static': 'true' };
    const list = await c.get(`/api/v1/replicationcontrollers?labelSelector=${selector(label)}`);
    const w = await c.watch('/api/v1/replicationcontrollers', { resourceVersion: list.metadata.resourceVersion, labelSelector: 'test-rc-static=true' });
    try {
      await c.create(base, workload('ReplicationController', 'rc-test', label, { replicas: 1 }));
      await w.until((ev) => ev.type === 'ADDED' && ev.object.metadata.name === 'rc-test');
      assert.equal((await c.get(`${base}/rc-test`)).spec.replicas, 1);
      // patch labels
      const patched = await c.patch(`${base}/rc-test`, 'strategic', { metadata: { labels: { 'test-rc': 'patched' } }, spec: { replicas: 1, template: { spec: { terminationGracePeriodSeconds: 1 } } } });
      assert.equal(patched.metadata.labels['test-rc'], 'patched');
      assert.equal(patched.spec.template.spec.terminationGracePeriodSeconds, 1);
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.labels['test-rc'] === 'patched');
      // patch status
      const ps = await c.patch(`${base}/rc-test/status`, 'strategic', { status: { readyReplicas: 0, availableReplicas: 0 } });
      assert.equal(ps.metadata.labels['test-rc'], 'patched');
      const rs = await c.get(`${base}/rc-test/status`);
      assert.equal(rs.metadata.name, 'rc-test');
      // scale up through the scale subresource
      const scaled = await c.patch(`${base}/rc-test/scale`, 'merge', { spec: { replicas: 2 } });
      assert.equal(scaled.spec.replicas, 2);
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.spec.replicas === 2);
      // update status
      const cur = await c.get(`${base}/rc-test/status`);
      cur.status = { ...cur.status, replicas: 2, readyReplicas: 2, availableReplicas: 2, fullyLabeledReplicas: 2 };
      const us = await c.update(`${base}/rc-test/status`, cur);
      assert.equal(us.status.readyReplicas, 2);
      assert.equal((await c.get(`${base}/rc-test`)).status.availableReplicas, 2);
      // find it across namespaces, then delete the collection
      const all = await c.get(`/api/v1/replicationcontrollers?labelSelector=${selector(label)}`);
      assert.deepEqual(names(all), ['rc-test']);
      await c.delete(`${base}?labelSelector=${selector(label)}`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'rc-test');
      await c.fails('GET', `${base}/rc-test`, 404);
    } finally {
      w.close();
    }
  });

  // --- StatefulSet --------------------------------------------------------------------

  const statefulSet = (name: string, labels: Record<string, string>) => workload('StatefulSet', name, labels, { serviceName: 'test' });

  test('StatefulSet resource Replica scaling', async () => {
    const ns = await cluster.namespace('statefulset');
    const base = `/apis/apps/v1/namespaces/${ns}/statefulsets`;
    await c.create(base, statefulSet('ss', { baz: 'blah', foo: 'bar' }));
    const scale = await c.get(`${base}/ss/scale`);
    assert.equal(scale.spec.replicas, 1);
    assert.equal(scale.status.selector, 'baz=blah,foo=bar');
    scale.spec.replicas = 2;
    assert.equal((await c.update(`${base}/ss/scale`, scale)).spec.replicas, 2);
    assert.equal((await c.get(`${base}/ss`)).spec.replicas, 2);
  });

  test('StatefulSet, list, patch and delete a collection of StatefulSets', async () => {
    const ns = await cluster.namespace('statefulset');
    const base = `/apis/apps/v1/namespaces/${ns}/statefulsets`;
    const label = { 'test-ss': 'true' };
    await c.create(base, statefulSet('test-ss', label));
    const listed = await c.get(`/apis/apps/v1/statefulsets?labelSelector=${selector(label)}`);
    assert.ok(names(listed).includes('test-ss'));
    const patched = await c.patch(`${base}/test-ss`, 'merge', {
      metadata: { labels: { 'test-ss': 'patched' } },
      spec: { replicas: 2, template: { spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'httpd', image: 'registry.k8s.io/e2e-test-images/httpd:2.4.39-4' }] } } },
    });
    assert.equal(patched.metadata.labels['test-ss'], 'patched');
    assert.equal(patched.spec.template.spec.containers[0].image, 'registry.k8s.io/e2e-test-images/httpd:2.4.39-4');
    await c.delete(`${base}?labelSelector=${selector({ 'test-ss': 'patched' })}`);
    assert.deepEqual((await c.get(`${base}?labelSelector=${selector({ 'test-ss': 'patched' })}`)).items, []);
  });

  test('StatefulSet, status sub-resource', async () => {
    const ns = await cluster.namespace('statefulset');
    const base = `/apis/apps/v1/namespaces/${ns}/statefulsets`;
    await c.create(base, statefulSet('test-ss', { foo: 'bar' }));
    await statusSubresource(c, base, 'test-ss');
  });

  // --- PodDisruptionBudget ------------------------------------------------------------

  const pdb = (name: string, labels: Record<string, string> = {}, spec: Json = { minAvailable: 1 }) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, labels },
    spec: { selector: { matchLabels: { foo: 'bar' } }, ...spec },
  });

  test('PodDisruptionBudget: list and delete collection', async () => {
    const ns = await cluster.namespace('disruption');
    const ns2 = await cluster.namespace('disruption-2');
    const base = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
    const label = { e2e: ns };
    for (const n of ['pdb-1', 'pdb-2', 'pdb-3']) await c.create(base, pdb(n, label));
    await c.create(`/apis/policy/v1/namespaces/${ns2}/poddisruptionbudgets`, pdb('pdb-other', label));
    assert.equal((await c.get(`/apis/policy/v1/poddisruptionbudgets?labelSelector=${selector(label)}`)).items.length, 4);
    await c.delete(base);
    assert.deepEqual((await c.get(base)).items, []);
    assert.deepEqual(names(await c.get(`/apis/policy/v1/poddisruptionbudgets?labelSelector=${selector(label)}`)), ['pdb-other']);
  });

  test('PodDisruptionBudget: create, update, patch, and delete object', async () => {
    const ns = await cluster.namespace('disruption');
    const base = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
    const created = await c.create(base, pdb('foo', {}, { minAvailable: 2 }));
    assert.equal(created.spec.minAvailable, 2);
    created.spec.minAvailable = 3;
    const updated = await c.update(`${base}/foo`, created);
    assert.equal(updated.spec.minAvailable, 3);
    const patched = await c.patch(`${base}/foo`, 'merge', { spec: { minAvailable: '25%' }, metadata: { labels: { patched: 'true' } } });
    assert.equal(patched.spec.minAvailable, '25%');
    assert.equal(patched.metadata.labels.patched, 'true');
    await c.delete(`${base}/foo`);
    await c.fails('GET', `${base}/foo`, 404, {}, 'NotFound');
  });

  test('PodDisruptionBudget: update and patch status', async () => {
    const ns = await cluster.namespace('disruption');
    const base = `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
    await c.create(base, pdb('pdb-status'));
    const got = await c.get(`${base}/pdb-status/status`);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    got.status = { ...got.status, disruptedPods: { 'pod-1': now }, disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 };
    const updated = await c.update(`${base}/pdb-status/status`, got);
    assert.deepEqual(updated.status.disruptedPods, { 'pod-1': now });
    const patched = await c.patch(`${base}/pdb-status/status`, 'merge', { status: { disruptedPods: null, observedGeneration: 1 } });
    assert.equal(patched.status.disruptedPods, undefined);
    assert.equal(patched.status.observedGeneration, 1);
    const reread = await c.get(`${base}/pdb-status`);
    assert.equal(reread.status.observedGeneration, 1);
    assert.equal(reread.spec.minAvailable, 1);
  });

  // --- Job ----------------------------------------------------------------------------

  const job = (name: string, labels: Record<string, string> = {}, spec: Json = {}) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      parallelism: 2,
      completions: 4,
      backoffLimit: 6,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000000'] }] } },
      ...spec,
    },
  });

  test('Jobs, apply changes to status', async () => {
    const ns = await cluster.namespace('job');
    const base = `/apis/batch/v1/namespaces/${ns}/jobs`;
    const created = await c.create(base, job('suspend-false-to-true'));
    assert.equal(created.status?.active ?? 0, 0);
    const now1 = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const patched = await c.patch(`${base}/suspend-false-to-true/status`, 'merge', { metadata: { annotations: { patchedstatus: 'true' } }, status: { startTime: now1 } });
    assert.equal(patched.status.startTime, now1);
    assert.equal(patched.metadata.annotations.patchedstatus, 'true');
    const now2 = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    patched.status.startTime = now2;
    const updated = await c.update(`${base}/suspend-false-to-true/status`, patched);
    assert.equal(updated.status.startTime, now2);
    const st = await c.get(`${base}/suspend-false-to-true/status`);
    assert.equal(st.metadata.uid, created.metadata.uid);
    assert.equal(st.status.startTime, now2);
  });

  test('Jobs, manage lifecycle', async () => {
    const ns = await cluster.namespace('job');
    const base = `/apis/batch/v1/namespaces/${ns}/jobs`;
    const label = { 'e2e-job-label': ns };
    const created = await c.create(base, job('e2e-job', label, { suspend: true }));
    assert.equal(created.spec.suspend, true);
    const list = await c.get(`${base}?labelSelector=${selector(label)}`);
    const w: WatchStream = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: `e2e-job-label=${ns}` });
    try {
      const patched = await c.patch(`${base}/e2e-job`, 'strategic', { metadata: { labels: { 'e2e-job-label-patched': 'true' } } });
      assert.equal(patched.metadata.labels['e2e-job-label-patched'], 'true');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.labels['e2e-job-label-patched'] === 'true');
      const cur = await c.get(`${base}/e2e-job`);
      cur.metadata.annotations = { ...(cur.metadata.annotations ?? {}), updated: 'true' };
      const updated = await c.update(`${base}/e2e-job`, cur);
      assert.equal(updated.metadata.annotations.updated, 'true');
      await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.updated === 'true');
      const all = await c.get(`/apis/batch/v1/jobs?labelSelector=${selector(label)}`);
      assert.equal(all.items.length, 1);
      await c.delete(`${base}?labelSelector=${selector(label)}`);
      await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'e2e-job');
      assert.deepEqual((await c.get(`/apis/batch/v1/jobs?labelSelector=${selector(label)}`)).items, []);
    } finally {
      w.close();
    }
  });
});
