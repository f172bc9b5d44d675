// Durations as Kubernetes writes them: Go's time.ParseDuration (`1h30m`, `1.5s`, `250ms`), with
// Go's error texts since they reach users in validation errors and events.

const NANOS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; throws Go's error message. */
export function parseGoDurationNs(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== '') {
    const num = /^([0-9]*)(\.[0-9]*)?/.exec(rest)!;
    if (num[0] === '' || num[0] === '.') throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(num[0].length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const factor = NANOS[unit];
    if (factor === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(num[0]) * factor;
  }
  return sign * total;
}

/** Go's time.ParseDuration, in milliseconds; throws Go's error message. */
export function parseGoDuration(s: string): number {
  return parseGoDurationNs(s) / 1e6;
}

/** A Go duration or a plain number of seconds (flags, annotations), in ms; undefined when neither. */
export function parseDurationOrSeconds(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  try {
    const ms = parseGoDuration(t);
    return ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
