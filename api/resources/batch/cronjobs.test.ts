import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { ago, cells, clone, createErrors, meta, podTemplate } from '../group-helpers/fixtures.ts';
import { cronjobs } from './cronjobs.ts';

function cronjob(spec: Record<string, unknown> = {}, name = 'backup'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(name, 'default'),
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: podTemplate({}, { restartPolicy: 'OnFailure' }) } }, ...spec },
  };
}

describe('batch/v1 cronjobs', () => {
  it('has upstream discovery facts', () => {
    assert.deepEqual(cronjobs.shortNames, ['cj']);
    assert.deepEqual(cronjobs.categories, ['all']);
    assert.ok(cronjobs.subresources.status);
  });

  it('defaults concurrency, suspend and history limits but not the job spec', () => {
    const c = cronjob();
    assert.deepEqual(createErrors(cronjobs, c), []);
    const spec = c.spec as Record<string, any>;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.suspend, false);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    assert.equal(spec.jobTemplate.spec.completions, undefined);
    assert.equal(spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
  });

  it('validates the schedule, TZ in the schedule and the time zone', () => {
    assert.deepEqual(createErrors(cronjobs, cronjob({ schedule: '* * * *' })), [
      { type: 'FieldValueInvalid', field: 'spec.schedule', message: 'Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]' },
    ]);
    assert.deepEqual(createErrors(cronjobs, cronjob({ schedule: 'CRON_TZ=UTC 0 * * * *' })), [
      { type: 'FieldValueInvalid', field: 'spec.schedule', message: 'Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead' },
    ]);
    assert.deepEqual(createErrors(cronjobs, cronjob({ schedule: '@daily', timeZone: 'Europe/Berlin' })), []);
    assert.deepEqual(createErrors(cronjobs, cronjob({ timeZone: 'Mars/Base' })), [
      { type: 'FieldValueInvalid', field: 'spec.timeZone', message: 'Invalid value: "Mars/Base": unknown time zone Mars/Base' },
    ]);
    assert.deepEqual(createErrors(cronjobs, cronjob({ timeZone: 'local' })).map((e) => e.message), [
      'Invalid value: "local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      'Invalid value: "local": unknown time zone local',
    ]);
  });

  it('requires a schedule and rejects a job template selector and long names', () => {
    const c = cronjob({ schedule: '', jobTemplate: { spec: { selector: { matchLabels: { a: 'b' } }, template: podTemplate({}, { restartPolicy: 'Never' }) } } }, 'x'.repeat(53));
    assert.deepEqual(createErrors(cronjobs, c).map((e) => [e.type, e.field]), [
      ['FieldValueRequired', 'spec.schedule'],
      ['FieldValueInvalid', 'spec.jobTemplate.spec.selector'],
      ['FieldValueInvalid', 'metadata.name'],
    ]);
  });

  it('allows an existing TZ schedule to stay on update', () => {
    const old = cronjob({ schedule: 'TZ=UTC 0 * * * *' });
    cronjobs.strategy.defaults(old);
    const next = clone(old);
    (next.spec as Record<string, any>).suspend = true;
    assert.deepEqual(cronjobs.strategy.validateUpdate(next, old), []);
  });

  it('prints SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE and AGE', () => {
    const c = cronjob();
    cronjobs.strategy.defaults(c);
    assert.deepEqual(cells(cronjobs, c), { Schedule: '*/5 * * * *', Timezone: '<none>', Suspend: 'False', Active: 0, 'Last Schedule': '<none>', Age: '5m' });
    c.status = { active: [{ name: 'backup-1' }], lastScheduleTime: ago(42) };
    (c.spec as Record<string, any>).timeZone = 'Etc/UTC';
    const row = cells(cronjobs, c, true);
    assert.equal(row.Active, 1);
    assert.equal(row['Last Schedule'], '42s');
    assert.equal(row.Timezone, 'Etc/UTC');
    assert.equal(row.Images, 'nginx:1.25');
    assert.equal(row.Selector, '<none>');
  });
});
