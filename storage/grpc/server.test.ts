// Wire-level behaviour of the gRPC server that neither etcdctl nor the Store interface
// reaches (nested txns, ignore_lease, revision filters, watch ids and filters, stream
// progress, keep-alive of unknown leases, statuses). Every case runs against our server
// and against a real etcd, so the expectations are etcd's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status, type ClientDuplexStream } from '@grpc/grpc-js';
import { startEtcd } from '../../conformance/support/etcd-process.ts';
import { openMvccStore } from '../mvcc/mvcc-store.ts';
import { startGrpcServer } from './server.ts';
import { rawEtcdClient, type Msg, type RawEtcdClient } from './test-client.ts';

const ETCD = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
const b = (s: string) => Buffer.from(s);
const str = (x: Buffer | undefined) => x?.toString() ?? '';

interface Target {
  name: string;
  open(): Promise<{ endpoint: string; close(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'k8ts-grpc',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'k8ts-grpc-test-'));
      const store = await openMvccStore({ dir });
      const server = await startGrpcServer({ store });
      return {
        endpoint: server.endpoint,
        close: async () => {
          await server.close();
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'etcd',
    async open() {
      const etcd = await startEtcd();
      return { endpoint: etcd.endpoint.replace('http://', ''), close: () => etcd.stop() };
    },
  },
];

/** Collects a watch stream's responses. */
function collect(stream: ClientDuplexStream<Msg, Msg>) {
  const got: Msg[] = [];
  stream.on('data', (r: Msg) => got.push(r));
  stream.on('error', () => undefined);
  const waitFor = async (what: string, pred: (rs: Msg[]) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pred(got)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(got.map(view))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { got, waitFor };
}

function view(r: Msg) {
  return {
    id: r['watch_id'],
    created: r['created'],
    canceled: r['canceled'],
    compact: r['compact_revision'],
    reason: r['cancel_reason'],
    rev: r['header']?.revision,
    events: (r['events'] ?? []).map((e: Msg) => `${e['type']} ${str(e['kv'].key)}=${str(e['kv'].value)}`),
  };
}

async function rejects(p: Promise<unknown>, code: status, details: string) {
  await assert.rejects(p, (e: { code: number; details: string }) => {
    assert.equal(e.code, code, `code for "${e.details}"`);
    assert.equal(e.details, details);
    return true;
  });
}

for (const target of targets) {
  describe(`etcd v3 wire API: ${target.name}`, { skip: target.name === 'etcd' && !existsSync(ETCD) && 'etcd not installed' }, () => {
    let server: { endpoint: string; close(): Promise<void> };
    let c: RawEtcdClient;
    const revision = async () => Number((await c.kv('Range', { key: b('\0probe') })).header.revision);

    before(async () => {
      server = await target.open();
      c = rawEtcdClient(server.endpoint);
    });
    after(async () => {
      c?.close();
      await server?.close();
    });

    it('nested txn: every compare sees the state before the txn', async () => {
      await c.kv('Put', { key: b('/n/k'), value: b('1') });
      const res = await c.kv('Txn', {
        compare: [{ key: b('/n/k'), target: 'VALUE', result: 'EQUAL', value: b('1') }],
        success: [
          { request_put: { key: b('/n/k'), value: b('2') } },
          {
            request_txn: {
              compare: [{ key: b('/n/k'), target: 'VALUE', result: 'EQUAL', value: b('1') }],
              success: [{ request_put: { key: b('/n/inner'), value: b('yes') } }],
              failure: [{ request_put: { key: b('/n/inner'), value: b('no') } }],
            },
          },
          { request_range: { key: b('/n/'), range_end: b('/n0') } },
        ],
      });
      assert.equal(res.succeeded, true);
      assert.equal(res.responses.length, 3);
      assert.equal(res.responses[0].response, 'response_put');
      const inner = res.responses[1].response_txn;
      assert.equal(inner.succeeded, true);
      assert.equal(inner.responses[0].response, 'response_put');
      const range = res.responses[2].response_range;
      assert.deepEqual(range.kvs.map((kv: Msg) => `${str(kv.key)}=${str(kv.value)}`), ['/n/inner=yes', '/n/k=2'], 'the range sees earlier writes');
      assert.equal(range.kvs[0].mod_revision, res.header.revision, 'one revision for the whole tree');
    });

    it('nested txn stays atomic under concurrent writes to what it compares', async () => {
      let flipping = true;
      const flipper = (async () => {
        for (let i = 0; flipping; i++) await c.kv('Put', { key: b('/race/k'), value: b(i % 2 ? 'a' : 'b') });
      })();
      try {
        for (let i = 0; i < 25; i++) {
          const res = await c.kv('Txn', {
            success: [
              {
                request_txn: {
                  compare: [{ key: b('/race/k'), target: 'VALUE', result: 'EQUAL', value: b('a') }],
                  success: [{ request_put: { key: b('/race/seen'), value: b('a') } }],
                  failure: [{ request_put: { key: b('/race/seen'), value: b('not a') } }],
                },
              },
            ],
          });
          const rev = Number(res.header.revision);
          const before = (await c.kv('Range', { key: b('/race/k'), revision: rev - 1 })).kvs[0];
          const branch = res.responses[0].response_txn.succeeded;
          assert.equal(branch, str(before?.value) === 'a', `at revision ${rev - 1} /race/k was ${str(before?.value)}`);
        }
      } finally {
        flipping = false;
        await flipper;
      }
    });

    it('put with ignore_value / ignore_lease keeps the current value / lease', async () => {
      const { ID } = await c.lease('LeaseGrant', { TTL: 60 });
      await c.kv('Put', { key: b('/ig/k'), value: b('v1'), lease: ID });
      const r = await c.kv('Put', { key: b('/ig/k'), value: b('v2'), ignore_lease: true, prev_kv: true });
      assert.equal(str(r.prev_kv.value), 'v1');
      await c.kv('Put', { key: b('/ig/k'), ignore_value: true, ignore_lease: true });
      let kv = (await c.kv('Range', { key: b('/ig/k') })).kvs[0];
      assert.deepEqual([str(kv.value), kv.lease, kv.version], ['v2', ID, '3']);
      await c.kv('Put', { key: b('/ig/k'), ignore_value: true });
      kv = (await c.kv('Range', { key: b('/ig/k') })).kvs[0];
      assert.deepEqual([str(kv.value), kv.lease, kv.version], ['v2', '0', '4'], 'without ignore_lease the lease goes');
      await rejects(c.kv('Put', { key: b('/ig/k'), lease: ID, ignore_lease: true }), status.INVALID_ARGUMENT, 'etcdserver: lease is provided');
      await rejects(c.kv('Put', { key: b('/ig/k'), value: b('x'), ignore_value: true }), status.INVALID_ARGUMENT, 'etcdserver: value is provided');
      await rejects(c.kv('Put', { key: b('/ig/none'), ignore_value: true }), status.INVALID_ARGUMENT, 'etcdserver: key not found');
      await rejects(
        c.kv('Txn', { success: [{ request_put: { key: b('/ig/none'), ignore_lease: true, value: b('x') } }] }),
        status.INVALID_ARGUMENT,
        'etcdserver: key not found',
      );
      await c.lease('LeaseRevoke', { ID });
    });

    it('range: revision filters, sort order and target, limit with more', async () => {
      const rev = (await c.kv('Put', { key: b('/f/a'), value: b('3') })).header.revision;
      await c.kv('Put', { key: b('/f/b'), value: b('1') });
      await c.kv('Put', { key: b('/f/c'), value: b('2') });
      await c.kv('Put', { key: b('/f/a'), value: b('4') });
      const keys = (r: Msg) => r.kvs.map((kv: Msg) => str(kv.key)).join(',');
      const range = (extra: Msg) => c.kv('Range', { key: b('/f/'), range_end: b('/f0'), ...extra });
      const modded = await range({ min_mod_revision: Number(rev) + 1 });
      assert.equal(keys(modded), '/f/a,/f/b,/f/c');
      assert.equal(keys(await range({ max_mod_revision: Number(rev) + 1 })), '/f/b');
      assert.equal(keys(await range({ min_create_revision: Number(rev) + 1 })), '/f/b,/f/c');
      assert.equal(keys(await range({ max_create_revision: Number(rev) })), '/f/a');
      assert.equal((await range({ max_create_revision: Number(rev) })).count, '3', 'count ignores filters');
      assert.equal(keys(await range({ sort_order: 'DESCEND' })), '/f/c,/f/b,/f/a');
      assert.equal(keys(await range({ sort_target: 'VALUE' })), '/f/b,/f/c,/f/a', 'a target alone sorts ascending');
      const top = await range({ sort_target: 'MOD', sort_order: 'DESCEND', limit: 2 });
      assert.equal(keys(top), '/f/a,/f/c');
      assert.equal(top.more, true);
      assert.equal(top.count, '3');
      const valuesOnlyKeys = await range({ sort_target: 'VALUE', sort_order: 'DESCEND', keys_only: true });
      assert.equal(keys(valuesOnlyKeys), '/f/a,/f/c,/f/b');
      assert.equal(str(valuesOnlyKeys.kvs[0].value), '');
      const unknownOrder = await range({ sort_order: 7, limit: 1 });
      assert.equal(keys(unknownOrder), '/f/a', 'etcd 3.4 neither rejects nor sorts an unknown order');
      assert.equal(unknownOrder.more, true);
    });

    it('txn: a range at a past revision, and responses of every kind', async () => {
      const r1 = (await c.kv('Put', { key: b('/t/k'), value: b('old') })).header.revision;
      await c.kv('Put', { key: b('/t/k'), value: b('new') });
      const res = await c.kv('Txn', {
        success: [
          { request_range: { key: b('/t/k'), revision: r1 } },
          { request_put: { key: b('/t/other'), value: b('x'), prev_kv: true } },
          { request_delete_range: { key: b('/t/none'), prev_kv: true } },
        ],
      });
      assert.equal(str(res.responses[0].response_range.kvs[0].value), 'old');
      assert.equal(res.responses[1].response_put.prev_kv, null);
      assert.equal(res.responses[2].response_delete_range.deleted, '0');
      await rejects(c.kv('Txn', { success: [{}] }), status.INVALID_ARGUMENT, 'etcdserver: key not found');
    });

    it('watch: ids from 0, chosen ids, duplicates, filters, cancel, progress, compaction', async () => {
      const stream = c.watch();
      const w = collect(stream);
      stream.write({ create_request: { key: b('/w/a') } });
      stream.write({ create_request: { key: b('/w/'), range_end: b('/w0'), watch_id: 7, filters: ['NOPUT'], prev_kv: true } });
      stream.write({ create_request: { key: b('/w/b'), watch_id: 7 } });
      stream.write({ create_request: { key: b('/w/z'), range_end: b('/w/a') } });
      stream.write({ create_request: { key: b('/w/b') } });
      await w.waitFor('five created responses', (rs) => rs.filter((r) => r['created']).length === 5);
      const created = w.got.map(view);
      assert.deepEqual(
        created.map((r) => [r.id, r.canceled]),
        [
          ['0', false],
          ['7', false],
          ['-1', true],
          ['-1', true],
          ['1', false],
        ],
      );
      assert.match(created[2]!.reason, /duplicate watch ID/);
      assert.match(created[3]!.reason, /watcher range is empty/);
      const now = await revision();
      assert.equal(Number(created[0]!.rev), now, 'created carries the current revision');

      await c.kv('Put', { key: b('/w/a'), value: b('1') });
      await c.kv('DeleteRange', { key: b('/w/a') });
      await w.waitFor('events', (rs) => rs.filter((r) => r['events']?.length).length >= 3);
      const events = w.got.filter((r) => r['events']?.length).map(view);
      const byWatch = (id: string) => events.filter((e) => e.id === id).map((e) => e.events.join(' '));
      assert.deepEqual(byWatch('0'), ['PUT /w/a=1', 'DELETE /w/a=']);
      assert.deepEqual(byWatch('7'), ['DELETE /w/a='], 'NOPUT filters the put out');
      assert.deepEqual(byWatch('1'), []);
      const del7 = w.got.find((r) => r['watch_id'] === '7' && r['events']?.length)!;
      assert.equal(str(del7['events'][0].prev_kv.value), '1', 'prev_kv on the filtered watch');

      w.got.length = 0;
      stream.write({ cancel_request: { watch_id: 7 } });
      await w.waitFor('the cancel', (rs) => rs.some((r) => r['canceled']));
      assert.deepEqual(view(w.got[0]!).id, '7');
      await c.kv('DeleteRange', { key: b('/w/'), range_end: b('/w0') });

      w.got.length = 0;
      const rev = await revision();
      stream.write({ progress_request: {} });
      await w.waitFor('the progress response', (rs) => rs.length > 0);
      assert.deepEqual([view(w.got[0]!).id, Number(view(w.got[0]!).rev), w.got[0]!['events'].length], ['-1', rev, 0]);

      // Compaction: a watch from before it is created, then canceled with the compact revision.
      w.got.length = 0;
      await c.kv('Put', { key: b('/w/c'), value: b('x') });
      const compactAt = await revision();
      await c.kv('Compact', { revision: compactAt });
      stream.write({ create_request: { key: b('/w/c'), start_revision: 1 } });
      await w.waitFor('the compacted cancel', (rs) => rs.some((r) => r['canceled']));
      assert.deepEqual(
        w.got.map((r) => [view(r).created, view(r).canceled, view(r).compact]),
        [
          [true, false, '0'],
          [false, true, String(compactAt)],
        ],
      );
      assert.equal(w.got[0]!['watch_id'], w.got[1]!['watch_id']);
      stream.end();
      stream.cancel();
    });

    it('lease keep-alive stream: TTL for a live lease, 0 for an unknown one', async () => {
      const { ID } = await c.lease('LeaseGrant', { TTL: 30 });
      const stream = c.keepAlive();
      const w = collect(stream);
      stream.write({ ID });
      stream.write({ ID: '123456789' });
      stream.write({ ID });
      await w.waitFor('three answers', (rs) => rs.length === 3);
      assert.deepEqual(
        w.got.map((r) => [r['ID'], r['TTL']]),
        [
          [ID, '30'],
          ['123456789', '0'],
          [ID, '30'],
        ],
      );
      stream.end();
      stream.cancel();
      const ttl = await c.lease('LeaseTimeToLive', { ID: '123456789', keys: true });
      assert.deepEqual([ttl.ID, ttl.TTL, ttl.grantedTTL], ['123456789', '-1', '0']);
      await c.lease('LeaseRevoke', { ID });
    });

    it('errors carry etcd\'s codes and messages', async () => {
      const rev = await revision();
      await rejects(c.kv('Range', { key: b('k'), revision: rev + 10 }), status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
      await rejects(c.kv('Range', { key: b('') }), status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
      await rejects(c.kv('Put', { key: b(''), value: b('x') }), status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
      await rejects(c.lease('LeaseRevoke', { ID: 42 }), status.NOT_FOUND, 'etcdserver: requested lease not found');
      await rejects(c.kv('Put', { key: b('k'), value: b('x'), lease: 42 }), status.NOT_FOUND, 'etcdserver: requested lease not found');
      await rejects(
        c.kv('Txn', { success: [{ request_put: { key: b('d'), value: b('1') } }, { request_put: { key: b('d'), value: b('2') } }] }),
        status.INVALID_ARGUMENT,
        'etcdserver: duplicate key given in txn request',
      );
      await rejects(
        c.kv('Txn', { success: Array.from({ length: 129 }, (_, i) => ({ request_put: { key: b(`m${i}`), value: b('1') } })) }),
        status.INVALID_ARGUMENT,
        'etcdserver: too many operations in txn request',
      );
      await rejects(c.kv('Put', { key: b('big'), value: Buffer.alloc(1.75 * 1024 * 1024) }), status.INVALID_ARGUMENT, 'etcdserver: request is too large');
    });

    it('maintenance: status header and ids, empty alarm list', async () => {
      const st = await c.maintenance('Status', {});
      assert.equal(st.leader, st.header.member_id);
      assert.ok(Number(st.dbSize) > 0);
      assert.match(st.version, /^3\.4\./);
      assert.deepEqual((await c.maintenance('Alarm', { action: 'GET' })).alarms, []);
      const members = (await c.cluster('MemberList', {})).members;
      assert.equal(members.length, 1);
      assert.equal(members[0].ID, st.header.member_id);
      if (target.name === 'k8ts-grpc') {
        await rejects(c.maintenance('Hash', {}), status.UNIMPLEMENTED, 'k8ts: Hash is not supported');
        await assert.rejects(c.cluster('MemberAdd', { peerURLs: ['http://127.0.0.1:1'] }), { code: status.UNIMPLEMENTED });
      }
    });
  });
}

describe('NOSPACE alarm through the wire', () => {
  it('a write refused for space raises NOSPACE in Alarm and Status', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-grpc-quota-'));
    const store = await openMvccStore({ dir, quotaBytes: 256 * 1024 });
    const server = await startGrpcServer({ store });
    const c = rawEtcdClient(server.endpoint);
    try {
      assert.deepEqual((await c.maintenance('Alarm', { action: 'GET' })).alarms, []);
      const value = Buffer.alloc(64 * 1024, 1);
      let refused: unknown;
      for (let i = 0; i < 10 && !refused; i++) await c.kv('Put', { key: b(`k${i}`), value }).catch((e: unknown) => (refused = e));
      assert.equal((refused as { code: number }).code, status.RESOURCE_EXHAUSTED);
      assert.equal((refused as { details: string }).details, 'etcdserver: mvcc: database space exceeded');
      const alarms = (await c.maintenance('Alarm', { action: 'GET' })).alarms;
      assert.deepEqual(alarms, [{ memberID: String(server.cluster.memberId), alarm: 'NOSPACE' }]);
      const st = await c.maintenance('Status', {});
      assert.deepEqual(st.errors, [`memberID:${server.cluster.memberId} alarm:NOSPACE `]);
    } finally {
      c.close();
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
