// intstr.IntOrString helpers: ports by number or name, percentages (`25%`) for rollout knobs.
import type { FieldError } from '../errors.ts';
import { fieldErrors } from './field-errors.ts';
import { isValidPercent } from './names.ts';

export type IntOrString = number | string;

export function isIntOrString(v: unknown): v is IntOrString {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
}

/** The integer of `25%`, or undefined when `v` is not a percent string. */
export function parsePercent(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^[0-9]+%$/.test(v)) return undefined;
  return Number(v.slice(0, -1));
}

/**
 * Upstream's GetScaledValueFromIntOrPercent: an int as is, a percentage of `total` rounded up
 * or down. Throws with upstream's message on anything else.
 */
export function scaledValueFromIntOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) throw new Error('nil value for IntOrString');
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error(`invalid type: string is not a percentage`);
  const n = Number(v.slice(0, -1));
  if (!/^-?[0-9]+$/.test(v.slice(0, -1))) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(v.slice(0, -1))}: invalid syntax`);
  const raw = (n * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/** Upstream apps' ValidatePositiveIntOrPercent: a non-negative int or a valid percent string. */
export function validateNonnegativeIntOrPercent(v: IntOrString | undefined, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((msg) => fieldErrors.invalid(path, v, msg));
  if (typeof v === 'number' && v < 0) return [fieldErrors.invalid(path, v, 'must be greater than or equal to 0')];
  return [];
}

/** Upstream apps' IsNotMoreThan100Percent. */
export function validateNotMoreThan100Percent(v: IntOrString | undefined, path: string): FieldError[] {
  const p = parsePercent(v);
  return p !== undefined && p > 100 ? [fieldErrors.invalid(path, v, 'must not be greater than 100%')] : [];
}
