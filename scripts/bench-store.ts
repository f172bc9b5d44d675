// `npm run bench:store`: the k8ts store against a real etcd started here, through the SAME
// client path where it matters — the etcd3 gRPC client (our EtcdStore adapter) over loopback —
// single node and three-member clusters of separate processes, plus the in-process store:
//
//   k8ts            the store in this process (MvccStore, Store API, no serialization)
//   k8ts-grpc       a k8ts store server in its own process (`k8ts server --no-apiserver`: a
//                   one-member Raft group, what `k8ts up` runs), etcd3 client over gRPC
//   etcd            one etcd member, etcd3 client over gRPC
//   k8ts-cluster3   three k8ts store server processes, etcd3 client given all three endpoints
//   etcd-cluster3   three etcd members, etcd3 client given all three endpoints
//   k8ts-raft3      (not by default) three replicas in this process, Store API, client on a follower
//
// Benchmarks: durable puts sequential and 64-way, linearizable and serializable gets, a
// 10k-key range, watch fan-out; then, for the clusters, leader failover: kill -9 the leader
// and time until a write through a survivor commits. Ratios: k8ts-grpc/etcd,
// k8ts-cluster3/etcd-cluster3 and (in-process) k8ts/etcd.
//
//   npm run bench:store [-- --json] [-- --scale=0.2] [-- --backends=k8ts-grpc,etcd]
//
// Progress goes to stderr, results to stdout. The whole run is bounded (each phase by a
// count and a deadline, the run by a watchdog); every process started here is killed by
// PID and every temp dir removed at the end, on error and on SIGINT/SIGTERM.
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Store } from '../storage/store.ts';
import { openMvccStore } from '../storage/mvcc/mvcc-store.ts';
import { openEtcdStore } from '../storage/etcd/etcd-store.ts';
import { startEtcd, startEtcdCluster, type EtcdProcess } from '../conformance/support/etcd-process.ts';
import { K8tsCluster, etcdClient } from '../conformance/support/k8ts-cluster.ts';
import { TestCluster } from '../storage/replica/testing.ts';
import { standardSuite, type BenchResult } from './lib/store-benchmarks.ts';

// ---- arguments ----

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
const DEFAULT_BACKENDS = 'k8ts,k8ts-grpc,etcd,k8ts-cluster3,etcd-cluster3';
if (flag('help') !== undefined) {
  process.stdout.write(`usage: tsx scripts/bench-store.ts [--json] [--scale=<factor>] [--backends=${DEFAULT_BACKENDS}[,k8ts-raft3]] [--no-failover]\n`);
  process.exit(0);
}
const wantJson = flag('json') !== undefined;
const scale = Number(flag('scale') ?? '1');
if (!(scale > 0)) throw new Error(`--scale must be a positive number`);
const backendNames = (flag('backends') ?? DEFAULT_BACKENDS).split(',').filter(Boolean);
const measureFailover = flag('no-failover') === undefined;
/** Hard bound on the whole run; the phases' own bounds keep it well under this. */
const WATCHDOG_MS = 178_000;

const t0 = performance.now();
const progress = (m: string): void => void process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- clean-up, also on signals ----

/** Synchronous clean-ups for abnormal exits; the normal path closes things properly. */
const emergency = new Map<string, () => void>();
function emergencyCleanup(): void {
  for (const fn of emergency.values()) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  emergency.clear();
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping servers and removing temp dirs\n`);
    emergencyCleanup();
    process.exit(code);
  });
}
process.on('exit', emergencyCleanup);

function guardEtcd(members: EtcdProcess[]): () => void {
  const key = `etcd:${members.map((m) => m.pid).join(',')}`;
  emergency.set(key, () => {
    for (const m of members) {
      try {
        process.kill(m.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      rmSync(m.dataDir, { recursive: true, force: true });
    }
  });
  return () => emergency.delete(key);
}

// ---- backends ----

interface Failover {
  /** kill -9 of the leader → first write committed through a survivor. */
  commitMs: number;
  /** kill -9 → a survivor reports a new leader. */
  newLeaderMs: number;
  killed: string;
  newLeader: string;
}

interface Opened {
  store: Store;
  /** How the benchmark reaches the store, for the reader of the results. */
  path: string;
  /** Replication counters worth printing after each benchmark. */
  counters?: () => Promise<Record<string, number>>;
  /** Kill -9 the leader and time the recovery (clusters only). */
  failover?: () => Promise<Failover>;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  open(): Promise<Opened>;
}

async function etcdVersion(endpoint: string): Promise<string> {
  try {
    const res = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { etcdserver?: string };
    return body.etcdserver ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

/**
 * Probes every survivor with puts (1 s deadline each, raw gRPC, no retries) until one
 * commits; also watches their Status for a new leader. Times from `killedAt`.
 */
async function timeRecovery(survivors: string[], killedAt: number, oldTerm: number): Promise<Omit<Failover, 'killed'>> {
  const clients = survivors.map((ep) => etcdClient(ep));
  let commitAt = 0;
  let leaderAt = 0;
  let newLeader = '?';
  try {
    await Promise.all([
      ...clients.map(async (c, i) => {
        for (let n = 0; !commitAt && Date.now() - killedAt < 20_000; n++) {
          try {
            await c.put(`/bench/failover/${i}/${n}`, 'x', 1000);
            commitAt ||= Date.now();
          } catch {
            await sleep(5);
          }
        }
      }),
      ...clients.map(async (c) => {
        while (!leaderAt && Date.now() - killedAt < 20_000) {
          try {
            const st = await c.status(500);
            const who = String(st['leader'] ?? '0');
            if (who !== '0' && Number(st['raftTerm'] ?? 0) > oldTerm) {
              leaderAt ||= Date.now();
              newLeader = who;
            }
          } catch {
            // no answer yet
          }
          if (!leaderAt) await sleep(10);
        }
      }),
    ]);
  } finally {
    for (const c of clients) c.close();
  }
  return { commitMs: commitAt ? commitAt - killedAt : NaN, newLeaderMs: leaderAt ? leaderAt - killedAt : NaN, newLeader };
}

function k8tsClusterBackend(name: string, servers: number): Backend {
  return {
    name,
    async open() {
      const cluster = await K8tsCluster.start({ servers });
      const key = `k8ts:${cluster.root}`;
      emergency.set(key, () => {
        for (const s of cluster.running()) {
          try {
            if (s.pid) process.kill(s.pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        rmSync(cluster.root, { recursive: true, force: true });
      });
      const close = async () => {
        await cluster.destroy();
        emergency.delete(key);
      };
      let store: Store;
      try {
        await cluster.leader();
        store = await openEtcdStore({ endpoints: cluster.endpoints.map((e) => `http://${e}`) });
      } catch (e) {
        await close();
        throw e;
      }
      const leaderStats = async () => {
        const l = await cluster.leader(5000);
        return l.status.stats;
      };
      return {
        store,
        path:
          servers === 1
            ? `etcd3 gRPC client over loopback to a k8ts store server process (pid ${cluster.running()[0]!.pid}, a one-member Raft group on LevelDB; raft log fsync per Ready, apply unsynced)`
            : `etcd3 gRPC client over loopback, all ${servers} endpoints (${cluster.endpoints.join(', ')}), to ${servers} k8ts store server processes (pids ${cluster.running().map((s) => s.pid).join(', ')}): followers forward writes to the leader, linearizable reads by ReadIndex; raft log fsync per Ready`,
        counters: async () => {
          const s = await leaderStats();
          return { commands: s['commands'] ?? 0, entries: s['proposals'] ?? 0, leaderRaftSyncs: s['raftSyncs'] ?? 0, readRounds: s['readRounds'] ?? 0 };
        },
        ...(servers > 1
          ? {
              failover: async () => {
                const old = await cluster.leader();
                const victim = cluster.server(old.name);
                const survivors = cluster.running().filter((s) => s !== victim);
                const killedAt = Date.now();
                await victim.kill();
                const r = await timeRecovery(survivors.map((s) => s.endpoint), killedAt, old.status.term);
                const now = await cluster.leader(5000, survivors).catch(() => undefined);
                return { ...r, killed: old.name, newLeader: now?.name ?? r.newLeader };
              },
            }
          : {}),
        async close() {
          try {
            await store.close();
          } finally {
            await close();
          }
        },
      };
    },
  };
}

function etcdBackend(name: string, members: number): Backend {
  return {
    name,
    async open() {
      const procs = members === 1 ? [await startEtcd()] : (await startEtcdCluster(members)).members;
      const unguard = guardEtcd(procs);
      const stop = async () => {
        await Promise.all(procs.map((m) => m.stop(1000)));
        unguard();
      };
      let store: Store;
      let version = 'unknown version';
      try {
        version = await etcdVersion(procs[0]!.endpoint);
        store = await openEtcdStore({ endpoints: procs.map((m) => m.endpoint) });
      } catch (e) {
        await stop();
        throw e;
      }
      const hostPort = (m: EtcdProcess) => m.endpoint.replace(/^http:\/\//, '');
      return {
        store,
        path:
          members === 1
            ? `etcd3 gRPC client over loopback to etcd ${version} (pid ${procs[0]!.pid}; WAL fsync per raft batch before replying, bbolt backend)`
            : `etcd3 gRPC client over loopback, all ${members} endpoints (${procs.map(hostPort).join(', ')}), to ${members} etcd ${version} members (pids ${procs.map((m) => m.pid).join(', ')})`,
        ...(members > 1
          ? {
              failover: async () => {
                // The leader: the member whose Status names itself.
                let victim: EtcdProcess | undefined;
                let term = 0;
                const memberIds = new Map<EtcdProcess, string>();
                for (const m of procs) {
                  const c = etcdClient(hostPort(m));
                  try {
                    const st = await c.status(2000);
                    memberIds.set(m, (st['header'] as { member_id: string }).member_id);
                    if (st['leader'] === (st['header'] as { member_id: string }).member_id) {
                      victim = m;
                      term = Number(st['raftTerm']);
                    }
                  } finally {
                    c.close();
                  }
                }
                if (!victim) throw new Error('no etcd leader found');
                const survivors = procs.filter((m) => m !== victim);
                const killedAt = Date.now();
                process.kill(victim.pid, 'SIGKILL');
                const r = await timeRecovery(survivors.map(hostPort), killedAt, term);
                const leader = procs.find((m) => m !== victim && BigInt(r.newLeader === '?' ? -1 : r.newLeader) === BigInt(memberIds.get(m) ?? -2));
                return { ...r, killed: victim.name, newLeader: leader?.name ?? r.newLeader };
              },
            }
          : {}),
        async close() {
          try {
            await store.close();
          } finally {
            await stop();
          }
        },
      };
    },
  };
}

const backends: Backend[] = [
  {
    name: 'k8ts',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-'));
      emergency.set(`dir:${dir}`, () => rmSync(dir, { recursive: true, force: true }));
      let store: Store;
      try {
        store = await openMvccStore({ dir });
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        emergency.delete(`dir:${dir}`);
        throw e;
      }
      return {
        store,
        path: `in-process Store API, no serialization (MvccStore on LevelDB in ${dir}; group commit: one LevelDB batch write with sync=true per group of queued writes)`,
        async close() {
          try {
            await store.close();
          } finally {
            await rm(dir, { recursive: true, force: true });
            emergency.delete(`dir:${dir}`);
          }
        },
      };
    },
  },
  k8tsClusterBackend('k8ts-grpc', 1),
  etcdBackend('etcd', 1),
  k8tsClusterBackend('k8ts-cluster3', 3),
  etcdBackend('etcd-cluster3', 3),
  {
    name: 'k8ts-raft3',
    async open() {
      const cluster = await TestCluster.start(3, { tickMs: 100 });
      emergency.set(`dir:${cluster.root}`, () => rmSync(cluster.root, { recursive: true, force: true }));
      const follower = await cluster.follower();
      const store = cluster.store(follower);
      return {
        store,
        path: `3 replicas in this process (${cluster.root}), loopback TCP between them; Store API on follower ${follower}`,
        async close() {
          await cluster.destroy();
          emergency.delete(`dir:${cluster.root}`);
        },
      };
    },
  },
];

// ---- run ----

interface BackendRun {
  backend: string;
  path: string;
  results: Array<BenchResult & { counters?: Record<string, number> }>;
  failover?: Failover;
  error?: string;
}

async function runBackend(backend: Backend): Promise<BackendRun> {
  progress(`${backend.name}: opening`);
  const opened = await backend.open();
  const run: BackendRun = { backend: backend.name, path: opened.path, results: [] };
  progress(`${backend.name}: ${opened.path}`);
  try {
    for (const entry of standardSuite({ scale })) {
      progress(`${backend.name}: running ${entry.name} (${entry.describe})`);
      const before = await opened.counters?.().catch(() => undefined);
      const r = await entry.run(opened.store, (m) => progress(`${backend.name}: ${m}`));
      const after = await opened.counters?.().catch(() => undefined);
      const counters = before && after ? Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) : undefined;
      run.results.push(counters ? { ...r, counters } : r);
      progress(`${backend.name}: ${entry.name} done: ${fmtOps(r.opsPerSec)} ${r.unit}/s, p50 ${fmtMs(r.latencyMs.p50)}, p99 ${fmtMs(r.latencyMs.p99)}${counters ? ` ${JSON.stringify(counters)}` : ''}`);
    }
    if (measureFailover && opened.failover) {
      progress(`${backend.name}: failover: kill -9 the leader, time until a write through a survivor commits`);
      run.failover = await opened.failover();
      progress(`${backend.name}: failover: ${JSON.stringify(run.failover)}`);
    }
  } catch (e) {
    run.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    progress(`${backend.name}: FAILED: ${run.error}`);
  } finally {
    progress(`${backend.name}: closing`);
    await opened.close();
  }
  return run;
}

// ---- output ----

function fmtOps(x: number): string {
  return Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '-';
}
function fmtMs(x: number): string {
  return Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}ms` : '-';
}
function ratio(a: BenchResult | undefined, b: BenchResult | undefined): number | undefined {
  return a && b && b.opsPerSec > 0 ? a.opsPerSec / b.opsPerSec : undefined;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const last = rows[0]!.length - 1;
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === last ? cell : c <= 1 || c === 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

/** The comparisons printed, when both sides ran: [numerator, denominator]. */
const PAIRS: Array<[string, string]> = [
  ['k8ts-grpc', 'etcd'],
  ['k8ts-cluster3', 'etcd-cluster3'],
  ['k8ts', 'etcd'],
  ['k8ts-raft3', 'etcd-cluster3'],
];

function report(runs: BackendRun[]): string {
  const out: string[] = [];
  const etcdVer = (() => {
    try {
      return execFileSync(process.env['ETCD_BIN'] ?? '/usr/bin/etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return 'etcd --version failed';
    }
  })();
  out.push(`k8ts store benchmark — node ${process.version}, ${cpus().length} CPUs, ${etcdVer}, scale ${scale}`);
  out.push('');
  out.push('client paths:');
  for (const r of runs) out.push(`  ${r.backend}: ${r.path}`);
  out.push('');
  const names = [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))];
  const rows: string[][] = [['benchmark', 'backend', 'ops', 'unit', 'seconds', 'ops/s', 'p50', 'p99', 'max', 'notes']];
  for (const name of names) {
    for (const run of runs) {
      const r = run.results.find((x) => x.name === name);
      if (!r) continue;
      const notes = Object.entries(r.notes)
        .filter(([k, v]) => !(typeof v === 'number' && v === 0 && /missing|duplicate|unknown|canceled/i.test(k)) && !(k === 'drainTimedOut' && v === false))
        .map(([k, v]) => `${k}=${v}`)
        .concat(r.counters && r.counters['commands'] ? [`${r.counters['commands']} cmds in ${r.counters['entries']} entries, ${r.counters['leaderRaftSyncs']} leader raft syncs, ${r.counters['readRounds']} read rounds`] : [])
        .join(' ');
      rows.push([
        name,
        run.backend,
        String(r.ops),
        r.unit,
        (r.elapsedMs / 1000).toFixed(2),
        fmtOps(r.opsPerSec),
        fmtMs(r.latencyMs.p50),
        fmtMs(r.latencyMs.p99),
        fmtMs(r.latencyMs.max),
        (r.timeBounded ? '(time-bounded) ' : '') + notes,
      ]);
    }
  }
  out.push(table(rows));
  out.push('');
  const find = (backend: string, name: string) => runs.find((r) => r.backend === backend)?.results.find((x) => x.name === name);
  out.push('ratios (k8ts ops/s ÷ etcd ops/s; >1 means k8ts is faster):');
  for (const name of names) {
    const parts: string[] = [];
    for (const [a, b] of PAIRS) {
      const x = ratio(find(a, name), find(b, name));
      if (x !== undefined) parts.push(`${a}/${b} ${x.toFixed(2)}x`);
    }
    out.push(`  ${name.padEnd(24)} ${parts.join('   ')}`);
  }
  out.push('(watch-fanout ops are event deliveries, one per event per watcher.)');
  const failovers = runs.filter((r) => r.failover);
  if (failovers.length > 0) {
    out.push('');
    out.push('leader failover (kill -9 the leader; time until a write through a survivor commits / until a survivor reports a new leader):');
    for (const r of failovers) {
      const f = r.failover!;
      out.push(`  ${r.backend.padEnd(14)} write committed after ${fmtMs(f.commitMs)}, new leader after ${fmtMs(f.newLeaderMs)} (killed ${f.killed})`);
    }
    const k = runs.find((r) => r.backend === 'k8ts-cluster3')?.failover;
    const e = runs.find((r) => r.backend === 'etcd-cluster3')?.failover;
    if (k && e) out.push(`  k8ts-cluster3/etcd-cluster3 failover time ratio ${(k.commitMs / e.commitMs).toFixed(2)}x (<1 means k8ts recovers faster)`);
  }
  for (const run of runs) if (run.error) out.push(`\n${run.backend} FAILED: ${run.error}`);
  return out.join('\n') + '\n';
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: watchdog: run exceeded ${WATCHDOG_MS / 1000} s; aborting\n`);
    emergencyCleanup();
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const selected = backendNames.map((n) => {
    const b = backends.find((x) => x.name === n);
    if (!b) throw new Error(`unknown backend ${n} (have: ${backends.map((x) => x.name).join(', ')})`);
    return b;
  });
  const runs: BackendRun[] = [];
  for (const b of selected) {
    try {
      runs.push(await runBackend(b));
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      progress(`${b.name}: FAILED to open: ${error}`);
      runs.push({ backend: b.name, path: '(failed to open)', results: [], error });
    }
  }
  clearTimeout(watchdog);
  process.stdout.write(report(runs));
  if (wantJson) {
    const summary = {
      node: process.version,
      cpus: cpus().length,
      scale,
      totalSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      backends: runs,
      ratios: Object.fromEntries(
        PAIRS.map(([a, b]) => [
          `${a}/${b}`,
          Object.fromEntries(
            [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))].map((name) => {
              const x = ratio(runs.find((r) => r.backend === a)?.results.find((y) => y.name === name), runs.find((r) => r.backend === b)?.results.find((y) => y.name === name));
              return [name, x === undefined ? null : Number(x.toFixed(3))];
            }),
          ),
        ]),
      ),
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  }
  progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return runs.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    emergencyCleanup();
    process.exitCode = 1;
  },
);
