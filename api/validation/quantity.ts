// resource.Quantity as upstream (k8s.io/apimachinery/pkg/api/resource): parsing with the same
// grammar and errors, exact arithmetic (bigint mantissa and decimal scale), and the canonical
// serialisation the API server writes back (`1000m` -> `1`, `0.5` -> `500m`, `1.5Gi` -> `1536Mi`,
// `1000` -> `1k`, `128974848` stays).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** value * 10^scale, exactly. */
export interface Quantity {
  value: bigint;
  scale: number;
  format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

export class QuantityError extends Error {
  override name = 'QuantityError';
}

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExponent = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));
const MAX_ALLOWED = (1n << 63n) - 1n;
const NANO = -9;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Splits a quantity as upstream's parseQuantityString does. */
function split(str: string): { positive: boolean; num: string; denom: string; suffix: string } {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let start = pos;
  while (pos < end && isDigit(str[pos])) pos++;
  let num = str.slice(start, pos);
  if (num === '') num = '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    start = pos;
    while (pos < end && isDigit(str[pos])) pos++;
    denom = str.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[suffix]!, format: 'DecimalSI' };
  if (suffix in binarySuffixes) return { base: 2, exponent: binarySuffixes[suffix]!, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    return { base: 10, exponent: Number(rest), format: 'DecimalExponent' };
  }
  return undefined;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Parses a quantity (a JSON string or number). Throws QuantityError with upstream's message. */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === 'number' ? String(input) : input.trim();
  if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  if (str === '0') return { value: 0n, scale: 0, format: 'DecimalSI' };
  const { positive, num, denom, suffix } = split(str);
  const s = interpretSuffix(suffix);
  if (!s) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  let value = BigInt(num + denom);
  let scale = -denom.length;
  if (s.base === 10) scale += s.exponent;
  else value *= 1n << BigInt(s.exponent);
  // Values finer than a nano are rounded up (away from zero) to a nano.
  if (scale < NANO) {
    const div = pow10(NANO - scale);
    value = value % div === 0n ? value / div : value / div + 1n;
    scale = NANO;
  }
  // Cap at the largest int64 (upstream's maxAllowed).
  if (exceeds(value, scale, MAX_ALLOWED)) {
    value = MAX_ALLOWED;
    scale = 0;
  }
  return { value: positive ? value : -value, scale, format: s.format };
}

function exceeds(value: bigint, scale: number, max: bigint): boolean {
  return scale >= 0 ? value * pow10(scale) > max : value > max * pow10(-scale);
}

export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

export function isQuantity(input: unknown): boolean {
  return tryParseQuantity(input) !== undefined;
}

function removeFactors(value: bigint, base: bigint): { result: bigint; times: number } {
  let result = value < 0n ? -value : value;
  let times = 0;
  while (result >= base && result % base === 0n) {
    result /= base;
    times++;
  }
  return { result: value < 0n ? -result : result, times };
}

/** Mantissa and exponent with the exponent a multiple of 3 (upstream's AsCanonicalBytes). */
function canonicalDecimal(q: Quantity): { number: bigint; exponent: number } {
  const { result, times } = removeFactors(q.value, 10n);
  let amount = result;
  let exponent = q.scale + times;
  const r = exponent % 3;
  if (r === 1 || r === -2) {
    amount *= 10n;
    exponent -= 1;
  } else if (r === 2 || r === -1) {
    amount *= 100n;
    exponent -= 2;
  }
  return { number: amount, exponent };
}

/** The canonical string upstream serialises a quantity as. */
export function formatQuantity(q: Quantity): string {
  if (q.value === 0n) return '0';
  let format = q.format;
  let integer: bigint | undefined;
  if (format === 'BinarySI') {
    const abs = q.value < 0n ? -q.value : q.value;
    if (!exceeds(abs, q.scale, 1023n)) format = 'DecimalSI';
    else {
      integer = asInteger(q);
      if (integer === undefined) format = 'DecimalSI';
    }
  }
  if (format === 'BinarySI') {
    const { result, times } = removeFactors(integer!, 1024n);
    return `${result}${binaryByExponent.get(times * 10) ?? ''}`;
  }
  const { number, exponent } = canonicalDecimal(q);
  if (format === 'DecimalExponent') return exponent === 0 ? `${number}` : `${number}e${exponent}`;
  return `${number}${decimalByExponent.get(exponent) ?? ''}`;
}

function asInteger(q: Quantity): bigint | undefined {
  if (q.scale >= 0) return q.value * pow10(q.scale);
  const div = pow10(-q.scale);
  return q.value % div === 0n ? q.value / div : undefined;
}

/** Parse then format: what the API server returns for what the user wrote. Throws QuantityError. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** ceil(q * 10^-scale) as upstream's ScaledValue. */
function scaledValue(q: Quantity, scale: number): bigint {
  const shift = q.scale - scale;
  if (shift >= 0) return q.value * pow10(shift);
  const div = pow10(-shift);
  const quotient = q.value / div;
  return q.value % div !== 0n && q.value > 0n ? quotient + 1n : quotient;
}

/** Whole units, rounded up (upstream's Value()). */
export function quantityValue(q: Quantity): number {
  return Number(scaledValue(q, 0));
}

/** Thousandths, rounded up (upstream's MilliValue(): cpu `500m` -> 500, `1` -> 1000). */
export function quantityMilliValue(q: Quantity): number {
  return Number(scaledValue(q, -3));
}

export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const scale = Math.min(a.scale, b.scale);
  const x = a.value * pow10(a.scale - scale);
  const y = b.value * pow10(b.scale - scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addQuantity(a: Quantity, b: Quantity): Quantity {
  const scale = Math.min(a.scale, b.scale);
  return { value: a.value * pow10(a.scale - scale) + b.value * pow10(b.scale - scale), scale, format: a.format };
}

/** Rounds up (away from zero) to at most `scale` precision, as upstream's Quantity.RoundUp. */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  if (q.scale >= scale) return q;
  const div = pow10(scale - q.scale);
  const abs = q.value < 0n ? -q.value : q.value;
  const rounded = abs % div === 0n ? abs / div : abs / div + 1n;
  return { value: q.value < 0n ? -rounded : rounded, scale, format: q.format };
}
