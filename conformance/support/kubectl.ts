// The real kubectl against a k8ts started by startK8ts, as end-to-end tests drive it: run a
// command (exit code and output, never throwing), assert success, read objects as JSON,
// create from YAML; and `eventually`, a bounded poll for a condition.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { K8tsProcess } from './k8ts-process.ts';

/** The kubectl tests run unless KUBECTL names another (e.g. /usr/lib/google-cloud-sdk/bin/kubectl.1.27). */
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export type Obj = Record<string, any>;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** How long the command took. */
  ms: number;
}

/** Polls fn every 200 ms until it returns something truthy; fails after timeoutMs with the last error. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface Kubectl {
  /** Runs kubectl with the server's kubeconfig; resolves with its exit code and output. */
  run(...args: string[]): Promise<Run>;
  /** Runs kubectl and asserts it succeeded; resolves with its stdout. */
  ok(...args: string[]): Promise<string>;
  /** `kubectl get <args> -o json`, or undefined when it fails (e.g. not found). */
  getJson(...args: string[]): Promise<Obj | undefined>;
  /** The items of `kubectl get <args> -o json` ([] when it fails). */
  items(...args: string[]): Promise<Obj[]>;
  /** `kubectl create -f` of the YAML, written to a file in the data dir. */
  create(yaml: string): Promise<string>;
}

/** kubectl bound to k8ts's kubeconfig, with its discovery cache in the data dir. */
export function kubectlFor(k8ts: () => K8tsProcess, bin = KUBECTL): Kubectl {
  const run = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const start = Date.now();
      execFile(
        bin,
        [`--cache-dir=${join(k8ts().dataDir, 'kube-cache')}`, ...args],
        { env: { ...process.env, KUBECONFIG: k8ts().kubeconfig }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Date.now() - start }),
      );
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await run(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const getJson = async (...args: string[]): Promise<Obj | undefined> => {
    const r = await run('get', ...args, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
  };
  return {
    run,
    ok,
    getJson,
    items: async (...args) => (await getJson(...args))?.items ?? [],
    create: async (yaml) => {
      const file = join(k8ts().dataDir, `obj-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      return ok('create', '-f', file);
    },
  };
}
