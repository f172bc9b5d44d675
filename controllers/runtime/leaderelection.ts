// Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection with
// a LeaseLock. The core is pure (records in, decisions out, time passed in); the elector is
// the shell that reads and writes the Lease through the API and keeps the timers.
//
// Like client-go, expiry is judged on the local clock: a lease is valid while less than
// leaseDurationSeconds passed since this candidate last *observed a change* of the record,
// so clock skew between candidates does not matter.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { realClock, type Clock } from './clock.ts';
import type { Api, ResourceRef } from './client.ts';
import { errorMessage, isNotFound } from './errors.ts';
import { rfc3339Micro, type KubeObject } from './types.ts';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'leaderelection' });

export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true, kind: 'Lease' };

/** What the lease holds (client-go's LeaderElectionRecord). Times are MicroTime strings. */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

export function recordFromLease(lease: KubeObject): LeaderElectionRecord {
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  const rec: LeaderElectionRecord = {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '',
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
  };
  if (typeof spec.acquireTime === 'string') rec.acquireTime = spec.acquireTime;
  if (typeof spec.renewTime === 'string') rec.renewTime = spec.renewTime;
  return rec;
}

export function leaseSpec(rec: LeaderElectionRecord): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    holderIdentity: rec.holderIdentity,
    leaseDurationSeconds: rec.leaseDurationSeconds,
    leaseTransitions: rec.leaseTransitions,
  };
  if (rec.acquireTime) spec.acquireTime = rec.acquireTime;
  if (rec.renewTime) spec.renewTime = rec.renewTime;
  return spec;
}

function raw(rec: LeaderElectionRecord): string {
  return JSON.stringify([rec.holderIdentity, rec.leaseDurationSeconds, rec.acquireTime ?? '', rec.renewTime ?? '', rec.leaseTransitions]);
}

export interface ElectionConfig {
  identity: string;
  /** Default 15. */
  leaseDurationSeconds: number;
}

/** The decision part of client-go's tryAcquireOrRenew and release. */
export class LeaderElectionCore {
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  private observed: LeaderElectionRecord | undefined;
  private observedRaw = '';
  private observedTime = 0;

  constructor(config: ElectionConfig) {
    this.identity = config.identity;
    this.leaseDurationSeconds = config.leaseDurationSeconds;
  }

  observedRecord(): LeaderElectionRecord | undefined {
    return this.observed;
  }

  /** The holder as last observed ('' when none). */
  leader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  isLeader(): boolean {
    return !!this.observed && this.observed.holderIdentity === this.identity;
  }

  /** Whether the observed lease has not expired (local time since the change was observed). */
  isLeaseValid(now: number): boolean {
    if (!this.observed) return false;
    return this.observedTime + this.observed.leaseDurationSeconds * 1000 > now;
  }

  /** After a successful write of `rec` (or to note the record read). */
  setObserved(rec: LeaderElectionRecord, now: number): void {
    this.observed = rec;
    this.observedRaw = raw(rec);
    this.observedTime = now;
  }

  /** A record this candidate writes when there is no lease yet. */
  newRecord(now: number): LeaderElectionRecord {
    const t = rfc3339Micro(new Date(now));
    return { holderIdentity: this.identity, leaseDurationSeconds: this.leaseDurationSeconds, acquireTime: t, renewTime: t, leaseTransitions: 0 };
  }

  /** The leader's renewal assuming the observed record is current (client-go's fast path). */
  renewRecord(now: number): LeaderElectionRecord | undefined {
    if (!this.isLeader() || !this.isLeaseValid(now)) return undefined;
    const t = rfc3339Micro(new Date(now));
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: this.observed!.acquireTime,
      renewTime: t,
      leaseTransitions: this.observed!.leaseTransitions,
    };
  }

  /**
   * Given the record stored now, the record to write (acquire or renew), or undefined when
   * another candidate holds a valid lease.
   */
  decide(stored: LeaderElectionRecord, now: number): LeaderElectionRecord | undefined {
    if (raw(stored) !== this.observedRaw) {
      this.observed = stored;
      this.observedRaw = raw(stored);
      this.observedTime = now;
    }
    if (stored.holderIdentity !== '' && this.isLeaseValid(now) && !this.isLeader()) return undefined;
    const t = rfc3339Micro(new Date(now));
    const rec: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: t,
      renewTime: t,
      leaseTransitions: stored.leaseTransitions,
    };
    if (this.isLeader()) rec.acquireTime = stored.acquireTime;
    else rec.leaseTransitions = stored.leaseTransitions + 1;
    return rec;
  }

  /** The record that gives the lease up (client-go's release), or undefined when not leading. */
  releaseRecord(now: number): LeaderElectionRecord | undefined {
    if (!this.isLeader()) return undefined;
    const t = rfc3339Micro(new Date(now));
    return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: t, renewTime: t, leaseTransitions: this.observed!.leaseTransitions };
  }
}

export interface LeaderElectorOptions {
  api: Pick<Api, 'get' | 'create' | 'update'>;
  namespace: string;
  name: string;
  /** Default `<hostname>_<uuid>`, as kube-controller-manager. */
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  onNewLeader?: (identity: string) => void;
  /** Give the lease up when stopped (default true). */
  releaseOnCancel?: boolean;
}

/** How a component (controller manager, scheduler) takes part in leader election. */
export interface LeaderElectionOptions {
  /** Default true; false runs the component at once, alone. */
  leaderElect?: boolean;
  /** Default kube-system. */
  leaseNamespace?: string;
  /** Default: the component's own lease (kube-controller-manager, kube-scheduler). */
  leaseName?: string;
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Runs `onStart` while this process leads the component's lease (and `onStop` when it stops
 * leading), or at once when leader election is off. Returns the elector, if any.
 */
export function leadOrRun(
  api: LeaderElectorOptions['api'],
  opts: LeaderElectionOptions,
  defaultLeaseName: string,
  onStart: () => void,
  onStop: () => void | Promise<void>,
): LeaderElector | undefined {
  if (opts.leaderElect === false) {
    onStart();
    return undefined;
  }
  const elector = new LeaderElector({
    api,
    namespace: opts.leaseNamespace ?? 'kube-system',
    name: opts.leaseName ?? defaultLeaseName,
    identity: opts.identity,
    leaseDurationSeconds: opts.leaseDurationSeconds,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    onStartedLeading: onStart,
    onStoppedLeading: onStop,
  });
  void elector.run();
  return elector;
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** Runs elections until stopped: acquire, lead while renewals succeed, and again after a loss. */
export class LeaderElector {
  readonly identity: string;
  readonly core: LeaderElectionCore;
  private readonly opts: LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly retryMs: number;
  private readonly renewDeadlineMs: number;
  private lease: KubeObject | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private reportedLeader = '';
  private leading = false;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.core = new LeaderElectionCore({ identity: this.identity, leaseDurationSeconds: opts.leaseDurationSeconds ?? 15 });
    this.clock = opts.clock ?? realClock;
    this.retryMs = opts.retryPeriodMs ?? 2000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    if (this.renewDeadlineMs >= this.core.leaseDurationSeconds * 1000) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryMs * 1.2) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
  }

  /** Whether this candidate currently leads (between onStartedLeading and onStoppedLeading). */
  isLeader(): boolean {
    return this.leading;
  }

  run(): Promise<void> {
    this.loop ??= this.main();
    return this.loop;
  }

  /** Stops; a leader gives its lease up first (releaseOnCancel) and onStoppedLeading runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.clock.after(ms, () => {
        this.wake = undefined;
        resolve();
      });
      this.wake = () => {
        t.cancel();
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** An API call bounded by a deadline. */
  private within<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.after(ms, () => reject(new Error(`lease request timed out after ${ms} ms`)));
    });
    return Promise.race([p, timeout]).finally(() => timer?.cancel());
  }

  private lockName(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  private async write(rec: LeaderElectionRecord): Promise<void> {
    const base = this.lease!;
    const next: KubeObject = { ...base, spec: { ...((base.spec as object) ?? {}), ...leaseSpec(rec) } };
    this.lease = await this.within(this.opts.api.update(LEASES, this.opts.namespace, next), this.renewDeadlineMs);
  }

  /** client-go's tryAcquireOrRenew: true when this candidate holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const fast = this.core.renewRecord(now);
    if (fast && this.lease) {
      try {
        await this.write(fast);
        this.core.setObserved(fast, now);
        return true;
      } catch (err) {
        log.debug({ err: errorMessage(err), lock: this.lockName() }, 'optimistic lease update failed; reading it');
      }
    }
    let lease: KubeObject;
    try {
      lease = await this.within(this.opts.api.get(LEASES, this.opts.namespace, this.opts.name), this.renewDeadlineMs);
    } catch (err) {
      if (!isNotFound(err)) {
        log.debug({ err: errorMessage(err), lock: this.lockName() }, 'reading the lease failed');
        return false;
      }
      const rec = this.core.newRecord(now);
      try {
        this.lease = await this.within(
          this.opts.api.create(LEASES, this.opts.namespace, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.opts.name, namespace: this.opts.namespace },
            spec: leaseSpec(rec),
          }),
          this.renewDeadlineMs,
        );
      } catch (cerr) {
        log.debug({ err: errorMessage(cerr), lock: this.lockName() }, 'creating the lease failed');
        return false;
      }
      this.core.setObserved(rec, now);
      return true;
    }
    this.lease = lease;
    const rec = this.core.decide(recordFromLease(lease), now);
    this.noteLeader();
    if (!rec) return false;
    try {
      await this.write(rec);
    } catch (err) {
      log.debug({ err: errorMessage(err), lock: this.lockName() }, 'updating the lease failed');
      return false;
    }
    this.core.setObserved(rec, now);
    return true;
  }

  private noteLeader(): void {
    const leader = this.core.leader();
    if (leader && leader !== this.reportedLeader) {
      this.reportedLeader = leader;
      if (leader !== this.identity) log.info({ lock: this.lockName(), leader }, 'new leader elected');
      this.opts.onNewLeader?.(leader);
    }
  }

  private async acquire(): Promise<boolean> {
    log.info({ lock: this.lockName(), identity: this.identity }, 'attempting to acquire leader lease');
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) {
        this.noteLeader();
        log.info({ lock: this.lockName(), identity: this.identity }, 'successfully acquired lease');
        return true;
      }
      // client-go's JitterUntil with factor 1.2.
      await this.sleep(this.retryMs * (1 + Math.random() * 1.2));
    }
    return false;
  }

  /** Renews every retry period; returns when a renewal misses the renew deadline, or when stopped. */
  private async renew(): Promise<void> {
    while (!this.stopped) {
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let ok = false;
      while (!this.stopped) {
        if (await this.tryAcquireOrRenew()) {
          ok = true;
          break;
        }
        if (this.clock.now() + this.retryMs > deadline) break;
        await this.sleep(this.retryMs);
      }
      if (this.stopped) return;
      if (!ok) {
        log.warn({ lock: this.lockName(), identity: this.identity }, 'failed to renew lease: leader election lost');
        return;
      }
      await this.sleep(this.retryMs);
    }
  }

  private async release(): Promise<void> {
    const rec = this.core.releaseRecord(this.clock.now());
    if (!rec || !this.lease) return;
    try {
      await this.write(rec);
      this.core.setObserved(rec, this.clock.now());
    } catch (err) {
      log.warn({ err: errorMessage(err), lock: this.lockName() }, 'failed to release the lease');
    }
  }

  private async main(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.acquire())) break;
      this.leading = true;
      try {
        await this.opts.onStartedLeading();
      } catch (err) {
        log.error({ err }, 'onStartedLeading failed');
      }
      await this.renew();
      this.leading = false;
      try {
        await this.opts.onStoppedLeading();
      } catch (err) {
        log.error({ err }, 'onStoppedLeading failed');
      }
      if (this.stopped && this.opts.releaseOnCancel !== false) await this.release();
    }
  }
}
