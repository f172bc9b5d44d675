import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, createMergePatch } from './merge-patch.ts';

test('RFC 7386 appendix A examples', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) {
    assert.deepEqual(applyMergePatch(doc, patch), want, `${JSON.stringify(doc)} + ${JSON.stringify(patch)}`);
  }
});

test('labels and lists as kubectl patch --type merge does', () => {
  const pod = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'x', image: 'a' }, { name: 'y' }] } };
  const out = applyMergePatch(pod, { metadata: { labels: { b: null, c: '3' } }, spec: { containers: [{ name: 'x', image: 'b' }] } });
  assert.deepEqual(out, { metadata: { labels: { a: '1', c: '3' } }, spec: { containers: [{ name: 'x', image: 'b' }] } });
  assert.deepEqual(pod.metadata.labels, { a: '1', b: '2' }, 'input untouched');
});

test('createMergePatch round-trips', () => {
  const a = { x: 1, y: { z: 2, w: 3 }, l: [1] };
  const b = { x: 1, y: { z: 5 }, l: [1, 2], n: 'new' };
  const p = createMergePatch(a, b);
  assert.deepEqual(p, { y: { w: null, z: 5 }, l: [1, 2], n: 'new' });
  assert.deepEqual(applyMergePatch(a, p), b);
});
