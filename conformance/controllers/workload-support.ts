// Shared by the workload end-to-end tests: `k8ts up` with hollow nodes, the real kubectl
// against it (conformance/support/kubectl.ts), and a log of pod events in arrival order
// (a PodWatcher whose check records instead of judging).
import assert from 'node:assert/strict';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { kubectlFor, type Kubectl, type Obj, type Run } from '../support/kubectl.ts';
import { PodWatcher } from '../support/pod-watcher.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';

export { eventually, KUBECTL, type Obj } from '../support/kubectl.ts';

export interface Cluster extends Omit<Kubectl, 'run'> {
  k8ts: K8tsProcess;
  client: ApiClient;
  kubectl(...args: string[]): Promise<Run>;
  stop(): Promise<void>;
}

/** `k8ts up --hollow-nodes N` and a kubectl bound to its kubeconfig. */
export async function startCluster(hollowNodes: number): Promise<Cluster> {
  const k8ts = await startK8ts({ args: ['--hollow-nodes', String(hollowNodes)] });
  const client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
  const { run, ...kubectl } = kubectlFor(() => k8ts);
  return {
    ...kubectl,
    k8ts,
    client,
    kubectl: run,
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
  const events: PodLog['events'] = [];
  const watcher = await new PodWatcher(client, namespace, labelSelector, (_pods, ev) => {
    if (ev.pod) events.push({ type: ev.type, pod: ev.pod as Obj, at: Date.now() });
    return undefined;
  }).start();
  return { events, stop: () => watcher.stop() };
}

export const isReady = (pod: Obj) => pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');

/** Index of the first event matching fn (-1 when none). */
export function firstEvent(log: PodLog, fn: (e: PodLog['events'][number]) => boolean): number {
  return log.events.findIndex(fn);
}
