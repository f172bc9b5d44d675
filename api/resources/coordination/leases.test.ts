import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, meta } from '../group-helpers/fixtures.ts';
import { leases } from './leases.ts';

function lease(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('node-1', 'kube-node-lease'), spec };
}

describe('coordination.k8s.io/v1 leases', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(leases.shortNames, []);
    assert.equal(leases.storageResource, 'leases');
    assert.equal(leases.namespaced, true);
  });

  it('validates duration, transitions and preferred holder', () => {
    assert.deepEqual(leases.strategy.validate(lease({ holderIdentity: 'n1', leaseDurationSeconds: 40 })), []);
    assert.deepEqual(leases.strategy.validate(lease({ leaseDurationSeconds: 0, leaseTransitions: -1, preferredHolder: 'x' })), [
      { type: 'FieldValueInvalid', field: 'spec.leaseDurationSeconds', message: 'Invalid value: 0: must be greater than 0' },
      { type: 'FieldValueInvalid', field: 'spec.leaseTransitions', message: 'Invalid value: -1: must be greater than or equal to 0' },
      { type: 'FieldValueForbidden', field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `holderIdentity` is specified' },
    ]);
  });

  it('prints HOLDER', () => {
    assert.deepEqual(cells(leases, lease({ holderIdentity: 'node-1' })), { Holder: 'node-1', Age: '5m' });
    assert.deepEqual(cells(leases, lease({})), { Holder: '', Age: '5m' });
  });
});
