// Events as client-go's tools/record recorder writes them (core/v1 Event): a controller says
// "Normal SuccessfulCreate Created pod: web-abc12" about an object, and `kubectl describe`
// shows it. Like upstream's EventCorrelator:
// - an identical event (same source, object, type, reason and message) seen again is a PATCH
//   of the first one: count + 1, lastTimestamp now (firstTimestamp and name kept);
// - once 10 different messages with the same source, object, type and reason arrive within 10
//   minutes, further ones are folded into one "(combined from similar events): ..." event;
// - a token bucket per source and object (burst 25, one more every 5 minutes) drops the rest.
// Writes go out in the background, in order; an unreachable server is retried a few times.
import { realClock, type Clock } from './clock.ts';
import type { Api, ResourceRef } from './client.ts';
import { ApiStatusError, isNotFound } from './errors.ts';
import { rfc3339, type KubeObject } from './types.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'event-recorder' });

export const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' };

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: { component?: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: EventType;
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventRecorder {
  /** Records an event about obj (never throws; the write happens in the background). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** A reference to obj as reference.GetReference makes it. */
export function objectReference(obj: KubeObject): ObjectReference {
  const m = obj.metadata ?? {};
  const ref: ObjectReference = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion };
  for (const k of Object.keys(ref) as (keyof ObjectReference)[]) if (ref[k] === undefined || ref[k] === '') delete ref[k];
  return ref;
}

const AGGREGATE_PREFIX = '(combined from similar events): ';

class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
  resourceVersion?: string;
}

export interface CorrelateResult {
  /** The event to write (with count, name and firstTimestamp of an earlier one when a repeat). */
  event: CoreEvent;
  /** For a repeat: the strategic merge patch to send instead of a create. */
  patch?: { count: number; lastTimestamp: string; message: string };
  /** Dropped by the spam filter. */
  skip: boolean;
  /** The key to update once written. */
  key: string;
}

export interface CorrelatorOptions {
  clock?: Clock;
  /** Distinct messages before aggregation (default 10). */
  maxEvents?: number;
  /** Aggregation window (default 10 min). */
  maxIntervalMs?: number;
  /** Spam filter: burst (default 25) and refill interval per token (default 5 min). */
  spamBurst?: number;
  spamRefillMs?: number;
}

/** Upstream EventCorrelator: aggregation, de-duplication into counts, and the spam filter. */
export class EventCorrelator {
  private readonly clock: Clock;
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;
  private readonly spamBurst: number;
  private readonly spamRefillMs: number;
  private readonly aggregates = new Lru<{ localKeys: Set<string>; last: number }>(4096);
  private readonly observations = new Lru<Observation>(4096);
  private readonly spam = new Lru<{ tokens: number; last: number }>(4096);
  private nameSeq = 0n;

  constructor(opts: CorrelatorOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.maxEvents = opts.maxEvents ?? 10;
    this.maxIntervalMs = opts.maxIntervalMs ?? 600_000;
    this.spamBurst = opts.spamBurst ?? 25;
    this.spamRefillMs = opts.spamRefillMs ?? 300_000;
  }

  /** `<object name>.<hex nanoseconds>`, unique within this process. */
  eventName(objectName: string): string {
    let ns = BigInt(this.clock.now()) * 1_000_000n;
    if (ns <= this.nameSeq) ns = this.nameSeq + 1n;
    this.nameSeq = ns;
    return `${objectName}.${ns.toString(16)}`;
  }

  private static objectKey(e: CoreEvent): string[] {
    const o = e.involvedObject;
    return [o.kind ?? '', o.namespace ?? '', o.name ?? '', o.uid ?? '', o.apiVersion ?? ''];
  }

  private static eventKey(e: CoreEvent): string {
    const o = e.involvedObject;
    return JSON.stringify([e.source.component ?? '', e.source.host ?? '', o.kind ?? '', o.namespace ?? '', o.name ?? '', o.fieldPath ?? '', o.uid ?? '', o.apiVersion ?? '', e.type, e.reason, e.message]);
  }

  correlate(input: CoreEvent): CorrelateResult {
    const now = this.clock.now();
    // Aggregation of similar events (same reason, different messages).
    const aggKey = JSON.stringify([
      input.source.component ?? '',
      input.source.host ?? '',
      ...EventCorrelator.objectKey(input),
      input.type,
      input.reason,
      input.reportingComponent,
      input.reportingInstance,
    ]);
    let rec = this.aggregates.get(aggKey);
    if (!rec || now - rec.last > this.maxIntervalMs) rec = { localKeys: new Set(), last: 0 };
    rec.localKeys.add(input.message);
    rec.last = now;
    this.aggregates.set(aggKey, rec);
    let event = input;
    let key = EventCorrelator.eventKey(input);
    if (rec.localKeys.size >= this.maxEvents) {
      rec.localKeys.delete(rec.localKeys.values().next().value!);
      const t = rfc3339(new Date(now));
      event = {
        ...input,
        metadata: { name: this.eventName(input.involvedObject.name ?? ''), namespace: input.metadata?.namespace },
        count: 1,
        firstTimestamp: t,
        lastTimestamp: t,
        message: AGGREGATE_PREFIX + input.message,
      };
      key = aggKey;
    }
    // De-duplication into a count.
    event = structuredClone(event);
    const last = this.observations.get(key);
    let patch: CorrelateResult['patch'];
    if (last && last.count > 0) {
      event.metadata = { ...event.metadata, name: last.name, resourceVersion: last.resourceVersion };
      event.firstTimestamp = last.firstTimestamp;
      event.count = last.count + 1;
      patch = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.observations.set(key, { count: event.count, firstTimestamp: event.firstTimestamp, name: event.metadata!.name!, resourceVersion: event.metadata?.resourceVersion });
    // Spam filter per source and object.
    const spamKey = JSON.stringify([event.source.component ?? '', event.source.host ?? '', ...EventCorrelator.objectKey(event), event.type]);
    let bucket = this.spam.get(spamKey);
    if (!bucket) bucket = { tokens: this.spamBurst, last: now };
    bucket.tokens = Math.min(this.spamBurst, bucket.tokens + (now - bucket.last) / this.spamRefillMs);
    bucket.last = now;
    let skip = false;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else skip = true;
    this.spam.set(spamKey, bucket);
    return { event, patch, skip, key };
  }

  /** Remembers what the server returned (name, resourceVersion) for later repeats. */
  updateState(key: string, written: CoreEvent): void {
    this.observations.set(key, {
      count: written.count ?? 1,
      firstTimestamp: written.firstTimestamp,
      name: written.metadata?.name ?? '',
      resourceVersion: written.metadata?.resourceVersion,
    });
  }
}

export interface ApiEventRecorderOptions {
  api: Pick<Api, 'create' | 'patch'>;
  /** source.component, e.g. `deployment-controller`. */
  component: string;
  host?: string;
  clock?: Clock;
  correlator?: EventCorrelator;
  /** Attempts per event when the server cannot be reached (default 3). */
  maxTries?: number;
  retryDelayMs?: number;
}

/** Writes events through the API in the background (upstream's broadcaster + recordToSink). */
export class ApiEventRecorder implements EventRecorder {
  private readonly api: Pick<Api, 'create' | 'patch'>;
  private readonly source: { component: string; host?: string };
  private readonly clock: Clock;
  readonly correlator: EventCorrelator;
  private readonly maxTries: number;
  private readonly retryDelayMs: number;
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: ApiEventRecorderOptions) {
    this.api = opts.api;
    this.source = opts.host ? { component: opts.component, host: opts.host } : { component: opts.component };
    this.clock = opts.clock ?? realClock;
    this.correlator = opts.correlator ?? new EventCorrelator({ clock: this.clock });
    this.maxTries = opts.maxTries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
  }

  /** The event as makeEvent builds it, before correlation. */
  makeEvent(obj: KubeObject, type: EventType, reason: string, message: string): CoreEvent {
    const ref = objectReference(obj);
    const t = rfc3339(new Date(this.clock.now()));
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.correlator.eventName(ref.name ?? ''), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      source: { ...this.source },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    const result = this.correlator.correlate(this.makeEvent(obj, type, reason, message));
    if (result.skip) return;
    this.tail = this.tail.then(() => this.write(result));
  }

  private async write(r: CorrelateResult): Promise<void> {
    const ns = r.event.metadata?.namespace;
    for (let attempt = 1; attempt <= this.maxTries && !this.stopped; attempt++) {
      try {
        let written: CoreEvent | undefined;
        if (r.patch) {
          try {
            written = await this.api.patch<CoreEvent>(EVENTS, ns, r.event.metadata!.name!, r.patch, 'strategic');
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
        if (!written) {
          const body = structuredClone(r.event);
          delete body.metadata!.resourceVersion;
          written = await this.api.create<CoreEvent>(EVENTS, ns, body);
        }
        this.correlator.updateState(r.key, written);
        return;
      } catch (err) {
        // The server answered: the request itself is the problem, retrying will not help.
        if (err instanceof ApiStatusError) {
          if (err.reason !== 'AlreadyExists') log.debug({ err: err.message, reason: r.event.reason }, 'event rejected');
          return;
        }
        if (attempt < this.maxTries) await this.clock.sleep(this.retryDelayMs * attempt);
        else log.debug({ err: (err as Error).message }, 'event dropped after retries');
      }
    }
  }

  /** Resolves once the events recorded so far are written (or given up on). */
  flush(): Promise<void> {
    return this.tail;
  }

  stop(): void {
    this.stopped = true;
  }
}

/** Collects events as `<type> <reason> <message>` strings (client-go's FakeRecorder). */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];
  readonly objects: KubeObject[] = [];
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
    this.objects.push(obj);
  }
}
