// The replicated Store: etcd's data model over a Raft group of MVCC replicas. Every write
// goes through the log (proposed here, forwarded to the leader when we are not it) and
// returns once this replica has applied it; reads are linearizable by default (ReadIndex,
// then the local backend), serializable on request; watches are served from this replica's
// own watch hub. A one-member group is the embedded default and can grow later
// (`addMember`) without a migration.
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
  TxnOp,
  TxnRequest,
  TxnResult,
  Watch,
  WatchListener,
  WatchOptions,
} from '../store.ts';
import { StoreError, errors } from '../errors.ts';
import { toBuffer } from '../bytes.ts';
import { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_QUOTA_BYTES, validateTxn } from '../validate-request.ts';
import { MAX_LEASE_TTL, effectiveTtl } from '../lessor.ts';
import type { CommandResult, MvccBackend } from '../mvcc/backend.ts';
import type { Command } from '../mvcc/commands.ts';
import { logger } from '../../lib/logger.ts';
import { Replica, encodeMemberContext, memberId, type MemberInfo, type ReplicaOptions, type ReplicaStatus } from './replica.ts';

export interface ReplicatedStoreOptions extends Omit<ReplicaOptions, 'log'> {
  /** Refuse puts once the data on disk would exceed this (etcd's --quota-backend-bytes). */
  quotaBytes?: number;
  /** Largest accepted request (etcd's --max-request-bytes). */
  maxRequestBytes?: number;
  /** Period of progress notifications to watchers that ask for them (etcd: 10 min). */
  progressNotifyIntervalMs?: number;
}

/** `serializable`: read this replica's state without a ReadIndex round (may be stale). */
export type ReplicatedRangeOptions = RangeOptions & { serializable?: boolean };

export async function openReplicatedStore(options: ReplicatedStoreOptions): Promise<ReplicatedStore> {
  const log = logger.child({ component: 'replica', member: options.name });
  const replica = await Replica.open({
    ...options,
    log: (level, obj, msg) => log[level](obj as object, msg),
  });
  return new ReplicatedStore(replica, options);
}

export class ReplicatedStore implements Store {
  private closed = false;
  private readonly maxRequestBytes: number;
  private readonly quotaBytes: number;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly replica: Replica,
    options: ReplicatedStoreOptions,
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.quotaBytes = options.quotaBytes ?? DEFAULT_QUOTA_BYTES;
    const progress = setInterval(() => replica.backend.hub.notifyProgress(), options.progressNotifyIntervalMs ?? 10 * 60 * 1000);
    progress.unref();
    this.timers.push(progress);
  }

  private get backend(): MvccBackend {
    return this.replica.backend;
  }

  // ---- reads ----

  async range(key: Bytes, options: ReplicatedRangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    if (!options.serializable) await this.replica.readBarrier();
    return this.local((b) => b.range(toBuffer(key), options));
  }

  /** Runs a read on the local backend, retrying once if a snapshot install replaced it meanwhile. */
  private async local<T>(fn: (b: MvccBackend) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.replica.restoring) await this.replica.restoring;
      const epoch = this.replica.restoreEpoch;
      try {
        return await fn(this.backend);
      } catch (e) {
        if (attempt === 0 && epoch !== this.replica.restoreEpoch && !(e instanceof StoreError)) continue;
        throw e;
      }
    }
  }

  // ---- writes ----

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
    this.checkOpen();
    validateTxn(request, this.maxRequestBytes);
    this.checkQuota(request);
    return (await this.submit({ type: 'txn', txn: request })) as TxnResult;
  }

  /**
   * etcd's quota check, made before proposing (as etcd's quota KV server does) so that
   * applying a committed entry stays deterministic on every replica. Once a put is refused,
   * every put is refused until restart (etcd's NOSPACE alarm); deletes still work.
   */
  private checkQuota(request: TxnRequest): void {
    const putBytes = (ops: TxnOp[] | undefined) =>
      (ops ?? []).reduce((n, op) => (op.type === 'put' ? n + toBuffer(op.key).length + toBuffer(op.value).length + 64 : n), 0);
    const bytes = Math.max(putBytes(request.success), putBytes(request.failure));
    if (bytes === 0) return;
    if (!this.replica.noSpaceAlarm && this.backend.sizeBytes + bytes > this.quotaBytes) {
      this.replica.noSpaceAlarm = true;
      // Raise it on every member, as etcd does, so that no member accepts puts either.
      this.replica.submit({ type: 'alarm', alarm: 'NOSPACE' }).catch(() => undefined);
    }
    if (this.replica.noSpaceAlarm) throw errors.noSpace();
  }

  /** Active alarms (etcd's Maintenance Alarm GET): NOSPACE once raised on this member. */
  async alarms(): Promise<Array<'NOSPACE' | 'CORRUPT'>> {
    this.checkOpen();
    return this.replica.noSpaceAlarm ? ['NOSPACE'] : [];
  }

  async leaseGrant(ttl: number, id = 0): Promise<LeaseGrantResult> {
    this.checkOpen();
    if (ttl > MAX_LEASE_TTL) throw errors.leaseTtlTooLarge();
    const granted = effectiveTtl(ttl);
    const leaseId = id > 0 ? id : randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
    await this.submit({ type: 'leaseGrant', id: leaseId, ttl: granted });
    return { id: leaseId, ttl: granted };
  }

  async leaseRevoke(id: LeaseId): Promise<ResponseHeader> {
    this.checkOpen();
    const r = (await this.submit({ type: 'leaseRevoke', id })) as { revision: number };
    return { revision: r.revision };
  }

  async leaseKeepAlive(id: LeaseId): Promise<number> {
    this.checkOpen();
    return this.replica.leaseKeepAlive(id);
  }

  async leaseTimeToLive(id: LeaseId, options: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> {
    this.checkOpen();
    await this.replica.readBarrier();
    const lease = this.backend.leases.get(id);
    if (!lease) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    const remaining = await this.replica.leaseRemaining(id);
    if (remaining < 0) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    const keys = options.keys ? [...lease.keys].sort().map((k) => Buffer.from(k, 'latin1')) : [];
    return { id, ttl: remaining, grantedTtl: lease.ttl, keys };
  }

  async leases(): Promise<LeaseId[]> {
    this.checkOpen();
    await this.replica.readBarrier();
    return [...this.backend.leases.keys()];
  }

  async watch(key: Bytes, options: WatchOptions, listener: WatchListener): Promise<Watch> {
    this.checkOpen();
    if (this.replica.restoring) await this.replica.restoring;
    return this.backend.hub.add(toBuffer(key), options, listener);
  }

  async compact(revision: number): Promise<ResponseHeader> {
    this.checkOpen();
    const r = (await this.submit({ type: 'compact', revision })) as { revision: number };
    return { revision: r.revision };
  }

  async status(): Promise<StoreStatus> {
    this.checkOpen();
    return {
      header: { revision: this.backend.revision },
      compactRevision: this.backend.compactRevision,
      dbSize: this.backend.sizeBytes,
      quotaBytes: this.quotaBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.replica.close();
  }

  // ---- replication ----

  /** Raft state of this replica: leader, term, commit and applied index, members, counters. */
  replicaStatus(): ReplicaStatus {
    return this.replica.status();
  }

  members(): MemberInfo[] {
    return this.replica.memberList();
  }

  /**
   * Adds a member (a voter, or a learner that receives the log without voting). Start it
   * with `join: true` and the current members as peers; it catches up by snapshot.
   */
  async addMember(name: string, addr: string, options: { learner?: boolean } = {}): Promise<MemberInfo> {
    this.checkOpen();
    const id = memberId(name);
    await this.replica.changeMembership({
      type: options.learner ? 'addLearnerNode' : 'addNode',
      nodeId: id,
      context: encodeMemberContext({ name, addr }),
    });
    return { id, name, addr, learner: options.learner ?? false };
  }

  /** Makes a learner a voter. */
  async promoteMember(name: string): Promise<void> {
    this.checkOpen();
    const m = this.replica.memberByName(name);
    if (!m) throw new Error(`unknown member ${name}`);
    await this.replica.changeMembership({ type: 'addNode', nodeId: memberId(name), context: encodeMemberContext(m) });
  }

  async removeMember(name: string): Promise<void> {
    this.checkOpen();
    const id = this.replica.memberIdByName(name) ?? memberId(name);
    await this.replica.changeMembership({ type: 'removeNode', nodeId: id });
  }

  /** Asks the current leader to hand leadership to `name`. */
  transferLeadership(name: string): void {
    this.replica.transferLeadership(name);
  }

  // ---- internals ----

  private async submit(command: Command): Promise<CommandResult> {
    const r = await this.replica.submit(command);
    if (r instanceof StoreError) throw r;
    return r;
  }

  private checkOpen(): void {
    if (this.closed) throw errors.closed();
    this.replica.checkUsable();
  }
}

export { memberId };
export type { MemberInfo, ReplicaStatus };
