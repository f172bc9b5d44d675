import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finishSync, milliQuantity, planSync, scaleUnavailable, type HPA, type ScaleView, type SyncInput } from './autoscaler.ts';
import { newHistory } from './behavior.ts';
import type { FetchedMetrics, PodMetricsObject } from './metrics.ts';
import type { Pod } from '../runtime/pods.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function hpa(over: Partial<NonNullable<HPA['spec']>> = {}, status: HPA['status'] = {}): HPA {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...over,
    },
    status,
  };
}

function pod(name: string, labels = { app: 'web' }): Pod {
  const long = iso(NOW - 10 * 60_000);
  return {
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', startTime: long, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: long }] },
  };
}

function usage(cpu: Record<string, string>): FetchedMetrics {
  const items: PodMetricsObject[] = Object.entries(cpu).map(([name, c]) => ({ metadata: { name, namespace: 'default' }, timestamp: iso(NOW), window: '10s', containers: [{ name: 'c', usage: { cpu: c, memory: '8Mi' } }] }));
  return { items };
}

const scale = (specReplicas: number, selector = 'app=web'): ScaleView => ({ specReplicas, statusReplicas: specReplicas, selector });

function input(h: HPA, s: ScaleView, pods: Pod[], metrics: FetchedMetrics): SyncInput {
  return { hpa: h, scale: s, pods, metrics, history: newHistory(), now: NOW };
}

const conditions = (st: { conditions?: { type: string; status: string; reason?: string }[] }) => Object.fromEntries((st.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));

describe('planSync and finishSync', () => {
  it('scales up on CPU above target: event, conditions, status', () => {
    const h = hpa();
    const inp = input(h, scale(1), [pod('a'), pod('other', { app: 'db' })], usage({ a: '200m' }));
    const plan = planSync(inp);
    assert.deepEqual(plan.rescale, { replicas: 4, reason: 'cpu resource utilization (percentage of request) above target' });
    const done = finishSync(h, plan, undefined, inp.history, NOW);
    assert.deepEqual(done.events, [{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target' }]);
    assert.deepEqual(conditions(done.status), { AbleToScale: 'True SucceededRescale', ScalingActive: 'True ValidMetricFound', ScalingLimited: 'False DesiredWithinRange' });
    assert.equal(done.status.currentReplicas, 1);
    assert.equal(done.status.desiredReplicas, 4);
    assert.equal(done.status.lastScaleTime, iso(NOW));
    assert.deepEqual(done.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }]);
    const active = done.status.conditions!.find((c) => c.type === 'ScalingActive')!;
    assert.equal(active.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.equal(active.lastTransitionTime, iso(NOW));
  });

  it('stops at maxReplicas: ScalingLimited TooManyReplicas', () => {
    const plan = planSync(input(hpa(), scale(4), ['a', 'b', 'c', 'd'].map((n) => pod(n)), usage({ a: '200m', b: '200m', c: '200m', d: '200m' })));
    assert.equal(plan.rescale?.replicas, 5);
    assert.equal(conditions(plan.status).ScalingLimited, 'True TooManyReplicas');
  });

  it('no change: no rescale, status written with the current count', () => {
    const plan = planSync(input(hpa(), scale(2), [pod('a'), pod('b')], usage({ a: '50m', b: '52m' })));
    assert.equal(plan.rescale, undefined);
    assert.equal(plan.events.length, 0);
    assert.equal(plan.status.desiredReplicas, 2);
    assert.equal(plan.status.lastScaleTime, undefined);
    assert.equal(conditions(plan.status).AbleToScale, 'True ReadyForNewScale');
  });

  it('without metrics: FailedGetResourceMetric and FailedComputeMetricsReplicas, ScalingActive False', () => {
    const plan = planSync(input(hpa(), scale(1), [pod('a')], { items: [] }));
    assert.equal(plan.rescale, undefined);
    assert.deepEqual(plan.events, [
      { type: 'Warning', reason: 'FailedGetResourceMetric', message: 'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API' },
      {
        type: 'Warning',
        reason: 'FailedComputeMetricsReplicas',
        message: 'invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
      },
    ]);
    assert.equal(conditions(plan.status).ScalingActive, 'False FailedGetResourceMetric');
    assert.equal(
      plan.status.conditions!.find((c) => c.type === 'ScalingActive')!.message,
      'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    assert.deepEqual(plan.status.currentMetrics, [{ type: '' }]);
    assert.match(plan.error!, /^failed to compute desired number of replicas based on listed metrics for Deployment\/default\/web: invalid metrics/);
  });

  it('an unreachable metrics API and a missing request are reported as upstream words them', () => {
    const down = planSync(input(hpa(), scale(1), [pod('a')], { error: 'unable to fetch metrics from resource metrics API: the server is currently unable to handle the request' }));
    assert.equal(down.events[0]!.message, 'failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request');
    const noRequest = pod('a');
    (noRequest.spec as { containers: object[] }).containers = [{ name: 'c' }];
    const plan = planSync(input(hpa(), scale(1), [noRequest], usage({ a: '200m' })));
    assert.equal(plan.events[0]!.message, 'failed to get cpu utilization: missing request for cpu in container c of Pod a');
  });

  it('an averageValue target', () => {
    const h = hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '100m' } } }] });
    const plan = planSync(input(h, scale(2), [pod('a'), pod('b')], usage({ a: '300m', b: '300m' })));
    assert.deepEqual(plan.rescale, { replicas: 4, reason: 'cpu resource above target' });
    assert.deepEqual(plan.metricStatuses, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '300m' } } }]);
  });

  it('a target without a selector, and one scaled to zero', () => {
    const noSel = planSync(input(hpa(), scale(1, ''), [pod('a')], { items: [] }));
    assert.deepEqual(noSel.events[0], { type: 'Warning', reason: 'SelectorRequired', message: 'selector is required' });
    assert.equal(conditions(noSel.status).ScalingActive, 'False InvalidSelector');
    const zero = planSync(input(hpa(), scale(0), [], { items: [] }));
    assert.equal(zero.rescale, undefined);
    assert.equal(conditions(zero.status).ScalingActive, 'False ScalingDisabled');
    assert.equal(zero.status.desiredReplicas, 0);
  });

  it('brings the count within min and max before looking at metrics', () => {
    const above = planSync(input(hpa(), scale(8), [], { items: [] }));
    assert.deepEqual(above.rescale, { replicas: 5, reason: 'Current number of replicas above Spec.MaxReplicas' });
    const below = planSync(input(hpa({ minReplicas: 3 }), scale(1), [], { items: [] }));
    assert.deepEqual(below.rescale, { replicas: 3, reason: 'Current number of replicas below Spec.MinReplicas' });
  });

  it('scales down when all metrics are below target, after the stabilization window', () => {
    const h = hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] }, scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } });
    const plan = planSync(input(h, scale(4), ['a', 'b', 'c', 'd'].map((n) => pod(n)), usage({ a: '5m', b: '5m', c: '5m', d: '5m' })));
    assert.deepEqual(plan.rescale, { replicas: 1, reason: 'All metrics below target' });
  });

  it('a failed scale update: FailedRescale, AbleToScale False FailedUpdateScale', () => {
    const h = hpa({}, { currentReplicas: 1, desiredReplicas: 1 });
    const inp = input(h, scale(1), [pod('a')], usage({ a: '200m' }));
    const done = finishSync(h, planSync(inp), 'Operation cannot be fulfilled', inp.history, NOW);
    assert.deepEqual(done.events.at(-1), { type: 'Warning', reason: 'FailedRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target; error: Operation cannot be fulfilled' });
    assert.equal(conditions(done.status).AbleToScale, 'False FailedUpdateScale');
    assert.equal(done.status.desiredReplicas, 1);
  });

  it('an unreadable scale: FailedGetScale', () => {
    const r = scaleUnavailable(hpa(), 'deployments.apps "web" not found', NOW);
    assert.deepEqual(r.events, [{ type: 'Warning', reason: 'FailedGetScale', message: 'deployments.apps "web" not found' }]);
    assert.deepEqual(r.status.conditions, [
      { type: 'AbleToScale', status: 'False', lastTransitionTime: iso(NOW), reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: deployments.apps "web" not found` },
    ]);
  });

  it('a condition keeps its lastTransitionTime while its status stays', () => {
    const earlier = iso(NOW - 60_000);
    const h = hpa({}, { conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: earlier, reason: 'ReadyForNewScale', message: '' }] });
    const plan = planSync(input(h, scale(2), [pod('a'), pod('b')], usage({ a: '50m', b: '50m' })));
    assert.equal(plan.status.conditions![0]!.lastTransitionTime, earlier);
  });

  it('custom metrics (Pods, Object, External) are not served: FailedGetPodsMetric', () => {
    const h = hpa({ metrics: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }] });
    const plan = planSync(input(h, scale(1), [pod('a')], { items: [] }));
    assert.equal(conditions(plan.status).ScalingActive, 'False FailedGetPodsMetric');
    assert.equal(plan.events[0]!.reason, 'FailedGetPodsMetric');
  });

  it('milliQuantity writes milli-values as Quantity.String() does', () => {
    assert.deepEqual([0, 200, 1000, 1500, 2_000_000, 50331648000].map(milliQuantity), ['0', '200m', '1', '1500m', '2k', '50331648']);
  });
});
