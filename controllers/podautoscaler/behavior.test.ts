import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newHistory, normalizeDesiredReplicas, normalizeDesiredReplicasWithBehaviors, recordInitialRecommendation, scaleUpLimit, storeScaleEvent, type HPABehavior, type NormalizeArgs } from './behavior.ts';

const T0 = 1_000_000_000;
const s = (n: number) => n * 1000;
const FIVE_MIN = 5 * 60_000;

function args(currentReplicas: number, desiredReplicas: number, now = T0, minReplicas = 1, maxReplicas = 10): NormalizeArgs {
  return { currentReplicas, desiredReplicas, minReplicas, maxReplicas, now, downscaleStabilizationMs: FIVE_MIN };
}

/** The upstream defaults the API server fills in for a behavior (scale-down window left to the controller). */
function defaults(over: HPABehavior = {}): HPABehavior {
  return {
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], ...over.scaleUp },
    scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], ...over.scaleDown },
  };
}

const limitedOf = (n: { conditions: { type: string; status: string; reason: string }[] }) => n.conditions.find((c) => c.type === 'ScalingLimited')!;
const ableOf = (n: { conditions: { type: string; status: string; reason: string }[] }) => n.conditions.find((c) => c.type === 'AbleToScale')!;

describe('normalizeDesiredReplicas (no spec.behavior)', () => {
  it('scales up by at most max(2 × current, 4) at a time', () => {
    const n = normalizeDesiredReplicas(newHistory(), args(1, 10, T0, 1, 20));
    assert.equal(n.replicas, 4);
    assert.deepEqual(limitedOf(n), { type: 'ScalingLimited', status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    assert.equal(normalizeDesiredReplicas(newHistory(), args(6, 30, T0, 1, 20)).replicas, 12);
  });

  it('keeps within maxReplicas and minReplicas', () => {
    const up = normalizeDesiredReplicas(newHistory(), args(4, 16, T0, 1, 5));
    assert.equal(up.replicas, 5);
    assert.deepEqual(limitedOf(up), { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
    const down = normalizeDesiredReplicas(newHistory(), args(2, 0, T0, 2, 5));
    assert.equal(down.replicas, 2);
    assert.deepEqual(limitedOf(down), { type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
    const within = normalizeDesiredReplicas(newHistory(), args(2, 3));
    assert.deepEqual(limitedOf(within), { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
    assert.deepEqual(ableOf(within), { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
  });

  it('scales down to the highest recommendation of the last 5 minutes', () => {
    const h = newHistory();
    recordInitialRecommendation(h, 5, T0);
    const held = normalizeDesiredReplicas(h, args(5, 1, T0 + s(60)));
    assert.equal(held.replicas, 5);
    assert.equal(ableOf(held).reason, 'ScaleDownStabilized');
    // Five minutes after the last recommendation of 5, only the 1s remain.
    assert.equal(normalizeDesiredReplicas(h, args(5, 1, T0 + s(301))).replicas, 1);
  });
});

describe('normalizeDesiredReplicasWithBehaviors', () => {
  it('scales up by the larger of 4 pods and 100% per 15 s (the defaults), counting recent scale-ups', () => {
    const h = newHistory();
    const b = defaults({ scaleDown: { stabilizationWindowSeconds: 0 } });
    const first = normalizeDesiredReplicasWithBehaviors(h, b, args(1, 20, T0, 1, 50));
    assert.equal(first.replicas, 5);
    assert.equal(limitedOf(first).reason, 'ScaleUpLimit');
    storeScaleEvent(h, b, T0, 1, 5);
    // Within the period the 4 pods added count: the period started at 1.
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, b, args(5, 20, T0 + s(5), 1, 50)).replicas, 5);
    // After it, from 5: max(5 + 4, 2 × 5).
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, b, args(5, 20, T0 + s(16), 1, 50)).replicas, 10);
  });

  it('without a scale-down window in the spec uses the controller default (5 min)', () => {
    const h = newHistory();
    recordInitialRecommendation(h, 5, T0);
    const n = normalizeDesiredReplicasWithBehaviors(h, defaults(), args(5, 1, T0 + s(30)));
    assert.equal(n.replicas, 5);
    assert.deepEqual(ableOf(n), { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
  });

  it('a short scale-down window in the spec scales down soon', () => {
    const h = newHistory();
    const b = defaults({ scaleDown: { stabilizationWindowSeconds: 10 } });
    recordInitialRecommendation(h, 5, T0);
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, b, args(5, 1, T0 + s(5))).replicas, 5);
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, b, args(5, 1, T0 + s(11))).replicas, 1);
  });

  it('a scale-up window applies the lowest recent recommendation', () => {
    const h = newHistory();
    const b = defaults({ scaleUp: { stabilizationWindowSeconds: 60 }, scaleDown: { stabilizationWindowSeconds: 0 } });
    recordInitialRecommendation(h, 2, T0);
    const n = normalizeDesiredReplicasWithBehaviors(h, b, args(2, 6, T0 + s(10)));
    assert.equal(n.replicas, 2);
    assert.equal(ableOf(n).reason, 'ScaleUpStabilized');
    assert.equal(normalizeDesiredReplicasWithBehaviors(h, b, args(2, 6, T0 + s(75))).replicas, 6);
  });

  it('rate-limits scale-down by its policies, and selectPolicy Disabled stops scaling that way', () => {
    const pods1PerMinute = defaults({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
    const n = normalizeDesiredReplicasWithBehaviors(newHistory(), pods1PerMinute, args(5, 1));
    assert.equal(n.replicas, 4);
    assert.deepEqual(limitedOf(n), { type: 'ScalingLimited', status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' });
    const disabled = defaults({ scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } });
    assert.equal(normalizeDesiredReplicasWithBehaviors(newHistory(), disabled, args(5, 1)).replicas, 5);
  });

  it('selectPolicy Min picks the smallest change', () => {
    const h = newHistory();
    const rules = { stabilizationWindowSeconds: 0, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
    assert.equal(scaleUpLimit(10, h, rules, T0), 14);
    assert.equal(scaleUpLimit(10, h, { ...rules, selectPolicy: 'Max' }, T0), 20);
  });
});
