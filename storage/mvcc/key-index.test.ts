import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex } from './key-index.ts';

const rev = (main: number, sub = 0) => ({ main, sub });

function keysAt(index: KeyIndex, start: string, end: string | undefined, at: number): string[] {
  const out: string[] = [];
  index.scan(start, end, at, (f) => void out.push(f.key));
  return out;
}

test('a read at a past revision sees the write current then', () => {
  const ix = new KeyIndex();
  ix.put('a', rev(1), 0);
  ix.put('a', rev(3), 0);
  ix.tombstone('a', rev(5));
  assert.equal(ix.get('a', 0), undefined);
  assert.deepEqual(ix.get('a', 2), rev(1));
  assert.deepEqual(ix.get('a', 4), rev(3));
  assert.equal(ix.get('a', 5), undefined);
});

test('version counts writes since creation and restarts after a delete', () => {
  const ix = new KeyIndex();
  assert.deepEqual(ix.put('k', rev(1), 0), { createRevision: 1, version: 1 });
  assert.deepEqual(ix.put('k', rev(2), 0), { createRevision: 1, version: 2 });
  ix.tombstone('k', rev(3));
  assert.equal(ix.latest('k'), undefined);
  assert.deepEqual(ix.put('k', rev(4), 7), { createRevision: 4, version: 1 });
  assert.equal(ix.latest('k')?.lease, 7);
});

test('scan orders keys bytewise and honours single, range and from-key forms', () => {
  const ix = new KeyIndex();
  for (const [i, k] of ['b', 'a', 'ab', '\xff', 'a\x00'].entries()) ix.put(k, rev(i + 1), 0);
  assert.deepEqual(keysAt(ix, 'a', undefined, 10), ['a']);
  assert.deepEqual(keysAt(ix, 'a', 'b', 10), ['a', 'a\x00', 'ab']);
  assert.deepEqual(keysAt(ix, 'ab', '\0', 10), ['ab', 'b', '\xff']);
  assert.deepEqual(keysAt(ix, 'b', 'a', 10), []);
  assert.deepEqual(keysAt(ix, 'a', 'b', 2), ['a']);
});

test('compaction keeps the last live write at or below the revision and drops the rest', () => {
  const ix = new KeyIndex();
  ix.put('a', rev(1), 0);
  ix.put('a', rev(2), 0);
  ix.put('b', rev(3), 0);
  ix.tombstone('b', rev(4));
  ix.put('a', rev(5), 0);
  const dropped = ix.compact(4);
  assert.deepEqual(
    dropped.map((r) => r.main).sort(),
    [1, 3, 4],
  );
  assert.deepEqual(ix.get('a', 4), rev(2));
  assert.deepEqual(ix.get('a', 5), rev(5));
  assert.equal(ix.get('b', 4), undefined);
  assert.equal(ix.size, 1, 'a key whose history ends in a compacted delete is gone from memory');
});
