// The binder and the local-path provisioner together over the in-memory API with real
// informers: a claim of the default class waits for its first consumer, is provisioned on the
// selected node and bound; its volume goes with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApi, NAMESPACES, NODES as NODES_RES, PODS, EVENTS_RES, res } from '../runtime/testing/fake-api.ts';
import { drain, fakeFactory } from '../runtime/testing/harness.ts';
import type { EventRecorder } from '../runtime/events.ts';
import { PersistentVolumeController } from './controller.ts';
import { LocalPathProvisioner } from './local-path.ts';
import { defaultStorageClass, ensureDefaultStorageClass } from './default-class.ts';
import { NODES, PVCS, PVS, STORAGECLASSES, type PersistentVolume, type PersistentVolumeClaim } from './volume.ts';

const PV_RES = res('', 'v1', 'persistentvolumes', 'PersistentVolume', false);
const PVC_RES = res('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true);
const SC_RES = res('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);

function recorder(): EventRecorder & { seen: string[] } {
  const seen: string[] = [];
  return { seen, event: (obj, type, reason, message) => seen.push(`${obj.kind}/${obj.metadata?.name} ${type} ${reason}: ${message}`) };
}

describe('persistentvolume controller and local-path provisioner', () => {
  it('provisions and binds a claim once its first consumer is scheduled, and deletes the volume with the claim', async () => {
    const api = new FakeApi([NAMESPACES, NODES_RES, PODS, EVENTS_RES, PV_RES, PVC_RES, SC_RES]);
    await ensureDefaultStorageClass(api);
    await ensureDefaultStorageClass(api);
    assert.equal((await api.list(STORAGECLASSES, undefined)).items.length, 1, 'idempotent');
    api.seed('namespaces', { metadata: { name: 'ns' } });
    api.seed('nodes', { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    // The API server's DefaultStorageClass admission would have set the class.
    const claim = api.seed('persistentvolumeclaims', {
      metadata: { name: 'data', namespace: 'ns' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: defaultStorageClass().metadata!.name },
      status: { phase: 'Pending' },
    });
    const factory = fakeFactory(api);
    const informers = { volumes: factory.informer(PVS), claims: factory.informer(PVCS), classes: factory.informer(STORAGECLASSES), nodes: factory.informer(NODES) };
    const events = recorder();
    const binder = new PersistentVolumeController({ api, ...informers, pods: factory.informer(PODS), recorder: events, resyncMs: 0 });
    const provisioner = new LocalPathProvisioner({ api, ...informers, recorder: events });
    const controllers = [binder.controller, provisioner.controller];
    factory.start();
    await factory.waitForSync();
    try {
      await drain(controllers);
      assert.deepEqual(events.seen, ['PersistentVolumeClaim/data Normal WaitForFirstConsumer: waiting for first consumer to be created before binding']);
      assert.equal((await api.list(PVS, undefined)).items.length, 0);

      // The scheduler placed a pod using it on n1.
      await api.patch(PVCS, 'ns', 'data', { metadata: { annotations: { 'volume.kubernetes.io/selected-node': 'n1' } } });
      await drain(controllers);
      const pvName = `pvc-${claim.metadata!.uid}`;
      const bound = await api.get<PersistentVolumeClaim>(PVCS, 'ns', 'data');
      assert.equal(bound.spec?.volumeName, pvName);
      assert.deepEqual(bound.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
      assert.equal(bound.metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'], 'k8ts.io/local-path');
      const pv = await api.get<PersistentVolume>(PVS, undefined, pvName);
      assert.equal(pv.status?.phase, 'Bound');
      assert.equal(pv.spec?.claimRef?.uid, claim.metadata!.uid);
      assert.ok(events.seen.includes(`PersistentVolumeClaim/data Normal ProvisioningSucceeded: Successfully provisioned volume ${pvName}`), events.seen.join('\n'));

      await api.delete(PVCS, 'ns', 'data');
      await drain(controllers);
      await assert.rejects(api.get(PVS, undefined, pvName), /not found/);
    } finally {
      await factory.stop();
      await Promise.all(controllers.map((c) => c.stop()));
    }
  });
});
