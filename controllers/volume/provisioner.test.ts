import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pickNode, provisionDecision, shouldDelete, type ProvisionerView } from './provisioner.ts';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './volume.ts';
import type { KubeObject } from '../runtime/types.ts';

const wffc: StorageClass = { metadata: { name: 'standard' }, provisioner: 'k8ts.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
const immediate: StorageClass = { metadata: { name: 'now' }, provisioner: 'k8ts.io/local-path', reclaimPolicy: 'Retain', volumeBindingMode: 'Immediate' };
const foreign: StorageClass = { metadata: { name: 'ebs' }, provisioner: 'ebs.csi.aws.com' };

function node(name: string, ready = true, annotations?: Record<string, string>): KubeObject {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name }, annotations },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function claim(cls: string, annotations: Record<string, string> = {}, spec: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim {
  return {
    metadata: { name: 'data', namespace: 'ns', uid: 'abc', resourceVersion: '3', annotations: { 'volume.kubernetes.io/storage-provisioner': 'k8ts.io/local-path', ...annotations } },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: cls, volumeMode: 'Filesystem', ...spec },
  };
}

function view(nodes: KubeObject[], existing: string[] = []): ProvisionerView {
  const classes = [wffc, immediate, foreign];
  return {
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
    node: (n) => nodes.find((x) => x.metadata?.name === n),
    nodes,
    volumeExists: (n) => existing.includes(n),
  };
}

describe('local-path provisioner decisions', () => {
  it('provisions a hostPath volume on the selected node, pre-bound to the claim', () => {
    const d = provisionDecision(claim('standard', { 'volume.kubernetes.io/selected-node': 'n2' }), view([node('n1'), node('n2', true, { 'k8ts.io/local-path-dir': '/data/n2/volumes/' })]));
    assert.equal(d.kind, 'provision');
    if (d.kind !== 'provision') return;
    assert.deepEqual(d.volume, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-abc', annotations: { 'pv.kubernetes.io/provisioned-by': 'k8ts.io/local-path' } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        capacity: { storage: '2Gi' },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'abc', apiVersion: 'v1', resourceVersion: '3' },
        hostPath: { path: '/data/n2/volumes/pvc-abc_ns_data', type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } },
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'standard',
        volumeMode: 'Filesystem',
      },
    });
    assert.deepEqual(d.events, { provisioning: 'External provisioner is provisioning volume for claim "ns/data"', succeeded: 'Successfully provisioned volume pvc-abc' });
  });

  it('waits for the scheduler with WaitForFirstConsumer, and leaves other claims alone', () => {
    assert.equal(provisionDecision(claim('standard'), view([node('n1')])).kind, 'skip');
    assert.equal(provisionDecision(claim('ebs', { 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' }), view([node('n1')])).kind, 'skip');
    assert.equal(provisionDecision(claim('standard', { 'volume.kubernetes.io/selected-node': 'n1' }, { volumeName: 'pv' }), view([node('n1')])).kind, 'skip');
    const noAnnotation = claim('standard', { 'volume.kubernetes.io/selected-node': 'n1' });
    delete noAnnotation.metadata!.annotations!['volume.kubernetes.io/storage-provisioner'];
    assert.equal(provisionDecision(noAnnotation, view([node('n1')])).kind, 'skip', 'the binder has not handed it over yet');
    assert.equal(provisionDecision(claim('standard', { 'volume.kubernetes.io/selected-node': 'n1' }), view([node('n1')], ['pvc-abc'])).kind, 'skip', 'made already');
  });

  it('places claims of Immediate classes on a ready node, the same one every time', () => {
    const nodes = [node('n1'), node('n2'), node('n3', false)];
    const d1 = provisionDecision(claim('now'), view(nodes));
    const d2 = provisionDecision(claim('now'), view([...nodes].reverse()));
    assert.equal(d1.kind, 'provision');
    assert.deepEqual(d1, d2);
    assert.notEqual(pickNode({ metadata: { uid: 'x' } }, nodes)?.metadata?.name, 'n3');
    assert.equal(pickNode({ metadata: { uid: 'x' } }, [node('n3', false)]), undefined);
    if (d1.kind === 'provision') {
      assert.equal(d1.volume.spec?.persistentVolumeReclaimPolicy, 'Retain');
      assert.match(String((d1.volume.spec?.hostPath as { path: string }).path), /^\/var\/lib\/k8ts\/local-path\/pvc-abc_ns_data$/);
    }
  });

  it('refuses what a node-local directory cannot be', () => {
    const sel = { 'volume.kubernetes.io/selected-node': 'n1' };
    assert.deepEqual(provisionDecision(claim('standard', sel, { accessModes: ['ReadWriteMany'] }), view([node('n1')])), {
      kind: 'fail',
      message: 'failed to provision volume with StorageClass "standard": Only support ReadWriteOnce, ReadWriteOncePod access mode',
    });
    assert.deepEqual(provisionDecision(claim('standard', sel, { selector: { matchLabels: { a: 'b' } } }), view([node('n1')])), {
      kind: 'fail',
      message: 'failed to provision volume with StorageClass "standard": claim.Spec.Selector is not supported',
    });
    assert.deepEqual(provisionDecision(claim('standard', { 'volume.kubernetes.io/selected-node': 'gone' }), view([node('n1')])), {
      kind: 'fail',
      message: 'failed to get target node: nodes "gone" not found',
    });
  });

  it('deletes the Released volumes it made whose policy is Delete', () => {
    const pv = (phase: string, policy: string, by = 'k8ts.io/local-path'): PersistentVolume => ({
      metadata: { name: 'pvc-abc', annotations: { 'pv.kubernetes.io/provisioned-by': by } },
      spec: { persistentVolumeReclaimPolicy: policy },
      status: { phase },
    });
    assert.equal(shouldDelete(pv('Released', 'Delete')), true);
    assert.equal(shouldDelete(pv('Bound', 'Delete')), false);
    assert.equal(shouldDelete(pv('Released', 'Retain')), false);
    assert.equal(shouldDelete(pv('Released', 'Delete', 'other.io/x')), false);
  });
});
