import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApi, res } from '../controllers/runtime/testing/fake-api.ts';
import { bindPodVolumes } from './volume-binding.ts';
import { podClaimNames } from '../controllers/volume/volume.ts';
import type { Pod } from './types.ts';

const PVC_RES = res('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true);
const SC_RES = res('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false);
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true };

function pod(...claims: string[]): Pod {
  return { metadata: { name: 'web', namespace: 'ns' }, spec: { volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) } } as unknown as Pod;
}

function setup(): FakeApi {
  const api = new FakeApi([PVC_RES, SC_RES]);
  api.seed('storageclasses', { metadata: { name: 'wffc' }, volumeBindingMode: 'WaitForFirstConsumer' });
  api.seed('storageclasses', { metadata: { name: 'now' }, volumeBindingMode: 'Immediate' });
  return api;
}

describe('VolumeBinding PreBind', () => {
  it('names the claims of a pod, generic ephemeral ones included', () => {
    const p = { metadata: { name: 'web' }, spec: { volumes: [{ name: 'a', persistentVolumeClaim: { claimName: 'data' } }, { name: 'scratch', ephemeral: {} }, { name: 'e', emptyDir: {} }] } } as unknown as Pod;
    assert.deepEqual(podClaimNames(p), ['data', 'web-scratch']);
  });

  it('selects the node for claims bound on first consumer, then waits until every claim is bound', async () => {
    const api = setup();
    api.seed('persistentvolumeclaims', { metadata: { name: 'late', namespace: 'ns' }, spec: { storageClassName: 'wffc' } });
    api.seed('persistentvolumeclaims', { metadata: { name: 'early', namespace: 'ns' }, spec: { storageClassName: 'now' } });
    api.seed('persistentvolumeclaims', { metadata: { name: 'done', namespace: 'ns' }, spec: { storageClassName: 'now', volumeName: 'pv0' } });
    let finished = false;
    const p = bindPodVolumes(api, pod('late', 'early', 'done'), 'n1', { pollMs: 5 }).then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 30));
    const late = await api.get(PVCS, 'ns', 'late');
    assert.equal(late.metadata?.annotations?.['volume.kubernetes.io/selected-node'], 'n1');
    assert.equal((await api.get(PVCS, 'ns', 'early')).metadata?.annotations, undefined, 'an Immediate claim is the binder\'s alone');
    assert.equal(finished, false);
    for (const name of ['late', 'early']) await api.patch(PVCS, 'ns', name, { spec: { volumeName: `pv-${name}` } });
    await p;
    assert.equal(finished, true);
  });

  it('fails as upstream reports it: a missing claim, a timeout, a cancellation', async () => {
    const api = setup();
    await assert.rejects(bindPodVolumes(api, pod('nope'), 'n1'), { message: 'running PreBind plugin "VolumeBinding": persistentvolumeclaim "nope" not found' });
    api.seed('persistentvolumeclaims', { metadata: { name: 'stuck', namespace: 'ns' }, spec: { storageClassName: 'now' } });
    await assert.rejects(bindPodVolumes(api, pod('stuck'), 'n1', { timeoutMs: 20, pollMs: 5 }), { message: 'running PreBind plugin "VolumeBinding": binding volumes: timed out waiting for the condition' });
    await assert.rejects(bindPodVolumes(api, pod('stuck'), 'n1', { cancelled: () => true }), /cancelled/);
    await bindPodVolumes(api, pod(), 'n1');
  });
});
