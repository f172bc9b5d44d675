import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeLabelSelector,
  formatLabelSelector,
  labelSelectorFromObject,
  matchesLabels,
  parseLabelSelector,
  parseLabelSelectorOrBadRequest,
} from './labels.ts';
import { ApiError } from '../errors.ts';

const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

test('equality, inequality and existence', () => {
  assert.equal(m('app=web', { app: 'web' }), true);
  assert.equal(m('app==web', { app: 'web' }), true);
  assert.equal(m('app=web', { app: 'db' }), false);
  assert.equal(m('app!=web', { app: 'db' }), true);
  assert.equal(m('app!=web', {}), true, '!= matches a missing key');
  assert.equal(m('app', { app: '' }), true);
  assert.equal(m('app', {}), false);
  assert.equal(m('!app', {}), true);
  assert.equal(m('!app', { app: 'x' }), false);
  assert.equal(m('', { a: 'b' }), true);
  assert.equal(m('app=', { app: '' }), true, 'empty value');
  assert.equal(m('app=,tier=fe', { app: '', tier: 'fe' }), true);
});

test('set-based requirements', () => {
  assert.equal(m('env in (prod, qa)', { env: 'qa' }), true);
  assert.equal(m('env in (prod,qa)', { env: 'dev' }), false);
  assert.equal(m('env in (prod,qa)', {}), false);
  assert.equal(m('env notin (prod,qa)', { env: 'dev' }), true);
  assert.equal(m('env notin (prod,qa)', {}), true);
  assert.equal(m('env in (in,notin)', { env: 'notin' }), true, 'keywords are values inside parentheses');
  assert.equal(m('x in (foo,,baz),y,z notin ()', { x: '', y: '1' }), true);
  assert.equal(m('env in (),app', { env: '', app: 'x' }), true);
});

test('numeric comparisons', () => {
  assert.equal(m('size>3', { size: '4' }), true);
  assert.equal(m('size>3', { size: '3' }), false);
  assert.equal(m('size<3', { size: '-10' }), true);
  assert.equal(m('size<3', { size: 'abc' }), false);
  assert.equal(m('size>3', {}), false);
});

test('combined requirements are ANDed and sorted by key', () => {
  const sel = parseLabelSelector('z=1,a in (y,x),!b');
  assert.deepEqual(
    sel.requirements.map((r) => r.key),
    ['a', 'b', 'z'],
  );
  assert.deepEqual(sel.requirements[0]!.values, ['x', 'y']);
  assert.equal(formatLabelSelector(sel), 'a in (x,y),!b,z=1');
  assert.equal(matchesLabels(sel, { z: '1', a: 'x' }), true);
  assert.equal(matchesLabels(sel, { z: '1', a: 'x', b: '' }), false);
});

test('parse errors carry upstream messages', () => {
  const err = (s: string) => {
    try {
      parseLabelSelector(s);
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`expected ${JSON.stringify(s)} to fail`);
  };
  assert.equal(err('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(err('a=b c'), "found 'c', expected: ',' or 'end of string'");
  assert.equal(err('a,'), "found '', expected: identifier after ','");
  assert.equal(err(',a'), "found ',', expected: !, identifier, or 'end of string'");
  assert.equal(err('a in b'), "unable to parse requirement: found 'b' expected: '('");
  assert.equal(err('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.equal(err('a=(b)'), "unable to parse requirement: found '(', expected: identifier");
  assert.equal(err('!'), "unable to parse requirement: found '', expected: identifier");
  assert.match(err('-a=b'), /^unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters/);
  assert.match(
    err('a=-b'),
    /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string or consist of alphanumeric characters/,
  );
  assert.equal(err('a>b'), "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer");
  assert.match(err('a/b/c'), /a qualified name must consist of/);
  assert.match(err('Example.com/a'), /prefix part a lowercase RFC 1123 subdomain/);
});

test('bad selectors become 400 BadRequest', () => {
  assert.throws(
    () => parseLabelSelectorOrBadRequest('a b'),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message.startsWith('unable to parse requirement'),
  );
});

test('metav1.LabelSelector conversion', () => {
  assert.equal(matchesLabels(labelSelectorFromObject(null), {}), false, 'nil selector matches nothing');
  assert.equal(matchesLabels(labelSelectorFromObject({}), { a: 'b' }), true, 'empty selector matches everything');
  const sel = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'team', operator: 'Exists' },
    ],
  });
  assert.equal(formatLabelSelector(sel), 'app=web,!canary,env notin (prod),team,tier in (be,fe)');
  assert.equal(matchesLabels(sel, { app: 'web', tier: 'fe', team: 'x' }), true);
  assert.equal(matchesLabels(sel, { app: 'web', tier: 'fe', team: 'x', env: 'prod' }), false);
  assert.throws(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), /"Gt" is not a valid label selector operator/);
  assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
  assert.equal(describeLabelSelector({}), '<none>');
  assert.equal(describeLabelSelector({ matchLabels: { app: 'x' } }), 'app=x');
});
