import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { csistoragecapacities } from './csistoragecapacities.ts';

function capacity(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSIStorageCapacity',
    metadata: meta('csisc-1', 'kube-system'),
    storageClassName: 'fast',
    nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
    ...extra,
  };
}

const fieldsAndMessages = (errs: { field: string; message: string }[]) => errs.map((e) => [e.field, e.message]);

describe('storage.k8s.io/v1 csistoragecapacities', () => {
  it('has upstream discovery facts', () => {
    assert.equal(csistoragecapacities.namespaced, true);
    assert.deepEqual(csistoragecapacities.shortNames, []);
  });

  it('canonicalizes quantities and validates class, topology and capacity', () => {
    const c = capacity({ capacity: '1024Mi', maximumVolumeSize: 2147483648 });
    assert.deepEqual(createErrors(csistoragecapacities, c), []);
    assert.equal(c.capacity, '1Gi');
    assert.equal(c.maximumVolumeSize, '2147483648');
    const bad = capacity({ storageClassName: 'Fast!', capacity: '-1Gi', nodeTopology: { matchExpressions: [{ key: 'zone', operator: 'Near' }] } });
    assert.deepEqual(fieldsAndMessages(createErrors(csistoragecapacities, bad)), [
      ['nodeTopology.matchExpressions[0].operator', 'Invalid value: "Near": not a valid selector operator'],
      ['storageClassName', "Invalid value: \"Fast!\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
      ['capacity', 'Invalid value: "-1Gi": must be greater than or equal to 0'],
    ]);
  });

  it('keeps nodeTopology and storageClassName immutable', () => {
    const old = capacity({ capacity: '1Gi' });
    const next = clone(old);
    next.capacity = '2Gi';
    assert.deepEqual(csistoragecapacities.strategy.validateUpdate(next, old), []);
    next.storageClassName = 'slow';
    next.nodeTopology = { matchLabels: { 'topology.kubernetes.io/zone': 'b' } };
    assert.deepEqual(fieldsAndMessages(csistoragecapacities.strategy.validateUpdate(next, old)), [
      ['nodeTopology', 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"topology.kubernetes.io/zone":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'],
      ['storageClassName', 'Invalid value: "slow": field is immutable'],
    ]);
  });

  it('prints STORAGECLASSNAME and CAPACITY, without AGE', () => {
    assert.deepEqual(cells(csistoragecapacities, capacity({ capacity: '10Gi' })), { StorageClassName: 'fast', Capacity: '10Gi' });
    assert.deepEqual(cells(csistoragecapacities, capacity()), { StorageClassName: 'fast', Capacity: '<unset>' });
  });
});
