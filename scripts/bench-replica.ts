// `npm run bench:replica`: the Raft-replicated store against a real three-member etcd cluster
// (started here on free loopback ports, temp data dirs), through the same Store interface.
//
//   k8ts-raft3   three replicas in THIS process (one event loop, loopback TCP between them);
//                the client talks to a follower, so writes are forwarded and reads use ReadIndex
//   k8ts-raft1   a one-member group (the embedded default), to show the driver's own cost
//   etcd3        a three-member etcd cluster, the etcd3 client over loopback gRPC
//
//   npm run bench:replica [-- --scale=0.2] [-- --backends=k8ts-raft3,etcd3] [-- --json]
//
// Results go to stdout, progress to stderr; every member is closed/stopped and every temp
// dir removed at the end, on error and on SIGINT/SIGTERM (etcd members by PID).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Store } from '../storage/store.ts';
import { openEtcdStore } from '../storage/etcd/etcd-store.ts';
import { startEtcdCluster } from '../conformance/support/etcd-process.ts';
import { TestCluster, freePorts } from '../storage/replica/testing.ts';
import { openReplicatedStore, type ReplicatedStore } from '../storage/replica/replicated-store.ts';
import { standardSuite, type BenchResult } from './lib/store-benchmarks.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
const scale = Number(flag('scale') ?? '1');
if (!(scale > 0)) throw new Error('--scale must be a positive number');
const wantJson = flag('json') !== undefined;
const backendNames = (flag('backends') ?? 'k8ts-raft3,k8ts-raft1,etcd3').split(',').filter(Boolean);
const t0 = performance.now();
const progress = (m: string): void => void process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const WATCHDOG_MS = 240_000;

interface Opened {
  store: Store;
  path: string;
  /** Replication counters worth printing after each benchmark. */
  counters?: () => Record<string, number>;
  close(): Promise<void>;
}

const cleanups = new Set<() => Promise<void>>();
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping members\n`);
    void Promise.allSettled([...cleanups].map((f) => f())).then(() => process.exit(code));
  });
}

function replicaCounters(stores: ReplicatedStore[], client: ReplicatedStore): () => Record<string, number> {
  return () => {
    const leader = stores.find((s) => s.replicaStatus().raftState === 'leader') ?? client;
    const c = client.replicaStatus().stats;
    const l = leader.replicaStatus().stats;
    return { commands: c.commands, entries: c.proposals, leaderRaftSyncs: l.raftSyncs, leaderApplyBatches: l.applyBatches, readRounds: c.readRounds };
  };
}

const backends: Record<string, () => Promise<Opened>> = {
  async 'k8ts-raft3'() {
    const cluster = await TestCluster.start(3, { tickMs: 100 });
    const close = () => cluster.destroy();
    cleanups.add(close);
    const follower = await cluster.follower();
    const store = cluster.store(follower);
    return {
      store,
      path: `3 replicas in this process (${cluster.root}), loopback TCP between them; client on follower ${follower} (writes forwarded to the leader, reads by ReadIndex); raft log fsync per Ready, apply unsynced`,
      counters: replicaCounters(cluster.running(), store),
      async close() {
        cleanups.delete(close);
        await close();
      },
    };
  },
  async 'k8ts-raft1'() {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-bench-raft1-'));
    const [port] = await freePorts(1);
    const store = await openReplicatedStore({ name: 'solo', dataDir: dir, peers: { solo: `127.0.0.1:${port}` } });
    const close = async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    };
    cleanups.add(close);
    return {
      store,
      path: `one-member Raft group in ${dir}`,
      counters: replicaCounters([store], store),
      async close() {
        cleanups.delete(close);
        await close();
      },
    };
  },
  async etcd3() {
    const cluster = await startEtcdCluster(3);
    const close = () => cluster.stop();
    cleanups.add(close);
    let store: Store;
    try {
      store = await openEtcdStore({ endpoints: cluster.endpoints });
    } catch (e) {
      cleanups.delete(close);
      await close();
      throw e;
    }
    return {
      store,
      path: `etcd3 client over loopback gRPC to a 3-member etcd cluster (${cluster.endpoints.join(', ')})`,
      async close() {
        cleanups.delete(close);
        try {
          await store.close();
        } finally {
          await close();
        }
      },
    };
  },
};

interface Run {
  backend: string;
  path: string;
  results: Array<BenchResult & { counters?: Record<string, number> }>;
  error?: string;
}

async function runBackend(name: string): Promise<Run> {
  const open = backends[name];
  if (!open) throw new Error(`unknown backend ${name} (have ${Object.keys(backends).join(', ')})`);
  progress(`${name}: opening`);
  const o = await open();
  const run: Run = { backend: name, path: o.path, results: [] };
  try {
    for (const entry of standardSuite({ scale })) {
      progress(`${name}: ${entry.name} (${entry.describe})`);
      const before = o.counters?.();
      const r = await entry.run(o.store, (m) => progress(`${name}: ${m}`));
      const after = o.counters?.();
      const counters = before && after ? Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) : undefined;
      run.results.push(counters ? { ...r, counters } : r);
      progress(`${name}: ${entry.name}: ${r.opsPerSec.toFixed(0)} ${r.unit}/s, p50 ${r.latencyMs.p50.toFixed(2)} ms${counters ? ` ${JSON.stringify(counters)}` : ''}`);
    }
  } catch (e) {
    run.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    await o.close();
  }
  return run;
}

function report(runs: Run[]): string {
  const out: string[] = [`k8ts replicated store benchmark — node ${process.version}, ${cpus().length} CPUs, scale ${scale}`, '', 'client paths:'];
  for (const r of runs) out.push(`  ${r.backend}: ${r.path}`);
  out.push('');
  const names = [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))];
  const ref = runs.find((r) => r.backend === 'etcd3');
  for (const name of names) {
    const parts = runs.map((run) => {
      const r = run.results.find((x) => x.name === name);
      if (!r) return `${run.backend} -`;
      const extra = r.counters && r.counters['commands'] ? ` (${r.counters['commands']} cmds in ${r.counters['entries']} entries, ${r.counters['leaderRaftSyncs']} leader raft syncs)` : '';
      return `${run.backend} ${r.opsPerSec.toFixed(0)} ${r.unit}/s p50 ${r.latencyMs.p50.toFixed(2)}ms p99 ${r.latencyMs.p99.toFixed(2)}ms${extra}`;
    });
    const k = runs.find((r) => r.backend === 'k8ts-raft3')?.results.find((x) => x.name === name);
    const e = ref?.results.find((x) => x.name === name);
    const ratio = k && e && e.opsPerSec > 0 ? `${(k.opsPerSec / e.opsPerSec).toFixed(2)}x` : '-';
    out.push(`${name}: ${parts.join(' | ')} | k8ts-raft3/etcd3 ${ratio}`);
  }
  for (const r of runs) if (r.error) out.push(`\n${r.backend} FAILED: ${r.error}`);
  return out.join('\n') + '\n';
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write('bench: watchdog fired; aborting\n');
    void Promise.allSettled([...cleanups].map((f) => f())).then(() => process.exit(2));
  }, WATCHDOG_MS);
  watchdog.unref();
  const runs: Run[] = [];
  for (const name of backendNames) {
    try {
      runs.push(await runBackend(name));
    } catch (e) {
      runs.push({ backend: name, path: '(failed to open)', results: [], error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
  clearTimeout(watchdog);
  process.stdout.write(report(runs));
  if (wantJson) process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
  return runs.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
