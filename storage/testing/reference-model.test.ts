// Unit tests of the reference model against known etcd v3 behaviour (each one checked on a
// real etcd 3.4), so that the oracle of the model-based tests can fail too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FROM_KEY, prefixEnd } from '../bytes.ts';
import { isStoreError } from '../errors.ts';
import type { StoreErrorCode } from '../errors.ts';
import { ReferenceModel, inRange } from './reference-model.ts';
import { OpGenerator, Rng, describeOp } from './random-ops.ts';

const s = (b: Buffer | undefined) => b?.toString('latin1');

function throwsCode(f: () => unknown, code: StoreErrorCode, compactRevision?: number): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isStoreError(e, code), `expected ${code}, got ${String(e)}`);
    if (compactRevision !== undefined) assert.equal((e as { compactRevision?: number }).compactRevision, compactRevision);
    return true;
  });
}

test('an empty store is at revision 1; each put bumps it and sets the key metadata', () => {
  const m = new ReferenceModel();
  assert.equal(m.range('a').header.revision, 1);
  assert.equal(m.put('a', '1').header.revision, 2);
  const r = m.put('a', '2', { prevKv: true });
  assert.equal(r.header.revision, 3);
  assert.equal(s(r.prevKv?.value), '1');
  assert.deepEqual(
    m.range('a').kvs.map((kv) => [s(kv.key), s(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease]),
    [['a', '2', 2, 3, 2, 0]],
  );
});

test('put of a new key has no prevKv even when asked', () => {
  const m = new ReferenceModel();
  assert.equal(m.put('a', '1', { prevKv: true }).prevKv, undefined);
});

test('delete resets version and createRevision; deleting nothing does not bump the revision', () => {
  const m = new ReferenceModel();
  m.put('a', '1');
  m.put('a', '2');
  const d = m.delete('a', { prevKv: true });
  assert.equal(d.header.revision, 4);
  assert.equal(d.deleted, 1);
  assert.equal(s(d.prevKvs[0]?.value), '2');
  const none = m.delete('a');
  assert.deepEqual([none.header.revision, none.deleted, none.prevKvs.length], [4, 0, 0]);
  m.put('a', '3');
  const kv = m.range('a').kvs[0]!;
  assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [5, 5, 1]);
});

test('delete without prevKv returns no prevKvs; a range delete is one revision', () => {
  const m = new ReferenceModel();
  m.put('p/1', 'x');
  m.put('p/2', 'y');
  m.put('q', 'z');
  const d = m.delete('p/', { rangeEnd: prefixEnd('p/') });
  assert.deepEqual([d.header.revision, d.deleted, d.prevKvs.length], [5, 2, 0]);
  assert.deepEqual(m.watchEventRevisions('p/', { rangeEnd: prefixEnd('p/'), startRevision: 5 }), [5, 5]);
});

test('a txn with writes is one revision; a read-only or no-op txn is none', () => {
  const m = new ReferenceModel();
  const t = m.txn({ success: [{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }, { type: 'delete', key: 'zz' }] });
  assert.equal(t.header.revision, 2);
  assert.deepEqual(m.range('a', { rangeEnd: FROM_KEY }).kvs.map((kv) => kv.modRevision), [2, 2]);
  assert.equal(m.txn({ success: [{ type: 'range', key: 'a' }] }).header.revision, 2);
  assert.equal(m.txn({ success: [{ type: 'delete', key: 'nope' }] }).header.revision, 2);
  assert.equal(m.txn({}).header.revision, 2);
});

test('txn compares: missing keys compare as zero, except that a value compare fails', () => {
  const m = new ReferenceModel();
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'version', result: '=', value: 0 }] }).succeeded, true);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'createRevision', result: '=', value: 0 }] }).succeeded, true);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'value', result: '=', value: '' }] }).succeeded, false);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'value', result: '!=', value: 'x' }] }).succeeded, false);
  m.put('a', 'm');
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'value', result: '<', value: 'n' }] }).succeeded, true);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'value', result: '>', value: 'n' }] }).succeeded, false);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'modRevision', result: '>', value: 1 }] }).succeeded, true);
  assert.equal(m.txn({ compare: [{ key: 'a', target: 'version', result: '!=', value: 1 }] }).succeeded, false);
});

test('txn compares over a range: every key must satisfy it; an empty range is a zero kv', () => {
  const m = new ReferenceModel();
  m.put('p/1', 'x');
  m.put('p/2', 'x');
  const all = { key: 'p/', rangeEnd: prefixEnd('p/') };
  assert.equal(m.txn({ compare: [{ ...all, target: 'value', result: '=', value: 'x' }] }).succeeded, true);
  m.put('p/3', 'y');
  assert.equal(m.txn({ compare: [{ ...all, target: 'value', result: '=', value: 'x' }] }).succeeded, false);
  assert.equal(m.txn({ compare: [{ key: 'q/', rangeEnd: prefixEnd('q/'), target: 'version', result: '=', value: 0 }] }).succeeded, true);
});

test('ops in a txn see the writes of earlier ops; the failure branch runs when a compare fails', () => {
  const m = new ReferenceModel();
  const t = m.txn({
    compare: [{ key: 'a', target: 'version', result: '>', value: 5 }],
    success: [{ type: 'put', key: 'never', value: '!' }],
    failure: [
      { type: 'put', key: 'a', value: '1' },
      { type: 'range', key: 'a' },
      { type: 'delete', key: 'b' },
    ],
  });
  assert.equal(t.succeeded, false);
  const r = t.responses[1]!;
  assert.ok(r.type === 'range');
  assert.equal(s(r.kvs[0]?.value), '1');
  assert.equal(r.kvs[0]?.modRevision, 2);
  assert.equal(m.range('never').count, 0);
});

test('duplicate keys in a txn branch: put twice, or put inside a delete; from-key deletes do not count (etcd)', () => {
  const m = new ReferenceModel();
  throwsCode(() => m.txn({ success: [{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'a', value: '2' }] }), 'duplicate-key');
  throwsCode(() => m.txn({ failure: [{ type: 'delete', key: 'a', rangeEnd: 'c' }, { type: 'put', key: 'b', value: '2' }] }), 'duplicate-key');
  throwsCode(() => m.txn({ success: [{ type: 'put', key: 'b', value: '2' }, { type: 'delete', key: 'b' }] }), 'duplicate-key');
  // Two deletes may overlap; a put just past a range is fine; so is the same key in both branches.
  m.txn({ success: [{ type: 'delete', key: 'a', rangeEnd: 'c' }, { type: 'delete', key: 'b' }, { type: 'put', key: 'c', value: '3' }] });
  m.txn({ success: [{ type: 'put', key: 'x', value: '1' }], failure: [{ type: 'put', key: 'x', value: '2' }] });
  const t = m.txn({ success: [{ type: 'delete', key: 'a', rangeEnd: FROM_KEY }, { type: 'put', key: 'b', value: '2' }] });
  assert.equal(t.succeeded, true);
  assert.equal(s(m.range('b').kvs[0]?.value), '2');
  assert.equal(m.range('c').count, 0);
});

test('range: limit, count, more, keysOnly, countOnly (countOnly never sets more)', () => {
  const m = new ReferenceModel();
  for (const k of ['a', 'ab', 'abc', 'b']) m.put(k, `v-${k}`);
  const r = m.range('a', { rangeEnd: prefixEnd('a'), limit: 2 });
  assert.deepEqual([r.kvs.map((kv) => s(kv.key)), r.count, r.more], [['a', 'ab'], 3, true]);
  const exact = m.range('a', { rangeEnd: prefixEnd('a'), limit: 3 });
  assert.equal(exact.more, false);
  const ko = m.range('a', { rangeEnd: FROM_KEY, keysOnly: true });
  assert.deepEqual(ko.kvs.map((kv) => [s(kv.key), kv.value.length, kv.version]), [['a', 0, 1], ['ab', 0, 1], ['abc', 0, 1], ['b', 0, 1]]);
  const co = m.range('a', { rangeEnd: FROM_KEY, countOnly: true, limit: 1 });
  assert.deepEqual([co.kvs.length, co.count, co.more], [0, 4, false]);
});

test('key ranges: single key, prefix, from-key, everything, and end <= key (empty)', () => {
  const m = new ReferenceModel();
  for (const k of [Buffer.from([0]), Buffer.from('a'), Buffer.from('a\xff', 'latin1'), Buffer.from('b'), Buffer.from([0xff, 0xff])]) m.put(k, 'v');
  const keys = (r: { kvs: { key: Buffer }[] }) => r.kvs.map((kv) => kv.key.toString('hex'));
  assert.deepEqual(keys(m.range('a')), ['61']);
  assert.deepEqual(keys(m.range('a', { rangeEnd: prefixEnd('a') })), ['61', '61ff']);
  assert.deepEqual(keys(m.range(Buffer.from('a\xff', 'latin1'), { rangeEnd: FROM_KEY })), ['61ff', '62', 'ffff']);
  assert.deepEqual(keys(m.range(Buffer.from([0]), { rangeEnd: FROM_KEY })), ['00', '61', '61ff', '62', 'ffff']);
  assert.deepEqual(keys(m.range(Buffer.from([0xff]), { rangeEnd: prefixEnd(Buffer.from([0xff])) })), ['ffff']);
  assert.equal(m.range('b', { rangeEnd: 'a' }).count, 0);
  assert.equal(m.range('b', { rangeEnd: 'b' }).count, 0);
  assert.ok(inRange(Buffer.from('x'), Buffer.from('x'), Buffer.alloc(0)));
});

test('empty keys are refused', () => {
  const m = new ReferenceModel();
  throwsCode(() => m.range(''), 'empty-key');
  throwsCode(() => m.put('', 'v'), 'empty-key');
  throwsCode(() => m.delete(''), 'empty-key');
  throwsCode(() => m.txn({ failure: [{ type: 'range', key: '' }] }), 'empty-key');
  assert.equal(m.revision, 1);
});

test('reads at past revisions, future revisions, and compacted revisions', () => {
  const m = new ReferenceModel();
  m.put('a', '1'); // 2
  m.put('a', '2'); // 3
  m.delete('a'); // 4
  m.put('a', '3'); // 5
  assert.equal(s(m.range('a', { revision: 2 }).kvs[0]?.value), '1');
  assert.equal(m.range('a', { revision: 4 }).count, 0);
  assert.equal(m.range('a', { revision: 3 }).header.revision, 5);
  throwsCode(() => m.range('a', { revision: 6 }), 'future-revision');
  m.compact(3);
  throwsCode(() => m.range('a', { revision: 2 }), 'compacted', 3);
  assert.equal(s(m.range('a', { revision: 3 }).kvs[0]?.value), '2');
  assert.equal(s(m.range('a', { revision: 0 }).kvs[0]?.value), '3');
});

test('compaction: at or below the compact revision is compacted, above the current one is future', () => {
  const m = new ReferenceModel();
  m.put('a', '1');
  m.put('a', '2');
  throwsCode(() => m.compact(4), 'future-revision');
  assert.equal(m.compact(2).revision, 3);
  throwsCode(() => m.compact(2), 'compacted', 2);
  throwsCode(() => m.compact(1), 'compacted', 2);
  assert.equal(m.compact(3).revision, 3); // the current revision itself
  assert.equal(m.revision, 3);
  assert.equal(m.status().compactRevision, 3);
});

test('watch events: order, delete shape, prevKv, start revisions and compaction', () => {
  const m = new ReferenceModel();
  m.put('k', '1'); // 2
  m.txn({ success: [{ type: 'put', key: 'k2', value: 'x' }, { type: 'put', key: 'k', value: '2' }] }); // 3
  m.delete('k', { rangeEnd: FROM_KEY }); // 4
  const evs = m.watchEvents('k', { rangeEnd: FROM_KEY, startRevision: 2, prevKv: true });
  assert.deepEqual(
    evs.map((e) => [e.type, s(e.kv.key), e.kv.modRevision, s(e.prevKv?.value)]),
    [
      ['put', 'k', 2, undefined],
      ['put', 'k2', 3, undefined],
      ['put', 'k', 3, '1'],
      ['delete', 'k', 4, '2'],
      ['delete', 'k2', 4, 'x'],
    ],
  );
  const del = evs[3]!.kv;
  assert.deepEqual([del.createRevision, del.version, del.lease, del.value.length], [0, 0, 0, 0]);
  assert.equal(m.watchEvents('k', { startRevision: 2 })[0]!.prevKv, undefined);
  assert.deepEqual(m.watchEvents('k', { startRevision: 0 }), []); // "from now on"
  m.compact(3);
  throwsCode(() => m.watchStart(2), 'compacted', 3);
  assert.equal(m.watchStart(3), 3);
  assert.equal(m.watchStart(0), 5);
});

test('leases: attach, detach, revoke deletes keys in one revision, missing leases', () => {
  const m = new ReferenceModel();
  assert.deepEqual(m.leaseGrant(60, 7), { id: 7, ttl: 60 });
  throwsCode(() => m.leaseGrant(60, 7), 'lease-exists');
  throwsCode(() => m.put('a', '1', { lease: 8 }), 'lease-not-found');
  assert.equal(m.revision, 1);
  m.put('a', '1', { lease: 7 });
  m.put('b', '1', { lease: 7 });
  m.put('b', '2'); // detaches b
  m.put('c', '1', { lease: 7 });
  assert.deepEqual(m.leaseTimeToLive(7, { keys: true }).keys.map(s), ['a', 'c']);
  assert.equal(m.leaseRevoke(7).revision, 6);
  assert.deepEqual(m.watchEventRevisions('a', { rangeEnd: FROM_KEY, startRevision: 6 }), [6, 6]);
  assert.equal(s(m.range('b').kvs[0]?.value), '2');
  throwsCode(() => m.leaseRevoke(7), 'lease-not-found');
  assert.deepEqual(m.leaseTimeToLive(7), { id: 7, ttl: -1, grantedTtl: 0, keys: [] });
  m.leaseGrant(60, 9);
  assert.equal(m.leaseRevoke(9).revision, 6); // no keys, no revision
  assert.deepEqual(m.leases(), []);
});

test('a txn checks the leases of the branch it runs only', () => {
  const m = new ReferenceModel();
  const t = m.txn({
    compare: [{ key: 'a', target: 'version', result: '=', value: 0 }],
    success: [{ type: 'put', key: 'a', value: '1' }],
    failure: [{ type: 'put', key: 'a', value: '1', lease: 99 }],
  });
  assert.equal(t.succeeded, true);
  throwsCode(
    () =>
      m.txn({
        compare: [{ key: 'a', target: 'version', result: '=', value: 0 }],
        success: [{ type: 'put', key: 'a', value: '1' }],
        failure: [{ type: 'put', key: 'b', value: '1', lease: 99 }],
      }),
    'lease-not-found',
  );
});

test('the op generator is deterministic per seed and varies across seeds', () => {
  const run = (seed: number) => {
    const m = new ReferenceModel();
    const g = new OpGenerator(seed);
    return Array.from({ length: 50 }, () => describeOp(g.next(m))).join('\n');
  };
  assert.equal(run(42), run(42));
  assert.notEqual(run(42), run(43));
  const r = new Rng(1);
  const xs = Array.from({ length: 1000 }, () => r.int(0, 9));
  for (let d = 0; d <= 9; d++) assert.ok(xs.filter((x) => x === d).length > 50);
});
