// Runs the storage conformance cases against each backend and prints one summary line
// per backend:  storage conformance: <backend> N passed, M failed
//
//   tsx conformance/storage/run.ts [--backend etcd|k8ts|k8ts-grpc|k8ts-raft3|k8ts-cluster|all] [--only <substring>]
//                                  [--verbose] [--concurrency <n>]
//
// Exits non-zero when a case failed, or when several backends ran and their pass counts differ.
import { etcdBackend, k8tsBackend, k8tsClusterBackend, k8tsGrpcBackend, k8tsRaft3Backend } from './backends.ts';
import { cases } from './cases.ts';
import { Collector, type Backend, type CaseContext, type StorageCase } from './harness.ts';
import type { Store } from '../../storage/store.ts';

interface Args {
  backend: 'etcd' | 'k8ts' | 'k8ts-grpc' | 'k8ts-raft3' | 'k8ts-cluster' | 'all';
  only: string | undefined;
  verbose: boolean;
  concurrency: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backend: 'all', only: undefined, verbose: false, concurrency: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--backend': {
        const v = value();
        if (v !== 'etcd' && v !== 'k8ts' && v !== 'k8ts-grpc' && v !== 'k8ts-raft3' && v !== 'k8ts-cluster' && v !== 'all') {
          throw new Error(`--backend must be etcd, k8ts, k8ts-grpc, k8ts-raft3, k8ts-cluster or all (got '${v}')`);
        }
        args.backend = v;
        break;
      }
      case '--only':
        args.only = value();
        break;
      case '--verbose':
      case '-v':
        args.verbose = true;
        break;
      case '--concurrency':
        args.concurrency = Math.max(1, Number(value()) || 1);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return args;
}

interface CaseResult {
  name: string;
  ok: boolean;
  error?: unknown;
  ms: number;
}

function formatError(e: unknown): string {
  if (e instanceof Error) {
    const stack = e.stack ?? `${e.name}: ${e.message}`;
    // The message plus the first frames inside the suite are enough to locate it.
    const lines = stack.split('\n');
    const head = lines.filter((l) => !l.trimStart().startsWith('at '));
    const frames = lines.filter((l) => l.includes('conformance/storage/')).slice(0, 2);
    return [...head, ...frames].join('\n');
  }
  return String(e);
}

const runId = Date.now().toString(36);

async function runCase(c: StorageCase, index: number, backend: Backend, sharedStore: () => Promise<Store>): Promise<CaseResult> {
  const started = Date.now();
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const prefix = `/conformance/${runId}/${String(index).padStart(3, '0')}/`;
  const ctx: CaseContext = {
    backend: backend.name,
    prefix,
    key: (name) => prefix + name,
    keyBytes: (...bytes) => Buffer.concat([Buffer.from(prefix), Buffer.from(bytes)]),
    defer: (fn) => void cleanups.push(fn),
    watch: async (store, key, options = {}) => {
      const col = new Collector();
      col.watch = await store.watch(key, options, col.onResponse);
      cleanups.push(() => col.watch.cancel());
      return col;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  let result: CaseResult;
  try {
    let store: Store;
    if (c.fresh) {
      const f = await backend.fresh(c.fresh === true ? {} : c.fresh);
      cleanups.unshift(() => f.dispose());
      store = f.store;
    } else {
      store = await sharedStore();
    }
    const timeoutMs = c.timeoutMs ?? 20000;
    await Promise.race([
      c.run(store, ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`case timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    result = { name: c.name, ok: true, ms: Date.now() - started };
  } catch (error) {
    result = { name: c.name, ok: false, error, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // cleanup is best effort
    }
  }
  return result;
}

async function runBackend(backend: Backend, selected: StorageCase[], args: Args): Promise<CaseResult[]> {
  const results = new Map<StorageCase, CaseResult>();
  let sharedPromise: Promise<Store> | undefined;
  const sharedStore = () => (sharedPromise ??= backend.shared());
  const report = (c: StorageCase, r: CaseResult) => {
    results.set(c, r);
    if (args.verbose) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} [${backend.name}] ${c.name} (${r.ms} ms)`);
  };
  const indexed = selected.map((c) => ({ c, i: cases.indexOf(c) }));
  // Shared-store cases one at a time (they assert relative revisions); fresh-store cases
  // on their own instances, a few at a time, alongside them.
  const sharedChain = (async () => {
    for (const { c, i } of indexed.filter(({ c }) => !c.fresh)) report(c, await runCase(c, i, backend, sharedStore));
  })();
  const freshQueue = indexed.filter(({ c }) => c.fresh);
  const workers = Array.from({ length: Math.min(backend.freshConcurrency ?? args.concurrency, freshQueue.length) }, async () => {
    for (let next = freshQueue.shift(); next; next = freshQueue.shift()) {
      report(next.c, await runCase(next.c, next.i, backend, sharedStore));
    }
  });
  await Promise.all([sharedChain, ...workers]);
  await backend.dispose().catch((e: unknown) => console.error(`[${backend.name}] dispose failed: ${formatError(e)}`));
  return selected.map((c) => results.get(c)!);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const selected = args.only ? cases.filter((c) => c.name.includes(args.only!)) : cases;
  if (selected.length === 0) {
    console.error(`no case matches --only ${args.only}`);
    return 2;
  }
  process.on('unhandledRejection', (e) => {
    if (args.verbose) console.error(`(unhandled rejection after a case ended: ${formatError(e)})`);
  });

  const backends: Backend[] = [];
  if (args.backend === 'etcd' || args.backend === 'all') backends.push(etcdBackend());
  if (args.backend === 'k8ts' || args.backend === 'all') backends.push(k8tsBackend());
  if (args.backend === 'k8ts-grpc' || args.backend === 'all') backends.push(k8tsGrpcBackend());
  if (args.backend === 'k8ts-raft3' || args.backend === 'all') backends.push(k8tsRaft3Backend());
  if (args.backend === 'k8ts-cluster' || args.backend === 'all') backends.push(k8tsClusterBackend());

  let failed = false;
  const passCounts: number[] = [];
  for (const backend of backends) {
    const t0 = Date.now();
    const results = await runBackend(backend, selected, args);
    const passed = results.filter((r) => r.ok).length;
    const failures = results.filter((r) => !r.ok);
    for (const f of failures) {
      console.log(`✗ [${backend.name}] ${f.name}\n${indent(formatError(f.error))}`);
    }
    if (args.verbose) console.log(`  [${backend.name}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`storage conformance: ${backend.name} ${passed} passed, ${failures.length} failed`);
    passCounts.push(passed);
    if (failures.length > 0) failed = true;
  }
  if (passCounts.length > 1 && new Set(passCounts).size > 1) {
    console.log(`storage conformance: backends differ (${backends.map((b, i) => `${b.name} ${passCounts[i]}`).join(', ')} passed)`);
    failed = true;
  }
  return failed ? 1 : 0;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(formatError(e));
    process.exit(2);
  },
);
