import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.ts';
import { node, pod } from './testing/fixtures.ts';

test('assumed pods count on their node until confirmed or forgotten', () => {
  const c = new SchedulerCache();
  c.addNode(node('a'));
  const p = pod('p', { cpu: '1' });
  const assumed = { ...p, spec: { ...p.spec, nodeName: 'a' } };
  c.assumePod(assumed);
  assert.equal(c.isAssumed(p), true);
  assert.equal(c.getNode('a')!.requested.milliCPU, 1000);
  // The informer's copy confirms it (no double counting).
  c.addPod({ ...assumed, metadata: { ...assumed.metadata, resourceVersion: '5' } });
  assert.equal(c.isAssumed(p), false);
  assert.equal(c.getNode('a')!.requested.milliCPU, 1000);
  assert.equal(c.getNode('a')!.pods.size, 1);
  c.removePod(assumed);
  assert.equal(c.getNode('a')!.requested.milliCPU, 0);
  const q = pod('q', { cpu: '2' });
  c.assumePod({ ...q, spec: { ...q.spec, nodeName: 'a' } });
  c.forgetPod(q);
  assert.equal(c.getNode('a')!.pods.size, 0);
});

test('pods on nodes not yet known join their node when it appears, and survive its removal', () => {
  const c = new SchedulerCache();
  c.addPod(pod('early', { nodeName: 'late', cpu: '1' }));
  assert.equal(c.nodeCount(), 0);
  c.addNode(node('late'));
  assert.equal(c.getNode('late')!.requested.milliCPU, 1000);
  c.removeNode(node('late'));
  assert.equal(c.nodeList().length, 0);
  c.addNode(node('late'));
  assert.equal(c.getNode('late')!.pods.size, 1);
});
