// Watches the pods matching a label selector through the API (list, then watch from the
// list's resourceVersion) and calls a check with the current set after every event, so a
// test can assert an invariant at each step of a rollout rather than only at its end.
// Readiness and availability are computed here from the pod status alone, independently of
// the controllers' own helpers, so that the watcher is a second opinion, not an echo.
import type { ApiClient, ResourceRef, WatchHandle } from '../../controllers/runtime/client.ts';
import type { KubeObject } from '../../controllers/runtime/types.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

type Obj = Record<string, any>;

/** Not being deleted and not finished: a pod that counts against the ReplicaSets' replicas. */
export function isActive(pod: KubeObject): boolean {
  const phase = (pod.status as Obj | undefined)?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Active, Running, and Ready for more than minReadySeconds at `now` (upstream's "available"). */
export function isAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  const status = pod.status as Obj | undefined;
  if (!isActive(pod) || status?.phase !== 'Running') return false;
  const ready = (status.conditions ?? []).find((c: Obj) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 < now;
}

/** The template hash a pod of a Deployment carries. */
export const templateHash = (pod: KubeObject): string => pod.metadata?.labels?.['pod-template-hash'] ?? '';

export type PodCheck = (pods: KubeObject[], event: { type: string; pod?: KubeObject }) => string | undefined;

export class PodWatcher {
  /** What the check reported, one line per failing event. */
  readonly violations: string[] = [];
  /** Events seen (the initial list counts as one). */
  events = 0;
  private readonly pods = new Map<string, KubeObject>();
  private handle: WatchHandle | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly check: PodCheck,
  ) {}

  /** Lists, checks the initial state, and follows every change until stop(). */
  async start(): Promise<this> {
    const list = await this.client.list(PODS, this.namespace, { labelSelector: this.labelSelector });
    for (const p of list.items) this.pods.set(p.metadata!.name!, p);
    this.run({ type: 'LIST' });
    this.handle = this.client.watch(
      PODS,
      this.namespace,
      { labelSelector: this.labelSelector, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 600 },
      (ev) => {
        const name = ev.object.metadata?.name;
        if (!name) return;
        if (ev.type === 'DELETED') this.pods.delete(name);
        else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.pods.set(name, ev.object);
        else return;
        this.run({ type: ev.type, pod: ev.object });
      },
      (err) => {
        // A watch that ends early would silently stop checking: that is a failure too.
        if (!this.stopped) this.violations.push(`the pod watch closed early${err ? `: ${err.message}` : ''}`);
      },
    );
    return this;
  }

  private run(event: { type: string; pod?: KubeObject }): void {
    this.events++;
    const v = this.check([...this.pods.values()], event);
    if (v) this.violations.push(v);
  }

  stop(): void {
    this.stopped = true;
    this.handle?.stop();
  }
}

export interface RollingLimits {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  minReadySeconds: number;
}

/**
 * A watcher asserting a rolling update's bounds at every event: active pods never more than
 * replicas + maxSurge, available pods never fewer than replicas - maxUnavailable. `seen`
 * records the extremes, to show the rollout actually used its surge and unavailability.
 */
export function rollingWatcher(client: ApiClient, namespace: string, labelSelector: string, limits: RollingLimits) {
  const seen = { maxActive: 0, minAvailable: Infinity };
  const watcher = new PodWatcher(client, namespace, labelSelector, (pods, ev) => {
    const now = Date.now();
    const active = pods.filter(isActive).length;
    const available = pods.filter((p) => isAvailable(p, limits.minReadySeconds, now)).length;
    seen.maxActive = Math.max(seen.maxActive, active);
    seen.minAvailable = Math.min(seen.minAvailable, available);
    const where = `after ${ev.type} ${ev.pod?.metadata?.name ?? ''}`;
    if (active > limits.replicas + limits.maxSurge) return `${active} active pods > ${limits.replicas} + ${limits.maxSurge} ${where}`;
    if (available < limits.replicas - limits.maxUnavailable) return `${available} available pods < ${limits.replicas} - ${limits.maxUnavailable} ${where}`;
    return undefined;
  });
  return { watcher, seen };
}
