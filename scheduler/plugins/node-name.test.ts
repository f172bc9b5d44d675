import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeNameFilter } from './node-name.ts';
import { node, pod } from '../testing/fixtures.ts';

test('spec.nodeName: only that node fits', () => {
  assert.equal(nodeNameFilter(pod('p'), node('a')), undefined);
  assert.equal(nodeNameFilter(pod('p', { nodeName: 'a' }), node('a')), undefined);
  assert.deepEqual(nodeNameFilter(pod('p', { nodeName: 'a' }), node('b'))?.reasons, ["node(s) didn't match the requested node name"]);
});
