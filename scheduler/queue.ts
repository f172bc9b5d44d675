// The scheduling queue as upstream's PriorityQueue (without queueing hints):
// - activeQ: pods ready to be tried, highest priority first, then the longest waiting;
// - backoffQ: pods that failed recently, until their back-off (1 s doubling to 10 s per
//   attempt) expires;
// - unschedulable: pods no node fits, parked until a cluster event (a node added or changed,
//   a pod deleted) may make them schedulable, or for at most 5 minutes. Pods with scheduling
//   gates wait there too, until the gates are removed.
// A pod that fails while a cluster event arrived during its attempt goes to backoffQ rather
// than unschedulable (the event might have been the one it needed): the moveRequestCycle rule.
import { realClock, type Clock, type TimerHandle } from '../controllers/runtime/clock.ts';
import { Heap } from '../controllers/runtime/heap.ts';
import type { Pod } from './types.ts';

export interface QueuedPodInfo {
  key: string;
  pod: Pod;
  /** When the pod was last added to a queue (orders activeQ, starts the back-off). */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** When it was first popped (for metrics and logs). */
  initialAttemptTimestamp?: number;
  /** Has scheduling gates: never popped until they are gone. */
  gated: boolean;
  /** The plugins that rejected it last (empty: unknown, any event may help). */
  unschedulablePlugins: Set<string>;
}

/**
 * Which plugins' rejections a cluster event may undo (upstream's EventsToRegister, roughly):
 * a pod parked by other plugins stays parked on that event.
 */
export const EVENT_PLUGINS: Record<string, readonly string[]> = {
  NodeAdd: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
  NodeUpdate: ['NodeUnschedulable', 'TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
  AssignedPodAdd: ['PodTopologySpread', 'InterPodAffinity'],
  AssignedPodUpdate: ['PodTopologySpread', 'InterPodAffinity'],
  AssignedPodDelete: ['NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity'],
  PersistentVolumeClaimAdd: ['VolumeBinding'],
  PersistentVolumeClaimUpdate: ['VolumeBinding'],
  StorageClassAdd: ['VolumeBinding'],
  StorageClassUpdate: ['VolumeBinding'],
};

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest stay in unschedulable without a cluster event (upstream podMaxInUnschedulablePodsDuration). */
  maxUnschedulableMs?: number;
  /** How often back-offs and the unschedulable leftovers are checked. */
  backoffFlushMs?: number;
  unschedulableFlushMs?: number;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

function priority(pod: Pod): number {
  return typeof pod.spec?.priority === 'number' ? pod.spec.priority : 0;
}

/** Whether an update may change the scheduling outcome: anything but status and bookkeeping metadata (isPodUpdated). */
export function isPodUpdated(oldPod: Pod | undefined, newPod: Pod): boolean {
  if (!oldPod) return true;
  const strip = (p: Pod) => {
    const { status: _s, metadata, ...rest } = p;
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = metadata ?? {};
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return strip(oldPod) !== strip(newPod);
}

type Where = 'active' | 'backoff' | 'unschedulable';

interface Entry {
  info: QueuedPodInfo;
  /** Bumped whenever the pod moves, so stale heap entries are recognised. */
  seq: number;
  /** backoffQ: when the back-off ends. */
  readyAt: number;
  /** activeQ order, fixed when placed (heap keys must not change under the heap). */
  prio: number;
  ts: number;
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly where = new Map<string, { in: Where; entry: Entry }>();
  private readonly active = new Heap<Entry>((a, b) => (a.prio !== b.prio ? a.prio > b.prio : a.ts !== b.ts ? a.ts < b.ts : a.seq < b.seq));
  private readonly backoff = new Heap<Entry>((a, b) => (a.readyAt !== b.readyAt ? a.readyAt < b.readyAt : a.seq < b.seq));
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  private seq = 0;
  private cycle = 0;
  private moveRequestCycle = -1;
  private waiters: ((info: QueuedPodInfo | undefined) => void)[] = [];
  private closed = false;
  private timers: TimerHandle[] = [];
  private readonly backoffFlushMs: number;
  private readonly unschedulableFlushMs: number;

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.backoffFlushMs = opts.backoffFlushMs ?? 1000;
    this.unschedulableFlushMs = opts.unschedulableFlushMs ?? 30_000;
  }

  /** Starts the periodic flushes (back-offs every second, unschedulable leftovers every 30 s). */
  run(): void {
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed) return;
        fn();
        this.timers.push(this.clock.after(ms, tick));
      };
      this.timers.push(this.clock.after(ms, tick));
    };
    every(this.backoffFlushMs, () => this.flushBackoffCompleted());
    every(this.unschedulableFlushMs, () => this.flushUnschedulableLeftover());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** The scheduling cycle of the last pop. */
  schedulingCycle(): number {
    return this.cycle;
  }

  // --- introspection ----------------------------------------------------------------------

  /** Where a pod waits ('' when in none, 'inflight' while being scheduled). */
  locate(key: string): Where | 'inflight' | '' {
    const w = this.where.get(key);
    if (w) return w.in;
    return this.inFlight.has(key) ? 'inflight' : '';
  }

  counts(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    const c = { active: 0, backoff: 0, unschedulable: 0, inFlight: this.inFlight.size };
    for (const w of this.where.values()) c[w.in]++;
    return c;
  }

  // --- adding -----------------------------------------------------------------------------

  private place(info: QueuedPodInfo, where: Where): void {
    const entry: Entry = { info, seq: ++this.seq, readyAt: 0, prio: priority(info.pod), ts: info.timestamp };
    if (where === 'backoff') entry.readyAt = this.backoffExpiry(info);
    this.where.set(info.key, { in: where, entry });
    if (where === 'active') {
      this.active.push(entry);
      this.wake();
    } else if (where === 'backoff') this.backoff.push(entry);
  }

  private newInfo(pod: Pod): QueuedPodInfo {
    return { key: podKey(pod), pod, timestamp: this.clock.now(), attempts: 0, gated: (pod.spec?.schedulingGates ?? []).length > 0, unschedulablePlugins: new Set() };
  }

  /** A new unscheduled pod (gated pods wait in unschedulable). */
  add(pod: Pod): void {
    if (this.closed) return;
    const info = this.newInfo(pod);
    const cur = this.where.get(info.key);
    if (cur) {
      cur.entry.info.pod = pod;
      return;
    }
    this.place(info, info.gated ? 'unschedulable' : 'active');
  }

  /** An unscheduled pod changed. */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    if (this.closed) return;
    const key = podKey(newPod);
    const cur = this.where.get(key);
    if (cur && (cur.in === 'active' || cur.in === 'backoff')) {
      cur.entry.info.pod = newPod;
      return;
    }
    if (cur && cur.in === 'unschedulable') {
      const info = cur.entry.info;
      info.pod = newPod;
      info.gated = (newPod.spec?.schedulingGates ?? []).length > 0;
      if (info.gated || !isPodUpdated(oldPod, newPod)) return;
      this.where.delete(key);
      this.place(info, this.isBackingOff(info) ? 'backoff' : 'active');
      return;
    }
    const flying = this.inFlight.get(key);
    if (flying) {
      // Being scheduled: the attempt sees the old pod; a change worth another try is queued.
      flying.pod = newPod;
      if (!isPodUpdated(oldPod, newPod)) return;
    }
    const info = this.newInfo(newPod);
    if (flying) info.attempts = flying.attempts;
    this.place(info, info.gated ? 'unschedulable' : 'active');
  }

  /** The pod is gone (deleted, or assigned by someone). */
  delete(pod: Pod): void {
    const key = podKey(pod);
    this.where.delete(key);
  }

  // --- popping ----------------------------------------------------------------------------

  private takeActive(): QueuedPodInfo | undefined {
    for (;;) {
      const e = this.active.pop();
      if (!e) return undefined;
      const cur = this.where.get(e.info.key);
      if (!cur || cur.entry !== e) continue; // stale
      this.where.delete(e.info.key);
      const info = e.info;
      info.attempts++;
      info.initialAttemptTimestamp ??= this.clock.now();
      this.cycle++;
      this.inFlight.set(info.key, info);
      return info;
    }
  }

  /** The next pod to schedule, waiting for one; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const info = this.takeActive();
    if (info) return Promise.resolve(info);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    while (this.waiters.length) {
      const info = this.takeActive();
      if (!info) return;
      this.waiters.shift()!(info);
    }
  }

  /** The attempt of a popped pod ended (scheduled, or re-queued by the calls below). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  // --- failures ---------------------------------------------------------------------------

  /** podBackoffDuration: initial * 2^(attempts-1), at most the max. */
  backoffDuration(info: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < info.attempts; i++) {
      d *= 2;
      if (d > this.maxBackoffMs) return this.maxBackoffMs;
    }
    return d;
  }

  private backoffExpiry(info: QueuedPodInfo): number {
    return info.timestamp + this.backoffDuration(info);
  }

  private isBackingOff(info: QueuedPodInfo): boolean {
    // Never tried (e.g. it waited for its scheduling gates): nothing to back off from.
    if (info.attempts === 0) return false;
    return this.backoffExpiry(info) > this.clock.now();
  }

  /**
   * A popped pod failed: unschedulable (no node fits) parks it until a cluster event, unless
   * one arrived during its attempt (then back-off); an error backs it off.
   */
  requeueFailed(info: QueuedPodInfo, podSchedulingCycle: number, unschedulable: boolean, plugins: Iterable<string> = []): void {
    this.inFlight.delete(info.key);
    if (this.closed || this.where.has(info.key)) return; // re-added meanwhile (e.g. updated)
    info.timestamp = this.clock.now();
    info.unschedulablePlugins = new Set(plugins);
    if (info.gated) this.place(info, 'unschedulable');
    else if (!unschedulable || this.moveRequestCycle >= podSchedulingCycle) this.place(info, 'backoff');
    else this.place(info, 'unschedulable');
  }

  /**
   * A cluster event that may make parked pods schedulable: those rejected by a plugin the
   * event concerns (or by no known plugin) move on.
   */
  moveAllToActiveOrBackoff(event = ''): void {
    if (this.closed) return;
    const concerned = EVENT_PLUGINS[event];
    for (const [key, w] of [...this.where]) {
      if (w.in !== 'unschedulable' || w.entry.info.gated) continue;
      const rejected = w.entry.info.unschedulablePlugins;
      if (concerned && rejected.size > 0 && !concerned.some((p) => rejected.has(p))) continue;
      this.where.delete(key);
      this.place(w.entry.info, this.isBackingOff(w.entry.info) ? 'backoff' : 'active');
    }
    this.moveRequestCycle = this.cycle;
  }

  /** Pods whose back-off ended go to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const e = this.backoff.peek();
      if (!e) return;
      const cur = this.where.get(e.info.key);
      if (!cur || cur.entry !== e) {
        this.backoff.pop();
        continue;
      }
      if (e.readyAt > now) return;
      this.backoff.pop();
      this.where.delete(e.info.key);
      this.place(e.info, 'active');
    }
  }

  /** Pods parked longer than the limit are tried again. */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    for (const [key, w] of [...this.where]) {
      if (w.in !== 'unschedulable' || w.entry.info.gated) continue;
      if (now - w.entry.info.timestamp < this.maxUnschedulableMs) continue;
      this.where.delete(key);
      this.place(w.entry.info, this.isBackingOff(w.entry.info) ? 'backoff' : 'active');
    }
  }
}
