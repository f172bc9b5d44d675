import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Indexer, replaceDeltas } from './store.ts';
import type { KubeObject } from './types.ts';

const obj = (ns: string, name: string, rv = '1', uid = `${ns}-${name}`, owner?: string): KubeObject => ({
  metadata: { namespace: ns || undefined, name, resourceVersion: rv, uid, ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: owner }] : undefined },
});

describe('Indexer', () => {
  it('keys by namespace/name and indexes by namespace', () => {
    const s = new Indexer();
    s.upsert(obj('a', 'x'));
    s.upsert(obj('a', 'y'));
    s.upsert(obj('b', 'x'));
    s.upsert(obj('', 'cluster'));
    assert.deepEqual(s.keys().sort(), ['a/x', 'a/y', 'b/x', 'cluster']);
    assert.deepEqual(s.listByNamespace('a').map((o) => o.metadata!.name).sort(), ['x', 'y']);
    assert.deepEqual(s.listByNamespace('').map((o) => o.metadata!.name), ['cluster']);
    assert.equal(s.getByName('b', 'x')?.metadata?.uid, 'b-x');
    s.remove(obj('a', 'x'));
    assert.deepEqual(s.listByNamespace('a').map((o) => o.metadata!.name), ['y']);
    assert.equal(s.size(), 3);
  });

  it('custom indexes follow updates, and can be added later', () => {
    const byOwner = (o: KubeObject) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
    const s = new Indexer({ owner: byOwner });
    s.upsert(obj('a', 'x', '1', 'u1', 'o1'));
    s.upsert(obj('a', 'y', '1', 'u2', 'o1'));
    assert.equal(s.byIndex('owner', 'o1').length, 2);
    s.upsert(obj('a', 'y', '2', 'u2', 'o2'));
    assert.deepEqual(s.byIndex('owner', 'o1').map((o) => o.metadata!.name), ['x']);
    assert.deepEqual(s.byIndex('owner', 'o2').map((o) => o.metadata!.name), ['y']);
    s.addIndexer('rv', (o) => [o.metadata!.resourceVersion!]);
    assert.deepEqual(s.byIndex('rv', '2').map((o) => o.metadata!.name), ['y']);
    assert.throws(() => s.byIndex('nope', 'x'));
  });
});

describe('replaceDeltas', () => {
  it('turns a relist into deletes, adds and updates', () => {
    const s = new Indexer();
    s.upsert(obj('a', 'gone'));
    s.upsert(obj('a', 'same', '5'));
    s.upsert(obj('a', 'changed', '5'));
    s.upsert(obj('a', 'recreated', '5', 'old-uid'));
    const d = replaceDeltas(s, [obj('a', 'same', '5'), obj('a', 'changed', '6'), obj('a', 'recreated', '7', 'new-uid'), obj('a', 'new', '8')]);
    assert.deepEqual(
      d.map((x) => `${x.type} ${x.obj.metadata!.name} ${x.obj.metadata!.uid}`),
      ['delete gone a-gone', 'update changed a-changed', 'delete recreated old-uid', 'add recreated new-uid', 'add new a-new'],
    );
    assert.equal(d[1]!.old?.metadata?.resourceVersion, '5');
  });
});
