// The real etcdctl (API v3) against the gRPC server over an MvccStore: every command's
// output is what etcd 3.4 prints for the same requests.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMvccStore, type MvccStore } from '../mvcc/mvcc-store.ts';
import { startGrpcServer, type GrpcServer } from './server.ts';
import { SERVER_VERSION } from './maintenance-service.ts';
import { ETCDCTL, Etcdctl, haveEtcdctl, killAll, sleep, waitFor, watchEvents } from './testing/etcdctl.ts';

describe('etcdctl against the k8ts gRPC server', { skip: !haveEtcdctl() && `${ETCDCTL} not installed` }, () => {
  let dir: string;
  let store: MvccStore;
  let server: GrpcServer;
  const e = new Etcdctl(() => server.endpoint);
  const { ok, json, revisionOf } = e;
  const start = (args: string[]) => e.start(args);
  const etcdctl = (args: string[], input = '') => e.run(args, input);
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8ts-grpc-etcdctl-'));
    store = await openMvccStore({ dir });
    server = await startGrpcServer({ store, host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    killAll();
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('put and get: --prefix, --rev, --limit, --keys-only, --sort-by, -w json', async () => {
    assert.equal(await ok('put', '/kv/a', 'one'), 'OK\n');
    const r1 = await revisionOf('/kv/a');
    assert.equal(await ok('put', '/kv/a', 'two'), 'OK\n');
    await ok('put', '/kv/b', 'bee');
    await ok('put', '/kv/c', 'sea');
    await ok('put', '/kvx', 'outside');

    assert.equal(await ok('get', '/kv/', '--prefix'), '/kv/a\ntwo\n/kv/b\nbee\n/kv/c\nsea\n');
    assert.equal(await ok('get', '/kv/a', `--rev=${r1}`), '/kv/a\none\n');
    assert.equal(await ok('get', '/kv/', '--prefix', '--keys-only'), '/kv/a\n\n/kv/b\n\n/kv/c\n\n');
    assert.equal(await ok('get', '/kv/', '--prefix', '--print-value-only'), 'two\nbee\nsea\n');
    assert.equal(await ok('get', '/kv/b', '--from-key', '--keys-only'), '/kv/b\n\n/kv/c\n\n/kvx\n\n');

    const raw = await ok('get', '/kv/a', '-w', 'json');
    const a = JSON.parse(raw);
    assert.equal(a.count, 1);
    assert.deepEqual(a.kvs, [{ key: b64('/kv/a'), create_revision: r1, mod_revision: r1 + 1, version: 2, value: b64('two') }]);
    assert.equal(a.header.revision, r1 + 4);
    // uint64 ids lose precision in JSON.parse: read them from the text.
    assert.match(raw, new RegExp(`"cluster_id":${server.cluster.clusterId},"member_id":${server.cluster.memberId},"revision":${r1 + 4},"raft_term":1`));

    const limited = await json('get', '/kv/', '--prefix', '--limit=2');
    assert.deepEqual(limited.kvs.map((kv: { key: string }) => Buffer.from(kv.key, 'base64').toString()), ['/kv/a', '/kv/b']);
    assert.equal(limited.more, true);
    assert.equal(limited.count, 3);

    // Sorting as etcd does it: by mod revision, newest first; by value, ascending.
    assert.equal(await ok('get', '/kv/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '--keys-only'), '/kv/c\n\n/kv/b\n\n/kv/a\n\n');
    assert.equal(await ok('get', '/kv/', '--prefix', '--sort-by=VALUE', '--print-value-only'), 'bee\nsea\ntwo\n');

    // --count-only arrived in etcdctl 3.5; with 3.4 count_only is covered by the conformance suite.
    if ((await etcdctl(['get', '--help'])).stdout.includes('--count-only')) {
      const counted = await json('get', '/kv/', '--prefix', '--count-only');
      assert.equal(counted.count, 3);
      assert.equal(counted.kvs, undefined);
    }

    const future = await etcdctl(['get', '/kv/a', '--rev=100000']);
    assert.notEqual(future.code, 0);
    assert.match(future.stderr, /Error: etcdserver: mvcc: required revision is a future revision/);
  });

  it('put: --ignore-value, a request over the size limit, an empty key', async () => {
    await ok('put', '/ig/k', 'kept');
    assert.equal(await ok('put', '/ig/k', '--ignore-value'), 'OK\n');
    const kv = (await json('get', '/ig/k')).kvs[0];
    assert.equal(Buffer.from(kv.value, 'base64').toString(), 'kept');
    assert.equal(kv.version, 2);
    const missing = await etcdctl(['put', '/ig/missing', '--ignore-value']);
    assert.match(missing.stderr, /Error: etcdserver: key not found/);

    // etcdctl reads the value from stdin when none is given: 1.75 MiB, over the store's
    // 1.5 MiB limit and under etcdctl's own 2 MiB send limit.
    const big = await etcdctl(['put', '/ig/big'], 'x'.repeat(1.75 * 1024 * 1024));
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /Error: etcdserver: request is too large/);

    const empty = await etcdctl(['put', '', 'x']);
    assert.match(empty.stderr, /Error: etcdserver: key is not provided/);
  });

  it('del: --prefix, --prev-kv', async () => {
    for (const k of ['a', 'b', 'c']) await ok('put', `/del/${k}`, k.toUpperCase());
    await ok('put', '/del-other', 'x');
    assert.equal(await ok('del', '/del/c', '--prev-kv'), '1\n/del/c\nC\n');
    assert.equal(await ok('del', '/del/', '--prefix'), '2\n');
    assert.equal(await ok('get', '/del', '--prefix', '--keys-only'), '/del-other\n\n');
    assert.equal(await ok('del', '/del/nothing'), '0\n');
  });

  it('txn from stdin: compares, success and failure branches', async () => {
    await ok('put', '/txn/k', 'v1');
    const script = (expect: string) =>
      [`value("/txn/k") = "${expect}"`, 'version("/txn/k") > "0"', '', 'put /txn/k v2', 'get /txn/k', '', 'put /txn/failed yes', 'del /txn/nothing', '', ''].join('\n');

    const succeeded = await etcdctl(['txn'], script('v1'));
    assert.equal(succeeded.code, 0, succeeded.stderr);
    assert.equal(succeeded.stdout, 'SUCCESS\n\nOK\n\n/txn/k\nv2\n');

    const failed = await etcdctl(['txn'], script('v1'));
    assert.equal(failed.stdout, 'FAILURE\n\nOK\n\n0\n');
    assert.equal(await ok('get', '/txn/failed', '--print-value-only'), 'yes\n');

    const res = JSON.parse((await etcdctl(['txn', '-w', 'json'], 'mod("/txn/k") > "0"\n\nget /txn/k\n\n\n')).stdout);
    assert.equal(res.succeeded, true);
    const range = res.responses[0].Response.ResponseRange;
    assert.equal(Buffer.from(range.kvs[0].value, 'base64').toString(), 'v2');
    assert.deepEqual(range.header, { revision: res.header.revision }, 'sub-response headers carry only the revision');
  });

  it('watch: --prefix --prev-kv live, --rev replay, stopped by PID', async () => {
    await ok('put', '/w/a', '0');
    const first = await revisionOf('/w/a');
    const w1 = start(['watch', '/w/', '--prefix', '--prev-kv']);
    const w2 = start(['watch', '/w/a', `--rev=${first}`]); // replays the put at `first`
    await sleep(500); // let both register before writing
    await ok('put', '/w/a', '1');
    await ok('put', '/w/b', '2');
    await ok('del', '/w/a');
    await waitFor('the prefix watch to print 3 events', () => watchEvents(w1.out()) >= 3);
    await waitFor('the --rev watch to print 3 events', () => watchEvents(w2.out()) >= 3);
    for (const w of [w1, w2]) process.kill(w.child.pid!, 'SIGTERM');
    assert.equal(w1.out(), 'PUT\n/w/a\n0\n/w/a\n1\nPUT\n/w/b\n2\nDELETE\n/w/a\n1\n/w/a\n\n');
    assert.equal(w2.out(), 'PUT\n/w/a\n0\nPUT\n/w/a\n1\nDELETE\n/w/a\n\n');
  });

  it('watch progress requests (interactive "progress") and a txn in one response', async () => {
    const w = start(['watch', '-i']);
    w.child.stdin!.write('watch /wp/ --prefix\n');
    await sleep(300);
    await etcdctl(['txn'], '\nput /wp/a 1\nput /wp/b 2\n\n\n');
    await waitFor('txn events', () => w.out().includes('/wp/b'));
    const rev = await revisionOf('/wp/a');
    w.child.stdin!.write('progress\n');
    await waitFor('a progress notification', () => w.out().includes('progress notify'));
    process.kill(w.child.pid!, 'SIGTERM');
    assert.equal(w.out(), `PUT\n/wp/a\n1\nPUT\n/wp/b\n2\nprogress notify: ${rev}\n`);
  });

  it('lease: grant, timetolive --keys, keep-alive --once, revoke, expiry', async () => {
    const granted = await ok('lease', 'grant', '2');
    const m = /^lease ([0-9a-f]{16}) granted with TTL\(2s\)\n$/.exec(granted);
    assert.ok(m, granted);
    const id = m[1]!;
    assert.equal(await ok('put', '/lease/a', 'x', `--lease=${id}`), 'OK\n');
    assert.equal(await ok('put', '/lease/b', 'y', `--lease=${id}`), 'OK\n');
    assert.match(await ok('lease', 'timetolive', id, '--keys'), new RegExp(`^lease ${id} granted with TTL\\(2s\\), remaining\\([12]s\\), attached keys\\(\\[/lease/a /lease/b\\]\\)\\n$`));
    assert.equal(await ok('lease', 'keep-alive', '--once', id), `lease ${id} keepalived with TTL(2)\n`);
    assert.match(await ok('lease', 'list'), new RegExp(`found \\d+ leases\\n(.*\\n)*${id}\\n`));

    const other = /^lease ([0-9a-f]{16})/.exec(await ok('lease', 'grant', '60'))![1]!;
    await ok('put', '/lease/r', 'z', `--lease=${other}`);
    assert.equal(await ok('lease', 'revoke', other), `lease ${other} revoked\n`);
    assert.equal(await ok('get', '/lease/r'), '');
    const again = await etcdctl(['lease', 'revoke', other]);
    assert.match(again.stderr, /Error: failed to revoke lease \(etcdserver: requested lease not found\)/);

    // Unrenewed, the 2 s lease expires and takes its keys with it.
    const deadline = Date.now() + 8000;
    while ((await ok('get', '/lease/', '--prefix', '--keys-only')) !== '' && Date.now() < deadline) await sleep(250);
    assert.equal(await ok('get', '/lease/', '--prefix', '--keys-only'), '');
    assert.equal(await ok('lease', 'timetolive', id), `lease ${id} already expired\n`);
    const expired = await etcdctl(['lease', 'keep-alive', '--once', id]);
    assert.match(expired.stderr, /etcdserver: requested lease not found/);
    const unknownLease = await etcdctl(['put', '/lease/c', 'x', '--lease=1234']);
    assert.match(unknownLease.stderr, /Error: etcdserver: requested lease not found/);
  });

  it('compaction: get --rev below it and a watch from before it fail with etcd\'s message', async () => {
    await ok('put', '/cmp/k', 'old');
    const old = await revisionOf('/cmp/k');
    await ok('put', '/cmp/k', 'new');
    const now = await revisionOf('/cmp/k');
    assert.equal(await ok('compaction', String(now)), `compacted revision ${now}\n`);
    const below = await etcdctl(['get', '/cmp/k', `--rev=${old}`]);
    assert.notEqual(below.code, 0);
    assert.match(below.stderr, /Error: etcdserver: mvcc: required revision has been compacted/);
    assert.equal(await ok('get', '/cmp/k', `--rev=${now}`, '--print-value-only'), 'new\n');
    const again = await etcdctl(['compaction', String(now)]);
    assert.match(again.stderr, /etcdserver: mvcc: required revision has been compacted/);

    const w = await etcdctl(['watch', '/cmp/k', `--rev=${old}`]);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /^watch was canceled \(etcdserver: mvcc: required revision has been compacted\)\n/);
    assert.equal(w.stdout, '');
  });

  it('member list, endpoint status and health, alarm list, defrag', async () => {
    const id = server.cluster.memberId.toString(16);
    assert.equal(await ok('member', 'list'), `${id}, started, default, , http://${server.endpoint}, false\n`);
    assert.match(await ok('member', 'list', '-w', 'json'), new RegExp(`"members":\\[\\{"ID":${server.cluster.memberId},"name":"default"`));

    const rev = (await store.status()).header.revision;
    const status = await ok('endpoint', 'status');
    // endpoint, member id, version, db size, is leader, is learner, raft term, raft index, applied index, errors
    const fields = status.replace(/\n$/, '').split(', ');
    assert.deepEqual(
      [fields[0], fields[1], fields[2], fields[4], fields[5], fields[6], fields[7], fields[8], fields[9]],
      [server.endpoint, id, SERVER_VERSION, 'true', 'false', '1', String(rev), String(rev), ''],
      status,
    );
    assert.match(fields[3]!, /^\d+(\.\d+)? [kMG]?B$/, 'db size');
    const st = await ok('endpoint', 'status', '-w', 'json');
    assert.match(st, new RegExp(`"version":"${SERVER_VERSION.replace(/[.+]/g, '\\$&')}","dbSize":\\d+,"leader":${server.cluster.memberId},`));

    const health = await etcdctl(['endpoint', 'health']); // etcdctl 3.4 prints it on stderr
    assert.equal(health.code, 0);
    assert.match(health.stderr, new RegExp(`^${server.endpoint} is healthy: successfully committed proposal: took = `));
    assert.equal(await ok('alarm', 'list'), '');
    assert.equal(await ok('defrag'), `Finished defragmenting etcd member[${server.endpoint}]\n`);

    const add = await etcdctl(['member', 'add', 'second', '--peer-urls=http://127.0.0.1:1']);
    assert.notEqual(add.code, 0);
    assert.match(add.stderr, /not supported yet/);
  });
});
