// Starts real etcd processes (single member or a small loopback cluster) for tests and
// benchmarks. Every process started here is killed, and its data dir removed, when
// stop() is called or, failing that, when this Node process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { freePorts } from '../../lib/free-ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdOptions {
  /** The etcd binary; default `$ETCD_BIN` or `/usr/bin/etcd`. */
  binary?: string;
  /** `--experimental-watch-progress-notify-interval` in milliseconds; default 1000. */
  progressNotifyIntervalMs?: number;
  /** `--quota-backend-bytes`; default 0 (etcd's default, 2 GiB). */
  quotaBackendBytes?: number;
  /** `--max-request-bytes`; default 1.5 MiB (etcd's default). */
  maxRequestBytes?: number;
  /**
   * Raft timing; default etcd's own (100 ms / 1000 ms), which also gives etcd's usual
   * minimum lease TTL of 2 s (ceil(1.5 * election timeout)). Smaller values start a
   * member faster and lower the minimum TTL (e.g. 25 / 250 gives 1 s).
   */
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  /** `--log-level` (zap logger); default 'error'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';
  /** How long to wait for the member(s) to become healthy; default 20 s. */
  startTimeoutMs?: number;
  /** Extra command-line flags, appended last. */
  extraArgs?: string[];
  /** Forward etcd's stderr to ours (debugging). */
  inheritStderr?: boolean;
}

export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  endpoint: string;
  pid: number;
  name: string;
  dataDir: string;
  /** Kill (SIGTERM, then SIGKILL after `timeoutMs`, default 5 s) and remove the data dir. */
  stop(timeoutMs?: number): Promise<void>;
  /** The tail of etcd's stderr (diagnostics). */
  stderr(): string;
}

export interface EtcdCluster {
  endpoints: string[];
  members: EtcdProcess[];
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// Orphan protection: every live child is remembered; on exit (normal, signal or uncaught
// exception) they are SIGKILLed synchronously and their data dirs removed.

interface Tracked {
  child: ChildProcess;
  dataDir: string;
}
const live = new Map<number, Tracked>();
let handlersInstalled = false;

function killAllSync(): void {
  for (const [pid, t] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    try {
      rmSync(t.dataDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  live.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      killAllSync();
      process.exit(code);
    });
  }
}

// ---------------------------------------------------------------------------------------


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface MemberPlan {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
}

function memberArgs(m: MemberPlan, initialCluster: string, token: string, o: EtcdOptions): string[] {
  const client = `http://127.0.0.1:${m.clientPort}`;
  const peer = `http://127.0.0.1:${m.peerPort}`;
  return [
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', token,
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', o.logLevel ?? 'error',
    '--experimental-watch-progress-notify-interval', `${o.progressNotifyIntervalMs ?? 1000}ms`,
    '--quota-backend-bytes', String(o.quotaBackendBytes ?? 0),
    '--max-request-bytes', String(o.maxRequestBytes ?? 1.5 * 1024 * 1024),
    '--auto-compaction-retention', '0',
    '--heartbeat-interval', String(o.heartbeatIntervalMs ?? 100),
    '--election-timeout', String(o.electionTimeoutMs ?? 1000),
    ...(o.extraArgs ?? []),
  ];
}

function launch(m: MemberPlan, args: string[], o: EtcdOptions): EtcdProcess & { exited: Promise<number | null> } {
  installExitHandlers();
  const binary = o.binary ?? process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
  const child = spawn(binary, args, {
    stdio: ['ignore', 'ignore', o.inheritStderr ? 'inherit' : 'pipe'],
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT etc.); the 'error' event carries the reason.
    throw new Error(`failed to spawn ${binary}`);
  }
  const pid = child.pid;
  live.set(pid, { child, dataDir: m.dataDir });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-16384);
  });
  // Neither the child nor its pipe keeps this process alive; the exit handler kills it.
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      live.delete(pid);
      resolve(exitCode);
    });
    child.once('error', (err) => {
      stderrTail += `\nspawn error: ${err.message}`;
      live.delete(pid);
      exitCode = -1;
      resolve(-1);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 5000): Promise<void> => {
    stopping ??= (async () => {
      if (exitCode === undefined) {
        // Keep the event loop alive until the exit is observed (the child is unref'd).
        child.ref();
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone already
        }
        const timer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(pid);
      await rm(m.dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  return {
    endpoint: `http://127.0.0.1:${m.clientPort}`,
    pid,
    name: m.name,
    dataDir: m.dataDir,
    stop,
    stderr: () => stderrTail,
    exited,
  };
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

async function waitHealthy(
  members: Array<EtcdProcess & { exited: Promise<number | null> }>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: EtcdProcess | undefined;
  for (const m of members) void m.exited.then(() => (dead ??= m));
  const pending = new Set(members);
  while (pending.size > 0) {
    if (dead) throw new Error(`etcd ${dead.name} (pid ${dead.pid}) exited during start:\n${dead.stderr()}`);
    if (Date.now() > deadline) {
      const m = [...pending][0]!;
      throw new Error(`etcd ${m.name} not healthy at ${m.endpoint} after ${timeoutMs} ms:\n${m.stderr()}`);
    }
    await Promise.all(
      [...pending].map(async (m) => {
        if (await healthy(m.endpoint)) pending.delete(m);
      }),
    );
    if (pending.size > 0) await sleep(25);
  }
}

function isPortClash(e: unknown): boolean {
  return e instanceof Error && /address already in use|bind: /i.test(e.message);
}

async function startMembers(n: number, o: EtcdOptions): Promise<EtcdProcess[]> {
  const ports = await freePorts(2 * n);
  const token = `k8ts-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const plans: MemberPlan[] = [];
  for (let i = 0; i < n; i++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'k8ts-etcd-'));
    plans.push({ name: n === 1 ? 'default' : `m${i}`, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!, dataDir });
  }
  const initialCluster = plans.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(',');
  const members: Array<EtcdProcess & { exited: Promise<number | null> }> = [];
  try {
    for (const p of plans) members.push(launch(p, memberArgs(p, initialCluster, token, o), o));
    await waitHealthy(members, o.startTimeoutMs ?? 20000);
  } catch (e) {
    await Promise.all(members.map((m) => m.stop(1000)));
    await Promise.all(plans.map((p) => rm(p.dataDir, { recursive: true, force: true })));
    throw e;
  }
  return members.map(({ exited: _exited, ...m }) => m);
}

async function withPortRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 3 || !isPortClash(e)) throw e;
    }
  }
}

/** Starts one etcd member on free loopback ports with a fresh data dir. */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdProcess> {
  const [m] = await withPortRetry(() => startMembers(1, options));
  return m!;
}

/** Starts an n-member etcd cluster on loopback (default 3). */
export async function startEtcdCluster(n = 3, options: EtcdOptions = {}): Promise<EtcdCluster> {
  const members = await withPortRetry(() => startMembers(n, options));
  return {
    endpoints: members.map((m) => m.endpoint),
    members,
    stop: async () => {
      // A member stopped after its peers may wait for them (leader transfer); don't wait long.
      await Promise.all(members.map((m) => m.stop(1000)));
    },
  };
}
