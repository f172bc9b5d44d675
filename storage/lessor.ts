// Lease deadlines. Pure bookkeeping with the clock passed in: which leases are due, when
// each was last renewed. Expiry itself is a revoke applied through the write path (the log),
// decided by whoever owns this lessor (the leader).

/** etcd's minimum TTL with its default election timeout: 1.5 elections, rounded up to 2 s. */
export const MIN_LEASE_TTL = 2;
/** etcd's MaxLeaseTTL. */
export const MAX_LEASE_TTL = 9_000_000_000;

export class Lessor {
  private readonly deadlines = new Map<number, { ttl: number; deadline: number }>();

  /** Start (or restart, after a restore or leader change) the lease's full TTL. */
  renew(id: number, ttl: number, now: number): void {
    this.deadlines.set(id, { ttl, deadline: now + ttl * 1000 });
  }

  forget(id: number): void {
    this.deadlines.delete(id);
  }

  /** Remaining whole seconds, or undefined for an unknown lease. */
  remaining(id: number, now: number): number | undefined {
    const d = this.deadlines.get(id);
    return d && Math.max(0, Math.ceil((d.deadline - now) / 1000));
  }

  expired(now: number): number[] {
    const due: number[] = [];
    for (const [id, d] of this.deadlines) if (d.deadline <= now) due.push(id);
    return due;
  }
}

/** The TTL a grant actually gets: etcd raises small TTLs to the minimum. */
export function effectiveTtl(ttl: number): number {
  return Math.max(ttl, MIN_LEASE_TTL);
}
