import { test } from 'node:test';
import assert from 'node:assert/strict';
import { persistentvolumes } from './persistentvolumes.ts';
import { persistentvolumeclaims } from './persistentvolumeclaims.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-01T00:10:00Z');
const ctx = { now, user: 'admin' };

function pv(spec: Record<string, unknown>): KubeObject {
  const o: KubeObject = { metadata: { name: 'pv1', creationTimestamp: '2024-01-01T00:00:00Z' }, spec };
  persistentvolumes.strategy.defaults(o);
  return o;
}

test('PV defaults and create', () => {
  const o = pv({ capacity: { storage: '1024Mi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } });
  assert.deepEqual(o.spec, { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
  persistentvolumes.strategy.prepareForCreate!(o, ctx);
  assert.deepEqual(o.status, { phase: 'Pending', lastPhaseTransitionTime: '2024-01-01T00:10:00Z' });
  assert.deepEqual(persistentvolumes.strategy.validate(o), []);
});

test('PV validation', () => {
  const errs = persistentvolumes.strategy.validate(pv({ capacity: { storage: '0', cpu: '1' }, accessModes: ['ReadWriteOncePod', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Keep' }));
  assert.deepEqual(errs.map((e) => `${e.field}: ${e.message}`), [
    'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
    'spec.capacity: Unsupported value: {"storage":"0","cpu":"1"}: supported values: "storage"',
    'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
    'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    'spec: Required value: must specify a volume type',
  ]);
});

test('PV update: source and volumeMode immutable', () => {
  const old = pv({ capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], nfs: { server: 'a', path: '/x' } });
  const upd = pv({ capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], nfs: { server: 'b', path: '/x' }, volumeMode: 'Block' });
  assert.deepEqual(persistentvolumes.strategy.validateUpdate(upd, old).map((e) => e.field), ['spec.persistentvolumesource', 'volumeMode']);
});

test('PV printer', () => {
  const o = pv({ capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], hostPath: { path: '/d' }, claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'standard' });
  o.status = { phase: 'Bound' };
  assert.deepEqual(persistentvolumes.printerColumns.map((c) => c.cell(o, now)), ['5Gi', 'RWO,ROX', 'Retain', 'Bound', 'default/data', 'standard', '<unset>', '', '10m', 'Filesystem']);
});

function pvc(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  const o: KubeObject = { metadata: { name: 'data', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec, ...(status ? { status } : {}) };
  persistentvolumeclaims.strategy.defaults(o);
  return o;
}

test('PVC defaults and validation', () => {
  const o = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1000M' } } });
  assert.deepEqual(o.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1G' } }, volumeMode: 'Filesystem' });
  assert.deepEqual(o.status, { phase: 'Pending' });
  assert.deepEqual(persistentvolumeclaims.strategy.validate(o), []);
  const bad = pvc({ accessModes: [], resources: {} });
  assert.deepEqual(persistentvolumeclaims.strategy.validate(bad).map((e) => `${e.field}: ${e.message}`), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
});

test('PVC updates: bound claims may grow, never shrink; other spec immutable', () => {
  const old = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv1' }, { phase: 'Bound' });
  const grow = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, volumeName: 'pv1' }, { phase: 'Bound' });
  assert.deepEqual(persistentvolumeclaims.strategy.validateUpdate(grow, old), []);
  const shrink = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Mi' } }, volumeName: 'pv1' }, { phase: 'Bound' });
  assert.deepEqual(persistentvolumeclaims.strategy.validateUpdate(shrink, old).map((e) => `${e.field}: ${e.message}`), [
    'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
  ]);
  const modes = pvc({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv1' }, { phase: 'Bound' });
  assert.deepEqual(persistentvolumeclaims.strategy.validateUpdate(modes, old).map((e) => e.message), [
    'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
  ]);
  const unbound = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
  const binding = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv9' });
  assert.deepEqual(persistentvolumeclaims.strategy.validateUpdate(binding, unbound), []);
});

test('PVC printer', () => {
  const pending = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard' });
  assert.deepEqual(persistentvolumeclaims.printerColumns.map((c) => c.cell(pending, now)), ['Pending', '', '', '', 'standard', '<unset>', '10m', 'Filesystem']);
  const bound = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv1' }, { phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'] });
  assert.deepEqual(persistentvolumeclaims.printerColumns.map((c) => c.cell(bound, now)).slice(0, 4), ['Bound', 'pv1', '2Gi', 'RWO']);
});
