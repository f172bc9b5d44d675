import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planClaim, planVolume, reclaimFailure, unboundVolume, type ClaimView } from './sync.ts';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './volume.ts';

const standard: StorageClass = { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'k8ts.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
const immediate: StorageClass = { metadata: { name: 'fast' }, provisioner: 'example.com/fast', volumeBindingMode: 'Immediate' };
const noProvisioner: StorageClass = { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' };

function claim(spec: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}, annotations?: Record<string, string>): PersistentVolumeClaim {
  return { metadata: { name: 'data', namespace: 'ns', uid: 'u1', annotations }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec }, status: { phase: 'Pending' } };
}

function volume(name: string, spec: Partial<NonNullable<PersistentVolume['spec']>> = {}, annotations?: Record<string, string>): PersistentVolume {
  return { metadata: { name, annotations }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', ...spec }, status: { phase: 'Available' } };
}

function view(over: Partial<ClaimView> = {}, classes: StorageClass[] = [standard, immediate, noProvisioner]): ClaimView {
  const volumes = over.volumes ?? [];
  return {
    volumes,
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
    defaultClass: undefined,
    node: () => undefined,
    unscheduledPods: [],
    ...over,
  };
}

describe('planClaim', () => {
  it('binds an unbound claim to a matching volume', () => {
    const plan = planClaim(claim({ storageClassName: '' }), view({ volumes: [volume('pv1')] }));
    assert.equal(plan.kind, 'bind');
  });

  it('says why a claim without class or volume waits', () => {
    assert.deepEqual(planClaim(claim({ storageClassName: '' }), view()), {
      kind: 'pending',
      event: { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' },
    });
  });

  it('gives a claim that names no class the default one', () => {
    assert.deepEqual(planClaim(claim(), view({ defaultClass: standard })), { kind: 'assignClass', className: 'standard' });
    // An explicit "" is a choice.
    assert.equal(planClaim(claim({ storageClassName: '' }), view({ defaultClass: standard })).kind, 'pending');
  });

  it('waits for the first consumer, naming the pods waiting to be scheduled', () => {
    const c = claim({ storageClassName: 'standard' });
    assert.deepEqual(planClaim(c, view()), { kind: 'pending', event: { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' } });
    assert.deepEqual(planClaim(c, view({ unscheduledPods: ['web-0'] })), { kind: 'pending', event: { type: 'Normal', reason: 'WaitForPodScheduled', message: 'waiting for pod web-0 to be scheduled' } });
    assert.equal((planClaim(c, view({ unscheduledPods: ['a', 'b'] })) as { event: { message: string } }).event.message, 'waiting for pods a,b to be scheduled');
  });

  it('hands the claim to its external provisioner once a node is selected (or right away for Immediate)', () => {
    const selected = claim({ storageClassName: 'standard' }, { 'volume.kubernetes.io/selected-node': 'n1' });
    const plan = planClaim(selected, view());
    assert.equal(plan.kind, 'provision');
    assert.equal((plan as { provisioner: string }).provisioner, 'k8ts.io/local-path');
    assert.equal(
      (plan as { event: { message: string } }).event.message,
      "Waiting for a volume to be created either by the external provisioner 'k8ts.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
    );
    assert.equal(planClaim(claim({ storageClassName: 'fast' }), view()).kind, 'provision');
    assert.deepEqual(planClaim(claim({ storageClassName: 'missing' }), view()), {
      kind: 'event',
      event: { type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "missing" not found' },
    });
    assert.equal((planClaim(claim({ storageClassName: 'local' }), view()) as { event: { reason: string } }).event.reason, 'ProvisioningFailed');
  });

  it('handles a claim asking for a volume by name', () => {
    const c = claim({ storageClassName: '', volumeName: 'pv1' });
    assert.deepEqual(planClaim(c, view()), { kind: 'pending' });
    assert.equal(planClaim(c, view({ volumes: [volume('pv1')] })).kind, 'bind');
    const small = planClaim(claim({ storageClassName: '', volumeName: 'pv1', resources: { requests: { storage: '2Gi' } } }), view({ volumes: [volume('pv1')] }));
    assert.deepEqual(small, { kind: 'pending', event: { type: 'Warning', reason: 'VolumeMismatch', message: 'Cannot bind to requested volume "pv1": requested PV is too small' } });
    const taken = planClaim(c, view({ volumes: [volume('pv1', { claimRef: { namespace: 'ns', name: 'other', uid: 'u9' } })] }));
    assert.deepEqual(taken, { kind: 'pending', event: { type: 'Warning', reason: 'FailedBinding', message: 'volume "pv1" already bound to a different claim.' } });
  });

  it('loses a bound claim whose volume is gone or belongs to another claim', () => {
    const bound = claim({ volumeName: 'pv1' }, { 'pv.kubernetes.io/bind-completed': 'yes' });
    assert.deepEqual(planClaim(bound, view()), { kind: 'lost', event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' } });
    const other = view({ volumes: [volume('pv1', { claimRef: { namespace: 'ns', name: 'data', uid: 'someone-else' } })] });
    assert.equal((planClaim(bound, other) as { event: { reason: string } }).event.reason, 'ClaimMisbound');
    const mine = view({ volumes: [volume('pv1', { claimRef: { namespace: 'ns', name: 'data', uid: 'u1' } })] });
    assert.equal(planClaim(bound, mine).kind, 'bind');
  });
});

describe('planVolume', () => {
  const ref = { namespace: 'ns', name: 'data', uid: 'u1' };

  it('follows its claim', () => {
    assert.deepEqual(planVolume(volume('pv1'), undefined), { kind: 'phase', phase: 'Available' });
    assert.deepEqual(planVolume(volume('pv1', { claimRef: { namespace: 'ns', name: 'data' } }), undefined), { kind: 'phase', phase: 'Available' }, 'pre-bound by the user');
    assert.deepEqual(planVolume(volume('pv1', { claimRef: ref }), claim({ volumeName: 'pv1' })), { kind: 'phase', phase: 'Bound' });
    assert.deepEqual(planVolume(volume('pv1', { claimRef: ref }), claim()), { kind: 'syncClaim' });
    assert.deepEqual(planVolume(volume('pv1', { claimRef: ref }), undefined), { kind: 'release' });
  });

  it('lets go of a claim that got another volume', () => {
    const byController = volume('pv1', { claimRef: ref }, { 'pv.kubernetes.io/bound-by-controller': 'yes' });
    assert.deepEqual(planVolume(byController, claim({ volumeName: 'pv2' })), { kind: 'unbind' });
    assert.equal(unboundVolume(byController).spec?.claimRef, undefined);
    assert.deepEqual(unboundVolume(volume('pv1', { claimRef: ref })).spec?.claimRef, { ...ref, uid: '' });
    const provisioned = volume('pv1', { claimRef: ref, persistentVolumeReclaimPolicy: 'Delete' }, { 'pv.kubernetes.io/provisioned-by': 'k8ts.io/local-path' });
    assert.deepEqual(planVolume(provisioned, claim({ volumeName: 'pv2' })), { kind: 'release' });
  });

  it('reclaims by policy: Retain keeps, external provisioners delete their own, the rest fails', () => {
    assert.equal(reclaimFailure(volume('pv1')), undefined);
    assert.equal(reclaimFailure(volume('pv1', { persistentVolumeReclaimPolicy: 'Delete' }, { 'pv.kubernetes.io/provisioned-by': 'k8ts.io/local-path' })), undefined);
    assert.deepEqual(reclaimFailure(volume('pv1', { persistentVolumeReclaimPolicy: 'Delete' })), {
      reason: 'VolumeFailedDelete',
      message: 'error getting deleter volume plugin for volume "pv1": no deletable volume plugin matched',
    });
    assert.equal(reclaimFailure(volume('pv1', { persistentVolumeReclaimPolicy: 'Recycle' }))?.reason, 'VolumeFailedRecycle');
  });
});
