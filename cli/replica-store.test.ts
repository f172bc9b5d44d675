import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMvccStore } from '../storage/mvcc/mvcc-store.ts';
import { openEmbeddedStore, parsePeers, splitHostPort } from './replica-store.ts';

describe('k8ts server options', () => {
  it('parses --peers', () => {
    assert.deepEqual(parsePeers('s1=127.0.0.1:2380, s2=http://10.0.0.2:2380,s3=[::1]:2390'), { s1: '127.0.0.1:2380', s2: '10.0.0.2:2380', s3: '[::1]:2390' });
    assert.throws(() => parsePeers('s1'), /expected name=host:port/);
    assert.throws(() => parsePeers('s1=host'), /expected host:port/);
    assert.throws(() => parsePeers('s1=a:1,s1=b:2'), /listed twice/);
  });

  it('splits host:port', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:2379'), { host: '127.0.0.1', port: 2379 });
    assert.deepEqual(splitHostPort('[::1]:2379'), { host: '::1', port: 2379 });
    assert.throws(() => splitHostPort('2379'), /expected host:port/);
  });
});

describe('the embedded store', () => {
  it('takes over a bare MVCC store from an older k8ts as its state machine, and keeps its peer address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-embedded-'));
    try {
      const old = await openMvccStore({ dir: join(dir, 'store') });
      await old.put('/legacy', 'kept');
      await old.close();
      const m = await openEmbeddedStore(dir, {});
      const kvs = (await m.store.range('/legacy')).kvs;
      assert.equal(kvs[0]?.value.toString(), 'kept');
      assert.equal(m.name, 'default');
      assert.deepEqual(m.store.members().map((x) => x.name), ['default']);
      const peer = m.peer;
      await m.close();
      const again = await openEmbeddedStore(dir, {});
      assert.equal(again.peer, peer, 'the peer address is remembered');
      assert.equal((await again.store.range('/legacy')).kvs.length, 1);
      await again.store.put('/new', 'x');
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
