import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, createErrors, meta } from '../group-helpers/fixtures.ts';
import { networkpolicies } from './networkpolicies.ts';

function np(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('deny', 'default'), spec };
}

describe('networking.k8s.io/v1 networkpolicies', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(networkpolicies.shortNames, ['netpol']);
    assert.deepEqual(networkpolicies.subresources, {});
  });

  it('defaults port protocols and policy types', () => {
    const p = np({ podSelector: {}, egress: [{ ports: [{ port: 53 }] }] });
    assert.deepEqual(createErrors(networkpolicies, p), []);
    const spec = p.spec as Record<string, any>;
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(spec.egress[0].ports[0].protocol, 'TCP');
    const ingressOnly = np({ podSelector: {} });
    networkpolicies.strategy.defaults(ingressOnly);
    assert.deepEqual((ingressOnly.spec as Record<string, any>).policyTypes, ['Ingress']);
  });

  it('validates ports, peers and ip blocks', () => {
    const p = np({
      podSelector: {},
      ingress: [
        {
          ports: [{ port: 80, endPort: 79 }, { protocol: 'ICMP' }],
          from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] }, podSelector: {} }],
        },
      ],
    });
    assert.deepEqual(
      createErrors(networkpolicies, p).map((e) => [e.field, e.message]),
      [
        ['spec.ingress[0].ports[0].endPort', 'Invalid value: 80: must be greater than or equal to `port`'],
        ['spec.ingress[0].ports[1].protocol', 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
        ['spec.ingress[0].from[0]', 'Required value: must specify a peer'],
        ['spec.ingress[0].from[1].ipBlock.except[0]', 'Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`'],
        ['spec.ingress[0].from[1]', 'Forbidden: may not specify both ipBlock and another peer'],
      ],
    );
  });

  it('prints POD-SELECTOR', () => {
    assert.deepEqual(cells(networkpolicies, np({ podSelector: {} })), { 'Pod-Selector': '<none>', Age: '5m' });
    assert.equal(cells(networkpolicies, np({ podSelector: { matchLabels: { app: 'db' } } }))['Pod-Selector'], 'app=db');
  });
});
