// Runs an async sync soon after changes, never two at once: changes arriving during a sync
// make exactly one more. The node components use it to turn bursts of watch events into few
// full syncs.
import { errorMessage } from '../../controllers/runtime/errors.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'coalescer' });

export interface Coalescer {
  /** A sync after `delayMs` (0: on the next turn); an earlier pending one is kept. */
  schedule(delayMs?: number): void;
  /** Resolves after a sync that started after this call finished. */
  flush(): Promise<void>;
  /** No more syncs; waits for the one in progress. */
  stop(): Promise<void>;
}

export function coalescer(sync: () => Promise<void>, name = 'sync'): Coalescer {
  let running: Promise<void> | undefined;
  let dirty = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let waiters: (() => void)[] = [];
  const run = () => {
    timer = undefined;
    dueAt = Infinity;
    if (stopped) return;
    if (running) {
      dirty = true;
      return;
    }
    dirty = false;
    const batch = waiters;
    waiters = [];
    running = sync()
      .catch((err) => log.error({ err: errorMessage(err), name }, 'sync failed'))
      .finally(() => {
        running = undefined;
        for (const w of batch) w();
        if (dirty || waiters.length > 0) run();
      });
  };
  const schedule = (delayMs = 0) => {
    if (stopped) return;
    const at = Date.now() + delayMs;
    if (timer && dueAt <= at) return;
    if (timer) clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(run, delayMs);
  };
  return {
    schedule,
    flush() {
      if (stopped) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.push(resolve);
        schedule(0);
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
      await running;
    },
  };
}
