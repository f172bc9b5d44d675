// The HPA's replica count for resource metrics, pure (upstream's ReplicaCalculator in
// pkg/controller/podautoscaler/replica_calculator.go): desired = ceil(ready pods × current /
// target) outside a 10% tolerance; pods being deleted or failed are ignored, Pending pods and
// CPU samples taken before a pod was ready for a whole window count as unready (left out,
// or as using nothing when scaling up), pods without metrics count as using 100% of their
// request when scaling down and nothing when scaling up, and a correction that would flip
// the direction of the change keeps the current count.
import { milliValue } from '../../scheduler/quantity.ts';
import { parseTime, podReadyCondition, type Pod } from '../runtime/pods.ts';

/** One pod's usage of a resource, in milli-units (MilliValue), and when and over how long it was measured. */
export interface PodMetric {
  timestamp: number;
  windowMs: number;
  value: number;
}

/** Pod name → its metric. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** How far the usage ratio may be from 1.0 before scaling (default 0.1). */
  tolerance: number;
  /** Since its start a pod's CPU samples are trusted only once it has been ready for a window (default 5 min). */
  cpuInitializationPeriodMs: number;
  /** A pod that turned unready within this long of starting was never ready (default 30 s). */
  delayOfInitialReadinessStatusMs: number;
}

export const DEFAULT_CALCULATOR_OPTIONS: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, delayOfInitialReadinessStatusMs: 30_000 };

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/** groupPods: which pods count, which are unready, which have no metrics, which are ignored. */
export function groupPods(pods: readonly Pod[], metrics: PodMetricsInfo, resource: string, opts: CalculatorOptions, now: number): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp || phase === 'Failed') {
      g.ignoredPods.add(name);
      continue;
    }
    if (phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = podReadyCondition(pod);
      const started = parseTime(pod.status?.startTime as string | undefined);
      let unready: boolean;
      if (!ready || !started) unready = true;
      else if (started + opts.cpuInitializationPeriodMs > now) {
        // Still initialising: the sample must cover a whole window since the last readiness change.
        unready = ready.status === 'False' || metric.timestamp < parseTime(ready.lastTransitionTime) + metric.windowMs;
      } else {
        // Unready and never ready since starting.
        unready = ready.status === 'False' && started + opts.delayOfInitialReadinessStatusMs > parseTime(ready.lastTransitionTime);
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

type Container = { name?: string; restartPolicy?: string; resources?: { requests?: Record<string, string> } };

/** calculatePodRequests: each pod's request of the resource (milli-units), over its containers and sidecars, or one container. */
export function calculatePodRequests(pods: readonly Pod[], container: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
    const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let sum = 0;
    for (const c of containers) {
      if (container !== '' && container !== c.name) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      sum += milliValue(request);
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

export interface Utilization {
  usageRatio: number;
  /** Percent of the requests, truncated. */
  utilization: number;
  /** Average usage per pod (milli-units). */
  rawUtilization: number;
}

/** metricsclient.GetResourceUtilizationRatio over the pods that have both a metric and a request. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): Utilization {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  // Pods without a request were refused before; a zero total means the metrics named other pods.
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { usageRatio: utilization / targetUtilization, utilization, rawUtilization: Math.trunc(metricsTotal / entries) };
}

/** metricsclient.GetMetricUsageRatio: the average value against the target average. */
function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { usageRatio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { usageRatio: usage / targetUsage, usage };
}

function removeAll(metrics: PodMetricsInfo, names: Set<string>): void {
  for (const n of names) metrics.delete(n);
}

export interface ResourceReplicas {
  replicas: number;
  /** Percent of the requests (Utilization targets). */
  utilization: number;
  /** Average usage per pod, milli-units. */
  rawUtilization: number;
  /** When the metrics were measured. */
  timestamp: number;
}

export interface ReplicaInput {
  currentReplicas: number;
  resource: string;
  /** '' for the whole pod (Resource), a container's name (ContainerResource). */
  container: string;
  /** The pods the scale target's selector selects. */
  pods: readonly Pod[];
  /** Their metrics (this function does not change the map it is given). */
  metrics: PodMetricsInfo;
  /** When the metrics were measured (the first pod metric's timestamp, as upstream). */
  timestamp: number;
  now: number;
  opts?: CalculatorOptions;
}

/** The pods' metrics without those of ignored and unready pods, and the groups. */
function usableMetrics(input: ReplicaInput, opts: CalculatorOptions): { metrics: PodMetricsInfo; g: PodGroups } {
  if (input.pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const metrics: PodMetricsInfo = new Map(input.metrics);
  const g = groupPods(input.pods, metrics, input.resource, opts, input.now);
  removeAll(metrics, g.ignoredPods);
  removeAll(metrics, g.unreadyPods);
  return { metrics, g };
}

/**
 * The count from the usage ratio of the usable metrics; with missing or (scaling up) unready
 * pods, the ratio recomputed with them assumed at `missingValue` (scaling down) or nothing,
 * keeping the current count when that changes the direction.
 */
function replicaCount(
  currentReplicas: number,
  usageRatio: number,
  { metrics, g }: { metrics: PodMetricsInfo; g: PodGroups },
  tolerance: number,
  ratioOf: (m: PodMetricsInfo) => number,
  missingValue: (pod: string) => number,
): number {
  const scaleUpWithUnready = g.unreadyPods.size > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (Math.abs(1.0 - usageRatio) <= tolerance) return currentReplicas;
    return Math.ceil(usageRatio * g.readyPodCount);
  }
  const assume = (name: string, value: number) => metrics.set(name, { timestamp: 0, windowMs: 0, value });
  for (const name of g.missingPods) {
    if (usageRatio < 1.0) assume(name, missingValue(name));
    else if (usageRatio > 1.0) assume(name, 0);
  }
  if (scaleUpWithUnready) for (const name of g.unreadyPods) assume(name, 0);
  const newRatio = ratioOf(metrics);
  if (Math.abs(1.0 - newRatio) <= tolerance || (usageRatio < 1.0 && newRatio > 1.0) || (usageRatio > 1.0 && newRatio < 1.0)) return currentReplicas;
  const newReplicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1.0 && newReplicas > currentReplicas) || (newRatio > 1.0 && newReplicas < currentReplicas)) return currentReplicas;
  return newReplicas;
}

/**
 * GetResourceReplicas: the count for an averageUtilization target (percent of the requests).
 * Throws with upstream's message when no count can be computed.
 */
export function resourceReplicas(input: ReplicaInput, targetUtilization: number): ResourceReplicas {
  const opts = input.opts ?? DEFAULT_CALCULATOR_OPTIONS;
  const usable = usableMetrics(input, opts);
  const requests = calculatePodRequests(input.pods, input.container, input.resource);
  if (usable.metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { usageRatio, utilization, rawUtilization } = resourceUtilizationRatio(usable.metrics, requests, targetUtilization);
  // Scaling down, a pod without metrics uses all of its request (or the target, when above 100%).
  const fallback = Math.max(100, targetUtilization);
  const replicas = replicaCount(
    input.currentReplicas,
    usageRatio,
    usable,
    opts.tolerance,
    (m) => resourceUtilizationRatio(m, requests, targetUtilization).usageRatio,
    (name) => Math.trunc(((requests.get(name) ?? 0) * fallback) / 100),
  );
  return { replicas, utilization, rawUtilization, timestamp: input.timestamp };
}

/** GetRawResourceReplicas (calcPlainMetricReplicas): the count for an averageValue target (milli-units per pod). */
export function rawResourceReplicas(input: ReplicaInput, targetUsage: number): { replicas: number; usage: number; timestamp: number } {
  const opts = input.opts ?? DEFAULT_CALCULATOR_OPTIONS;
  const usable = usableMetrics(input, opts);
  if (usable.metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { usageRatio, usage } = metricUsageRatio(usable.metrics, targetUsage);
  const replicas = replicaCount(input.currentReplicas, usageRatio, usable, opts.tolerance, (m) => metricUsageRatio(m, targetUsage).usageRatio, () => targetUsage);
  return { replicas, usage, timestamp: input.timestamp };
}
