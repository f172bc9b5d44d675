// batch/v1 CronJob (pkg/registry/batch/cronjob): schedule in cron syntax (robfig/cron's standard
// parser), IANA time zone names, the job template validated as a JobSpec without a selector.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { defaultPodTemplateSpec } from '../core/pod-spec.ts';
import { ageColumn, containerColumns, selectorColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { goLabelSelector, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, setDefault } from '../group-helpers/object.ts';
import { since } from '../group-helpers/time.ts';
import { nonNegative } from '../group-helpers/validation.ts';
import { loadLocationError } from '../../../lib/cron/go-time.ts';
import { cronParseError } from '../../../lib/cron/schedule.ts';
import { defaultPodFailurePolicy, validateJobSpecFields } from './job-spec.ts';

export function defaultCronJob(obj: KubeObject): void {
  const spec = child(obj as Record<string, unknown>, 'spec');
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = child(spec, 'jobTemplate');
  // JobTemplateSpec's ObjectMeta is a Go value: its zero creationTimestamp serializes as null.
  const jobMeta = child(jobTemplate, 'metadata');
  if (jobMeta.creationTimestamp === undefined) jobMeta.creationTimestamp = null;
  const jobSpec = child(jobTemplate, 'spec');
  defaultPodFailurePolicy(jobSpec);
  defaultPodTemplateSpec(child(jobSpec, 'template'));
}

function validateSchedule(schedule: string, allowTZInSchedule: boolean, timeZone: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const parseErr = cronParseError(schedule);
  if (parseErr !== undefined) errs.push(fieldErrors.invalid('spec.schedule', schedule, parseErr));
  const hasTZ = schedule.includes('TZ');
  if (allowTZInSchedule && hasTZ && timeZone !== undefined && timeZone !== null) {
    errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZInSchedule && hasTZ) {
    errs.push(fieldErrors.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

export function validateTimeZone(tz: unknown, path = 'spec.timeZone'): FieldError[] {
  if (tz === undefined || tz === null) return [];
  const name = String(tz);
  if (name.length === 0) return [fieldErrors.invalid(path, name, 'timeZone must be nil or non-empty string')];
  for (const part of name.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) {
      return [fieldErrors.invalid(path, name, `unknown time zone ${name}`)];
    }
  }
  const errs: FieldError[] = [];
  if (name.toLowerCase() === 'local') {
    errs.push(fieldErrors.invalid(path, name, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  }
  const loadErr = loadLocationError(name);
  if (loadErr) errs.push(fieldErrors.invalid(path, name, loadErr));
  return errs;
}

function validateCronJobSpec(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = asObj(obj.spec);
  const oldSpec = old ? asObj(old.spec) : undefined;
  const errs: FieldError[] = [];
  const schedule = typeof spec.schedule === 'string' ? spec.schedule : '';
  if (schedule.length === 0) errs.push(fieldErrors.required('spec.schedule'));
  else errs.push(...validateSchedule(schedule, oldSpec ? String(oldSpec.schedule ?? '').includes('TZ') : false, spec.timeZone));
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || (oldSpec.timeZone ?? null) !== (spec.timeZone ?? null)) errs.push(...validateTimeZone(spec.timeZone));
  switch (spec.concurrencyPolicy ?? '') {
    case 'Allow':
    case 'Forbid':
    case 'Replace':
      break;
    case '':
      errs.push(fieldErrors.required('spec.concurrencyPolicy'));
      break;
    default:
      errs.push(fieldErrors.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
  }
  const jobSpec = asObj(asObj(spec.jobTemplate).spec);
  errs.push(...validateJobSpecFields(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    errs.push(invalidRendered('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  }
  if (jobSpec.manualSelector === true) errs.push(fieldErrors.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

export const cronJobStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultCronJob,
  validate: (obj) => {
    const errs = validateCronJobSpec(obj, undefined);
    // The controller appends an 11-character suffix to name Jobs, which are limited to 63.
    const name = obj.metadata?.name ?? '';
    if (name.length > 63 - 11) errs.push(fieldErrors.invalid('metadata.name', name, 'must be no more than 52 characters'));
    return errs;
  },
  validateUpdate: (obj, old) => validateCronJobSpec(obj, old),
  prepareForCreate: (obj) => resetStatusOnCreate(obj),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

/** printBoolPtr: True/False, `<unset>` for nil. */
function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

export const cronjobs: ResourceDescriptor = resource({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  shortNames: ['cj'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1CronJob',
  printerColumns: [
    {
      name: 'Schedule',
      type: 'string',
      description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
      priority: 0,
      cell: (obj) => String(asObj(obj.spec).schedule ?? ''),
    },
    {
      name: 'Timezone',
      type: 'string',
      description: 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      priority: 0,
      cell: (obj) => {
        const tz = asObj(obj.spec).timeZone;
        return typeof tz === 'string' ? tz : '<none>';
      },
    },
    {
      name: 'Suspend',
      type: 'boolean',
      description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
      priority: 0,
      cell: (obj) => boolPtr(asObj(obj.spec).suspend),
    },
    {
      name: 'Active',
      type: 'integer',
      description: 'A list of pointers to currently running jobs.',
      priority: 0,
      cell: (obj) => asArr(asObj(obj.status).active).length,
    },
    {
      name: 'Last Schedule',
      type: 'string',
      description: 'Information when was the last time the job was successfully scheduled.',
      priority: 0,
      cell: (obj, now) => {
        const t = asObj(obj.status).lastScheduleTime;
        return typeof t === 'string' && t ? since(t, now) : '<none>';
      },
    },
    ageColumn(),
    ...containerColumns('spec.jobTemplate.spec.template.spec'),
    selectorColumn(
      'spec.jobTemplate.spec.selector',
      'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    ),
  ],
  strategy: cronJobStrategy,
  storageResource: 'cronjobs',
});

