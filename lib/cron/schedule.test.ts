import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseStandard } from './schedule.ts';
import { ZERO_TIME, offsetAt, wallClock, zonedDate } from './zone.ts';

const NY = 'America/New_York';
/** A time written with its offset ("2012-03-11T00:00:00-05:00") or in UTC. */
const t = (s: string) => Date.parse(s.includes('T') ? s : `${s}Z`);
const next = (spec: string, from: string, zone = 'UTC') => parseStandard(spec, zone).next(t(from));

describe('time zones', () => {
  it('offsets and wall clocks through DST', () => {
    assert.equal(offsetAt(t('2024-01-15T12:00:00Z'), NY), -5 * 3600_000);
    assert.equal(offsetAt(t('2024-07-15T12:00:00Z'), NY), -4 * 3600_000);
    assert.deepEqual(wallClock(t('2024-07-15T12:34:56Z'), 'Asia/Kolkata'), { year: 2024, month: 7, day: 15, hour: 18, minute: 4, second: 56, weekday: 1 });
  });

  it("Go's time.Date: carries overflowing fields, resolves skipped and repeated wall times", () => {
    assert.equal(zonedDate(2024, 13, 1, 0, 0, 0, 'UTC'), t('2025-01-01T00:00:00Z'));
    assert.equal(zonedDate(2024, 2, 30, 0, 0, 0, 'UTC'), t('2024-03-01T00:00:00Z'));
    assert.equal(zonedDate(2024, 7, 1, 9, 0, 0, NY), t('2024-07-01T09:00:00-04:00'));
    // 01:30 on the fall-back day happens twice: Go picks the first (EDT).
    assert.equal(zonedDate(2012, 11, 4, 1, 30, 0, NY), t('2012-11-04T01:30:00-04:00'));
  });
});

describe('cron: robfig/cron Next', () => {
  // robfig/cron's spec_test cases, as five-field standard specs.
  const cases: [string, string, string][] = [
    ['2012-07-09T14:45', '0/15 * * * *', '2012-07-09T15:00'],
    ['2012-07-09T14:59', '0/15 * * * *', '2012-07-09T15:00'],
    ['2012-07-09T14:59:59', '0/15 * * * *', '2012-07-09T15:00'],
    ['2012-07-09T15:45', '20-35/15 * * * *', '2012-07-09T16:20'],
    ['2012-07-09T23:46', '*/15 * * * *', '2012-07-10T00:00'],
    ['2012-07-09T23:45', '20-35/15 * * * *', '2012-07-10T00:20'],
    ['2012-07-09T23:35:51', '20-35/15 1/2 * * *', '2012-07-10T01:20'],
    ['2012-07-09T23:35:51', '20-35/15 10-12 * * *', '2012-07-10T10:20'],
    ['2012-07-09T23:35:51', '20-35/15 1/2 */2 * *', '2012-07-11T01:20'],
    ['2012-07-09T23:35:51', '20-35/15 * 9-20 * *', '2012-07-10T00:20'],
    ['2012-07-09T23:35:51', '20-35/15 * 9-20 Jul *', '2012-07-10T00:20'],
    ['2012-07-09T23:35', '0 0 9 Apr-Oct ?', '2012-08-09T00:00'],
    // v3: */5 has a step, so it is no star: day 1 or a Monday.
    ['2012-07-09T23:35', '0 0 */5 Apr,Aug,Oct Mon', '2012-08-01T00:00'],
    ['2012-07-09T23:35', '0 0 */5 Oct Mon', '2012-10-01T00:00'],
    ['2012-07-09T23:35', '0 0 * Feb Mon', '2013-02-04T00:00'],
    ['2012-07-09T23:35', '0 0 * Feb Mon/2', '2013-02-01T00:00'],
    ['2012-12-31T23:59:45', '* * * * *', '2013-01-01T00:00'],
    ['2012-07-09T23:35', '0 0 29 Feb ?', '2016-02-29T00:00'],
  ];
  for (const [from, spec, want] of cases) {
    it(`${spec} after ${from}`, () => assert.equal(new Date(next(spec, from)).toISOString(), new Date(t(want)).toISOString()));
  }

  it('unsatisfiable schedules: no time within five years', () => {
    assert.equal(next('0 0 30 Feb ?', '2012-07-09T23:35'), ZERO_TIME);
    assert.equal(next('0 0 31 Apr ?', '2012-07-09T23:35'), ZERO_TIME);
  });

  it('daylight saving time in America/New_York', () => {
    const dst: [string, string, string][] = [
      ['2012-03-11T00:00:00-05:00', '30 2 11 Mar ?', '2013-03-11T02:30:00-04:00'],
      ['2012-03-11T00:00:00-05:00', '0 * * * ?', '2012-03-11T01:00:00-05:00'],
      ['2012-03-11T01:00:00-05:00', '0 * * * ?', '2012-03-11T03:00:00-04:00'],
      ['2012-03-11T03:00:00-04:00', '0 * * * ?', '2012-03-11T04:00:00-04:00'],
      ['2012-03-11T00:00:00-05:00', '0 1 * * ?', '2012-03-11T01:00:00-05:00'],
      ['2012-03-11T01:00:00-05:00', '0 1 * * ?', '2012-03-12T01:00:00-04:00'],
      ['2012-03-11T00:00:00-05:00', '0 2 * * ?', '2012-03-12T02:00:00-04:00'],
      ['2012-11-04T00:00:00-04:00', '30 2 04 Nov ?', '2012-11-04T02:30:00-05:00'],
      ['2012-11-04T01:45:00-04:00', '30 1 04 Nov ?', '2012-11-04T01:30:00-05:00'],
      ['2012-11-04T00:00:00-04:00', '0 * * * ?', '2012-11-04T01:00:00-04:00'],
      ['2012-11-04T01:00:00-04:00', '0 * * * ?', '2012-11-04T01:00:00-05:00'],
      ['2012-11-04T01:00:00-05:00', '0 * * * ?', '2012-11-04T02:00:00-05:00'],
      ['2012-11-04T00:00:00-04:00', '0 1 * * ?', '2012-11-04T01:00:00-04:00'],
      ['2012-11-04T01:00:00-04:00', '0 1 * * ?', '2012-11-04T01:00:00-05:00'],
      ['2012-11-04T01:00:00-05:00', '0 1 * * ?', '2012-11-05T01:00:00-05:00'],
      ['2012-11-04T00:00:00-04:00', '0 2 * * ?', '2012-11-04T02:00:00-05:00'],
      ['2012-11-04T02:00:00-05:00', '0 2 * * ?', '2012-11-05T02:00:00-05:00'],
      ['2012-11-04T00:00:00-04:00', '0 3 * * ?', '2012-11-04T03:00:00-05:00'],
      ['2012-11-04T03:00:00-05:00', '0 3 * * ?', '2012-11-05T03:00:00-05:00'],
    ];
    for (const [from, spec, want] of dst) {
      assert.equal(new Date(next(`TZ=${NY} ${spec}`, from)).toISOString(), new Date(t(want)).toISOString(), `${spec} after ${from}`);
      // The same through the local zone.
      assert.equal(next(spec, from, NY), t(want));
    }
  });

  it('day of month and day of week: either matches unless one is a star', () => {
    // 2012-07-15 is a Sunday.
    assert.equal(next('0 0 1,15 * Sun', '2012-07-14T12:00'), t('2012-07-15T00:00'));
    assert.equal(next('0 0 1,15 * Sun', '2012-06-14T12:00'), t('2012-06-15T00:00'));
    assert.equal(next('0 0 * * Mon', '2012-07-14T12:00'), t('2012-07-16T00:00'));
    assert.equal(next('0 0 */10 * Sun', '2012-07-14T12:00'), t('2012-07-15T00:00'), '*/10 has a step: not a star');
    assert.equal(next('0 0 1,15 * *', '2012-07-09T00:00'), t('2012-07-15T00:00'));
  });

  it('descriptors', () => {
    const from = '2012-07-09T15:04';
    assert.equal(next('@hourly', from), t('2012-07-09T16:00'));
    assert.equal(next('@daily', from), t('2012-07-10T00:00'));
    assert.equal(next('@midnight', from), t('2012-07-10T00:00'));
    assert.equal(next('@weekly', from), t('2012-07-15T00:00'));
    assert.equal(next('@monthly', from), t('2012-08-01T00:00'));
    assert.equal(next('@yearly', from), t('2013-01-01T00:00'));
    assert.equal(next('@annually', from), t('2013-01-01T00:00'));
    assert.equal(next('@every 90s', '2012-07-09T15:04:00.250'), t('2012-07-09T15:05:30'));
    assert.equal(next('@every 10ms', '2012-07-09T15:04:00'), t('2012-07-09T15:04:01'), 'at least a second');
  });

  it('names, lists, ranges and steps', () => {
    assert.equal(next('*/1 * * * *', '2024-05-01T10:00:30'), t('2024-05-01T10:01'));
    assert.equal(next('5,35 */6 * * *', '2024-05-01T06:10'), t('2024-05-01T06:35'));
    assert.equal(next('0 9 * jan-mar mon-fri', '2024-03-29T10:00'), t('2025-01-01T09:00'));
    assert.equal(next('0 12 * * SAT', '2024-05-01T00:00'), t('2024-05-04T12:00'));
    assert.equal(next('30 8 * * 1-5', '2024-05-03T09:00'), t('2024-05-06T08:30'));
    assert.equal(next('0 0 31 * *', '2024-04-01T00:00'), t('2024-05-31T00:00'), 'months without the day are skipped');
  });

  it('TZ= and CRON_TZ= prefixes pick the zone', () => {
    assert.equal(next('TZ=Asia/Tokyo 0 9 * * *', '2024-05-01T00:30'), t('2024-05-02T00:00'));
    assert.equal(next('CRON_TZ=Europe/Berlin 0 9 * * *', '2024-05-01T06:00'), t('2024-05-01T07:00'));
    assert.equal(next('TZ=UTC 0 9 * * *', '2024-05-01T06:00', NY), t('2024-05-01T09:00'));
  });

  it('rejects what robfig/cron rejects, with its messages', () => {
    const err = (spec: string) => {
      try {
        parseStandard(spec, 'UTC');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.equal(err(''), 'empty spec string');
    assert.equal(err('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
    assert.equal(err('60 * * * *'), 'end of range (60) above maximum (59): 60');
    assert.equal(err('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
    assert.equal(err('* * * * 7'), 'end of range (7) above maximum (6): 7');
    assert.equal(err('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(err('*/0 * * * *'), 'step of range should be a positive number: */0');
    assert.equal(err('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
    assert.equal(err('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    assert.equal(err('* * * * XYZ'), 'failed to parse int from XYZ: strconv.Atoi: parsing "XYZ": invalid syntax');
    assert.equal(err('@fortnightly'), 'unrecognized descriptor: @fortnightly');
    assert.equal(err('TZ=Mars/Olympus * * * * *'), 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus');
  });
});
