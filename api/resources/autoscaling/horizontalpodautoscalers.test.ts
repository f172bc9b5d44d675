import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, createErrors, meta } from '../group-helpers/fixtures.ts';
import { CONDITIONS_ANNOTATION, METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, hpaV1ToV2, hpaV2ToV1 } from './hpa-conversion.ts';
import { horizontalpodautoscalersV1 as v1, horizontalpodautoscalersV2 as v2 } from './horizontalpodautoscalers.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

function hpaV2(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: ref, maxReplicas: 5, ...spec } };
}

describe('autoscaling horizontalpodautoscalers', () => {
  it('serves v2 (stored) and v1 (converted) with the same discovery facts', () => {
    for (const d of [v1, v2]) {
      assert.deepEqual(d.shortNames, ['hpa']);
      assert.deepEqual(d.categories, ['all']);
      assert.equal(d.storageResource, 'horizontalpodautoscalers');
    }
    assert.equal(v2.conversion, undefined);
    assert.equal(v1.conversion?.storageVersion, 'v2');
    assert.equal(v1.model, 'V1HorizontalPodAutoscaler');
    assert.equal(v2.model, 'V2HorizontalPodAutoscaler');
  });

  it('defaults minReplicas and an 80% cpu metric (v2)', () => {
    const h = hpaV2();
    assert.deepEqual(createErrors(v2, h), []);
    const spec = h.spec as Record<string, any>;
    assert.equal(spec.minReplicas, 1);
    assert.deepEqual(spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.deepEqual(h.status, { desiredReplicas: 0 });
  });

  it('fills the behavior defaults when a behavior is given', () => {
    const h = hpaV2({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    v2.strategy.defaults(h);
    const b = (h.spec as Record<string, any>).behavior;
    assert.deepEqual(b.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.equal(b.scaleUp.stabilizationWindowSeconds, 0);
    assert.equal(b.scaleUp.policies.length, 2);
  });

  it('validates replicas, the target reference and metrics', () => {
    const h = hpaV2({ minReplicas: 3, maxReplicas: 2 });
    assert.deepEqual(createErrors(v2, h), [
      { type: 'FieldValueInvalid', field: 'spec.maxReplicas', message: 'Invalid value: 2: must be greater than or equal to `minReplicas`' },
    ]);
    const noRef = hpaV2({ scaleTargetRef: { kind: 'Deployment' } });
    assert.deepEqual(createErrors(v2, noRef), [{ type: 'FieldValueRequired', field: 'spec.scaleTargetRef.name', message: 'Required value' }]);
    const badMetric = hpaV2({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] });
    assert.deepEqual(createErrors(v2, badMetric), [
      { type: 'FieldValueRequired', field: 'spec.metrics[0].resource.target.averageUtilization', message: 'Required value: must set either a target raw value or a target utilization' },
    ]);
    const zero = hpaV2({ minReplicas: 0 });
    assert.deepEqual(createErrors(v2, zero), [
      { type: 'FieldValueInvalid', field: 'spec.minReplicas', message: 'Invalid value: 0: must be greater than or equal to 1' },
      { type: 'FieldValueForbidden', field: 'spec.metrics', message: 'Forbidden: must specify at least one Object or External metric to support scaling to zero replicas' },
    ]);
  });

  it('converts v1 targetCPUUtilizationPercentage to a cpu Utilization metric and back', () => {
    const h1: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 } };
    const stored = hpaV1ToV2(h1);
    assert.equal(stored.apiVersion, 'autoscaling/v2');
    assert.deepEqual((stored.spec as Record<string, any>).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    const back = hpaV2ToV1(stored);
    assert.equal(back.apiVersion, 'autoscaling/v1');
    assert.deepEqual(back.spec, h1.spec);
    assert.equal(back.metadata?.annotations, undefined);
    assert.deepEqual(back.status, { currentReplicas: 0, desiredReplicas: 0 });
  });

  it('defaults a v1 object without a cpu target to 80% in storage', () => {
    const h1: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta('web', 'default'), spec: { scaleTargetRef: ref, maxReplicas: 5 } };
    assert.equal((hpaV1ToV2(h1).spec as Record<string, any>).metrics[0].resource.target.averageUtilization, 80);
  });

  it('keeps what v1 cannot express in annotations, and round-trips it', () => {
    const h = hpaV2({
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
    });
    h.status = {
      currentReplicas: 2,
      desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40, averageValue: '100m' } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: '2024-05-01T00:00:00Z' }],
    };
    const h1 = hpaV2ToV1(h);
    assert.equal((h1.spec as Record<string, any>).targetCPUUtilizationPercentage, 60);
    assert.equal((h1.status as Record<string, any>).currentCPUUtilizationPercentage, 40);
    const ann = h1.metadata!.annotations!;
    assert.deepEqual(JSON.parse(ann[METRIC_SPECS_ANNOTATION]!), [{ type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } }]);
    assert.deepEqual(JSON.parse(ann[METRIC_STATUSES_ANNOTATION]!), [{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 40, currentAverageValue: '100m' } }]);
    assert.ok(ann[CONDITIONS_ANNOTATION]);
    const again = hpaV1ToV2(h1);
    assert.deepEqual((again.spec as Record<string, any>).metrics, [
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
    ]);
    assert.deepEqual((again.status as Record<string, any>).conditions, (h.status as Record<string, any>).conditions);
    assert.equal(again.metadata?.annotations, undefined);
  });

  it('prints REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS in both versions', () => {
    const h = hpaV2();
    v2.strategy.defaults(h);
    assert.deepEqual(cells(v2, h), { Reference: 'Deployment/web', Targets: 'cpu: <unknown>/80%', MinPods: '1', MaxPods: 5, Replicas: 0, Age: '5m' });
    h.status = { currentReplicas: 3, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 23 } } }] };
    assert.equal(cells(v2, h).Targets, 'cpu: 23%/80%');
    const h1 = hpaV2ToV1(h);
    assert.deepEqual(cells(v1, h1), cells(v2, h));
    const many = hpaV2({
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1024Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '30' } } },
      ],
    });
    assert.equal(cells(v2, many).Targets, 'memory: <unknown>/1Gi, <unknown>/10 + 1 more...');
  });
});
