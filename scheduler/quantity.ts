// Resource quantities (`100m`, `1.5Gi`, `2e3`) as the integers the scheduler compares:
// MilliValue for CPU, Value for everything else, both rounded up as resource.Quantity does.
// Exact (BigInt) arithmetic, so `0.7` CPUs is 700 millicores and not 701.

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The quantity times `scale` (1 or 1000), rounded up (away from zero); NaN when unparseable. */
function scaled(q: string | number | undefined | null, scale: bigint): number {
  if (q === undefined || q === null || q === '') return 0;
  const m = QUANTITY.exec(String(q).trim());
  if (!m) return NaN;
  const [, sign, num, suffix, exp] = m;
  const [intPart, fracPart = ''] = num!.split('.');
  const digits = BigInt((intPart || '0') + fracPart);
  let e = -fracPart.length;
  let b = 0;
  if (suffix && suffix in BINARY) b = BINARY[suffix]!;
  else if (suffix) e += DECIMAL[suffix]!;
  else if (exp) e += Number(exp);
  let numerator = digits * scale * (1n << BigInt(b));
  let denominator = 1n;
  if (e >= 0) numerator *= 10n ** BigInt(e);
  else denominator = 10n ** BigInt(-e);
  let v = numerator / denominator;
  if (v * denominator !== numerator) v += 1n;
  const n = Number(v);
  return sign === '-' ? -n : n;
}

/** resource.Quantity.MilliValue(): `100m` → 100, `2` → 2000. */
export function milliValue(q: string | number | undefined | null): number {
  return scaled(q, 1000n);
}

/** resource.Quantity.Value(): `1Ki` → 1024, `100m` → 1. */
export function value(q: string | number | undefined | null): number {
  return scaled(q, 1n);
}

/** Whether a string is a quantity. */
export function isQuantity(q: string | number): boolean {
  return QUANTITY.test(String(q).trim());
}
