// batch/v1 JobSpec defaulting and validation shared by Jobs and CronJob job templates
// (pkg/apis/batch/v1/defaults.go, pkg/apis/batch/validation/validation.go).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain, isQualifiedName } from '../../validation/names.ts';
import { validatePodTemplateSpec } from '../core/pod-spec.ts';
import { invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, isObj, setDefault } from '../group-helpers/object.ts';
import { nonNegative } from '../group-helpers/validation.ts';

const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_HIGH_COMPLETIONS = 10_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS = 20;
const MAX_MANAGED_BY_LENGTH = 63;
const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;

const POD_FAILURE_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

/** Go's %q of a []string: `["a" "b"]`. */
function quotedList(values: string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** field.Invalid with field.OmitValueType: no value in the message. */
function invalidNoValue(field: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${detail}` };
}

/** Defaults of the pod failure policy's condition patterns (status True). */
export function defaultPodFailurePolicy(spec: Record<string, unknown>): void {
  for (const rule of asArr(asObj(spec.podFailurePolicy).rules)) {
    for (const pattern of asArr(asObj(rule).onPodConditions)) {
      if (isObj(pattern) && !pattern.status) pattern.status = 'True';
    }
  }
}

/** SetDefaults_Job's JobSpec part (the metadata.labels copy is the Job's own). */
export function defaultJobSpec(spec: Record<string, unknown>): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  setDefault(spec, 'suspend', false);
  defaultPodFailurePolicy(spec);
  if (!spec.podReplacementPolicy) spec.podReplacementPolicy = isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  setDefault(spec, 'manualSelector', false);
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function parseIndexInterval(interval: string, completions: number): [number, number] {
  const limits = interval.split('-');
  if (limits.length > 2) throw new Error(`the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`);
  const toInt = (s: string): number => {
    if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`cannot convert string to integer for index: ${JSON.stringify(s)}`);
    return Number(s);
  };
  const x = toInt(limits[0]!);
  if (x >= completions) throw new Error(`too large index: ${JSON.stringify(limits[0])}`);
  if (limits.length > 1) {
    const y = toInt(limits[1]!);
    if (y >= completions) throw new Error(`too large index: ${JSON.stringify(limits[1])}`);
    if (x >= y) throw new Error(`non-increasing order, previous: ${x}, current: ${y}`);
    return [x, y];
  }
  return [x, x];
}

/** validateIndexesFormat: the number of indexes in an interval list like `1,3-5`. */
export function indexesCount(indexes: string, completions: number): number {
  if (indexes.length === 0) return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of indexes.split(',')) {
    const [x, y] = parseIndexInterval(interval, completions);
    if (last !== undefined && last >= x) throw new Error(`non-increasing order, previous: ${last}, current: ${x}`);
    total += y - x + 1;
    last = y;
  }
  return total;
}

function validatePodFailurePolicy(spec: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = asArr(asObj(spec.podFailurePolicy).rules);
  const rulesPath = `${path}.rules`;
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(fieldErrors.tooMany(rulesPath, rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const podSpec = asObj(asObj(spec.template).spec);
  const containerNames = new Set([...asArr(podSpec.containers), ...asArr(podSpec.initContainers)].map((c) => asObj(c).name));
  rules.forEach((r, i) => {
    const rule = asObj(r);
    const rulePath = `${rulesPath}[${i}]`;
    const action = rule.action ?? '';
    if (action === '') errs.push(fieldErrors.required(`${rulePath}.action`, `valid values: ${quotedList(POD_FAILURE_ACTIONS)}`));
    else if (action === 'FailIndex') {
      if (!isSet(spec.backoffLimitPerIndex)) errs.push(fieldErrors.invalid(`${rulePath}.action`, action, 'requires the backoffLimitPerIndex to be set'));
    } else if (!POD_FAILURE_ACTIONS.includes(String(action))) errs.push(fieldErrors.notSupported(`${rulePath}.action`, action, POD_FAILURE_ACTIONS));
    const onExitCodes = rule.onExitCodes;
    const onPodConditions = asArr(rule.onPodConditions);
    if (isObj(onExitCodes)) {
      const p = `${rulePath}.onExitCodes`;
      const op = onExitCodes.operator ?? '';
      if (op === '') errs.push(fieldErrors.required(`${p}.operator`, `valid values: ${quotedList(EXIT_CODE_OPERATORS)}`));
      else if (!EXIT_CODE_OPERATORS.includes(String(op))) errs.push(fieldErrors.notSupported(`${p}.operator`, op, EXIT_CODE_OPERATORS));
      if (isSet(onExitCodes.containerName) && !containerNames.has(onExitCodes.containerName)) {
        errs.push(fieldErrors.invalid(`${p}.containerName`, onExitCodes.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      const values = asArr(onExitCodes.values) as number[];
      if (values.length === 0) errs.push(invalidRendered(`${p}.values`, '[]int32(nil)', 'at least one value is required'));
      else if (values.length > MAX_ON_EXIT_CODES_VALUES) errs.push(fieldErrors.tooMany(`${p}.values`, values.length, MAX_ON_EXIT_CODES_VALUES));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (op === 'In' && v === 0) errs.push(fieldErrors.invalid(`${p}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(fieldErrors.duplicate(`${p}.values[${j}]`, v));
        else seen.add(v);
        if (j > 0 && values[j - 1]! > v) ordered = false;
      });
      if (!ordered) errs.push(invalidRendered(`${p}.values`, `[]int32{${values.join(', ')}}`, 'must be ordered'));
    }
    if (onPodConditions.length > 0) {
      const p = `${rulePath}.onPodConditions`;
      if (onPodConditions.length > MAX_ON_POD_CONDITIONS) errs.push(fieldErrors.tooMany(p, onPodConditions.length, MAX_ON_POD_CONDITIONS));
      onPodConditions.forEach((c, j) => {
        const pattern = asObj(c);
        const type = String(pattern.type ?? '');
        for (const msg of isQualifiedName(type)) errs.push(fieldErrors.invalid(`${p}[${j}].type`, type, msg));
        const status = pattern.status ?? '';
        if (status === '') errs.push(fieldErrors.required(`${p}[${j}].status`, `valid values: ${quotedList(CONDITION_STATUSES)}`));
        else if (!CONDITION_STATUSES.includes(String(status))) errs.push(fieldErrors.notSupported(`${p}[${j}].status`, status, CONDITION_STATUSES));
      });
    }
    if (isObj(onExitCodes) && onPodConditions.length > 0) errs.push(invalidNoValue(rulePath, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!isObj(onExitCodes) && onPodConditions.length === 0) errs.push(invalidNoValue(rulePath, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

function validateSuccessPolicy(spec: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = asArr(asObj(spec.successPolicy).rules);
  const rulesPath = `${path}.rules`;
  if (rules.length === 0) errs.push(fieldErrors.required(rulesPath, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(fieldErrors.tooMany(rulesPath, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = typeof spec.completions === 'number' ? spec.completions : 0;
  rules.forEach((r, i) => {
    const rule = asObj(r);
    const rulePath = `${rulesPath}[${i}]`;
    if (!isSet(rule.succeededCount) && !isSet(rule.succeededIndexes)) {
      errs.push(fieldErrors.required(rulePath, 'at least one of succeededCount or succeededIndexes must be specified'));
    }
    let total = 0;
    if (typeof rule.succeededIndexes === 'string') {
      const p = `${rulePath}.succeededIndexes`;
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) errs.push(fieldErrors.tooLong(p, MAX_SUCCEEDED_INDEXES_LENGTH));
      try {
        total = indexesCount(rule.succeededIndexes, completions);
      } catch (e) {
        errs.push(fieldErrors.invalid(p, rule.succeededIndexes, `error parsing succeededIndexes: ${(e as Error).message}`));
      }
    }
    if (typeof rule.succeededCount === 'number') {
      const p = `${rulePath}.succeededCount`;
      errs.push(...nonNegative(rule.succeededCount, p));
      if (rule.succeededCount > completions) {
        errs.push(fieldErrors.invalid(p, rule.succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (isSet(rule.succeededIndexes) && rule.succeededCount > total) {
        errs.push(fieldErrors.invalid(p, rule.succeededCount, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errs;
}

/** validateJobSpec: everything but the selector (Jobs add that, job templates forbid it). */
export function validateJobSpecFields(spec: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex']) {
    errs.push(...nonNegative(spec[f], `${path}.${f}`));
  }
  if (isSet(spec.maxFailedIndexes)) {
    errs.push(...nonNegative(spec.maxFailedIndexes, `${path}.maxFailedIndexes`));
    if (!isSet(spec.backoffLimitPerIndex)) errs.push(fieldErrors.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  }
  if (typeof spec.managedBy === 'string') {
    const mb = spec.managedBy;
    const slash = mb.indexOf('/');
    if (mb.length === 0) errs.push(fieldErrors.required(`${path}.managedBy`));
    else if (slash <= 0 || slash === mb.length - 1) {
      errs.push(fieldErrors.invalid(`${path}.managedBy`, mb, 'must be a domain-prefixed path (such as "acme.io/foo")'));
    } else {
      const host = mb.slice(0, slash);
      for (const msg of isDNS1123Subdomain(host)) errs.push(fieldErrors.invalid(`${path}.managedBy`, host, msg));
    }
    if (mb.length > MAX_MANAGED_BY_LENGTH) errs.push(fieldErrors.tooLong(`${path}.managedBy`, MAX_MANAGED_BY_LENGTH));
  }
  const mode = spec.completionMode;
  const completions = spec.completions;
  const parallelism = spec.parallelism;
  const mfi = spec.maxFailedIndexes;
  if (isSet(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(fieldErrors.notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!isSet(completions)) errs.push(fieldErrors.required(`${path}.completions`, 'when completion mode is Indexed'));
      if (typeof parallelism === 'number' && parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(fieldErrors.invalid(`${path}.parallelism`, parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
      if (typeof completions === 'number' && typeof mfi === 'number' && mfi > completions) {
        errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, mfi, 'must be less than or equal to completions'));
      }
      if (typeof mfi === 'number' && mfi > MAX_FAILED_INDEXES) {
        errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, mfi, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
      }
      if (typeof completions === 'number' && completions > COMPLETIONS_SOFT_LIMIT && isSet(spec.backoffLimitPerIndex)) {
        if (!isSet(mfi)) errs.push(fieldErrors.required(`${path}.maxFailedIndexes`, `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
        if (typeof parallelism === 'number' && parallelism > PARALLELISM_LIMIT_HIGH_COMPLETIONS) {
          errs.push(
            fieldErrors.invalid(
              `${path}.parallelism`,
              parallelism,
              `must be less than or equal to ${PARALLELISM_LIMIT_HIGH_COMPLETIONS} when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
            ),
          );
        }
        if (typeof mfi === 'number' && mfi > MAX_FAILED_INDEXES_HIGH_COMPLETIONS) {
          errs.push(
            fieldErrors.invalid(
              `${path}.maxFailedIndexes`,
              mfi,
              `must be less than or equal to ${MAX_FAILED_INDEXES_HIGH_COMPLETIONS} when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
            ),
          );
        }
      }
    }
  }
  if (!isSet(mode) || mode === 'NonIndexed') {
    if (isSet(spec.backoffLimitPerIndex)) errs.push(fieldErrors.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (isSet(mfi)) errs.push(fieldErrors.invalid(`${path}.maxFailedIndexes`, mfi, 'requires indexed completion mode'));
  }
  if (isObj(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  if (isObj(spec.successPolicy)) {
    if (mode !== 'Indexed') errs.push(invalidRendered(`${path}.successPolicy`, JSON.stringify(spec.successPolicy), 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(spec, `${path}.successPolicy`));
  }
  const prp = spec.podReplacementPolicy;
  if (isSet(prp)) {
    if (isObj(spec.podFailurePolicy)) {
      if (prp !== 'Failed') errs.push(fieldErrors.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(fieldErrors.notSupported(`${path}.podReplacementPolicy`, prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplateSpec(asObj(spec.template), `${path}.template`));
  const restartPolicy = asObj(asObj(spec.template).spec).restartPolicy ?? '';
  const rpPath = `${path}.template.spec.restartPolicy`;
  if (restartPolicy === 'Always' || restartPolicy === '') {
    errs.push(fieldErrors.required(rpPath, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(fieldErrors.notSupported(rpPath, restartPolicy, ['OnFailure', 'Never']));
  } else if (isObj(spec.podFailurePolicy) && restartPolicy !== 'Never') {
    errs.push(fieldErrors.invalid(rpPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}
