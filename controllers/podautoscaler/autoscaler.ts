// One HPA sync, pure (upstream's reconcileAutoscaler in horizontal.go, split where it calls
// the API): planSync decides the desired count from the target's scale, its pods and their
// metrics; finishSync records how updating the scale went. Both return the new status
// (conditions AbleToScale, ScalingActive, ScalingLimited with upstream's reasons) and the
// events to record.
import { matchesLabels, parseLabelSelector } from '../../api/selectors/labels.ts';
import { milliValue } from '../../scheduler/quantity.ts';
import { rfc3339, type KubeObject } from '../runtime/types.ts';
import type { Pod } from '../runtime/pods.ts';
import {
  normalizeDesiredReplicas,
  normalizeDesiredReplicasWithBehaviors,
  recordInitialRecommendation,
  storeScaleEvent,
  type ConditionChange,
  type HPABehavior,
  type ScalingHistory,
} from './behavior.ts';
import { resourceMetric, type FetchedMetrics } from './metrics.ts';
import { rawResourceReplicas, resourceReplicas, DEFAULT_CALCULATOR_OPTIONS, type CalculatorOptions } from './replica-calculator.ts';

type J = Record<string, any>;

export interface HPACondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface HPAStatus {
  currentReplicas?: number;
  desiredReplicas?: number;
  lastScaleTime?: string;
  currentMetrics?: J[];
  conditions?: HPACondition[];
  [k: string]: unknown;
}

/** An autoscaling/v2 HorizontalPodAutoscaler. */
export interface HPA extends KubeObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: J[];
    behavior?: HPABehavior;
  };
  status?: HPAStatus;
}

/** The target's autoscaling/v1 Scale, as the HPA reads it. */
export interface ScaleView {
  specReplicas: number;
  statusReplicas: number;
  /** status.selector ('' when the target has none). */
  selector: string;
}

export interface HPAEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface SyncOptions {
  calculator: CalculatorOptions;
  /** The scale-down stabilization window for HPAs without spec.behavior (5 min upstream). */
  downscaleStabilizationMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = { calculator: DEFAULT_CALCULATOR_OPTIONS, downscaleStabilizationMs: 5 * 60_000 };

/** The status being built and the events so far. */
interface Working {
  hpa: HPA;
  status: HPAStatus;
  events: HPAEvent[];
  now: number;
}

export interface SyncResult {
  status: HPAStatus;
  events: HPAEvent[];
  /** Why the sync failed (upstream's reconcile error), if it did. */
  error?: string;
}

export interface Plan extends SyncResult {
  /** Set when the scale is to be updated. */
  rescale?: { replicas: number; reason: string };
  currentReplicas: number;
  metricStatuses: J[];
}

function working(hpa: HPA, now: number): Working {
  return { hpa, status: structuredClone(hpa.status ?? {}), events: [], now };
}

/** setCondition: lastTransitionTime moves only when the status changes; a new type is appended. */
function setCondition(w: Working, c: ConditionChange): void {
  const list = [...(w.status.conditions ?? [])];
  let i = list.findIndex((x) => x.type === c.type);
  if (i < 0) {
    list.push({ type: c.type, status: '' });
    i = list.length - 1;
  }
  const cur = list[i]!;
  list[i] = { type: c.type, status: c.status, lastTransitionTime: cur.status !== c.status ? rfc3339(new Date(w.now)) : cur.lastTransitionTime, reason: c.reason, message: c.message };
  w.status.conditions = list;
}

function warn(w: Working, reason: string, message: string): void {
  w.events.push({ type: 'Warning', reason, message });
}

/** setStatus: current and desired replicas and metrics; lastScaleTime moves on a rescale. */
function setStatus(w: Working, current: number, desired: number | undefined, metrics: J[], rescale: boolean): void {
  const status: HPAStatus = { currentReplicas: current, desiredReplicas: desired ?? 0 };
  const last = rescale ? rfc3339(new Date(w.now)) : w.status.lastScaleTime;
  if (last) status.lastScaleTime = last;
  if (metrics.length) status.currentMetrics = metrics;
  if (w.status.conditions) status.conditions = w.status.conditions;
  w.status = status;
}

/** The target's scale could not be read (or its kind resolved): AbleToScale False FailedGetScale. */
export function scaleUnavailable(hpa: HPA, message: string, now: number): SyncResult {
  const w = working(hpa, now);
  warn(w, 'FailedGetScale', message);
  setCondition(w, { type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${message}` });
  return { status: w.status, events: w.events, error: `failed to query scale subresource for ${reference(hpa)}: ${message}` };
}

function reference(hpa: HPA): string {
  const ref = hpa.spec?.scaleTargetRef ?? {};
  return `${ref.kind}/${hpa.metadata?.namespace}/${ref.name}`;
}

/** 200 → `200m`, 2000 → `2`: resource.NewMilliQuantity(v, DecimalSI).String(). */
export function milliQuantity(v: number): string {
  if (v === 0) return '0';
  const suffixes: Record<number, string> = { [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
  let n = v;
  let exp = -3;
  while (n % 1000 === 0 && exp < 18) {
    n /= 1000;
    exp += 3;
  }
  return `${n}${suffixes[exp]}`;
}

interface MetricResult {
  replicas: number;
  name: string;
  status: J;
}

interface MetricFailure {
  condition: ConditionChange;
  error: string;
}

/** The unable-to-compute condition and its event (getUnableComputeReplicaCountCondition). */
function unable(w: Working, reason: string, err: string): ConditionChange {
  warn(w, reason, err);
  return { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${err}` };
}

interface MetricContext {
  currentReplicas: number;
  pods: Pod[];
  fetched: FetchedMetrics;
  opts: SyncOptions;
}

/** computeStatusForResourceMetricGeneric for Resource and ContainerResource metrics. */
function resourceMetricReplicas(w: Working, spec: J, ctx: MetricContext): MetricResult | MetricFailure {
  const container = spec.type === 'ContainerResource';
  const src: J = (container ? spec.containerResource : spec.resource) ?? {};
  const resource = String(src.name ?? '');
  const containerName = container ? String(src.container ?? '') : '';
  const target: J = src.target ?? {};
  const failedReason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
  const wrap = (err: string) => (container ? `failed to get ${containerName} container metric value: ${err}` : `failed to get ${resource} resource metric value: ${err}`);
  const fail = (err: string): MetricFailure => ({ condition: unable(w, failedReason, err), error: wrap(err) });
  const input = () => {
    const { metrics, timestamp } = resourceMetric(ctx.fetched, resource, containerName);
    return { currentReplicas: ctx.currentReplicas, resource, container: containerName, pods: ctx.pods, metrics, timestamp, now: w.now, opts: ctx.opts.calculator };
  };
  const wrapped = (err: unknown) => `unable to get metrics for resource ${resource}: ${(err as Error).message}`;
  const key = container ? 'containerResource' : 'resource';
  const base: J = container ? { name: resource, container: containerName } : { name: resource };
  if (target.averageValue !== undefined && target.averageValue !== null) {
    let r;
    try {
      r = rawResourceReplicas(fetchOrThrow(input, wrapped), milliValue(target.averageValue));
    } catch (err) {
      return fail(`failed to get ${resource} usage: ${(err as Error).message}`);
    }
    return { replicas: r.replicas, name: `${resource} resource`, status: { type: spec.type, [key]: { ...base, current: { averageValue: milliQuantity(r.usage) } } } };
  }
  if (typeof target.averageUtilization !== 'number') {
    return fail('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  let r;
  try {
    r = resourceReplicas(fetchOrThrow(input, wrapped), target.averageUtilization);
  } catch (err) {
    return fail(`failed to get ${resource} utilization: ${(err as Error).message}`);
  }
  return {
    replicas: r.replicas,
    name: container ? `${resource} container resource utilization (percentage of request)` : `${resource} resource utilization (percentage of request)`,
    status: { type: spec.type, [key]: { ...base, current: { averageUtilization: r.utilization, averageValue: milliQuantity(r.rawUtilization) } } },
  };
}

/** Metric errors (fetching) get upstream's "unable to get metrics for resource" prefix; calculation errors do not. */
function fetchOrThrow<T>(fn: () => T, wrap: (err: unknown) => string): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(wrap(err));
  }
}

/** Pods, Object and External metrics need the custom and external metrics APIs, which k8ts does not serve. */
function customMetricFailure(w: Working, spec: J): MetricFailure {
  const api = spec.type === 'External' ? 'external metrics API (external.metrics.k8s.io)' : 'custom metrics API (custom.metrics.k8s.io)';
  const err = `unable to fetch metrics from ${spec.type === 'External' ? 'external' : 'custom'} metrics API: no ${api} registered`;
  switch (spec.type) {
    case 'Pods':
      return { condition: unable(w, 'FailedGetPodsMetric', err), error: `failed to get pods metric value: ${err}` };
    case 'Object':
      return { condition: unable(w, 'FailedGetObjectMetric', err), error: `failed to get object metric value: ${err}` };
    case 'External':
      return { condition: unable(w, 'FailedGetExternalMetric', err), error: `failed to get ${spec.external?.metric?.name} external metric value: ${err}` };
    default: {
      const unknown = `unknown metric source type ${JSON.stringify(String(spec.type ?? ''))}`;
      return { condition: unable(w, 'InvalidMetricSourceType', unknown), error: unknown };
    }
  }
}

/** computeReplicasForMetrics: the largest proposal; -1 when nothing can be decided. */
function replicasForMetrics(w: Working, scale: ScaleView, namespacePods: readonly Pod[], fetched: FetchedMetrics, opts: SyncOptions): { replicas: number; metric: string; statuses: J[]; error?: string } {
  if (scale.selector === '') {
    warn(w, 'SelectorRequired', 'selector is required');
    setCondition(w, { type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
    return { replicas: -1, metric: '', statuses: [], error: 'selector is required' };
  }
  let selector;
  try {
    selector = parseLabelSelector(scale.selector);
  } catch (err) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
    warn(w, 'InvalidSelector', msg);
    setCondition(w, { type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: msg });
    return { replicas: -1, metric: '', statuses: [], error: msg };
  }
  const pods = namespacePods.filter((p) => matchesLabels(selector, p.metadata?.labels));
  const specs = w.hpa.spec?.metrics ?? [];
  const ctx: MetricContext = { currentReplicas: scale.specReplicas, pods, fetched, opts };
  const statuses: J[] = [];
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let first: MetricFailure | undefined;
  for (const spec of specs) {
    const r = spec.type === 'Resource' || spec.type === 'ContainerResource' ? resourceMetricReplicas(w, spec, ctx) : customMetricFailure(w, spec);
    if ('error' in r) {
      // Go's zero MetricStatus holds the place of a metric that failed.
      statuses.push({ type: '' });
      invalid++;
      first ??= r;
      continue;
    }
    statuses.push(r.status);
    if (replicas === 0 || r.replicas > replicas) {
      replicas = r.replicas;
      metric = r.name;
    }
  }
  const error = first ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.error}` : undefined;
  if (first && (invalid >= specs.length || replicas < scale.specReplicas)) {
    setCondition(w, first.condition);
    return { replicas: -1, metric: '', statuses, error };
  }
  setCondition(w, { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metric}` });
  return { replicas, metric, statuses, error };
}

export interface SyncInput {
  hpa: HPA;
  scale: ScaleView;
  /** The pods of the HPA's namespace (the selector picks the target's). */
  pods: readonly Pod[];
  /** The target's PodMetrics (or why there are none); only read for resource metrics. */
  metrics: FetchedMetrics;
  history: ScalingHistory;
  now: number;
  opts?: SyncOptions;
}

/** Everything up to updating the scale: the desired count, the conditions and events so far. */
export function planSync(input: SyncInput): Plan {
  const { hpa, scale, history, now } = input;
  const opts = input.opts ?? DEFAULT_SYNC_OPTIONS;
  const w = working(hpa, now);
  setCondition(w, { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
  const current = scale.specReplicas;
  recordInitialRecommendation(history, current, now);
  const minReplicas = hpa.spec?.minReplicas ?? 1;
  const maxReplicas = hpa.spec?.maxReplicas ?? 0;
  let desired = 0;
  let reason = '';
  let rescale = true;
  let metricStatuses: J[] = [];
  let error: string | undefined;
  if (current === 0 && minReplicas !== 0) {
    // Autoscaling is disabled for this target.
    rescale = false;
    setCondition(w, { type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  } else if (current > maxReplicas) {
    reason = 'Current number of replicas above Spec.MaxReplicas';
    desired = maxReplicas;
  } else if (current < minReplicas) {
    reason = 'Current number of replicas below Spec.MinReplicas';
    desired = minReplicas;
  } else {
    const m = replicasForMetrics(w, scale, input.pods, input.metrics, opts);
    metricStatuses = m.statuses;
    if (m.replicas === -1) {
      setStatus(w, current, w.status.desiredReplicas, metricStatuses, false);
      warn(w, 'FailedComputeMetricsReplicas', m.error ?? '');
      return { status: w.status, events: w.events, currentReplicas: current, metricStatuses, error: `failed to compute desired number of replicas based on listed metrics for ${reference(hpa)}: ${m.error}` };
    }
    // Some metrics failed but the others decide: scale on them, and report the failure.
    error = m.error;
    desired = m.replicas;
    if (desired > current) reason = `${m.metric} above target`;
    if (desired < current) reason = 'All metrics below target';
    const args = { currentReplicas: current, desiredReplicas: desired, minReplicas, maxReplicas, now, downscaleStabilizationMs: opts.downscaleStabilizationMs };
    const behavior = hpa.spec?.behavior;
    const n = behavior ? normalizeDesiredReplicasWithBehaviors(history, behavior, args) : normalizeDesiredReplicas(history, args);
    for (const c of n.conditions) setCondition(w, c);
    desired = n.replicas;
    rescale = desired !== current;
  }
  if (!rescale) {
    setStatus(w, current, current, metricStatuses, false);
    return { status: w.status, events: w.events, currentReplicas: current, metricStatuses, error };
  }
  return { status: w.status, events: w.events, currentReplicas: current, metricStatuses, error, rescale: { replicas: desired, reason } };
}

/** After updating the scale to plan.rescale (`updateError` set when that failed). */
export function finishSync(hpa: HPA, plan: Plan, updateError: string | undefined, history: ScalingHistory, now: number): SyncResult {
  const w: Working = { hpa, status: plan.status, events: [...plan.events], now };
  const r = plan.rescale;
  if (!r) return plan;
  if (updateError !== undefined) {
    warn(w, 'FailedRescale', `New size: ${r.replicas}; reason: ${r.reason}; error: ${updateError}`);
    setCondition(w, { type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${updateError}` });
    setStatus(w, plan.currentReplicas, w.status.desiredReplicas, plan.metricStatuses, false);
    return { status: w.status, events: w.events, error: `failed to rescale ${reference(hpa)}: ${updateError}` };
  }
  setCondition(w, { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${r.replicas}` });
  w.events.push({ type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${r.replicas}; reason: ${r.reason}` });
  storeScaleEvent(history, hpa.spec?.behavior, now, plan.currentReplicas, r.replicas);
  setStatus(w, plan.currentReplicas, r.replicas, plan.metricStatuses, true);
  return { status: w.status, events: w.events, error: plan.error };
}
