// ReadIndex bookkeeping on the leader (Raft thesis §6.4): each read request remembers the
// commit index at the time it arrived, and is answered once a quorum has acknowledged a
// heartbeat sent after it — proof that this node was still the leader when the read came
// in. Requests are answered in arrival order; an acknowledgement of a later request also
// confirms every earlier one.
import type { Message } from './types.ts';

export type ReadOnlyOption = 'safe' | 'leaseBased';

export interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<number>;
}

/** A request context as a map key. */
export function ctxKey(ctx: Uint8Array | undefined): string {
  return ctx === undefined ? '' : Buffer.from(ctx.buffer, ctx.byteOffset, ctx.byteLength).toString('latin1');
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  /** Queues a read at commit index `index`; a duplicate context is ignored. */
  addRequest(index: number, m: Message): void {
    const key = ctxKey(m.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records that `id` acknowledged the heartbeat carrying `ctx`; returns who has so far. */
  recvAck(id: number, ctx: Uint8Array | undefined): Set<number> | undefined {
    const rs = this.pending.get(ctxKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Dequeues and returns every request up to and including the one with `ctx`. */
  advance(ctx: Uint8Array | undefined): ReadIndexStatus[] {
    const key = ctxKey(ctx);
    const pos = this.queue.indexOf(key);
    if (pos < 0) return [];
    const done = this.queue.splice(0, pos + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.pending.get(k);
      if (rs) out.push(rs);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request, piggybacked on regular heartbeats. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)?.req.context;
  }

  get size(): number {
    return this.queue.length;
  }
}
