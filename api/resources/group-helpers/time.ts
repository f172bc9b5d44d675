// Ages and durations as upstream's printers show them, on top of the shared api/printers/age.ts.
import { humanDuration, translateTimestampSince } from '../../printers/age.ts';

/** translateTimestampSince: `<unknown>` for a zero time, else HumanDuration(now - t). */
export const since = translateTimestampSince;

/** HumanDuration(end - start) for two timestamps. */
export function between(start: string, end: string): string {
  return humanDuration(Date.parse(end) - Date.parse(start));
}
