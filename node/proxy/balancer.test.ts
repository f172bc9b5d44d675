import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Balancer } from './balancer.ts';

const A = { address: '10.244.0.2', port: 80 };
const B = { address: '10.244.0.3', port: 80 };
const C = { address: '10.244.0.4', port: 80 };

describe('Balancer', () => {
  it('goes round robin over the candidates', () => {
    const b = new Balancer();
    const got = Array.from({ length: 6 }, () => b.pick([A, B, C], '1.1.1.1', 0));
    assert.deepEqual(got, [A, B, C, A, B, C]);
  });

  it('has nothing to pick without candidates', () => {
    assert.equal(new Balancer().pick([], '1.1.1.1', 0), undefined);
    assert.equal(new Balancer(1000).pick([], '1.1.1.1', 0), undefined);
  });

  it('keeps up when candidates change', () => {
    const b = new Balancer();
    b.pick([A, B], 'c', 0);
    b.pick([A, B], 'c', 0);
    // An endpoint went away: the rest still take turns.
    const got = Array.from({ length: 4 }, () => b.pick([B, C], 'c', 0));
    assert.deepEqual(got, [B, C, B, C]);
  });

  it('sticks a client to its endpoint with ClientIP affinity, others still rotate', () => {
    const b = new Balancer(10_000);
    const first = b.pick([A, B], '1.1.1.1', 0);
    for (let t = 1; t < 5; t++) assert.deepEqual(b.pick([A, B], '1.1.1.1', t * 1000), first);
    const other = b.pick([A, B], '2.2.2.2', 5000);
    assert.notDeepEqual(other, first);
    assert.equal(b.affinities, 2);
  });

  it('lets the affinity lapse after the timeout (measured from the last use)', () => {
    const b = new Balancer(10_000);
    assert.deepEqual(b.pick([A, B], 'c', 0), A);
    assert.deepEqual(b.pick([A, B], 'c', 9_000), A);
    assert.deepEqual(b.pick([A, B], 'c', 18_000), A, 'renewed by the use at 9 s');
    assert.deepEqual(b.pick([A, B], 'c', 28_001), B, 'expired: the next in turn');
  });

  it('moves a client whose endpoint is no longer a candidate', () => {
    const b = new Balancer(10_000);
    assert.deepEqual(b.pick([A, B], 'c', 0), A);
    assert.deepEqual(b.pick([B, C], 'c', 1), C);
    assert.deepEqual(b.pick([A, B, C], 'c', 2), C, 'the new endpoint sticks');
  });

  it('sweeps expired affinities', () => {
    const b = new Balancer(1000);
    for (let i = 0; i < 100; i++) b.pick([A], `10.0.0.${i}`, 0);
    assert.equal(b.affinities, 100);
    for (let i = 0; i < 300; i++) b.pick([A], 'late', 5000);
    assert.equal(b.affinities, 1);
  });
});
