import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { ago, cells, clone, createErrors, meta, NOW, podTemplate } from '../group-helpers/fixtures.ts';
import { deployments } from './deployments.ts';

function deployment(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web', 'default'),
    spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec },
  };
}

describe('apps/v1 deployments', () => {
  it('has upstream discovery facts', () => {
    assert.equal(deployments.group, 'apps');
    assert.deepEqual(deployments.shortNames, ['deploy']);
    assert.deepEqual(deployments.categories, ['all']);
    assert.equal(deployments.model, 'V1Deployment');
    assert.equal(deployments.storageResource, 'deployments');
    assert.ok(deployments.subresources.status);
    assert.equal(deployments.subresources.scale?.specReplicasPath, 'spec.replicas');
  });

  it('defaults replicas, strategy, history and progress deadline', () => {
    const d = deployment();
    deployments.strategy.defaults(d);
    const spec = d.spec as Record<string, any>;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
  });

  it('does not add rollingUpdate to a Recreate strategy, and keeps explicit values', () => {
    const d = deployment({ replicas: 0, strategy: { type: 'Recreate' }, revisionHistoryLimit: 0 });
    deployments.strategy.defaults(d);
    const spec = d.spec as Record<string, any>;
    assert.equal(spec.replicas, 0);
    assert.deepEqual(spec.strategy, { type: 'Recreate' });
    assert.equal(spec.revisionHistoryLimit, 0);
  });

  it('accepts a valid deployment and clears its status on create', () => {
    const d = deployment();
    d.status = { replicas: 9 };
    assert.deepEqual(createErrors(deployments, d), []);
    assert.deepEqual(d.status, {});
    assert.equal(d.metadata?.generation, 1);
  });

  it('reports a missing selector and the template mismatch, as upstream', () => {
    const d = deployment();
    delete (d.spec as Record<string, unknown>).selector;
    assert.deepEqual(createErrors(deployments, d), [
      { type: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
      {
        type: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
  });

  it('rejects an empty selector, zero surge with zero unavailable, and a short progress deadline', () => {
    const d = deployment({
      selector: {},
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } },
      minReadySeconds: 30,
      progressDeadlineSeconds: 30,
    });
    const errs = createErrors(deployments, d);
    assert.deepEqual(
      errs.map((e) => [e.field, e.message]),
      [
        ['spec.selector', 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
        ['spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: 0: may not be 0 when `maxSurge` is 0'],
        ['spec.progressDeadlineSeconds', 'Invalid value: 30: must be greater than minReadySeconds'],
      ],
    );
  });

  it('rejects a restartPolicy other than Always and negative replicas', () => {
    const d = deployment({ replicas: -1, template: podTemplate({ app: 'web' }, { restartPolicy: 'Never' }) });
    const errs = createErrors(deployments, d);
    assert.deepEqual(errs[0], { type: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' });
    assert.ok(errs.some((e) => e.field === 'spec.template.spec.restartPolicy' && e.type === 'FieldValueNotSupported' && e.message === 'Unsupported value: "Never": supported values: "Always"'));
  });

  it('makes the selector immutable with the Go rendering kubectl users know', () => {
    const old = deployment();
    createErrors(deployments, old);
    const next = clone(old);
    (next.spec as Record<string, any>).selector = { matchLabels: { app: 'web2' } };
    (next.spec as Record<string, any>).template.metadata.labels = { app: 'web2' };
    const errs = deployments.strategy.validateUpdate(next, old);
    assert.deepEqual(errs, [
      {
        type: 'FieldValueInvalid',
        field: 'spec.selector',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      },
    ]);
  });

  it('keeps status on update and bumps generation on spec or annotation changes', () => {
    const old = deployment();
    createErrors(deployments, old);
    old.status = { replicas: 1 };
    const ctx = { now: NOW, user: 'admin' };
    const same = clone(old);
    same.status = { replicas: 5 };
    deployments.strategy.prepareForUpdate!(same, old, ctx);
    assert.deepEqual(same.status, { replicas: 1 });
    assert.equal(same.metadata?.generation, 1);
    const annotated = clone(old);
    annotated.metadata!.annotations = { note: 'x' };
    deployments.strategy.prepareForUpdate!(annotated, old, ctx);
    assert.equal(annotated.metadata?.generation, 2);
  });

  it('status updates keep the spec and labels and check the counters', () => {
    const old = deployment();
    createErrors(deployments, old);
    old.metadata!.labels = { a: 'b' };
    const next = clone(old);
    (next.spec as Record<string, unknown>).replicas = 7;
    next.metadata!.labels = { c: 'd' };
    next.status = { replicas: 1, readyReplicas: 2, availableReplicas: 1 };
    deployments.strategy.prepareForStatusUpdate!(next, old, { now: NOW, user: 'admin' });
    assert.equal((next.spec as Record<string, unknown>).replicas, 1);
    assert.deepEqual(next.metadata?.labels, { a: 'b' });
    assert.deepEqual(deployments.strategy.validateStatusUpdate!(next, old), [
      { type: 'FieldValueInvalid', field: 'status.readyReplicas', message: 'Invalid value: 2: cannot be greater than status.replicas' },
    ]);
  });

  it('prints READY, UP-TO-DATE, AVAILABLE, AGE and the wide columns', () => {
    const d = deployment({ replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } });
    d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    d.metadata!.creationTimestamp = ago(3 * 3600 + 120);
    assert.deepEqual(cells(deployments, d), { Ready: '2/3', 'Up-to-date': 3, Available: 2, Age: '3h2m' });
    assert.deepEqual(cells(deployments, d, true), {
      Ready: '2/3',
      'Up-to-date': 3,
      Available: 2,
      Age: '3h2m',
      Containers: 'web',
      Images: 'nginx:1.25',
      Selector: 'app=web,tier in (a,b)',
    });
    assert.equal(deployments.subresources.scale!.labelSelector(d), 'app=web,tier in (a,b)');
  });

  it('prints 0/N for a new deployment', () => {
    const d = deployment({ replicas: 2 });
    assert.equal(cells(deployments, d).Ready, '0/2');
  });
});
