// Controller expectations (upstream pkg/controller/controller_utils.go ControllerExpectations
// and UIDTrackingControllerExpectations): after a controller asks the API for N creations or
// deletions for an owner, it waits until its informers have observed them (or until the
// expectations expire) before it acts for that owner again. This is what keeps a controller
// that reads from a lagging cache from creating twice.
//
// - expectCreations/expectDeletions set the counts (replacing earlier ones) and stamp the time;
// - creationObserved/deletionObserved lower them as informer events arrive; deletions are
//   tracked by pod key, so a pod observed deleted twice (graceful deletion, then removal)
//   counts once;
// - satisfied() is true when nothing is pending, when the expectations expired (TTL, 5 minutes
//   upstream) or when there are none for the key (a new owner, or a controller restart).
import { realClock, type Clock } from './clock.ts';

/** Upstream ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  timestamp: number;
  /** Keys of the objects whose deletion is expected and not yet observed. */
  deleteKeys: Set<string>;
}

export interface ExpectationsSnapshot {
  add: number;
  del: number;
  timestamp: number;
  pendingDeletes: string[];
}

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(options: { clock?: Clock; ttlMs?: number } = {}) {
    this.clock = options.clock ?? realClock;
    this.ttlMs = options.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** True when the owner may be synced: nothing pending, expired, or no expectations. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.timestamp > this.ttlMs;
  }

  /** Whether the expectations of key exist and have expired. */
  expired(key: string): boolean {
    const e = this.items.get(key);
    return !!e && this.clock.now() - e.timestamp > this.ttlMs;
  }

  get(key: string): ExpectationsSnapshot | undefined {
    const e = this.items.get(key);
    return e && { add: e.add, del: e.del, timestamp: e.timestamp, pendingDeletes: [...e.deleteKeys] };
  }

  /** Replaces the expectations of key. */
  set(key: string, add: number, del: number, deleteKeys: string[] = []): void {
    this.items.set(key, { add, del, timestamp: this.clock.now(), deleteKeys: new Set(deleteKeys) });
  }

  expectCreations(key: string, n: number): void {
    this.set(key, n, 0);
  }

  /** Expects the deletion of these objects (keys as `namespace/name`). */
  expectDeletions(key: string, objectKeys: string[]): void {
    this.set(key, 0, objectKeys.length, objectKeys);
  }

  raise(key: string, add: number, del: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.add += add;
    e.del += del;
  }

  lower(key: string, add: number, del: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.add -= add;
    e.del -= del;
  }

  /** A creation for key was observed (or will never happen: a skipped or failed create). */
  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  /**
   * The deletion of objectKey was observed (or failed). Lowers the count once per expected
   * key; a key not expected (or seen already) changes nothing.
   */
  deletionObserved(key: string, objectKey: string): void {
    const e = this.items.get(key);
    if (!e || !e.deleteKeys.has(objectKey)) return;
    e.deleteKeys.delete(objectKey);
    e.del -= 1;
  }

  delete(key: string): void {
    this.items.delete(key);
  }

  size(): number {
    return this.items.size;
  }
}
