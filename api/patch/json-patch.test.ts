import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from './json-patch.ts';
import { ApiError } from '../errors.ts';
import { UnprocessablePatchError } from './errors.ts';

const doc = () => ({
  metadata: { name: 'x', labels: { app: 'web' }, annotations: { 'example.com/a': '1' } },
  spec: { replicas: 1, list: ['a', 'b', 'c'] },
});

const failsWith = (code: number, cause: string | RegExp) => (e: unknown) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.code, code);
  const msg = e instanceof UnprocessablePatchError ? e.patchError : (e.details?.causes?.[0]?.message ?? e.message);
  if (typeof cause === 'string') assert.equal(msg, cause);
  else assert.match(msg, cause);
  return true;
};

test('add, remove, replace, move, copy, test', () => {
  const out = applyJsonPatch(doc(), [
    { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
    { op: 'add', path: '/metadata/annotations/example.com~1b', value: '2' },
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/spec/list/1', value: 'x' },
    { op: 'add', path: '/spec/list/-', value: 'z' },
    { op: 'remove', path: '/spec/list/0' },
    { op: 'test', path: '/spec/list', value: ['x', 'b', 'c', 'z'] },
    { op: 'copy', from: '/metadata/labels', path: '/spec/labels' },
    { op: 'move', from: '/metadata/annotations/example.com~1a', path: '/metadata/labels/moved' },
    { op: 'remove', path: '/metadata/labels/app' },
  ]);
  assert.deepEqual(out, {
    metadata: { name: 'x', labels: { tier: 'fe', moved: '1' }, annotations: { 'example.com/b': '2' } },
    spec: { replicas: 3, list: ['x', 'b', 'c', 'z'], labels: { app: 'web', tier: 'fe' } },
  });
});

test('the input document is not modified', () => {
  const d = doc();
  applyJsonPatch(d, [{ op: 'remove', path: '/metadata/labels' }]);
  assert.deepEqual(d, doc());
});

test('a failing test operation is 422 with upstream message', () => {
  assert.throws(() => applyJsonPatch(doc(), [{ op: 'test', path: '/spec/replicas', value: 2 }]), (e: unknown) => {
    failsWith(422, 'testing value /spec/replicas failed: test failed')(e);
    assert.equal((e as ApiError).reason, 'Invalid');
    assert.equal((e as ApiError).message, 'the server rejected our request due to an error in our request');
    return true;
  });
  // test of a missing value against null succeeds, as upstream
  applyJsonPatch(doc(), [{ op: 'test', path: '/spec/missing', value: null }]);
});

test('operations on missing paths', () => {
  assert.throws(
    () => applyJsonPatch(doc(), [{ op: 'add', path: '/nope/x', value: 1 }]),
    failsWith(422, 'add operation does not apply: doc is missing path: "/nope/x": missing value'),
  );
  assert.throws(
    () => applyJsonPatch(doc(), [{ op: 'remove', path: '/metadata/labels/nope' }]),
    failsWith(422, "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value"),
  );
  assert.throws(
    () => applyJsonPatch(doc(), [{ op: 'replace', path: '/spec/list/7', value: 1 }]),
    failsWith(422, 'replace operation does not apply: doc is missing key: /spec/list/7: missing value'),
  );
  assert.throws(
    () => applyJsonPatch(doc(), [{ op: 'add', path: '/spec/list/9', value: 1 }]),
    failsWith(422, /Unable to access invalid index: 9/),
  );
  assert.throws(() => applyJsonPatch(doc(), [{ op: 'frobnicate', path: '/a' }]), failsWith(422, 'Unexpected kind: frobnicate: unknown object type'));
  assert.throws(() => applyJsonPatch(doc(), [{ op: 'add', value: 1 }]), failsWith(422, /add operation failed to decode path/));
});

test('malformed patches are 400; too many operations 413', () => {
  assert.throws(() => applyJsonPatch(doc(), { op: 'add' }), failsWith(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'));
  assert.throws(() => applyJsonPatch(doc(), ['x']), failsWith(400, /jsonpatch.Operation/));
  const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 }));
  assert.throws(() => applyJsonPatch(doc(), many), failsWith(413, /maximum operations in a JSON patch is 10000, got 10001/));
});
