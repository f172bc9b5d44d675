// metav1.LabelSelector validation (k8s.io/apimachinery/pkg/apis/meta/v1/validation).
import type { FieldError } from '../errors.ts';
import { fieldErrors } from './field-errors.ts';
import { validateLabels } from './meta.ts';
import { isQualifiedName, isValidLabelValue } from './names.ts';

export interface LabelSelectorOptions {
  /** Tolerate invalid label values in matchExpressions (kept for objects stored before validation tightened). */
  allowInvalidLabelValueInSelector?: boolean;
}

/** A label key as upstream's ValidateLabelName. */
export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((msg) => fieldErrors.invalid(path, name, msg));
}

export function validateLabelSelectorRequirement(req: Record<string, unknown>, path: string, opts: LabelSelectorOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  const values = Array.isArray(req.values) ? (req.values as unknown[]).map(String) : [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(fieldErrors.required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldErrors.forbidden(`${path}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(fieldErrors.invalid(`${path}.operator`, req.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(typeof req.key === 'string' ? req.key : '', `${path}.key`));
  if (!opts.allowInvalidLabelValueInSelector) {
    values.forEach((v, i) => errs.push(...isValidLabelValue(v).map((msg) => fieldErrors.invalid(`${path}.values[${i}]`, v, msg))));
  }
  return errs;
}

/** matchLabels as labels, each matchExpressions entry as a requirement; an absent selector is valid. */
export function validateLabelSelector(selector: unknown, path: string, opts: LabelSelectorOptions = {}): FieldError[] {
  if (typeof selector !== 'object' || selector === null) return [];
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const errs = validateLabels(s.matchLabels, `${path}.matchLabels`);
  (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).forEach((e, i) => {
    errs.push(...validateLabelSelectorRequirement((e ?? {}) as Record<string, unknown>, `${path}.matchExpressions[${i}]`, opts));
  });
  return errs;
}
