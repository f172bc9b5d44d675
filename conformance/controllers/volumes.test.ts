// End to end: `k8ts up --hollow-nodes 2` and the real kubectl. A fresh cluster has the default
// StorageClass `standard` (k8ts.io/local-path, WaitForFirstConsumer); a claim that names no class
// gets it, waits for its first consumer, and once a pod using it is scheduled the local-path
// provisioner makes a volume on the pod's node and the binder binds both; deleting the claim
// deletes the volume (reclaim Delete). Static volumes bind to the smallest fitting claim and are
// Released (Retain) when it goes; a claim without class or volume says why it waits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { KUBECTL, eventually, startCluster, type Cluster, type Obj } from './workload-support.ts';

describe('persistent volumes against k8ts up --hollow-nodes 2, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let c: Cluster;

  before(async () => {
    c = await startCluster(2);
  });

  after(async () => {
    await c?.stop();
  });

  const claimEvents = async (name: string) => (await c.items('events', '--field-selector', `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}`)).map((e) => `${e.reason}: ${e.message}`);

  it('has the default StorageClass standard', async () => {
    const table = await eventually('the default class', async () => {
      const r = await c.kubectl('get', 'storageclass');
      return r.code === 0 && r.stdout.includes('standard (default)') ? r.stdout : undefined;
    });
    assert.match(table, /standard \(default\)\s+k8ts\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false/);
    const sc = (await c.getJson('storageclass', 'standard'))!;
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
  });

  it('provisions a local-path volume on the node of the first pod using a claim, and deletes it with the claim', async () => {
    await c.create(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`);
    const pending = (await c.getJson('pvc', 'data'))!;
    assert.equal(pending.spec.storageClassName, 'standard', 'DefaultStorageClass admission');
    await eventually('WaitForFirstConsumer', async () => (await claimEvents('data')).includes('WaitForFirstConsumer: waiting for first consumer to be created before binding'));
    assert.equal((await c.getJson('pvc', 'data'))!.status.phase, 'Pending');

    await c.create(`
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  containers:
  - {name: app, image: busybox, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: data}}
`);
    await c.ok('wait', '--for=condition=Ready', '--timeout=60s', 'pod/user');
    const pod = (await c.getJson('pod', 'user'))!;
    const claim = await eventually('the claim Bound', async () => {
      const p = await c.getJson('pvc', 'data');
      return p?.status?.phase === 'Bound' ? p : undefined;
    });
    const pvName = `pvc-${claim.metadata.uid}`;
    assert.equal(claim.spec.volumeName, pvName);
    assert.equal(claim.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.equal(claim.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal(claim.metadata.annotations['volume.kubernetes.io/selected-node'], pod.spec.nodeName);
    assert.equal(claim.metadata.annotations['volume.kubernetes.io/storage-provisioner'], 'k8ts.io/local-path');
    assert.deepEqual(claim.status.capacity, { storage: '1Gi' });
    assert.deepEqual(claim.status.accessModes, ['ReadWriteOnce']);

    const pv = await eventually('the volume Bound', async () => {
      const v = await c.getJson('pv', pvName);
      return v?.status?.phase === 'Bound' ? v : undefined;
    });
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'k8ts.io/local-path');
    assert.deepEqual(
      { kind: pv.spec.claimRef.kind, namespace: pv.spec.claimRef.namespace, name: pv.spec.claimRef.name, uid: pv.spec.claimRef.uid },
      { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: claim.metadata.uid },
    );
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.equal(pv.spec.storageClassName, 'standard');
    assert.equal(pv.spec.hostPath.type, 'DirectoryOrCreate');
    assert.ok(pv.spec.hostPath.path.endsWith(`/${pvName}_default_data`), pv.spec.hostPath.path);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: [pod.spec.nodeName] });

    const table = await c.ok('get', 'pvc', 'data');
    assert.match(table, new RegExp(`data\\s+Bound\\s+${pvName}\\s+1Gi\\s+RWO\\s+standard`));
    const events = await claimEvents('data');
    for (const want of [
      "ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'k8ts.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
      'Provisioning: External provisioner is provisioning volume for claim "default/data"',
      `ProvisioningSucceeded: Successfully provisioned volume ${pvName}`,
    ]) {
      assert.ok(events.includes(want), `missing event ${want} in ${JSON.stringify(events)}`);
    }

    await c.ok('delete', 'pod', 'user', '--wait=false');
    await c.ok('delete', 'pvc', 'data');
    await eventually('the volume deleted', async () => (await c.kubectl('get', 'pv', pvName)).code !== 0);
  });

  it('binds static volumes to the smallest that fits, and releases them with Retain', async () => {
    await c.create(`
apiVersion: v1
kind: PersistentVolume
metadata: {name: small}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/k8ts-e2e-small}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: medium}
spec: {capacity: {storage: 3Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/k8ts-e2e-medium}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: large}
spec: {capacity: {storage: 10Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/k8ts-e2e-large}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static}
spec: {storageClassName: "", accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
`);
    const claim = await eventually('the static claim Bound', async () => {
      const p = await c.getJson('pvc', 'static');
      return p?.status?.phase === 'Bound' ? p : undefined;
    });
    assert.equal(claim.spec.volumeName, 'medium');
    assert.deepEqual(claim.status.capacity, { storage: '3Gi' });
    const pv = (await c.getJson('pv', 'medium'))!;
    assert.equal(pv.status.phase, 'Bound');
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    assert.equal(pv.spec.claimRef.uid, claim.metadata.uid);
    const pvs = await c.items('pv');
    assert.deepEqual(pvs.filter((v: Obj) => v.metadata.name !== 'medium').map((v: Obj) => v.status.phase), ['Available', 'Available']);
    assert.match(await c.ok('get', 'pv', 'medium'), /medium\s+3Gi\s+RWO\s+Retain\s+Bound\s+default\/static/);

    await c.ok('delete', 'pvc', 'static');
    await eventually('the volume Released', async () => (await c.getJson('pv', 'medium'))?.status?.phase === 'Released');
  });

  it('tells why a claim without class or volume waits', async () => {
    await c.create(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: lonely}
spec: {storageClassName: "", accessModes: [ReadWriteMany], resources: {requests: {storage: 1Gi}}}
`);
    await eventually('FailedBinding', async () => (await claimEvents('lonely')).includes('FailedBinding: no persistent volumes available for this claim and no storage class is set'));
    const described = await c.ok('describe', 'pvc', 'lonely');
    assert.match(described, /Status:\s+Pending/);
    assert.match(described, /FailedBinding\s+.*persistentvolume-controller\s+no persistent volumes available for this claim and no storage class is set/);
  });
});
