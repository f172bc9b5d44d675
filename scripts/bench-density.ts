// `npm run bench:density -- --nodes 100 --pods 3000`: a density run as ClusterLoader2's:
// `k8ts up` in a child process with N hollow nodes beside it (a `k8ts agent --hollow` process
// of their own, as kubemark's; `--hollow in-process` runs them inside `k8ts up`), P pods
// created through the API at high concurrency (directly, or through ReplicaSets with
// `--via replicasets`), every pod followed through a watch until Running. Reports scheduling
// throughput, pod start-up latency (creation → Running as the watch shows it) and API call
// latency (this client's, and the server's apiserver_request_duration_seconds from /metrics)
// beside the Kubernetes references: ClusterLoader2's 100 pods/s scheduling throughput
// threshold, the pod start-up SLO (p99 ≤ 5 s) and the API call latency SLO (p99 ≤ 1 s).
//
//   npm run bench:density -- [--nodes 100] [--pods 3000] [--concurrency 32] [--qps 0]
//     [--hollow-start-delay 0] [--timeout 300] [--cpu-prof DIR] ... (--help for all)
//
// Progress goes to stderr, the table to stdout. The whole run is bounded by --timeout; the
// processes it starts are stopped by PID at the end, on error, on timeout and on SIGINT/SIGTERM.
// --cpu-prof writes V8 CPU profiles of k8ts and the agent into DIR.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startHollowAgent, type HollowAgentProcess } from '../conformance/support/hollow-agent.ts';
import { startK8ts, type K8tsProcess } from '../conformance/support/k8ts-process.ts';
import { ApiClient, loadKubeconfig, type ResourceRef } from '../controllers/runtime/client.ts';
import { isNotFound } from '../controllers/runtime/errors.ts';
import { Informer, listerWatcher } from '../controllers/runtime/informer.ts';
import type { KubeObject } from '../controllers/runtime/types.ts';
import { histogramCount, histogramDelta, histogramQuantile, parseHistograms, type HistogramSeries } from './lib/histogram.ts';
import { processCpuSec } from './lib/proc.ts';
import { percentile, summarize } from './lib/stats.ts';

/**
 * By default the processes under test run with a larger young generation: the API server
 * allocates many short-lived objects, and with the default 16 MiB semi-space the scavenger
 * copies them again and again (about twice the GC time). `--node-flags=` runs them plain.
 */
const SEMI_SPACE_FLAG = '--max-semi-space-size=64';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    pods: { type: 'string', default: '3000' },
    via: { type: 'string', default: 'pods' },
    'pods-per-replicaset': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '32' },
    qps: { type: 'string', default: '0' },
    'hollow-start-delay': { type: 'string', default: '0' },
    hollow: { type: 'string', default: 'agent' },
    timeout: { type: 'string', default: '300' },
    'node-flags': { type: 'string', default: SEMI_SPACE_FLAG },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'usage: npm run bench:density -- [--nodes N] [--pods P] [--via pods|replicasets] [--pods-per-replicaset K]\n' +
      '         [--concurrency C] [--qps Q] [--hollow agent|in-process] [--hollow-start-delay MS] [--timeout SECONDS]\n' +
      '         [--node-flags=FLAGS] [--cpu-prof DIR]\n',
  );
  process.exit(0);
}
const int = (name: keyof typeof args, min: number): number => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const NODES = int('nodes', 1);
const PODS = int('pods', 1);
const PER_RS = int('pods-per-replicaset', 1);
const CONCURRENCY = int('concurrency', 1);
/** Creates per second (ClusterLoader2's tuning sets); 0: as fast as CONCURRENCY allows. */
const QPS = int('qps', 0);
const START_DELAY_MS = int('hollow-start-delay', 0);
const TIMEOUT_MS = int('timeout', 1) * 1000;
const VIA = args.via;
if (VIA !== 'pods' && VIA !== 'replicasets') throw new Error('--via must be pods or replicasets');
/** Where the hollow nodes run: a `k8ts agent --hollow` process of their own (as kubemark's), or inside `k8ts up`. */
const HOLLOW = args.hollow;
if (HOLLOW !== 'agent' && HOLLOW !== 'in-process') throw new Error('--hollow must be agent or in-process');
const profDir = args['cpu-prof'] === undefined ? undefined : resolve(args['cpu-prof']);

/** Kubernetes' references: ClusterLoader2's throughput threshold and the scalability SLOs. */
const REF = { throughput: 100, startupP99Ms: 5000, apiP99Ms: 1000 };
/** What k8ts aims for on a 2-core machine. */
const GOAL = { throughput: 300, startupP99Ms: 2000 };
/** ClusterLoader2's SchedulingThroughput samples the scheduled count every 5 s. */
const CL2_INTERVAL_MS = 5000;
const NAMESPACE = 'density';

const PODS_REF: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
const NODES_REF: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };
const NAMESPACES_REF: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' };
const LEASES_REF: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true, kind: 'Lease' };
const RS_REF: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, kind: 'ReplicaSet' };

const t0 = performance.now();
const progress = (m: string): void => void process.stderr.write(`[density ${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- API calls, each timed ----

/** Latencies (ms) of the calls this benchmark made, by "VERB resource". */
const apiCalls = new Map<string, number[]>();
async function timed<T>(call: string, fn: () => Promise<T>): Promise<T> {
  const s = performance.now();
  const r = await fn();
  let l = apiCalls.get(call);
  if (!l) apiCalls.set(call, (l = []));
  l.push(performance.now() - s);
  return r;
}

// ---- what the watch shows ----

interface PodTimes {
  /** When this benchmark sent the create (direct pods). */
  sent?: number;
  /** When the watch first showed the pod. */
  seen: number;
  bound?: number;
  node?: string;
  running?: number;
}

class Tracker {
  readonly pods = new Map<string, PodTimes>();
  bound = 0;
  running = 0;
  readonly sent = new Map<string, number>();

  observe(pod: KubeObject): void {
    const now = performance.now();
    const name = pod.metadata?.name ?? '';
    let t = this.pods.get(name);
    if (!t) this.pods.set(name, (t = { seen: now, sent: this.sent.get(name) }));
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (t.bound === undefined && node) {
      t.bound = now;
      t.node = node;
      this.bound++;
    }
    if (t.running === undefined && (pod.status as { phase?: string } | undefined)?.phase === 'Running') {
      t.running = now;
      this.running++;
    }
  }
}

function podTemplate(labels: Record<string, string>) {
  return {
    metadata: { labels },
    // As ClusterLoader2's density pods: a pause container with small requests.
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '1m', memory: '10Mi' } } }] },
  };
}

async function createAll(client: ApiClient, tracker: Tracker): Promise<number> {
  const labels = { app: 'density' };
  const work: (() => Promise<unknown>)[] = [];
  if (VIA === 'pods') {
    for (let i = 0; i < PODS; i++) {
      const name = `density-${i}`;
      const t = podTemplate(labels);
      work.push(() => {
        tracker.sent.set(name, performance.now());
        return timed('POST pods', () => client.create(PODS_REF, NAMESPACE, { apiVersion: 'v1', kind: 'Pod', ...t, metadata: { ...t.metadata, name } }));
      });
    }
  } else {
    for (let i = 0, left = PODS; left > 0; i++, left -= PER_RS) {
      const name = `density-${i}`;
      const rsLabels = { ...labels, rs: name };
      const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name }, spec: { replicas: Math.min(PER_RS, left), selector: { matchLabels: rsLabels }, template: podTemplate(rsLabels) } };
      work.push(() => timed('POST replicasets', () => client.create(RS_REF, NAMESPACE, rs)));
    }
  }
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, work.length) }, async () => {
      while (next < work.length && !timedOut) {
        const i = next++;
        const job = work[i]!;
        if (QPS > 0) await sleep(start + (i * 1000) / QPS - performance.now());
        try {
          await job();
        } catch (err) {
          if (errors++ === 0) progress(`create failed: ${(err as Error).message}`);
        }
      }
    }),
  );
  return errors;
}

// ---- the run ----

let timedOut = false;
let k8ts: K8tsProcess | undefined;
let agent: HollowAgentProcess | undefined;
const stopAll = async (timeoutMs?: number) => {
  await agent?.stop(timeoutMs);
  await k8ts?.stop(timeoutMs);
};

async function waitFor(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline || timedOut) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Result {
  created: number;
  createErrors: number;
  firstSent: number;
  lastBound: number;
  cl2Samples: number[];
  tracker: Tracker;
  complete: boolean;
  /** From the first create until every pod ran: wall time, and CPU seconds of k8ts, of the hollow agent and of this process. */
  wallMs: number;
  k8tsCpuSec: number;
  agentCpuSec: number;
  benchCpuSec: number;
  /** The API server's request latency histograms over the run (its /metrics). */
  server: Map<string, HistogramSeries>;
}

const REQUEST_DURATION = 'apiserver_request_duration_seconds';
/** The server's histograms (none from a server without /metrics). */
const scrape = async (client: ApiClient) => {
  try {
    return parseHistograms(await client.request<string>('GET', '/metrics', { text: true }), REQUEST_DURATION);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return new Map<string, HistogramSeries>();
  }
};

async function run(client: ApiClient): Promise<Result> {
  const deadline = t0 + TIMEOUT_MS;
  progress(`waiting for ${NODES} Ready hollow nodes and the scheduler`);
  await waitFor('the nodes', deadline, async () => {
    const nodes = await timed('LIST nodes', () => client.list(NODES_REF, undefined));
    const ready = nodes.items.filter((n) => ((n.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length >= NODES;
  });
  await waitFor('the scheduler', deadline, async () => !!((await client.get(LEASES_REF, 'kube-system', 'kube-scheduler')).spec as { holderIdentity?: string })?.holderIdentity);
  await timed('POST namespaces', () => client.create(NAMESPACES_REF, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));

  const tracker = new Tracker();
  const informer = new Informer(listerWatcher(client, PODS_REF, NAMESPACE), { name: 'density-pods' });
  informer.addEventHandler({ add: (p) => tracker.observe(p), update: (_o, p) => tracker.observe(p) });
  informer.start();
  await informer.waitForSync();

  progress(`creating ${PODS} pods ${VIA === 'pods' ? 'directly' : `through ${Math.ceil(PODS / PER_RS)} ReplicaSets`} (${CONCURRENCY} at a time${QPS ? `, ${QPS}/s` : ''}); hollow start delay ${START_DELAY_MS} ms`);
  const firstSent = performance.now();
  const cpu0 = { k8ts: processCpuSec(k8ts?.pid), agent: processCpuSec(agent?.pid), bench: process.cpuUsage() };
  const metrics0 = await scrape(client);
  const cl2Samples: number[] = [];
  let lastSampleBound = 0;
  let lastTick = { at: firstSent, bound: 0 };
  const ticker = setInterval(() => {
    const now = performance.now();
    const rate = ((tracker.bound - lastTick.bound) * 1000) / (now - lastTick.at);
    lastTick = { at: now, bound: tracker.bound };
    progress(`seen ${tracker.pods.size}/${PODS}, bound ${tracker.bound}, Running ${tracker.running} (${Math.round(rate)} pods/s bound in the last second)`);
  }, 1000);
  const sampler = setInterval(() => {
    cl2Samples.push(((tracker.bound - lastSampleBound) * 1000) / CL2_INTERVAL_MS);
    lastSampleBound = tracker.bound;
  }, CL2_INTERVAL_MS);
  try {
    const createErrors = await createAll(client, tracker);
    while (tracker.running < PODS && !timedOut && performance.now() < deadline) await sleep(50);
    let lastBound = firstSent;
    for (const t of tracker.pods.values()) if (t.bound !== undefined && t.bound > lastBound) lastBound = t.bound;
    const bench = process.cpuUsage(cpu0.bench);
    return {
      created: tracker.pods.size,
      createErrors,
      firstSent,
      lastBound,
      cl2Samples,
      tracker,
      complete: tracker.running >= PODS,
      wallMs: performance.now() - firstSent,
      k8tsCpuSec: processCpuSec(k8ts?.pid) - cpu0.k8ts,
      agentCpuSec: processCpuSec(agent?.pid) - cpu0.agent,
      benchCpuSec: (bench.user + bench.system) / 1e6,
      server: histogramDelta(metrics0, await scrape(client)),
    };
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    await informer.stop();
  }
}

// ---- the report ----

const fmtMs = (ms: number) => (Number.isNaN(ms) ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtRate = (r: number) => `${Math.round(r)} pods/s`;

function report(r: Result): string {
  const all = [...r.tracker.pods.values()];
  const origin = (t: PodTimes) => t.sent ?? t.seen;
  const startup = all.filter((t) => t.running !== undefined).map((t) => t.running! - origin(t));
  const toBind = all.filter((t) => t.bound !== undefined).map((t) => t.bound! - origin(t));
  const bindToRun = all.filter((t) => t.bound !== undefined && t.running !== undefined).map((t) => t.running! - t.bound!);
  const s = summarize(startup);
  const throughput = (r.tracker.bound * 1000) / Math.max(1, r.lastBound - r.firstSent);
  const cl2Max = r.cl2Samples.length ? Math.max(...r.cl2Samples) : throughput;
  const rows: string[][] = [];
  const pass = (ok: boolean, ratio: string) => `${ratio} ${ok ? 'pass' : 'FAIL'}`;
  rows.push(['scheduling throughput (all pods / first create → last bind)', fmtRate(throughput), `≥ ${REF.throughput} pods/s (ClusterLoader2 threshold)`, pass(throughput >= REF.throughput, `${(throughput / REF.throughput).toFixed(1)}×`)]);
  rows.push([`scheduling throughput (max of ${CL2_INTERVAL_MS / 1000} s samples, as ClusterLoader2)`, r.cl2Samples.length ? fmtRate(cl2Max) : '- (run shorter than one sample)', `≥ ${REF.throughput} pods/s`, r.cl2Samples.length ? pass(cl2Max >= REF.throughput, `${(cl2Max / REF.throughput).toFixed(1)}×`) : '-']);
  rows.push(['pod start-up latency p50 (create → Running seen)', fmtMs(s.p50), '-', '-']);
  rows.push(['pod start-up latency p99 (create → Running seen)', fmtMs(s.p99), `≤ ${fmtMs(REF.startupP99Ms)} (SLO)`, pass(s.p99 <= REF.startupP99Ms, `${(s.p99 / REF.startupP99Ms).toFixed(2)}×`)]);
  rows.push(['  create → bound seen, p50 / p99', `${fmtMs(percentile(toBind, 50))} / ${fmtMs(percentile(toBind, 99))}`, '-', '-']);
  rows.push(['  bound → Running seen, p50 / p99', `${fmtMs(percentile(bindToRun, 50))} / ${fmtMs(percentile(bindToRun, 99))}`, `(includes the ${START_DELAY_MS} ms hollow start delay)`, '-']);
  for (const [call, lat] of [...apiCalls].sort()) {
    const l = summarize(lat);
    rows.push([`API call p99 (this client): ${call} (${l.count} calls, p50 ${fmtMs(l.p50)})`, fmtMs(l.p99), `≤ ${fmtMs(REF.apiP99Ms)} (SLO)`, pass(l.p99 <= REF.apiP99Ms, `${(l.p99 / REF.apiP99Ms).toFixed(2)}×`)]);
  }
  // The server's view of every call during the run (the scheduler's, the hollow nodes', the
  // controllers'), for the calls made at least once per ten pods.
  const series = [...r.server.values()].filter((h) => histogramCount(h) >= PODS / 10).sort((a, b) => histogramCount(b) - histogramCount(a));
  for (const h of series) {
    const { verb, group, resource, subresource } = h.labels;
    const p99 = histogramQuantile(0.99, h) * 1000;
    const p50 = histogramQuantile(0.5, h) * 1000;
    rows.push([`API call p99 (server): ${verb} ${resource}${group ? `.${group}` : ''}${subresource ? `/${subresource}` : ''} (${histogramCount(h)} calls, p50 ${fmtMs(p50)})`, fmtMs(p99), `≤ ${fmtMs(REF.apiP99Ms)} (SLO)`, pass(p99 <= REF.apiP99Ms, `${(p99 / REF.apiP99Ms).toFixed(2)}×`)]);
  }
  const head = ['metric', 'k8ts', 'Kubernetes reference', 'ratio / pass'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const perNode = new Map<string, number>();
  for (const t of all) if (t.node) perNode.set(t.node, (perNode.get(t.node) ?? 0) + 1);
  const counts = [...perNode.values()];
  const goalMet = throughput >= GOAL.throughput && s.p99 <= GOAL.startupP99Ms;
  return [
    '',
    `density: ${NODES} hollow nodes (${HOLLOW === 'agent' ? 'in a `k8ts agent --hollow` process of their own' : 'inside `k8ts up`'}), ${PODS} pods created ${VIA === 'pods' ? `directly (POST pods, ${CONCURRENCY} in flight${QPS ? `, ${QPS}/s` : ''})` : `through ${Math.ceil(PODS / PER_RS)} ReplicaSets of ≤ ${PER_RS} (${CONCURRENCY} creates in flight${QPS ? `, ${QPS}/s` : ''})`}; hollow start delay ${START_DELAY_MS} ms; pods followed through a watch; node flags: ${args['node-flags'] || '(none)'}`,
    `${r.tracker.running}/${PODS} Running${r.complete ? '' : ` (INCOMPLETE: ${timedOut ? 'timed out' : 'stopped'} after ${fmtMs(TIMEOUT_MS)})`}, ${r.tracker.bound} bound; ${r.createErrors} create errors; latencies from the client's send of the create${VIA === 'pods' ? '' : ' (ReplicaSets: from the pod first seen)'}`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    `spread over ${perNode.size}/${NODES} nodes: ${counts.length ? `${Math.min(...counts)} to ${Math.max(...counts)} pods per node` : '-'}`,
    `CPU from the first create until all ran (${fmtMs(r.wallMs)}): k8ts ${r.k8tsCpuSec.toFixed(1)} s (${((r.k8tsCpuSec * 1e6) / PODS).toFixed(0)} µs per pod)${agent ? `, hollow agent ${r.agentCpuSec.toFixed(1)} s` : ''}, this benchmark ${r.benchCpuSec.toFixed(1)} s; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`,
    `goal on this machine (≥ ${GOAL.throughput} pods/s, p99 start-up ≤ ${fmtMs(GOAL.startupP99Ms)}): ${goalMet ? 'met' : 'not met'}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  // Bound the whole run: past the timeout, report what there is; well past it, exit (the
  // helper's exit hook SIGKILLs k8ts by PID).
  const soft = setTimeout(() => {
    timedOut = true;
    progress('timeout: stopping');
  }, TIMEOUT_MS);
  const hard = setTimeout(() => {
    process.stderr.write('hard timeout: exiting\n');
    process.exit(2);
  }, TIMEOUT_MS + 30_000);
  soft.unref();
  hard.unref();
  if (profDir) mkdirSync(profDir, { recursive: true });
  const hollowArgs = ['--hollow-start-delay', String(START_DELAY_MS)];
  const upArgs = HOLLOW === 'in-process' ? ['--hollow-nodes', String(NODES), ...hollowArgs] : [];
  const nodeArgs = [...args['node-flags']!.split(' ').filter(Boolean), ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
  progress(`starting node ${nodeArgs.join(' ')} bin/k8ts.js up ${upArgs.join(' ')}`);
  k8ts = await startK8ts({ args: upArgs, nodeArgs });
  if (HOLLOW === 'agent') {
    progress(`starting k8ts agent --hollow --nodes ${NODES} ${hollowArgs.join(' ')}`);
    agent = startHollowAgent({ kubeconfig: k8ts.kubeconfig, nodes: NODES, args: hollowArgs, nodeArgs });
  }
  const client = new ApiClient({ ...loadKubeconfig(k8ts.kubeconfig), userAgent: 'k8ts-bench-density' });
  let code = 0;
  try {
    const r = await run(client);
    process.stdout.write(report(r));
    if (!r.complete || r.createErrors) code = 1;
  } finally {
    client.close();
    clearTimeout(soft);
    progress(`stopping ${agent ? 'the hollow agent and ' : ''}k8ts`);
    await stopAll();
    if (profDir) progress(`CPU profiles in ${profDir}`);
  }
  clearTimeout(hard);
  process.exitCode = code;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the processes\n`);
    void stopAll(3000).finally(() => process.exit(130));
  });
}

main().catch((err) => {
  console.error(err);
  if (agent) console.error(`hollow agent output:\n${agent.output().slice(-2000)}`);
  void stopAll(3000).finally(() => process.exit(1));
});
