import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSliceTracker } from './tracker.ts';

const slice = (uid: string, generation: number) => ({ metadata: { namespace: 'ns', uid, generation, labels: { 'kubernetes.io/service-name': 'web' } } });

test('the tracker tells stale caches and echoes of our own writes from changes by others', () => {
  const t = new EndpointSliceTracker();
  assert.equal(t.staleSlices('ns/web', []), false);
  t.update(slice('a', 2));
  // The cache has not seen our write yet (missing, or an older generation).
  assert.equal(t.staleSlices('ns/web', []), true);
  assert.equal(t.staleSlices('ns/web', [slice('a', 1)]), true);
  assert.equal(t.staleSlices('ns/web', [slice('a', 2)]), false);
  // Our own write comes back: no sync; someone else's newer generation: sync.
  assert.equal(t.shouldSync(slice('a', 2)), false);
  assert.equal(t.shouldSync(slice('a', 3)), true);
  assert.equal(t.shouldSync(slice('other', 1)), true);
  // A deletion we made: stale while the cache still has it, and its event is ours.
  t.expectDeletion(slice('a', 2));
  assert.equal(t.staleSlices('ns/web', [slice('a', 2)]), true);
  assert.equal(t.handleDeletion(slice('a', 2)), true);
  assert.equal(t.has(slice('a', 2)), false);
  // A deletion by someone else.
  t.update(slice('b', 1));
  assert.equal(t.handleDeletion(slice('b', 1)), false);
});
