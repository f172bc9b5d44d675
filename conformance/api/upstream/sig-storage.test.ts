// [sig-storage] conformance tests of the storage APIs as API objects (no provisioner, no
// kubelet): immutable ConfigMaps and Secrets, PersistentVolumes and claims, StorageClasses,
// pods with inline CSI volumes. Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { names, podSpec, selector, startCluster, type Client, type Cluster, type Json } from './harness.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('[sig-storage]', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  async function immutability(kind: 'configmaps' | 'secrets'): Promise<void> {
    const ns = await cluster.namespace(kind);
    const base = `/api/v1/namespaces/${ns}/${kind}`;
    const data = (v: string) => (kind === 'secrets' ? { data: { data: b64(v) } } : { data: { data: v } });
    const created = await c.create(base, { metadata: { name: 'immutable' }, ...data('value-1') });
    // Updating the data succeeds.
    const upd = await c.update(`${base}/immutable`, { ...created, ...data('value-2') });
    // Marking it immutable succeeds.
    const imm = await c.update(`${base}/immutable`, { ...upd, immutable: true });
    assert.equal(imm.immutable, true);
    // Its data can no longer change, nor can it become mutable again.
    const st = await c.fails('PUT', `${base}/immutable`, 422, { body: { ...imm, ...data('value-3') } }, 'Invalid');
    assert.match(st.message, /field is immutable when `immutable` is set/);
    await c.fails('PUT', `${base}/immutable`, 422, { body: { ...imm, immutable: false } }, 'Invalid');
    await c.fails('PATCH', `${base}/immutable`, 422, { body: JSON.stringify(data('value-4')), contentType: 'application/merge-patch+json' }, 'Invalid');
    // Metadata still can.
    const labeled = await c.update(`${base}/immutable`, { ...imm, metadata: { ...imm.metadata, labels: { label1: 'value1' } } });
    assert.equal(labeled.metadata.labels.label1, 'value1');
    assert.deepEqual(labeled.data, data('value-2').data);
    await c.delete(`${base}/immutable`);
    await c.fails('GET', `${base}/immutable`, 404);
  }

  test('ConfigMap Volume, immutability', async () => {
    await immutability('configmaps');
  });

  test('Secrets Volume, immutability', async () => {
    await immutability('secrets');
  });

  test('CSIInlineVolumes should support Pods with inline volumes', async () => {
    const ns = await cluster.namespace('csiinlinevolumes');
    const base = `/api/v1/namespaces/${ns}/pods`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-csi-inline-volumes' },
      spec: {
        ...podSpec('registry.k8s.io/pause:3.9', { volumeMounts: [{ name: 'vol', mountPath: '/mnt/test' }] }),
        volumes: [{ name: 'vol', csi: { driver: 'e2e.example.com', volumeAttributes: { foo: 'bar' }, readOnly: true } }],
      },
    };
    const created = await c.create(base, pod);
    assert.deepEqual(created.spec.volumes[0].csi, { driver: 'e2e.example.com', volumeAttributes: { foo: 'bar' }, readOnly: true });
    assert.equal((await c.get(`${base}/pod-csi-inline-volumes`)).metadata.uid, created.metadata.uid);
    assert.deepEqual(names(await c.get(base)), ['pod-csi-inline-volumes']);
    const patched = await c.patch(`${base}/pod-csi-inline-volumes`, 'merge', { metadata: { labels: { foo: 'bar' } } });
    assert.equal(patched.metadata.labels.foo, 'bar');
    await c.delete(`${base}/pod-csi-inline-volumes`);
    await c.fails('GET', `${base}/pod-csi-inline-volumes`, 404);
  });

  // --- PersistentVolumes and claims ---------------------------------------------------

  const pv = (name: string, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels },
    spec: {
      storageClassName: 'e2e-manual',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '3Gi' },
      hostPath: { path: '/tmp/e2e-pv' },
      persistentVolumeReclaimPolicy: 'Retain',
    },
  });
  const pvc = (name: string, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, labels },
    spec: { storageClassName: 'e2e-manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });

  test('PersistentVolumes(Claims), lifecycle', async () => {
    const ns = await cluster.namespace('pv');
    const label = { 'e2e-pv-pool': ns };
    const claims = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
    const v1 = await c.create('/api/v1/persistentvolumes', pv(`pv-${ns}`, label));
    const c1 = await c.create(claims, pvc('pvc-1', label));
    assert.deepEqual(names(await c.get(`/api/v1/persistentvolumes?labelSelector=${selector(label)}`)), [`pv-${ns}`]);
    assert.deepEqual(names(await c.get(claims)), ['pvc-1']);
    const pvPatched = await c.patch(`/api/v1/persistentvolumes/pv-${ns}`, 'strategic', { metadata: { labels: { [`${ns}-patched`]: 'true' } } });
    assert.equal(pvPatched.metadata.labels[`${ns}-patched`], 'true');
    const pvcPatched = await c.patch(`${claims}/pvc-1`, 'strategic', { metadata: { labels: { [`${ns}-patched`]: 'true' } } });
    assert.equal(pvcPatched.metadata.labels[`${ns}-patched`], 'true');
    assert.equal((await c.get(`/api/v1/persistentvolumes/pv-${ns}`)).metadata.uid, v1.metadata.uid);
    assert.equal((await c.get(`${claims}/pvc-1`)).metadata.uid, c1.metadata.uid);
    await c.delete(`${claims}/pvc-1`);
    await c.delete(`/api/v1/persistentvolumes/pv-${ns}`);
    await c.fails('GET', `${claims}/pvc-1`, 404);
    await c.fails('GET', `/api/v1/persistentvolumes/pv-${ns}`, 404);
    // Replacements, updated, then deleted as collections.
    const v2 = await c.create('/api/v1/persistentvolumes', pv(`pv-${ns}-2`, label));
    const c2 = await c.create(claims, pvc('pvc-2', label));
    v2.metadata.labels[`${ns}-updated`] = 'true';
    assert.equal((await c.update(`/api/v1/persistentvolumes/pv-${ns}-2`, v2)).metadata.labels[`${ns}-updated`], 'true');
    c2.metadata.labels[`${ns}-updated`] = 'true';
    assert.equal((await c.update(`${claims}/pvc-2`, c2)).metadata.labels[`${ns}-updated`], 'true');
    await c.delete(`${claims}?labelSelector=${selector(label)}`);
    await c.delete(`/api/v1/persistentvolumes?labelSelector=${selector(label)}`);
    assert.deepEqual((await c.get(claims)).items, []);
    assert.deepEqual((await c.get(`/api/v1/persistentvolumes?labelSelector=${selector(label)}`)).items, []);
  });

  test('PersistentVolumes(Claims), apply changes to a pv/pvc status', async () => {
    const ns = await cluster.namespace('pv');
    const label = { 'e2e-pv-pool': ns };
    const claims = `/api/v1/namespaces/${ns}/persistentvolumeclaims`;
    await c.create('/api/v1/persistentvolumes', pv(`pv-${ns}`, label));
    await c.create(claims, pvc('pvc-1', label));
    assert.equal((await c.get(`/api/v1/persistentvolumes?labelSelector=${selector(label)}`)).items.length, 1);
    assert.equal((await c.get(claims)).items.length, 1);
    const claimStatus = await c.get(`${claims}/pvc-1/status`);
    assert.ok(['Pending', 'Bound', 'Lost'].includes(claimStatus.status.phase), JSON.stringify(claimStatus.status));
    const volStatus = await c.get(`/api/v1/persistentvolumes/pv-${ns}/status`);
    assert.ok(['Pending', 'Available', 'Bound', 'Released', 'Failed'].includes(volStatus.status.phase), JSON.stringify(volStatus.status));
    const condition = (type: string) => ({ type, status: 'True', reason: 'E2E', message: `Set from an e2e test (${type})`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    const pvcPatched = await c.patch(`${claims}/pvc-1/status`, 'merge', { status: { conditions: [condition('StatusPatched')] } });
    assert.deepEqual(pvcPatched.status.conditions.map((x: Json) => x.type), ['StatusPatched']);
    const pvPatched = await c.patch(`/api/v1/persistentvolumes/pv-${ns}/status`, 'merge', { status: { reason: 'E2E patchedStatus', message: 'Patched by an e2e test' } });
    assert.equal(pvPatched.status.reason, 'E2E patchedStatus');
    assert.equal(pvPatched.status.message, 'Patched by an e2e test');
    const curClaim = await c.get(`${claims}/pvc-1/status`);
    curClaim.status.conditions = [...curClaim.status.conditions, condition('StatusUpdated')];
    const pvcUpdated = await c.update(`${claims}/pvc-1/status`, curClaim);
    assert.deepEqual(pvcUpdated.status.conditions.map((x: Json) => x.type), ['StatusPatched', 'StatusUpdated']);
    const curVol = await c.get(`/api/v1/persistentvolumes/pv-${ns}/status`);
    curVol.status = { ...curVol.status, reason: 'E2E updatedStatus', message: 'Updated by an e2e test' };
    const pvUpdated = await c.update(`/api/v1/persistentvolumes/pv-${ns}/status`, curVol);
    assert.equal(pvUpdated.status.reason, 'E2E updatedStatus');
    assert.equal((await c.get(`/api/v1/persistentvolumes/pv-${ns}`)).status.message, 'Updated by an e2e test');
  });

  // --- StorageClass -------------------------------------------------------------------

  test('StorageClass, lifecycle', async () => {
    const ns = await cluster.namespace('csi-storageclass');
    const base = '/apis/storage.k8s.io/v1/storageclasses';
    const label = { 'e2e-storageclass': ns };
    const sc = (name: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, labels: label }, provisioner: 'e2e-fake-provisioner' });
    const created = await c.create(base, sc(`${ns}-sc`));
    assert.equal((await c.get(`${base}/${ns}-sc`)).metadata.uid, created.metadata.uid);
    const patched = await c.patch(`${base}/${ns}-sc`, 'strategic', { metadata: { labels: { [`${ns}-patched`]: 'true' } } });
    assert.equal(patched.metadata.labels[`${ns}-patched`], 'true');
    await c.delete(`${base}/${ns}-sc`);
    await c.fails('GET', `${base}/${ns}-sc`, 404);
    const replacement = await c.create(base, sc(`${ns}-sc-2`));
    replacement.metadata.labels[`${ns}-updated`] = 'true';
    assert.equal((await c.update(`${base}/${ns}-sc-2`, replacement)).metadata.labels[`${ns}-updated`], 'true');
    await c.delete(`${base}?labelSelector=${selector(label)}`);
    assert.deepEqual((await c.get(`${base}?labelSelector=${selector(label)}`)).items, []);
  });
});
