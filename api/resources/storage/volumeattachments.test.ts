import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta, NOW } from '../group-helpers/fixtures.ts';
import { tableColumns } from '../../table.ts';
import { volumeattachments } from './volumeattachments.ts';

function attachment(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'VolumeAttachment',
    metadata: meta('va-1'),
    spec: { attacher: 'e2e-test.storage.k8s.io', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' }, ...spec },
    ...(status ? { status } : {}),
  };
}

const fieldsAndMessages = (errs: { field: string; message: string }[]) => errs.map((e) => [e.field, e.message]);
const strategy = volumeattachments.strategy;

describe('storage.k8s.io/v1 volumeattachments', () => {
  it('has upstream discovery facts and a status subresource', () => {
    assert.equal(volumeattachments.namespaced, false);
    assert.deepEqual(volumeattachments.shortNames, []);
    assert.deepEqual(volumeattachments.subresources, { status: true });
  });

  it('starts with status.attached false whatever was sent', () => {
    const va = attachment({}, { attached: true, attachmentMetadata: { a: 'b' } });
    assert.deepEqual(createErrors(volumeattachments, va), []);
    assert.deepEqual(va.status, { attached: false });
  });

  it('validates attacher, source and node name', () => {
    assert.deepEqual(fieldsAndMessages(createErrors(volumeattachments, attachment({ attacher: '', nodeName: 'Node_1', source: {} }))), [
      ['spec.attacher', 'Required value'],
      ['spec.source', 'Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName'],
      ['spec.nodeName', "Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
      ['spec.attacher', "Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
    ]);
    const both = attachment({ source: { persistentVolumeName: 'pv', inlineVolumeSpec: { accessModes: ['ReadWriteOnce'], csi: { driver: 'd', volumeHandle: 'h' } } } });
    assert.deepEqual(fieldsAndMessages(createErrors(volumeattachments, both)), [['spec.source', 'Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName']]);
    const inline = attachment({ source: { inlineVolumeSpec: { capacity: { storage: '1Gi' }, csi: { driver: 'd.example.com' } } } });
    assert.deepEqual(fieldsAndMessages(createErrors(volumeattachments, inline)), [
      ['spec.source.inlineVolumeSpec.capacity', 'Forbidden: may not be specified in the context of inline volumes'],
      ['spec.source.inlineVolumeSpec.accessModes', 'Required value'],
      ['spec.source.inlineVolumeSpec.csi.volumeHandle', 'Required value'],
    ]);
  });

  it('keeps the spec immutable and the status apart', () => {
    const old = attachment();
    strategy.defaults(old);
    strategy.prepareForCreate!(old, { now: NOW, user: 'admin' });
    const next = clone(old);
    next.status = { attached: true };
    strategy.prepareForUpdate!(next, old, { now: NOW, user: 'admin' });
    assert.deepEqual(next.status, { attached: false });
    (next.spec as Record<string, unknown>).nodeName = 'node-2';
    assert.deepEqual(fieldsAndMessages(strategy.validateUpdate(next, old)), [
      ['spec', 'Invalid value: storage.VolumeAttachmentSpec{Attacher:"e2e-test.storage.k8s.io", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node-2"}: field is immutable'],
    ]);
  });

  it('validates status errors and defaults attached on status writes', () => {
    const old = attachment({}, { attached: false });
    const next = attachment({}, { attachError: { message: 'x'.repeat(1025), errorCode: -1 } });
    strategy.defaults(next);
    assert.equal((next.status as { attached: boolean }).attached, false);
    assert.deepEqual(fieldsAndMessages(strategy.validateStatusUpdate!(next, old)), [
      ['status.attachError.message', 'Too long: must have at most 262144 bytes'],
      ['status.attachError.errorCode', 'Invalid value: -1: must be between 0 and 2147483647, inclusive'],
    ]);
  });

  it('prints NAME, ATTACHER, PV, NODE, ATTACHED and AGE as upstream', () => {
    assert.deepEqual(
      tableColumns(volumeattachments).map((c) => [c.name, c.format]),
      [['Name', 'name'], ['Attacher', 'name'], ['PV', ''], ['Node', ''], ['Attached', ''], ['Age', '']],
    );
    const va = attachment({}, { attached: true });
    assert.deepEqual(cells(volumeattachments, va), { Name: 'va-1', Attacher: 'e2e-test.storage.k8s.io', PV: 'pv-1', Node: 'node-1', Attached: true, Age: '5m' });
  });
});
