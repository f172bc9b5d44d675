import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCidr, cidrContains } from './cidr.ts';
import { goIntOrString, goLabelSelector, goStringMap } from './go-format.ts';
import { deepEqual } from './object.ts';
import { formatLabelSelector, selectorConverts, selectorMatches, selectorString } from './selectors.ts';
import { immutableSelector, selectorMatchesTemplate } from './validation.ts';

describe('group helpers', () => {
  it('renders values as Go %#v does', () => {
    assert.equal(goStringMap({ b: '2', a: '1' }), 'map[string]string{"a":"1", "b":"2"}');
    assert.equal(goStringMap(undefined), 'map[string]string(nil)');
    assert.equal(
      goLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['x'] }] }),
      'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"x"}}}}',
    );
    assert.equal(goIntOrString('25%'), 'intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}');
  });

  it('matches and prints selectors as LabelSelectorAsSelector does', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] };
    assert.equal(selectorMatches(sel, { app: 'web' }), true);
    assert.equal(selectorMatches(sel, { app: 'web', env: 'prod' }), false);
    assert.equal(selectorMatches(null, { app: 'web' }), false);
    assert.equal(selectorMatches({}, {}), true);
    assert.equal(selectorString(sel), 'app=web,env notin (prod)');
    assert.equal(formatLabelSelector(null), '<none>');
    assert.equal(selectorConverts({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), false);
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  });

  it('reports mismatching templates and changed selectors', () => {
    assert.deepEqual(selectorMatchesTemplate({ matchLabels: { a: 'b' } }, { a: 'b', c: 'd' }, 'spec.template.metadata.labels'), []);
    assert.equal(selectorMatchesTemplate({ matchLabels: { a: 'b' } }, { a: 'c' }, 'p')[0]!.message, 'Invalid value: map[string]string{"a":"c"}: `selector` does not match template `labels`');
    assert.deepEqual(immutableSelector({ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }, 'spec.selector'), []);
  });

  it('compares like Semantic.DeepEqual (nil and empty alike)', () => {
    assert.equal(deepEqual({ a: [] }, {}), true);
    assert.equal(deepEqual({ a: { b: null } }, { a: {} }), true);
    assert.equal(deepEqual({ a: 1 }, { a: 2 }), false);
  });

  it('parses CIDRs and subsets', () => {
    const outer = parseCidr('10.0.0.0/8')!;
    assert.ok(cidrContains(outer, parseCidr('10.1.0.0/16')!));
    assert.ok(!cidrContains(outer, parseCidr('11.0.0.0/16')!));
    assert.ok(cidrContains(parseCidr('fd00::/8')!, parseCidr('fd00:1::/64')!));
    assert.equal(parseCidr('10.0.0.0'), undefined);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
  });
});
