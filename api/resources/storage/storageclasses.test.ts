import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { storageclasses } from './storageclasses.ts';

function sc(extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta('standard'), provisioner: 'rancher.io/local-path', ...extra };
}

describe('storage.k8s.io/v1 storageclasses', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(storageclasses.shortNames, ['sc']);
    assert.equal(storageclasses.namespaced, false);
  });

  it('defaults reclaimPolicy and volumeBindingMode', () => {
    const s = sc();
    assert.deepEqual(createErrors(storageclasses, s), []);
    assert.equal(s.reclaimPolicy, 'Delete');
    assert.equal(s.volumeBindingMode, 'Immediate');
  });

  it('validates provisioner, reclaim policy and binding mode', () => {
    assert.deepEqual(createErrors(storageclasses, sc({ provisioner: '', reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' })).map((e) => [e.field, e.message]), [
      ['provisioner', 'Required value'],
      ['reclaimPolicy', 'Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
      ['volumeBindingMode', 'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'],
    ]);
  });

  it('forbids changing parameters, provisioner and reclaim policy; binding mode is immutable', () => {
    const old = sc({ parameters: { type: 'ssd' } });
    storageclasses.strategy.defaults(old);
    const next = clone(old);
    next.parameters = { type: 'hdd' };
    next.provisioner = 'example.com/other';
    next.reclaimPolicy = 'Retain';
    next.volumeBindingMode = 'WaitForFirstConsumer';
    next.allowVolumeExpansion = true;
    assert.deepEqual(storageclasses.strategy.validateUpdate(next, old).map((e) => [e.field, e.message]), [
      ['parameters', 'Forbidden: updates to parameters are forbidden.'],
      ['provisioner', 'Forbidden: updates to provisioner are forbidden.'],
      ['reclaimPolicy', 'Forbidden: updates to reclaimPolicy are forbidden.'],
      ['volumeBindingMode', 'Invalid value: "WaitForFirstConsumer": field is immutable'],
    ]);
  });

  it('prints (default) in the NAME column and the class settings', () => {
    const s = sc();
    storageclasses.strategy.defaults(s);
    s.metadata!.annotations = { 'storageclass.kubernetes.io/is-default-class': 'true' };
    assert.equal(storageclasses.printerColumns[0]!.format, 'name');
    assert.deepEqual(cells(storageclasses, s), {
      Name: 'standard (default)',
      Provisioner: 'rancher.io/local-path',
      ReclaimPolicy: 'Delete',
      VolumeBindingMode: 'Immediate',
      AllowVolumeExpansion: false,
      Age: '5m',
    });
    assert.equal(cells(storageclasses, sc()).Name, 'standard');
  });
});
