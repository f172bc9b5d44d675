import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloneSelectorAndAddLabel, isEmptySelector, labelSelectorAsSelector, selectorFromSet } from './selector.ts';

describe('label selectors', () => {
  it('matchLabels and matchExpressions, rendered sorted by key as labels.Selector.String()', () => {
    const s = labelSelectorAsSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'Exists' },
      ],
    });
    assert.equal(s.toString(), 'app=web,!canary,env notin (dev),tier in (back,front),zone');
    assert.equal(s.matches({ app: 'web', tier: 'front', zone: 'a' }), true);
    assert.equal(s.matches({ app: 'web', tier: 'front', zone: 'a', env: 'dev' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'front', zone: 'a', canary: '' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'mid', zone: 'a' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'front' }), false);
  });

  it('nil selects nothing, empty selects everything; bad operators throw', () => {
    assert.equal(labelSelectorAsSelector(undefined).matches({}), false);
    assert.equal(labelSelectorAsSelector(undefined).nothing, true);
    assert.equal(labelSelectorAsSelector({}).matches({ a: 'b' }), true);
    assert.equal(labelSelectorAsSelector({}).everything, true);
    assert.equal(isEmptySelector({}), true);
    assert.equal(isEmptySelector({ matchLabels: { a: 'b' } }), false);
    assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }));
    assert.throws(() => labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }));
  });

  it('sets (ReplicationController selectors) and adding the pod-template-hash', () => {
    assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'x', operator: 'Exists' }] };
    const out = cloneSelectorAndAddLabel(sel, 'pod-template-hash', 'abc');
    assert.deepEqual(out, { matchLabels: { app: 'web', 'pod-template-hash': 'abc' }, matchExpressions: [{ key: 'x', operator: 'Exists' }] });
    assert.deepEqual(sel.matchLabels, { app: 'web' }, 'the original is untouched');
  });
});
