import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, WorkQueue, defaultControllerRateLimiter } from './queue.ts';
import { Controller } from './controller.ts';

const flush = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('hands keys out in order and de-duplicates keys not yet taken', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len(), 0);
  });

  it('never hands a key in flight to a second worker; re-adds it on done', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    const k = await q.get();
    assert.equal(k, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'in flight: not queued again yet');
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await flush();
    assert.equal(second, undefined);
    q.done('a');
    await flush();
    assert.equal(second, 'a', 'queued once more after done');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  it('a waiting get() receives the next add', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    // x is in flight: adding it again waits for done().
    q.add('x');
    assert.equal(q.len(), 0);
    q.done('x');
    assert.equal(q.len(), 1);
  });

  it('shutDown releases waiting workers and drops new keys', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const p = q.get();
    q.shutDown();
    assert.equal(await p, undefined);
    q.add('a');
    assert.equal(await q.get(), undefined);
    assert.equal(q.isShuttingDown(), true);
  });

  it('addAfter delays a key; the earliest time wins; a delayed key is still de-duplicated', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 500);
    q.addAfter('b', 80);
    assert.equal(q.len(), 0);
    assert.equal(q.delayed(), 2);
    clock.step(49);
    assert.equal(q.len(), 0);
    clock.step(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    clock.step(30);
    assert.equal(await q.get(), 'b');
    assert.equal(q.delayed(), 0);
    assert.equal(clock.pending(), 0);
  });

  it('addRateLimited backs off exponentially per key; forget resets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      for (let waited = 0; q.len() === 0 && waited < 5000; waited++) clock.step(1);
      delays.push(clock.now() - before);
      q.done((await q.get())!);
    }
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(q.numRequeues('k'), 10);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });
});

describe('rate limiters', () => {
  it('the bucket allows a burst then qps', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter<string>(10, 3, clock);
    assert.deepEqual([b.when(), b.when(), b.when()], [0, 0, 0]);
    assert.equal(b.when(), 100);
    assert.equal(b.when(), 200);
    clock.step(1000);
    // 10 tokens refilled, minus the 2 owed, capped at the burst of 3.
    assert.equal(b.when(), 0);
  });

  it('the default limiter is the max of both', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>(clock);
    assert.equal(l.when('a'), 5);
    assert.equal(l.when('a'), 10);
    assert.equal(l.when('b'), 5);
    const m = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(1, 10), new ItemExponentialFailureRateLimiter(3, 100));
    assert.equal(m.when('x'), 3);
    assert.equal(m.numRequeues('x'), 1);
  });
});

describe('Controller', () => {
  it('forgets on success, backs off on error, requeues on request', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    let fail = 2;
    const c = new Controller<string>({
      name: 't',
      queue: new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(10, 1000) }),
      reconcile: async (key) => {
        calls.push(key);
        if (key === 'bad' && fail-- > 0) throw new Error('boom');
        if (key === 'poll') return { requeueAfterMs: 1000 };
      },
    });
    c.enqueue('bad');
    await c.processNext();
    assert.equal(c.queue.numRequeues('bad'), 1);
    clock.step(10);
    await c.processNext();
    assert.equal(c.queue.numRequeues('bad'), 2);
    clock.step(20);
    await c.processNext();
    assert.equal(c.queue.numRequeues('bad'), 0, 'success forgets');
    c.enqueue('poll');
    await c.processNext();
    assert.equal(c.queue.len(), 0);
    clock.step(1000);
    assert.equal(c.queue.len(), 1);
    assert.deepEqual(calls, ['bad', 'bad', 'bad', 'poll']);
    await c.stop();
  });

  it('runs workers until stopped, one key at a time per key', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: string[] = [];
    const c = new Controller<string>({
      name: 't',
      workers: 4,
      reconcile: async (key) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        seen.push(key);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
    });
    c.start();
    for (let i = 0; i < 20; i++) c.enqueue('same');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(maxInFlight, 1);
    assert.ok(seen.length <= 2, `processed ${seen.length} times`);
    await c.stop();
  });
});
