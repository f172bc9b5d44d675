import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { ago, cells, clone, createErrors, meta, NOW, podTemplate } from '../group-helpers/fixtures.ts';
import { CONTROLLER_UID_LABEL, jobs } from './jobs.ts';

const UID = '11111111-2222-3333-4444-555555555555';

function job(spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('pi', 'default'),
    spec: { template: podTemplate(labels ?? {}, { restartPolicy: 'Never' }), ...spec },
  };
}

describe('batch/v1 jobs', () => {
  it('has upstream discovery facts and the status.successful field selector', () => {
    assert.deepEqual(jobs.shortNames, []);
    assert.deepEqual(jobs.categories, ['all']);
    assert.ok(jobs.subresources.status);
    const j = job();
    j.status = { succeeded: 2 };
    assert.equal(jobs.fieldSelectors['status.successful']!(j), '2');
    assert.equal(jobs.fieldSelectors['status.successful']!(job()), '0');
  });

  it('defaults completions, parallelism, backoffLimit, modes and manualSelector', () => {
    const j = job();
    jobs.strategy.defaults(j);
    const spec = j.spec as Record<string, any>;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.equal(spec.manualSelector, false);
    const parallel = job({ parallelism: 3 });
    jobs.strategy.defaults(parallel);
    assert.equal((parallel.spec as Record<string, any>).completions, undefined);
  });

  it('generates the selector and template labels on create, and copies them to the job', () => {
    const j = job();
    assert.deepEqual(createErrors(jobs, j), []);
    const spec = j.spec as Record<string, any>;
    assert.deepEqual(spec.selector, { matchLabels: { [CONTROLLER_UID_LABEL]: UID } });
    assert.deepEqual(spec.template.metadata.labels, {
      'job-name': 'pi',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': UID,
      'batch.kubernetes.io/controller-uid': UID,
    });
    assert.deepEqual(j.metadata?.labels, spec.template.metadata.labels);
    assert.deepEqual(j.status, {});
  });

  it('labels a job like its template, generated labels included', () => {
    const j = job({}, { app: 'pi' });
    assert.deepEqual(createErrors(jobs, j), []);
    assert.deepEqual(j.metadata?.labels, { app: 'pi', 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'batch.kubernetes.io/controller-uid': UID });
    const own = job({}, { app: 'pi' });
    own.metadata!.labels = { team: 'a' };
    createErrors(jobs, own);
    assert.deepEqual(own.metadata?.labels, { team: 'a' });
  });

  it('requires OnFailure or Never as the restart policy', () => {
    const j = job({ template: podTemplate({}) });
    assert.deepEqual(createErrors(jobs, j), [
      { type: 'FieldValueRequired', field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
    ]);
  });

  it('with a manual selector, requires it and checks it against the template', () => {
    const j = job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } }, { app: 'y' });
    assert.deepEqual(createErrors(jobs, j), [
      { type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`' },
    ]);
    const none = job({ manualSelector: true });
    assert.deepEqual(createErrors(jobs, none).map((e) => e.field), ['spec.selector', 'spec.template.metadata.labels']);
  });

  it('rejects a selector that was not auto-generated', () => {
    const j = job({ selector: { matchLabels: { app: 'x' } } }, { app: 'x' });
    const errs = createErrors(jobs, j);
    assert.ok(errs.some((e) => e.field === 'spec.selector' && e.message.endsWith('`selector` not auto-generated')));
  });

  it('makes the template and completions immutable', () => {
    const old = job();
    createErrors(jobs, old);
    const next = clone(old);
    (next.spec as Record<string, any>).template.spec.containers[0].image = 'perl:2';
    (next.spec as Record<string, any>).completions = 3;
    assert.deepEqual(jobs.strategy.validateUpdate(next, old).map((e) => [e.field, e.message.endsWith('field is immutable')]), [
      ['spec.completions', true],
      ['spec.template', true],
    ]);
  });

  it('lets a suspended, never-started job change its scheduling directives', () => {
    const old = job({ suspend: true });
    createErrors(jobs, old);
    const next = clone(old);
    (next.spec as Record<string, any>).template.spec.nodeSelector = { zone: 'a' };
    assert.deepEqual(jobs.strategy.validateUpdate(next, old), []);
  });

  it('rejects decreasing the failed counter and unsetting a terminal condition', () => {
    const old = job();
    createErrors(jobs, old);
    old.status = { failed: 2, conditions: [{ type: 'Failed', status: 'True' }], startTime: ago(60) };
    const next = clone(old);
    next.status = { failed: 1, startTime: ago(60) };
    assert.deepEqual(jobs.strategy.validateStatusUpdate!(next, old).map((e) => e.message), [
      'Invalid value: cannot disable the terminal Failed=True condition',
      'Invalid value: 1: cannot decrease the failed counter',
    ]);
  });

  it('prints STATUS, COMPLETIONS, DURATION and AGE', () => {
    const running = job();
    createErrors(jobs, running);
    running.status = { startTime: ago(90), active: 1 };
    assert.deepEqual(cells(jobs, running), { Status: 'Running', Completions: '0/1', Duration: '90s', Age: '5m' });
    const done = clone(running);
    done.status = { startTime: ago(200), completionTime: ago(100), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    assert.deepEqual(cells(jobs, done), { Status: 'Complete', Completions: '1/1', Duration: '100s', Age: '5m' });
    const parallel = job({ parallelism: 3, completions: null });
    assert.equal(cells(jobs, parallel).Completions, '0/1 of 3');
    assert.equal(cells(jobs, job()).Duration, '');
    const wide = cells(jobs, running, true);
    assert.equal(wide.Selector, `${CONTROLLER_UID_LABEL}=${UID}`);
    void NOW;
  });
});
