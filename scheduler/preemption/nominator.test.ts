import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile, schedulePod } from '../algorithm.ts';
import { node, nodeInfos, pod } from '../testing/fixtures.ts';
import type { Pod } from '../types.ts';
import { Nominator } from './nominator.ts';

const nominatedTo = (p: Pod, node: string): Pod => ({ ...p, status: { ...p.status, nominatedNodeName: node } });
const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata?.name);

test('nominations from the status and from the scheduler; an update without one keeps the scheduler\'s', () => {
  const n = new Nominator();
  const a = pod('a');
  n.add(nominatedTo(a, 'x'));
  assert.deepEqual(names(n.podsOn('x')), ['a']);
  const b = pod('b');
  n.add(b, 'y');
  assert.equal(n.nodeOf(b), 'y');
  // The API has not caught up: an update with no nomination either side keeps y.
  n.update(b, { ...b, metadata: { ...b.metadata, labels: { l: '1' } } });
  assert.equal(n.nodeOf(b), 'y');
  // The status moved it, then cleared it.
  n.update(b, nominatedTo(b, 'z'));
  assert.deepEqual([names(n.podsOn('y')), names(n.podsOn('z'))], [[], ['b']]);
  n.update(nominatedTo(b, 'z'), b);
  assert.equal(n.nodeOf(b), undefined);
  // Assigned pods and deleted pods are nominated nowhere.
  n.add({ ...a, spec: { ...a.spec, nodeName: 'x' } }, 'x');
  assert.deepEqual(names(n.podsOn('x')), []);
  n.add(a, 'x');
  n.delete(a);
  assert.equal(n.nodeOf(a), undefined);
});

test('a nominated pod holds its room against pods of lower priority only', () => {
  const nodes = nodeInfos([node('only', { cpu: '2' })], [pod('running', { nodeName: 'only', cpu: '1', priority: 100 })]);
  const n = new Nominator();
  const preemptor = pod('preemptor', { cpu: '1', priority: 50 });
  n.add(preemptor, 'only');
  const nominated = (name: string) => n.podsOn(name);
  const low = schedulePod(defaultProfile(), pod('low', { cpu: '1', priority: 10 }), nodes, { nominated });
  assert.equal(low.kind === 'unschedulable' && low.error.message.split(' preemption:')[0], '0/1 nodes are available: 1 Insufficient cpu.');
  assert.equal(schedulePod(defaultProfile(), pod('high', { cpu: '1', priority: 60 }), nodes, { nominated }).kind, 'scheduled');
  // The nominated pod does not block itself.
  assert.equal(schedulePod(defaultProfile(), preemptor, nodes, { nominated }).kind, 'scheduled');
  // Without the nomination the low pod fits.
  n.delete(preemptor);
  assert.equal(schedulePod(defaultProfile(), pod('low', { cpu: '1', priority: 10 }), nodes, { nominated }).kind, 'scheduled');
});
