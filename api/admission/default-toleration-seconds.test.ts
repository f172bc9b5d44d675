import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitDefaultTolerationSeconds } from './default-toleration-seconds.ts';

const pod = (tolerations?: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...(tolerations ? { tolerations } : {}) } });

test('adds 300 s not-ready and unreachable tolerations to a pod without them', () => {
  const p = pod();
  admitDefaultTolerationSeconds(p);
  assert.deepEqual(p.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('keeps a pod’s own tolerations of those taints, and a toleration of every taint covers both', () => {
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
  const p = pod([own]);
  admitDefaultTolerationSeconds(p);
  assert.deepEqual(p.spec.tolerations, [own, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  const all = pod([{ operator: 'Exists' }]);
  admitDefaultTolerationSeconds(all);
  assert.deepEqual(all.spec.tolerations, [{ operator: 'Exists' }]);
  // A NoSchedule toleration does not cover the NoExecute taint.
  const ns = pod([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }]);
  admitDefaultTolerationSeconds(ns);
  assert.equal(ns.spec.tolerations!.length, 3);
});
