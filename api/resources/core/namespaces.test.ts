import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namespaces, validateNamespaceFinalize } from './namespaces.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const ctx = { now: new Date('2024-01-01T01:00:00Z'), user: 'admin' };

test('discovery facts', () => {
  assert.deepEqual([namespaces.plural, namespaces.singular, namespaces.shortNames, namespaces.namespaced, namespaces.storageResource], ['namespaces', 'namespace', ['ns'], false, 'namespaces']);
  assert.ok(!namespaces.verbs.includes('deletecollection'));
  assert.deepEqual(Object.keys(namespaces.subresources).sort(), ['finalize', 'status']);
});

test('defaults and create: name label, Active, kubernetes finalizer', () => {
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', labels: { team: 'a' } } };
  namespaces.strategy.defaults(ns);
  namespaces.strategy.prepareForCreate!(ns, ctx);
  assert.deepEqual(ns, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'dev', labels: { team: 'a', 'kubernetes.io/metadata.name': 'dev' } },
    status: { phase: 'Active' },
    spec: { finalizers: ['kubernetes'] },
  });
});

test('spec.finalizers validation', () => {
  const errs = namespaces.strategy.validate({ metadata: { name: 'x' }, spec: { finalizers: ['kubernetes', 'custom', 'example.com/ok'] } });
  assert.deepEqual(errs, [
    { type: 'FieldValueInvalid', field: 'spec.finalizers', message: 'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified' },
  ]);
  assert.equal(validateNamespaceFinalize({ spec: { finalizers: ['bad'] } })[0]!.field, 'spec.finalizers[0]');
});

test('update keeps finalizers and status; status update keeps spec', () => {
  const old: KubeObject = { metadata: { name: 'dev' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
  const upd: KubeObject = { metadata: { name: 'dev' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
  namespaces.strategy.prepareForUpdate!(upd, old, ctx);
  assert.deepEqual(upd.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(upd.status, { phase: 'Active' });
  const st: KubeObject = { metadata: { name: 'dev' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
  namespaces.strategy.prepareForStatusUpdate!(st, old, ctx);
  assert.deepEqual(st.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(namespaces.strategy.validateStatusUpdate!(st, old).map((e) => e.message), [
    `Invalid value: "Terminating": may only be 'Active' if \`deletionTimestamp\` is empty`,
  ]);
});

test('printer cells and field selectors', () => {
  const ns: KubeObject = { metadata: { name: 'dev', creationTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Active' } };
  assert.deepEqual(namespaces.printerColumns.map((c) => [c.name, c.cell(ns, ctx.now)]), [['Status', 'Active'], ['Age', '60m']]);
  assert.equal(namespaces.fieldSelectors['status.phase']!(ns), 'Active');
  assert.equal(namespaces.fieldSelectors.name!(ns), 'dev');
});
