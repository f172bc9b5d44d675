import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, meta } from '../group-helpers/fixtures.ts';
import { controllerrevisions } from './controllerrevisions.ts';

describe('apps/v1 controllerrevisions', () => {
  const rev: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: meta('web-5d8f', 'default', {
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }],
    }),
    data: { spec: {} },
    revision: 2,
  };

  it('requires data and a non-negative revision', () => {
    assert.deepEqual(controllerrevisions.strategy.validate({ metadata: meta('x', 'default'), revision: -1 }), [
      { type: 'FieldValueRequired', field: 'data', message: 'Required value: data is mandatory' },
      { type: 'FieldValueInvalid', field: 'revision', message: 'Invalid value: -1: must be greater than or equal to 0' },
    ]);
  });

  it('makes data immutable', () => {
    const next = { ...rev, data: { spec: { replicas: 2 } } };
    assert.deepEqual(controllerrevisions.strategy.validateUpdate(next, rev).map((e) => e.field), ['data']);
  });

  it('prints the controller as kind.group/name and the revision', () => {
    assert.deepEqual(cells(controllerrevisions, rev), { Controller: 'statefulset.apps/web', Revision: 2, Age: '5m' });
    assert.equal(cells(controllerrevisions, { ...rev, metadata: meta('x', 'default') }).Controller, '<none>');
  });
});
