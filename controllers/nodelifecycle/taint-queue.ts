// The per-zone queue of nodes waiting for a NoExecute taint (upstream RateLimitedTimedQueue
// over a token bucket with burst 1): nodes are tried in the order they became due, as fast
// as the zone's rate allows. A node tainted stays known to the queue (it is not queued
// again) until removed, e.g. when it becomes reachable.
import type { Clock } from '../runtime/clock.ts';

/** flowcontrol's token bucket with TryAccept; qps <= 0 never accepts. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    private readonly clock: Clock,
    readonly burst = 1,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Entry {
  value: string;
  processAt: number;
}

export class RateLimitedTimedQueue {
  private limiter: TokenBucket;
  /** Queued values in processAt order. */
  private queue: Entry[] = [];
  /** Every value added and not removed (queued, or done but remembered). */
  private readonly known = new Set<string>();

  constructor(
    qps: number,
    private readonly clock: Clock,
  ) {
    this.limiter = new TokenBucket(qps, clock);
  }

  /** Queues the value unless the queue knows it already; true when added. */
  add(value: string): boolean {
    if (this.known.has(value)) return false;
    this.known.add(value);
    this.insert({ value, processAt: this.clock.now() });
    return true;
  }

  /** Forgets the value; true when it was known. */
  remove(value: string): boolean {
    this.queue = this.queue.filter((e) => e.value !== value);
    return this.known.delete(value);
  }

  has(value: string): boolean {
    return this.known.has(value);
  }

  private insert(e: Entry): void {
    const i = this.queue.findIndex((x) => x.processAt > e.processAt);
    if (i < 0) this.queue.push(e);
    else this.queue.splice(i, 0, e);
  }

  /**
   * Processes due values while the rate allows: fn returns true when done with a value (it
   * stays known), or a delay in ms after which to try it again.
   */
  async try(fn: (value: string) => Promise<true | number>): Promise<void> {
    for (let head = this.queue[0]; head && head.processAt <= this.clock.now(); head = this.queue[0]) {
      if (!this.limiter.tryAccept()) return;
      const res = await fn(head.value);
      // The value may have been removed (or re-added) while fn ran.
      const i = this.queue.indexOf(head);
      if (i < 0) continue;
      this.queue.splice(i, 1);
      if (res !== true) this.insert({ value: head.value, processAt: this.clock.now() + res + 1 });
    }
  }

  /** SwapLimiter: a new rate; a limiter that was out of tokens leaves the new one empty too. */
  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    const next = new TokenBucket(qps, this.clock);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }
}
