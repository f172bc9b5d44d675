import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { containerLogsQuery, podLogOptions } from './log.ts';

test('PodLogOptions from the query, passed on to the agent', () => {
  const o = podLogOptions({ container: 'c', follow: 'true', tailLines: '10', timestamps: '1', limitBytes: '100', sinceSeconds: '5' }, 'x');
  assert.deepEqual(o, { container: 'c', follow: true, previous: false, timestamps: true, sinceSeconds: 5, tailLines: 10, limitBytes: 100 });
  assert.equal(containerLogsQuery(o).toString(), 'follow=true&timestamps=true&sinceSeconds=5&tailLines=10&limitBytes=100');
  const since = podLogOptions({ sinceTime: '2024-01-01T00:00:00Z', previous: 'true' }, 'x');
  assert.equal(containerLogsQuery(since).toString(), 'previous=true&sinceTime=2024-01-01T00%3A00%3A00Z');
});

test("values that do not parse are 400, invalid ones 422 in upstream's words", () => {
  assert.throws(() => podLogOptions({ follow: 'yes' }, 'x'), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'strconv.ParseBool: parsing "yes": invalid syntax');
  assert.throws(() => podLogOptions({ tailLines: 'ten' }, 'x'), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => podLogOptions({ sinceTime: 'yesterday' }, 'x'), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(
    () => podLogOptions({ tailLines: '-1', limitBytes: '0', sinceSeconds: '0' }, 'x'),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 422 &&
      e.message === 'PodLogOptions "x" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0, sinceSeconds: Invalid value: 0: must be greater than 0]',
  );
  assert.throws(() => podLogOptions({ sinceSeconds: '5', sinceTime: '2024-01-01T00:00:00Z' }, 'x'), (e: unknown) => e instanceof ApiError && e.code === 422 && /at most one of `sinceTime` or `sinceSeconds` may be specified/.test(e.message));
});
