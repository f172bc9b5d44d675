import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { containerLogPath, pipeToLog } from './logs.ts';

test('a container run logs both streams to its own CRI file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-logs-'));
  try {
    const path = containerLogPath(dir, { namespace: 'ns', name: 'p', uid: 'u1' }, 'c', 2);
    assert.equal(path, join(dir, 'ns_p_u1', 'c', '2.log'));
    const out = new PassThrough();
    const err = new PassThrough();
    const done = pipeToLog(path, { stdout: out, stderr: err });
    out.write('hello\nwor');
    err.end('oops\n');
    out.end('ld\n');
    await done;
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.replace(/^\S+ /, ''));
    assert.deepEqual(lines, ['stdout F hello', 'stderr F oops', 'stdout F world']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
