// batch/v1 Job (pkg/registry/batch/job/strategy.go): a generated selector on
// `batch.kubernetes.io/controller-uid` unless spec.manualSelector, an immutable pod template
// (scheduling directives excepted while suspended and never started), status subresource.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Label } from '../../validation/names.ts';
import { defaultPodTemplateSpec } from '../core/pod-spec.ts';
import { ageColumn, containerColumns, selectorColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, meta, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { goLabelSelector, goStringMap, invalidRendered, jsonValue } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, clone, deepEqual, isObj } from '../group-helpers/object.ts';
import { selectorMatches, validateLabelSelector } from '../group-helpers/selectors.ts';
import { between, since } from '../group-helpers/time.ts';
import { immutableField, immutableSelector, nonNegative, selectorMatchesTemplate } from '../group-helpers/validation.ts';
import { defaultJobSpec, validateJobSpecFields } from './job-spec.ts';

export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

function templateLabelsOf(spec: Record<string, unknown>): Record<string, string> | undefined {
  const l = asObj(asObj(spec.template).metadata).labels;
  return isObj(l) ? (l as Record<string, string>) : undefined;
}

/** SetDefaults_Job: a Job without labels takes its pod template's labels. */
function copyTemplateLabels(obj: KubeObject): void {
  const labels = templateLabelsOf(asObj(obj.spec));
  const m = meta(obj);
  if (labels && Object.keys(m.labels ?? {}).length === 0) m.labels = clone(labels);
}

export function defaultJob(obj: KubeObject): void {
  const spec = child(obj as Record<string, unknown>, 'spec');
  defaultJobSpec(spec);
  copyTemplateLabels(obj);
  defaultPodTemplateSpec(child(spec, 'template'));
}

/** generateSelector: label the template with the job's name and uid and select the uid. */
export function generateSelector(obj: KubeObject): void {
  const spec = child(obj as Record<string, unknown>, 'spec');
  if (spec.manualSelector === true) return;
  const m = meta(obj);
  const tmeta = child(child(spec, 'template'), 'metadata');
  const labels = child(tmeta, 'labels') as Record<string, string>;
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = m.name ?? '';
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = m.uid ?? '';
  const sel = child(spec, 'selector');
  const matchLabels = child(sel, 'matchLabels') as Record<string, string>;
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = m.uid ?? '';
}

function hasLabel(labels: Record<string, string> | undefined, key: string, expected: string): FieldError[] {
  const path = `spec.template.metadata.labels[${key}]`;
  if (!labels || !(key in labels)) return [fieldErrors.required(path, expected)];
  if (labels[key] !== expected) return [invalidRendered(path, goStringMap(labels), `must be '${expected}'`)];
  return [];
}

function validateGeneratedSelector(obj: KubeObject, requirePrefixedLabels: boolean): FieldError[] {
  const spec = asObj(obj.spec);
  if (spec.manualSelector === true || !isObj(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = obj.metadata?.uid ?? '';
  const name = obj.metadata?.name ?? '';
  if (!uid) errs.push(fieldErrors.required('metadata.uid'));
  const labels = templateLabelsOf(spec);
  errs.push(...hasLabel(labels, LEGACY_CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...hasLabel(labels, CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  if (selectorMatches(spec.selector, expected) === false) {
    errs.push(invalidRendered('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

function validateJob(obj: KubeObject, requirePrefixedLabels: boolean): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...validateGeneratedSelector(obj, requirePrefixedLabels));
  errs.push(...validateJobSpecFields(spec, 'spec'));
  if (spec.selector === undefined || spec.selector === null) errs.push(fieldErrors.required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  errs.push(...selectorMatchesTemplate(spec.selector, templateLabelsOf(spec), 'spec.template.metadata.labels'));
  const completions = spec.completions;
  if (spec.completionMode === 'Indexed' && typeof completions === 'number' && completions > 0) {
    const name = obj.metadata?.name ?? '';
    const hostname = `${name}-${completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(fieldErrors.invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** Scheduling directives of a suspended, never-started Job's template may change. */
function comparableTemplate(template: unknown, oldTemplate: unknown, allowScheduling: boolean): unknown {
  if (!allowScheduling) return oldTemplate;
  const t = asObj(template);
  const o = clone(asObj(oldTemplate));
  const ts = asObj(t.spec);
  const os = child(o, 'spec');
  const newAff = ts.affinity;
  const oldAff = os.affinity;
  if (!isObj(newAff) && isObj(oldAff)) {
    delete oldAff.nodeAffinity;
    if (Object.keys(oldAff).length === 0) delete os.affinity;
  } else if (isObj(newAff) && !isObj(oldAff)) {
    os.affinity = newAff.nodeAffinity === undefined ? {} : { nodeAffinity: clone(newAff.nodeAffinity) };
  } else if (isObj(newAff) && isObj(oldAff)) {
    if (newAff.nodeAffinity === undefined) delete oldAff.nodeAffinity;
    else oldAff.nodeAffinity = clone(newAff.nodeAffinity);
  }
  for (const f of ['nodeSelector', 'tolerations', 'schedulingGates']) {
    if (ts[f] === undefined) delete os[f];
    else os[f] = clone(ts[f]);
  }
  const om = child(o, 'metadata');
  const tm = asObj(t.metadata);
  for (const f of ['annotations', 'labels']) {
    if (tm[f] === undefined) delete om[f];
    else om[f] = clone(tm[f]);
  }
  return o;
}

function validateJobSpecUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const oldSpec = asObj(old.spec);
  const errs: FieldError[] = [];
  // validateCompletions (ElasticIndexedJob): Indexed Jobs may scale completions with parallelism.
  if (spec.completionMode === 'Indexed') {
    if (!deepEqual(spec.completions, oldSpec.completions) && typeof spec.completions === 'number' && spec.completions !== spec.parallelism) {
      errs.push(fieldErrors.invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    errs.push(...immutableField(spec.completions, oldSpec.completions, 'spec.completions'));
  }
  errs.push(...immutableSelector(spec.selector, oldSpec.selector, 'spec.selector'));
  const allowScheduling = oldSpec.suspend === true && !asObj(old.status).startTime;
  errs.push(...immutableField(spec.template, comparableTemplate(spec.template, oldSpec.template, allowScheduling), 'spec.template', jsonValue));
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...immutableField(spec[f], oldSpec[f], `spec.${f}`));
  }
  return errs;
}

function conditionTrue(status: unknown, type: string): boolean {
  return asArr(asObj(status).conditions).some((c) => asObj(c).type === type && asObj(c).status === 'True');
}

function isFinished(status: unknown): boolean {
  return conditionTrue(status, 'Complete') || conditionTrue(status, 'Failed');
}

/** The status rules upstream enforces (JobManagedBy on): counters, terminal conditions, times. */
function validateJobStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const status = asObj(obj.status);
  const oldStatus = asObj(old.status);
  const errs: FieldError[] = [];
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...nonNegative(status[f], `status.${f}`));
  const uncounted = asObj(status.uncountedTerminatedPods);
  const seen = new Set<unknown>();
  for (const f of ['succeeded', 'failed']) {
    asArr(uncounted[f]).forEach((uid, i) => {
      const p = `status.uncountedTerminatedPods.${f}[${i}]`;
      if (uid === '') errs.push(fieldErrors.invalid(p, uid, 'must not be empty'));
      else if (seen.has(uid)) errs.push(fieldErrors.duplicate(p, uid));
      else seen.add(uid);
    });
  }
  const finished = isFinished(status);
  const finishedChanged = finished !== isFinished(oldStatus);
  if ((finishedChanged || status.active !== oldStatus.active) && typeof status.active === 'number' && status.active > 0 && finished) {
    errs.push(fieldErrors.invalid('status.active', status.active, 'active>0 is invalid for finished job'));
  }
  if ((finishedChanged || status.startTime !== oldStatus.startTime) && !status.startTime && finished) {
    errs.push(fieldErrors.required('status.startTime', 'startTime is required for finished job'));
  }
  const complete = conditionTrue(status, 'Complete');
  const completeChanged = complete !== conditionTrue(oldStatus, 'Complete');
  const ctChanged = status.completionTime !== oldStatus.completionTime;
  if ((completeChanged || ctChanged) && status.completionTime && !complete) {
    errs.push(fieldErrors.invalid('status.completionTime', status.completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  }
  if ((completeChanged || ctChanged) && !status.completionTime && complete) {
    errs.push(fieldErrors.required('status.completionTime', 'completionTime is required for Complete jobs'));
  }
  for (const t of ['Failed', 'Complete', 'FailureTarget']) {
    if (conditionTrue(oldStatus, t) && !conditionTrue(status, t)) {
      errs.push({ type: 'FieldValueInvalid', field: 'status.conditions', message: `Invalid value: cannot disable the terminal ${t}=True condition` });
    }
  }
  if (typeof oldStatus.failed === 'number' && (typeof status.failed === 'number' ? status.failed : 0) < oldStatus.failed) {
    errs.push(fieldErrors.invalid('status.failed', status.failed ?? 0, 'cannot decrease the failed counter'));
  }
  const spec = asObj(obj.spec);
  const rejectDecreasingSucceeded = spec.completionMode !== 'Indexed' || spec.completions !== spec.parallelism;
  if (rejectDecreasingSucceeded && typeof oldStatus.succeeded === 'number' && (typeof status.succeeded === 'number' ? status.succeeded : 0) < oldStatus.succeeded) {
    errs.push(fieldErrors.invalid('status.succeeded', status.succeeded ?? 0, 'cannot decrease the succeeded counter'));
  }
  if (status.completionTime && oldStatus.completionTime && status.completionTime !== oldStatus.completionTime) {
    errs.push(fieldErrors.invalid('status.completionTime', status.completionTime, 'completionTime cannot be mutated'));
  }
  return errs;
}

/** Upstream runs ValidateJob and ValidateJobUpdate (which validates the spec again); the message is de-duplicated. */
function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.field}: ${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const jobStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultJob,
  validate: (obj) => validateJob(obj, true),
  validateUpdate: (obj, old) => {
    const oldLabels = templateLabelsOf(asObj(old.spec)) ?? {};
    const requirePrefixed = JOB_NAME_LABEL in oldLabels && CONTROLLER_UID_LABEL in oldLabels;
    return dedupe([...validateJob(obj, requirePrefixed), ...validateJobSpecUpdate(obj, old)]);
  },
  validateStatusUpdate: validateJobStatusUpdate,
  /** Needs metadata.uid and metadata.name set (the server fills system fields first, as upstream). */
  prepareForCreate: (obj) => {
    // SetDefaults_Job hands the template's label map itself to a Job without labels, so the
    // generated labels land on both; and the read-back from storage defaults a label-less Job again.
    const before = templateLabelsOf(asObj(obj.spec));
    const own = obj.metadata?.labels;
    const shared = Object.keys(own ?? {}).length === 0 || (before !== undefined && deepEqual(own, before));
    generateSelector(obj);
    resetStatusOnCreate(obj);
    const after = templateLabelsOf(asObj(obj.spec));
    if (shared && after) meta(obj).labels = clone(after);
  },
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

export function jobStatusCell(obj: KubeObject): string {
  const status = obj.status;
  if (conditionTrue(status, 'Complete')) return 'Complete';
  if (conditionTrue(status, 'Failed')) return 'Failed';
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  if (conditionTrue(status, 'Suspended')) return 'Suspended';
  if (conditionTrue(status, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletionsCell(obj: KubeObject): string {
  const spec = asObj(obj.spec);
  const succeeded = typeof asObj(obj.status).succeeded === 'number' ? asObj(obj.status).succeeded : 0;
  if (typeof spec.completions === 'number') return `${succeeded}/${spec.completions}`;
  const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDurationCell(obj: KubeObject, now: Date): string {
  const status = asObj(obj.status);
  const start = typeof status.startTime === 'string' ? status.startTime : '';
  if (!start) return '';
  const end = typeof status.completionTime === 'string' ? status.completionTime : '';
  return end ? between(start, end) : since(start, now);
}

export const jobs: ResourceDescriptor = resource({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1Job',
  printerColumns: [
    { name: 'Status', type: 'string', description: 'Status of the job.', priority: 0, cell: jobStatusCell },
    {
      name: 'Completions',
      type: 'string',
      description: 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
      priority: 0,
      cell: jobCompletionsCell,
    },
    { name: 'Duration', type: 'string', description: 'Time required to complete the job.', priority: 0, cell: jobDurationCell },
    ageColumn(),
    ...containerColumns('spec.template.spec'),
    selectorColumn(
      'spec.selector',
      'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    ),
  ],
  fieldSelectors: { 'status.successful': (obj) => String(typeof asObj(obj.status).succeeded === 'number' ? asObj(obj.status).succeeded : 0) },
  strategy: jobStrategy,
  storageResource: 'jobs',
});
