// The single-node Store on LevelDB: a group-commit queue in front of the MVCC backend.
// Writes that arrive while a batch is being synced wait and go together in the next one,
// so N concurrent writers cost one fsync, not N.
import { randomInt } from 'node:crypto';
import type {
  Bytes,
  DeleteOptions,
  DeleteResult,
  LeaseGrantResult,
  LeaseId,
  LeaseTimeToLiveResult,
  PutOptions,
  PutResult,
  RangeOptions,
  RangeResult,
  ResponseHeader,
  Store,
  StoreStatus,
  TxnRequest,
  TxnResult,
  Watch,
  WatchListener,
  WatchOptions,
} from '../store.ts';
import { StoreError, errors } from '../errors.ts';
import { toBuffer } from '../bytes.ts';
import { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_QUOTA_BYTES, validateTxn } from '../validate-request.ts';
import { Lessor, MAX_LEASE_TTL, effectiveTtl } from '../lessor.ts';
import { MvccBackend, type CommandResult } from './backend.ts';
import type { Command } from './commands.ts';
import { logger } from '../../lib/logger.ts';

export interface MvccStoreOptions {
  dir: string;
  /** Refuse writes once the data on disk would exceed this (etcd's --quota-backend-bytes). */
  quotaBytes?: number;
  /** Largest accepted request (etcd's --max-request-bytes). */
  maxRequestBytes?: number;
  /** Period of progress notifications to watchers that ask for them (etcd: 10 min). */
  progressNotifyIntervalMs?: number;
  /** Most commands in one synced batch. */
  maxBatch?: number;
}

interface Pending {
  command: Command;
  resolve: (r: CommandResult) => void;
  reject: (e: unknown) => void;
}

const LEASE_CHECK_MS = 250;

export async function openMvccStore(options: MvccStoreOptions): Promise<MvccStore> {
  const log = logger.child({ component: 'mvcc' });
  const backend = await MvccBackend.open({
    dir: options.dir,
    quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    log: (err, msg) => log.error({ err }, msg),
  });
  return new MvccStore(backend, options);
}

export class MvccStore implements Store {
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private readonly lessor = new Lessor();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly maxRequestBytes: number;
  private readonly maxBatch: number;

  constructor(
    private readonly backend: MvccBackend,
    private readonly options: MvccStoreOptions,
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxBatch = options.maxBatch ?? 1024;
    // As etcd's lessor on promotion: every restored lease gets its full TTL again.
    for (const lease of backend.leases.values()) this.lessor.renew(lease.id, lease.ttl, Date.now());
    this.timers.push(setInterval(() => this.expireLeases(), LEASE_CHECK_MS));
    this.timers.push(setInterval(() => backend.hub.notifyProgress(), options.progressNotifyIntervalMs ?? 10 * 60 * 1000));
    for (const t of this.timers) t.unref();
  }

  // ---- reads: served from the committed state, no queueing ----

  async range(key: Bytes, options: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    return this.backend.range(toBuffer(key), options);
  }

  // ---- writes: through the group-commit queue ----

  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const r = await this.txn({ success: [{ type: 'put', key, value, ...options }] });
    const op = r.responses[0]!;
    return op.type === 'put' && op.prevKv ? { header: r.header, prevKv: op.prevKv } : { header: r.header };
  }

  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const r = await this.txn({ success: [{ type: 'delete', key, ...options }] });
    const op = r.responses[0]!;
    if (op.type !== 'delete') throw new Error('unexpected txn response');
    return { header: r.header, deleted: op.deleted, prevKvs: op.prevKvs };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    validateTxn(request, this.maxRequestBytes);
    return (await this.submit({ type: 'txn', txn: request })) as TxnResult;
  }

  async leaseGrant(ttl: number, id = 0): Promise<LeaseGrantResult> {
    if (ttl > MAX_LEASE_TTL) throw errors.leaseTtlTooLarge();
    const granted = effectiveTtl(ttl);
    const leaseId = id > 0 ? id : randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
    await this.submit({ type: 'leaseGrant', id: leaseId, ttl: granted });
    this.lessor.renew(leaseId, granted, Date.now());
    return { id: leaseId, ttl: granted };
  }

  async leaseRevoke(id: LeaseId): Promise<ResponseHeader> {
    const r = (await this.submit({ type: 'leaseRevoke', id })) as { revision: number };
    this.lessor.forget(id);
    return { revision: r.revision };
  }

  async leaseKeepAlive(id: LeaseId): Promise<number> {
    this.checkOpen();
    const lease = this.backend.leases.get(id);
    if (!lease) throw errors.leaseNotFound();
    this.lessor.renew(id, lease.ttl, Date.now());
    return lease.ttl;
  }

  async leaseTimeToLive(id: LeaseId, options: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> {
    this.checkOpen();
    const lease = this.backend.leases.get(id);
    const remaining = this.lessor.remaining(id, Date.now());
    if (!lease || remaining === undefined) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    const keys = options.keys ? [...lease.keys].sort().map((k) => Buffer.from(k, 'latin1')) : [];
    return { id, ttl: remaining, grantedTtl: lease.ttl, keys };
  }

  async leases(): Promise<LeaseId[]> {
    this.checkOpen();
    return [...this.backend.leases.keys()];
  }

  async watch(key: Bytes, options: WatchOptions, listener: WatchListener): Promise<Watch> {
    this.checkOpen();
    return this.backend.hub.add(toBuffer(key), options, listener);
  }

  async compact(revision: number): Promise<ResponseHeader> {
    const r = (await this.submit({ type: 'compact', revision })) as { revision: number };
    return { revision: r.revision };
  }

  async status(): Promise<StoreStatus> {
    this.checkOpen();
    return {
      header: { revision: this.backend.revision },
      compactRevision: this.backend.compactRevision,
      dbSize: this.backend.sizeBytes,
      quotaBytes: this.options.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    };
  }

  /** Synced disk writes so far (each carries one or more grouped commands). */
  get syncedBatches(): number {
    return this.backend.batches;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.backend.close();
  }

  // ---- the queue ----

  private submit(command: Command): Promise<CommandResult> {
    this.checkOpen();
    return new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.flushing) void this.flush();
    }).then((r) => {
      if (r instanceof StoreError) throw r;
      return r;
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.backend.applyBatch(group.map((p) => p.command));
          group.forEach((p, i) => p.resolve(results[i]!));
        } catch (err) {
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private expireLeases(): void {
    for (const id of this.lessor.expired(Date.now())) {
      this.lessor.forget(id);
      this.leaseRevoke(id).catch(() => undefined); // already revoked: nothing to do
    }
  }

  private checkOpen(): void {
    if (this.closed) throw errors.closed();
  }
}
