import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { ingressclasses } from './ingressclasses.ts';

function ic(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta('nginx'), spec };
}

describe('networking.k8s.io/v1 ingressclasses', () => {
  it('is cluster-scoped', () => {
    assert.equal(ingressclasses.namespaced, false);
    assert.equal(ingressclasses.storageResource, 'ingressclasses');
  });

  it('defaults the parameters scope to Cluster', () => {
    const c = ic({ controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } });
    assert.deepEqual(createErrors(ingressclasses, c), []);
    assert.equal((c.spec as Record<string, any>).parameters.scope, 'Cluster');
  });

  it('requires a domain-prefixed controller and namespaces only for Namespace scope', () => {
    const c = ic({ controller: 'nginx', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } });
    assert.deepEqual(createErrors(ingressclasses, c), [
      { type: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")' },
      { type: 'FieldValueRequired', field: 'spec.parameters.namespace', message: "Required value: `parameters.scope` is set to 'Namespace'" },
    ]);
  });

  it('makes the controller immutable', () => {
    const old = ic({ controller: 'k8s.io/ingress-nginx' });
    const next = clone(old);
    (next.spec as Record<string, unknown>).controller = 'example.com/other';
    assert.deepEqual(ingressclasses.strategy.validateUpdate(next, old), [
      { type: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "example.com/other": field is immutable' },
    ]);
  });

  it('prints CONTROLLER and PARAMETERS', () => {
    assert.deepEqual(cells(ingressclasses, ic({ controller: 'k8s.io/ingress-nginx' })), { Controller: 'k8s.io/ingress-nginx', Parameters: '<none>', Age: '5m' });
    const c = ic({ controller: 'k8s.io/x', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } });
    assert.equal(cells(ingressclasses, c).Parameters, 'IngressParameters.k8s.example.com/p');
  });
});
