// The watch cache: one store watch per stored resource, shared by every API watcher of
// that resource (upstream's cacher). It keeps the resource's current objects and a window
// of recent events in memory, so that watches from a recent resourceVersion, lists with
// resourceVersion=0 and the synthetic ADDED events of a new watch are served from memory.
import type { KubeObject } from '../registry/descriptor.ts';
import type { KeyValue, Store, Watch, WatchResponse } from '../../storage/store.ts';
import { prefixEnd } from '../../storage/bytes.ts';
import { ApiError } from '../errors.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'watch-cache' });

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CachedObject {
  key: string;
  /** The stored (storage-version) object with metadata.resourceVersion set. Never mutate. */
  obj: KubeObject;
  rev: number;
}

export interface CacheEvent {
  type: CacheEventType;
  key: string;
  /** The new object; for DELETED the last state with the delete's resourceVersion. Never mutate. */
  obj: KubeObject;
  /** The previous state (MODIFIED, DELETED). */
  prev?: KubeObject;
  rev: number;
}

export interface CacheWatcher {
  /** Only keys under this prefix. */
  keyPrefix: string;
  onEvent(ev: CacheEvent): void;
  /** The cache learned it is current up to `rev` (progress), for bookmarks. */
  onProgress?(rev: number): void;
  /** The cache stopped (store watch lost, cache closed); the watcher must end. */
  onClose(err?: ApiError): void;
}

export interface WatchCacheOptions {
  /** Events kept for watches resuming from a past resourceVersion. */
  capacity?: number;
  /** How often to ask the store for a progress notification while watchers exist. */
  progressIntervalMs?: number;
}

/** Parses a stored value; stamps metadata.resourceVersion. */
export function decodeStored(kv: KeyValue, rev = kv.modRevision): KubeObject | undefined {
  try {
    const obj = JSON.parse(kv.value.toString('utf8')) as KubeObject;
    obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rev) };
    return obj;
  } catch (err) {
    log.error({ err, key: kv.key.toString() }, 'undecodable object in store');
    return undefined;
  }
}

function withRv(obj: KubeObject, rev: number): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: String(rev) } };
}

export class WatchCache {
  readonly objects = new Map<string, CachedObject>();
  private events: CacheEvent[] = [];
  private head = 0;
  /** Every event with rev > oldestRev is in the window. */
  private oldestRev = 0;
  /** The cache reflects the store up to this revision. */
  rev = 0;
  private readonly watchers = new Set<CacheWatcher>();
  private storeWatch?: Watch;
  private closed = false;
  private readonly capacity: number;
  private readonly progressIntervalMs: number;
  private progressTimer?: NodeJS.Timeout;
  private revWaiters: { rev: number; resolve: () => void }[] = [];
  private initializing?: Promise<void>;

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    options: WatchCacheOptions = {},
  ) {
    this.capacity = options.capacity ?? 5000;
    this.progressIntervalMs = options.progressIntervalMs ?? 1000;
  }

  /** Lists the resource and starts the store watch; resolves when the cache is usable. */
  start(): Promise<void> {
    this.initializing ??= this.init();
    return this.initializing;
  }

  private async init(): Promise<void> {
    const res = await this.store.range(this.prefix, { rangeEnd: prefixEnd(this.prefix) });
    this.objects.clear();
    for (const kv of res.kvs) {
      const obj = decodeStored(kv);
      if (obj) this.objects.set(kv.key.toString('utf8'), { key: kv.key.toString('utf8'), obj, rev: kv.modRevision });
    }
    this.rev = res.header.revision;
    this.oldestRev = res.header.revision;
    this.events = [];
    this.head = 0;
    this.storeWatch = await this.store.watch(
      this.prefix,
      { rangeEnd: prefixEnd(this.prefix), startRevision: res.header.revision + 1, prevKv: true, progressNotify: true },
      (r) => this.onResponse(r),
    );
    if (this.closed) {
      await this.storeWatch.cancel();
      return;
    }
    this.progressTimer = setInterval(() => {
      if (this.watchers.size > 0 || this.revWaiters.length > 0) this.storeWatch?.requestProgress();
    }, this.progressIntervalMs);
    this.progressTimer.unref();
  }

  private onResponse(r: WatchResponse): void {
    if (this.closed) return;
    if (r.canceled) {
      log.warn({ prefix: this.prefix, reason: r.cancelReason }, 'store watch canceled; restarting the watch cache');
      void this.restart();
      return;
    }
    for (const e of r.events) {
      const key = e.kv.key.toString('utf8');
      const rev = e.kv.modRevision;
      const prevCached = this.objects.get(key);
      const prev = prevCached?.obj ?? (e.prevKv ? decodeStored(e.prevKv) : undefined);
      let ev: CacheEvent | undefined;
      if (e.type === 'put') {
        const obj = decodeStored(e.kv);
        if (!obj) continue;
        this.objects.set(key, { key, obj, rev });
        ev = prev ? { type: 'MODIFIED', key, obj, prev, rev } : { type: 'ADDED', key, obj, rev };
      } else {
        this.objects.delete(key);
        if (!prev) continue;
        ev = { type: 'DELETED', key, obj: withRv(prev, rev), prev, rev };
      }
      this.push(ev);
      this.rev = Math.max(this.rev, rev);
      for (const w of this.watchers) if (key.startsWith(w.keyPrefix)) this.deliver(w, ev);
    }
    if (r.events.length === 0 && r.header.revision > this.rev) this.rev = r.header.revision;
    if (r.events.length === 0) for (const w of this.watchers) this.progress(w);
    this.wakeWaiters();
  }

  private deliver(w: CacheWatcher, ev: CacheEvent): void {
    try {
      w.onEvent(ev);
    } catch (err) {
      log.error({ err }, 'cache watcher threw');
    }
  }

  private progress(w: CacheWatcher): void {
    try {
      w.onProgress?.(this.rev);
    } catch (err) {
      log.error({ err }, 'cache watcher threw');
    }
  }

  private push(ev: CacheEvent): void {
    if (this.events.length - this.head >= this.capacity) {
      const evicted = this.events[this.head]!;
      this.oldestRev = evicted.rev;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.events.length) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
    }
    this.events.push(ev);
  }

  private async restart(): Promise<void> {
    const old = this.storeWatch;
    this.storeWatch = undefined;
    clearInterval(this.progressTimer);
    this.initializing = undefined;
    for (const w of [...this.watchers]) this.closeWatcher(w);
    await old?.cancel().catch(() => undefined);
    if (this.closed) return;
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.initializing = this.init();
        await this.initializing;
        return;
      } catch (err) {
        this.initializing = undefined;
        log.error({ err, prefix: this.prefix }, 'watch cache re-initialization failed');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  private closeWatcher(w: CacheWatcher, err?: ApiError): void {
    if (!this.watchers.delete(w)) return;
    try {
      w.onClose(err);
    } catch (e) {
      log.error({ err: e }, 'cache watcher threw on close');
    }
  }

  private wakeWaiters(): void {
    if (this.revWaiters.length === 0) return;
    const still: typeof this.revWaiters = [];
    for (const waiter of this.revWaiters) {
      if (this.rev >= waiter.rev) waiter.resolve();
      else still.push(waiter);
    }
    this.revWaiters = still;
  }

  /**
   * Waits until the cache reflects revision `rev`; false after `timeoutMs` (upstream's
   * waitUntilFreshAndBlock, which then answers "Too large resource version").
   */
  async waitFresh(rev: number, timeoutMs = 3000): Promise<boolean> {
    await this.start();
    if (this.rev >= rev) return true;
    this.storeWatch?.requestProgress();
    return new Promise<boolean>((resolve) => {
      const waiter = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          clearInterval(poke);
          resolve(true);
        },
      };
      const poke = setInterval(() => this.storeWatch?.requestProgress(), 50);
      const timer = setTimeout(() => {
        clearInterval(poke);
        this.revWaiters = this.revWaiters.filter((w) => w !== waiter);
        resolve(this.rev >= rev);
      }, timeoutMs);
      this.revWaiters.push(waiter);
    });
  }

  /** The current objects under a prefix, sorted by key. */
  snapshot(keyPrefix: string): CachedObject[] {
    const out: CachedObject[] = [];
    for (const o of this.objects.values()) if (o.key.startsWith(keyPrefix)) out.push(o);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /**
   * Registers a watcher. `from`: deliver buffered events with rev > from, then live ones
   * (410 Expired when `from` is older than the window); 'snapshot': call `initial` with the
   * current objects first, then live events after them. Returns a function removing it.
   */
  async addWatcher(
    w: CacheWatcher,
    start: { from: number } | { snapshot: (objects: CachedObject[], rev: number) => void },
  ): Promise<() => void> {
    await this.start();
    if ('from' in start) {
      if (start.from < this.oldestRev) {
        throw new ApiError(410, 'Expired', `too old resource version: ${start.from} (${this.oldestRev})`);
      }
      for (let i = this.head; i < this.events.length; i++) {
        const ev = this.events[i]!;
        if (ev.rev > start.from && ev.key.startsWith(w.keyPrefix)) this.deliver(w, ev);
      }
    } else {
      start.snapshot(this.snapshot(w.keyPrefix), this.rev);
    }
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.progressTimer);
    for (const w of [...this.watchers]) this.closeWatcher(w);
    for (const waiter of this.revWaiters) waiter.resolve();
    this.revWaiters = [];
    await this.initializing?.catch(() => undefined);
    await this.storeWatch?.cancel().catch(() => undefined);
  }
}
