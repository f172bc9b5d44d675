import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { priorityclasses } from './priorityclasses.ts';

function pc(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: meta(name), value: 1000, ...extra };
}

describe('scheduling.k8s.io/v1 priorityclasses', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(priorityclasses.shortNames, ['pc']);
    assert.equal(priorityclasses.namespaced, false);
  });

  it('defaults preemptionPolicy', () => {
    const p = pc('high');
    assert.deepEqual(createErrors(priorityclasses, p), []);
    assert.equal(p.preemptionPolicy, 'PreemptLowerPriority');
  });

  it('limits user values and reserves the system- prefix', () => {
    assert.deepEqual(createErrors(priorityclasses, pc('huge', { value: 2000000000 })), [
      { type: 'FieldValueForbidden', field: 'value', message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000' },
    ]);
    assert.deepEqual(createErrors(priorityclasses, pc('system-mine')).map((e) => e.message), [
      "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
    assert.deepEqual(createErrors(priorityclasses, pc('system-cluster-critical', { value: 2000000000 })), []);
    assert.deepEqual(createErrors(priorityclasses, pc('p', { preemptionPolicy: 'Sometimes' })).map((e) => e.message), [
      'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    ]);
  });

  it('makes value and preemptionPolicy immutable', () => {
    const old = pc('high');
    priorityclasses.strategy.defaults(old);
    const next = clone(old);
    next.value = 5;
    next.preemptionPolicy = 'Never';
    next.description = 'changed';
    assert.deepEqual(priorityclasses.strategy.validateUpdate(next, old), [
      { type: 'FieldValueForbidden', field: 'value', message: 'Forbidden: may not be changed in an update.' },
      { type: 'FieldValueInvalid', field: 'preemptionPolicy', message: 'Invalid value: "Never": field is immutable' },
    ]);
  });

  it('prints VALUE, GLOBAL-DEFAULT, AGE and PREEMPTIONPOLICY', () => {
    const p = pc('high', { globalDefault: true });
    priorityclasses.strategy.defaults(p);
    assert.deepEqual(cells(priorityclasses, p), { Value: 1000, 'Global-Default': true, Age: '5m', PreemptionPolicy: 'PreemptLowerPriority' });
  });
});
