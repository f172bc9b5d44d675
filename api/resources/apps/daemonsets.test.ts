import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta, NOW, podTemplate } from '../group-helpers/fixtures.ts';
import { daemonsets, TEMPLATE_GENERATION_ANNOTATION } from './daemonsets.ts';

function ds(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('agent', 'kube-system'), spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec } };
}

describe('apps/v1 daemonsets', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(daemonsets.shortNames, ['ds']);
    assert.deepEqual(daemonsets.categories, ['all']);
    assert.ok(daemonsets.subresources.status);
    assert.equal(daemonsets.subresources.scale, undefined);
  });

  it('defaults the rolling update (1 unavailable, 0 surge) and history, and stamps the template generation', () => {
    const d = ds();
    assert.deepEqual(createErrors(daemonsets, d), []);
    const spec = d.spec as Record<string, any>;
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(d.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
    assert.deepEqual(d.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
  });

  it('rejects both maxSurge and maxUnavailable set, and both zero', () => {
    const both = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } });
    assert.deepEqual(createErrors(daemonsets, both), [
      {
        type: 'FieldValueInvalid',
        field: 'spec.updateStrategy.rollingUpdate.maxSurge',
        message: 'Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
      },
    ]);
    const none = ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
    assert.deepEqual(createErrors(daemonsets, none), [
      { type: 'FieldValueRequired', field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', message: 'Required value: cannot be 0 when maxSurge is 0' },
    ]);
  });

  it('bumps the template generation only when the template changes', () => {
    const old = ds();
    createErrors(daemonsets, old);
    const ctx = { now: NOW, user: 'admin' };
    const next = clone(old);
    (next.spec as Record<string, any>).template.spec.containers[0].image = 'nginx:2';
    daemonsets.strategy.prepareForUpdate!(next, old, ctx);
    assert.equal(next.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '2');
    assert.equal(next.metadata?.generation, 2);
    const minor = clone(old);
    (minor.spec as Record<string, any>).minReadySeconds = 5;
    daemonsets.strategy.prepareForUpdate!(minor, old, ctx);
    assert.equal(minor.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION], '1');
    assert.equal(minor.metadata?.generation, 2);
  });

  it('prints the counters and the node selector', () => {
    const d = ds({ template: podTemplate({ app: 'web' }, { nodeSelector: { 'kubernetes.io/os': 'linux', b: '1' } }) });
    d.status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 };
    assert.deepEqual(cells(daemonsets, d), {
      Desired: 3,
      Current: 3,
      Ready: 2,
      'Up-to-date': 3,
      Available: 2,
      'Node Selector': 'b=1,kubernetes.io/os=linux',
      Age: '5m',
    });
    assert.equal(cells(daemonsets, ds()).Age, '5m');
    assert.equal(cells(daemonsets, ds())['Node Selector'], '<none>');
  });
});
