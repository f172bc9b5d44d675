// `npm run bench:api`: the API server under 16 concurrent clients creating, getting and
// listing pods while watchers stream every pod event, once with the built-in store and once
// on a real etcd (started here), in one run. The server runs as `k8ts up` without the
// controllers and the scheduler (API clients that would load it too) in a child process (so the load generator does not share its event loop); clients speak
// raw HTTPS (node:https, one keep-alive agent, one socket per client) with the admin client
// certificate from the kubeconfig k8ts wrote.
//
//   npm run bench:api [-- --json] [-- --scale=0.5] [-- --backends=k8ts-store,etcd] [-- --cpu-prof[=dir]]
//
// Progress goes to stderr, results to stdout. Every phase is bounded by a count and a
// deadline, the run by a watchdog; the servers and etcd are stopped by PID at the end, on
// error and on SIGINT/SIGTERM. --cpu-prof writes a V8 CPU profile of each API server.
import { Agent, request } from 'node:https';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { startEtcd, type EtcdProcess } from '../conformance/support/etcd-process.ts';
import { startK8ts, upHasFlag, type K8tsProcess } from '../conformance/support/k8ts-process.ts';
import { processCpuSec } from './lib/proc.ts';
import { summarize, type LatencySummary } from './lib/stats.ts';

// ---- arguments ----

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  return a === undefined ? undefined : a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
if (flag('help') !== undefined) {
  process.stdout.write('usage: tsx scripts/bench-api.ts [--json] [--scale=<factor>] [--backends=k8ts-store,etcd] [--cpu-prof[=<dir>]]\n');
  process.exit(0);
}
const wantJson = flag('json') !== undefined;
const scale = Number(flag('scale') ?? '1');
if (!(scale > 0)) throw new Error('--scale must be a positive number');
const backendNames = (flag('backends') ?? 'k8ts-store,etcd').split(',').filter(Boolean);
const cpuProf = flag('cpu-prof');
const profDir = cpuProf === undefined ? undefined : resolve(cpuProf || 'bench-api-profiles');

const CLIENTS = 16;
const WATCHERS = 4;
const CREATES = Math.round(3000 * scale);
const GETS = Math.round(8000 * scale);
const LISTS = Math.round(800 * scale);
const CREATE_LIMIT_MS = 15_000;
const GET_LIMIT_MS = 8_000;
const LIST_LIMIT_MS = 8_000;
const DRAIN_LIMIT_MS = 5_000;
/** Hard bound on the whole run; the phases' own bounds keep it well under this. */
const WATCHDOG_MS = 115_000;
const GOAL_P99_MS = 50;

const t0 = performance.now();
const loadAtStart = loadavg()[0]!;
const progress = (m: string): void => void process.stderr.write(`[bench-api ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- clean-up (normal path: stop() below; abnormal: the helpers kill by PID on exit) ----

const running = new Set<{ stop(): Promise<unknown> }>();
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers\n`);
    // The helpers' exit hooks SIGKILL their children by PID and remove their temp dirs.
    process.exit(code);
  });
}

// ---- HTTPS client ----

interface Reply {
  status: number;
  body: Buffer;
}

class Client {
  readonly agent: Agent;
  readonly host: string;
  readonly port: number;
  private readonly tls: { ca: string; cert: string; key: string };

  constructor(kubeconfigPath: string) {
    const kc = parseYaml(readFileSync(kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
    const url = new URL(kc.clusters[0]!.cluster.server);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.tls = {
      ca: b64(kc.clusters[0]!.cluster['certificate-authority-data']),
      cert: b64(kc.users[0]!.user['client-certificate-data']),
      key: b64(kc.users[0]!.user['client-key-data']),
    };
    this.agent = new Agent({ keepAlive: true, maxSockets: CLIENTS, ...this.tls });
  }

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    return new Promise((resolvePromise, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { Accept: 'application/json' };
      if (data) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = data.length;
      }
      const req = request({ host: this.host, port: this.port, method, path, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  async ok(method: string, path: string, body?: unknown): Promise<Reply> {
    const r = await this.call(method, path, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    return r;
  }

  /** A watch stream on its own connection; `onEvent(type, name, arrivalMs)` per event. */
  watch(path: string, onEvent: (type: string, name: string, at: number) => void): Promise<{ close(): void }> {
    return new Promise((resolvePromise, reject) => {
      const req = request({ host: this.host, port: this.port, method: 'GET', path, agent: false, ...this.tls, headers: { Accept: 'application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
            onEvent(ev.type, ev.object.metadata?.name ?? '', at);
          }
        });
        res.on('error', () => undefined);
        resolvePromise({ close: () => req.destroy() });
      });
      req.on('error', (e) => reject(e));
      req.end();
    });
  }
}

// ---- phases ----

interface PhaseResult {
  verb: string;
  ops: number;
  errors: number;
  elapsedMs: number;
  opsPerSec: number;
  latencyMs: LatencySummary;
  timeBounded: boolean;
  /** CPU seconds this (client) process used during the phase: is the load generator the bottleneck? */
  clientCpuSec: number;
  /** API server CPU milliseconds per operation (from /proc; NaN elsewhere): less sensitive to a busy machine than latency. */
  serverCpuMsPerOp: number;
  notes: Record<string, string | number>;
}

let serverPid: number | undefined;

async function phase(
  verb: string,
  count: number,
  limitMs: number,
  op: (i: number, client: number) => Promise<void>,
  notes: Record<string, string | number> = {},
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError = '';
  let timeBounded = false;
  const cpu0 = process.cpuUsage();
  const server0 = processCpuSec(serverPid);
  const start = performance.now();
  let lastTick = start;
  const worker = async (client: number): Promise<void> => {
    for (;;) {
      if (next >= count) return;
      if (performance.now() - start >= limitMs) {
        timeBounded = true;
        return;
      }
      const i = next++;
      const s = performance.now();
      try {
        await op(i, client);
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        firstError ||= e instanceof Error ? e.message : String(e);
      }
      const now = performance.now();
      if (now - lastTick > 2000) {
        lastTick = now;
        progress(`  ${verb}: ${latencies.length}/${count}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => worker(c)));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  if (firstError) notes.firstError = firstError.slice(0, 200);
  return {
    verb,
    ops: latencies.length,
    errors,
    elapsedMs,
    opsPerSec: (latencies.length * 1000) / elapsedMs,
    latencyMs: summarize(latencies),
    timeBounded,
    clientCpuSec: (cpu.user + cpu.system) / 1e6,
    serverCpuMsPerOp: ((processCpuSec(serverPid) - server0) * 1000) / Math.max(1, latencies.length),
    notes,
  };
}

function pod(name: string, client: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', client: String(client) } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

const nsOf = (client: number) => `bench-${client}`;

interface BackendRun {
  backend: string;
  path: string;
  results: PhaseResult[];
  error?: string;
  profiles?: string[];
}

async function runAgainst(name: string, server: K8tsProcess, storePath: string): Promise<BackendRun> {
  const run: BackendRun = { backend: name, path: '', results: [] };
  serverPid = server.pid;
  const client = new Client(server.kubeconfig);
  // What `k8ts up` says about its store (its banner), else what we asked for.
  const banner = /^k8ts is running at \S+ \(store: (.*)\)$/m.exec(server.output())?.[1];
  run.path = `API server pid ${server.pid} at ${server.url} (k8ts up ${quietFlags().join(' ')}; store: ${banner ?? storePath}); clients: raw HTTPS (node:https keep-alive agent, ${CLIENTS} sockets, admin client certificate from ${server.kubeconfig}), JSON`;
  const watches: { close(): void }[] = [];
  try {
    progress(`${name}: creating ${CLIENTS} namespaces and warming up`);
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsOf(c) } })));
    await Promise.all(Array.from({ length: CLIENTS * 4 }, (_, i) => client.ok('GET', `/api/v1/namespaces/${nsOf(i % CLIENTS)}`)));

    // Watchers: cluster-wide pod watches from the current resourceVersion.
    const list = JSON.parse((await client.ok('GET', '/api/v1/pods?limit=1')).body.toString('utf8')) as { metadata: { resourceVersion: string } };
    const sentAt = new Map<string, number>();
    const eventLatencies: number[] = [];
    let events = 0;
    let unknown = 0;
    for (let w = 0; w < WATCHERS; w++) {
      watches.push(
        await client.watch(`/api/v1/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`, (type, podName, at) => {
          if (type !== 'ADDED') return;
          events++;
          const sent = sentAt.get(podName);
          if (sent === undefined) unknown++;
          else eventLatencies.push(at - sent);
        }),
      );
    }

    progress(`${name}: create: ${CREATES} pods, ${CLIENTS} clients, ${WATCHERS} watchers streaming every pod event`);
    const created: string[][] = Array.from({ length: CLIENTS }, () => []);
    const create = await phase('create', CREATES, CREATE_LIMIT_MS, async (i, c) => {
      const podName = `p-${c}-${i}`;
      sentAt.set(podName, performance.now());
      await client.ok('POST', `/api/v1/namespaces/${nsOf(c)}/pods`, pod(podName, c));
      created[c]!.push(podName);
    });
    run.results.push(create);
    progress(`${name}: create: ${fmtOps(create.opsPerSec)}/s p50 ${fmtMs(create.latencyMs.p50)} p99 ${fmtMs(create.latencyMs.p99)}`);

    const expected = create.ops * WATCHERS;
    const drainStart = performance.now();
    while (events < expected && performance.now() - drainStart < DRAIN_LIMIT_MS) await sleep(20);
    const watchElapsed = create.elapsedMs + (performance.now() - drainStart);
    run.results.push({
      verb: 'watch-event',
      ops: eventLatencies.length,
      errors: expected - events + unknown,
      elapsedMs: watchElapsed,
      opsPerSec: (eventLatencies.length * 1000) / watchElapsed,
      latencyMs: summarize(eventLatencies),
      timeBounded: events < expected,
      clientCpuSec: NaN,
      serverCpuMsPerOp: NaN,
      notes: { watchers: WATCHERS, expected, received: events, latency: 'create sent -> ADDED received' },
    });
    for (const w of watches.splice(0)) w.close();

    const all = created.flatMap((names, c) => names.map((n) => `/api/v1/namespaces/${nsOf(c)}/pods/${n}`));
    progress(`${name}: get: ${GETS} single-pod reads of ${all.length} pods`);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const get = await phase('get', GETS, GET_LIMIT_MS, async () => {
      await client.ok('GET', all[Math.floor(rnd() * all.length)]!);
    });
    run.results.push(get);
    progress(`${name}: get: ${fmtOps(get.opsPerSec)}/s p50 ${fmtMs(get.latencyMs.p50)} p99 ${fmtMs(get.latencyMs.p99)}`);

    const perNs = Math.round(create.ops / CLIENTS);
    progress(`${name}: list: ${LISTS} lists of a namespace's pods (~${perNs} each, consistent read from the store)`);
    let bytes = 0;
    const listPhase = await phase(
      'list',
      LISTS,
      LIST_LIMIT_MS,
      async (_i, c) => {
        const r = await client.ok('GET', `/api/v1/namespaces/${nsOf(c)}/pods`);
        bytes += r.body.length;
      },
      { podsPerList: perNs },
    );
    listPhase.notes.avgKiB = Math.round(bytes / Math.max(1, listPhase.ops) / 1024);
    run.results.push(listPhase);
    progress(`${name}: list: ${fmtOps(listPhase.opsPerSec)}/s p50 ${fmtMs(listPhase.latencyMs.p50)} p99 ${fmtMs(listPhase.latencyMs.p99)}`);
  } catch (e) {
    run.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    progress(`${name}: FAILED: ${run.error}`);
  } finally {
    for (const w of watches) w.close();
    client.agent.destroy();
  }
  return run;
}

/** The `k8ts up` flags that leave out everything but the store and the API server (those this version has). */
function quietFlags(): string[] {
  return ['--no-controllers', '--no-scheduler'].filter((f) => upHasFlag(f));
}

async function withServer(name: string, args: string[], storePath: string, extra = ''): Promise<BackendRun> {
  let dir: string | undefined;
  if (profDir) {
    dir = resolve(profDir, name);
    mkdirSync(dir, { recursive: true });
  }
  progress(`${name}: starting k8ts up ${args.join(' ')}`);
  const server = await startK8ts({ args: [...quietFlags(), ...args], nodeArgs: dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [] });
  running.add(server);
  try {
    const run = await runAgainst(name, server, storePath);
    if (extra) run.path += ` [${extra}]`;
    return run;
  } finally {
    progress(`${name}: stopping the API server (pid ${server.pid})`);
    const code = await server.stop();
    running.delete(server);
    if (code !== 0) progress(`${name}: API server exit: ${code}`);
    if (dir) progress(`${name}: CPU profile in ${dir}`);
  }
}

const backends: Record<string, () => Promise<BackendRun>> = {
  'k8ts-store': () => withServer('k8ts-store', [], "k8ts up's built-in store in the data dir"),
  etcd: async () => {
    progress('etcd: starting etcd');
    const etcd: EtcdProcess = await startEtcd();
    running.add(etcd);
    try {
      const version = await fetch(`${etcd.endpoint}/version`)
        .then((r) => r.json() as Promise<{ etcdserver?: string }>)
        .then((v) => v.etcdserver ?? '?')
        .catch(() => '?');
      const url = new URL(etcd.endpoint);
      return await withServer('etcd', ['--store', `etcd://${url.host}`], `etcd ${version} pid ${etcd.pid} at ${etcd.endpoint}`, `etcd ${version}, pid ${etcd.pid}`);
    } finally {
      progress(`etcd: stopping etcd (pid ${etcd.pid})`);
      await etcd.stop();
      running.delete(etcd);
    }
  },
};

// ---- output ----

function fmtOps(x: number): string {
  return Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '-';
}
function fmtMs(x: number): string {
  return Number.isFinite(x) ? `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}ms` : '-';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const last = rows[0]!.length - 1;
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === last ? cell : c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

function report(runs: BackendRun[]): string {
  const out: string[] = [];
  out.push(`k8ts API server benchmark — node ${process.version}, ${cpus().length} CPUs, ${CLIENTS} concurrent clients, ${WATCHERS} watchers, scale ${scale}`);
  out.push(
    `1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at the end (other processes on the machine stretch latencies; server CPU ms/op is the steadier figure)`,
  );
  out.push('');
  for (const r of runs) out.push(`${r.backend}: ${r.path}`);
  out.push('');
  const rows: string[][] = [['verb', 'backend', 'ops', 'errors', 'seconds', 'ops/s', 'p50', 'p99', 'max', 'server cpu ms/op', 'client cpu s', 'notes']];
  const verbs = ['create', 'get', 'list', 'watch-event'];
  for (const verb of verbs) {
    for (const run of runs) {
      const r = run.results.find((x) => x.verb === verb);
      if (!r) continue;
      const notes = Object.entries(r.notes)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      rows.push([
        verb,
        run.backend,
        String(r.ops),
        String(r.errors),
        (r.elapsedMs / 1000).toFixed(2),
        fmtOps(r.opsPerSec),
        fmtMs(r.latencyMs.p50),
        fmtMs(r.latencyMs.p99),
        fmtMs(r.latencyMs.max),
        Number.isFinite(r.serverCpuMsPerOp) ? r.serverCpuMsPerOp.toFixed(2) : '-',
        Number.isFinite(r.clientCpuSec) ? r.clientCpuSec.toFixed(1) : '-',
        (r.timeBounded ? '(time-bounded) ' : '') + notes,
      ]);
    }
  }
  out.push(table(rows));
  out.push('');
  const a = runs.find((r) => r.backend === 'k8ts-store');
  const b = runs.find((r) => r.backend === 'etcd');
  for (const verb of verbs) {
    const ra = a?.results.find((x) => x.verb === verb);
    const rb = b?.results.find((x) => x.verb === verb);
    const parts = runs.map((run) => {
      const r = run.results.find((x) => x.verb === verb);
      return r ? `${run.backend} ${fmtOps(r.opsPerSec)}/s p50 ${fmtMs(r.latencyMs.p50)} p99 ${fmtMs(r.latencyMs.p99)}` : `${run.backend} -`;
    });
    const ratio = ra && rb && rb.opsPerSec > 0 ? `${(ra.opsPerSec / rb.opsPerSec).toFixed(2)}x` : '-';
    const p99 = ra && rb && rb.latencyMs.p99 > 0 ? `${(ra.latencyMs.p99 / rb.latencyMs.p99).toFixed(2)}x` : '-';
    out.push(`${verb}: ${parts.join(' | ')} | k8ts-store/etcd ops/s ${ratio}, p99 ${p99}`);
  }
  out.push('(ops/s ratio >1: the built-in store is faster; p99 ratio <1: the built-in store has the lower tail. watch-event ops are deliveries, one per pod per watcher.)');
  for (const run of runs) {
    for (const verb of ['create', 'get']) {
      const r = run.results.find((x) => x.verb === verb);
      if (r) out.push(`goal p99 < ${GOAL_P99_MS}ms, ${verb} on ${run.backend}: ${fmtMs(r.latencyMs.p99)} ${r.latencyMs.p99 < GOAL_P99_MS ? 'met' : 'MISSED'}`);
    }
  }
  for (const run of runs) if (run.error) out.push(`\n${run.backend} FAILED: ${run.error}`);
  return out.join('\n') + '\n';
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench-api: watchdog: run exceeded ${WATCHDOG_MS / 1000} s; aborting\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const runs: BackendRun[] = [];
  for (const n of backendNames) {
    const b = backends[n];
    if (!b) throw new Error(`unknown backend ${n} (have: ${Object.keys(backends).join(', ')})`);
    try {
      runs.push(await b());
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      progress(`${n}: FAILED: ${error}`);
      runs.push({ backend: n, path: '(failed to start)', results: [], error });
    }
  }
  clearTimeout(watchdog);
  process.stdout.write(report(runs));
  if (wantJson) process.stdout.write(JSON.stringify({ node: process.version, cpus: cpus().length, clients: CLIENTS, watchers: WATCHERS, scale, totalSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)), runs }, null, 2) + '\n');
  progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return runs.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bench-api: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
