// [sig-storage] conformance tests of the CSI objects of storage.k8s.io/v1 (CSIDriver, CSINode,
// CSIStorageCapacity, VolumeAttachment) as API objects, following test/e2e/storage/csi_inline.go,
// csi_node.go, csistoragecapacity.go and volume_attachment.go step by step. Named exactly as the
// upstream `testname`s.
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDiscovery, eventually, names, randomSuffix, selector, startCluster, type Client, type Cluster } from './harness.ts';

const STORAGE = '/apis/storage.k8s.io/v1';

describe('[sig-storage] CSI objects', () => {
  let cluster: Cluster;
  let c: Client;
  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
  });
  after(async () => {
    await cluster.close();
  });

  /** Lists until nothing matches the selector (the upstream tests' bounded Eventually). */
  async function expectGone(base: string, sel: Record<string, string>): Promise<void> {
    await eventually(async () => (await c.get(`${base}?labelSelector=${selector(sel)}`)).items.length === 0, 30_000, `no ${base} matching ${JSON.stringify(sel)}`);
  }

  test('CSIDriver, lifecycle', async () => {
    const base = `${STORAGE}/csidrivers`;
    const label = { 'e2e-test': `csiinlinevolumes-${randomSuffix()}` };
    const driver = (modes: string[]) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIDriver',
      metadata: { name: `inline-driver-${randomUUID()}`, labels: label },
      spec: { volumeLifecycleModes: modes, fsGroupPolicy: 'ReadWriteOnceWithFSType' },
    });
    const driver1 = driver(['Ephemeral']);
    const driver2 = driver(['Persistent', 'Ephemeral']);

    const created1 = await c.create(base, driver1);
    const created2 = await c.create(base, driver2);
    await c.fails('POST', base, 409, { body: driver1 }, 'AlreadyExists');
    // Defaults as upstream's SetDefaults_CSIDriver.
    assert.deepEqual(created1.spec, {
      attachRequired: true,
      podInfoOnMount: false,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Ephemeral'],
      requiresRepublish: false,
      seLinuxMount: false,
    });
    assert.equal(created1.metadata.generation, 1);

    assert.equal((await c.get(`${base}/${created1.metadata.name}`)).metadata.uid, created1.metadata.uid);
    const retrieved2 = await c.get(`${base}/${created2.metadata.name}`);
    assert.equal(retrieved2.metadata.uid, created2.metadata.uid);

    const patched = await c.patch(`${base}/${created2.metadata.name}`, 'strategic', { metadata: { labels: { [created2.metadata.name]: 'patched' } } });
    assert.match(patched.metadata.labels[created2.metadata.name], /patched/);

    const current = await c.get(`${base}/${created2.metadata.name}`);
    current.metadata.labels[retrieved2.metadata.name] = 'updated';
    const updated = await c.update(`${base}/${created2.metadata.name}`, current);
    assert.match(updated.metadata.labels[created2.metadata.name], /updated/);

    assert.equal((await c.get(`${base}?labelSelector=${selector(label)}`)).items.length, 2);

    await c.delete(`${base}/${created1.metadata.name}`);
    await c.fails('GET', `${base}/${created1.metadata.name}`, 404, {}, 'NotFound');

    await c.delete(`${base}?labelSelector=${selector({ [created2.metadata.name]: 'updated' })}`);
    await c.fails('GET', `${base}/${created2.metadata.name}`, 404, {}, 'NotFound');
  });

  test('CSINode, lifecycle', async () => {
    const base = `${STORAGE}/csinodes`;
    const csiNode = (name: string) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name }, spec: { drivers: [] } });

    const initial = csiNode(`e2e-csinode-${randomSuffix()}`);
    const created = await c.create(base, initial);
    assert.match(created.metadata.resourceVersion, /^\d+$/);
    assert.equal((await c.get(`${base}/${initial.metadata.name}`)).metadata.name, created.metadata.name);

    const patched = await c.patch(`${base}/${created.metadata.name}`, 'strategic', { metadata: { labels: { [created.metadata.name]: 'patched' } } });
    assert.equal(patched.metadata.labels[created.metadata.name], 'patched');
    assert.ok(BigInt(created.metadata.resourceVersion) < BigInt(patched.metadata.resourceVersion), 'patched object should have a larger resource version');

    const patchedSel = { [created.metadata.name]: 'patched' };
    assert.equal((await c.get(`${base}?labelSelector=${selector(patchedSel)}`)).items.length, 1);
    await c.delete(`${base}/${created.metadata.name}`);
    await expectGone(base, patchedSel);

    const replacement = csiNode(`e2e-csinode-${randomSuffix()}`);
    const second = await c.create(base, replacement);
    const retrieved = await c.get(`${base}/${second.metadata.name}`);
    assert.equal(retrieved.metadata.name, second.metadata.name);
    retrieved.metadata.labels = { [replacement.metadata.name]: 'updated' };
    const updated = await c.update(`${base}/${retrieved.metadata.name}`, retrieved);
    assert.equal(updated.metadata.labels[second.metadata.name], 'updated');

    const updatedSel = { [retrieved.metadata.name]: 'updated' };
    await c.delete(`${base}?labelSelector=${selector(updatedSel)}`);
    await expectGone(base, updatedSel);
  });

  test('CSIStorageCapacity API', async () => {
    const ns = await cluster.namespace('csistoragecapacity');
    const base = `${STORAGE}/namespaces/${ns}/csistoragecapacities`;
    const all = `${STORAGE}/csistoragecapacities`;
    const unique = `csistoragecapacity-${randomSuffix()}`;
    const sel = `labelSelector=${selector({ test: unique })}`;
    const capacity = (suffix: string) => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSIStorageCapacity',
      metadata: { name: unique + suffix, labels: { test: unique } },
      storageClassName: 'e2e.example.com',
    });
    const csc = capacity('-csc1');

    await checkDiscovery(c, 'storage.k8s.io', 'v1', ['csistoragecapacities']);

    const created = await c.create(base, csc);
    await c.fails('POST', base, 409, { body: csc }, 'AlreadyExists');
    await c.create(base, capacity('-csc2'));

    const w = await c.watch(base, { labelSelector: `test=${unique}` });
    const wAll = await c.watch(all, { labelSelector: `test=${unique}` });
    try {
      await c.create(base, capacity('-csc3'));
      const gotten = await c.get(`${base}/${csc.metadata.name}`);
      assert.equal(gotten.metadata.uid, created.metadata.uid);
      assert.match(gotten.metadata.resourceVersion, /^\d+$/);
      assert.equal((await c.get(`${base}?${sel}`)).items.length, 3);
      assert.equal((await c.get(`${all}?${sel}`)).items.length, 3);

      const patched = await c.patch(`${base}/${created.metadata.name}`, 'merge', { metadata: { annotations: { patched: 'true' } } });
      assert.equal(patched.metadata.annotations.patched, 'true');
      assert.ok(BigInt(created.metadata.resourceVersion) < BigInt(patched.metadata.resourceVersion));
      const toUpdate = { ...patched, metadata: { ...patched.metadata, annotations: { ...patched.metadata.annotations, updated: 'true' } } };
      assert.equal((await c.update(`${base}/${created.metadata.name}`, toUpdate)).metadata.annotations.updated, 'true');

      for (const stream of [w, wAll]) {
        const seen = await stream.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.updated === 'true');
        assert.ok(seen.some((ev) => ev.type === 'ADDED' && ev.object.kind === 'CSIStorageCapacity'));
      }
    } finally {
      w.close();
      wAll.close();
    }

    await c.delete(`${base}/${created.metadata.name}`);
    await c.fails('GET', `${base}/${created.metadata.name}`, 404, {}, 'NotFound');
    assert.equal((await c.get(`${base}?${sel}`)).items.length, 2);
    await c.delete(`${base}?${sel}`);
    assert.deepEqual(names(await c.get(`${base}?${sel}`)), []);
  });

  /** NewVolumeAttachment, with createVolumeAttachment's random names; the node need not exist. */
  async function createVolumeAttachment(): Promise<{ name: string; node: string }> {
    const rand = `e2e-${randomSuffix()}`;
    const name = `va-${rand}`;
    const node = 'e2e-fake-node';
    const created = await c.create(`${STORAGE}/volumeattachments`, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'VolumeAttachment',
      metadata: { uid: name, name },
      spec: { attacher: 'e2e-test.storage.k8s.io', nodeName: node, source: { persistentVolumeName: `pv-${rand}` } },
      status: { attached: false },
    });
    assert.equal(created.metadata.name, name);
    return { name, node };
  }

  test('VolumeAttachment, lifecycle', async () => {
    const base = `${STORAGE}/volumeattachments`;
    const first = await createVolumeAttachment();
    const retrieved = await c.get(`${base}/${first.name}`);
    assert.equal(retrieved.metadata.name, first.name);
    // The server assigns the uid, whatever the client sent.
    assert.notEqual(retrieved.metadata.uid, first.name);

    const patched = await c.patch(`${base}/${retrieved.metadata.name}`, 'merge', { metadata: { labels: { [retrieved.metadata.name]: 'patched' } } });
    assert.equal(patched.metadata.labels[patched.metadata.name], 'patched');
    const patchedSel = { [patched.metadata.name]: 'patched' };
    assert.equal((await c.get(`${base}?labelSelector=${selector(patchedSel)}`)).items.length, 1);

    await c.delete(`${base}/${first.name}`);
    await expectGone(base, patchedSel);

    const updatedLabel = { 'va-e2e': 'updated' };
    for (let i = 0; i < 2; i++) {
      const { name } = await createVolumeAttachment();
      const current = await c.get(`${base}/${name}`);
      current.metadata.labels = updatedLabel;
      const updated = await c.update(`${base}/${name}`, current);
      assert.equal(updated.metadata.labels['va-e2e'], 'updated');
    }
    await c.delete(`${base}?labelSelector=${selector(updatedLabel)}`);
    await expectGone(base, updatedLabel);
  });

  test('VolumeAttachment, apply changes to a volumeattachment status', async () => {
    const base = `${STORAGE}/volumeattachments`;
    const { name } = await createVolumeAttachment();
    const patched = await c.patch(`${base}/${name}`, 'merge', { metadata: { labels: { [name]: 'patched' } } });
    assert.equal(patched.metadata.labels[name], 'patched');

    const status = await c.get(`${base}/${name}/status`);
    assert.equal(status.status.attached, false);

    const attached = await c.ok('PATCH', `${base}/${name}/status`, { body: JSON.stringify({ status: { attached: true } }), contentType: 'application/merge-patch+json', expect: 200 });
    assert.equal(attached.status.attached, true);

    const toUpdate = await c.get(`${base}/${name}`);
    toUpdate.status.attached = false;
    const updated = await c.update(`${base}/${name}/status`, toUpdate);
    assert.equal(updated.status.attached, false);

    // The main resource cannot change the status, nor the status subresource the spec.
    const viaMain = await c.update(`${base}/${name}`, { ...updated, status: { attached: true } });
    assert.equal(viaMain.status.attached, false);
    const viaStatus = await c.update(`${base}/${name}/status`, { ...viaMain, spec: { ...viaMain.spec, nodeName: 'elsewhere' } });
    assert.equal(viaStatus.spec.nodeName, 'e2e-fake-node');

    await c.delete(`${base}/${name}`);
    await expectGone(base, { [name]: 'patched' });
  });
});
