import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { csinodes } from './csinodes.ts';

function node(drivers: unknown[]): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: meta('node-1'), spec: { drivers } };
}

const fieldsAndMessages = (errs: { field: string; message: string }[]) => errs.map((e) => [e.field, e.message]);

describe('storage.k8s.io/v1 csinodes', () => {
  it('has upstream discovery facts', () => {
    assert.equal(csinodes.namespaced, false);
    assert.deepEqual(csinodes.shortNames, []);
  });

  it('accepts registered drivers', () => {
    assert.deepEqual(createErrors(csinodes, node([{ name: 'hostpath.csi.k8s.io', nodeID: 'node-1', topologyKeys: ['topology.hostpath.csi/node'], allocatable: { count: 10 } }])), []);
    assert.deepEqual(createErrors(csinodes, node([])), []);
  });

  it('validates driver names, node IDs, counts and topology keys', () => {
    const errs = createErrors(
      csinodes,
      node([
        { name: 'd.example.com', nodeID: 'x'.repeat(257), allocatable: { count: -1 } },
        { name: 'd.example.com', nodeID: '', topologyKeys: ['', 'zone', 'zone'] },
      ]),
    );
    assert.deepEqual(fieldsAndMessages(errs), [
      ['spec.drivers[0].nodeID', `Invalid value: "${'x'.repeat(257)}": must be 256 characters or less`],
      ['spec.drivers[0].allocatable.count', 'Invalid value: -1: must be greater than or equal to 0'],
      ['spec.drivers[1].nodeID', 'Required value'],
      ['spec.drivers[1].name', 'Duplicate value: "d.example.com"'],
      ['spec.drivers[1]', 'Required value'],
      ['spec.drivers[1]', "Invalid value: \"\": name part must be non-empty"],
      ['spec.drivers[1]', "Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
      ['spec.drivers[1]', 'Duplicate value: "zone"'],
    ]);
  });

  it('forbids changing a registered driver but allows adding and removing drivers', () => {
    const old = node([{ name: 'a.example.com', nodeID: 'n1', topologyKeys: ['zone'] }]);
    const next = clone(old);
    (next.spec as { drivers: unknown[] }).drivers.push({ name: 'b.example.com', nodeID: 'n1' });
    assert.deepEqual(csinodes.strategy.validateUpdate(next, old), []);
    (next.spec as { drivers: { nodeID: string }[] }).drivers[0]!.nodeID = 'n2';
    assert.deepEqual(fieldsAndMessages(csinodes.strategy.validateUpdate(next, old)), [
      ['spec.drivers', 'Invalid value: storage.CSINodeDriver{Name:"a.example.com", NodeID:"n2", TopologyKeys:[]string{"zone"}, Allocatable:(*storage.VolumeNodeResources)(nil)}: field is immutable'],
    ]);
    assert.deepEqual(csinodes.strategy.validateUpdate(node([]), old), []);
  });

  it('prints the number of drivers', () => {
    assert.deepEqual(cells(csinodes, node([{ name: 'a', nodeID: 'n' }, { name: 'b', nodeID: 'n' }])), { Drivers: 2, Age: '5m' });
  });
});
