// Field checks that recur across the named groups, with upstream's messages.
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { goLabelSelector, goStringMap, invalidRendered } from './go-format.ts';
import { deepEqual } from './object.ts';
import { selectorMatches } from './selectors.ts';

export const IS_NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const IS_NOT_POSITIVE_ERROR = 'must be greater than zero';

/** apivalidation.ValidateNonnegativeField (only when the value is a number). */
export function nonNegative(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldErrors.invalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

/** apivalidation.ValidatePositiveField. */
export function positive(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value <= 0 ? [fieldErrors.invalid(path, value, IS_NOT_POSITIVE_ERROR)] : [];
}

/**
 * apivalidation.ValidateImmutableField: `Invalid value: <new>: field is immutable` when the two
 * differ semantically. `render` prints the new value the way upstream does for its Go type.
 */
export function immutableField(value: unknown, old: unknown, path: string, render: (v: unknown) => string = renderSimple): FieldError[] {
  if (deepEqual(value, old)) return [];
  return [invalidRendered(path, render(value), 'field is immutable')];
}

function renderSimple(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  return JSON.stringify(v);
}

/** A selector field that may not change, rendered as Go prints a *metav1.LabelSelector. */
export function immutableSelector(value: unknown, old: unknown, path: string): FieldError[] {
  return immutableField(value, old, path, goLabelSelector);
}

/**
 * The pod template labels must satisfy the selector. A nil selector matches nothing (so it is
 * reported too, next to `Required value`); an unconvertible one is skipped, as upstream.
 */
export function selectorMatchesTemplate(selector: unknown, templateLabels: Record<string, string> | undefined, path: string): FieldError[] {
  const matches = selectorMatches(selector, templateLabels);
  if (matches === false) return [invalidRendered(path, goStringMap(templateLabels), '`selector` does not match template `labels`')];
  return [];
}
