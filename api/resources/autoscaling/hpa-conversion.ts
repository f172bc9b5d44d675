// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler, as upstream converts through the
// internal type (pkg/apis/autoscaling/v1/conversion.go): v1's targetCPUUtilizationPercentage is a
// Resource cpu Utilization metric; whatever v1 cannot express (other metrics, current metrics,
// conditions, behavior) travels in `autoscaling.alpha.kubernetes.io/*` annotations.
import type { KubeObject } from '../../registry/descriptor.ts';
import { asArr, asObj, clone, isObj } from '../group-helpers/object.ts';
import { DEFAULT_CPU_UTILIZATION, defaultCpuMetric } from './hpa-v2.ts';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

type J = Record<string, unknown>;

function put(out: J, key: string, v: unknown): void {
  if (v !== undefined && v !== null) out[key] = v;
}

function ref(v: unknown): J {
  const r = asObj(v);
  const out: J = { kind: r.kind ?? '', name: r.name ?? '' };
  put(out, 'apiVersion', r.apiVersion);
  return out;
}

// ---- v1 (annotation) shapes -> v2 ----

function metricSpecFromV1(m: J): J {
  const out: J = { type: m.type };
  if (isObj(m.object)) {
    const o = m.object;
    const target: J = { type: o.averageValue == null ? 'Value' : 'AverageValue', value: o.targetValue ?? '0' };
    put(target, 'averageValue', o.averageValue);
    const metric: J = { name: o.metricName ?? '' };
    put(metric, 'selector', o.selector);
    out.object = { describedObject: ref(o.target), metric, target };
  }
  if (isObj(m.pods)) {
    const p = m.pods;
    const metric: J = { name: p.metricName ?? '' };
    put(metric, 'selector', p.selector);
    out.pods = { metric, target: { type: 'AverageValue', averageValue: p.targetAverageValue ?? '0' } };
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!isObj(m[key])) continue;
    const r = m[key] as J;
    const target: J = { type: r.targetAverageUtilization == null ? 'AverageValue' : 'Utilization' };
    put(target, 'averageValue', r.targetAverageValue);
    put(target, 'averageUtilization', r.targetAverageUtilization);
    const src: J = { name: r.name ?? '', target };
    if (key === 'containerResource') src.container = r.container ?? '';
    out[key] = src;
  }
  if (isObj(m.external)) {
    const e = m.external;
    const target: J = { type: e.targetValue == null ? 'AverageValue' : 'Value' };
    put(target, 'value', e.targetValue);
    put(target, 'averageValue', e.targetAverageValue);
    const metric: J = { name: e.metricName ?? '' };
    put(metric, 'selector', e.metricSelector);
    out.external = { metric, target };
  }
  return out;
}

function metricStatusFromV1(m: J): J {
  const out: J = { type: m.type };
  if (isObj(m.object)) {
    const o = m.object;
    const current: J = { value: o.currentValue ?? '0' };
    put(current, 'averageValue', o.averageValue);
    const metric: J = { name: o.metricName ?? '' };
    put(metric, 'selector', o.selector);
    out.object = { describedObject: ref(o.target), metric, current };
  }
  if (isObj(m.pods)) {
    const p = m.pods;
    const metric: J = { name: p.metricName ?? '' };
    put(metric, 'selector', p.selector);
    out.pods = { metric, current: { averageValue: p.currentAverageValue ?? '0' } };
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!isObj(m[key])) continue;
    const r = m[key] as J;
    const current: J = { averageValue: r.currentAverageValue ?? '0' };
    put(current, 'averageUtilization', r.currentAverageUtilization);
    const src: J = { name: r.name ?? '', current };
    if (key === 'containerResource') src.container = r.container ?? '';
    out[key] = src;
  }
  if (isObj(m.external)) {
    const e = m.external;
    const current: J = { value: e.currentValue ?? '0' };
    put(current, 'averageValue', e.currentAverageValue);
    const metric: J = { name: e.metricName ?? '' };
    put(metric, 'selector', e.metricSelector);
    out.external = { metric, current };
  }
  return out;
}

// ---- v2 -> v1 (annotation) shapes ----

function metricSpecToV1(m: J): J {
  const out: J = { type: m.type };
  if (isObj(m.object)) {
    const o = m.object;
    const t = asObj(o.target);
    const metric = asObj(o.metric);
    const src: J = { target: ref(o.describedObject), metricName: metric.name ?? '', targetValue: t.value ?? '0' };
    put(src, 'selector', metric.selector);
    put(src, 'averageValue', t.averageValue);
    out.object = src;
  }
  if (isObj(m.pods)) {
    const metric = asObj(m.pods.metric);
    const src: J = { metricName: metric.name ?? '', targetAverageValue: asObj(m.pods.target).averageValue ?? '0' };
    put(src, 'selector', metric.selector);
    out.pods = src;
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!isObj(m[key])) continue;
    const r = m[key] as J;
    const t = asObj(r.target);
    const src: J = { name: r.name ?? '' };
    put(src, 'targetAverageUtilization', t.averageUtilization);
    put(src, 'targetAverageValue', t.averageValue);
    if (key === 'containerResource') src.container = r.container ?? '';
    out[key] = src;
  }
  if (isObj(m.external)) {
    const metric = asObj(m.external.metric);
    const t = asObj(m.external.target);
    const src: J = { metricName: metric.name ?? '' };
    put(src, 'metricSelector', metric.selector);
    put(src, 'targetValue', t.value);
    put(src, 'targetAverageValue', t.averageValue);
    out.external = src;
  }
  return out;
}

function metricStatusToV1(m: J): J {
  const out: J = { type: m.type };
  if (isObj(m.object)) {
    const o = m.object;
    const c = asObj(o.current);
    const metric = asObj(o.metric);
    const src: J = { target: ref(o.describedObject), metricName: metric.name ?? '', currentValue: c.value ?? '0' };
    put(src, 'selector', metric.selector);
    put(src, 'averageValue', c.averageValue);
    out.object = src;
  }
  if (isObj(m.pods)) {
    const metric = asObj(m.pods.metric);
    const src: J = { metricName: metric.name ?? '', currentAverageValue: asObj(m.pods.current).averageValue ?? '0' };
    put(src, 'selector', metric.selector);
    out.pods = src;
  }
  for (const key of ['resource', 'containerResource'] as const) {
    if (!isObj(m[key])) continue;
    const r = m[key] as J;
    const c = asObj(r.current);
    const src: J = { name: r.name ?? '' };
    put(src, 'currentAverageUtilization', c.averageUtilization);
    src.currentAverageValue = c.averageValue ?? '0';
    if (key === 'containerResource') src.container = r.container ?? '';
    out[key] = src;
  }
  if (isObj(m.external)) {
    const metric = asObj(m.external.metric);
    const c = asObj(m.external.current);
    const src: J = { metricName: metric.name ?? '' };
    put(src, 'metricSelector', metric.selector);
    src.currentValue = c.value ?? '0';
    put(src, 'currentAverageValue', c.averageValue);
    out.external = src;
  }
  return out;
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function isCpuUtilization(m: J): boolean {
  const r = asObj(m.resource);
  return m.type === 'Resource' && isObj(m.resource) && r.name === 'cpu' && asObj(r.target).averageUtilization != null;
}

/** autoscaling/v1 -> autoscaling/v2 (the stored version). */
export function hpaV1ToV2(v1: KubeObject): KubeObject {
  const out: KubeObject = { ...clone(v1), apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' };
  const metadata = clone(v1.metadata ?? {});
  const annotations = { ...(metadata.annotations ?? {}) };
  const spec = asObj(v1.spec);
  const v2spec: J = { scaleTargetRef: ref(spec.scaleTargetRef) };
  put(v2spec, 'minReplicas', spec.minReplicas);
  v2spec.maxReplicas = spec.maxReplicas ?? 0;
  let metrics: J[] = [];
  if (typeof spec.targetCPUUtilizationPercentage === 'number') metrics.push(defaultCpuMetric(spec.targetCPUUtilizationPercentage));
  const other = parseAnnotation(annotations, METRIC_SPECS_ANNOTATION);
  if (Array.isArray(other)) metrics = [...other.map((m) => metricSpecFromV1(asObj(m))), ...metrics];
  if (metrics.length === 0) metrics = [defaultCpuMetric(DEFAULT_CPU_UTILIZATION)];
  v2spec.metrics = metrics;
  const behavior = parseAnnotation(annotations, BEHAVIOR_ANNOTATION);
  if (isObj(behavior) && Object.keys(behavior).length > 0) v2spec.behavior = behavior;
  out.spec = v2spec;

  if (v1.status !== undefined) {
    const status = asObj(v1.status);
    const v2status: J = {};
    put(v2status, 'observedGeneration', status.observedGeneration);
    put(v2status, 'lastScaleTime', status.lastScaleTime);
    put(v2status, 'currentReplicas', status.currentReplicas);
    v2status.desiredReplicas = status.desiredReplicas ?? 0;
    const current = parseAnnotation(annotations, METRIC_STATUSES_ANNOTATION);
    if (Array.isArray(current)) v2status.currentMetrics = current.map((m) => metricStatusFromV1(asObj(m)));
    else if (typeof status.currentCPUUtilizationPercentage === 'number') {
      v2status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION);
    if (Array.isArray(conditions)) v2status.conditions = conditions;
    out.status = v2status;
  }
  for (const k of ROUND_TRIP) delete annotations[k];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  out.metadata = metadata;
  return out;
}

/** autoscaling/v2 (stored) -> autoscaling/v1. */
export function hpaV2ToV1(v2: KubeObject): KubeObject {
  const out: KubeObject = { ...clone(v2), apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' };
  const metadata = clone(v2.metadata ?? {});
  const annotations = { ...(metadata.annotations ?? {}) };
  for (const k of ROUND_TRIP) delete annotations[k];
  const spec = asObj(v2.spec);
  const metrics = asArr(spec.metrics).map(asObj);
  const v1spec: J = { scaleTargetRef: ref(spec.scaleTargetRef) };
  put(v1spec, 'minReplicas', spec.minReplicas);
  v1spec.maxReplicas = spec.maxReplicas ?? 0;
  const cpu = metrics.find((m) => m.type === 'Resource' && isObj(m.resource) && m.resource.name === 'cpu');
  if (cpu) {
    const util = asObj(asObj(cpu.resource).target).averageUtilization;
    if (typeof util === 'number') v1spec.targetCPUUtilizationPercentage = util;
  }
  out.spec = v1spec;
  const other = metrics.filter((m) => !isCpuUtilization(m));
  if (other.length > 0) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(other.map(metricSpecToV1));
  if (isObj(spec.behavior)) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);

  const status = asObj(v2.status);
  const v1status: J = {};
  put(v1status, 'observedGeneration', status.observedGeneration);
  put(v1status, 'lastScaleTime', status.lastScaleTime);
  v1status.currentReplicas = status.currentReplicas ?? 0;
  v1status.desiredReplicas = status.desiredReplicas ?? 0;
  const currentMetrics = asArr(status.currentMetrics).map(asObj);
  for (const m of currentMetrics) {
    const r = asObj(m.resource);
    const util = asObj(r.current).averageUtilization;
    if (m.type === 'Resource' && r.name === 'cpu' && typeof util === 'number') v1status.currentCPUUtilizationPercentage = util;
  }
  if (currentMetrics.length > 0) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(currentMetrics.map(metricStatusToV1));
  const conditions = asArr(status.conditions);
  if (conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
  out.status = v1status;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  out.metadata = metadata;
  return out;
}
