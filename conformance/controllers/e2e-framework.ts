// The pieces of upstream's e2e framework (test/e2e/framework, test/utils) that the
// upstream-named workload tests use, over the ApiClient as the upstream tests use client-go:
// a namespace per test, update-with-retries, status patches, a watch that keeps every event
// (watchtools.Until from a fixed resourceVersion), and the Deployment and ReplicaSet waits
// with their upstream conditions. Written from the upstream facts, independently of the
// controllers' own helpers, so that a check here is a second opinion, not an echo.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { resourcePath, type ApiClient, type ResourceRef, type WatchHandle, type WatchOptions } from '../../controllers/runtime/client.ts';
import { isConflict } from '../../controllers/runtime/errors.ts';
import type { KubeObject, WatchEvent } from '../../controllers/runtime/types.ts';
import { eventually } from '../support/kubectl.ts';

export type Obj = Record<string, any>;

const core = (resource: string, namespaced = true): ResourceRef => ({ group: '', version: 'v1', resource, namespaced });
const apps = (resource: string): ResourceRef => ({ group: 'apps', version: 'v1', resource, namespaced: true });
const batch = (resource: string): ResourceRef => ({ group: 'batch', version: 'v1', resource, namespaced: true });

export const R = {
  namespaces: core('namespaces', false),
  nodes: core('nodes', false),
  pods: core('pods'),
  events: core('events'),
  services: core('services'),
  replicationcontrollers: core('replicationcontrollers'),
  deployments: apps('deployments'),
  replicasets: apps('replicasets'),
  daemonsets: apps('daemonsets'),
  statefulsets: apps('statefulsets'),
  controllerrevisions: apps('controllerrevisions'),
  jobs: batch('jobs'),
  cronjobs: batch('cronjobs'),
};

export const PATCH = { strategic: 'application/strategic-merge-patch+json', merge: 'application/merge-patch+json' } as const;

/** A fresh namespace named after the test, as the framework makes one per test. */
export async function newNamespace(c: ApiClient, base: string): Promise<string> {
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await c.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Get, change, PUT; again on a conflict (UpdateDeploymentWithRetries and friends). */
export async function updateWithRetries<T extends Obj>(c: ApiClient, ref: ResourceRef, ns: string | undefined, name: string, mutate: (o: T) => void): Promise<T> {
  for (let i = 0; ; i++) {
    const o = await c.get<KubeObject>(ref, ns, name);
    mutate(o as T);
    try {
      return (await c.update(ref, ns, o)) as T;
    } catch (err) {
      if (!isConflict(err) || i >= 20) throw err;
    }
  }
}

/** PATCH a subresource (`status`, `scale`) or, without one, the object. */
export function patchObject<T = Obj>(c: ApiClient, ref: ResourceRef, ns: string, name: string, patch: unknown, contentType: string, subresource?: string): Promise<T> {
  return c.request<T>('PATCH', resourcePath(ref, ns, name, subresource), { body: patch, contentType });
}

export function getSubresource<T = Obj>(c: ApiClient, ref: ResourceRef, ns: string, name: string, subresource: string): Promise<T> {
  return c.request<T>('GET', resourcePath(ref, ns, name, subresource));
}

type ObjEvent = { type: WatchEvent['type']; object: Obj };

/** Every event of one watch, kept in order: `until` looks from the first one, as watchtools.Until from a fixed resourceVersion. */
export class EventLog {
  readonly events: WatchEvent[] = [];
  private handle: WatchHandle | undefined;
  private stopped = false;

  constructor(
    private readonly c: ApiClient,
    private readonly ref: ResourceRef,
    private readonly ns: string | undefined,
    private readonly opts: WatchOptions,
  ) {
    this.start(opts.resourceVersion ?? '');
  }

  private start(rv: string): void {
    this.handle = this.c.watch(
      this.ref,
      this.ns,
      { ...this.opts, resourceVersion: rv },
      (ev) => {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
        rv = ev.object.metadata?.resourceVersion ?? rv;
        this.events.push(ev);
      },
      () => {
        if (!this.stopped) this.start(rv);
      },
    );
  }

  /** The first event matching pred (waiting for it, up to timeoutMs). */
  until(what: string, pred: (ev: ObjEvent) => boolean, timeoutMs = 60_000): Promise<ObjEvent> {
    return poll(what, async () => (this.events as ObjEvent[]).find(pred), timeoutMs);
  }

  stop(): void {
    this.stopped = true;
    this.handle?.stop();
  }
}

/** A failure that must end a poll at once (not be retried until the deadline). */
export class Fatal extends Error {}

/** `eventually`, but a Fatal thrown by fn fails at once: for invariants checked at every poll. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  let fatal: Error | undefined;
  const out = await eventually(
    what,
    async () => {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof Fatal)) throw err;
        fatal = err;
        return true as T;
      }
    },
    timeoutMs,
  );
  if (fatal) assert.fail(fatal.message);
  return out;
}

export const isControlledBy = (o: Obj, owner: Obj) => (o.metadata?.ownerReferences ?? []).some((r: Obj) => r.controller === true && r.uid === owner.metadata.uid);
export const selectorOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const isTerminal = (p: Obj) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
export const isRunning = (p: Obj) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running';
export const isReady = (p: Obj) => isRunning(p) && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');

/** e2epod.VerifyPodsRunning: `n` pods with the label name=<name>, all Running. */
export async function verifyPodsRunning(c: ApiClient, ns: string, name: string, n: number, timeoutMs = 60_000): Promise<Obj[]> {
  return eventually(
    `${n} running pods named ${name}`,
    async () => {
      const pods = ((await c.list(R.pods, ns, { labelSelector: `name=${name}` })).items as Obj[]).filter((p) => !p.metadata.deletionTimestamp && !isTerminal(p));
      return pods.length === n && pods.every(isRunning) && pods;
    },
    timeoutMs,
  );
}

// --- Deployments (e2edeployment, test/utils/deployment.go) ------------------------------------

/** e2edeployment.NewDeployment */
export function newDeployment(name: string, replicas: number, podLabels: Record<string, string>, containerName: string, image: string, strategy: 'RollingUpdate' | 'Recreate'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { ...podLabels } },
    spec: {
      replicas,
      selector: { matchLabels: { ...podLabels } },
      strategy: { type: strategy },
      template: {
        metadata: { labels: { ...podLabels } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: containerName, image, securityContext: {} }] },
      },
    },
  };
}

/** newRS of test/e2e/apps/replica_set.go */
export function newReplicaSet(name: string, replicas: number, podLabels: Record<string, string>, containerName: string, image: string): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, labels: { ...podLabels } },
    spec: {
      replicas,
      selector: { matchLabels: { ...podLabels } },
      template: { metadata: { labels: { ...podLabels } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: containerName, image }] } },
    },
  };
}

/** Sorted-key JSON, for comparing templates. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Obj)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function templateWithoutHash(t: Obj): string {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
  return canonical(c);
}

/** The ReplicaSets a Deployment controls. */
export async function deploymentReplicaSets(c: ApiClient, d: Obj): Promise<Obj[]> {
  return ((await c.list(R.replicasets, d.metadata.namespace)).items as Obj[]).filter((rs) => isControlledBy(rs, d));
}

/** testutil.GetNewReplicaSet: the ReplicaSet with the Deployment's template (pod-template-hash ignored), oldest first. */
export async function getNewReplicaSet(c: ApiClient, d: Obj): Promise<Obj | undefined> {
  const want = templateWithoutHash(d.spec.template);
  const rss = (await deploymentReplicaSets(c, d)).sort((a, b) => Date.parse(a.metadata.creationTimestamp) - Date.parse(b.metadata.creationTimestamp));
  return rss.find((rs) => templateWithoutHash(rs.spec.template) === want);
}

/** testutil.GetOldReplicaSets: every other ReplicaSet of the Deployment. */
export async function getOldReplicaSets(c: ApiClient, d: Obj): Promise<Obj[]> {
  const newRS = await getNewReplicaSet(c, d);
  return (await deploymentReplicaSets(c, d)).filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
}

const revisionOf = (o: Obj | undefined): string | undefined => o?.metadata?.annotations?.['deployment.kubernetes.io/revision'];

/** testutil.CheckDeploymentRevisionAndImage: the Deployment and its new ReplicaSet carry this revision and image. */
export async function deploymentRevisionAndImage(c: ApiClient, ns: string, name: string, revision: string, image: string): Promise<string | undefined> {
  const d = await c.get<Obj>(R.deployments, ns, name);
  if (revisionOf(d) !== revision) return `deployment ${name} has revision ${revisionOf(d)}, want ${revision}`;
  if (d.spec.template.spec.containers[0].image !== image) return `deployment ${name} has image ${d.spec.template.spec.containers[0].image}`;
  const rs = await getNewReplicaSet(c, d);
  if (!rs) return `deployment ${name} has no new ReplicaSet`;
  if (revisionOf(rs) !== revision) return `new ReplicaSet ${rs.metadata.name} has revision ${revisionOf(rs)}, want ${revision}`;
  if (rs.spec.template.spec.containers[0].image !== image) return `new ReplicaSet ${rs.metadata.name} has image ${rs.spec.template.spec.containers[0].image}`;
  return undefined;
}

/** e2edeployment.WaitForDeploymentRevisionAndImage */
export async function waitForDeploymentRevisionAndImage(c: ApiClient, ns: string, name: string, revision: string, image: string, timeoutMs = 60_000): Promise<void> {
  let last: string | undefined;
  await eventually(
    `deployment ${name} at revision ${revision} with image ${image}`,
    async () => {
      last = await deploymentRevisionAndImage(c, ns, name, revision, image);
      return last === undefined;
    },
    timeoutMs,
  ).catch((err: Error) => assert.fail(`${err.message} (${last})`));
}

const intOrPercent = (v: number | string | undefined, total: number, roundUp: boolean): number => {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const x = (Number(v.replace('%', '')) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
};

/** deploymentutil.MaxSurge / MaxUnavailable of a RollingUpdate Deployment (defaults 25%). */
function surgeAndUnavailable(d: Obj): { surge: number; unavailable: number } {
  const n = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const surge = intOrPercent(ru.maxSurge ?? '25%', n, true);
  let unavailable = intOrPercent(ru.maxUnavailable ?? '25%', n, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, n) };
}

/** deploymentutil.DeploymentComplete against the given Deployment's spec and generation. */
export const deploymentComplete = (d: Obj, s: Obj) => {
  const n = d.spec.replicas ?? 1;
  return (s.updatedReplicas ?? 0) === n && (s.replicas ?? 0) === n && (s.availableReplicas ?? 0) === n && (s.observedGeneration ?? 0) >= d.metadata.generation;
};

/**
 * e2edeployment.WaitForDeploymentComplete (and, rolling, testutil's
 * WaitForDeploymentCompleteAndCheckRolling: at no poll more replicas than maxSurge allows or
 * fewer available than maxUnavailable allows).
 */
export async function waitForDeploymentComplete(c: ApiClient, d: Obj, opts: { rolling?: boolean; timeoutMs?: number } = {}): Promise<Obj> {
  return poll(
    `deployment ${d.metadata.name} complete`,
    async () => {
      const cur = await c.get<Obj>(R.deployments, d.metadata.namespace, d.metadata.name);
      const s = cur.status ?? {};
      if (opts.rolling) {
        const n = cur.spec.replicas ?? 1;
        const { surge, unavailable } = surgeAndUnavailable(cur);
        if ((s.replicas ?? 0) > n + surge) throw new Fatal(`deployment ${d.metadata.name}: ${s.replicas} replicas exceed ${n} + maxSurge ${surge}`);
        if ((s.availableReplicas ?? 0) < n - unavailable) throw new Fatal(`deployment ${d.metadata.name}: ${s.availableReplicas} available, fewer than ${n} - maxUnavailable ${unavailable}`);
      }
      return deploymentComplete(d, s) && cur;
    },
    opts.timeoutMs ?? 90_000,
  );
}

/** testutil.WaitForObservedDeployment */
export function waitForObservedDeployment(c: ApiClient, ns: string, name: string, generation: number): Promise<Obj> {
  return eventually(
    `deployment ${name} observed generation ${generation}`,
    async () => {
      const d = await c.get<Obj>(R.deployments, ns, name);
      return (d.status?.observedGeneration ?? 0) >= generation && d;
    },
    60_000,
  );
}

/** waitForReplicaSetTargetSpecReplicas: the ReplicaSet's spec.replicas, once its generation is observed. */
export function waitForReplicaSetSpecReplicas(c: ApiClient, rs: Obj, n: number): Promise<Obj> {
  return eventually(
    `replicaset ${rs.metadata.name} spec.replicas ${n}`,
    async () => {
      const cur = await c.get<Obj>(R.replicasets, rs.metadata.namespace, rs.metadata.name);
      return (cur.status?.observedGeneration ?? 0) >= rs.metadata.generation && cur.spec.replicas === n && cur;
    },
    60_000,
  );
}

/** waitForReplicaSetDesiredReplicas: status.replicas caught up with spec.replicas. */
export function waitForReplicaSetDesiredReplicas(c: ApiClient, rs: Obj): Promise<Obj> {
  return eventually(
    `replicaset ${rs.metadata.name} with its desired replicas`,
    async () => {
      const cur = await c.get<Obj>(R.replicasets, rs.metadata.namespace, rs.metadata.name);
      const s = cur.status ?? {};
      return (s.observedGeneration ?? 0) >= rs.metadata.generation && (s.replicas ?? 0) === rs.spec.replicas && (s.replicas ?? 0) === cur.spec.replicas && cur;
    },
    60_000,
  );
}

/** e2ereplicaset.WaitForReplicaSetTargetAvailableReplicas */
export function waitForReplicaSetAvailableReplicas(c: ApiClient, rs: Obj, n: number): Promise<Obj> {
  return eventually(
    `replicaset ${rs.metadata.name} with ${n} available replicas`,
    async () => {
      const cur = await c.get<Obj>(R.replicasets, rs.metadata.namespace, rs.metadata.name);
      return (cur.status?.observedGeneration ?? 0) >= rs.metadata.generation && (cur.status?.availableReplicas ?? 0) === n && cur;
    },
    60_000,
  );
}

/**
 * e2eresource.DeleteResourceAndWaitForGC: delete with background propagation, then wait
 * until the pods the object selected are inactive and then gone.
 */
export async function deleteAndWaitForGC(c: ApiClient, ref: ResourceRef, ns: string, name: string, timeoutMs = 60_000): Promise<void> {
  const o = await c.get<Obj>(ref, ns, name);
  const sel = o.spec.selector?.matchLabels ?? o.spec.selector;
  await c.delete(ref, ns, name, { propagationPolicy: 'Background' });
  const pods = async () => (await c.list(R.pods, ns, { labelSelector: selectorOf(sel) })).items as Obj[];
  await eventually(`the pods of ${name} inactive`, async () => (await pods()).every((p) => p.metadata.deletionTimestamp || isTerminal(p)), timeoutMs);
  await eventually(`the pods of ${name} gone`, async () => (await pods()).length === 0, timeoutMs);
}
