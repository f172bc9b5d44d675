import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { runtimeclasses } from './runtimeclasses.ts';

function rc(extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: meta('gvisor'), handler: 'runsc', ...extra };
}

const fieldsAndMessages = (errs: { field: string; message: string }[]) => errs.map((e) => [e.field, e.message]);

describe('node.k8s.io/v1 runtimeclasses', () => {
  it('has upstream discovery facts', () => {
    assert.equal(runtimeclasses.namespaced, false);
    assert.deepEqual(runtimeclasses.shortNames, []);
    assert.deepEqual(runtimeclasses.categories, []);
    assert.equal(runtimeclasses.storageResource, 'runtimeclasses');
    assert.equal(runtimeclasses.strategy.tracksGeneration, false);
  });

  it('accepts a handler with overhead and scheduling, canonicalizing quantities', () => {
    const r = rc({
      overhead: { podFixed: { cpu: '0.25', memory: '1024Ki' } },
      scheduling: { nodeSelector: { 'runtime/gvisor': 'true' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
    });
    assert.deepEqual(createErrors(runtimeclasses, r), []);
    assert.deepEqual((r.overhead as { podFixed: unknown }).podFixed, { cpu: '250m', memory: '1Mi' });
  });

  it('requires the handler to be a DNS label', () => {
    assert.deepEqual(fieldsAndMessages(createErrors(runtimeclasses, rc({ handler: 'Run_SC' }))), [
      ['handler', 'Invalid value: "Run_SC": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'],
    ]);
    assert.equal(createErrors(runtimeclasses, rc({ handler: '' }))[0]!.field, 'handler');
  });

  it('validates the overhead as container limits', () => {
    assert.deepEqual(fieldsAndMessages(createErrors(runtimeclasses, rc({ overhead: { podFixed: { cpu: '-1', pods: '1' } } }))), [
      ['overhead.limits[cpu]', 'Invalid value: "-1": must be greater than or equal to 0'],
      ['overhead.limits[pods]', 'Invalid value: "pods": must be a standard resource for containers'],
    ]);
  });

  it('validates scheduling labels and tolerations, without duplicates', () => {
    const errs = createErrors(
      runtimeclasses,
      rc({
        scheduling: {
          nodeSelector: { 'bad key!': 'v' },
          tolerations: [
            { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' },
            { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' },
            { operator: 'Equal', value: 'v' },
          ],
        },
      }),
    );
    assert.deepEqual(
      errs.map((e) => e.field),
      ['scheduling.nodeSelector', 'scheduling.tolerations[2].operator', 'scheduling.tolerations[1]'],
    );
    assert.equal(
      errs[2]!.message,
      'Duplicate value: core.Toleration{Key:"k", Operator:"Equal", Value:"v", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}',
    );
  });

  it('makes the handler immutable, the rest mutable', () => {
    const old = rc();
    runtimeclasses.strategy.defaults(old);
    const next = clone(old);
    next.overhead = { podFixed: { cpu: '10m' } };
    assert.deepEqual(runtimeclasses.strategy.validateUpdate(next, old), []);
    next.handler = 'kata';
    assert.deepEqual(fieldsAndMessages(runtimeclasses.strategy.validateUpdate(next, old)), [['handler', 'Invalid value: "kata": field is immutable']]);
  });

  it('prints HANDLER and AGE', () => {
    assert.deepEqual(cells(runtimeclasses, rc()), { Handler: 'runsc', Age: '5m' });
  });
});
