import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { ingresses } from './ingresses.ts';

const backend = { service: { name: 'web', port: { number: 80 } } };

function ingress(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web', 'default'), spec };
}

describe('networking.k8s.io/v1 ingresses', () => {
  it('has upstream discovery facts and the singular storage prefix', () => {
    assert.deepEqual(ingresses.shortNames, ['ing']);
    assert.deepEqual(ingresses.categories, []);
    assert.equal(ingresses.storageResource, 'ingress');
    assert.ok(ingresses.subresources.status);
  });

  it('accepts a rule with a path and starts with an empty load balancer status', () => {
    const ing = ingress({ ingressClassName: 'nginx', rules: [{ host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] });
    assert.deepEqual(createErrors(ingresses, ing), []);
    assert.deepEqual(ing.status, { loadBalancer: {} });
    assert.equal(ing.metadata?.generation, 1);
  });

  it('requires rules or a default backend', () => {
    assert.deepEqual(createErrors(ingresses, ingress({})), [
      { type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified' },
    ]);
  });

  it('requires pathType, absolute paths and a backend port', () => {
    const ing = ingress({
      rules: [
        { host: '10.0.0.1', http: { paths: [{ path: '/', backend }] } },
        { http: { paths: [{ path: 'api', pathType: 'Exact', backend: { service: { name: 'web', port: {} } } }] } },
      ],
    });
    assert.deepEqual(
      createErrors(ingresses, ing).map((e) => [e.field, e.message]),
      [
        ['spec.rules[0].host', 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address'],
        ['spec.rules[0].http.paths[0].pathType', 'Required value: pathType must be specified'],
        ['spec.rules[1].http.paths[0].path', 'Invalid value: "api": must be an absolute path'],
        ['spec.rules[1].http.paths[0].backend', 'Required value: port name or number is required'],
      ],
    );
  });

  it('rejects a class annotation that disagrees with ingressClassName', () => {
    const ing = ingress({ ingressClassName: 'nginx', defaultBackend: backend });
    ing.metadata!.annotations = { 'kubernetes.io/ingress.class': 'traefik' };
    assert.deepEqual(createErrors(ingresses, ing), [
      { type: 'FieldValueInvalid', field: 'annotations.kubernetes.io/ingress.class', message: 'Invalid value: "traefik": must match `ingressClassName` when both are specified' },
    ]);
  });

  it('validates load balancer addresses on status updates', () => {
    const old = ingress({ defaultBackend: backend });
    const next = clone(old);
    next.status = { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } };
    assert.deepEqual(ingresses.strategy.validateStatusUpdate!(next, old).map((e) => e.field), ['status.loadBalancer.ingress[0].ip']);
  });

  it('prints CLASS, HOSTS, ADDRESS, PORTS and AGE', () => {
    const ing = ingress({
      ingressClassName: 'nginx',
      rules: ['a.com', 'b.com', 'c.com', 'd.com'].map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } })),
      tls: [{ hosts: ['a.com'], secretName: 'tls' }],
    });
    ing.status = { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }, { ip: '10.0.0.1' }] } };
    assert.deepEqual(cells(ingresses, ing), {
      Class: 'nginx',
      Hosts: 'a.com,b.com,c.com + 1 more...',
      Address: '10.0.0.1,10.0.0.2,lb.example.com',
      Ports: '80, 443',
      Age: '5m',
    });
    assert.deepEqual(cells(ingresses, ingress({ defaultBackend: backend })), { Class: '<none>', Hosts: '*', Address: '', Ports: '80', Age: '5m' });
  });
});
