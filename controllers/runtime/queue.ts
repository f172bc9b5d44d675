// Work queues as client-go's k8s.io/client-go/util/workqueue:
// - a key added several times before a worker takes it is processed once (de-duplication);
// - a key being processed is never handed to a second worker; added again meanwhile, it is
//   queued once more when the first worker calls done() (in-flight exclusion);
// - addAfter() delays a key (the earliest pending time wins), addRateLimited() delays it by
//   the rate limiter: per-key exponential back-off and an overall token bucket, the larger
//   of the two (client-go's DefaultControllerRateLimiter); forget() resets the back-off.
import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { Heap } from './heap.ts';

export interface RateLimiter<K> {
  /** How long to wait before the key may be processed again (and records the failure). */
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/** base * 2^failures, capped (client-go ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1000_000,
  ) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const backoff = this.baseMs * 2 ** n;
    return Math.min(backoff, this.maxMs);
  }
  forget(key: K): void {
    this.failures.delete(key);
  }
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/** An overall token bucket of qps with burst (client-go BucketRateLimiter over rate.Limiter). */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  constructor(
    readonly qps = 10,
    readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

/** The longest wait of several limiters. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }
  when(key: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }
  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: K): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/** client-go's DefaultControllerRateLimiter: 5 ms doubling to 1000 s per key, 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialFailureRateLimiter<K>(5, 1000_000), new BucketRateLimiter<K>(10, 100, clock));
}

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  name?: string;
}

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  /** Delayed keys and when they become ready. */
  private readonly waiting = new Map<K, number>();
  /** The same by due time (an entry the map no longer agrees with is stale and skipped). */
  private readonly due = new Heap<{ at: number; seq: number; key: K }>((a, b) => (a.at !== b.at ? a.at < b.at : a.seq < b.seq));
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.clock = options.clock ?? realClock;
    this.limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.name = options.name ?? '';
  }

  /** Keys ready to be handed out (not counting keys in flight or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting for a delay to pass. */
  delayed(): number {
    return this.waiting.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      // Handed straight to a waiting worker.
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
  }

  /** The next key, waiting for one; undefined once the queue is shut down and drained. */
  get(): Promise<K | undefined> {
    if (this.len() > 0) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key's processing finished; re-queues it when it was added meanwhile. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Adds the key after ms (the earliest pending time for a key wins). */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const cur = this.waiting.get(key);
    if (cur !== undefined && cur <= at) return;
    this.waiting.set(key, at);
    this.due.push({ at, seq: this.seq++, key });
    this.arm();
  }

  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /** The earliest current delayed entry (stale ones dropped). */
  private nextDue(): { at: number; key: K } | undefined {
    for (let top = this.due.peek(); top; top = this.due.peek()) {
      if (this.waiting.get(top.key) === top.at) return top;
      this.due.pop();
    }
    return undefined;
  }

  private arm(): void {
    const next = this.nextDue()?.at ?? Infinity;
    if (next === this.timerAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = this.clock.after(next - this.clock.now(), () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.fireDue();
    });
  }

  private fireDue(): void {
    const now = this.clock.now();
    for (let top = this.nextDue(); top && top.at <= now; top = this.nextDue()) {
      this.due.pop();
      this.waiting.delete(top.key);
      this.add(top.key);
    }
    this.arm();
  }

  /** Stops handing out keys: waiting get() calls resolve undefined, new adds are dropped. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.waiting.clear();
    this.due.clear();
    // Keys already queued are dropped too: workers stop at their next get().
    this.queue = [];
    this.head = 0;
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
