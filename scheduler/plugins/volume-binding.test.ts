import { test } from 'node:test';
import assert from 'node:assert/strict';
import { volumeBindingPreFilter, type VolumeListers } from './volume-binding.ts';
import { defaultProfile, schedulePod } from '../algorithm.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { PersistentVolumeClaim, StorageClass } from '../../controllers/volume/volume.ts';
import type { PodSpec } from '../types.ts';

const claim = (name: string, spec: PersistentVolumeClaim['spec'] = {}, extra: Partial<PersistentVolumeClaim> = {}): PersistentVolumeClaim => ({ metadata: { name, namespace: 'default' }, spec, ...extra });

function listers(claims: PersistentVolumeClaim[], classes: StorageClass[] = [{ metadata: { name: 'wffc' }, volumeBindingMode: 'WaitForFirstConsumer' }, { metadata: { name: 'now' }, volumeBindingMode: 'Immediate' }]): VolumeListers {
  return {
    claim: (ns, name) => claims.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name),
    storageClass: (name) => classes.find((c) => c.metadata?.name === name),
  };
}

const withVolumes = (...volumes: unknown[]) => pod('web', { spec: { volumes } as Partial<PodSpec> });
const pvcVolume = (claimName: string) => ({ name: claimName, persistentVolumeClaim: { claimName } });
const reject = (reason: string) => ({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });

test('a pod without claims, or whose claims are bound or bind on first consumer, passes', () => {
  const l = listers([claim('bound', { storageClassName: 'now', volumeName: 'pv-1' }), claim('later', { storageClassName: 'wffc' })]);
  assert.equal(volumeBindingPreFilter(pod('p'), l), undefined);
  assert.equal(volumeBindingPreFilter(withVolumes({ name: 'e', emptyDir: {} }), l), undefined);
  assert.equal(volumeBindingPreFilter(withVolumes(pvcVolume('bound'), pvcVolume('later')), l), undefined);
});

test('a missing, lost or deleted claim rejects the pod with upstream\'s messages', () => {
  const l = listers([claim('lost', { volumeName: 'gone' }, { status: { phase: 'Lost' } }), claim('dying', { volumeName: 'pv' }, { metadata: { name: 'dying', namespace: 'default', deletionTimestamp: '2024-01-01T00:00:00Z' } })]);
  assert.deepEqual(volumeBindingPreFilter(withVolumes(pvcVolume('nope')), l), reject('persistentvolumeclaim "nope" not found'));
  assert.deepEqual(volumeBindingPreFilter(withVolumes(pvcVolume('lost')), l), reject('persistentvolumeclaim "lost" bound to non-existent persistentvolume "gone"'));
  assert.deepEqual(volumeBindingPreFilter(withVolumes(pvcVolume('dying')), l), reject('persistentvolumeclaim "dying" is being deleted'));
  // Claims live in the pod's namespace.
  assert.deepEqual(volumeBindingPreFilter(pod('p', { ns: 'other', spec: { volumes: [pvcVolume('bound')] } as Partial<PodSpec> }), listers([claim('bound', { volumeName: 'pv' })])), reject('persistentvolumeclaim "bound" not found'));
});

test('an unbound claim with an Immediate class, no class or a missing class rejects the pod', () => {
  const l = listers([claim('now', { storageClassName: 'now' }), claim('none'), claim('ghost', { storageClassName: 'ghost' })]);
  for (const c of ['now', 'none', 'ghost']) assert.deepEqual(volumeBindingPreFilter(withVolumes(pvcVolume(c)), l), reject('pod has unbound immediate PersistentVolumeClaims'));
});

test('generic ephemeral volumes are skipped (no controller creates their claims)', () => {
  assert.equal(volumeBindingPreFilter(withVolumes({ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }), listers([])), undefined);
});

test('in the default profile the rejection is the FitError of every node', () => {
  const r = schedulePod(defaultProfile({ volumes: listers([]) }), withVolumes(pvcVolume('nope')), nodeInfos([node('a'), node('b')]));
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') return;
  assert.match(r.error.message, /^0\/2 nodes are available: persistentvolumeclaim "nope" not found\./);
  assert.deepEqual(new Set([...r.error.statuses.values()].map((s) => s.plugin)), new Set(['VolumeBinding']));
});
