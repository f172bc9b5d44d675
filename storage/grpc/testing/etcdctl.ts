// Runs the real etcdctl (API v3) for tests: one-shot commands with their exit code and
// output, and long-running ones (watch) whose output is read while they run. Every process
// started here is SIGKILLed by killAll() (call it in `after`).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const ETCDCTL = process.env['ETCDCTL_BIN'] ?? '/usr/bin/etcdctl';
export const haveEtcdctl = (): boolean => existsSync(ETCDCTL);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface EtcdctlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface EtcdctlProcess {
  child: ChildProcess;
  out(): string;
  err(): string;
}

export async function waitFor(what: string, pred: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const children = new Set<ChildProcess>();

/** SIGKILLs every etcdctl still running. */
export function killAll(): void {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  children.clear();
}

/** etcdctl against `endpoints` (what `--endpoints` gets: one or several host:port, comma-separated). */
export class Etcdctl {
  constructor(
    private readonly endpoints: () => string,
    private readonly timeoutMs = 20000,
  ) {}

  /** The same etcdctl against other endpoints. */
  at(endpoints: string): Etcdctl {
    return new Etcdctl(() => endpoints, this.timeoutMs);
  }

  /** Starts etcdctl and returns at once (for watch): read its output with out()/err(). */
  start(args: string[]): EtcdctlProcess {
    const child = spawn(ETCDCTL, [`--endpoints=${this.endpoints()}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return { child, out: () => stdout, err: () => stderr };
  }

  /** Runs etcdctl to completion with `input` on stdin. */
  run(args: string[], input = ''): Promise<EtcdctlRun> {
    const p = this.start(args);
    p.child.stdin!.end(input);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        p.child.kill('SIGKILL');
        reject(new Error(`etcdctl ${args.join(' ')} timed out; stderr: ${p.err()}`));
      }, this.timeoutMs);
      p.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: p.out(), stderr: p.err() });
      });
    });
  }

  /** Runs etcdctl, expects success, returns stdout. */
  ok = async (...args: string[]): Promise<string> => {
    const r = await this.run(args);
    assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  /** `ok(...args, '-w', 'json')`, parsed. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json = async (...args: string[]): Promise<any> => JSON.parse(await this.ok(...args, '-w', 'json'));

  /** The store revision in the header of a get of `key`. */
  revisionOf = async (key: string): Promise<number> => Number((await this.json('get', key)).header.revision);
}

/** Counts the PUT/DELETE events a `watch` printed so far. */
export function watchEvents(out: string): number {
  return out.split('\n').filter((l) => /^(PUT|DELETE)$/.test(l)).length;
}
