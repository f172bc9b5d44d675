// An events.k8s.io/v1 event recorder, as the new events API recorder kube-scheduler uses:
// `reportingController` and `reportingInstance` name the component, `action` what it was
// doing, `regarding` the object; the same event again (same object, type, reason, action and
// note) grows the first one's `series` instead of creating another, which `kubectl describe`
// shows as `(x3 over 2m)`. Failures to record are logged, never thrown.
import type { Api, ResourceRef } from '../controllers/runtime/client.ts';
import { realClock, type Clock } from '../controllers/runtime/clock.ts';
import { errorMessage, isNotFound } from '../controllers/runtime/errors.ts';
import { rfc3339Micro, type KubeObject } from '../controllers/runtime/types.ts';
import { logger } from '../lib/logger.ts';

const log = logger.child({ component: 'events' });

export const EVENTS_V1: ResourceRef = { group: 'events.k8s.io', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' };

/** Upstream's noteLengthLimit: longer notes are cut with ` ...`. */
export const NOTE_LENGTH_LIMIT = 1024;

export function truncateNote(note: string): string {
  if (note.length <= NOTE_LENGTH_LIMIT) return note;
  return note.slice(0, NOTE_LENGTH_LIMIT - 4) + ' ...';
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

export interface EventRecorderOptions {
  api: Pick<Api, 'create' | 'patch'>;
  /** reportingController, e.g. `default-scheduler`. */
  component: string;
  /** reportingInstance, e.g. `default-scheduler-<hostname>`. */
  instance: string;
  clock?: Clock;
  /** How many distinct events are remembered for series (default 4096). */
  cacheSize?: number;
  /** Events waiting to be written at most; more are dropped (client-go's maxQueuedEvents: 1000). */
  maxPending?: number;
}

function objectReference(obj: KubeObject): Record<string, unknown> {
  const m = obj.metadata ?? {};
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : 'v1';
  const ref: Record<string, unknown> = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion, resourceVersion: m.resourceVersion };
  for (const k of Object.keys(ref)) if (ref[k] === undefined || ref[k] === '') delete ref[k];
  return ref;
}

export class EventRecorder {
  private readonly opts: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  private readonly cacheSize: number;
  private seq = 0;
  private pending = new Set<Promise<void>>();
  private readonly maxPending: number;

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.maxPending = opts.maxPending ?? 1000;
  }

  /** Records an event about `regarding`, optionally naming a `related` object (fire and forget; flush() waits for the writes). */
  event(regarding: KubeObject, type: 'Normal' | 'Warning', reason: string, action: string, note: string, related?: KubeObject): void {
    if (this.pending.size >= this.maxPending) {
      log.debug({ reason, object: regarding.metadata?.name }, 'too many events waiting to be written; dropping this one');
      return;
    }
    const p = this.record(regarding, type, reason, action, truncateNote(note), related).catch((err) =>
      log.debug({ err: errorMessage(err), reason }, 'recording an event failed'),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for the events recorded so far to be written. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async record(regarding: KubeObject, type: string, reason: string, action: string, note: string, related?: KubeObject): Promise<void> {
    const m = regarding.metadata ?? {};
    const namespace = m.namespace || 'default';
    const key = JSON.stringify([m.uid, m.namespace, m.name, type, reason, action, note]);
    const now = new Date(this.clock.now());
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
      this.seen.delete(key);
      this.seen.set(key, prior);
      try {
        await this.opts.api.patch(EVENTS_V1, prior.namespace, prior.name, { series: { count: prior.count, lastObservedTime: rfc3339Micro(now) } }, 'merge');
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The event expired or was deleted: start over.
        this.seen.delete(key);
      }
    }
    const name = `${m.name ?? 'unknown'}.${(BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    await this.opts.api.create(EVENTS_V1, namespace, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: rfc3339Micro(now),
      reportingController: this.opts.component,
      reportingInstance: this.opts.instance,
      action,
      reason,
      regarding: objectReference(regarding),
      ...(related ? { related: objectReference(related) } : {}),
      note,
      type,
    });
    this.seen.set(key, { name, namespace, count: 1 });
    while (this.seen.size > this.cacheSize) this.seen.delete(this.seen.keys().next().value!);
  }
}
