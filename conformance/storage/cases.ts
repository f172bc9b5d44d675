// The storage conformance cases: one set, run against every Store backend. Each case
// asserts what a real etcd (3.4) does; where k8ts's store differs, k8ts is wrong.
//
// Cases on the shared store use their own key prefix and only relative revisions; the
// shared cases run one at a time, so "+1 per write" can be asserted. Cases that need an
// empty store, compaction (global), a quota or timed lease expiry run on a fresh store.
import assert from 'node:assert/strict';
import { FROM_KEY, prefixEnd } from '../../storage/bytes.ts';
import { CompactedError, isStoreError } from '../../storage/errors.ts';
import type { Store } from '../../storage/store.ts';
import {
  currentRevision,
  keysOf,
  kvView,
  rejectsWith,
  sleep,
  str,
  type CaseContext,
  type StorageCase,
} from './harness.ts';

const MiB = 1024 * 1024;

async function putAll(store: Store, ctx: CaseContext, names: string[], value = 'v'): Promise<number[]> {
  const revs: number[] = [];
  for (const n of names) revs.push((await store.put(ctx.key(n), value)).header.revision);
  return revs;
}

async function grant(store: Store, ctx: CaseContext, ttl: number): Promise<number> {
  const { id } = await store.leaseGrant(ttl);
  ctx.defer(() => store.leaseRevoke(id).catch(() => undefined));
  return id;
}

export const cases: StorageCase[] = [
  // ---- revisions ---------------------------------------------------------------------
  {
    name: 'revision starts at 1 on an empty store and goes +1 per write',
    fresh: true,
    async run(store) {
      const r0 = await store.range('a');
      assert.equal(r0.header.revision, 1, 'empty store revision');
      assert.equal(r0.count, 0);
      assert.equal((await store.put('a', '1')).header.revision, 2);
      assert.equal((await store.put('b', '1')).header.revision, 3);
      assert.equal((await store.put('a', '2')).header.revision, 4);
      const d = await store.delete('a');
      assert.equal(d.header.revision, 5);
      assert.equal(d.deleted, 1);
      assert.equal((await store.range('b')).header.revision, 5, 'reads do not bump the revision');
      const st = await store.status();
      assert.equal(st.header.revision, 5, 'status header revision');
      assert.equal(st.compactRevision, 0, 'no compaction yet');
    },
  },
  {
    name: 'txn with several puts is one revision',
    async run(store, ctx) {
      const before = await currentRevision(store);
      const t = await store.txn({
        success: [
          { type: 'put', key: ctx.key('a'), value: '1' },
          { type: 'put', key: ctx.key('b'), value: '2' },
          { type: 'put', key: ctx.key('c'), value: '3' },
        ],
      });
      assert.equal(t.succeeded, true);
      assert.equal(t.header.revision, before + 1);
      const r = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix) });
      assert.deepEqual(keysOf(r.kvs), [ctx.key('a'), ctx.key('b'), ctx.key('c')]);
      for (const kv of r.kvs) {
        assert.equal(kv.modRevision, before + 1);
        assert.equal(kv.createRevision, before + 1);
        assert.equal(kv.version, 1);
      }
    },
  },
  {
    name: 'sub-ops in one txn see consistent createRevision/modRevision',
    async run(store, ctx) {
      const created = (await store.put(ctx.key('a'), 'a1')).header.revision;
      await store.put(ctx.key('c'), 'c1');
      const t = await store.txn({
        success: [
          { type: 'put', key: ctx.key('a'), value: 'a2', prevKv: true },
          { type: 'put', key: ctx.key('b'), value: 'b1' },
          { type: 'delete', key: ctx.key('c'), prevKv: true },
          { type: 'range', key: ctx.key('a') },
        ],
      });
      const rev = t.header.revision;
      assert.equal(rev, created + 2);
      const [putA, , delC, rangeA] = t.responses;
      assert.equal(putA?.type, 'put');
      assert.equal(putA.type === 'put' && putA.prevKv?.modRevision, created);
      assert.equal(delC?.type === 'delete' && delC.deleted, 1);
      // A range after a put in the same txn sees the put.
      assert.equal(rangeA?.type, 'range');
      if (rangeA?.type === 'range') {
        assert.deepEqual(kvView(rangeA.kvs[0]), {
          key: ctx.key('a'), value: 'a2', createRevision: created, modRevision: rev, version: 2, lease: 0,
        });
      }
      const a = (await store.range(ctx.key('a'))).kvs[0];
      const b = (await store.range(ctx.key('b'))).kvs[0];
      assert.deepEqual(kvView(a), { key: ctx.key('a'), value: 'a2', createRevision: created, modRevision: rev, version: 2, lease: 0 });
      assert.deepEqual(kvView(b), { key: ctx.key('b'), value: 'b1', createRevision: rev, modRevision: rev, version: 1, lease: 0 });
      assert.equal((await store.range(ctx.key('c'))).count, 0);
    },
  },
  {
    name: 'version increments per write and resets after delete',
    async run(store, ctx) {
      const k = ctx.key('k');
      for (let i = 1; i <= 3; i++) {
        await store.put(k, `v${i}`);
        assert.equal((await store.range(k)).kvs[0]?.version, i);
      }
      await store.delete(k);
      assert.equal((await store.range(k)).count, 0);
      await store.put(k, 'again');
      assert.equal((await store.range(k)).kvs[0]?.version, 1);
    },
  },
  {
    name: 'createRevision kept across updates and renewed after delete+put',
    async run(store, ctx) {
      const k = ctx.key('k');
      const c1 = (await store.put(k, '1')).header.revision;
      const m2 = (await store.put(k, '2')).header.revision;
      let kv = (await store.range(k)).kvs[0]!;
      assert.equal(kv.createRevision, c1);
      assert.equal(kv.modRevision, m2);
      await store.delete(k);
      const c2 = (await store.put(k, '3')).header.revision;
      kv = (await store.range(k)).kvs[0]!;
      assert.equal(kv.createRevision, c2);
      assert.equal(kv.modRevision, c2);
      assert.ok(c2 > m2);
    },
  },
  {
    name: 'put returns prevKv only when asked and only if the key existed',
    async run(store, ctx) {
      const k = ctx.key('k');
      const p1 = await store.put(k, 'one', { prevKv: true });
      assert.equal(p1.prevKv, undefined, 'no prevKv for a new key');
      const p2 = await store.put(k, 'two', { prevKv: true });
      assert.deepEqual(kvView(p2.prevKv), {
        key: k, value: 'one', createRevision: p1.header.revision, modRevision: p1.header.revision, version: 1, lease: 0,
      });
      const p3 = await store.put(k, 'three');
      assert.equal(p3.prevKv, undefined, 'no prevKv unless asked');
    },
  },
  {
    name: 'delete of a single key returns prevKv',
    async run(store, ctx) {
      const k = ctx.key('k');
      const r1 = (await store.put(k, 'x')).header.revision;
      const r2 = (await store.put(k, 'y')).header.revision;
      const d = await store.delete(k, { prevKv: true });
      assert.equal(d.deleted, 1);
      assert.equal(d.header.revision, r2 + 1);
      assert.equal(d.prevKvs.length, 1);
      assert.deepEqual(kvView(d.prevKvs[0]), { key: k, value: 'y', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      await store.put(k, 'z');
      const d2 = await store.delete(k);
      assert.equal(d2.deleted, 1);
      assert.deepEqual(d2.prevKvs, [], 'no prevKvs unless asked');
    },
  },
  {
    name: 'delete range: count, prevKvs in key order, one revision',
    async run(store, ctx) {
      await putAll(store, ctx, ['r/c', 'r/a', 'r/b', 's']);
      const before = await currentRevision(store);
      const d = await store.delete(ctx.key('r/'), { rangeEnd: prefixEnd(ctx.key('r/')), prevKv: true });
      assert.equal(d.deleted, 3);
      assert.equal(d.header.revision, before + 1, 'a range delete is one revision');
      assert.deepEqual(keysOf(d.prevKvs), [ctx.key('r/a'), ctx.key('r/b'), ctx.key('r/c')]);
      assert.equal((await store.range(ctx.key('r/'), { rangeEnd: prefixEnd(ctx.key('r/')) })).count, 0);
      assert.equal((await store.range(ctx.key('s'))).count, 1, 'keys outside the range stay');
    },
  },
  {
    name: 'delete of a missing key does not bump the revision',
    async run(store, ctx) {
      const before = await currentRevision(store);
      const d = await store.delete(ctx.key('missing'), { prevKv: true });
      assert.equal(d.deleted, 0);
      assert.deepEqual(d.prevKvs, []);
      assert.equal(d.header.revision, before);
      const d2 = await store.delete(ctx.key('m/'), { rangeEnd: prefixEnd(ctx.key('m/')) });
      assert.equal(d2.deleted, 0);
      assert.equal(await currentRevision(store), before);
    },
  },

  // ---- range -------------------------------------------------------------------------
  {
    name: 'range at a past revision returns the value and version as of then',
    async run(store, ctx) {
      const k = ctx.key('k');
      const r1 = (await store.put(k, 'v1')).header.revision;
      const r2 = (await store.put(k, 'v2')).header.revision;
      await store.put(ctx.key('later'), 'x');
      await store.delete(k);
      const at1 = await store.range(k, { revision: r1 });
      assert.deepEqual(kvView(at1.kvs[0]), { key: k, value: 'v1', createRevision: r1, modRevision: r1, version: 1, lease: 0 });
      assert.equal(at1.header.revision, r2 + 2, 'header carries the current revision');
      const at2 = await store.range(k, { revision: r2 });
      assert.deepEqual(kvView(at2.kvs[0]), { key: k, value: 'v2', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      assert.equal((await store.range(k, { revision: r1 - 1 })).count, 0, 'before creation');
      assert.equal((await store.range(k)).count, 0, 'deleted now');
      const pre = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), revision: r2 });
      assert.deepEqual(keysOf(pre.kvs), [k], 'range over a prefix at a past revision');
    },
  },
  {
    name: 'range at a future revision fails with future-revision',
    async run(store, ctx) {
      const rev = await currentRevision(store);
      await rejectsWith(store.range(ctx.key('k'), { revision: rev + 1 }), 'future-revision');
      await rejectsWith(store.range(ctx.key('k'), { revision: rev + 1000 }), 'future-revision');
      assert.equal((await store.range(ctx.key('k'), { revision: rev })).count, 0, 'the current revision is fine');
    },
  },
  {
    name: 'count with limit and more',
    async run(store, ctx) {
      await putAll(store, ctx, ['1', '2', '3', '4', '5']);
      const end = prefixEnd(ctx.prefix);
      const r2 = await store.range(ctx.key(''), { rangeEnd: end, limit: 2 });
      assert.deepEqual(keysOf(r2.kvs), [ctx.key('1'), ctx.key('2')]);
      assert.equal(r2.count, 5);
      assert.equal(r2.more, true);
      const r5 = await store.range(ctx.key(''), { rangeEnd: end, limit: 5 });
      assert.equal(r5.kvs.length, 5);
      assert.equal(r5.more, false, 'limit == count');
      const r4 = await store.range(ctx.key('2'), { rangeEnd: end, limit: 3 });
      assert.deepEqual(keysOf(r4.kvs), [ctx.key('2'), ctx.key('3'), ctx.key('4')]);
      assert.equal(r4.count, 4);
      assert.equal(r4.more, true);
    },
  },
  {
    name: 'limit larger than count returns everything with more=false',
    async run(store, ctx) {
      await putAll(store, ctx, ['a', 'b', 'c']);
      const r = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), limit: 100 });
      assert.equal(r.kvs.length, 3);
      assert.equal(r.count, 3);
      assert.equal(r.more, false);
      const all = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), limit: 0 });
      assert.equal(all.kvs.length, 3, 'limit 0 means no limit');
    },
  },
  {
    name: 'keysOnly returns keys and metadata with empty values',
    async run(store, ctx) {
      const revs = await putAll(store, ctx, ['a', 'b'], 'some value');
      const r = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), keysOnly: true });
      assert.equal(r.count, 2);
      assert.deepEqual(r.kvs.map(kvView), [
        { key: ctx.key('a'), value: '', createRevision: revs[0], modRevision: revs[0], version: 1, lease: 0 },
        { key: ctx.key('b'), value: '', createRevision: revs[1], modRevision: revs[1], version: 1, lease: 0 },
      ]);
    },
  },
  {
    name: 'countOnly returns the count and no kvs',
    async run(store, ctx) {
      await putAll(store, ctx, ['a', 'b', 'c', 'd']);
      const r = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), countOnly: true });
      assert.equal(r.count, 4);
      assert.deepEqual(r.kvs, []);
      assert.equal(r.more, false);
      const rl = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), countOnly: true, limit: 2 });
      assert.equal(rl.count, 4, 'count ignores limit');
      assert.deepEqual(rl.kvs, []);
      const one = await store.range(ctx.key('missing'), { countOnly: true });
      assert.equal(one.count, 0);
    },
  },
  {
    name: 'prefix ranges select exactly the keys with the prefix',
    async run(store, ctx) {
      await putAll(store, ctx, ['a/1', 'a/2', 'a/2/x', 'a0', 'a', 'b/1']);
      const r = await store.range(ctx.key('a/'), { rangeEnd: prefixEnd(ctx.key('a/')) });
      assert.deepEqual(keysOf(r.kvs), [ctx.key('a/1'), ctx.key('a/2'), ctx.key('a/2/x')]);
      assert.equal(r.count, 3);
      const single = await store.range(ctx.key('a'));
      assert.deepEqual(keysOf(single.kvs), [ctx.key('a')], 'no rangeEnd: the single key');
      const span = await store.range(ctx.key('a/1'), { rangeEnd: ctx.key('a0') });
      assert.deepEqual(keysOf(span.kvs), [ctx.key('a/1'), ctx.key('a/2'), ctx.key('a/2/x')], 'end is exclusive');
    },
  },
  {
    name: 'prefixEnd handles keys ending in 0xff',
    async run(store, ctx) {
      const p = ctx.keyBytes(0x61, 0xff);
      assert.deepEqual(prefixEnd(p), ctx.keyBytes(0x62));
      assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
      await store.put(ctx.keyBytes(0x61, 0xff), 'x');
      await store.put(ctx.keyBytes(0x61, 0xff, 0x00), 'x');
      await store.put(ctx.keyBytes(0x61, 0xff, 0xff), 'x');
      await store.put(ctx.keyBytes(0x61, 0xfe), 'x');
      await store.put(ctx.keyBytes(0x62), 'x');
      const r = await store.range(p, { rangeEnd: prefixEnd(p) });
      assert.deepEqual(
        r.kvs.map((kv) => kv.key),
        [ctx.keyBytes(0x61, 0xff), ctx.keyBytes(0x61, 0xff, 0x00), ctx.keyBytes(0x61, 0xff, 0xff)],
      );
    },
  },
  {
    name: 'fromKey ranges (rangeEnd "\\0") select every key >= key',
    async run(store, ctx) {
      await putAll(store, ctx, ['a', 'm', 'n', 'z']);
      const r = await store.range(ctx.key('m'), { rangeEnd: FROM_KEY });
      const keys = keysOf(r.kvs);
      for (const k of keys) assert.ok(Buffer.from(k, 'latin1').compare(Buffer.from(ctx.key('m'))) >= 0, `${k} >= start`);
      for (const k of ['m', 'n', 'z']) assert.ok(keys.includes(ctx.key(k)), `includes ${k}`);
      assert.ok(!keys.includes(ctx.key('a')), 'excludes keys below');
      assert.equal(r.count, r.kvs.length);
      const s = await store.range(ctx.key('m'), { rangeEnd: '\0' });
      assert.equal(s.count, r.count, 'the string "\\0" is the same as FROM_KEY');
      const lim = await store.range(ctx.key('m'), { rangeEnd: FROM_KEY, limit: 2 });
      assert.deepEqual(keysOf(lim.kvs), [ctx.key('m'), ctx.key('n')]);
      assert.equal(lim.more, true);
    },
  },
  {
    name: 'binary keys and values round-trip byte for byte',
    async run(store, ctx) {
      const key = ctx.keyBytes(0x00, 0xff, 0x80, 0x0a, 0x00);
      const value = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0, 0x7f]);
      await store.put(key, value);
      await store.put(ctx.keyBytes(0x00, 0xff), 'shorter');
      const r = await store.range(key);
      assert.equal(r.count, 1);
      assert.deepEqual(r.kvs[0]?.key, key);
      assert.deepEqual(r.kvs[0]?.value, value);
      const all = await store.range(ctx.keyBytes(0x00), { rangeEnd: prefixEnd(ctx.keyBytes(0x00)) });
      assert.deepEqual(all.kvs.map((kv) => kv.key), [ctx.keyBytes(0x00, 0xff), key], 'bytewise order');
      const u = new Uint8Array([0x10, 0x20, 0x30]);
      await store.put(ctx.keyBytes(0x01), u);
      assert.deepEqual((await store.range(ctx.keyBytes(0x01))).kvs[0]?.value, Buffer.from(u), 'Uint8Array input');
    },
  },
  {
    name: 'empty value is stored; empty key is rejected',
    async run(store, ctx) {
      const r = await store.put(ctx.key('e'), '');
      const kv = (await store.range(ctx.key('e'))).kvs[0];
      assert.deepEqual(kvView(kv), { key: ctx.key('e'), value: '', createRevision: r.header.revision, modRevision: r.header.revision, version: 1, lease: 0 });
      const before = await currentRevision(store);
      await rejectsWith(store.put('', 'x'), 'empty-key');
      await rejectsWith(store.range(''), 'empty-key');
      assert.equal(await currentRevision(store), before);
    },
  },

  // ---- txn ---------------------------------------------------------------------------
  {
    name: 'txn compare on version with =, !=, <, >',
    async run(store, ctx) {
      const k = ctx.key('k');
      await store.put(k, '1');
      await store.put(k, '2'); // version 2
      const check = async (result: '=' | '!=' | '<' | '>', value: number) =>
        (await store.txn({ compare: [{ key: k, target: 'version', result, value }] })).succeeded;
      assert.equal(await check('=', 2), true);
      assert.equal(await check('=', 1), false);
      assert.equal(await check('!=', 1), true);
      assert.equal(await check('!=', 2), false);
      assert.equal(await check('<', 3), true);
      assert.equal(await check('<', 2), false);
      assert.equal(await check('>', 1), true);
      assert.equal(await check('>', 2), false);
    },
  },
  {
    name: 'txn compare on createRevision and modRevision',
    async run(store, ctx) {
      const k = ctx.key('k');
      const c = (await store.put(k, '1')).header.revision;
      const m = (await store.put(k, '2')).header.revision;
      const ok = async (target: 'createRevision' | 'modRevision', result: '=' | '!=' | '<' | '>', value: number) =>
        (await store.txn({ compare: [{ key: k, target, result, value }] })).succeeded;
      assert.equal(await ok('createRevision', '=', c), true);
      assert.equal(await ok('createRevision', '=', m), false);
      assert.equal(await ok('createRevision', '<', m), true);
      assert.equal(await ok('createRevision', '>', c - 1), true);
      assert.equal(await ok('createRevision', '!=', c), false);
      assert.equal(await ok('modRevision', '=', m), true);
      assert.equal(await ok('modRevision', '=', c), false);
      assert.equal(await ok('modRevision', '>', c), true);
      assert.equal(await ok('modRevision', '<', m), false);
      assert.equal(await ok('modRevision', '!=', c), true);
      // The optimistic-concurrency pattern the API server uses.
      const upd = await store.txn({
        compare: [{ key: k, target: 'modRevision', result: '=', value: m }],
        success: [{ type: 'put', key: k, value: '3' }],
        failure: [{ type: 'range', key: k }],
      });
      assert.equal(upd.succeeded, true);
      const stale = await store.txn({
        compare: [{ key: k, target: 'modRevision', result: '=', value: m }],
        success: [{ type: 'put', key: k, value: '4' }],
        failure: [{ type: 'range', key: k }],
      });
      assert.equal(stale.succeeded, false);
      const cur = stale.responses[0];
      assert.equal(cur?.type === 'range' && str(cur.kvs[0]?.value), '3');
    },
  },
  {
    name: 'txn compare on value with =, !=, <, > (bytewise)',
    async run(store, ctx) {
      const k = ctx.key('k');
      await store.put(k, 'mmm');
      const ok = async (result: '=' | '!=' | '<' | '>', value: string | Buffer) =>
        (await store.txn({ compare: [{ key: k, target: 'value', result, value }] })).succeeded;
      assert.equal(await ok('=', 'mmm'), true);
      assert.equal(await ok('=', 'mm'), false);
      assert.equal(await ok('!=', 'mmn'), true);
      assert.equal(await ok('<', 'mmn'), true);
      assert.equal(await ok('<', 'mm'), false, '"mmm" < "mm" is false');
      assert.equal(await ok('>', 'mm'), true, 'a longer value with the same prefix is greater');
      assert.equal(await ok('>', Buffer.from([0x6d, 0x6d, 0x6d, 0x00])), false);
      assert.equal(await ok('<', Buffer.from([0xff])), true);
    },
  },
  {
    name: 'txn compare on lease',
    async run(store, ctx) {
      const id = await grant(store, ctx, 60);
      await store.put(ctx.key('leased'), 'x', { lease: id });
      await store.put(ctx.key('plain'), 'x');
      const ok = async (key: string, result: '=' | '!=' | '<' | '>', value: number) =>
        (await store.txn({ compare: [{ key: ctx.key(key), target: 'lease', result, value }] })).succeeded;
      assert.equal(await ok('leased', '=', id), true);
      assert.equal(await ok('leased', '!=', 0), true);
      assert.equal(await ok('leased', '=', 0), false);
      assert.equal(await ok('plain', '=', 0), true);
      assert.equal(await ok('plain', '>', 0), false);
      assert.equal(await ok('leased', '>', 0), true);
    },
  },
  {
    name: 'txn compare on a missing key: zero revisions/version/lease, value compares fail',
    async run(store, ctx) {
      const k = ctx.key('missing');
      const ok = async (target: 'version' | 'createRevision' | 'modRevision' | 'lease', result: '=' | '!=' | '<' | '>', value: number) =>
        (await store.txn({ compare: [{ key: k, target, result, value }] })).succeeded;
      assert.equal(await ok('version', '=', 0), true);
      assert.equal(await ok('createRevision', '=', 0), true);
      assert.equal(await ok('modRevision', '=', 0), true);
      assert.equal(await ok('lease', '=', 0), true);
      assert.equal(await ok('modRevision', '<', 5), true);
      assert.equal(await ok('version', '>', 0), false);
      for (const result of ['=', '!=', '<', '>'] as const) {
        const t = await store.txn({ compare: [{ key: k, target: 'value', result, value: 'x' }] });
        assert.equal(t.succeeded, false, `value ${result} on a missing key fails`);
      }
      // Create-if-absent.
      const c = await store.txn({
        compare: [{ key: k, target: 'createRevision', result: '=', value: 0 }],
        success: [{ type: 'put', key: k, value: 'created' }],
      });
      assert.equal(c.succeeded, true);
      const again = await store.txn({
        compare: [{ key: k, target: 'createRevision', result: '=', value: 0 }],
        success: [{ type: 'put', key: k, value: 'twice' }],
      });
      assert.equal(again.succeeded, false);
      assert.equal(str((await store.range(k)).kvs[0]?.value), 'created');
    },
  },
  {
    name: 'txn compare with rangeEnd: every key in the range must match',
    async run(store, ctx) {
      await putAll(store, ctx, ['r/a', 'r/b']);
      await store.put(ctx.key('r/b'), 'v2'); // version 2
      const end = prefixEnd(ctx.key('r/'));
      const ok = async (result: '=' | '!=' | '<' | '>', value: number) =>
        (await store.txn({ compare: [{ key: ctx.key('r/'), rangeEnd: end, target: 'version', result, value }] })).succeeded;
      assert.equal(await ok('>', 0), true);
      assert.equal(await ok('=', 1), false, 'r/b has version 2');
      assert.equal(await ok('<', 3), true);
      const empty = await store.txn({
        compare: [{ key: ctx.key('none/'), rangeEnd: prefixEnd(ctx.key('none/')), target: 'createRevision', result: '=', value: 0 }],
      });
      assert.equal(empty.succeeded, true, 'an empty range compares like a missing key');
    },
  },
  {
    name: 'txn failure branch runs the failure ops',
    async run(store, ctx) {
      const k = ctx.key('k');
      await store.put(k, 'old');
      const before = await currentRevision(store);
      const t = await store.txn({
        compare: [{ key: k, target: 'value', result: '=', value: 'other' }],
        success: [{ type: 'put', key: ctx.key('s'), value: 'x' }],
        failure: [
          { type: 'put', key: ctx.key('f'), value: 'y', prevKv: true },
          { type: 'delete', key: k, prevKv: true },
        ],
      });
      assert.equal(t.succeeded, false);
      assert.equal(t.header.revision, before + 1);
      assert.equal(t.responses.length, 2);
      assert.deepEqual(t.responses[0], { type: 'put' });
      const del = t.responses[1];
      assert.equal(del?.type, 'delete');
      if (del?.type === 'delete') {
        assert.equal(del.deleted, 1);
        assert.equal(str(del.prevKvs[0]?.value), 'old');
      }
      assert.equal((await store.range(ctx.key('s'))).count, 0, 'success ops not run');
      assert.equal((await store.range(ctx.key('f'))).count, 1);
    },
  },
  {
    name: 'txn with range ops returns their results',
    async run(store, ctx) {
      const revs = await putAll(store, ctx, ['a', 'b', 'c']);
      const before = await currentRevision(store);
      const t = await store.txn({
        success: [
          { type: 'range', key: ctx.key(''), rangeEnd: prefixEnd(ctx.prefix), limit: 2 },
          { type: 'range', key: ctx.key(''), rangeEnd: prefixEnd(ctx.prefix), countOnly: true },
          { type: 'range', key: ctx.key('b'), keysOnly: true },
          { type: 'range', key: ctx.key('nope') },
        ],
      });
      assert.equal(t.succeeded, true);
      assert.equal(t.header.revision, before);
      const [r1, r2, r3, r4] = t.responses;
      assert.ok(r1?.type === 'range' && r2?.type === 'range' && r3?.type === 'range' && r4?.type === 'range');
      assert.deepEqual(keysOf(r1.kvs), [ctx.key('a'), ctx.key('b')]);
      assert.equal(r1.count, 3);
      assert.equal(r1.more, true);
      assert.equal(r2.count, 3);
      assert.deepEqual(r2.kvs, []);
      assert.deepEqual(r3.kvs.map(kvView), [
        { key: ctx.key('b'), value: '', createRevision: revs[1], modRevision: revs[1], version: 1, lease: 0 },
      ]);
      assert.deepEqual({ kvs: r4.kvs, count: r4.count, more: r4.more }, { kvs: [], count: 0, more: false });
    },
  },
  {
    name: 'txn that writes the same key twice fails with duplicate-key and writes nothing',
    async run(store, ctx) {
      const before = await currentRevision(store);
      await rejectsWith(
        store.txn({
          success: [
            { type: 'put', key: ctx.key('d'), value: '1' },
            { type: 'put', key: ctx.key('d'), value: '2' },
          ],
        }),
        'duplicate-key',
        'put twice',
      );
      await rejectsWith(
        store.txn({
          success: [
            { type: 'put', key: ctx.key('e'), value: '1' },
            { type: 'delete', key: ctx.key('e') },
          ],
        }),
        'duplicate-key',
        'put and delete',
      );
      await rejectsWith(
        store.txn({
          compare: [{ key: ctx.key('x'), target: 'version', result: '=', value: 99 }],
          failure: [
            { type: 'put', key: ctx.key('r/1'), value: '1' },
            { type: 'delete', key: ctx.key('r/'), rangeEnd: prefixEnd(ctx.key('r/')) },
          ],
        }),
        'duplicate-key',
        'put inside a deleted range (failure branch)',
      );
      assert.equal(await currentRevision(store), before);
      assert.equal((await store.range(ctx.key('d'))).count, 0);
      // Reading a key that is also written is fine.
      const ok = await store.txn({
        success: [
          { type: 'range', key: ctx.key('f') },
          { type: 'put', key: ctx.key('f'), value: '1' },
        ],
      });
      assert.equal(ok.succeeded, true);
    },
  },
  {
    name: 'txn with more than 128 ops in a branch fails with too-many-ops',
    async run(store, ctx) {
      const before = await currentRevision(store);
      const ops = Array.from({ length: 129 }, (_, i) => ({ type: 'put' as const, key: ctx.key(`k${i}`), value: 'v' }));
      await rejectsWith(store.txn({ success: ops }), 'too-many-ops');
      assert.equal(await currentRevision(store), before);
      const t = await store.txn({ success: ops.slice(0, 128) });
      assert.equal(t.header.revision, before + 1, '128 ops are allowed');
    },
  },
  {
    name: 'txn that only reads (or writes nothing) does not bump the revision',
    async run(store, ctx) {
      await store.put(ctx.key('k'), 'v');
      const before = await currentRevision(store);
      const t1 = await store.txn({ success: [{ type: 'range', key: ctx.key('k') }] });
      assert.equal(t1.header.revision, before);
      const t2 = await store.txn({
        compare: [{ key: ctx.key('k'), target: 'value', result: '=', value: 'no' }],
        success: [{ type: 'put', key: ctx.key('k'), value: 'x' }],
      });
      assert.equal(t2.succeeded, false);
      assert.equal(t2.header.revision, before, 'failed compare, empty failure branch');
      assert.deepEqual(t2.responses, []);
      const t3 = await store.txn({ success: [{ type: 'delete', key: ctx.key('missing') }] });
      assert.equal(t3.header.revision, before, 'deleting nothing');
      const t4 = await store.txn({});
      assert.equal(t4.succeeded, true, 'no compares: success');
      assert.equal(t4.header.revision, before);
      assert.equal(await currentRevision(store), before);
    },
  },

  // ---- watch -------------------------------------------------------------------------
  {
    name: 'watch delivers puts and deletes in order with full metadata',
    async run(store, ctx) {
      const k = ctx.key('k');
      const w = await ctx.watch(store, k);
      const r1 = (await store.put(k, 'a')).header.revision;
      const r2 = (await store.put(k, 'b')).header.revision;
      const r3 = (await store.delete(k)).header.revision;
      await store.put(ctx.key('other'), 'x');
      await w.waitEvents(3);
      await sleep(100);
      const ev = w.events;
      assert.equal(ev.length, 3, w.describe());
      assert.deepEqual(ev.map((e) => e.type), ['put', 'put', 'delete']);
      assert.deepEqual(kvView(ev[0]!.kv), { key: k, value: 'a', createRevision: r1, modRevision: r1, version: 1, lease: 0 });
      assert.deepEqual(kvView(ev[1]!.kv), { key: k, value: 'b', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      assert.deepEqual(kvView(ev[2]!.kv), { key: k, value: '', createRevision: 0, modRevision: r3, version: 0, lease: 0 });
      assert.equal(ev[0]!.prevKv, undefined, 'no prevKv unless asked');
      for (const r of w.responses) {
        for (const e of r.events) assert.ok(r.header.revision >= e.kv.modRevision, 'header revision >= event revision');
      }
    },
  },
  {
    name: 'watch with prevKv',
    async run(store, ctx) {
      const k = ctx.key('k');
      const w = await ctx.watch(store, k, { prevKv: true });
      const r1 = (await store.put(k, 'a')).header.revision;
      const r2 = (await store.put(k, 'b')).header.revision;
      await store.delete(k);
      await w.waitEvents(3);
      const [e1, e2, e3] = w.events;
      assert.equal(e1!.prevKv, undefined, 'created: no prevKv');
      assert.deepEqual(kvView(e2!.prevKv), { key: k, value: 'a', createRevision: r1, modRevision: r1, version: 1, lease: 0 });
      assert.deepEqual(kvView(e3!.prevKv), { key: k, value: 'b', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
    },
  },
  {
    name: 'watch on a prefix range sees only keys in the range',
    async run(store, ctx) {
      const w = await ctx.watch(store, ctx.key('in/'), { rangeEnd: prefixEnd(ctx.key('in/')) });
      await store.put(ctx.key('in'), 'no');
      await store.put(ctx.key('in/a'), 'yes');
      await store.put(ctx.key('in0'), 'no');
      await store.put(ctx.key('in/b/c'), 'yes');
      await store.delete(ctx.key('in/'), { rangeEnd: prefixEnd(ctx.key('in/')) });
      await store.put(ctx.key('out'), 'no');
      await w.waitEvents(4);
      await sleep(150);
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.kv.key.toString()}`),
        [`put ${ctx.key('in/a')}`, `put ${ctx.key('in/b/c')}`, `delete ${ctx.key('in/a')}`, `delete ${ctx.key('in/b/c')}`],
      );
      assert.equal(w.events[2]!.kv.modRevision, w.events[3]!.kv.modRevision, 'range delete: one revision');
    },
  },
  {
    name: 'watch sees all events of a txn with the same revision',
    async run(store, ctx) {
      const w = await ctx.watch(store, ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix) });
      await store.put(ctx.key('c'), '0');
      const t = await store.txn({
        success: [
          { type: 'put', key: ctx.key('a'), value: '1' },
          { type: 'put', key: ctx.key('b'), value: '2' },
          { type: 'delete', key: ctx.key('c') },
        ],
      });
      await w.waitEvents(4);
      const ev = w.events.slice(1);
      assert.deepEqual(ev.map((e) => `${e.type} ${e.kv.key.toString()}@${e.kv.modRevision}`), [
        `put ${ctx.key('a')}@${t.header.revision}`,
        `put ${ctx.key('b')}@${t.header.revision}`,
        `delete ${ctx.key('c')}@${t.header.revision}`,
      ]);
      const resp = w.responses.find((r) => r.events.some((e) => e.kv.key.equals(Buffer.from(ctx.key('a')))));
      assert.equal(resp?.events.length, 3, 'one revision is delivered in one response');
    },
  },
  {
    name: 'watch from a past startRevision replays history exactly once, then continues live',
    async run(store, ctx) {
      const k = ctx.key('k');
      const r1 = (await store.put(k, '1')).header.revision;
      await store.put(k, '2');
      await store.delete(k);
      await store.put(k, '3');
      const w = await ctx.watch(store, k, { startRevision: r1, prevKv: true });
      await w.waitEvents(4);
      await store.put(k, '4');
      await w.waitEvents(5);
      await sleep(150);
      const ev = w.events;
      assert.deepEqual(ev.map((e) => `${e.type}:${e.kv.value.toString()}`), ['put:1', 'put:2', 'delete:', 'put:3', 'put:4']);
      const revs = ev.map((e) => e.kv.modRevision);
      assert.equal(revs[0], r1);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, 'strictly increasing');
      assert.equal(str(ev[1]!.prevKv?.value), '1', 'replayed events carry prevKv');
      assert.equal(str(ev[2]!.prevKv?.value), '2');
      assert.equal(ev[3]!.kv.version, 1, 'version reset after delete');
      const mid = await ctx.watch(store, k, { startRevision: revs[3]! });
      await mid.waitEvents(2);
      assert.deepEqual(mid.events.map((e) => e.kv.value.toString()), ['3', '4'], 'startRevision is inclusive');
    },
  },
  {
    name: 'watch resumed from last seen revision + 1 has no gaps or duplicates',
    async run(store, ctx) {
      const pre = ctx.key('');
      const end = prefixEnd(ctx.prefix);
      const w1 = await ctx.watch(store, pre, { rangeEnd: end });
      for (let i = 0; i < 5; i++) await store.put(ctx.key(`k${i % 2}`), `v${i}`);
      await w1.waitEvents(5);
      await w1.watch.cancel();
      const last = w1.events.at(-1)!.kv.modRevision;
      for (let i = 5; i < 10; i++) await store.put(ctx.key(`k${i % 2}`), `v${i}`);
      const w2 = await ctx.watch(store, pre, { rangeEnd: end, startRevision: last + 1 });
      for (let i = 10; i < 12; i++) await store.put(ctx.key(`k${i % 2}`), `v${i}`);
      await w2.waitEvents(7);
      await sleep(150);
      const all = [...w1.events, ...w2.events].map((e) => e.kv.value.toString());
      assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => `v${i}`));
    },
  },
  {
    name: 'multiple watchers on overlapping ranges get the same events',
    async run(store, ctx) {
      const w1 = await ctx.watch(store, ctx.key('k'));
      const w2 = await ctx.watch(store, ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix) });
      const w3 = await ctx.watch(store, ctx.key('k'), { prevKv: true });
      for (let i = 0; i < 4; i++) await store.put(ctx.key('k'), `${i}`);
      await store.delete(ctx.key('k'));
      for (const w of [w1, w2, w3]) await w.waitEvents(5);
      const view = (w: typeof w1) => w.events.map((e) => `${e.type}:${e.kv.value.toString()}@${e.kv.modRevision}`);
      assert.deepEqual(view(w1), view(w2));
      assert.deepEqual(view(w1), view(w3));
    },
  },
  {
    name: 'watch cancel stops events',
    async run(store, ctx) {
      const k = ctx.key('k');
      const w = await ctx.watch(store, k);
      await store.put(k, '1');
      await w.waitEvents(1);
      await w.watch.cancel();
      const seen = w.responses.length;
      await store.put(k, '2');
      await store.delete(k);
      await sleep(300);
      assert.equal(w.responses.length, seen, 'no listener call after cancel()');
      await w.watch.cancel(); // idempotent
      w.watch.requestProgress(); // harmless after cancel
      await sleep(100);
      assert.equal(w.responses.length, seen);
      const other = await ctx.watch(store, k);
      await store.put(k, '3');
      await other.waitEvents(1);
    },
  },
  {
    name: 'watch resolves only once registered: a write right after is delivered',
    async run(store, ctx) {
      for (let i = 0; i < 10; i++) {
        const k = ctx.key(`k${i}`);
        const w = await ctx.watch(store, k);
        const rev = (await store.put(k, 'x')).header.revision;
        await w.waitEvents(1, 3000);
        assert.equal(w.events[0]!.kv.modRevision, rev);
        await w.watch.cancel();
      }
    },
  },
  {
    name: 'watch startRevision in the future waits for that revision',
    async run(store, ctx) {
      const rev = await currentRevision(store);
      const w = await ctx.watch(store, ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), startRevision: rev + 3 });
      await store.put(ctx.key('a'), '1'); // rev+1
      await store.put(ctx.key('b'), '2'); // rev+2
      await store.put(ctx.key('c'), '3'); // rev+3
      await store.put(ctx.key('d'), '4'); // rev+4
      await w.waitEvents(2);
      await sleep(100);
      assert.deepEqual(w.events.map((e) => e.kv.modRevision), [rev + 3, rev + 4]);
    },
  },
  {
    name: 'progress notification on an idle watch with progressNotify, none without',
    timeoutMs: 20000,
    async run(store, ctx) {
      await store.put(ctx.key('k'), 'x');
      const withP = await ctx.watch(store, ctx.key('k'), { progressNotify: true });
      const without = await ctx.watch(store, ctx.key('k'));
      const rev = await currentRevision(store);
      await withP.waitFor('a progress notification', () => withP.progress.length > 0, 8000);
      const p = withP.progress[0]!;
      assert.deepEqual(p.events, []);
      assert.equal(p.canceled, undefined);
      assert.ok(p.header.revision >= rev, `progress revision ${p.header.revision} >= ${rev}`);
      assert.equal(without.responses.length, 0, `no notifications without progressNotify: ${without.describe()}`);
    },
  },
  {
    name: 'requestProgress yields an empty response with the current revision',
    async run(store, ctx) {
      const w = await ctx.watch(store, ctx.key('k'));
      await store.put(ctx.key('other'), 'x');
      const rev = await currentRevision(store);
      w.watch.requestProgress();
      await w.waitFor('the requested progress notification', () => w.progress.length > 0, 5000);
      assert.equal(w.progress[0]!.header.revision, rev);
      assert.deepEqual(w.progress[0]!.events, []);
      assert.equal(w.events.length, 0);
    },
  },

  // ---- compaction (fresh stores: compaction is global) ------------------------------
  // Revisions here are taken from the writes, so a wrong starting revision shows up only
  // in the numbering case above.
  {
    name: 'range below the compact revision fails with CompactedError carrying it',
    fresh: true,
    async run(store) {
      const revs: number[] = [];
      for (let i = 0; i < 6; i++) revs.push((await store.put('k', `v${i}`)).header.revision);
      const c = revs[3]!;
      const h = await store.compact(c);
      assert.equal(h.revision, revs[5], 'compact response header: current revision');
      const e = await rejectsWith<CompactedError>(store.range('k', { revision: c - 1 }), 'compacted');
      assert.ok(e instanceof CompactedError, 'a CompactedError');
      assert.equal(e.compactRevision, c);
      await rejectsWith(store.range('k', { revision: 1 }), 'compacted', 'revision 1');
      await rejectsWith(
        store.range('a', { rangeEnd: FROM_KEY, revision: revs[0]! }),
        'compacted',
        'a range over many keys',
      );
      const atC = await store.range('k', { revision: c });
      assert.equal(str(atC.kvs[0]?.value), 'v3', 'the compact revision itself is readable');
      assert.equal(atC.kvs[0]?.version, 4);
      assert.equal(str((await store.range('k', { revision: c + 1 })).kvs[0]?.value), 'v4');
      assert.equal((await store.status()).compactRevision, c);
    },
  },
  {
    name: 'compact twice at the same (or a lower) revision fails with compacted',
    fresh: true,
    async run(store) {
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) revs.push((await store.put(`k${i}`, 'v')).header.revision);
      await store.compact(revs[2]!);
      const e = await rejectsWith<CompactedError>(store.compact(revs[2]!), 'compacted', 'same revision');
      assert.equal(e.compactRevision, revs[2]);
      await rejectsWith(store.compact(revs[1]!), 'compacted', 'lower revision');
      await store.compact(revs[4]!);
      assert.equal((await store.status()).compactRevision, revs[4]);
    },
  },
  {
    name: 'compact at a future revision fails with future-revision',
    fresh: true,
    async run(store) {
      const rev = (await store.put('k', 'v')).header.revision;
      await rejectsWith(store.compact(rev + 1), 'future-revision');
      await rejectsWith(store.compact(rev + 100), 'future-revision');
      await store.compact(rev); // the current revision is allowed
      assert.equal((await store.range('k')).count, 1);
      assert.equal((await store.status()).compactRevision, rev);
    },
  },
  {
    name: 'latest values survive compaction; reads at and above the compact revision work',
    fresh: true,
    async run(store) {
      const rOld = (await store.put('old', 'kept')).header.revision;
      await store.put('gone', 'x');
      await store.delete('gone');
      const busy: number[] = [];
      for (let i = 0; i < 4; i++) busy.push((await store.put('busy', `b${i}`)).header.revision);
      const c = busy[3]!;
      await store.compact(c);
      const old = await store.range('old');
      assert.deepEqual(kvView(old.kvs[0]), { key: 'old', value: 'kept', createRevision: rOld, modRevision: rOld, version: 1, lease: 0 });
      assert.deepEqual(kvView((await store.range('busy', { revision: c })).kvs[0]), {
        key: 'busy', value: 'b3', createRevision: busy[0], modRevision: c, version: 4, lease: 0,
      });
      assert.equal((await store.range('gone')).count, 0);
      assert.equal((await store.range('gone', { revision: c })).count, 0);
      const all = await store.range('a', { rangeEnd: FROM_KEY });
      assert.deepEqual(keysOf(all.kvs), ['busy', 'old']);
      assert.equal(all.count, 2);
      await store.put('busy', 'b4');
      const atC = await store.range('a', { rangeEnd: FROM_KEY, revision: c });
      assert.deepEqual(atC.kvs.map((kv) => `${kv.key}=${kv.value}`), ['busy=b3', 'old=kept']);
      const kv = (await store.range('busy')).kvs[0]!;
      assert.equal(kv.version, 5, 'version keeps counting across compaction');
      assert.equal(kv.createRevision, busy[0]);
    },
  },
  {
    name: 'watch from a compacted revision is canceled with compactRevision',
    fresh: true,
    async run(store, ctx) {
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) revs.push((await store.put('k', `v${i}`)).header.revision);
      const c = revs[3]!;
      await store.compact(c);
      const w = await ctx.watch(store, 'k', { startRevision: revs[1]! });
      await w.waitFor('the compacted cancel', () => w.responses.some((r) => r.canceled), 5000);
      const last = w.responses.at(-1)!;
      assert.equal(last.canceled, true);
      assert.equal(last.compactRevision, c);
      assert.deepEqual(last.events, []);
      assert.equal(w.events.length, 0, 'no events before the cancel');
      await store.put('k', 'after');
      await sleep(200);
      assert.equal(w.responses.filter((r) => r.canceled).length, 1);
      assert.equal(w.events.length, 0, 'nothing after the final response');
      // From the compact revision itself the watch works.
      const ok = await ctx.watch(store, 'k', { startRevision: c });
      await ok.waitEvents(3);
      assert.deepEqual(ok.events.map((e) => e.kv.value.toString()), ['v3', 'v4', 'after']);
      assert.ok(!ok.responses.some((r) => r.canceled));
    },
  },

  // ---- leases ------------------------------------------------------------------------
  {
    name: 'lease grant, timeToLive (ttl <= granted) and keepAlive',
    async run(store, ctx) {
      const g = await store.leaseGrant(30);
      ctx.defer(() => store.leaseRevoke(g.id).catch(() => undefined));
      assert.ok(Number.isSafeInteger(g.id) && g.id > 0, `lease id ${g.id}`);
      assert.equal(g.ttl, 30);
      await store.put(ctx.key('a'), '1', { lease: g.id });
      await store.put(ctx.key('b'), '2', { lease: g.id });
      const kv = (await store.range(ctx.key('a'))).kvs[0]!;
      assert.equal(kv.lease, g.id, 'kv.lease');
      const t = await store.leaseTimeToLive(g.id, { keys: true });
      assert.equal(t.id, g.id);
      assert.equal(t.grantedTtl, 30);
      assert.ok(t.ttl > 0 && t.ttl <= 30, `remaining ttl ${t.ttl}`);
      assert.deepEqual(t.keys.map((k) => k.toString()).sort(), [ctx.key('a'), ctx.key('b')]);
      const t2 = await store.leaseTimeToLive(g.id);
      assert.deepEqual(t2.keys, [], 'keys only when asked');
      assert.equal(await store.leaseKeepAlive(g.id), 30);
      const t3 = await store.leaseTimeToLive(g.id);
      assert.ok(t3.ttl >= 29 && t3.ttl <= 30, `renewed ttl ${t3.ttl}`);
      const g2 = await store.leaseGrant(45);
      ctx.defer(() => store.leaseRevoke(g2.id).catch(() => undefined));
      assert.notEqual(g2.id, g.id);
      assert.equal(await store.leaseKeepAlive(g2.id), 45);
    },
  },
  {
    name: 'lease grant with an explicit id; a duplicate id fails with lease-exists',
    async run(store, ctx) {
      const id = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
      const g = await store.leaseGrant(20, id);
      ctx.defer(() => store.leaseRevoke(id).catch(() => undefined));
      assert.deepEqual(g, { id, ttl: 20 });
      await rejectsWith(store.leaseGrant(20, id), 'lease-exists');
      const big = Number.MAX_SAFE_INTEGER - Math.floor(Math.random() * 1000);
      const g2 = await store.leaseGrant(20, big);
      ctx.defer(() => store.leaseRevoke(big).catch(() => undefined));
      assert.equal(g2.id, big, 'ids up to MAX_SAFE_INTEGER round-trip');
      assert.equal((await store.leaseTimeToLive(big)).id, big);
    },
  },
  {
    name: 'lease revoke deletes attached keys in one revision, with watch delete events',
    async run(store, ctx) {
      const id = await grant(store, ctx, 60);
      await store.put(ctx.key('a'), '1', { lease: id });
      await store.put(ctx.key('b'), '2', { lease: id });
      await store.put(ctx.key('c'), '3', { lease: id });
      await store.put(ctx.key('free'), '4');
      const w = await ctx.watch(store, ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix), prevKv: true });
      const before = await currentRevision(store);
      const h = await store.leaseRevoke(id);
      assert.equal(h.revision, before + 1, 'revoke is one revision');
      await w.waitEvents(3);
      await sleep(100);
      assert.deepEqual(w.events.map((e) => `${e.type} ${e.kv.key.toString()}@${e.kv.modRevision}`), [
        `delete ${ctx.key('a')}@${before + 1}`,
        `delete ${ctx.key('b')}@${before + 1}`,
        `delete ${ctx.key('c')}@${before + 1}`,
      ]);
      assert.equal(w.events[0]!.prevKv?.lease, id);
      const left = await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix) });
      assert.deepEqual(keysOf(left.kvs), [ctx.key('free')]);
      assert.equal((await store.leaseTimeToLive(id)).ttl, -1);
      assert.ok(!(await store.leases()).includes(id));
    },
  },
  {
    name: 'revoking a lease without keys does not bump the revision',
    async run(store) {
      const { id } = await store.leaseGrant(60);
      const before = await currentRevision(store);
      const h = await store.leaseRevoke(id);
      assert.equal(h.revision, before);
      assert.equal(await currentRevision(store), before);
    },
  },
  {
    name: 'put without a lease detaches the key from its lease',
    async run(store, ctx) {
      const id = await grant(store, ctx, 60);
      await store.put(ctx.key('k'), '1', { lease: id });
      await store.put(ctx.key('k'), '2');
      assert.equal((await store.range(ctx.key('k'))).kvs[0]?.lease, 0);
      assert.deepEqual((await store.leaseTimeToLive(id, { keys: true })).keys, []);
      await store.leaseRevoke(id);
      assert.equal(str((await store.range(ctx.key('k'))).kvs[0]?.value), '2', 'detached key survives the revoke');
    },
  },
  {
    name: 'lease expiry deletes attached keys (one revision, watch delete events)',
    fresh: true,
    timeoutMs: 20000,
    async run(store, ctx) {
      const g = await store.leaseGrant(1);
      // etcd raises a TTL below its minimum, 1.5 election timeouts rounded up: 2 s by default.
      assert.equal(g.ttl, 2, 'TTL 1 is raised to the minimum');
      await store.put('a', '1', { lease: g.id });
      await store.put('b', '2', { lease: g.id });
      const rev = (await store.put('c', '3')).header.revision;
      const w = await ctx.watch(store, 'a', { rangeEnd: FROM_KEY });
      const t0 = Date.now();
      await w.waitEvents(2, 10000);
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 1000, `expired after ${elapsed} ms`);
      assert.deepEqual(w.events.map((e) => `${e.type} ${e.kv.key.toString()}`), ['delete a', 'delete b']);
      assert.equal(w.events[0]!.kv.modRevision, w.events[1]!.kv.modRevision, 'one revision');
      assert.equal(w.events[0]!.kv.modRevision, rev + 1);
      assert.deepEqual(keysOf((await store.range('a', { rangeEnd: FROM_KEY })).kvs), ['c']);
      assert.equal((await store.leaseTimeToLive(g.id)).ttl, -1);
      await rejectsWith(store.leaseKeepAlive(g.id), 'lease-not-found', 'keepAlive after expiry');
    },
  },
  {
    name: 'keepAlive keeps a short lease alive',
    fresh: true,
    timeoutMs: 20000,
    async run(store) {
      const g = await store.leaseGrant(2);
      await store.put('k', 'v', { lease: g.id });
      for (let i = 0; i < 6; i++) {
        await sleep(500);
        assert.equal(await store.leaseKeepAlive(g.id), 2);
      }
      assert.equal((await store.range('k')).count, 1, 'still there after 3 s of keep-alives');
      const t = await store.leaseTimeToLive(g.id);
      assert.ok(t.ttl >= 1 && t.ttl <= 2, `ttl ${t.ttl}`);
    },
  },
  {
    name: 'put with an unknown lease fails with lease-not-found and writes nothing',
    async run(store, ctx) {
      const before = await currentRevision(store);
      await rejectsWith(store.put(ctx.key('k'), 'v', { lease: 987654321012 }), 'lease-not-found');
      await rejectsWith(
        store.txn({ success: [{ type: 'put', key: ctx.key('t'), value: 'v', lease: 987654321013 }] }),
        'lease-not-found',
        'in a txn',
      );
      assert.equal(await currentRevision(store), before);
      assert.equal((await store.range(ctx.key('k'))).count, 0);
    },
  },
  {
    name: 'unknown lease: revoke and keepAlive fail with lease-not-found, timeToLive gives -1',
    async run(store) {
      const unknown = 876543210987;
      await rejectsWith(store.leaseRevoke(unknown), 'lease-not-found', 'revoke');
      await rejectsWith(store.leaseKeepAlive(unknown), 'lease-not-found', 'keepAlive');
      const t = await store.leaseTimeToLive(unknown, { keys: true });
      assert.equal(t.ttl, -1);
      assert.equal(t.id, unknown);
      assert.equal(t.grantedTtl, 0);
      assert.deepEqual(t.keys, []);
      const { id } = await store.leaseGrant(10);
      await store.leaseRevoke(id);
      await rejectsWith(store.leaseRevoke(id), 'lease-not-found', 'revoke twice');
    },
  },
  {
    name: 'leases() lists granted leases, not revoked ones',
    async run(store, ctx) {
      const a = await grant(store, ctx, 60);
      const b = await grant(store, ctx, 60);
      let list = await store.leases();
      assert.ok(list.includes(a) && list.includes(b), `leases() ${JSON.stringify(list)} has ${a} and ${b}`);
      await store.leaseRevoke(a);
      list = await store.leases();
      assert.ok(!list.includes(a), 'revoked lease gone');
      assert.ok(list.includes(b));
    },
  },

  // ---- limits ------------------------------------------------------------------------
  {
    name: 'request larger than 1.5 MiB fails with request-too-large and writes nothing',
    async run(store, ctx) {
      const before = await currentRevision(store);
      await rejectsWith(store.put(ctx.key('big'), Buffer.alloc(1.5 * MiB + 1024, 1)), 'request-too-large', '1.5 MiB + 1 KiB');
      await rejectsWith(store.put(ctx.key('big'), Buffer.alloc(3 * MiB, 1)), 'request-too-large', '3 MiB');
      await rejectsWith(
        store.txn({
          success: [
            { type: 'put', key: ctx.key('t1'), value: Buffer.alloc(MiB, 1) },
            { type: 'put', key: ctx.key('t2'), value: Buffer.alloc(MiB, 2) },
          ],
        }),
        'request-too-large',
        'txn totalling 2 MiB',
      );
      assert.equal(await currentRevision(store), before);
      assert.equal((await store.range(ctx.key(''), { rangeEnd: prefixEnd(ctx.prefix) })).count, 0);
      // A 1 MiB value is fine, and the store still works after the rejections.
      const value = Buffer.alloc(MiB, 7);
      await store.put(ctx.key('ok'), value);
      assert.deepEqual((await store.range(ctx.key('ok'))).kvs[0]?.value, value);
    },
  },
  {
    name: 'quota exceeded: no-space error, earlier data intact, reads and deletes still work',
    fresh: { quotaBytes: 4 * MiB },
    timeoutMs: 30000,
    async run(store) {
      const value = Buffer.alloc(256 * 1024, 0x5a);
      let written = 0;
      let err: unknown;
      for (let i = 0; i < 100; i++) {
        try {
          await store.put(`k${String(i).padStart(3, '0')}`, value);
          written++;
        } catch (e) {
          err = e;
          break;
        }
      }
      assert.ok(isStoreError(err, 'no-space'), `expected no-space after ${written} puts, got ${String(err)}`);
      assert.ok(written >= 4, `wrote ${written} values before the quota`);
      const rev = await currentRevision(store);
      await rejectsWith(store.put('small', 'x'), 'no-space', 'a small put after the alarm');
      await rejectsWith(store.txn({ success: [{ type: 'put', key: 'small', value: 'x' }] }), 'no-space', 'txn put');
      assert.equal(await currentRevision(store), rev, 'nothing written');
      const all = await store.range('k', { rangeEnd: prefixEnd('k') });
      assert.equal(all.count, written, 'earlier data intact');
      assert.deepEqual(all.kvs[0]?.value, value);
      const d = await store.delete('k000');
      assert.equal(d.deleted, 1, 'deletes are allowed under the alarm');
      assert.equal(d.header.revision, rev + 1);
      const st = await store.status();
      assert.equal(st.quotaBytes, 4 * MiB);
    },
  },
];
