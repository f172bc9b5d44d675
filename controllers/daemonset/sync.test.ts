import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import type { Node, Toleration } from '../../scheduler/types.ts';
import { daemonPodsByNode, daemonSetStatus, historyPlan, historyToDelete, manage, rollingUpdate, snapshotRevision } from './sync.ts';
import { addDaemonPodTolerations, daemonPodTemplate, HASH_LABEL, nodeShouldRunDaemonPod, pinToNode, targetNodeName, TEMPLATE_GENERATION_LABEL, type DaemonSet } from './util.ts';

const NOW = Date.parse('2024-01-01T00:10:00Z');

function daemonSet(extra: Partial<NonNullable<DaemonSet['spec']>> = {}, podSpec: Record<string, unknown> = {}): DaemonSet {
  return {
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 1, annotations: { 'deprecated.daemonset.template.generation': '1' } },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...podSpec } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      ...extra,
    },
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never = []): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } };
}

let seq = 0;
/** A daemon pod on a node with the given hash, Running and Ready unless told otherwise. */
function pod(nodeName: string, hash: string, state: 'ready' | 'notready' | 'failed' | 'succeeded' | 'unbound' = 'ready', created = '2024-01-01T00:00:00Z'): Pod {
  seq++;
  const spec: Record<string, unknown> = { affinity: pinToNode(undefined, nodeName) };
  if (state !== 'unbound') spec.nodeName = nodeName;
  const status =
    state === 'failed'
      ? { phase: 'Failed' }
      : state === 'succeeded'
        ? { phase: 'Succeeded' }
        : { phase: 'Running', conditions: [{ type: 'Ready', status: state === 'ready' ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] };
  return { metadata: { name: `agent-${seq}`, namespace: 'ns', uid: `u${seq}`, creationTimestamp: created, labels: { app: 'agent', [HASH_LABEL]: hash } }, spec, status } as Pod;
}

describe('DaemonSet node eligibility', () => {
  it('daemon pods tolerate node problems and cordons; hostNetwork pods an unavailable network', () => {
    const spec: { tolerations?: Toleration[]; hostNetwork?: boolean } = { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] };
    addDaemonPodTolerations(spec);
    assert.deepEqual(
      spec.tolerations!.map((t) => `${t.key}:${t.effect}`),
      [
        'node.kubernetes.io/unschedulable:NoSchedule',
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/disk-pressure:NoSchedule',
        'node.kubernetes.io/memory-pressure:NoSchedule',
        'node.kubernetes.io/pid-pressure:NoSchedule',
      ],
    );
    const host: typeof spec = { hostNetwork: true };
    addDaemonPodTolerations(host);
    assert.ok(host.tolerations!.some((t) => t.key === 'node.kubernetes.io/network-unavailable'));
  });

  it('honours nodeSelector, required node affinity and taints (NoExecute evicts, NoSchedule only keeps new pods off)', () => {
    const plain = daemonSet();
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), plain), { shouldRun: true, shouldContinueRunning: true });
    const selecting = daemonSet({}, { nodeSelector: { disk: 'ssd' } });
    assert.equal(nodeShouldRunDaemonPod(node('a'), selecting).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('a', { disk: 'ssd' }), selecting).shouldRun, true);
    const affine = daemonSet({}, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } } });
    assert.equal(nodeShouldRunDaemonPod(node('a', { zone: 'z2' }), affine).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('a', { zone: 'z1' }), affine).shouldRun, true);
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]), plain), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]), plain), { shouldRun: false, shouldContinueRunning: false });
    // The built-in tolerations cover a cordoned or not-ready node.
    const cordoned = node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]);
    assert.equal(nodeShouldRunDaemonPod(cordoned, plain).shouldRun, true);
    const tolerant = daemonSet({}, { tolerations: [{ key: 'dedicated', operator: 'Exists' }] });
    assert.equal(nodeShouldRunDaemonPod(node('a', {}, [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]), tolerant).shouldRun, true);
  });

  it('pins pods to their node with a matchFields affinity, replacing only the required terms', () => {
    const aff = pinToNode({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] }, preferredDuringSchedulingIgnoredDuringExecution: [] } }, 'n1');
    assert.deepEqual(aff.nodeAffinity, {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [],
    });
    assert.equal(targetNodeName({ spec: { affinity: aff } }), 'n1');
    assert.equal(targetNodeName({ spec: { nodeName: 'n2', affinity: aff } }), 'n2');
    const t = daemonPodTemplate(daemonSet(), 'h1');
    assert.deepEqual(t.metadata!.labels, { app: 'agent', [TEMPLATE_GENERATION_LABEL]: '1', [HASH_LABEL]: 'h1' });
  });
});

describe('DaemonSet manage', () => {
  const ds = daemonSet();
  const nodes = [node('a'), node('b'), node('c', {}, [{ key: 'k', effect: 'NoExecute' }])];

  it('creates a pod for each eligible node without one and deletes pods where none may run', () => {
    const onC = pod('c', 'h');
    const res = manage({ ds, nodes, byNode: daemonPodsByNode([pod('a', 'h'), onC]), hash: 'h', now: NOW });
    assert.deepEqual(res.create, ['b']);
    assert.deepEqual(res.delete, [onC]);
  });

  it('keeps the oldest of several pods on a node; replaces failed pods with a back-off; removes succeeded ones', () => {
    const older = pod('a', 'h', 'ready', '2024-01-01T00:00:00Z');
    const newer = pod('a', 'h', 'ready', '2024-01-01T00:05:00Z');
    const failed = pod('b', 'h', 'failed');
    let res = manage({ ds, nodes: nodes.slice(0, 2), byNode: daemonPodsByNode([newer, older, failed]), hash: 'h', now: NOW });
    assert.deepEqual(res.delete, [newer, failed]);
    assert.deepEqual(res.failedNodes, ['b']);
    assert.deepEqual(res.events.map((e) => e.reason), ['FailedDaemonPod']);
    res = manage({ ds, nodes: nodes.slice(1, 2), byNode: daemonPodsByNode([failed]), hash: 'h', now: NOW, failedBackoff: () => 2000 });
    assert.deepEqual([res.delete, res.requeueAfterMs], [[], 2000]);
    const done = pod('a', 'h', 'succeeded');
    res = manage({ ds, nodes: nodes.slice(0, 1), byNode: daemonPodsByNode([done]), hash: 'h', now: NOW });
    assert.deepEqual([res.delete, res.events[0]!.reason], [[done], 'SucceededDaemonPod']);
  });

  it('unbound pods pinned to vanished nodes go; bound ones are left to the pod garbage collector', () => {
    const bound = pod('gone', 'h');
    const unbound = pod('gone2', 'h', 'unbound');
    const res = manage({ ds, nodes: nodes.slice(0, 1), byNode: daemonPodsByNode([pod('a', 'h'), bound, unbound]), hash: 'h', now: NOW });
    assert.deepEqual([res.delete, res.create], [[unbound], []]);
  });

  it('status counts only the nodes that exist', () => {
    const pods = [pod('a', 'h'), pod('b', 'old', 'notready'), pod('c', 'h'), pod('gone', 'h')];
    const s = daemonSetStatus({ ds, nodes, byNode: daemonPodsByNode(pods), hash: 'h', now: NOW, observed: true });
    assert.deepEqual(
      [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberMisscheduled, s.numberReady, s.updatedNumberScheduled, s.numberAvailable, s.numberUnavailable, s.observedGeneration],
      [2, 2, 1, 1, 1, 1, 1, 1],
    );
  });
});

describe('DaemonSet rolling update', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));

  it('maxUnavailable: deletes old available pods only while the unavailable count allows', () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    let res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode(['a', 'b', 'c', 'd'].map((n) => pod(n, 'old'))), hash: 'new', now: NOW });
    assert.equal(res.delete.length, 2);
    // One new pod not ready yet and one node without a pod: no room left.
    res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode([pod('a', 'new', 'notready'), pod('c', 'old'), pod('d', 'old')]), hash: 'new', now: NOW });
    assert.deepEqual(res.delete, []);
    // An old pod that is not available is replaced regardless.
    const broken = pod('c', 'old', 'notready');
    res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode([pod('a', 'new', 'notready'), pod('b', 'new', 'notready'), broken, pod('d', 'old')]), hash: 'new', now: NOW });
    assert.deepEqual(res.delete, [broken]);
  });

  it('maxSurge: new pods beside old ones, the old one going once the new one is available', () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    let res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode(['a', 'b', 'c', 'd'].map((n) => pod(n, 'old'))), hash: 'new', now: NOW });
    assert.deepEqual([res.create.length, res.delete.length], [1, 0]);
    const oldA = pod('a', 'old');
    res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode([oldA, pod('a', 'new'), pod('b', 'old'), pod('c', 'old'), pod('d', 'old')]), hash: 'new', now: NOW });
    assert.deepEqual(res.delete, [oldA]);
    assert.equal(res.create.length, 1);
    // Surging waits while the new pod is not available.
    res = rollingUpdate({ ds, nodes, byNode: daemonPodsByNode([pod('a', 'old'), pod('a', 'new', 'notready'), pod('b', 'old'), pod('c', 'old'), pod('d', 'old')]), hash: 'new', now: NOW });
    assert.deepEqual([res.create, res.delete], [[], []]);
    // manage keeps both on the node while the new one is not available, then only the new one.
    const m = manage({ ds, nodes: nodes.slice(0, 1), byNode: daemonPodsByNode([pod('a', 'old'), pod('a', 'new', 'notready')]), hash: 'new', now: NOW });
    assert.deepEqual(m.delete, []);
  });
});

describe('DaemonSet history', () => {
  it('snapshots the template under its hash; finds, dedups and renumbers the current revision', () => {
    const ds = daemonSet();
    const r1 = snapshotRevision(ds, 1);
    assert.match(r1.metadata!.name!, /^agent-[a-z0-9]+$/);
    assert.equal(r1.metadata!.labels![HASH_LABEL], r1.metadata!.name!.slice('agent-'.length));
    assert.deepEqual(historyPlan(ds, []), { duplicates: [], old: [], revision: 1 });
    const other = snapshotRevision(daemonSet({}, { hostNetwork: true }), 2);
    const plan = historyPlan(ds, [r1, other]);
    assert.deepEqual([plan.current, plan.old, plan.revision], [r1, [other], 3]);
    const dup = { ...r1, metadata: { ...r1.metadata, name: 'agent-dup' }, revision: 4 };
    const dedup = historyPlan(ds, [r1, dup]);
    assert.deepEqual([dedup.current, dedup.duplicates], [dup, [r1]]);
  });

  it('deletes the oldest old revisions past the limit that no pod uses', () => {
    const ds = daemonSet({ revisionHistoryLimit: 1 });
    const old = [1, 2, 3].map((n) => snapshotRevision(daemonSet({}, { priority: n }), n));
    const inUse = pod('a', old[0]!.metadata!.labels![HASH_LABEL]!);
    // Three old revisions, limit one: two go, skipping the one a pod still uses.
    assert.deepEqual(historyToDelete(ds, old, [inUse]).map((r) => r.revision), [2, 3]);
  });
});
