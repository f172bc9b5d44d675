// Go's time.LoadLocation, as far as cron schedules need it: whether a zone name loads, with
// Go's error text (it reaches users in validation errors and events).

/**
 * Go's time.LoadLocation on a machine with the IANA database: undefined for a loadable name,
 * else the error text (`unknown time zone X`). Names are case-sensitive, as file names are.
 */
export function loadLocationError(name: string): string | undefined {
  if (name === '' || name === 'UTC' || name === 'Local') return undefined;
  if (name.includes('..') || name.startsWith('/') || name.includes('\\')) return `unknown time zone ${name}`;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${name}`;
  }
  // Intl accepts any letter case and canonicalizes; the zoneinfo file names do not.
  if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) return `unknown time zone ${name}`;
  return undefined;
}
