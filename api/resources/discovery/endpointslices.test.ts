import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta, NOW } from '../group-helpers/fixtures.ts';
import { endpointslices } from './endpointslices.ts';

function slice(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta('web-abc', 'default'),
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true } }],
    ports: [{ port: 80 }],
    ...extra,
  };
}

describe('discovery.k8s.io/v1 endpointslices', () => {
  it('defaults port name and protocol', () => {
    const s = slice();
    assert.deepEqual(createErrors(endpointslices, s), []);
    assert.deepEqual((s.ports as unknown[])[0], { port: 80, name: '', protocol: 'TCP' });
    assert.equal(s.metadata?.generation, 1);
  });

  it('validates address type, addresses and ports', () => {
    const s = slice({
      addressType: 'IPv4',
      endpoints: [{ addresses: ['300.1.1.1', '127.0.0.1'] }, { addresses: [] }],
      ports: [{ name: 'http', port: 80 }, { name: 'http', protocol: 'ICMP' }],
    });
    assert.deepEqual(
      createErrors(endpointslices, s).map((e) => [e.field, e.message]),
      [
        ['endpoints[0].addresses[0]', 'Invalid value: "300.1.1.1": must be a valid IPv4 address'],
        ['endpoints[0].addresses[1]', 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
        ['endpoints[1].addresses', 'Required value: must contain at least 1 address'],
        ['ports[1].name', 'Duplicate value: "http"'],
        ['ports[1].protocol', 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
      ],
    );
    assert.deepEqual(createErrors(endpointslices, slice({ addressType: 'IPX' })).map((e) => e.message), [
      'Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
  });

  it('makes addressType immutable and bumps generation on content changes only', () => {
    const old = slice();
    createErrors(endpointslices, old);
    const next = clone(old);
    next.addressType = 'IPv6';
    next.endpoints = [{ addresses: ['fd00::5'] }];
    assert.deepEqual(endpointslices.strategy.validateUpdate(next, old).map((e) => e.field), ['addressType']);
    const labelsOnly = clone(old);
    labelsOnly.metadata!.labels = { a: 'b' };
    endpointslices.strategy.prepareForUpdate!(labelsOnly, old, { now: NOW, user: 'admin' });
    assert.equal(labelsOnly.metadata?.generation, 1);
    endpointslices.strategy.prepareForUpdate!(next, old, { now: NOW, user: 'admin' });
    assert.equal(next.metadata?.generation, 2);
  });

  it('prints ADDRESSTYPE, PORTS and ENDPOINTS', () => {
    const s = slice({
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
      ports: [{ port: 80 }, { name: 'metrics' }, {}],
    });
    assert.deepEqual(cells(endpointslices, s), { AddressType: 'IPv4', Ports: '80,metrics,*', Endpoints: '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', Age: '5m' });
    assert.deepEqual(cells(endpointslices, slice({ endpoints: [], ports: [] })), { AddressType: 'IPv4', Ports: '<unset>', Endpoints: '<unset>', Age: '5m' });
  });
});
