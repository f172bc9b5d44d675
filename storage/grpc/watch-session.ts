// One Watch stream: etcd multiplexes many watches on it, each with a watch_id (zero-based,
// or chosen by the client). Requests are handled in arrival order, so `created` responses
// come in the order of the create requests (clientv3 matches them that way). Responses a
// store watch delivers before its `created` went out are held back until then.
import type { Watch, WatchResponse } from '../store.ts';
import { logger } from '../../lib/logger.ts';
import type { ServiceContext } from './context.ts';
import { eventToWire, int, type WireEvent, type WireHeader } from './wire.ts';

export interface WireWatchCreate {
  key: Buffer;
  range_end: Buffer;
  start_revision: string;
  progress_notify: boolean;
  filters: Array<string | number>;
  prev_kv: boolean;
  watch_id: string;
  fragment: boolean;
}

export interface WireWatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  create_request?: WireWatchCreate;
  cancel_request?: { watch_id: string };
  progress_request?: Record<string, never>;
}

export interface WireWatchResponse {
  header: WireHeader;
  watch_id: string;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  cancel_reason?: string;
  events: WireEvent[];
}

interface Entry {
  id: number;
  watch: Watch | undefined;
  noPut: boolean;
  noDelete: boolean;
  progressNotify: boolean;
  /** Its `created` response has been sent; until then responses wait in `held`. */
  announced: boolean;
  held: WireWatchResponse[];
  done: boolean;
  /** A stream progress request asked this watch for its progress. */
  awaitingProgress: boolean;
}

/** A stream-wide progress request: answered once every watch has reported its progress. */
interface ProgressRound {
  waiting: Set<Entry>;
  revision: number;
  requests: number;
  /** Still waiting for the read barrier: the watches have not been asked yet. */
  starting: boolean;
}

/** etcd's clientv3 treats watch_id -1 as "for every watch on the stream". */
const ALL_WATCHES = '-1';
const log = logger.child({ component: 'grpc-watch' });

export class WatchSession {
  private readonly entries = new Map<number, Entry>();
  private nextId = 0;
  private queue: Promise<void> = Promise.resolve();
  private round: ProgressRound | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly write: (r: WireWatchResponse) => void,
  ) {}

  receive(req: WireWatchRequest): void {
    this.queue = this.queue
      .then(() => this.handle(req))
      .catch((err: unknown) => log.error({ err }, 'watch request failed'));
  }

  /** Stops every watch of the stream (the stream ended or the server is closing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const e of entries) {
      e.done = true;
      await e.watch?.cancel().catch(() => undefined);
    }
  }

  private send(r: WireWatchResponse): void {
    if (!this.closed) this.write(r);
  }

  private async handle(req: WireWatchRequest): Promise<void> {
    if (this.closed) return;
    if (req.request_union === 'create_request' && req.create_request) {
      // A create is always answered, so that a client waiting for `created` never hangs.
      return this.create(req.create_request).catch((e: unknown) =>
        this.send({ header: this.ctx.header(0), watch_id: '-1', created: true, canceled: true, cancel_reason: this.ctx.fail(e).details, events: [] }),
      );
    }
    if (req.request_union === 'cancel_request' && req.cancel_request) return this.cancel(int(req.cancel_request.watch_id));
    if (req.request_union === 'progress_request') return this.progress();
  }

  private async create(c: WireWatchCreate): Promise<void> {
    const key = c.key.length === 0 ? Buffer.from([0]) : c.key; // "\0" is the smallest key
    const rangeEnd = c.range_end.length === 0 ? undefined : c.range_end;
    const fromKey = rangeEnd !== undefined && rangeEnd.length === 1 && rangeEnd[0] === 0;
    const wsrev = await this.ctx.currentRevision();
    const header = this.ctx.header(wsrev);
    const requested = int(c.watch_id);
    let reason: string | undefined;
    if (rangeEnd && !fromKey && Buffer.compare(key, rangeEnd) >= 0) reason = 'mvcc: watcher range is empty';
    else if (requested !== 0 && this.entries.has(requested)) reason = 'mvcc: duplicate watch ID provided on the WatchStream';
    if (reason) {
      this.send({ header, watch_id: '-1', created: true, canceled: true, cancel_reason: reason, events: [] });
      return;
    }
    let id = requested;
    if (id === 0) {
      while (this.entries.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const filters = new Set(c.filters.map(String));
    const entry: Entry = {
      id,
      watch: undefined,
      noPut: filters.has('NOPUT'),
      noDelete: filters.has('NODELETE'),
      progressNotify: c.progress_notify,
      announced: false,
      held: [],
      done: false,
      awaitingProgress: false,
    };
    this.entries.set(id, entry);
    const start = int(c.start_revision);
    try {
      entry.watch = await this.ctx.store.watch(
        key,
        {
          ...(rangeEnd ? { rangeEnd } : {}),
          // As etcd: no start revision means "after the revision the created response reports".
          startRevision: start > 0 ? start : wsrev + 1,
          prevKv: c.prev_kv,
          progressNotify: c.progress_notify,
        },
        (r) => this.onStoreResponse(entry, r),
      );
    } catch (e) {
      this.entries.delete(id);
      this.send({ header, watch_id: String(id), created: true, canceled: true, cancel_reason: this.ctx.fail(e).details, events: [] });
      return;
    }
    if (this.closed) {
      await entry.watch.cancel();
      return;
    }
    this.send({ header, watch_id: String(id), created: true, events: [] });
    entry.announced = true;
    for (const r of entry.held.splice(0)) this.send(r);
  }

  private onStoreResponse(entry: Entry, r: WatchResponse): void {
    if (entry.done) return;
    const header = this.ctx.header(r.header.revision);
    const watch_id = String(entry.id);
    let out: WireWatchResponse;
    if (r.canceled) {
      this.finish(entry);
      out = { header, watch_id, canceled: true, events: [] };
      if (r.compactRevision) {
        out.compact_revision = String(r.compactRevision);
        out.cancel_reason = 'etcdserver: mvcc: required revision has been compacted';
      } else if (r.cancelReason) {
        out.cancel_reason = r.cancelReason;
      }
    } else if (r.events.length === 0) {
      if (entry.awaitingProgress) {
        entry.awaitingProgress = false;
        this.progressAnswered(entry, r.header.revision);
        return;
      }
      if (!entry.progressNotify) return;
      out = { header, watch_id, events: [] };
    } else {
      const events = r.events.filter((e) => !(e.type === 'put' ? entry.noPut : entry.noDelete));
      if (events.length === 0) return; // all filtered out: etcd sends nothing
      out = { header, watch_id, events: events.map(eventToWire) };
    }
    if (entry.announced) this.send(out);
    else entry.held.push(out);
  }

  private async cancel(id: number): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return; // as etcd: no response for an unknown watch
    this.finish(entry);
    await entry.watch?.cancel();
    this.send({ header: await this.ctx.currentHeader(), watch_id: String(id), canceled: true, events: [] });
  }

  /** The watch is over: forget it, and stop waiting for its progress. */
  private finish(entry: Entry): void {
    entry.done = true;
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id);
    if (this.round?.waiting.delete(entry)) this.maybeEndRound();
  }

  private async progress(): Promise<void> {
    if (this.round) {
      this.round.requests++;
      return;
    }
    const round: ProgressRound = { waiting: new Set(), revision: Number.POSITIVE_INFINITY, requests: 1, starting: true };
    this.round = round;
    // First a linearizable read: on a member of a replicated store that lags behind, it waits
    // until every write acknowledged before this request is applied here, so the progress
    // revision is never below one a client already saw (etcd fixed the same in 3.4.25).
    const barrier = await this.ctx.currentRevision().catch(() => undefined);
    const live = [...this.entries.values()].filter((e) => e.announced && !e.done && e.watch);
    if (live.length === 0) {
      this.round = undefined;
      const header = barrier !== undefined ? this.ctx.header(barrier) : await this.ctx.currentHeader();
      for (let i = 0; i < round.requests; i++) this.send({ header, watch_id: ALL_WATCHES, events: [] });
      return;
    }
    round.waiting = new Set(live);
    round.starting = false;
    for (const e of live) {
      e.awaitingProgress = true;
      e.watch!.requestProgress();
    }
  }

  private progressAnswered(entry: Entry, revision: number): void {
    if (!this.round?.waiting.has(entry)) return;
    this.round.revision = Math.min(this.round.revision, revision);
    this.round.waiting.delete(entry);
    this.maybeEndRound();
  }

  private maybeEndRound(): void {
    const round = this.round;
    if (!round || round.starting || round.waiting.size > 0) return;
    this.round = undefined;
    // Every watch has sent everything up to its reported revision: the smallest one holds for the stream.
    const revision = Number.isFinite(round.revision) ? Promise.resolve(round.revision) : this.ctx.currentRevision();
    void revision.then(
      (rev) => {
        for (let i = 0; i < round.requests; i++) this.send({ header: this.ctx.header(rev), watch_id: ALL_WATCHES, events: [] });
      },
      (err: unknown) => log.error({ err }, 'watch progress failed'),
    );
  }
}
