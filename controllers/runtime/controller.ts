// The shell around a reconcile function: workers take keys from a rate-limited work queue
// and call reconcile(key). Success forgets the key's back-off (and re-queues it after
// requeueAfterMs when asked); an error re-queues it with back-off, as client-go controllers do.
import { WorkQueue } from './queue.ts';
import { errorMessage } from './errors.ts';
import { logger, type Logger } from '../../lib/logger.ts';

export interface ReconcileResult {
  /** Process the key again after this long (a poll, not an error). */
  requeueAfterMs?: number;
}

export type Reconciler<K = string> = (key: K) => Promise<ReconcileResult | void>;

export interface ControllerOptions<K> {
  name: string;
  reconcile: Reconciler<K>;
  workers?: number;
  queue?: WorkQueue<K>;
  /** Give up on a key after this many failures in a row (default: never). */
  maxRetries?: number;
  log?: Logger;
}

export class Controller<K = string> {
  readonly name: string;
  readonly queue: WorkQueue<K>;
  private readonly reconcile: Reconciler<K>;
  private readonly workers: number;
  private readonly maxRetries: number;
  private readonly log: Logger;
  private running: Promise<void>[] = [];

  constructor(opts: ControllerOptions<K>) {
    this.name = opts.name;
    this.reconcile = opts.reconcile;
    this.workers = opts.workers ?? 1;
    this.queue = opts.queue ?? new WorkQueue<K>({ name: opts.name });
    this.maxRetries = opts.maxRetries ?? Infinity;
    this.log = opts.log ?? logger.child({ component: 'controller', controller: opts.name });
  }

  enqueue(key: K): void {
    this.queue.add(key);
  }

  start(): void {
    if (this.running.length) return;
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker());
  }

  /** Shuts the queue down and waits for the keys in flight. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.running);
    this.running = [];
  }

  /** Processes one key (exposed for tests that drive the queue by hand). */
  async processNext(): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    try {
      const res = await this.reconcile(key);
      this.queue.forget(key);
      if (res && res.requeueAfterMs !== undefined) this.queue.addAfter(key, res.requeueAfterMs);
    } catch (err) {
      if (this.queue.numRequeues(key) < this.maxRetries) {
        this.log.debug({ key, err: errorMessage(err) }, 'reconcile failed; retrying with back-off');
        this.queue.addRateLimited(key);
      } else {
        this.log.warn({ key, err: errorMessage(err) }, 'reconcile failed too often; dropping the key');
        this.queue.forget(key);
      }
    } finally {
      this.queue.done(key);
    }
    return true;
  }

  private async worker(): Promise<void> {
    while (await this.processNext()) {
      /* next key */
    }
  }
}
