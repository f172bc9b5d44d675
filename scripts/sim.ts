// Deterministic simulation of the Raft-replicated KV store, checked for linearizability and
// agreement (see storage/sim/README.md).
//
//   npm run sim -- --seeds N [--start S] [--replicas 3|5] [--verbose] [--jobs J]
//
// Runs seeds S .. S+N-1 (S defaults to 1). A failing seed prints what went wrong and the
// command that replays it. The last line is always
//   N runs, X linearizability violations, Y divergent logs
// and the exit status is non-zero when X or Y > 0, or when a run failed to make progress,
// threw, or could not be checked. Progress goes to stderr.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { runSeed } from '../storage/sim/run.ts';
import type { SimOptions, SimResult } from '../storage/sim/run.ts';

interface Args {
  seeds: number;
  start: number;
  replicas?: 3 | 5;
  verbose: boolean;
  jobs: number;
  bug?: SimOptions['bug'];
  chaosMs?: number;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`sim: ${msg}\n`);
  process.stderr.write(
    'usage: npm run sim -- --seeds N [--start S] [--replicas 3|5] [--verbose] [--jobs J] [--chaos-ms MS]\n' +
      '       (--bug stale-reads|skip-sync runs deliberately broken replicas, to see the checks fail)\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 0, start: 1, verbose: false, jobs: Math.max(1, Math.min(4, availableParallelism())) };
  let jobsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const s = val();
      const v = Number(s);
      if (!Number.isSafeInteger(v) || v < min) usage(`${a}: expected an integer ≥ ${min}, got ${s}`);
      return v;
    };
    switch (a) {
      case '--seeds':
        args.seeds = int(1);
        break;
      case '--start':
        args.start = int(0);
        break;
      case '--replicas': {
        const v = int(3);
        if (v !== 3 && v !== 5) usage('--replicas must be 3 or 5');
        args.replicas = v;
        break;
      }
      case '--verbose':
      case '-v':
        args.verbose = true;
        break;
      case '--jobs':
      case '-j':
        args.jobs = int(1);
        jobsGiven = true;
        break;
      case '--chaos-ms':
        args.chaosMs = int(100);
        break;
      case '--bug': {
        const v = val();
        if (v !== 'stale-reads' && v !== 'skip-sync') usage(`unknown --bug ${v}`);
        args.bug = v;
        break;
      }
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  if (args.seeds === 0) usage('--seeds is required');
  // Verbose output is one run's story: keep it in this process, in order.
  if (args.verbose && !jobsGiven) args.jobs = 1;
  args.jobs = Math.min(args.jobs, args.seeds);
  return args;
}

function simOptions(args: Args, log?: (line: string) => void): SimOptions {
  const o: SimOptions = {};
  if (args.replicas) o.replicas = args.replicas;
  if (args.bug) o.bug = args.bug;
  if (args.chaosMs) o.chaosMs = args.chaosMs;
  if (log) o.log = log;
  return o;
}

// ---- worker mode: run the seeds the parent sends, one at a time ----

if (process.argv[2] === '--worker') {
  const args = JSON.parse(process.argv[3]!) as Args;
  process.on('message', (seed: number) => {
    const res = runSeed(seed, simOptions(args));
    process.send!(res);
  });
  process.send!('ready');
} else {
  await main(parseArgs(process.argv.slice(2)));
}

async function main(args: Args): Promise<void> {
  const started = performance.now();
  const seeds = Array.from({ length: args.seeds }, (_, i) => args.start + i);
  const results = new Map<number, SimResult>();
  let printed = 0;
  const totals = { violations: 0, divergent: 0, noProgress: 0, errors: 0, unknown: 0, ops: 0, ok: 0, timeout: 0, fail: 0, crashes: 0, conf: 0, virtualMs: 0, cpuMs: 0 };
  const tty = process.stderr.isTTY;
  let lastProgress = 0;
  const progress = (force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < (tty ? 250 : 5000)) return;
    lastProgress = now;
    const failing = totals.violations + totals.divergent + totals.noProgress + totals.errors + totals.unknown;
    const line = `sim: ${results.size}/${seeds.length} seeds, ${((now - started) / 1000).toFixed(1)}s, ${failing} failing`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };

  const onResult = (res: SimResult) => {
    results.set(res.seed, res);
    if (res.linearizability === 'illegal') totals.violations++;
    if (res.linearizability === 'unknown') totals.unknown++;
    if (res.divergence.length > 0) totals.divergent++;
    if (res.noProgress) totals.noProgress++;
    if (res.error) totals.errors++;
    totals.ops += res.stats.operations;
    totals.ok += res.stats.ok;
    totals.timeout += res.stats.timeout;
    totals.fail += res.stats.fail;
    totals.crashes += res.stats.crashes;
    totals.conf += res.stats.confChanges;
    totals.virtualMs += res.stats.virtualMs;
    totals.cpuMs += res.stats.cpuMs;
    // Print in seed order, whatever order the workers finish in.
    while (printed < seeds.length && results.has(seeds[printed]!)) report(results.get(seeds[printed++]!)!, args);
    progress();
  };

  if (args.jobs <= 1) {
    for (const seed of seeds) {
      const log = args.verbose ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
      onResult(runSeed(seed, simOptions(args, log)));
      // Let stderr/stdout drain between runs.
      await new Promise((r) => setImmediate(r));
    }
  } else {
    await runParallel(seeds, args, onResult);
  }
  progress(true);
  if (tty) process.stderr.write('\n');

  const elapsed = (performance.now() - started) / 1000;
  const n = seeds.length;
  console.log(
    `${n} seeds in ${elapsed.toFixed(1)}s (${args.jobs} job${args.jobs > 1 ? 's' : ''}; ${(totals.cpuMs / 1000).toFixed(1)}s of CPU, ${(totals.cpuMs / n).toFixed(0)} ms/seed); ` +
      `${totals.ops} client operations (${totals.ok} ok, ${totals.timeout} timed out, ${totals.fail} failed), ` +
      `${totals.crashes} crashes, ${totals.conf} membership changes applied, ${(totals.virtualMs / 1000).toFixed(0)}s of virtual time`,
  );
  const other: string[] = [];
  if (totals.noProgress > 0) other.push(`${totals.noProgress} runs failed to make progress`);
  if (totals.errors > 0) other.push(`${totals.errors} runs threw`);
  if (totals.unknown > 0) other.push(`${totals.unknown} histories could not be checked in time`);
  if (other.length > 0) console.log(other.join(', '));
  console.log(`${n} runs, ${totals.violations} linearizability violations, ${totals.divergent} divergent logs`);
  process.exitCode = totals.violations + totals.divergent + totals.noProgress + totals.errors + totals.unknown > 0 ? 1 : 0;
}

function report(res: SimResult, args: Args): void {
  const replay = `npm run sim -- --seeds 1 --start ${res.seed}${args.replicas ? ` --replicas ${args.replicas}` : ''}${args.chaosMs ? ` --chaos-ms ${args.chaosMs}` : ''}${args.bug ? ` --bug ${args.bug}` : ''} --verbose`;
  const s = res.stats;
  const summary =
    `${s.operations} ops (${s.ok} ok, ${s.timeout} timed out, ${s.fail} failed), log index ${s.logIndex}, ${s.elections} leaders, term ${s.terms}, ` +
    `${s.crashes} crashes, ${s.confChanges} membership changes, ${s.snapshotsInstalled} snapshots installed, ${s.messages} messages, ` +
    `${(s.virtualMs / 1000).toFixed(1)}s virtual, ${s.elapsedMs.toFixed(0)}ms (CPU ${s.cpuMs.toFixed(0)}ms, check ${s.checkMs.toFixed(0)}ms)`;
  if (res.ok) {
    if (args.verbose) console.log(`seed ${res.seed}: ok: ${summary}`);
    return;
  }
  const what: string[] = [];
  if (res.linearizability === 'illegal') what.push('linearizability violation');
  if (res.linearizability === 'unknown') what.push('history could not be checked in time');
  if (res.divergence.length > 0) what.push('divergent logs');
  if (res.noProgress) what.push('no progress');
  if (res.error) what.push('error');
  const lines = [`seed ${res.seed} FAILED: ${what.join(', ')}`, `  config: ${res.config}`, `  ${summary}`];
  if (res.violation) lines.push(indent(res.violation));
  for (const d of res.divergence) lines.push(`  divergence: ${d}`);
  if (res.noProgress) lines.push(indent(res.noProgress));
  if (res.error) lines.push(indent(res.error));
  lines.push(`  replay: ${replay}`);
  console.log(lines.join('\n'));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function runParallel(seeds: number[], args: Args, onResult: (r: SimResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    const workers: ChildProcess[] = [];
    const feed = (w: ChildProcess) => {
      if (next < seeds.length) w.send(seeds[next++]!);
      else w.disconnect();
    };
    for (let j = 0; j < args.jobs; j++) {
      const w = fork(process.argv[1]!, ['--worker', JSON.stringify(args)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(w);
      w.on('message', (msg: SimResult | 'ready') => {
        if (msg !== 'ready') {
          onResult(msg);
          if (++done === seeds.length) resolve();
        }
        feed(w);
      });
      w.on('exit', (code) => {
        if (code !== 0 && done < seeds.length) {
          for (const o of workers) o.kill();
          reject(new Error(`sim worker exited with code ${code}`));
        }
      });
    }
  });
}
