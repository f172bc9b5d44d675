import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta, podTemplate } from '../group-helpers/fixtures.ts';
import { statefulsets } from './statefulsets.ts';

function sts(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('db', 'default'),
    spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec },
  };
}

describe('apps/v1 statefulsets', () => {
  it('has upstream discovery facts and a DNS-label name', () => {
    assert.deepEqual(statefulsets.shortNames, ['sts']);
    assert.deepEqual(statefulsets.categories, ['all']);
    assert.equal(statefulsets.nameFormat, 'dns1123Label');
    assert.ok(statefulsets.subresources.scale);
  });

  it('defaults policies, partition, retention, replicas and claim templates', () => {
    const s = sts({
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    assert.deepEqual(createErrors(statefulsets, s), []);
    const spec = s.spec as Record<string, any>;
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(spec.replicas, 1);
    assert.equal(spec.revisionHistoryLimit, 10);
    const pvc = spec.volumeClaimTemplates[0];
    assert.equal(pvc.apiVersion, 'v1');
    assert.equal(pvc.kind, 'PersistentVolumeClaim');
    assert.equal(pvc.spec.volumeMode, 'Filesystem');
    assert.deepEqual(pvc.status, { phase: 'Pending' });
    assert.deepEqual(s.status, { replicas: 0, availableReplicas: 0 });
  });

  it('does not run pod validation on the template (mounts may name claim templates)', () => {
    const s = sts({ template: podTemplate({ app: 'web' }, { containers: [{ name: 'db', image: 'pg', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] }) });
    assert.deepEqual(createErrors(statefulsets, s), []);
  });

  it('validates policies and partition', () => {
    const s = sts({ podManagementPolicy: 'Fast', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } });
    assert.deepEqual(
      createErrors(statefulsets, s).map((e) => [e.field, e.message]),
      [
        ['spec.podManagementPolicy', "Invalid value: \"Fast\": must be 'OrderedReady' or 'Parallel'"],
        ['spec.updateStrategy.rollingUpdate.partition', 'Invalid value: -1: must be greater than or equal to 0'],
      ],
    );
  });

  it('forbids updates of fields other than the mutable ones', () => {
    const old = sts();
    createErrors(statefulsets, old);
    const ok = clone(old);
    (ok.spec as Record<string, any>).replicas = 5;
    (ok.spec as Record<string, any>).template.spec.containers[0].image = 'nginx:2';
    assert.deepEqual(statefulsets.strategy.validateUpdate(ok, old), []);
    const bad = clone(old);
    (bad.spec as Record<string, any>).serviceName = 'other';
    assert.deepEqual(statefulsets.strategy.validateUpdate(bad, old), [
      {
        type: 'FieldValueForbidden',
        field: 'spec',
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      },
    ]);
  });

  it('prints READY as ready/desired', () => {
    const s = sts({ replicas: 3 });
    s.status = { replicas: 3, readyReplicas: 3 };
    assert.deepEqual(cells(statefulsets, s, true), { Ready: '3/3', Age: '5m', Containers: 'web', Images: 'nginx:1.25' });
  });
});
