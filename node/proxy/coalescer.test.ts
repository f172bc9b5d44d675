import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { coalescer } from './coalescer.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('coalescer', () => {
  it('turns a burst into one sync, and changes during a sync into exactly one more', async () => {
    let runs = 0;
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => undefined;
    const c = coalescer(async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    for (let i = 0; i < 10; i++) c.schedule();
    await tick();
    assert.equal(runs, 1);
    for (let i = 0; i < 10; i++) c.schedule();
    await tick();
    assert.equal(runs, 1, 'waits for the sync in progress');
    release();
    await tick();
    assert.equal(runs, 2);
    release();
    await tick();
    assert.equal(runs, 2);
    assert.equal(maxActive, 1);
    await c.stop();
  });

  it('flush waits for a sync that started after it', async () => {
    const seen: number[] = [];
    let value = 0;
    const c = coalescer(async () => {
      await tick();
      seen.push(value);
    });
    value = 1;
    await c.flush();
    assert.deepEqual(seen, [1]);
    c.schedule();
    await tick(1);
    value = 2;
    await c.flush();
    assert.equal(seen.at(-1), 2, 'the sync in progress when flush was called does not count');
    await c.stop();
  });

  it('keeps the earlier of two delayed schedules, and stops', async () => {
    let runs = 0;
    const c = coalescer(async () => {
      runs++;
    });
    c.schedule(10_000);
    c.schedule(0);
    await tick();
    assert.equal(runs, 1);
    c.schedule(20);
    await c.stop();
    await tick(40);
    assert.equal(runs, 1);
  });

  it('survives a failing sync', async () => {
    let runs = 0;
    const c = coalescer(async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    await c.flush();
    await c.flush();
    assert.equal(runs, 2);
    await c.stop();
  });
});
