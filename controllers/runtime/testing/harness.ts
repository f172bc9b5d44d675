// Running controllers over the FakeApi in tests: real informers (the fake serves watches),
// and a drain loop that processes queued keys until nothing is left.
import type { Controller } from '../controller.ts';
import { InformerFactory } from '../informer.ts';
import type { FakeClock } from '../clock.ts';
import type { FakeApi } from './fake-api.ts';

/** Lets pending watch deliveries (microtasks) and I/O callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An informer factory over the fake (start it, then await waitForSync()). */
export function fakeFactory(api: FakeApi, clock?: FakeClock): InformerFactory {
  return new InformerFactory(api, { clock });
}

/**
 * Processes the controllers' ready keys until none is left (delayed keys wait for the
 * clock). With `stepMs`, a quiet queue moves the fake clock on so back-offs and requeues fire,
 * up to `maxMs` in total.
 */
export async function drain(controllers: Controller[], opts: { clock?: FakeClock; stepMs?: number; maxMs?: number; maxRounds?: number } = {}): Promise<void> {
  let waited = 0;
  for (let round = 0; round < (opts.maxRounds ?? 10_000); round++) {
    await flush();
    let worked = false;
    for (const c of controllers) {
      while (c.queue.len() > 0) {
        await c.processNext();
        worked = true;
        await flush();
      }
    }
    if (worked) continue;
    if (!opts.clock || !opts.stepMs || waited >= (opts.maxMs ?? 0)) return;
    if (controllers.every((c) => c.queue.delayed() === 0)) return;
    opts.clock.step(opts.stepMs);
    waited += opts.stepMs;
  }
  throw new Error('the controllers did not settle');
}
