import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFieldSelector,
  escapeFieldValue,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  parseFieldSelectorOrBadRequest,
  requiresExactMatch,
  supportedFieldPaths,
} from './fields.ts';
import { ApiError } from '../errors.ts';

const pod: Record<string, string> = { 'metadata.name': 'web-1', 'metadata.namespace': 'default', 'status.phase': 'Running', 'spec.nodeName': '' };
const get = (p: string) => pod[p];

test('operators and conjunctions', () => {
  assert.equal(matchesFields(parseFieldSelector('metadata.name=web-1'), get), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name==web-1'), get), true);
  assert.equal(matchesFields(parseFieldSelector('metadata.name!=web-1'), get), false);
  assert.equal(matchesFields(parseFieldSelector('status.phase=Running,metadata.namespace=default'), get), true);
  assert.equal(matchesFields(parseFieldSelector('status.phase!=Running,metadata.namespace=default'), get), false);
  assert.equal(matchesFields(parseFieldSelector('spec.nodeName='), get), true, 'empty value matches an empty field');
  assert.equal(matchesFields(parseFieldSelector('spec.nodeName!='), get), false);
  assert.equal(matchesFields(parseFieldSelector(''), get), true);
  assert.equal(matchesFields(parseFieldSelector('a=b,,'), () => 'b'), true, 'empty terms are skipped');
});

test('escaping', () => {
  const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,x=y');
  assert.deepEqual(sel.requirements.find((r) => r.field === 'metadata.name')?.value, 'a,b=c\\d');
  assert.equal(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  assert.equal(formatFieldSelector(parseFieldSelector('b=1,a!=x\\,y')), 'a!=x\\,y,b=1');
  assert.throws(() => parseFieldSelector('a=b\\c'), { message: 'invalid field selector: invalid escape sequence: \\c' });
  assert.throws(() => parseFieldSelector('a=b=c'), { message: 'invalid field selector: unescaped character in value: =' });
  assert.throws(() => parseFieldSelector('a=b\\'), { message: 'invalid field selector: invalid escape sequence: \\' });
  assert.throws(() => parseFieldSelector('ab,c=d'), { message: "invalid selector: 'ab,c=d'; can't understand 'ab'" });
});

test('unsupported fields are named', () => {
  const supported = supportedFieldPaths({ 'status.phase': () => '' });
  assert.deepEqual(supported, ['metadata.name', 'metadata.namespace', 'status.phase']);
  checkFieldSelector(parseFieldSelector('status.phase=Running,metadata.name=x'), supported);
  assert.throws(() => checkFieldSelector(parseFieldSelector('spec.foo=1'), supported), { message: 'field label not supported: spec.foo' });
  assert.throws(
    () => parseFieldSelectorOrBadRequest('spec.foo=1', supported),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'field label not supported: spec.foo',
  );
  assert.equal(requiresExactMatch(parseFieldSelector('metadata.name=x,status.phase=y'), 'metadata.name'), 'x');
  assert.equal(requiresExactMatch(parseFieldSelector('metadata.name!=x'), 'metadata.name'), undefined);
});
