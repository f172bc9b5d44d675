// The kubelet's crash-loop back-off (flowcontrol.Backoff keyed by container): a container that
// exits is restarted at once the first time; after that, not before its last finish plus a
// delay that starts at 10 s and doubles up to 5 min. A container that stayed up for twice the
// maximum since the previous restart starts over from no delay.

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class CrashLoopBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs = 10_000,
    readonly maxMs = 300_000,
  ) {}

  private live(key: string, at: number): Entry | undefined {
    const e = this.entries.get(key);
    return e && at - e.lastUpdate <= 2 * this.maxMs ? e : undefined;
  }

  /** When the container of `key`, finished at `finishedAt`, may start again. */
  restartAt(key: string, finishedAt: number): number {
    const e = this.live(key, finishedAt);
    return e ? finishedAt + e.backoffMs : finishedAt;
  }

  /** The delay being waited out (for the CrashLoopBackOff message). */
  delayMs(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** The container restarts now: the next wait doubles. */
  restarted(key: string, finishedAt: number): void {
    const e = this.live(key, finishedAt);
    this.entries.set(key, { backoffMs: e ? Math.min(this.maxMs, e.backoffMs * 2) : this.initialMs, lastUpdate: finishedAt });
  }

  /** Drops the entries of keys starting with `prefix` (a pod's, once it is gone). */
  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
