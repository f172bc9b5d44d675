// Quantities inside objects: canonical serialisation (what the API server writes back) and
// upstream's ValidateResourceQuantityValue family.
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { compareQuantity, formatQuantity, parseQuantity, QuantityError, quantityMilliValue, roundUpQuantity, type Quantity } from '../../validation/quantity.ts';
import { isObj, key, type J } from './json.ts';
import { isIntegerResourceName } from './resource-names.ts';

const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };

/** Rewrites a quantity field in canonical form; leaves unparseable values for validation to report. */
export function canonicalizeQuantityField(obj: J, field: string, roundToMilli = false): void {
  const v = obj[field];
  if (typeof v !== 'string' && typeof v !== 'number') return;
  try {
    let q = parseQuantity(v);
    if (roundToMilli) q = roundUpQuantity(q, -3);
    obj[field] = formatQuantity(q);
  } catch {
    /* reported by validation */
  }
}

/** Every value of a ResourceList in canonical form (upstream rounds container resources up to milli). */
export function canonicalizeResourceList(list: unknown, roundToMilli = false): void {
  if (!isObj(list)) return;
  for (const k of Object.keys(list)) canonicalizeQuantityField(list, k, roundToMilli);
}

/** The parsed quantity, or the field error upstream's decoder would have produced. */
export function parseQuantityAt(value: unknown, path: string): { q?: Quantity; errs: FieldError[] } {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return { errs: [fieldErrors.invalid(path, value ?? null, 'must be a quantity string')] };
  }
  try {
    return { q: parseQuantity(value), errs: [] };
  } catch (e) {
    const msg = e instanceof QuantityError ? e.message : String(e);
    return { errs: [fieldErrors.invalid(path, value, msg)] };
  }
}

/** Upstream's ValidateResourceQuantityValue: not negative; integer resources must be whole. */
export function validateResourceQuantityValue(resource: string, q: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (compareQuantity(q, ZERO) < 0) errs.push(fieldErrors.invalid(path, formatQuantity(q), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(resource) && quantityMilliValue(q) % 1000 !== 0) errs.push(fieldErrors.invalid(path, formatQuantity(q), 'must be an integer'));
  return errs;
}

/** Parse and validate every value of a ResourceList; returns the parsed values by name. */
export function validateResourceList(
  list: unknown,
  path: string,
  nameCheck?: (name: string, path: string) => FieldError[],
): { parsed: Map<string, Quantity>; errs: FieldError[] } {
  const parsed = new Map<string, Quantity>();
  const errs: FieldError[] = [];
  if (!isObj(list)) return { parsed, errs };
  for (const [name, value] of Object.entries(list)) {
    const p = key(path, name);
    if (nameCheck) errs.push(...nameCheck(name, p));
    const r = parseQuantityAt(value, p);
    errs.push(...r.errs);
    if (r.q) {
      parsed.set(name, r.q);
      errs.push(...validateResourceQuantityValue(name, r.q, p));
    }
  }
  return { parsed, errs };
}
