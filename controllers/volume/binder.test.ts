import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bindClaimToVolume, bindVolumeToClaim, claimStatusFor, findBestMatchForClaim, volumeMismatch } from './binder.ts';
import type { PersistentVolume, PersistentVolumeClaim } from './volume.ts';

function pv(name: string, storage: string, extra: Partial<NonNullable<PersistentVolume['spec']>> = {}, labels?: Record<string, string>, phase = 'Available'): PersistentVolume {
  return {
    metadata: { name, uid: `uid-${name}`, labels },
    spec: { capacity: { storage }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', ...extra },
    status: { phase },
  };
}

function pvc(name: string, storage: string, extra: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '7' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, volumeMode: 'Filesystem', storageClassName: '', ...extra },
    status: { phase: 'Pending' },
  };
}

const name = (v: PersistentVolume | undefined) => v?.metadata?.name;

describe('findBestMatchForClaim', () => {
  it('takes the smallest Available volume that is big enough', () => {
    const vols = [pv('big', '10Gi'), pv('small', '1Gi'), pv('fits', '2Gi'), pv('fits-bound', '2Gi', {}, undefined, 'Bound')];
    assert.equal(name(findBestMatchForClaim(pvc('c', '1500Mi'), vols, false)), 'fits');
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi'), vols, false)), 'small');
    assert.equal(findBestMatchForClaim(pvc('c', '20Gi'), vols, false), undefined);
  });

  it('matches the storage class, the volume mode and the selector', () => {
    const vols = [pv('fast', '1Gi', { storageClassName: 'fast' }, { tier: 'gold' }), pv('block', '1Gi', { volumeMode: 'Block' }), pv('plain', '5Gi', {}, { tier: 'bronze' })];
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi', { storageClassName: 'fast' }), vols, false)), 'fast');
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi', { volumeMode: 'Block' }), vols, false)), 'block');
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi'), vols, false)), 'plain');
    assert.equal(findBestMatchForClaim(pvc('c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }), vols, false), undefined, 'the gold volume is of another class');
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['bronze'] }] } }), vols, false)), 'plain');
  });

  it('prefers volumes offering the fewest extra access modes, and needs all the claimed ones', () => {
    const vols = [pv('rwo-rwx', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadWriteMany'] }), pv('rwo', '5Gi')];
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi'), vols, false)), 'rwo', 'a bigger RWO volume before a smaller RWO+RWX one');
    assert.equal(name(findBestMatchForClaim(pvc('c', '1Gi', { accessModes: ['ReadWriteMany'] }), vols, false)), 'rwo-rwx');
    assert.equal(findBestMatchForClaim(pvc('c', '1Gi', { accessModes: ['ReadOnlyMany'] }), vols, false), undefined);
  });

  it('returns a volume pre-bound to the claim before any other, and skips volumes bound to others', () => {
    const claim = pvc('c', '1Gi');
    const vols = [pv('free', '1Gi'), pv('mine', '3Gi', { claimRef: { namespace: 'ns', name: 'c' } }, undefined, 'Available'), pv('theirs', '1Gi', { claimRef: { namespace: 'ns', name: 'other' } })];
    assert.equal(name(findBestMatchForClaim(claim, vols, false)), 'mine');
    const otherUid = [pv('stale', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'old-uid' } })];
    assert.equal(findBestMatchForClaim(claim, otherUid, false), undefined);
  });

  it('with delayed binding takes only pre-bound volumes until a node is chosen, then ones reachable from it', () => {
    const affinity = (host: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } });
    const vols = [pv('on-a', '1Gi', { nodeAffinity: affinity('a') }), pv('on-b', '2Gi', { nodeAffinity: affinity('b') })];
    const claim = pvc('c', '1Gi');
    assert.equal(findBestMatchForClaim(claim, vols, true), undefined);
    const nodeB = { metadata: { name: 'b', labels: { 'kubernetes.io/hostname': 'b' } } };
    assert.equal(name(findBestMatchForClaim(claim, vols, true, nodeB)), 'on-b');
  });

  it('explains why a volume named by the claim does not fit', () => {
    assert.equal(volumeMismatch(pv('v', '1Gi'), pvc('c', '2Gi')), 'requested PV is too small');
    assert.equal(volumeMismatch(pv('v', '1Gi', { storageClassName: 'x' }), pvc('c', '1Gi')), 'storageClassName does not match');
    assert.equal(volumeMismatch(pv('v', '1Gi', { accessModes: ['ReadOnlyMany'] }), pvc('c', '1Gi')), 'incompatible accessMode');
    assert.equal(volumeMismatch(pv('v', '1Gi'), pvc('c', '1Gi')), '');
  });
});

describe('binding', () => {
  it('points the volume at the claim, marking bindings the controller made', () => {
    const claim = pvc('c', '1Gi');
    const { volume, dirty } = bindVolumeToClaim(pv('v', '1Gi'), claim);
    assert.ok(dirty);
    assert.deepEqual(volume.spec?.claimRef, { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'c', uid: 'uid-c', apiVersion: 'v1', resourceVersion: '7' });
    assert.equal(volume.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], 'yes');
    // A user's pre-binding gets the uid, not the annotation.
    const pre = bindVolumeToClaim(pv('v', '1Gi', { claimRef: { namespace: 'ns', name: 'c' } }), claim);
    assert.ok(pre.dirty);
    assert.equal(pre.volume.metadata?.annotations?.['pv.kubernetes.io/bound-by-controller'], undefined);
    assert.equal(bindVolumeToClaim(volume, claim).dirty, false);
  });

  it('names the volume in the claim and marks the binding complete', () => {
    const { claim, dirty } = bindClaimToVolume(pvc('c', '1Gi'), pv('v', '1Gi'));
    assert.ok(dirty);
    assert.equal(claim.spec?.volumeName, 'v');
    assert.deepEqual(claim.metadata?.annotations, { 'pv.kubernetes.io/bound-by-controller': 'yes', 'pv.kubernetes.io/bind-completed': 'yes' });
    assert.equal(bindClaimToVolume(claim, pv('v', '1Gi')).dirty, false);
    const named = bindClaimToVolume(pvc('c', '1Gi', { volumeName: 'v' }), pv('v', '1Gi')).claim;
    assert.deepEqual(named.metadata?.annotations, { 'pv.kubernetes.io/bind-completed': 'yes' }, 'a claim the user pointed at the volume is not bound-by-controller');
  });

  it('gives a Bound claim the volume capacity and access modes, once', () => {
    const st = claimStatusFor(pvc('c', '1Gi'), 'Bound', pv('v', '5Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }));
    assert.deepEqual(st, { phase: 'Bound', accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], capacity: { storage: '5Gi' } });
    const bound = { ...pvc('c', '1Gi'), status: st };
    assert.equal(claimStatusFor(bound, 'Bound', pv('v', '5Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] })), undefined);
    assert.deepEqual(claimStatusFor(bound, 'Lost', undefined), { phase: 'Lost' });
  });
});
