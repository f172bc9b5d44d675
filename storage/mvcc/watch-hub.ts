// Watchers of one MVCC store. A watcher that starts in the past is "unsynced": it replays
// history from disk in chunks until it reaches the current revision, then becomes "synced"
// and receives each commit as it is published. The switch happens synchronously when the
// replay has read up to the current revision, and publishing advances the current revision
// synchronously too, so no revision is missed or delivered twice.
import type { KeyValue, Watch, WatchEvent, WatchListener, WatchOptions, WatchResponse } from '../store.ts';
import { toBuffer } from '../bytes.ts';

/** What the hub needs from the store it watches. */
export interface History {
  currentRevision(): number;
  compactRevision(): number;
  /** Events of whole revisions from `from` on (up to `to`), about `maxEvents` of them. */
  readEvents(from: number, to: number, maxEvents: number): Promise<CommittedEvent[]>;
  /** The key's live value just before `revision`, if still retained. */
  prevKv(key: Buffer, revision: number): Promise<KeyValue | undefined>;
}

export interface CommittedEvent extends WatchEvent {
  revision: number;
}

interface Watcher {
  start: string;
  end: string | undefined;
  prevKv: boolean;
  progressNotify: boolean;
  listener: WatchListener;
  /** The first revision not yet delivered. */
  nextRev: number;
  synced: boolean;
  canceled: boolean;
  progressRequested: boolean;
}

const REPLAY_CHUNK = 1000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private prevKvWatchers = 0;

  constructor(
    private readonly history: History,
    private readonly log: (err: unknown, msg: string) => void,
  ) {}

  /** Whether published events must carry prevKv. */
  wantsPrevKv(): boolean {
    return this.prevKvWatchers > 0;
  }

  add(key: Buffer, options: WatchOptions, listener: WatchListener): Watch {
    const current = this.history.currentRevision();
    const start = options.startRevision && options.startRevision > 0 ? options.startRevision : current + 1;
    const w: Watcher = {
      start: key.toString('latin1'),
      end: options.rangeEnd === undefined ? undefined : toBuffer(options.rangeEnd).toString('latin1'),
      prevKv: options.prevKv ?? false,
      progressNotify: options.progressNotify ?? false,
      listener,
      nextRev: start,
      synced: start > current,
      canceled: false,
      progressRequested: false,
    };
    if (w.end === '') w.end = undefined;
    this.watchers.add(w);
    if (w.prevKv) this.prevKvWatchers++;
    if (!w.synced) void this.replay(w);
    return {
      cancel: async () => this.remove(w),
      requestProgress: () => {
        if (w.synced) queueMicrotask(() => this.progress(w));
        else w.progressRequested = true;
      },
    };
  }

  /** Deliver one committed revision's events to synced watchers. Call in revision order. */
  publish(revision: number, events: CommittedEvent[]): void {
    for (const w of this.watchers) {
      if (!w.synced || revision < w.nextRev) continue;
      const mine = events.filter((e) => inRange(w, e.kv.key));
      w.nextRev = revision + 1;
      if (mine.length > 0) this.send(w, { header: { revision }, events: mine.map((e) => shape(e, w.prevKv)) });
    }
  }

  /** Periodic progress notification to idle synced watchers that asked for it. */
  notifyProgress(): void {
    for (const w of this.watchers) if (w.synced && w.progressNotify) this.progress(w);
  }

  /** Cancel every watcher whose next revision has been compacted away. */
  compacted(compactRevision: number): void {
    for (const w of this.watchers) {
      if (!w.synced && w.nextRev < compactRevision) this.cancelCompacted(w, compactRevision);
    }
  }

  /**
   * The history was replaced (a replica installed a snapshot): every synced watcher replays
   * from its next revision out of the new history, or is canceled if that was compacted.
   */
  resync(): void {
    for (const w of this.watchers) {
      if (!w.synced) continue;
      w.synced = false;
      void this.replay(w);
    }
  }

  closeAll(): void {
    for (const w of [...this.watchers]) this.remove(w);
  }

  private async replay(w: Watcher): Promise<void> {
    try {
      for (;;) {
        if (w.canceled) return;
        const compactRev = this.history.compactRevision();
        if (w.nextRev < compactRev) return this.cancelCompacted(w, compactRev);
        const current = this.history.currentRevision();
        if (w.nextRev > current) {
          w.synced = true;
          if (w.progressRequested) this.progress(w);
          return;
        }
        const events = await this.history.readEvents(w.nextRev, current, REPLAY_CHUNK);
        if (w.canceled) return;
        // Compaction may have removed part of what we just read; then the read is incomplete.
        const compactAfter = this.history.compactRevision();
        if (w.nextRev < compactAfter) return this.cancelCompacted(w, compactAfter);
        const mine = events.filter((e) => inRange(w, e.kv.key));
        if (w.prevKv) {
          for (const e of mine) if (!e.prevKv) e.prevKv = await this.history.prevKv(e.kv.key, e.revision);
          if (w.canceled) return;
        }
        const last = events.length > 0 ? events[events.length - 1]!.revision : current;
        w.nextRev = last + 1;
        if (mine.length > 0) this.send(w, { header: { revision: current }, events: mine.map((e) => shape(e, w.prevKv)) });
      }
    } catch (err) {
      this.log(err, 'watch replay failed');
      this.send(w, { header: { revision: this.history.currentRevision() }, events: [], canceled: true, cancelReason: String(err) });
      this.remove(w);
    }
  }

  private cancelCompacted(w: Watcher, compactRevision: number): void {
    this.send(w, {
      header: { revision: this.history.currentRevision() },
      events: [],
      canceled: true,
      compactRevision,
      cancelReason: 'mvcc: required revision has been compacted',
    });
    this.remove(w);
  }

  private progress(w: Watcher): void {
    w.progressRequested = false;
    this.send(w, { header: { revision: this.history.currentRevision() }, events: [] });
  }

  private send(w: Watcher, response: WatchResponse): void {
    if (w.canceled) return;
    try {
      w.listener(response);
    } catch (err) {
      this.log(err, 'watch listener threw');
    }
  }

  private remove(w: Watcher): void {
    if (w.canceled) return;
    w.canceled = true;
    this.watchers.delete(w);
    if (w.prevKv) this.prevKvWatchers--;
  }
}

function inRange(w: Watcher, key: Buffer): boolean {
  const k = key.toString('latin1');
  if (w.end === undefined) return k === w.start;
  if (k < w.start) return false;
  return w.end === '\0' || k < w.end;
}

function shape(e: CommittedEvent, withPrev: boolean): WatchEvent {
  return withPrev && e.prevKv ? { type: e.type, kv: e.kv, prevKv: e.prevKv } : { type: e.type, kv: e.kv };
}
