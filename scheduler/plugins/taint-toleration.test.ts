import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countIntolerableTaintsPreferNoSchedule, taintTolerationFilter, taintTolerationPlugin, toleratesTaint } from './taint-toleration.ts';
import { pod } from '../testing/fixtures.ts';
import type { Taint } from '../types.ts';

const cp: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

test('toleratesTaint: Equal compares values, Exists any value, empty key with Exists everything', () => {
  assert.equal(toleratesTaint({ key: 'a', operator: 'Equal', value: 'x', effect: 'NoSchedule' }, { key: 'a', value: 'x', effect: 'NoSchedule' }), true);
  assert.equal(toleratesTaint({ key: 'a', value: 'y' }, { key: 'a', value: 'x', effect: 'NoSchedule' }), false);
  assert.equal(toleratesTaint({ key: 'a', operator: 'Exists' }, { key: 'a', value: 'x', effect: 'NoExecute' }), true);
  assert.equal(toleratesTaint({ operator: 'Exists' }, { key: 'anything', effect: 'NoSchedule' }), true);
  assert.equal(toleratesTaint({ key: 'a', operator: 'Exists', effect: 'NoExecute' }, { key: 'a', effect: 'NoSchedule' }), false);
});

test('filter: untolerated NoSchedule/NoExecute taints refuse the node with upstream wording', () => {
  const p = pod('p');
  assert.deepEqual(taintTolerationFilter(p, [cp]), { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'] });
  assert.deepEqual(taintTolerationFilter(p, [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }])?.reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
  assert.equal(taintTolerationFilter(p, [{ key: 'soft', effect: 'PreferNoSchedule' }]), undefined);
  const tolerant = pod('t', { spec: { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.equal(taintTolerationFilter(tolerant, [cp]), undefined);
});

test('score: untolerated PreferNoSchedule taints, normalized so fewer is better', () => {
  const soft = (k: string): Taint => ({ key: k, effect: 'PreferNoSchedule' });
  assert.equal(countIntolerableTaintsPreferNoSchedule([soft('a'), soft('b'), cp], []), 2);
  assert.equal(countIntolerableTaintsPreferNoSchedule([soft('a'), soft('b')], [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }]), 1);
  // A NoSchedule toleration does not tolerate a PreferNoSchedule taint.
  assert.equal(countIntolerableTaintsPreferNoSchedule([soft('a')], [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }]), 1);
  const scores = [0, 1, 2];
  taintTolerationPlugin.normalize!({ pod: pod('p'), nodes: [], state: new Map() }, [], scores);
  assert.deepEqual(scores, [100, 50, 0]);
  const none = [0, 0];
  taintTolerationPlugin.normalize!({ pod: pod('p'), nodes: [], state: new Map() }, [], none);
  assert.deepEqual(none, [100, 100]);
});
