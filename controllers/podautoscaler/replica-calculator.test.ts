import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calculatePodRequests, groupPods, rawResourceReplicas, resourceReplicas, DEFAULT_CALCULATOR_OPTIONS, type PodMetricsInfo, type ReplicaInput } from './replica-calculator.ts';
import type { Pod } from '../runtime/pods.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const t = (msAgo: number) => new Date(NOW - msAgo).toISOString();

interface PodOpts {
  request?: string | null;
  phase?: string;
  ready?: 'True' | 'False' | null;
  /** ms before NOW the pod started (default 10 min: past the CPU initialization period). */
  startedAgo?: number;
  /** ms before NOW its Ready condition last changed (default: when it started). */
  readyChangedAgo?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const started = o.startedAgo ?? 10 * 60_000;
  const conditions = o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True', lastTransitionTime: t(o.readyChangedAgo ?? started) }];
  return {
    metadata: { name, namespace: 'default', ...(o.deleting ? { deletionTimestamp: t(0) } : {}) },
    spec: { containers: [{ name: 'c', resources: o.request === null ? {} : { requests: { cpu: o.request ?? '1' } } }] },
    status: { phase: o.phase ?? 'Running', startTime: t(started), conditions },
  };
}

/** Samples taken just now over a 30 s window. */
function metrics(levels: Record<string, number>): PodMetricsInfo {
  return new Map(Object.entries(levels).map(([name, value]) => [name, { timestamp: NOW, windowMs: 30_000, value }]));
}

function input(currentReplicas: number, pods: Pod[], m: PodMetricsInfo): ReplicaInput {
  return { currentReplicas, resource: 'cpu', container: '', pods, metrics: m, timestamp: NOW, now: NOW };
}

describe('resourceReplicas (averageUtilization targets)', () => {
  it('scales up to ceil(current × utilization / target) when every pod is ready', () => {
    const r = resourceReplicas(input(3, [pod('a'), pod('b'), pod('c')], metrics({ a: 300, b: 500, c: 700 })), 30);
    assert.deepEqual(r, { replicas: 5, utilization: 50, rawUtilization: 500, timestamp: NOW });
  });

  it('scales down the same way', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n));
    const r = resourceReplicas(input(5, pods, metrics({ a: 100, b: 300, c: 500, d: 250, e: 250 })), 50);
    assert.equal(r.replicas, 3);
    assert.equal(r.utilization, 28);
    assert.equal(r.rawUtilization, 280);
  });

  it('keeps the count within the 10% tolerance', () => {
    const pods = [pod('a', { request: '900m' }), pod('b', { request: '1' }), pod('c', { request: '1100m' })];
    const r = resourceReplicas(input(3, pods, metrics({ a: 1010, b: 1030, c: 1020 })), 100);
    assert.equal(r.replicas, 3);
    assert.equal(r.utilization, 102);
  });

  it('scaling up with an unready pod counts it as using nothing', () => {
    const pods = [pod('a', { ready: 'False', startedAgo: 60_000 }), pod('b'), pod('c')];
    const r = resourceReplicas(input(3, pods, metrics({ a: 300, b: 500, c: 700 })), 30);
    // Ready pods: 1200m of 2000m = 60%; with a at 0: 1200m of 3000m = 40% → ceil(1.33 × 3).
    assert.deepEqual(r, { replicas: 4, utilization: 60, rawUtilization: 600, timestamp: NOW });
  });

  it('scaling down ignores unready pods altogether', () => {
    const pods = [pod('a', { ready: 'False', startedAgo: 60_000 }), pod('b'), pod('c'), pod('d')];
    const r = resourceReplicas(input(4, pods, metrics({ a: 900, b: 100, c: 100, d: 100 })), 50);
    // Ready: 300m of 3000m = 10% → ceil(0.2 × 3).
    assert.equal(r.replicas, 1);
    assert.equal(r.utilization, 10);
  });

  it('a pending pod is unready: scaling up counts it as using nothing', () => {
    const r = resourceReplicas(input(2, [pod('a', { request: '100m' }), pod('b', { request: '100m', phase: 'Pending', ready: null })], metrics({ a: 200 })), 50);
    // 200% alone; with b at 0: 100% → ceil(2 × 2).
    assert.equal(r.replicas, 4);
    assert.equal(r.utilization, 200);
  });

  it('pods being deleted and failed pods are ignored', () => {
    const pods = [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' })];
    const r = resourceReplicas(input(3, pods, metrics({ a: 1000, b: 5000, c: 5000 })), 50);
    // a alone: 100% → ceil(2 × 1 ready pod).
    assert.equal(r.replicas, 2);
    assert.equal(r.utilization, 100);
  });

  it('scaling down, a pod without metrics uses its whole request', () => {
    const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n));
    const r = resourceReplicas(input(4, pods, metrics({ a: 400, b: 95, c: 100 })), 100);
    // 595m of 3000m = 19%; with d at 1000m: 1595m of 4000m = 39% → ceil(0.39 × 4).
    assert.equal(r.replicas, 2);
    assert.equal(r.utilization, 19);
  });

  it('scaling up, a pod without metrics uses nothing', () => {
    const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n));
    const r = resourceReplicas(input(4, pods, metrics({ a: 1500, b: 1500, c: 1500 })), 50);
    // 150%; with d at 0: 4500m of 4000m = 112% → ceil(2.24 × 4).
    assert.equal(r.replicas, 9);
  });

  it('a correction that would reverse the direction keeps the current count', () => {
    const pods = ['a', 'b'].map((n) => pod(n));
    // 60% alone would scale up from target 50; with b at 0: 30% is below target.
    const r = resourceReplicas(input(2, pods, metrics({ a: 600 })), 50);
    assert.equal(r.replicas, 2);
  });

  it('a CPU sample taken before the pod was ready for a whole window does not count', () => {
    const fresh = pod('a', { startedAgo: 20_000, readyChangedAgo: 10_000 });
    assert.throws(() => resourceReplicas(input(1, [fresh], metrics({ a: 500 })), 50), /^Error: did not receive metrics for targeted pods \(pods might be unready\)$/);
    // Ready for longer than the 30 s window: it counts.
    const settled = pod('a', { startedAgo: 60_000, readyChangedAgo: 45_000 });
    assert.equal(resourceReplicas(input(1, [settled], metrics({ a: 2000 })), 50).replicas, 4);
  });

  it('fails as upstream does without pods, metrics or requests', () => {
    assert.throws(() => resourceReplicas(input(1, [], metrics({})), 50), /no pods returned by selector while calculating replica count/);
    assert.throws(() => resourceReplicas(input(1, [pod('a')], metrics({})), 50), /did not receive metrics for targeted pods/);
    assert.throws(() => resourceReplicas(input(1, [pod('a', { request: null })], metrics({ a: 10 })), 50), /^Error: missing request for cpu in container c of Pod a$/);
  });

  it('does not change the metrics it is given', () => {
    const m = metrics({ a: 1500 });
    resourceReplicas(input(2, [pod('a'), pod('b')], m), 50);
    assert.deepEqual([...m.keys()], ['a']);
  });
});

describe('rawResourceReplicas (averageValue targets)', () => {
  it('compares the average usage per pod with the target', () => {
    const pods = ['a', 'b', 'c'].map((n) => pod(n));
    assert.deepEqual(rawResourceReplicas(input(3, pods, metrics({ a: 20_000, b: 10_000, c: 30_000 })), 10_000), { replicas: 6, usage: 20_000, timestamp: NOW });
    assert.equal(rawResourceReplicas(input(3, pods, metrics({ a: 10_500, b: 10_000, c: 10_000 })), 10_000).replicas, 3);
  });

  it('needs no requests, and treats a missing pod as at the target when scaling down', () => {
    const pods = ['a', 'b'].map((n) => pod(n, { request: null }));
    // 100m alone; with b at the 1000m target: 550m average → ceil(0.55 × 2).
    assert.equal(rawResourceReplicas(input(2, pods, metrics({ a: 100 })), 1000).replicas, 2);
    assert.equal(rawResourceReplicas(input(4, ['a', 'b', 'c', 'd'].map((n) => pod(n, { request: null })), metrics({ a: 100, b: 100, c: 100 })), 1000).replicas, 2);
  });
});

describe('groupPods and calculatePodRequests', () => {
  it('sorts pods into ready, unready, missing and ignored', () => {
    const pods = [pod('ok'), pod('pending', { phase: 'Pending' }), pod('nometrics'), pod('gone', { deleting: true }), pod('unready', { ready: 'False', startedAgo: 60_000 })];
    const g = groupPods(pods, metrics({ ok: 1, pending: 1, gone: 1, unready: 1 }), 'cpu', DEFAULT_CALCULATOR_OPTIONS, NOW);
    assert.equal(g.readyPodCount, 1);
    assert.deepEqual([...g.unreadyPods], ['pending', 'unready']);
    assert.deepEqual([...g.missingPods], ['nometrics']);
    assert.deepEqual([...g.ignoredPods], ['gone']);
  });

  it('readiness matters for CPU only', () => {
    const g = groupPods([pod('unready', { ready: 'False', startedAgo: 60_000 })], metrics({ unready: 1 }), 'memory', DEFAULT_CALCULATOR_OPTIONS, NOW);
    assert.equal(g.readyPodCount, 1);
  });

  it('sums containers and sidecars, or one container', () => {
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init', resources: { requests: { cpu: '5' } } }, { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } }],
        containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }, { name: 'b', resources: { requests: { cpu: '0.2' } } }],
      },
    };
    assert.equal(calculatePodRequests([p], '', 'cpu').get('p'), 350);
    assert.equal(calculatePodRequests([p], 'b', 'cpu').get('p'), 200);
  });
});
