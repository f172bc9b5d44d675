import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { ApiStatusError } from './errors.ts';
import { Informer, type ListerWatcher } from './informer.ts';
import type { ListOptions, WatchOptions } from './client.ts';
import type { KubeList, KubeObject, WatchEvent } from './types.ts';

const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const cm = (name: string, rv: number, uid = `uid-${name}`): KubeObject => ({ metadata: { namespace: 'ns', name, resourceVersion: String(rv), uid } });

/** A server in miniature: a list of objects, watches the test drives by hand. */
class FakeLW implements ListerWatcher {
  items: KubeObject[] = [];
  rv = 10;
  lists: ListOptions[] = [];
  watches: WatchOptions[] = [];
  listError: Error | undefined;
  /** Expire continue tokens after the first page. */
  expireContinue = false;
  private onEvent: ((ev: WatchEvent) => void) | undefined;
  private onClose: ((err?: Error) => void) | undefined;
  stopped = 0;

  async list(opts: ListOptions): Promise<KubeList> {
    this.lists.push(opts);
    if (this.listError) throw this.listError;
    const start = opts.continue ? Number(opts.continue) : 0;
    if (opts.continue && this.expireContinue) throw new ApiStatusError(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
    const limit = opts.limit ?? this.items.length;
    const page = this.items.slice(start, start + limit);
    const more = start + limit < this.items.length;
    return { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), continue: more ? String(start + limit) : undefined }, items: structuredClone(page) };
  }

  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void) {
    this.watches.push(opts);
    this.onEvent = onEvent;
    this.onClose = onClose;
    return {
      stop: () => {
        this.stopped++;
        this.onEvent = undefined;
        this.onClose = undefined;
      },
    };
  }

  get watching(): boolean {
    return !!this.onEvent;
  }

  emit(type: WatchEvent['type'], object: KubeObject): void {
    this.onEvent?.({ type, object });
  }

  close(err?: Error): void {
    const c = this.onClose;
    this.onEvent = undefined;
    this.onClose = undefined;
    c?.(err);
  }
}

function record(inf: Informer) {
  const events: string[] = [];
  inf.addEventHandler({
    add: (o, initial) => events.push(`add ${o.metadata!.name}${initial ? ' (initial)' : ''}`),
    update: (a, b) => events.push(`update ${b.metadata!.name} ${a.metadata!.resourceVersion}->${b.metadata!.resourceVersion}`),
    delete: (o) => events.push(`delete ${o.metadata!.name}`),
  });
  return events;
}

describe('Informer', () => {
  it('lists in pages, then watches from the list resourceVersion with bookmarks', async () => {
    const lw = new FakeLW();
    lw.items = [cm('a', 1), cm('b', 2), cm('c', 3)];
    const inf = new Informer(lw, { clock: new FakeClock(), pageSize: 2, watchTimeoutSeconds: () => 300 });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(lw.lists, [{ limit: 2, continue: undefined }, { limit: 2, continue: '2' }]);
    assert.deepEqual(events, ['add a (initial)', 'add b (initial)', 'add c (initial)']);
    assert.equal(inf.store.get('ns/a')?.kind, 'ConfigMap', 'list items get the kind of the list');
    await flush();
    assert.deepEqual(lw.watches, [{ resourceVersion: '10', allowWatchBookmarks: true, timeoutSeconds: 300 }]);

    lw.emit('ADDED', cm('d', 11));
    lw.emit('MODIFIED', cm('a', 12));
    lw.emit('DELETED', cm('b', 13));
    lw.emit('BOOKMARK', { metadata: { resourceVersion: '20' } });
    assert.deepEqual(events.slice(3), ['add d', 'update a 1->12', 'delete b']);
    assert.deepEqual(inf.store.keys().sort(), ['ns/a', 'ns/c', 'ns/d']);
    assert.equal(inf.lastSyncResourceVersion(), '20');

    // A watch that ends normally resumes from the last resourceVersion (the bookmark's).
    lw.close();
    await flush();
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.watches[1]!.resourceVersion, '20');
    assert.equal(lw.lists.length, 2, 'no relist');
    await inf.stop();
    assert.equal(lw.watching, false);
  });

  it('relists on 410 Expired (ERROR event) and turns the difference into events', async () => {
    const lw = new FakeLW();
    lw.items = [cm('a', 1), cm('b', 2)];
    const inf = new Informer(lw, { clock: new FakeClock() });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await flush();
    // Meanwhile: a changed, b deleted, c created; the watch is too old.
    lw.items = [cm('a', 30), cm('c', 31)];
    lw.rv = 31;
    lw.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } as KubeObject);
    await flush();
    assert.equal(lw.lists.length, 2);
    assert.equal(inf.stats.expired, 1);
    assert.deepEqual(events.slice(2), ['delete b', 'update a 1->30', 'add c']);
    assert.equal(lw.watches.at(-1)!.resourceVersion, '31');
    await inf.stop();
  });

  it('relists on an HTTP 410 from the watch, backs off on other errors', async () => {
    const clock = new FakeClock();
    const lw = new FakeLW();
    lw.items = [cm('a', 1)];
    const inf = new Informer(lw, { clock });
    inf.start();
    await inf.waitForSync();
    await flush();
    lw.close(new ApiStatusError(410, { kind: 'Status', code: 410, reason: 'Gone', message: 'gone' }));
    await flush();
    assert.equal(lw.lists.length, 2);
    // A broken connection: back off (≥ 800 ms), then watch again from the same version.
    const watchesBefore = lw.watches.length;
    lw.close(new Error('ECONNRESET'));
    await flush();
    assert.equal(lw.watches.length, watchesBefore);
    clock.step(1000);
    await flush();
    assert.equal(lw.watches.length, watchesBefore + 1);
    assert.equal(lw.lists.length, 2);
    await inf.stop();
  });

  it('retries a failing list with back-off and syncs when it succeeds', async () => {
    const clock = new FakeClock();
    const lw = new FakeLW();
    lw.listError = new Error('connection refused');
    const inf = new Informer(lw, { clock });
    inf.start();
    await flush();
    assert.equal(inf.hasSynced(), false);
    lw.listError = undefined;
    lw.items = [cm('a', 1)];
    clock.step(1000);
    await inf.waitForSync();
    assert.equal(lw.lists.length, 2);
    await inf.stop();
  });

  it('an expired continue token falls back to one full list', async () => {
    const lw = new FakeLW();
    lw.items = [cm('a', 1), cm('b', 2), cm('c', 3)];
    lw.expireContinue = true;
    const inf = new Informer(lw, { clock: new FakeClock(), pageSize: 2 });
    inf.start();
    await inf.waitForSync();
    assert.deepEqual(lw.lists.at(-1), {});
    assert.equal(inf.store.size(), 3);
    await inf.stop();
  });

  it('resyncs handlers that ask for it, and replays the cache to late handlers', async () => {
    const clock = new FakeClock();
    const lw = new FakeLW();
    lw.items = [cm('a', 1)];
    const inf = new Informer(lw, { clock });
    const resyncs: string[] = [];
    inf.addEventHandler({ update: (a, b) => resyncs.push(`${a === b} ${b.metadata!.name}`) }, 1000);
    inf.start();
    await inf.waitForSync();
    clock.step(1000);
    clock.step(1000);
    assert.deepEqual(resyncs, ['true a', 'true a']);
    const late: string[] = [];
    inf.addEventHandler({ add: (o, initial) => late.push(`${o.metadata!.name} ${initial}`) });
    assert.deepEqual(late, ['a true']);
    await inf.stop();
    clock.step(5000);
    assert.equal(resyncs.length, 2, 'no resync after stop');
  });

  it('a delete and re-create under the same name is a delete and an add', async () => {
    const lw = new FakeLW();
    lw.items = [cm('a', 1, 'u1')];
    const inf = new Informer(lw, { clock: new FakeClock() });
    const events = record(inf);
    inf.start();
    await inf.waitForSync();
    await flush();
    lw.emit('ADDED', cm('a', 5, 'u2'));
    assert.deepEqual(events.slice(1), ['delete a', 'add a']);
    await inf.stop();
  });

  it('stop() returns while a watch is open', async () => {
    const lw = new FakeLW();
    const inf = new Informer(lw, { clock: new FakeClock() });
    inf.start();
    await inf.waitForSync();
    await flush();
    assert.equal(lw.watching, true);
    await inf.stop();
    assert.equal(lw.stopped, 1);
  });
});
