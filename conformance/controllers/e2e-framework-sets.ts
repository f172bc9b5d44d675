// The DaemonSet and StatefulSet parts of upstream's e2e framework (test/e2e/apps/daemon_set.go
// helpers, test/e2e/framework/statefulset) over the ApiClient: daemon pods per node, their
// images and availability, revision history; stateful pods in ordinal order, their revisions,
// and the waits for (partitioned) rolling updates.
import assert from 'node:assert/strict';
import type { ApiClient } from '../../controllers/runtime/client.ts';
import { eventually } from '../support/kubectl.ts';
import { Fatal, PATCH, R, isControlledBy, isReady, patchObject, poll, selectorOf, updateWithRetries, type Obj } from './e2e-framework.ts';

// --- DaemonSets -----------------------------------------------------------------------------

export const DS_LABEL_PREFIX = 'daemonset-';
export const DS_NAME_LABEL = `${DS_LABEL_PREFIX}name`;
export const DS_COLOR_LABEL = `${DS_LABEL_PREFIX}color`;
export const DS_HASH_LABEL = 'controller-revision-hash';

/** newDaemonSet of daemon_set.go (newDaemonSetWithLabel also labels the DaemonSet itself). */
export function newDaemonSet(name: string, image: string, label: Record<string, string>, withLabel = false): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, ...(withLabel ? { labels: { ...label } } : {}) },
    spec: {
      selector: { matchLabels: { ...label } },
      template: { metadata: { labels: { ...label } }, spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 9376 }] }] } },
    },
  };
}

/** The daemon pods of a DaemonSet (controlled by it). */
export async function daemonPods(c: ApiClient, ds: Obj): Promise<Obj[]> {
  return ((await c.list<Obj>(R.pods, ds.metadata.namespace)).items as Obj[]).filter((p) => isControlledBy(p, ds));
}

/** Nodes a daemon pod may run on: those without taints it does not tolerate (the hollow nodes have none). */
export async function schedulableNodes(c: ApiClient, ds: Obj): Promise<string[]> {
  const selector: Record<string, string> = ds.spec.template.spec.nodeSelector ?? {};
  return ((await c.list<Obj>(R.nodes, undefined)).items as Obj[])
    .filter((n) => !(n.spec?.taints ?? []).some((t: Obj) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'))
    .filter((n) => Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v))
    .map((n) => n.metadata.name);
}

/** checkDaemonPodOnNodes: exactly one available daemon pod on each of these nodes, and none elsewhere. */
export async function daemonPodOnNodes(c: ApiClient, ds: Obj, nodeNames: string[]): Promise<boolean> {
  const perNode = new Map<string, number>();
  for (const p of await daemonPods(c, ds)) {
    if (p.metadata.deletionTimestamp || !isReady(p)) continue;
    perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  return nodeNames.every((n) => perNode.get(n) === 1) && perNode.size === nodeNames.length;
}

export async function waitRunningOnAllNodes(c: ApiClient, ds: Obj, what = 'daemon pods on every node'): Promise<void> {
  await eventually(what, async () => daemonPodOnNodes(c, ds, await schedulableNodes(c, ds)), 60_000);
}

export const waitRunningOnNoNodes = (c: ApiClient, ds: Obj) => eventually('daemon pods on no node', () => daemonPodOnNodes(c, ds, []), 60_000);

/** e2edaemonset.CheckDaemonStatus: eventually every desired pod is scheduled and ready. */
export async function checkDaemonStatus(c: ApiClient, ns: string, name: string): Promise<void> {
  let last = '';
  await eventually(
    `daemon set ${name} with all desired pods scheduled and ready`,
    async () => {
      const s = (await c.get<Obj>(R.daemonsets, ns, name)).status ?? {};
      const [desired, scheduled, ready] = [s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0];
      last = `DesiredScheduled: ${desired}, CurrentScheduled: ${scheduled}, Ready: ${ready}`;
      return desired === scheduled && scheduled === ready;
    },
    60_000,
  ).catch((err: Error) => assert.fail(`${err.message} (${last})`));
}

/** checkDaemonPodsImageAndAvailability: every node runs the image; more unavailable pods than allowed fails at once. */
export function waitDaemonPodsImageAndAvailability(c: ApiClient, ds: Obj, image: string, maxUnavailable: number): Promise<true> {
  return poll(
    `daemon pods with image ${image}`,
    async () => {
      const updatedPerNode = new Map<string, number>();
      let unavailable = 0;
      for (const p of await daemonPods(c, ds)) {
        if (p.spec.containers[0].image === image) updatedPerNode.set(p.spec.nodeName, (updatedPerNode.get(p.spec.nodeName) ?? 0) + 1);
        if (!isReady(p)) unavailable++;
      }
      if (unavailable > maxUnavailable) throw new Fatal(`number of unavailable pods: ${unavailable} is greater than maxUnavailable: ${maxUnavailable}`);
      return (await schedulableNodes(c, ds)).every((n) => (updatedPerNode.get(n) ?? 0) > 0) as true;
    },
    90_000,
  );
}

export const listDaemonHistories = async (c: ApiClient, ns: string, label: Record<string, string>) =>
  (await c.list<Obj>(R.controllerrevisions, ns, { labelSelector: selectorOf(label) })).items as Obj[];

export const waitForHistoryCreated = (c: ApiClient, ns: string, label: Record<string, string>, n: number) =>
  eventually(`${n} controllerrevisions`, async () => (await listDaemonHistories(c, ns, label)).length === n, 60_000);

/** Sorted-key JSON. */
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

/** daemon.Match: the revision's data is the DaemonSet's template (a `$patch: replace` of spec.template). */
export function matchesTemplate(ds: Obj, rev: Obj): boolean {
  const { $patch: _replace, ...template } = rev.data?.spec?.template ?? {};
  return canonical(template) === canonical(ds.spec.template);
}

/** curHistory: the one revision matching the DaemonSet's template; every revision has a hash label. */
export function curHistory(histories: Obj[], ds: Obj): Obj {
  for (const h of histories) assert.ok(h.metadata.labels?.[DS_HASH_LABEL], `revision ${h.metadata.name} has no ${DS_HASH_LABEL} label`);
  const cur = histories.filter((h) => matchesTemplate(ds, h));
  assert.equal(cur.length, 1, `one current revision of ${histories.length}`);
  return cur[0]!;
}

export function checkDaemonSetPodsLabels(pods: Obj[], hash: string): void {
  assert.ok(pods.length > 0, 'daemon pods');
  for (const p of pods) assert.equal(p.metadata.labels?.[DS_HASH_LABEL], hash, `pod ${p.metadata.name} hash label`);
}

/** setDaemonSetNodeLabels: the node's daemonset-* labels become exactly these. */
export async function setDaemonSetNodeLabels(c: ApiClient, node: string, labels: Record<string, string>): Promise<Obj> {
  return updateWithRetries<Obj>(c, R.nodes, undefined, node, (n) => {
    const kept = Object.entries(n.metadata.labels ?? {}).filter(([k]) => !k.startsWith(DS_LABEL_PREFIX));
    n.metadata.labels = { ...Object.fromEntries(kept), ...labels };
  });
}

// --- StatefulSets -----------------------------------------------------------------------------

export const SS_REVISION_LABEL = 'controller-revision-hash';
export const HTTP_PROBE = { httpGet: { path: '/index.html', port: 80 }, periodSeconds: 1, successThreshold: 1, failureThreshold: 1 };

/** The governing headless Service of the StatefulSet tests. */
export function headlessService(name: string, labels: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { clusterIP: 'None', selector: { ...labels }, ports: [{ port: 80, name: 'http', protocol: 'TCP' }] } };
}

/** e2estatefulset.NewStatefulSet without volumes. */
export function newStatefulSet(name: string, service: string, replicas: number, labels: Record<string, string>, image: string): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { ...labels } },
      replicas,
      template: { metadata: { labels: { ...labels }, annotations: {} }, spec: { containers: [{ name: 'webserver', image }] } },
      updateStrategy: { type: 'RollingUpdate' },
      serviceName: service,
    },
  };
}

const ordinal = (p: Obj) => Number(/-(\d+)$/.exec(p.metadata.name)?.[1] ?? -1);

/** e2estatefulset.GetPodList, sorted by ordinal. */
export async function statefulPods(c: ApiClient, ss: Obj): Promise<Obj[]> {
  const pods = (await c.list<Obj>(R.pods, ss.metadata.namespace, { labelSelector: selectorOf(ss.spec.selector.matchLabels) })).items as Obj[];
  return pods.filter((p) => isControlledBy(p, ss)).sort((a, b) => ordinal(a) - ordinal(b));
}

/** e2estatefulset.WaitForState: polls the StatefulSet and its pods until done says so. */
export async function waitForState(c: ApiClient, ss: Obj, what: string, done: (ss: Obj, pods: Obj[]) => boolean, timeoutMs = 90_000): Promise<{ ss: Obj; pods: Obj[] }> {
  return poll(
    what,
    async () => {
      const cur = await c.get<Obj>(R.statefulsets, ss.metadata.namespace, ss.metadata.name);
      const pods = await statefulPods(c, cur);
      return done(cur, pods) && { ss: cur, pods };
    },
    timeoutMs,
  );
}

/** WaitForRunningAndReady: exactly n pods, all Running and Ready. */
export const waitForRunningAndReady = (c: ApiClient, ss: Obj, n: number) =>
  waitForState(c, ss, `${n} stateful pods running and ready`, (_s, pods) => {
    if (pods.length > n) throw new Fatal(`too many pods scheduled: ${pods.map((p) => p.metadata.name).join(', ')}`);
    return pods.length === n && pods.every((p) => p.status?.phase === 'Running' && isReady(p));
  });

/** waitForStatus: the controller has observed the StatefulSet's generation. */
export const waitForStatus = async (c: ApiClient, ss: Obj) =>
  (await waitForState(c, ss, 'the statefulset status observed', (cur) => (cur.status?.observedGeneration ?? 0) >= cur.metadata.generation)).ss;

/** waitForPartitionedRollingUpdate: the pods at or above the partition run the update revision. */
export async function waitForPartitionedRollingUpdate(c: ApiClient, ss: Obj): Promise<{ ss: Obj; pods: Obj[] }> {
  const partition = ss.spec.updateStrategy.rollingUpdate.partition as number;
  return waitForState(c, ss, `the rolling update down to partition ${partition}`, (cur, pods) => {
    if ((cur.status?.observedGeneration ?? 0) < cur.metadata.generation || pods.length < cur.spec.replicas) return false;
    if (partition <= 0 && cur.status?.updateRevision !== cur.status?.currentRevision) return false;
    for (let i = cur.spec.replicas - 1; i >= partition; i--) if (pods[i]!.metadata.labels?.[SS_REVISION_LABEL] !== cur.status?.updateRevision) return false;
    return true;
  });
}

/** waitForRollingUpdate: the update revision has become the current one. */
export const waitForRollingUpdate = (c: ApiClient, ss: Obj) =>
  waitForState(
    c,
    ss,
    'the rolling update to complete',
    (cur, pods) =>
      (cur.status?.observedGeneration ?? 0) >= cur.metadata.generation &&
      cur.status?.updateRevision === cur.status?.currentRevision &&
      pods.length === cur.spec.replicas &&
      pods.every((p) => p.metadata.labels?.[SS_REVISION_LABEL] === cur.status?.updateRevision),
  );

export const waitForPodReadiness = (c: ApiClient, ss: Obj, pod: string, ready: boolean) =>
  waitForState(c, ss, `pod ${pod} ${ready ? '' : 'not '}ready`, (_s, pods) => pods.some((p) => p.metadata.name === pod && isReady(p) === ready));

/**
 * Plays the kubelet's HTTP readiness probe of upstream's stateful pods, which the tests break
 * and restore by moving index.html away and back with exec: the pods carry a readiness gate
 * whose condition this keeps True on every pod but the broken ones (by uid), as a fresh
 * container passes the probe.
 */
export class ProbeGate {
  static readonly CONDITION = 'e2e.k8ts.io/http-probe';
  readonly gates = [{ conditionType: ProbeGate.CONDITION }];
  private readonly broken = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly c: ApiClient,
    private readonly ns: string,
    private readonly labels: Record<string, string>,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sync()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, 200);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  private async sync(): Promise<void> {
    for (const p of (await this.c.list<Obj>(R.pods, this.ns, { labelSelector: selectorOf(this.labels) })).items as Obj[]) {
      if (p.metadata.deletionTimestamp || p.status?.phase !== 'Running') continue;
      const want = this.broken.has(p.metadata.uid) ? 'False' : 'True';
      const cur = (p.status?.conditions ?? []).find((x: Obj) => x.type === ProbeGate.CONDITION);
      if (cur?.status === want) continue;
      const condition = { type: ProbeGate.CONDITION, status: want, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      await patchObject(this.c, R.pods, this.ns, p.metadata.name, { status: { conditions: [condition] } }, PATCH.strategic, 'status');
    }
  }

  break(pod: Obj): void {
    this.broken.add(pod.metadata.uid);
  }

  restore(pod: Obj): void {
    this.broken.delete(pod.metadata.uid);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
