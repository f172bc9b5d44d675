import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObjectMeta, validateObjectMetaUpdate, fillObjectMetaForUpdate } from './meta.ts';
import { fieldErrors } from './field-errors.ts';

const sub = { namespaced: true, nameFormat: 'dns1123Subdomain' } as const;

test('valid metadata has no errors', () => {
  assert.deepEqual(
    validateObjectMeta({ name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/x': 'y' }, finalizers: ['example.com/f'] }, sub),
    [],
  );
});

test('name or generateName is required; generateName alone is fine', () => {
  assert.deepEqual(validateObjectMeta({ namespace: 'default' }, sub), [
    { type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
  ]);
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', namespace: 'default' }, sub), []);
});

test('invalid name and namespace rules', () => {
  const errs = validateObjectMeta({ name: 'Web' }, sub);
  assert.equal(errs.length, 2);
  assert.equal(errs[0]!.field, 'metadata.name');
  assert.match(errs[0]!.message, /^Invalid value: "Web": a lowercase RFC 1123 subdomain/);
  assert.deepEqual(errs[1], { type: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' });
  assert.deepEqual(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false, nameFormat: 'dns1123Label' }), [
    { type: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' },
  ]);
});

test('labels and annotations report on the map path', () => {
  const errs = validateObjectMeta({ name: 'a', namespace: 'd', labels: { 'bad key!': 'ok', ok: '-bad' } }, sub);
  assert.deepEqual(errs.map((e) => [e.field, e.message.slice(0, 30)]), [
    ['metadata.labels', 'Invalid value: "bad key!": nam'],
    ['metadata.labels', 'Invalid value: "-bad": a valid'],
  ]);
  const big = validateObjectMeta({ name: 'a', namespace: 'd', annotations: { k: 'x'.repeat(256 * 1024) } }, sub);
  assert.deepEqual(big, [fieldErrors.tooLong('metadata.annotations', 262144)]);
  // annotation keys are case-insensitive
  assert.deepEqual(validateObjectMeta({ name: 'a', namespace: 'd', annotations: { 'Example.COM/Key': 'v' } }, sub), []);
});

test('owner references', () => {
  const errs = validateObjectMeta(
    {
      name: 'a',
      namespace: 'd',
      ownerReferences: [
        { apiVersion: '', kind: '', name: '', uid: '' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: 'u1', controller: true },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: 'u2', controller: true },
      ],
    },
    sub,
  );
  assert.deepEqual(
    errs.map((e) => `${e.field}: ${e.message}`).map((s) => s.replace(/Invalid value: \[.*\]: /, 'Invalid value: [...]: ')),
    [
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      'metadata.ownerReferences: Invalid value: [...]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r1 and ReplicaSet/r2',
    ],
  );
});

test('finalizers', () => {
  const errs = validateObjectMeta({ name: 'a', namespace: 'd', finalizers: ['orphan', 'foregroundDeletion', 'custom'] }, sub);
  assert.deepEqual(
    errs.map((e) => `${e.field}: ${e.message}`),
    [
      'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion","custom"]: finalizer orphan and foregroundDeletion cannot be both set',
      'metadata.finalizers[2]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    ],
  );
});

test('update: immutable fields, resourceVersion, no new finalizers while deleting', () => {
  const old = { name: 'a', namespace: 'd', uid: 'u1', resourceVersion: '5', creationTimestamp: '2024-01-01T00:00:00Z', deletionTimestamp: '2024-01-02T00:00:00Z', finalizers: ['example.com/a'] };
  const errs = validateObjectMetaUpdate({ ...old, name: 'b', uid: 'u2', resourceVersion: '', finalizers: ['example.com/a', 'example.com/b'] }, old);
  assert.deepEqual(
    errs.map((e) => `${e.field}: ${e.message}`),
    [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}',
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ],
  );
});

test('fillObjectMetaForUpdate carries server-owned fields over', () => {
  const m: Record<string, unknown> = { name: 'a', generation: 9 };
  fillObjectMetaForUpdate(m, { name: 'a', uid: 'u', generation: 2, creationTimestamp: 't' });
  assert.deepEqual(m, { name: 'a', uid: 'u', generation: 2, creationTimestamp: 't' });
});
