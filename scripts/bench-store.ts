// `npm run bench:store`: the k8ts store (in-process, LevelDB on a temp dir, fsync per group
// commit) against a real etcd (started here on a free loopback port, temp data dir) through
// the same Store interface: sequential and 64-way puts, a 10k-key range, watch fan-out.
//
//   npm run bench:store [-- --json] [-- --scale=0.2] [-- --backends=k8ts,etcd]
//
// Progress goes to stderr, results to stdout. The whole run is bounded (each phase by a
// count and a deadline, the run by a watchdog); etcd is stopped by PID and every temp dir
// removed at the end, on error and on SIGINT/SIGTERM.
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Store } from '../storage/store.ts';
import { openMvccStore } from '../storage/mvcc/mvcc-store.ts';
import { openEtcdStore } from '../storage/etcd/etcd-store.ts';
import { startEtcd } from '../conformance/support/etcd-process.ts';
import { standardSuite, type BenchResult } from './lib/store-benchmarks.ts';

// ---- arguments ----

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
if (flag('help') !== undefined) {
  process.stdout.write('usage: tsx scripts/bench-store.ts [--json] [--scale=<factor>] [--backends=k8ts,etcd]\n');
  process.exit(0);
}
const wantJson = flag('json') !== undefined;
const scale = Number(flag('scale') ?? '1');
if (!(scale > 0)) throw new Error(`--scale must be a positive number`);
const backendNames = (flag('backends') ?? 'k8ts,etcd').split(',').filter(Boolean);
/** Hard bound on the whole run; the phases' own bounds keep it well under this. */
const WATCHDOG_MS = 175_000;

const progress = (m: string): void => void process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const t0 = performance.now();

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
    process.stderr.write(`\n${signal}: stopping etcd and removing temp dirs\n`);
    emergencyCleanup();
    process.exit(code);
  });
}
process.on('exit', emergencyCleanup);

// ---- backends ----

interface Opened {
  store: Store;
  /** How the benchmark reaches the store, for the reader of the results. */
  path: string;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  open(): Promise<Opened>;
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
        path: `in-process Store API, no serialization (MvccStore on LevelDB in ${dir}; group commit: one LevelDB batch write with sync=true (fsync) per group of queued writes)`,
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
  {
    name: 'etcd',
    async open() {
      const etcd = await startEtcd();
      emergency.set(`etcd:${etcd.pid}`, () => {
        try {
          process.kill(etcd.pid, 'SIGKILL');
        } catch {
          // gone already
        }
        rmSync(etcd.dataDir, { recursive: true, force: true });
      });
      const stop = async () => {
        await etcd.stop();
        emergency.delete(`etcd:${etcd.pid}`);
      };
      let store: Store;
      let version = 'unknown version';
      try {
        version = await etcdVersion(etcd.endpoint);
        store = await openEtcdStore({ endpoints: [etcd.endpoint] });
      } catch (e) {
        await stop();
        throw e;
      }
      return {
        store,
        path: `etcd3 gRPC client over loopback to etcd ${version} at ${etcd.endpoint} (pid ${etcd.pid}, data dir ${etcd.dataDir}; default durability: WAL fsync per raft batch before replying, bbolt backend; watches are one gRPC stream each)`,
        async close() {
          try {
            await store.close();
          } finally {
            await stop();
          }
        },
      };
    },
  },
];

async function etcdVersion(endpoint: string): Promise<string> {
  try {
    const res = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { etcdserver?: string };
    return body.etcdserver ?? 'unknown version';
  } catch {
    return 'unknown version';
  }
}

// ---- run ----

interface BackendRun {
  backend: string;
  path: string;
  results: BenchResult[];
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
      const r = await entry.run(opened.store, (m) => progress(`${backend.name}: ${m}`));
      run.results.push(r);
      progress(`${backend.name}: ${entry.name} done: ${fmtOps(r.opsPerSec)} ${r.unit}/s, p50 ${fmtMs(r.latencyMs.p50)}, p99 ${fmtMs(r.latencyMs.p99)}`);
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
function fmtRatio(a: BenchResult | undefined, b: BenchResult | undefined): string {
  return a && b && b.opsPerSec > 0 ? `${(a.opsPerSec / b.opsPerSec).toFixed(2)}x` : '-';
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
  const k8ts = runs.find((r) => r.backend === 'k8ts');
  const etcd = runs.find((r) => r.backend === 'etcd');
  for (const name of names) {
    const parts = runs.map((run) => {
      const r = run.results.find((x) => x.name === name);
      return r ? `${run.backend} ${fmtOps(r.opsPerSec)} ops/s p50 ${fmtMs(r.latencyMs.p50)} p99 ${fmtMs(r.latencyMs.p99)}` : `${run.backend} -`;
    });
    const ratio = fmtRatio(k8ts?.results.find((x) => x.name === name), etcd?.results.find((x) => x.name === name));
    out.push(`${name}: ${parts.join(' | ')} | ratio ${ratio}`);
  }
  out.push('(ratio = k8ts ops/s ÷ etcd ops/s; >1 means k8ts is faster. watch-fanout ops are event deliveries, one per event per watcher.)');
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
        [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))].map((name) => {
          const a = runs.find((r) => r.backend === 'k8ts')?.results.find((x) => x.name === name);
          const b = runs.find((r) => r.backend === 'etcd')?.results.find((x) => x.name === name);
          return [name, a && b && b.opsPerSec > 0 ? Number((a.opsPerSec / b.opsPerSec).toFixed(3)) : null];
        }),
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
