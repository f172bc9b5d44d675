import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../duration.ts';
import { loadLocationError } from './go-time.ts';
import { cronParseError } from './schedule.ts';

describe('cron schedule parsing (robfig/cron ParseStandard)', () => {
  it('accepts standard specs, names, steps and macros', () => {
    for (const s of ['* * * * *', '*/5 * * * *', '0 0 1 1 *', '0 9-17 * * MON-FRI', '15,45 */2 * jan,jul sun', '@hourly', '@daily', '@midnight', '@yearly', '@annually', '@monthly', '@weekly', '@every 1h30m', '? * * * *']) {
      assert.equal(cronParseError(s), undefined, s);
    }
  });

  it('returns the parser messages', () => {
    assert.equal(cronParseError('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
    assert.equal(cronParseError('61 * * * *'), 'end of range (61) above maximum (59): 61');
    assert.equal(cronParseError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(cronParseError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(cronParseError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(cronParseError('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(cronParseError('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
    assert.equal(cronParseError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(cronParseError('@every soon'), 'failed to parse duration @every soon: time: invalid duration "soon"');
    assert.equal(cronParseError(''), 'empty spec string');
  });

  it('parses Go durations', () => {
    assert.equal(parseGoDuration('1h30m'), 5400000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.throws(() => parseGoDuration('5'), /time: missing unit in duration "5"/);
    assert.throws(() => parseGoDuration('5y'), /time: unknown unit "y" in duration "5y"/);
  });

  it('loads IANA zones case-sensitively', () => {
    assert.equal(loadLocationError('Europe/Berlin'), undefined);
    assert.equal(loadLocationError('UTC'), undefined);
    assert.equal(loadLocationError('Mars/Olympus'), 'unknown time zone Mars/Olympus');
    assert.equal(loadLocationError('europe/berlin'), 'unknown time zone europe/berlin');
  });
});
