import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { poddisruptionbudgets as pdbs } from './poddisruptionbudgets.ts';

function pdb(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('web', 'default'), spec: { selector: { matchLabels: { app: 'web' } }, ...spec } };
}

describe('policy/v1 poddisruptionbudgets', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(pdbs.shortNames, ['pdb']);
    assert.ok(pdbs.subresources.status);
  });

  it('starts with zero counters', () => {
    const p = pdb({ minAvailable: 1 });
    assert.deepEqual(createErrors(pdbs, p), []);
    assert.deepEqual(p.status, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });

  it('rejects both minAvailable and maxUnavailable, and bad percentages', () => {
    const errs = createErrors(pdbs, pdb({ minAvailable: '120%', maxUnavailable: 1 }));
    assert.deepEqual(errs.map((e) => [e.field, e.message.replace(/0xc0+/g, 'PTR')]), [
      [
        'spec',
        'Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(PTR), Selector:(*v1.LabelSelector)(PTR), MaxUnavailable:(*intstr.IntOrString)(PTR), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set',
      ],
      ['spec.minAvailable', 'Invalid value: "120%": must not be greater than 100%'],
    ]);
    assert.deepEqual(createErrors(pdbs, pdb({ unhealthyPodEvictionPolicy: 'Sometimes' })).map((e) => e.message), [
      'Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
  });

  it('validates status counters on status updates', () => {
    const old = pdb({ minAvailable: 1 });
    const next = clone(old);
    next.status = { disruptionsAllowed: -1 };
    assert.deepEqual(pdbs.strategy.validateStatusUpdate!(next, old).map((e) => e.field), ['status.disruptionsAllowed']);
  });

  it('prints MIN AVAILABLE, MAX UNAVAILABLE and ALLOWED DISRUPTIONS', () => {
    const p = pdb({ minAvailable: '50%' });
    p.status = { disruptionsAllowed: 2 };
    assert.deepEqual(cells(pdbs, p), { 'Min Available': '50%', 'Max Unavailable': 'N/A', 'Allowed Disruptions': 2, Age: '5m' });
    assert.equal(cells(pdbs, pdb({ maxUnavailable: 1 }))['Max Unavailable'], '1');
  });
});
