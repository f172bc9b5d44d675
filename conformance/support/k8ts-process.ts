// Starts `k8ts up` as a child process (through the package bin) on a free loopback port
// with a temp data dir, for end-to-end tests with real clients. stop() ends it by PID
// (SIGTERM, then SIGKILL) and removes the data dir; a process left running when this Node
// process exits is SIGKILLed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../lib/free-ports.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

export interface K8tsProcess {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  /** The kubeconfig `k8ts up` wrote (`<dataDir>/kubeconfig`). */
  kubeconfig: string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM (SIGKILL after `timeoutMs`); resolves with the exit code, then removes the data dir. */
  stop(timeoutMs?: number): Promise<number | null | 'killed'>;
}

export interface K8tsOptions {
  /** Extra `k8ts up` flags, e.g. `['--store', 'etcd://127.0.0.1:2379']`. */
  args?: string[];
  /** How long to wait for the server to come up; default 60 s. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Node flags for the server process, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  nodeArgs?: string[];
}

let helpText: string | undefined;
/** Whether this version's `k8ts up` has a flag (read once from its --help). */
export function upHasFlag(flag: string): boolean {
  helpText ??= execFileSync(process.execPath, [join(repo, 'bin/k8ts.js'), 'up', '--help'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return helpText.includes(flag);
}

const live = new Map<ChildProcess, string>();
let exitHook = false;

export async function startK8ts(options: K8tsOptions = {}): Promise<K8tsProcess> {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const [c, dir] of live) {
        try {
          if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
        } catch {
          // gone already
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-e2e-'));
  const [port, storePort, peerPort] = await freePorts(3);
  const args = ['up', '--data-dir', dataDir, '--port', String(port)];
  // The built-in store's etcd API and Raft peer listeners: free ports too, not 2379/2380.
  const extra = options.args ?? [];
  if (!extra.includes('--store') && upHasFlag('--store-listen')) args.push('--store-listen', `127.0.0.1:${storePort}`);
  if (!extra.includes('--store') && upHasFlag('--peer-listen')) args.push('--peer-listen', `127.0.0.1:${peerPort}`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(repo, 'bin/k8ts.js'), ...args, ...extra], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  live.set(child, dataDir);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => live.delete(child));

  let stopping: Promise<number | null | 'killed'> | undefined;
  const stop = (timeoutMs = 15_000) => {
    stopping ??= (async () => {
      let code: number | null | 'killed' = child.exitCode;
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        const r = await Promise.race([exited, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), timeoutMs).unref())]);
        if (r === 'timeout') {
          process.kill(child.pid, 'SIGKILL');
          await exited;
          code = 'killed';
        } else code = r;
      }
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!out.includes('kubectl get ns')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(1000);
      throw new Error(`k8ts up ${child.exitCode !== null ? `exited early (${child.exitCode})` : 'did not come up'}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    port: port!,
    pid: child.pid!,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig'),
    output: () => out,
    stop,
  };
}
