// Wall-clock time in an IANA time zone, as Go's time package computes it, over Intl: the
// fields of an instant in a zone, and Go's time.Date (normalizing out-of-range fields, and
// resolving wall times that a DST change skips or repeats the way Go does).

export const UTC = 'UTC';
/** Go's zero time.Time (January 1, year 1, UTC) in ms since the epoch: "no time". */
export const ZERO_TIME = -62135596800000;

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 (Sunday) – 6 */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's UTC offset at the instant, in ms (whole seconds). */
export function offsetAt(ms: number, zone: string): number {
  if (zone === UTC) return 0;
  const secs = Math.floor(ms / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(secs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - secs;
}

/** The instant's wall clock in the zone. */
export function wallClock(ms: number, zone: string): WallClock {
  const d = new Date(ms + offsetAt(ms, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
}

/**
 * Go's time.Date(year, month, day, hour, min, sec, 0, loc): fields out of range carry over;
 * the offset is the one in force at the wall time read as UTC, unless the result falls outside
 * that offset's period, in which case the offset at the result is used instead.
 */
export function zonedDate(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const wall = d.getTime();
  const first = offsetAt(wall, zone);
  if (first === 0) return wall;
  const utc = wall - first;
  const second_ = offsetAt(utc, zone);
  return wall - (second_ === first ? first : second_);
}

/** Go's t.AddDate(years, months, days) in the zone. */
export function addDate(ms: number, zone: string, years: number, months: number, days: number): number {
  const w = wallClock(ms, zone);
  return zonedDate(w.year + years, w.month + months, w.day + days, w.hour, w.minute, w.second, zone) + (ms - Math.floor(ms / 1000) * 1000);
}

