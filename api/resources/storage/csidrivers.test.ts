import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { csidrivers } from './csidrivers.ts';

function driver(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: meta('hostpath.csi.k8s.io'), spec };
}

const fieldsAndMessages = (errs: { field: string; message: string }[]) => errs.map((e) => [e.field, e.message]);

describe('storage.k8s.io/v1 csidrivers', () => {
  it('has upstream discovery facts', () => {
    assert.equal(csidrivers.namespaced, false);
    assert.deepEqual(csidrivers.shortNames, []);
    assert.equal(csidrivers.strategy.tracksGeneration, true);
  });

  it('defaults the spec as SetDefaults_CSIDriver and drops gated fields', () => {
    const d = driver({ nodeAllocatableUpdatePeriodSeconds: 60 });
    assert.deepEqual(createErrors(csidrivers, d), []);
    assert.deepEqual(d.spec, {
      attachRequired: true,
      podInfoOnMount: false,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Persistent'],
      requiresRepublish: false,
      seLinuxMount: false,
    });
  });

  it('validates fsGroupPolicy, token requests and lifecycle modes', () => {
    const d = driver({
      fsGroupPolicy: 'Sometimes',
      tokenRequests: [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }, { audience: 'b', expirationSeconds: 2 ** 33 }],
      volumeLifecycleModes: ['Persistent', 'Forever'],
    });
    assert.deepEqual(fieldsAndMessages(createErrors(csidrivers, d)), [
      ['spec.fsGroupPolicy', 'Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType"'],
      ['spec.tokenRequests[0].expirationSeconds', 'Invalid value: 60: may not specify a duration less than 10 minutes'],
      ['spec.tokenRequests[1].audience', 'Duplicate value: "a"'],
      ['spec.tokenRequests[2].expirationSeconds', 'Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds'],
      ['spec.volumeLifecycleModes', 'Unsupported value: "Forever": supported values: "Persistent", "Ephemeral"'],
    ]);
  });

  it('keeps attachRequired and volumeLifecycleModes immutable (upstream paths)', () => {
    const old = driver();
    csidrivers.strategy.defaults(old);
    const next = clone(old);
    (next.spec as Record<string, unknown>).attachRequired = false;
    (next.spec as Record<string, unknown>).volumeLifecycleModes = ['Ephemeral'];
    (next.spec as Record<string, unknown>).podInfoOnMount = true;
    assert.deepEqual(fieldsAndMessages(csidrivers.strategy.validateUpdate(next, old)), [
      ['spec.attachedRequired', 'Invalid value: false: field is immutable'],
      ['spec.volumeLifecycleModes', 'Invalid value: []storage.VolumeLifecycleMode{"Ephemeral"}: field is immutable'],
    ]);
  });

  it('prints the driver settings', () => {
    const d = driver({ tokenRequests: [{ audience: 'vault' }, { audience: 'gcp' }], volumeLifecycleModes: ['Persistent', 'Ephemeral'] });
    csidrivers.strategy.defaults(d);
    assert.deepEqual(cells(csidrivers, d), {
      AttachRequired: true,
      PodInfoOnMount: false,
      StorageCapacity: false,
      TokenRequests: 'vault,gcp',
      RequiresRepublish: false,
      Modes: 'Persistent,Ephemeral',
      Age: '5m',
    });
    assert.equal(cells(csidrivers, driver()).TokenRequests, '<unset>');
    assert.equal(cells(csidrivers, driver()).Modes, '<none>');
  });
});
