import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeUnschedulableFilter } from './node-unschedulable.ts';
import { node, pod } from '../testing/fixtures.ts';

test('a cordoned node refuses pods unless they tolerate node.kubernetes.io/unschedulable', () => {
  assert.equal(nodeUnschedulableFilter(pod('p'), node('n')), undefined);
  assert.deepEqual(nodeUnschedulableFilter(pod('p'), node('n', { unschedulable: true })), { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
  const tolerant = pod('t', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.equal(nodeUnschedulableFilter(tolerant, node('n', { unschedulable: true })), undefined);
});
