// Informers as client-go's SharedIndexInformer: a reflector lists a resource (paged), then
// watches from the list's resourceVersion with bookmarks, keeps the cache (an Indexer with a
// namespace index) and tells handlers about adds, updates and deletes. A watch that ends is
// resumed from the last resourceVersion seen (bookmarks keep it fresh); 410 Expired (as an
// ERROR event or an HTTP answer) makes it list again, turning the difference into events.
// Handlers get a periodic resync (update with old === new) when they ask for one.
import { realClock, type Clock, type TimerHandle } from './clock.ts';
import type { ApiClient, ListOptions, ResourceRef, WatchHandle, WatchOptions } from './client.ts';
import { isGone, ApiStatusError } from './errors.ts';
import { Indexer, replaceDeltas, type IndexFunc } from './store.ts';
import type { KubeList, KubeObject, StatusObject, WatchEvent } from './types.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'informer' });

/** The two calls an informer makes; ApiClient provides them, tests fake them. */
export interface ListerWatcher<T extends KubeObject = KubeObject> {
  list(opts: ListOptions): Promise<KubeList<T>>;
  watch(opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle;
}

export interface SelectorOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** PartialObjectMetadata only (as client-go's metadata informers). */
  metadataOnly?: boolean;
}

export function listerWatcher<T extends KubeObject = KubeObject>(
  client: Pick<ApiClient, 'list' | 'watch'>,
  ref: ResourceRef,
  namespace?: string,
  sel: SelectorOptions = {},
): ListerWatcher<T> {
  return {
    list: (opts) => client.list<T>(ref, namespace, { ...opts, ...sel }),
    watch: (opts, onEvent, onClose) => client.watch(ref, namespace, { ...opts, ...sel }, onEvent as (ev: WatchEvent) => void, onClose),
  };
}

export interface EventHandler<T> {
  add?(obj: T, initialList: boolean): void;
  update?(oldObj: T, newObj: T): void;
  /** The last known state of the deleted object. */
  delete?(obj: T): void;
}

export interface InformerOptions<T> {
  clock?: Clock;
  /** Page size of lists (default 500). */
  pageSize?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Server-side watch timeout (default 5–10 min, randomized as client-go). */
  watchTimeoutSeconds?: () => number;
  name?: string;
}

interface Registration<T> {
  handler: EventHandler<T>;
  resyncMs: number;
  timer?: TimerHandle;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly store: Indexer<T>;
  readonly name: string;
  private readonly lw: ListerWatcher<T>;
  private readonly clock: Clock;
  private readonly pageSize: number;
  private readonly watchTimeout: () => number;
  private readonly handlers: Registration<T>[] = [];
  private running = false;
  private stopped = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastRv = '';
  private watch: WatchHandle | undefined;
  /** Ends the watch in progress (stop() must not wait for a server that keeps it open). */
  private endWatch: (() => void) | undefined;
  private sleeping: { timer: TimerHandle; resolve: () => void } | undefined;
  private loop: Promise<void> | undefined;
  /** Counters for tests and debugging. */
  readonly stats = { lists: 0, watches: 0, expired: 0, errors: 0 };

  constructor(lw: ListerWatcher<T>, options: InformerOptions<T> = {}) {
    this.lw = lw;
    this.clock = options.clock ?? realClock;
    this.pageSize = options.pageSize ?? 500;
    this.store = new Indexer<T>(options.indexers);
    this.watchTimeout = options.watchTimeoutSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
    this.name = options.name ?? '';
  }

  /** The last resourceVersion the informer saw (list, event or bookmark). */
  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list reached the cache and the handlers (or when stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Adds a handler. Added after the first list, it gets an add for every cached object.
   * resyncMs > 0: an update(obj, obj) for every cached object that often.
   */
  addEventHandler(handler: EventHandler<T>, resyncMs = 0): void {
    const reg: Registration<T> = { handler, resyncMs };
    this.handlers.push(reg);
    if (this.synced) for (const obj of this.store.list()) this.call(() => handler.add?.(obj, true));
    if (this.running) this.armResync(reg);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    for (const reg of this.handlers) this.armResync(reg);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    this.watch?.stop();
    this.watch = undefined;
    this.endWatch?.();
    for (const reg of this.handlers) reg.timer?.cancel();
    if (this.sleeping) {
      this.sleeping.timer.cancel();
      this.sleeping.resolve();
    }
    for (const w of this.syncWaiters.splice(0)) w();
    await this.loop;
  }

  private armResync(reg: Registration<T>): void {
    if (reg.resyncMs <= 0 || this.stopped) return;
    reg.timer = this.clock.after(reg.resyncMs, () => {
      if (this.stopped) return;
      if (this.synced) for (const obj of this.store.list()) this.call(() => reg.handler.update?.(obj, obj));
      this.armResync(reg);
    });
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      log.error({ err, informer: this.name }, 'event handler failed');
    }
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T, initial = false): void {
    for (const { handler } of this.handlers) {
      if (kind === 'add') this.call(() => handler.add?.(obj, initial));
      else if (kind === 'update') this.call(() => handler.update?.(old!, obj));
      else this.call(() => handler.delete?.(obj));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.after(ms, () => {
        this.sleeping = undefined;
        resolve();
      });
      this.sleeping = { timer, resolve };
    });
  }

  private async run(): Promise<void> {
    let needList = true;
    let backoffMs = 0;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        if (this.stopped) break;
        const outcome = await this.watchOnce();
        if (outcome === 'expired') {
          this.stats.expired++;
          needList = true;
          continue;
        }
        if (outcome === 'ok') backoffMs = 0;
        else throw outcome;
      } catch (err) {
        if (this.stopped) break;
        this.stats.errors++;
        if (isGone(err)) {
          this.stats.expired++;
          needList = true;
        }
        // client-go's reflector back-off: 800 ms doubling to 30 s, reset after a good watch.
        backoffMs = backoffMs === 0 ? 800 : Math.min(backoffMs * 2, 30_000);
        log.debug({ err, informer: this.name, backoffMs }, 'list/watch failed; retrying');
        await this.sleep(backoffMs * (1 + Math.random() * 0.2));
      }
    }
  }

  /** Lists every page (a 410 on a continue token falls back to one unpaged list). */
  private async listAll(): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    let kind: string | undefined;
    let apiVersion: string | undefined;
    try {
      do {
        const page = await this.lw.list({ limit: this.pageSize, continue: cont });
        kind ??= page.kind;
        apiVersion ??= page.apiVersion;
        items.push(...(page.items ?? []));
        cont = page.metadata?.continue || undefined;
        if (!rv || cont === undefined) rv = page.metadata?.resourceVersion ?? rv;
        if (this.stopped) break;
      } while (cont);
    } catch (err) {
      if (cont === undefined || !isGone(err)) throw err;
      return this.lw.list({});
    }
    return { kind, apiVersion, items, metadata: { resourceVersion: rv } };
  }

  private async listAndReplace(): Promise<void> {
    this.stats.lists++;
    const list = await this.listAll();
    if (this.stopped) return;
    const items = (list.items ?? []).map((o) => this.withKind(o, list));
    const deltas = replaceDeltas(this.store, items);
    for (const d of deltas) {
      if (d.type === 'delete') this.store.remove(d.obj);
      else this.store.upsert(d.obj);
    }
    this.lastRv = list.metadata?.resourceVersion ?? '';
    const initial = !this.synced;
    for (const d of deltas) this.emit(d.type, d.obj, d.old, d.type === 'add' && initial);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** List items carry no kind; give them the list's (FooList → Foo). */
  private withKind(obj: T, list: KubeList<T>): T {
    if (obj.kind || !list.kind?.endsWith('List')) return obj;
    return { apiVersion: list.apiVersion, kind: list.kind.slice(0, -4), ...obj };
  }

  /** One watch from lastRv: 'ok' when it ended normally, 'expired' on 410, or the error. */
  private watchOnce(): Promise<'ok' | 'expired' | Error> {
    this.stats.watches++;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: 'ok' | 'expired' | Error) => {
        if (done) return;
        done = true;
        this.endWatch = undefined;
        this.watch?.stop();
        this.watch = undefined;
        resolve(r);
      };
      this.endWatch = () => finish('ok');
      const onEvent = (ev: WatchEvent<T>) => {
        if (done || this.stopped) return;
        const obj = ev.object;
        if (ev.type === 'ERROR') {
          const st = obj as unknown as StatusObject;
          finish(st.code === 410 ? 'expired' : new ApiStatusError(st.code ?? 500, st));
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) this.lastRv = rv;
          return;
        }
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
          const old = this.store.upsert(obj);
          if (rv) this.lastRv = rv;
          if (old && old.metadata?.uid !== obj.metadata?.uid) {
            this.emit('delete', old);
            this.emit('add', obj);
          } else if (old) this.emit('update', obj, old);
          else this.emit('add', obj);
        } else if (ev.type === 'DELETED') {
          const old = this.store.remove(obj);
          if (rv) this.lastRv = rv;
          this.emit('delete', obj.metadata?.resourceVersion ? obj : (old ?? obj));
        }
      };
      this.watch = this.lw.watch(
        { resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeout() },
        onEvent,
        (err) => finish(err ? (isGone(err) ? 'expired' : err) : 'ok'),
      );
      if (this.stopped) finish('ok');
    });
  }
}

/** One informer per (resource, namespace, selectors), shared by every controller (SharedInformerFactory). */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly client: Pick<ApiClient, 'list' | 'watch'>,
    private readonly options: { clock?: Clock } = {},
  ) {}

  informer<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: SelectorOptions & { namespace?: string } = {}): Informer<T> {
    const key = JSON.stringify([ref.group, ref.version, ref.resource, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? '', !!opts.metadataOnly]);
    let inf = this.informers.get(key);
    if (!inf) {
      const name = `${ref.resource}${ref.group ? `.${ref.group}` : ''}`;
      const { namespace, ...sel } = opts;
      inf = new Informer(listerWatcher(this.client, ref, namespace, sel), { clock: this.options.clock, name });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

