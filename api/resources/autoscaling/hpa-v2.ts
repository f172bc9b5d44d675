// autoscaling/v2 HorizontalPodAutoscaler, the stored version (pkg/apis/autoscaling/v2/defaults.go,
// pkg/apis/autoscaling/validation, pkg/registry/autoscaling/horizontalpodautoscaler).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, PrinterColumn, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Label, isQualifiedName, isValidPathSegmentName } from '../../validation/names.ts';
import { canonicalQuantity, tryParseQuantity } from '../../validation/quantity.ts';
import { isExtendedResourceName, isNativeResource, isStandardContainerResourceName } from '../core/resource-names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { keepAllButStatus, keepOldStatus } from '../group-helpers/descriptor.ts';
import { invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, clone, isObj, setDefault } from '../group-helpers/object.ts';
import { validateLabelSelector } from '../group-helpers/selectors.ts';
import { nonNegative } from '../group-helpers/validation.ts';

export const DEFAULT_CPU_UTILIZATION = 80;
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];

export function defaultCpuMetric(utilization = DEFAULT_CPU_UTILIZATION): Record<string, unknown> {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } };
}

function scaleUpRules(): Record<string, unknown> {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

function scaleDownRules(): Record<string, unknown> {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** copyHPAScalingRules: the user's non-nil fields over the defaults. */
function fillRules(from: unknown, defaults: Record<string, unknown>): Record<string, unknown> {
  if (!isObj(from)) return defaults;
  const out = clone(defaults);
  for (const f of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) {
    if (from[f] !== undefined && from[f] !== null) out[f] = from[f];
  }
  return out;
}

export function defaultHPAv2(obj: KubeObject): void {
  const spec = child(obj as Record<string, unknown>, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (asArr(spec.metrics).length === 0) spec.metrics = [defaultCpuMetric()];
  if (isObj(spec.behavior)) {
    spec.behavior.scaleUp = fillRules(spec.behavior.scaleUp, scaleUpRules());
    spec.behavior.scaleDown = fillRules(spec.behavior.scaleDown, scaleDownRules());
  }
}

function validateCrossVersionObjectReference(ref: unknown, path: string): FieldError[] {
  const r = asObj(ref);
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = typeof r[f] === 'string' ? (r[f] as string) : '';
    if (v.length === 0) errs.push(fieldErrors.required(`${path}.${f}`));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${path}.${f}`, v, msg));
  }
  return errs;
}

/** Quantity.Sign() == 1, rendered as its string when not. */
function positiveQuantity(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  const q = tryParseQuantity(v);
  if (q && q.value > 0n) return [];
  return [invalidRendered(path, JSON.stringify(String(v)), 'must be positive')];
}

function validateMetricTarget(target: unknown, path: string): FieldError[] {
  const t = asObj(target);
  const errs: FieldError[] = [];
  if (!t.type) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric target type'));
  if (t.type !== 'Utilization' && t.type !== 'Value' && t.type !== 'AverageValue') {
    errs.push(fieldErrors.invalid(`${path}.type`, t.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  }
  errs.push(...positiveQuantity(t.value, `${path}.value`));
  errs.push(...positiveQuantity(t.averageValue, `${path}.averageValue`));
  if (typeof t.averageUtilization === 'number' && t.averageUtilization < 1) {
    errs.push(fieldErrors.invalid(`${path}.averageUtilization`, t.averageUtilization, 'must be greater than 0'));
  }
  return errs;
}

function validateMetricIdentifier(id: unknown, path: string): FieldError[] {
  const m = asObj(id);
  const errs: FieldError[] = [];
  const name = typeof m.name === 'string' ? m.name : '';
  if (name.length === 0) errs.push(fieldErrors.required(`${path}.name`, 'must specify a metric name'));
  else for (const msg of isValidPathSegmentName(name)) errs.push(fieldErrors.invalid(`${path}.name`, name, msg));
  errs.push(...validateLabelSelector(m.selector, `${path}.selector`));
  return errs;
}

function validateResourceName(name: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of isQualifiedName(name)) errs.push(fieldErrors.invalid(path, name, msg));
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!isStandardContainerResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fieldErrors.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

function validateResourceSource(src: Record<string, unknown>, path: string, container: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof src.name === 'string' ? src.name : '';
  if (name.length === 0) errs.push(fieldErrors.required(`${path}.name`, 'must specify a resource name'));
  else errs.push(...validateResourceName(name, `${path}.name`));
  if (container) {
    const c = typeof src.container === 'string' ? src.container : '';
    if (c.length === 0) errs.push(fieldErrors.required(`${path}.container`, 'must specify a container'));
    else for (const msg of isDNS1123Label(c)) errs.push(fieldErrors.invalid(`${path}.container`, c, msg));
  }
  errs.push(...validateMetricTarget(src.target, `${path}.target`));
  const t = asObj(src.target);
  const hasUtil = t.averageUtilization !== undefined && t.averageUtilization !== null;
  const hasAvg = t.averageValue !== undefined && t.averageValue !== null;
  if (!hasUtil && !hasAvg) errs.push(fieldErrors.required(`${path}.target.averageUtilization`, 'must set either a target raw value or a target utilization'));
  if (hasUtil && hasAvg) errs.push(fieldErrors.forbidden(`${path}.target.averageValue`, 'may not set both a target raw value and a target utilization'));
  return errs;
}

function validateMetricSpec(m: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = typeof m.type === 'string' ? m.type : '';
  if (type.length === 0) errs.push(fieldErrors.required(`${path}.type`, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type)) errs.push(fieldErrors.notSupported(`${path}.type`, type, METRIC_SOURCE_TYPES));
  const present: string[] = [];
  const check = (key: string, fn: (src: Record<string, unknown>, p: string) => FieldError[]): void => {
    if (!isObj(m[key])) return;
    present.push(key);
    if (present.length === 1) errs.push(...fn(m[key] as Record<string, unknown>, `${path}.${key}`));
  };
  check('object', (src, p) => {
    const e = [
      ...validateCrossVersionObjectReference(src.describedObject, `${p}.describedObject`),
      ...validateMetricIdentifier(src.metric, `${p}.metric`),
      ...validateMetricTarget(src.target, `${p}.target`),
    ];
    const t = asObj(src.target);
    if (t.value == null && t.averageValue == null) e.push(fieldErrors.required(`${p}.target.averageValue`, 'must set either a target value or averageValue'));
    return e;
  });
  check('external', (src, p) => {
    const e = [...validateMetricIdentifier(src.metric, `${p}.metric`), ...validateMetricTarget(src.target, `${p}.target`)];
    const t = asObj(src.target);
    if (t.value == null && t.averageValue == null) e.push(fieldErrors.required(`${p}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
    if (t.value != null && t.averageValue != null) e.push(fieldErrors.forbidden(`${p}.target.value`, 'may not set both a target value for metric and a per-pod target'));
    return e;
  });
  check('pods', (src, p) => {
    const e = [...validateMetricIdentifier(src.metric, `${p}.metric`), ...validateMetricTarget(src.target, `${p}.target`)];
    if (asObj(src.target).averageValue == null) e.push(fieldErrors.required(`${p}.target.averageValue`, 'must specify a positive target averageValue'));
    return e;
  });
  check('resource', (src, p) => validateResourceSource(src, p, false));
  check('containerResource', (src, p) => validateResourceSource(src, p, true));
  const expected: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };
  const expectedField = expected[type];
  // An unknown type is reported a second time upstream; the aggregate message shows it once.
  if (expectedField && !isObj(m[expectedField])) {
    errs.push(fieldErrors.required(`${path}.${expectedField}`, 'must populate information for the given metric source'));
  }
  if (present.length !== 1) {
    for (const p of present.filter((f) => f !== expectedField)) errs.push(fieldErrors.forbidden(`${path}.${p}`, 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: unknown, path: string): FieldError[] {
  if (!isObj(rules)) return [];
  const errs: FieldError[] = [];
  const sws = rules.stabilizationWindowSeconds;
  if (typeof sws === 'number' && sws < 0) errs.push(fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, sws, 'must be greater than or equal to zero'));
  if (typeof sws === 'number' && sws > MAX_STABILIZATION_WINDOW_SECONDS) {
    errs.push(fieldErrors.invalid(`${path}.stabilizationWindowSeconds`, sws, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  if (rules.selectPolicy != null && !SELECT_POLICIES.includes(String(rules.selectPolicy))) {
    errs.push(fieldErrors.notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  }
  const policies = asArr(rules.policies);
  if (policies.length === 0) errs.push(fieldErrors.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const policy = asObj(p);
    const pp = `${path}.policies[${i}]`;
    if (policy.type !== 'Pods' && policy.type !== 'Percent') errs.push(fieldErrors.notSupported(`${pp}.type`, policy.type ?? '', POLICY_TYPES));
    const value = typeof policy.value === 'number' ? policy.value : 0;
    if (value <= 0) errs.push(fieldErrors.invalid(`${pp}.value`, value, 'must be greater than zero'));
    const period = typeof policy.periodSeconds === 'number' ? policy.periodSeconds : 0;
    if (period <= 0) errs.push(fieldErrors.invalid(`${pp}.periodSeconds`, period, 'must be greater than zero'));
    if (period > MAX_PERIOD_SECONDS) errs.push(fieldErrors.invalid(`${pp}.periodSeconds`, period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

export function validateHPAv2Spec(obj: KubeObject, old?: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  // Scale-to-zero (minReplicas 0) is alpha; an object that already had it may keep it.
  const oldMin = old ? asObj(old.spec).minReplicas : undefined;
  const lowerBound = oldMin === 0 ? 0 : 1;
  const min = spec.minReplicas;
  if (typeof min === 'number' && min < lowerBound) {
    errs.push(fieldErrors.invalid('spec.minReplicas', min, `must be greater than or equal to ${lowerBound}`));
  }
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (max < 1) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof min === 'number' && max < min) errs.push(fieldErrors.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const refErrs = validateCrossVersionObjectReference(spec.scaleTargetRef, 'spec.scaleTargetRef');
  if (refErrs.length > 0) return [...errs, ...refErrs];
  const metricErrs: FieldError[] = [];
  const metrics = asArr(spec.metrics).map(asObj);
  metrics.forEach((m, i) => metricErrs.push(...validateMetricSpec(m, `spec.metrics[${i}]`)));
  if (min === 0 && !metrics.some((m) => m.type === 'Object' || m.type === 'External')) {
    metricErrs.push(fieldErrors.forbidden('spec.metrics', 'must specify at least one Object or External metric to support scaling to zero replicas'));
  }
  if (metricErrs.length > 0) return [...errs, ...metricErrs];
  if (isObj(spec.behavior)) {
    errs.push(...validateScalingRules(spec.behavior.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateScalingRules(spec.behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errs;
}

export function validateHPAStatus(obj: KubeObject): FieldError[] {
  const status = asObj(obj.status);
  // Upstream's path for desiredReplicas carries a typo ("desiredReplicasa"); kept as served.
  return [...nonNegative(status.currentReplicas, 'status.currentReplicas'), ...nonNegative(status.desiredReplicas, 'status.desiredReplicasa')];
}

export const hpaV2Strategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultHPAv2,
  validate: (obj) => validateHPAv2Spec(obj),
  validateUpdate: (obj, old) => validateHPAv2Spec(obj, old),
  validateStatusUpdate: (obj) => validateHPAStatus(obj),
  prepareForCreate: (obj) => {
    obj.status = { desiredReplicas: 0 };
  },
  prepareForUpdate: (obj, old) => keepOldStatus(obj, old),
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

function q(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  try {
    return canonicalQuantity(v as string | number);
  } catch {
    return String(v);
  }
}

/** formatHPAMetrics: up to two `current/target` entries, then `+ N more...`. */
export function formatHPAMetrics(specs: unknown, statuses: unknown): string {
  const list = asArr(specs).map(asObj);
  const current = asArr(statuses).map(asObj);
  if (list.length === 0) return '<none>';
  const out: string[] = [];
  list.forEach((spec, i) => {
    const st = current[i];
    switch (spec.type) {
      case 'External': {
        const target = asObj(asObj(spec.external).target);
        const cur = asObj(asObj(st?.external).current);
        if (target.averageValue != null) {
          const c = st && isObj(st.external) && cur.averageValue != null ? q(cur.averageValue) : '<unknown>';
          out.push(`${c}/${q(target.averageValue)} (avg)`);
        } else {
          const c = st && isObj(st.external) ? q(cur.value ?? 0) : '<unknown>';
          out.push(`${c}/${q(target.value)}`);
        }
        break;
      }
      case 'Pods': {
        const target = asObj(asObj(spec.pods).target);
        const c = st && isObj(st.pods) ? q(asObj(asObj(st.pods).current).averageValue ?? 0) : '<unknown>';
        out.push(`${c}/${q(target.averageValue)}`);
        break;
      }
      case 'Object': {
        const target = asObj(asObj(spec.object).target);
        const cur = asObj(asObj(st?.object).current);
        if (target.averageValue != null) {
          const c = st && isObj(st.object) && cur.averageValue != null ? q(cur.averageValue) : '<unknown>';
          out.push(`${c}/${q(target.averageValue)} (avg)`);
        } else {
          const c = st && isObj(st.object) ? q(cur.value ?? 0) : '<unknown>';
          out.push(`${c}/${q(target.value)}`);
        }
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const src = asObj(spec[key]);
        const target = asObj(src.target);
        const cur = asObj(asObj(st?.[key]).current);
        const has = st !== undefined && isObj(st[key]);
        if (target.averageValue != null) {
          const c = has ? q(cur.averageValue ?? 0) : '<unknown>';
          out.push(`${String(src.name ?? '')}: ${c}/${q(target.averageValue)}`);
        } else {
          const c = has && typeof cur.averageUtilization === 'number' ? `${cur.averageUtilization}%` : '<unknown>';
          const t = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
          out.push(`${String(src.name ?? '')}: ${c}/${t}`);
        }
        break;
      }
      default:
        out.push('<unknown type>');
    }
  });
  const max = 2;
  if (out.length > max) return `${out.slice(0, max).join(', ')} + ${out.length - max} more...`;
  return out.join(', ');
}

/** The columns of `kubectl get hpa`, computed on the v2 (internal-equivalent) object. */
export function hpaColumns(toV2: (obj: KubeObject) => KubeObject): PrinterColumn[] {
  return [
    {
      name: 'Reference',
      type: 'string',
      description: 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
      priority: 0,
      cell: (obj) => {
        const ref = asObj(asObj(toV2(obj).spec).scaleTargetRef);
        return `${String(ref.kind ?? '')}/${String(ref.name ?? '')}`;
      },
    },
    {
      name: 'Targets',
      type: 'string',
      description: 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).',
      priority: 0,
      cell: (obj) => {
        const v2 = toV2(obj);
        return formatHPAMetrics(asObj(v2.spec).metrics, asObj(v2.status).currentMetrics);
      },
    },
    {
      name: 'MinPods',
      type: 'string',
      description: 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
      priority: 0,
      cell: (obj) => {
        const min = asObj(toV2(obj).spec).minReplicas;
        return typeof min === 'number' ? String(min) : '<unset>';
      },
    },
    {
      name: 'MaxPods',
      type: 'string',
      description: 'maxReplicas is the upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.',
      priority: 0,
      cell: (obj) => Number(asObj(toV2(obj).spec).maxReplicas ?? 0),
    },
    {
      name: 'Replicas',
      type: 'string',
      description: 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.',
      priority: 0,
      cell: (obj) => Number(asObj(toV2(obj).status).currentReplicas ?? 0),
    },
    ageColumn(),
  ];
}
