// The Store interface over a real etcd (v3 API), through the etcd3 client's low-level
// gRPC clients so that every field maps one to one: revisions from response headers,
// prevKv, count/more, keysOnly/countOnly, txn compares/ops, leases, watch with
// startRevision/prevKv/progressNotify/requestProgress and the compacted cancel.
//
// Two etcd3 clients (two sets of gRPC channels) are used: one for unary calls and one for
// streams (watches and lease keep-alives). etcd3 resets a host's channels after errors it
// considers transient (e.g. RESOURCE_EXHAUSTED for "database space exceeded"); keeping the
// streams on their own channels means such a reset never breaks a live watch.
import {
  Etcd3,
  type ICompare,
  type IDuplexStream,
  type IKeyValue,
  type IOptions,
  type IRequestOp,
  type IResponseHeader,
  type IResponseOp,
  type IWatchRequest,
  type IWatchResponse,
  type ILeaseKeepAliveRequest,
  type ILeaseKeepAliveResponse,
} from 'etcd3';
import { toBuffer } from '../bytes.ts';
import { CompactedError, errors, StoreError } from '../errors.ts';
import type {
  Bytes,
  Compare,
  DeleteOptions,
  DeleteResult,
  KeyValue,
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
  TxnOpResult,
  TxnRequest,
  TxnResult,
  Watch,
  WatchListener,
  WatchOptions,
  WatchResponse,
} from '../store.ts';
import { isCompactedMessage, mapEtcdError } from './etcd-errors.ts';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379` (the scheme may be omitted). */
  endpoints: string[];
  /** How long openEtcdStore waits for etcd to answer; default 10 s. */
  connectTimeoutMs?: number;
  /**
   * The server's `--quota-backend-bytes`, reported by status() (etcd does not expose it);
   * default etcd's default, 2 GiB.
   */
  quotaBytes?: number;
}

const DEFAULT_QUOTA = 2 * 1024 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Conversions. etcd3 returns int64 fields as decimal strings.

function int(s: string | number | null | undefined): number {
  if (s === null || s === undefined || s === '') return 0;
  return typeof s === 'number' ? s : Number(s);
}

function leaseIdFromWire(s: string | number | null | undefined): LeaseId {
  // Lease ids chosen by this adapter fit in a double; a lease granted by another client
  // with a larger id is converted with loss of precision (documented limitation).
  return int(s);
}

function header(h: IResponseHeader | null | undefined): ResponseHeader {
  return { revision: int(h?.revision) };
}

function keyValue(kv: IKeyValue): KeyValue {
  return {
    key: Buffer.from(kv.key ?? Buffer.alloc(0)),
    value: Buffer.from(kv.value ?? Buffer.alloc(0)),
    createRevision: int(kv.create_revision),
    modRevision: int(kv.mod_revision),
    version: int(kv.version),
    lease: leaseIdFromWire(kv.lease),
  };
}

function optBuffer(b: Bytes | undefined): Buffer | undefined {
  return b === undefined ? undefined : toBuffer(b);
}

const compareTarget = {
  version: 'Version',
  createRevision: 'Create',
  modRevision: 'Mod',
  value: 'Value',
  lease: 'Lease',
} as const;

const compareResult = {
  '=': 'Equal',
  '!=': 'NotEqual',
  '<': 'Less',
  '>': 'Greater',
} as const;

function compareToWire(c: Compare): ICompare {
  const out: ICompare = {
    key: toBuffer(c.key),
    target: compareTarget[c.target],
    result: compareResult[c.result],
  };
  if (c.rangeEnd !== undefined) out.range_end = toBuffer(c.rangeEnd);
  if (c.target === 'value') {
    if (typeof c.value === 'number') throw new TypeError('a value compare needs bytes');
    out.value = toBuffer(c.value);
  } else {
    if (typeof c.value !== 'number') throw new TypeError(`a ${c.target} compare needs a number`);
    switch (c.target) {
      case 'version':
        out.version = c.value;
        break;
      case 'createRevision':
        out.create_revision = c.value;
        break;
      case 'modRevision':
        out.mod_revision = c.value;
        break;
      case 'lease':
        out.lease = c.value;
        break;
    }
  }
  return out;
}

function opToWire(op: TxnOp): IRequestOp {
  switch (op.type) {
    case 'put':
      return {
        request_put: {
          key: toBuffer(op.key),
          value: toBuffer(op.value),
          lease: op.lease ?? 0,
          prev_kv: op.prevKv ?? false,
        },
      };
    case 'delete':
      return {
        request_delete_range: {
          key: toBuffer(op.key),
          range_end: optBuffer(op.rangeEnd),
          prev_kv: op.prevKv ?? false,
        },
      };
    case 'range':
      return {
        request_range: {
          key: toBuffer(op.key),
          range_end: optBuffer(op.rangeEnd),
          limit: op.limit ?? 0,
          keys_only: op.keysOnly ?? false,
          count_only: op.countOnly ?? false,
        },
      };
  }
}

function opResultFromWire(r: IResponseOp & { response?: string }): TxnOpResult {
  const kind =
    r.response ??
    (r.response_put ? 'response_put' : r.response_delete_range ? 'response_delete_range' : 'response_range');
  switch (kind) {
    case 'response_put':
      return r.response_put.prev_kv ? { type: 'put', prevKv: keyValue(r.response_put.prev_kv) } : { type: 'put' };
    case 'response_delete_range':
      return {
        type: 'delete',
        deleted: int(r.response_delete_range.deleted),
        prevKvs: (r.response_delete_range.prev_kvs ?? []).map(keyValue),
      };
    case 'response_range':
      return {
        type: 'range',
        kvs: (r.response_range.kvs ?? []).map(keyValue),
        count: int(r.response_range.count),
        more: r.response_range.more ?? false,
      };
    default:
      throw new Error(`etcd store: unexpected txn response ${kind}`);
  }
}

function watchResponse(r: IWatchResponse): WatchResponse {
  const out: WatchResponse = {
    header: header(r.header),
    events: (r.events ?? []).map((ev) => {
      const e: WatchResponse['events'][number] = {
        type: ev.type === 'Delete' ? 'delete' : 'put',
        kv: keyValue(ev.kv),
      };
      if (ev.prev_kv) e.prevKv = keyValue(ev.prev_kv);
      return e;
    }),
  };
  if (r.canceled) {
    out.canceled = true;
    const cr = int(r.compact_revision);
    if (cr > 0) out.compactRevision = cr;
    if (r.cancel_reason) out.cancelReason = r.cancel_reason;
  }
  return out;
}

/** Random lease id in [1, Number.MAX_SAFE_INTEGER]. */
function randomLeaseId(): LeaseId {
  const hi = Math.floor(Math.random() * 0x200000); // 21 bits
  const lo = Math.floor(Math.random() * 0x100000000); // 32 bits
  return hi * 0x100000000 + lo || 1;
}

// A fault-handling policy that just runs the call: no retries (writes are not idempotent)
// and no circuit breaker (etcd's RESOURCE_EXHAUSTED "no space" must not block reads).
type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal) =>
    Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
} as unknown as Policy;

/** The call never reached the server: the connection to it could not be made. */
function notConnected(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /No connection established|ECONNREFUSED|EHOSTUNREACH|failed to connect/i.test(msg);
}

/**
 * Per host: after a call failed because the host could not be reached, the etcd3 client
 * skips that host (tries the next one) for a second, then lets one call through again.
 * Nothing else opens it, so that etcd's own errors (e.g. "no space") never block a host.
 */
function connectionBreaker(): Policy {
  let openUntil = 0;
  return {
    execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> => {
      const now = Date.now();
      if (now < openUntil) throw new Error('etcd3: host skipped: it could not be reached a moment ago');
      try {
        return await fn({ signal: signal ?? new AbortController().signal });
      } catch (e) {
        if (notConnected(e)) openUntil = Date.now() + 1000;
        throw e;
      }
    },
    onSuccess: () => ({ dispose() {} }),
    onFailure: () => ({ dispose() {} }),
  } as unknown as Policy;
}

function clientOptions(endpoints: string[]): IOptions {
  return {
    hosts: endpoints,
    // One endpoint: nothing to fail over to. Several (a cluster): skip one that is down.
    faultHandling: { global: passThrough, host: () => (endpoints.length > 1 ? connectionBreaker() : passThrough) },
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
  };
}

// ---------------------------------------------------------------------------------------

interface KeepAliveWaiter {
  resolve: (ttl: number) => void;
  reject: (e: unknown) => void;
}

class EtcdWatch implements Watch {
  private stopped = false;
  private finished = false;

  constructor(
    private readonly stream: IDuplexStream<IWatchRequest, IWatchResponse>,
    private readonly onDone: (w: EtcdWatch) => void,
  ) {}

  /** The listener may be called (false once cancel() was called or the watch ended). */
  get active(): boolean {
    return !this.stopped && !this.finished;
  }

  /** Called when the server ended the watch (canceled response or broken stream). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.close();
  }

  private close(): void {
    // end() first: it makes the stream non-writable, so etcd3 does not treat the
    // CANCELLED status that cancel() causes as a connection failure.
    try {
      this.stream.end();
    } catch {
      // already closed
    }
    try {
      this.stream.cancel();
    } catch {
      // already closed
    }
    this.onDone(this);
  }

  async cancel(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.finished) {
      this.finished = true;
      this.close();
    }
  }

  requestProgress(): void {
    if (!this.active) return;
    this.stream.write({ progress_request: {} });
  }
}

export class EtcdStore implements Store {
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();
  private keepAliveStream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> | undefined;
  private keepAliveOpening: Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> | undefined;
  private readonly keepAliveWaiters: KeepAliveWaiter[] = [];
  /** The last compact revision this store asked for (etcd has no API to read it). */
  private knownCompactRevision = 0;

  private constructor(
    private readonly rpc: Etcd3,
    private readonly streams: Etcd3,
    private readonly quotaBytes: number,
    private readonly endpointCount: number,
  ) {}

  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    if (options.endpoints.length === 0) throw new Error('openEtcdStore: no endpoints');
    const rpc = new Etcd3(clientOptions(options.endpoints));
    const streams = new Etcd3(clientOptions(options.endpoints));
    const store = new EtcdStore(rpc, streams, options.quotaBytes ?? DEFAULT_QUOTA, options.endpoints.length);
    const deadline = Date.now() + (options.connectTimeoutMs ?? 10000);
    for (;;) {
      try {
        await rpc.maintenance.status({ deadline: new Date(Date.now() + 2000) });
        return store;
      } catch (e) {
        if (Date.now() > deadline) {
          rpc.close();
          streams.close();
          throw new StoreError(
            'unavailable',
            `etcd at ${options.endpoints.join(',')} did not answer: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  // ---- helpers ----------------------------------------------------------------------

  private check(): void {
    if (this.closed) throw errors.closed();
  }

  private async fail(e: unknown): Promise<never> {
    if (isCompactedMessage(e)) throw new CompactedError(await this.currentCompactRevision());
    throw mapEtcdError(e);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    // A call that could not reach its endpoint was never sent: try again (the client moves to
    // another endpoint of a cluster), once per endpoint.
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt < this.endpointCount && notConnected(e)) continue;
        return this.fail(e);
      }
    }
  }

  /**
   * etcd's API has no "compact revision" read. A range at revision 1 fails iff the compact
   * revision is >= 2; then a watch from revision 1 is canceled by etcd with the compact
   * revision in the response.
   */
  private async currentCompactRevision(): Promise<number> {
    const probeKey = Buffer.from('\0k8ts-compact-revision-probe');
    try {
      await this.rpc.kv.range({ key: probeKey, revision: 1, count_only: true });
      return this.knownCompactRevision;
    } catch (e) {
      if (!isCompactedMessage(e)) return this.knownCompactRevision;
    }
    const stream = await this.streams.watchClient.watch();
    return new Promise<number>((resolve) => {
      let done = false;
      const finish = (rev: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          stream.end();
          stream.cancel();
        } catch {
          // closed
        }
        resolve(rev);
      };
      const timer = setTimeout(() => finish(this.knownCompactRevision), 5000);
      stream.on('data', (r) => {
        if (r.canceled) finish(Math.max(int(r.compact_revision), this.knownCompactRevision));
      });
      stream.on('error', () => finish(this.knownCompactRevision));
      stream.on('end', () => finish(this.knownCompactRevision));
      stream.write({ create_request: { key: probeKey, start_revision: 1 } });
    });
  }

  // ---- KV -----------------------------------------------------------------------------

  async range(key: Bytes, options: RangeOptions = {}): Promise<RangeResult> {
    const res = await this.call(() =>
      this.rpc.kv.range({
        key: toBuffer(key),
        range_end: optBuffer(options.rangeEnd),
        revision: options.revision ?? 0,
        limit: options.limit ?? 0,
        keys_only: options.keysOnly ?? false,
        count_only: options.countOnly ?? false,
        serializable: options.serializable ?? false,
      }),
    );
    return {
      header: header(res.header),
      kvs: (res.kvs ?? []).map(keyValue),
      count: int(res.count),
      more: res.more ?? false,
    };
  }

  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const res = await this.call(() =>
      this.rpc.kv.put({
        key: toBuffer(key),
        value: toBuffer(value),
        lease: options.lease ?? 0,
        prev_kv: options.prevKv ?? false,
      }),
    );
    const out: PutResult = { header: header(res.header) };
    if (res.prev_kv) out.prevKv = keyValue(res.prev_kv);
    return out;
  }

  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const res = await this.call(() =>
      this.rpc.kv.deleteRange({
        key: toBuffer(key),
        range_end: optBuffer(options.rangeEnd),
        prev_kv: options.prevKv ?? false,
      }),
    );
    return {
      header: header(res.header),
      deleted: int(res.deleted),
      prevKvs: (res.prev_kvs ?? []).map(keyValue),
    };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    const wire = {
      compare: (request.compare ?? []).map(compareToWire),
      success: (request.success ?? []).map(opToWire),
      failure: (request.failure ?? []).map(opToWire),
    };
    const res = await this.call(() => this.rpc.kv.txn(wire));
    return {
      header: header(res.header),
      succeeded: res.succeeded,
      responses: (res.responses ?? []).map(opResultFromWire),
    };
  }

  async compact(revision: number): Promise<ResponseHeader> {
    const res = await this.call(() => this.rpc.kv.compact({ revision }));
    this.knownCompactRevision = Math.max(this.knownCompactRevision, revision);
    return header(res.header);
  }

  // ---- watch --------------------------------------------------------------------------

  async watch(key: Bytes, options: WatchOptions, listener: WatchListener): Promise<Watch> {
    this.check();
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.streams.watchClient.watch();
    } catch (e) {
      return this.fail(e);
    }
    const watch = new EtcdWatch(stream, (w) => this.watches.delete(w));
    this.watches.add(watch);

    return new Promise<Watch>((resolve, reject) => {
      let created = false;
      const endWith = (reason: string, err?: unknown) => {
        if (!created) {
          created = true; // settle once
          watch.finish();
          reject(err !== undefined ? mapEtcdError(err) : new StoreError('unavailable', reason));
          return;
        }
        if (!watch.active) return;
        const last: WatchResponse = { header: { revision: 0 }, events: [], canceled: true, cancelReason: reason };
        watch.finish();
        listener(last);
      };
      stream.on('data', (r: IWatchResponse) => {
        if (!created) {
          if (r.created) {
            created = true;
            // etcd may put the cancel in the creation response (e.g. an invalid request).
            if (r.canceled) {
              const resp = watchResponse(r);
              resolve(watch);
              watch.finish();
              listener(resp);
              return;
            }
            resolve(watch);
          }
          return;
        }
        if (!watch.active) return;
        const resp = watchResponse(r);
        if (resp.canceled) {
          watch.finish();
          listener(resp);
          return;
        }
        listener(resp);
      });
      stream.on('error', (err: Error) => endWith(`watch stream failed: ${err.message}`, err));
      stream.on('end', () => endWith('watch stream ended'));
      stream.write({
        create_request: {
          key: toBuffer(key),
          range_end: optBuffer(options.rangeEnd),
          start_revision: options.startRevision ?? 0,
          prev_kv: options.prevKv ?? false,
          progress_notify: options.progressNotify ?? false,
        },
      });
    });
  }

  // ---- leases -------------------------------------------------------------------------

  async leaseGrant(ttl: number, id?: LeaseId): Promise<LeaseGrantResult> {
    this.check();
    if (id !== undefined && id !== 0) {
      if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`lease id ${id} is not a safe positive integer`);
      const res = await this.call(() => this.rpc.leaseClient.leaseGrant({ TTL: ttl, ID: id }));
      return { id: leaseIdFromWire(res.ID), ttl: int(res.TTL) };
    }
    for (let attempt = 0; ; attempt++) {
      const candidate = randomLeaseId();
      try {
        const res = await this.call(() => this.rpc.leaseClient.leaseGrant({ TTL: ttl, ID: candidate }));
        return { id: leaseIdFromWire(res.ID), ttl: int(res.TTL) };
      } catch (e) {
        if (attempt < 8 && e instanceof StoreError && e.code === 'lease-exists') continue;
        throw e;
      }
    }
  }

  async leaseRevoke(id: LeaseId): Promise<ResponseHeader> {
    const res = await this.call(() => this.rpc.leaseClient.leaseRevoke({ ID: id }));
    return header(res.header);
  }

  private async keepAliveChannel(): Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> {
    if (this.keepAliveStream) {
      if ((this.keepAliveStream as unknown as { writable?: boolean }).writable !== false) return this.keepAliveStream;
      this.keepAliveStream = undefined; // ended without an event we saw: open a new one
    }
    this.keepAliveOpening ??= (async () => {
      try {
        const stream = await this.streams.leaseClient.leaseKeepAlive();
        const broken = (err: unknown) => {
          if (this.keepAliveStream !== stream) return;
          this.keepAliveStream = undefined;
          for (const w of this.keepAliveWaiters.splice(0)) w.reject(err);
        };
        stream.on('data', (r: ILeaseKeepAliveResponse) => {
          const w = this.keepAliveWaiters.shift();
          if (!w) return;
          const ttl = int(r.TTL);
          // etcd answers a keep-alive for an unknown lease with TTL 0 rather than an error.
          if (ttl <= 0) w.reject(errors.leaseNotFound());
          else w.resolve(ttl);
        });
        stream.on('error', (err: Error) => broken(mapEtcdError(err)));
        stream.on('end', () => broken(new StoreError('unavailable', 'lease keep-alive stream ended')));
        this.keepAliveStream = stream;
        return stream;
      } finally {
        this.keepAliveOpening = undefined;
      }
    })();
    return this.keepAliveOpening;
  }

  async leaseKeepAlive(id: LeaseId): Promise<number> {
    this.check();
    let stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
    try {
      stream = await this.keepAliveChannel();
    } catch (e) {
      return this.fail(e);
    }
    return new Promise<number>((resolve, reject) => {
      this.keepAliveWaiters.push({ resolve, reject });
      stream.write({ ID: id });
    });
  }

  async leaseTimeToLive(id: LeaseId, options: { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> {
    const res = await this.call(() => this.rpc.leaseClient.leaseTimeToLive({ ID: id, keys: options.keys ?? false }));
    return {
      id: leaseIdFromWire(res.ID),
      ttl: int(res.TTL),
      grantedTtl: int(res.grantedTTL),
      keys: (res.keys ?? []).map((k) => Buffer.from(k)),
    };
  }

  async leases(): Promise<LeaseId[]> {
    const res = await this.call(() => this.rpc.leaseClient.leaseLeases());
    return (res.leases ?? []).map((l) => leaseIdFromWire(l.ID));
  }

  // ---- maintenance --------------------------------------------------------------------

  async status(): Promise<StoreStatus> {
    const res = await this.call(() => this.rpc.maintenance.status());
    const compactRevision = await this.currentCompactRevision();
    return {
      header: header(res.header),
      compactRevision,
      dbSize: int(res.dbSize),
      quotaBytes: this.quotaBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) await w.cancel();
    for (const w of this.keepAliveWaiters.splice(0)) w.reject(errors.closed());
    if (this.keepAliveStream) {
      const s = this.keepAliveStream;
      this.keepAliveStream = undefined;
      try {
        s.end();
        s.cancel();
      } catch {
        // closed
      }
    }
    this.rpc.close();
    this.streams.close();
  }
}

export function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  return EtcdStore.open(options);
}
