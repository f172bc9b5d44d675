// Benchmark of the linearizability checker on simulation-sized KV histories.
//   npx tsx storage/linearizability/bench.ts [repeats]
// Prints the median time per check (not a test: times depend on the machine and its load).

import { checkOperations, type CheckOptions } from '../storage/linearizability/checker.ts';
import { UNKNOWN } from '../storage/linearizability/history.ts';
import { kvModel, kvOut } from '../storage/linearizability/model.ts';
import { randomKvHistory, type KvOperation } from '../storage/linearizability/testing.ts';

const repeats = Number(process.argv[2] ?? 3);

/** Makes a late completed read return a value overwritten before it was called (a stale read). */
function staleRead(h: KvOperation[]): number {
  const definiteWrite = (o: KvOperation) => o.return !== Infinity && (o.input.kind === 'put' || o.input.kind === 'delete');
  for (let i = Math.floor(h.length * 0.8); i < h.length; i++) {
    const g = h[i]!;
    if (g.input.kind !== 'get' || g.return === Infinity) continue;
    const key = g.input.key;
    for (const w of h) {
      if (w.input.key !== key || w.input.kind !== 'put' || w.return === Infinity) continue;
      const value = w.input.value;
      if (g.output !== UNKNOWN && g.output.kind === 'get' && g.output.value === value) continue;
      if (h.some((w2) => w2 !== w && w2.input.key === key && definiteWrite(w2) && w.return < w2.call && w2.return < g.call)) {
        g.output = kvOut.get(value);
        return i;
      }
    }
  }
  throw new Error('no read to corrupt');
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function run(label: string, h: KvOperation[], options: CheckOptions, expected: string): void {
  const times: number[] = [];
  let last;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    last = checkOperations(kvModel, h, { timeoutMs: 60_000, ...options });
    times.push(performance.now() - t);
  }
  const r = last!;
  const flag = r.result === expected ? '' : `  << expected ${expected}`;
  console.log(
    `${label.padEnd(58)} ${r.result.padEnd(8)} ${median(times).toFixed(1).padStart(9)} ms` +
      `  steps ${String(r.stats.steps).padStart(8)}  configs ${String(r.stats.configurations).padStart(7)}` +
      `  jit ${r.stats.decidedJustInTime}${r.info ? `  core ${r.info.core.length}` : ''}${flag}`,
  );
}

const scenarios: Array<{ name: string; operations: number; keys: number; clients: number; pendingRate: number }> = [
  { name: '5000 ops, 10 keys, 5 clients, no timeouts', operations: 5000, keys: 10, clients: 5, pendingRate: 0 },
  { name: '5000 ops, 10 keys, 5 clients, 5% timeouts', operations: 5000, keys: 10, clients: 5, pendingRate: 0.05 },
  { name: '5000 ops, 10 keys, 5 clients, 15% timeouts', operations: 5000, keys: 10, clients: 5, pendingRate: 0.15 },
  { name: '1000 ops, 10 keys, 5 clients, 5% timeouts', operations: 1000, keys: 10, clients: 5, pendingRate: 0.05 },
  { name: '5000 ops, 1 key, 5 clients, 5% timeouts', operations: 5000, keys: 1, clients: 5, pendingRate: 0.05 },
  { name: '5000 ops, 10 keys, 20 clients, 5% timeouts', operations: 5000, keys: 10, clients: 20, pendingRate: 0.05 },
];

console.log(`median of ${repeats}; Node ${process.version}`);
for (const s of scenarios) {
  const h = randomKvHistory({ seed: 1, ...s });
  console.log(`\n${s.name} (${h.filter((o) => o.return === Infinity).length} timed out)`);
  run('  linearizable, auto', h, {}, 'ok');
  run('  linearizable, depth-first only', h, { search: 'depth-first' }, 'ok');
  run('  linearizable, just-in-time only', h, { search: 'just-in-time' }, 'ok');
  const bad = h.map((o) => ({ ...o }));
  const at = staleRead(bad);
  run(`  one stale read (#${at}), auto, no explanation`, bad, { explain: false }, 'illegal');
  run(`  one stale read, just-in-time only, no explanation`, bad, { explain: false, search: 'just-in-time' }, 'illegal');
  run(`  one stale read, auto, with explanation`, bad, {}, 'illegal');
}
