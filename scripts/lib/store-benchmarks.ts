// Store benchmarks, each a function `(store, options) => Promise<BenchResult>` that drives
// any implementation of the Store interface (the in-process k8ts store, the etcd adapter,
// later the Raft-replicated store) the same way. Every benchmark is bounded by a count and
// by a deadline, and writes under its own key prefix so that benchmarks run one after the
// other on the same store do not see each other's keys.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Store, Watch, WatchResponse } from '../../storage/store.ts';
import { prefixEnd } from '../../storage/bytes.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface BenchResult {
  /** Benchmark name, e.g. `put-64way`. */
  name: string;
  /** What one operation is: `puts`, `ranges`, `events`. */
  unit: string;
  /** Operations completed in the measured window. */
  ops: number;
  /** Length of the measured window. */
  elapsedMs: number;
  opsPerSec: number;
  /** Per-operation latency in milliseconds. */
  latencyMs: LatencySummary;
  /** True when the deadline, not the count, ended the benchmark. */
  timeBounded: boolean;
  /** Benchmark-specific extras (sizes, errors, setup timings). */
  notes: Record<string, number | string | boolean>;
}

export interface CommonOptions {
  /** Key prefix for this benchmark's keys; default `/bench/<name>/`. */
  prefix?: string;
  /** Stop issuing new operations after this long (ms). */
  timeLimitMs?: number;
  /** Progress messages (e.g. to stderr). */
  progress?: (message: string) => void;
}

/** A benchmark over the Store interface. */
export type StoreBenchmark<O extends CommonOptions = CommonOptions> = (store: Store, options?: O) => Promise<BenchResult>;

// ---------------------------------------------------------------------------------------
// Values: slices of a random pool, so that neither store gains from compressing them.

const POOL = randomBytes(1 << 20);

function value(i: number, size: number): Buffer {
  const off = (i * 7919 * 64) % (POOL.length - size);
  return POOL.subarray(off, off + size);
}

/**
 * Lets timers, signals and I/O run at least every `everyMs`. A store that answers from
 * memory resolves its promises in microtasks only, so a tight benchmark loop would
 * otherwise starve the event loop (SIGINT handling, the watchdog, watch streams).
 * Called outside the timed part of each operation.
 */
function yielder(everyMs = 20): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return new Promise<void>((resolve) => setImmediate(resolve));
  };
}

function keyOf(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(8, '0')}`;
}

function result(
  name: string,
  unit: string,
  ops: number,
  elapsedMs: number,
  latencies: number[],
  timeBounded: boolean,
  notes: BenchResult['notes'] = {},
): BenchResult {
  return { name, unit, ops, elapsedMs, opsPerSec: elapsedMs > 0 ? (ops * 1000) / elapsedMs : 0, latencyMs: summarize(latencies), timeBounded, notes };
}

/** A progress reporter that says something at most every `everyMs`. */
function ticker(progress: ((m: string) => void) | undefined, everyMs = 1000): (message: () => string) => void {
  let last = performance.now();
  return (message) => {
    if (!progress) return;
    const now = performance.now();
    if (now - last >= everyMs) {
      last = now;
      progress(message());
    }
  };
}

// ---------------------------------------------------------------------------------------
// Puts: `concurrency` writers, each awaiting its put before issuing the next.

export interface PutOptions extends CommonOptions {
  /** Total puts (across writers); default 2000. */
  count?: number;
  /** Concurrent writers; default 1. */
  concurrency?: number;
  /** Value size in bytes; default 256. */
  valueBytes?: number;
  /** Distinct keys written (round robin); default `count` (every put a new key). */
  keySpace?: number;
  /** Result name; default `put-seq` or `put-<n>way`. */
  name?: string;
}

export const puts: StoreBenchmark<PutOptions> = async (store, o = {}) => {
  const count = o.count ?? 2000;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const size = o.valueBytes ?? 256;
  const keySpace = o.keySpace ?? count;
  const name = o.name ?? (concurrency === 1 ? 'put-seq' : `put-${concurrency}way`);
  const prefix = o.prefix ?? `/bench/${name}/`;
  const limit = o.timeLimitMs ?? Infinity;
  const tick = ticker(o.progress);
  const latencies: number[] = [];
  let next = 0;
  let timeBounded = false;
  const pause = yielder();
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      await pause();
      if (next >= count) return;
      if (performance.now() - start >= limit) {
        timeBounded = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      await store.put(keyOf(prefix, i % keySpace), value(i, size));
      latencies.push(performance.now() - t0);
      tick(() => `${name}: ${latencies.length}/${count} puts`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - start;
  return result(name, 'puts', latencies.length, elapsed, latencies, timeBounded, { concurrency, valueBytes: size, keySpace });
};

// ---------------------------------------------------------------------------------------
// Gets: load `keys` keys (untimed), then single-key gets of random ones, `concurrency` in
// flight; linearizable (etcd's default: the leader confirms it still leads) or serializable
// (the member answers from its own state).

export interface GetBenchOptions extends CommonOptions {
  /** Keys loaded before timing; default 1000. */
  keys?: number;
  /** Value size; default 256. */
  valueBytes?: number;
  /** Total gets; default 10000. */
  count?: number;
  /** Gets in flight; default 16. */
  concurrency?: number;
  serializable?: boolean;
}

/** Loads keys `prefix + i` (i < keys) in txns of 100 puts, 8 at a time. */
async function loadKeys(store: Store, prefix: string, keys: number, size: number, limitMs: number): Promise<number> {
  const start = performance.now();
  let nextBatch = 0;
  const batches = Math.ceil(keys / 100);
  const pause = yielder();
  const loader = async (): Promise<void> => {
    while (nextBatch < batches) {
      await pause();
      if (performance.now() - start > limitMs) throw new Error(`loading ${keys} keys took over ${limitMs} ms`);
      const b = nextBatch++;
      const success = [];
      for (let i = b * 100; i < Math.min(keys, (b + 1) * 100); i++) success.push({ type: 'put' as const, key: keyOf(prefix, i), value: value(i, size) });
      await store.txn({ success });
    }
  };
  await Promise.all(Array.from({ length: 8 }, loader));
  return performance.now() - start;
}

export const gets: StoreBenchmark<GetBenchOptions> = async (store, o = {}) => {
  const keys = o.keys ?? 1000;
  const size = o.valueBytes ?? 256;
  const count = o.count ?? 10000;
  const concurrency = Math.max(1, o.concurrency ?? 16);
  const serializable = o.serializable ?? false;
  const name = `get-${serializable ? 'serializable' : 'linearizable'}-${concurrency}way`;
  const prefix = o.prefix ?? `/bench/get/`;
  const limit = o.timeLimitMs ?? Infinity;
  // The key set is shared by the linearizable and serializable runs: load it once.
  const loaded = (await store.range(prefix, { rangeEnd: prefixEnd(prefix), countOnly: true })).count;
  const loadMs = loaded >= keys ? 0 : await loadKeys(store, prefix, keys, size, 60_000);
  const tick = ticker(o.progress);
  const latencies: number[] = [];
  let next = 0;
  let timeBounded = false;
  let missing = 0;
  const pause = yielder();
  const start = performance.now();
  const reader = async (r: number): Promise<void> => {
    for (let i = r; ; i += concurrency) {
      await pause();
      if (next >= count) return;
      if (performance.now() - start >= limit) {
        timeBounded = true;
        return;
      }
      next++;
      const key = keyOf(prefix, (i * 7919) % keys);
      const t0 = performance.now();
      const res = await store.range(key, serializable ? { serializable: true } : {});
      latencies.push(performance.now() - t0);
      if (res.kvs.length !== 1) missing++;
      tick(() => `${name}: ${latencies.length}/${count} gets`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, r) => reader(r)));
  const elapsed = performance.now() - start;
  if (missing > 0) throw new Error(`${name}: ${missing} gets found no value`);
  return result(name, 'gets', latencies.length, elapsed, latencies, timeBounded, { keys, concurrency, serializable, ...(loadMs > 0 ? { loadMs: Math.round(loadMs) } : {}) });
};

// ---------------------------------------------------------------------------------------
// Range: load `keys` keys, then read all of them in one range, `count` times.

export interface RangeBenchOptions extends CommonOptions {
  /** Keys loaded before timing; default 10000. */
  keys?: number;
  /** Value size of the loaded keys; default 200. */
  valueBytes?: number;
  /** Full-range reads; default 200. */
  count?: number;
  /** Concurrent readers; default 1. */
  concurrency?: number;
  /** Puts per load txn (etcd allows at most 128 ops per txn); default 100. */
  loadBatch?: number;
  /** Concurrent load txns; default 8. */
  loadConcurrency?: number;
  /** Bound on the (untimed) load phase; default 60 s. */
  loadTimeLimitMs?: number;
}

export const fullRange: StoreBenchmark<RangeBenchOptions> = async (store, o = {}) => {
  const keys = o.keys ?? 10000;
  const size = o.valueBytes ?? 200;
  const count = o.count ?? 200;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const batch = o.loadBatch ?? 100;
  const name = `range-${keys >= 1000 && keys % 1000 === 0 ? `${keys / 1000}k` : keys}`;
  const prefix = o.prefix ?? `/bench/${name}/`;
  const limit = o.timeLimitMs ?? Infinity;
  const loadLimit = o.loadTimeLimitMs ?? 60_000;

  // Load (not timed as part of the result, but reported).
  o.progress?.(`${name}: loading ${keys} keys of ${size} bytes`);
  const loadStart = performance.now();
  let nextBatch = 0;
  const batches = Math.ceil(keys / batch);
  const pauseLoad = yielder();
  const loader = async (): Promise<void> => {
    while (nextBatch < batches) {
      await pauseLoad();
      if (performance.now() - loadStart > loadLimit) throw new Error(`${name}: loading ${keys} keys took over ${loadLimit} ms`);
      const b = nextBatch++;
      const success = [];
      for (let i = b * batch; i < Math.min(keys, (b + 1) * batch); i++) success.push({ type: 'put' as const, key: keyOf(prefix, i), value: value(i, size) });
      await store.txn({ success });
    }
  };
  await Promise.all(Array.from({ length: o.loadConcurrency ?? 8 }, loader));
  const loadMs = performance.now() - loadStart;
  o.progress?.(`${name}: loaded in ${(loadMs / 1000).toFixed(1)} s; reading`);

  const end = prefixEnd(prefix);
  const tick = ticker(o.progress);
  const latencies: number[] = [];
  let next = 0;
  let timeBounded = false;
  let bytes = 0;
  const pause = yielder();
  const start = performance.now();
  const reader = async (): Promise<void> => {
    for (;;) {
      await pause();
      if (next >= count) return;
      if (performance.now() - start >= limit) {
        timeBounded = true;
        return;
      }
      next++;
      const t0 = performance.now();
      const r = await store.range(prefix, { rangeEnd: end });
      latencies.push(performance.now() - t0);
      if (r.kvs.length !== keys) throw new Error(`${name}: range returned ${r.kvs.length} kvs, expected ${keys}`);
      if (bytes === 0) for (const kv of r.kvs) bytes += kv.key.length + kv.value.length;
      tick(() => `${name}: ${latencies.length}/${count} ranges`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, reader));
  const elapsed = performance.now() - start;
  return result(name, 'ranges', latencies.length, elapsed, latencies, timeBounded, {
    keys,
    valueBytes: size,
    concurrency,
    bytesPerRange: bytes,
    loadMs: Math.round(loadMs),
    loadKeysPerSec: Math.round((keys * 1000) / loadMs),
  });
};

// ---------------------------------------------------------------------------------------
// Watch fan-out: `watchers` watchers on one prefix, then `count` puts under it; the latency
// of an event is from the start of its put to its delivery to one watcher, one sample per
// (event, watcher) pair.

export interface WatchBenchOptions extends CommonOptions {
  /** Watchers on the prefix; default 100. */
  watchers?: number;
  /** Puts under the prefix; default 1000. */
  count?: number;
  /** Puts in flight at once; default 16. */
  concurrency?: number;
  /** Value size; default 256. */
  valueBytes?: number;
  /** After the last put, wait at most this long for every watcher to see every event; default 15 s. */
  drainTimeoutMs?: number;
}

export const watchFanout: StoreBenchmark<WatchBenchOptions> = async (store, o = {}) => {
  const nWatchers = o.watchers ?? 100;
  const count = o.count ?? 1000;
  const concurrency = Math.max(1, o.concurrency ?? 16);
  const size = o.valueBytes ?? 256;
  const name = `watch-fanout-${nWatchers}`;
  const prefix = o.prefix ?? `/bench/${name}/`;
  const limit = o.timeLimitMs ?? Infinity;
  const drainTimeout = o.drainTimeoutMs ?? 15_000;

  // Issue times by key; a key is written once, so the key identifies the event.
  const issued = new Map<string, number>();
  const latencies: number[] = [];
  const received = new Array<number>(nWatchers).fill(0);
  let delivered = 0;
  let duplicates = 0;
  let unknown = 0;
  let canceled = 0;
  let lastDelivery = 0;
  let expected = Infinity; // total deliveries expected, known once the puts are done
  let allDelivered: (() => void) | undefined;
  const seen = Array.from({ length: nWatchers }, () => new Set<string>());

  const listener = (w: number) => (resp: WatchResponse) => {
    const now = performance.now();
    if (resp.canceled) canceled++;
    for (const e of resp.events) {
      const key = e.kv.key.toString('latin1');
      const t0 = issued.get(key);
      if (t0 === undefined) {
        unknown++;
        continue;
      }
      if (seen[w]!.has(key)) {
        duplicates++;
        continue;
      }
      seen[w]!.add(key);
      latencies.push(now - t0);
      received[w]!++;
      delivered++;
      lastDelivery = now;
    }
    if (delivered >= expected) allDelivered?.();
  };

  o.progress?.(`${name}: opening ${nWatchers} watchers`);
  const end = prefixEnd(prefix);
  const watches: Watch[] = [];
  try {
    for (let w = 0; w < nWatchers; w++) watches.push(await store.watch(prefix, { rangeEnd: end }, listener(w)));

    o.progress?.(`${name}: ${count} puts, ${concurrency} in flight`);
    const tick = ticker(o.progress);
    let next = 0;
    let timeBounded = false;
    let putsDone = 0;
    const pause = yielder();
    const start = performance.now();
    const writer = async (): Promise<void> => {
      for (;;) {
        await pause();
        if (next >= count) return;
        if (performance.now() - start >= limit) {
          timeBounded = true;
          return;
        }
        const i = next++;
        const key = keyOf(prefix, i);
        issued.set(key, performance.now());
        await store.put(key, value(i, size));
        putsDone++;
        tick(() => `${name}: ${putsDone}/${count} puts, ${delivered} events delivered`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, writer));
    const putsEnd = performance.now();

    // Wait for the stragglers.
    expected = putsDone * nWatchers;
    let drainTimedOut = false;
    if (delivered < expected) {
      o.progress?.(`${name}: waiting for ${expected - delivered} of ${expected} events`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          drainTimedOut = true;
          resolve();
        }, drainTimeout);
        allDelivered = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const windowEnd = Math.max(lastDelivery, putsEnd);
    return result(name, 'events', delivered, windowEnd - start, latencies, timeBounded, {
      watchers: nWatchers,
      puts: putsDone,
      putsPerSec: Math.round((putsDone * 1000) / (putsEnd - start)),
      expectedEvents: expected,
      missingEvents: expected - delivered,
      duplicateEvents: duplicates,
      unknownEvents: unknown,
      canceledWatches: canceled,
      slowestWatcherEvents: Math.min(...received),
      drainTimedOut,
    });
  } finally {
    await Promise.all(watches.map((w) => w.cancel().catch(() => undefined)));
  }
};

// ---------------------------------------------------------------------------------------
// The standard suite, in run order. A later variant (e.g. 3 replicas) reuses it as is.

export interface SuiteEntry {
  name: string;
  describe: string;
  run: (store: Store, progress: (m: string) => void) => Promise<BenchResult>;
}

export interface SuiteLimits {
  /** Multiply every count and time bound by this (e.g. 0.2 for a smoke run); default 1. */
  scale?: number;
}

export function standardSuite(limits: SuiteLimits = {}): SuiteEntry[] {
  const s = limits.scale ?? 1;
  const n = (x: number) => Math.max(1, Math.round(x * s));
  return [
    {
      name: 'put-seq',
      describe: 'durable sequential puts: 1 writer, 256-byte values, new key each; up to 20000 puts or 3 s',
      run: (store, progress) => puts(store, { count: n(20000), concurrency: 1, timeLimitMs: n(3000), progress }),
    },
    {
      name: 'put-64way',
      describe: '64 concurrent writers, 256-byte values, new key each; up to 200000 puts or 4 s',
      run: (store, progress) => puts(store, { count: n(200000), concurrency: 64, timeLimitMs: n(4000), progress }),
    },
    {
      name: 'get-linearizable-16way',
      describe: 'linearizable single-key gets of 1000 keys (loaded untimed), 16 in flight; up to 100000 gets or 3 s',
      run: (store, progress) => gets(store, { keys: 1000, count: n(100000), concurrency: 16, timeLimitMs: n(3000), progress }),
    },
    {
      name: 'get-serializable-16way',
      describe: 'serializable single-key gets of the same keys, 16 in flight; up to 100000 gets or 3 s',
      run: (store, progress) => gets(store, { keys: 1000, count: n(100000), concurrency: 16, serializable: true, timeLimitMs: n(3000), progress }),
    },
    {
      name: 'range-10k',
      describe: 'full range over 10k keys of 200-byte values, 1 reader (load untimed); up to 500 ranges or 3 s',
      run: (store, progress) => fullRange(store, { keys: 10000, count: n(500), timeLimitMs: n(3000), loadTimeLimitMs: 40_000, progress }),
    },
    {
      name: 'watch-fanout-100',
      describe: '100 watchers on a prefix, 2000 puts (or 4 s) 16 in flight; latency put issue -> each delivery',
      run: (store, progress) => watchFanout(store, { watchers: 100, count: n(2000), concurrency: 16, timeLimitMs: n(4000), drainTimeoutMs: 15_000, progress }),
    },
  ];
}
