// Shared by the StatefulSet and DaemonSet end-to-end tests: `k8ts up` with hollow nodes, the
// real kubectl against it, bounded polling, and a watch that records pod events as they come.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { ApiClient, loadKubeconfig, type ResourceRef, type WatchHandle } from '../../controllers/runtime/client.ts';
import type { KubeObject, WatchEvent } from '../../controllers/runtime/types.ts';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

export type Obj = Record<string, any>;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

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

export interface Cluster {
  k8ts: K8tsProcess;
  client: ApiClient;
  kubectl(...args: string[]): Promise<Run>;
  /** kubectl that must succeed; its stdout. */
  ok(...args: string[]): Promise<string>;
  getJson(...args: string[]): Promise<Obj | undefined>;
  items(...args: string[]): Promise<Obj[]>;
  /** `kubectl create -f` of a YAML document. */
  create(yaml: string): Promise<string>;
  stop(): Promise<void>;
}

/** `k8ts up --hollow-nodes N` and a kubectl bound to its kubeconfig. */
export async function startCluster(hollowNodes: number): Promise<Cluster> {
  const k8ts = await startK8ts({ args: ['--hollow-nodes', String(hollowNodes)] });
  const client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        [`--cache-dir=${join(k8ts.dataDir, 'kube-cache')}`, ...args],
        { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const getJson = async (...args: string[]) => {
    const r = await kubectl('get', ...args, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
  };
  return {
    k8ts,
    client,
    kubectl,
    ok,
    getJson,
    items: async (...args) => (await getJson(...args))?.items ?? [],
    create: (yaml) => {
      const file = join(k8ts.dataDir, `obj-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      return ok('create', '-f', file);
    },
    stop: async () => {
      client.close();
      const out = k8ts.output();
      const code = await k8ts.stop();
      assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
    },
  };
}

/** Pod events in the order the API server sent them, with the time each arrived. */
export interface PodLog {
  events: { type: string; pod: Obj; at: number }[];
  stop(): void;
}

export async function watchPods(client: ApiClient, namespace: string, labelSelector: string): Promise<PodLog> {
  const list = await client.list(PODS, namespace, { labelSelector });
  const events: PodLog['events'] = [];
  let handle: WatchHandle | undefined;
  let stopped = false;
  const start = (rv: string) => {
    handle = client.watch(
      PODS,
      namespace,
      { resourceVersion: rv, labelSelector },
      (ev: WatchEvent<KubeObject>) => {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
        rv = ev.object.metadata?.resourceVersion ?? rv;
        events.push({ type: ev.type, pod: ev.object as Obj, at: Date.now() });
      },
      () => {
        if (!stopped) start(rv);
      },
    );
  };
  start(list.metadata?.resourceVersion ?? '');
  return {
    events,
    stop: () => {
      stopped = true;
      handle?.stop();
    },
  };
}

export const isReady = (pod: Obj) => pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');

/** Index of the first event matching fn (-1 when none). */
export function firstEvent(log: PodLog, fn: (e: PodLog['events'][number]) => boolean): number {
  return log.events.findIndex(fn);
}
