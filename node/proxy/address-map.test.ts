import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrMapper, identityMapper } from './address-map.ts';

describe('address mapping', () => {
  it('maps a range onto loopback, keeping the host bits', () => {
    const m = cidrMapper('10.0.0.0/8', '127.0.0.0/8');
    assert.equal(m('10.96.3.4'), '127.96.3.4');
    assert.equal(m('10.244.0.5'), '127.244.0.5');
    assert.equal(m('192.168.1.1'), '192.168.1.1');
    assert.equal(m('fd00::1'), 'fd00::1');
  });

  it('maps narrower ranges too', () => {
    const m = cidrMapper('10.96.0.0/12', '127.16.0.0/12');
    assert.equal(m('10.96.0.10'), '127.16.0.10');
    assert.equal(m('10.111.255.254'), '127.31.255.254');
    assert.equal(m('10.112.0.1'), '10.112.0.1');
  });

  it('rejects mismatched or invalid ranges', () => {
    assert.throws(() => cidrMapper('10.0.0.0/8', '127.0.0.0/16'), /prefix lengths differ/);
    assert.throws(() => cidrMapper('10.0.0/8', '127.0.0.0/8'), /invalid IPv4 CIDR/);
  });

  it('identity keeps everything', () => {
    assert.equal(identityMapper('10.96.0.1'), '10.96.0.1');
  });
});
