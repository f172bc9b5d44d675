import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../runtime/pods.ts';
import {
  COMPLETION_INDEX_ANNOTATION,
  UNKNOWN_INDEX,
  completionIndex,
  firstPendingIndexes,
  formatIndexes,
  hasIndex,
  mergeIntervals,
  parseIndexes,
  podGenerateNameWithIndex,
  totalIndexes,
  withIndexes,
} from './indexes.ts';

const pod = (ix?: string): Pod => ({ metadata: { annotations: ix === undefined ? {} : { [COMPLETION_INDEX_ANNOTATION]: ix } } });

describe('completion indexes', () => {
  it('reads the annotation; missing, malformed or negative is unknown', () => {
    assert.equal(completionIndex(pod('3')), 3);
    assert.equal(completionIndex(pod()), UNKNOWN_INDEX);
    assert.equal(completionIndex(pod('x')), UNKNOWN_INDEX);
    assert.equal(completionIndex(pod('-1')), UNKNOWN_INDEX);
  });

  it('formats runs with dashes and pairs with commas, as status.completedIndexes', () => {
    assert.equal(formatIndexes([[0, 4]]), '0-4');
    assert.equal(formatIndexes([[0, 1], [3, 3], [5, 9]]), '0,1,3,5-9');
    assert.equal(formatIndexes([]), '');
  });

  it('parses, merging adjacent intervals and dropping indexes past completions', () => {
    assert.deepEqual(parseIndexes('0,1,3,5-9', 20), [[0, 1], [3, 3], [5, 9]]);
    assert.deepEqual(parseIndexes('0-2,3', 10), [[0, 3]]);
    assert.deepEqual(parseIndexes('1-8,12', 5), [[1, 4]]);
    assert.deepEqual(parseIndexes('a,2', 5), [[2, 2]]);
    assert.deepEqual(parseIndexes('', 5), []);
  });

  it('merges, counts and finds indexes', () => {
    const iv = withIndexes([[0, 1], [5, 6]], [2, 4, 9]);
    assert.deepEqual(iv, [[0, 2], [4, 6], [9, 9]]);
    assert.equal(totalIndexes(iv), 7);
    assert.ok(hasIndex(iv, 5) && !hasIndex(iv, 3) && hasIndex(iv, 9));
    assert.deepEqual(mergeIntervals([[0, 3]], [[1, 2], [4, 4]]), [[0, 4]]);
  });

  it('picks the first indexes neither done nor running', () => {
    assert.deepEqual(firstPendingIndexes([], 2, 5), [0, 1]);
    assert.deepEqual(firstPendingIndexes([[0, 1], [3, 3]], 3, 6), [2, 4, 5]);
    assert.deepEqual(firstPendingIndexes([[0, 4]], 2, 5), []);
    assert.deepEqual(firstPendingIndexes([[1, 1]], 10, 3), [0, 2]);
  });

  it('names pods <job>-<index>- and cuts long job names to fit 58 characters', () => {
    assert.equal(podGenerateNameWithIndex('pi', 3), 'pi-3-');
    const long = 'a'.repeat(63);
    const g = podGenerateNameWithIndex(long, 12);
    assert.equal(g.length, 58);
    assert.ok(g.endsWith('a-12-'));
  });
});
