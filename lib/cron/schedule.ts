// Cron schedules as CronJobs use them (API validation and the controller): robfig/cron v3's ParseStandard (five
// fields — minute, hour, day of month, month, day of week — with `*`/`?`, ranges, steps,
// lists and month/weekday names; the descriptors @yearly @annually @monthly @weekly @daily
// @midnight @hourly and `@every <duration>`; a `TZ=`/`CRON_TZ=` prefix), with its error
// messages, and its Next(): the first activation strictly after an instant, found field by
// field in the schedule's time zone, giving up after five years (Go's zero time).
import { parseGoDuration } from '../duration.ts';
import { loadLocationError } from './go-time.ts';
import { ZERO_TIME, addDate, wallClock, zonedDate, type WallClock } from './zone.ts';

export interface Schedule {
  /** The first activation after `ms` (ms since the epoch), or ZERO_TIME when there is none. */
  next(ms: number): number;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** The values a field allows; `star` when written `*` or `?` (matters for day matching). */
interface Field {
  values: Set<number>;
  star: boolean;
}

function range(min: number, max: number, step = 1): Set<number> {
  const s = new Set<number>();
  for (let v = min; v <= max; v += step) s.add(v);
  return s;
}

const one = (v: number): Field => ({ values: new Set([v]), star: false });
const all = (b: Bounds): Field => ({ values: range(b.min, b.max), star: true });

/** Go's strconv.Atoi, as robfig's mustParseInt reports it. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

function getRange(expr: string, r: Bounds, into: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = r.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new Error(`too many slashes: ${expr}`);
  if (start < r.min) throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  for (const v of range(start, end, step)) into.values.add(v);
  into.star ||= star;
}

function getField(field: string, r: Bounds): Field {
  const out: Field = { values: new Set(), star: false };
  for (const expr of field.split(',')) if (expr !== '') getRange(expr, r, out);
  return out;
}

class SpecSchedule implements Schedule {
  constructor(
    readonly second: Field,
    readonly minute: Field,
    readonly hour: Field,
    readonly dom: Field,
    readonly month: Field,
    readonly dow: Field,
    readonly zone: string,
  ) {}

  /** Either day field written as a star: both must match; otherwise either may. */
  private dayMatches(w: WallClock): boolean {
    const domMatch = this.dom.values.has(w.day);
    const dowMatch = this.dow.values.has(w.weekday);
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(from: number): number {
    const zone = this.zone;
    // The upcoming whole second.
    let t = Math.floor(from / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = wallClock(t, zone).year + 5;
    wrap: for (;;) {
      let w = wallClock(t, zone);
      if (w.year > yearLimit) return ZERO_TIME;
      while (!this.month.values.has(w.month)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, 1, 0, 0, 0, zone);
        }
        t = addDate(t, zone, 0, 1, 0);
        w = wallClock(t, zone);
        if (w.month === 1) continue wrap;
      }
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, w.day, 0, 0, 0, zone);
        }
        t = addDate(t, zone, 0, 0, 1);
        w = wallClock(t, zone);
        // Where DST moved midnight, step back onto it.
        if (w.hour !== 0) {
          t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
          w = wallClock(t, zone);
        }
        if (w.day === 1) continue wrap;
      }
      while (!this.hour.values.has(w.hour)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, w.day, w.hour, 0, 0, zone);
        }
        t += 3_600_000;
        w = wallClock(t, zone);
        if (w.hour === 0) continue wrap;
      }
      while (!this.minute.values.has(w.minute)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        w = wallClock(t, zone);
        if (w.minute === 0) continue wrap;
      }
      while (!this.second.values.has(w.second)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 1000) * 1000;
        }
        t += 1000;
        w = wallClock(t, zone);
        if (w.second === 0) continue wrap;
      }
      return t;
    }
  }
}

/** `@every <duration>`: a fixed delay, at least a second, in whole seconds. */
class ConstantDelaySchedule implements Schedule {
  readonly delayMs: number;
  constructor(ms: number) {
    const d = Math.max(ms, 1000);
    this.delayMs = d - (d % 1000);
  }
  next(from: number): number {
    return from + this.delayMs - (((from % 1000) + 1000) % 1000);
  }
}

function descriptor(spec: string, zone: string): Schedule {
  const zero = one(0);
  switch (spec) {
    case '@yearly':
    case '@annually':
      return new SpecSchedule(zero, zero, zero, one(1), one(1), all(DOW), zone);
    case '@monthly':
      return new SpecSchedule(zero, zero, zero, one(1), all(MONTHS), all(DOW), zone);
    case '@weekly':
      return new SpecSchedule(zero, zero, zero, all(DOM), all(MONTHS), one(0), zone);
    case '@daily':
    case '@midnight':
      return new SpecSchedule(zero, zero, zero, all(DOM), all(MONTHS), all(DOW), zone);
    case '@hourly':
      return new SpecSchedule(zero, zero, all(HOURS), all(DOM), all(MONTHS), all(DOW), zone);
  }
  if (spec.startsWith('@every ')) {
    let ms: number;
    try {
      ms = parseGoDuration(spec.slice('@every '.length));
    } catch (e) {
      throw new Error(`failed to parse duration ${spec}: ${(e as Error).message}`);
    }
    return new ConstantDelaySchedule(ms);
  }
  throw new Error(`unrecognized descriptor: ${spec}`);
}

/**
 * robfig/cron's ParseStandard. `localZone` stands for Go's time.Local: the zone of schedules
 * without a TZ= prefix (the controller manager's own). Throws the parser's error message.
 */
export function parseStandard(input: string, localZone: string): Schedule {
  let spec = input;
  if (spec.length === 0) throw new Error('empty spec string');
  let zone = localZone;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const name = spec.slice(spec.indexOf('=') + 1, i < 0 ? undefined : i);
    const err = loadLocationError(name);
    if (err) throw new Error(`provided bad location ${name}: ${err}`);
    zone = name === '' || name === 'UTC' ? 'UTC' : name === 'Local' ? localZone : name;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) return descriptor(spec, zone);
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(one(0), getField(fields[0]!, MINUTES), getField(fields[1]!, HOURS), getField(fields[2]!, DOM), getField(fields[3]!, MONTHS), getField(fields[4]!, DOW), zone);
}

/** Whether a CronJob schedule parses: undefined when it does, else the parser's error message. */
export function cronParseError(spec: string): string | undefined {
  try {
    parseStandard(spec, 'UTC');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
