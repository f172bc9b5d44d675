import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta, podTemplate } from '../group-helpers/fixtures.ts';
import { replicasets } from './replicasets.ts';

function rs(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('web-abc', 'default'), spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec } };
}

describe('apps/v1 replicasets', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(replicasets.shortNames, ['rs']);
    assert.deepEqual(replicasets.categories, ['all']);
    assert.ok(replicasets.subresources.status && replicasets.subresources.scale);
    assert.equal(replicasets.model, 'V1ReplicaSet');
  });

  it('defaults replicas to 1 and starts with status.replicas 0', () => {
    const r = rs();
    assert.deepEqual(createErrors(replicasets, r), []);
    assert.equal((r.spec as Record<string, unknown>).replicas, 1);
    assert.deepEqual(r.status, { replicas: 0 });
  });

  it('rejects a template that does not match the selector', () => {
    const r = rs({ template: podTemplate({ app: 'other' }) });
    assert.deepEqual(createErrors(replicasets, r), [
      {
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it('rejects an invalid selector operator', () => {
    const r = rs({ selector: { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] } });
    const errs = createErrors(replicasets, r);
    assert.deepEqual(errs[0], { type: 'FieldValueInvalid', field: 'spec.selector.matchExpressions[0].operator', message: 'Invalid value: "Is": not a valid selector operator' });
  });

  it('keeps the selector immutable', () => {
    const old = rs();
    createErrors(replicasets, old);
    const next = clone(old);
    (next.spec as Record<string, any>).selector.matchLabels.extra = 'x';
    (next.spec as Record<string, any>).template.metadata.labels.extra = 'x';
    assert.deepEqual(replicasets.strategy.validateUpdate(next, old).map((e) => e.field), ['spec.selector']);
  });

  it('prints DESIRED, CURRENT, READY and the selector', () => {
    const r = rs({ replicas: 3 });
    r.status = { replicas: 3, readyReplicas: 1 };
    assert.deepEqual(cells(replicasets, r, true), {
      Desired: 3,
      Current: 3,
      Ready: 1,
      Age: '5m',
      Containers: 'web',
      Images: 'nginx:1.25',
      Selector: 'app=web',
    });
  });
});
