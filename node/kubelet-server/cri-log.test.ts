import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CriLogWriter, parseCriLine, readCriLog, rfc3339NanoFixed, tailEntries } from './cri-log.ts';
import type { LogOptions } from './types.ts';

const text = async (r: Readable) => {
  let s = '';
  for await (const c of r) s += (c as Buffer).toString();
  return s;
};
const opts = (o: Partial<LogOptions> = {}): LogOptions => ({ follow: false, previous: false, timestamps: false, ...o });

describe('CRI log files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'cri-log-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes full lines tagged F per stream, and what is left without a newline as P', async () => {
    const path = join(dir, 'w.log');
    let t = Date.parse('2024-01-02T03:04:05.678Z');
    const w = new CriLogWriter(path, () => new Date(t++));
    w.write('stdout', Buffer.from('one\ntw'));
    w.write('stderr', Buffer.from('err\n'));
    w.write('stdout', Buffer.from('o\nthr'));
    await w.end();
    assert.equal(
      readFileSync(path, 'utf8'),
      '2024-01-02T03:04:05.678000000Z stdout F one\n' +
        '2024-01-02T03:04:05.679000000Z stderr F err\n' +
        '2024-01-02T03:04:05.680000000Z stdout F two\n' +
        '2024-01-02T03:04:05.681000000Z stdout P thr\n',
    );
  });

  it('parses lines, and rejects what is not one', () => {
    const e = parseCriLine(Buffer.from('2024-01-02T03:04:05.5Z stdout F a b'))!;
    assert.deepEqual([e.time, e.full, e.text.toString()], ['2024-01-02T03:04:05.5Z', true, 'a b']);
    assert.equal(parseCriLine(Buffer.from('2024-01-02T03:04:05Z stdout P '))!.text.length, 0);
    assert.equal(parseCriLine(Buffer.from('garbage')), undefined);
    assert.equal(parseCriLine(Buffer.from('nottime stdout F x')), undefined);
    assert.deepEqual(tailEntries([1, 2, 3], 2), [2, 3]);
    assert.deepEqual(tailEntries([1, 2, 3], 0), []);
    assert.equal(rfc3339NanoFixed(new Date('2024-01-02T03:04:05.120Z')), '2024-01-02T03:04:05.120000000Z');
  });

  it('reads with the kubelet options: tail, since, timestamps, limitBytes; fragments join their line', async () => {
    const path = join(dir, 'r.log');
    writeFileSync(
      path,
      '2024-01-01T00:00:01.5Z stdout F one\n' +
        '2024-01-01T00:00:02Z stderr F two\n' +
        '2024-01-01T00:00:03.123456789Z stdout P thr\n' +
        '2024-01-01T00:00:03.2Z stdout F ee\n' +
        'not a cri line\n' +
        '2024-01-01T00:00:04Z stdout F four\n',
    );
    assert.equal(await text(readCriLog(path, opts())), 'one\ntwo\nthree\nfour\n');
    assert.equal(await text(readCriLog(path, opts({ tailLines: 2 }))), 'ee\nfour\n');
    assert.equal(await text(readCriLog(path, opts({ sinceTime: new Date('2024-01-01T00:00:02Z') }))), 'two\nthree\nfour\n');
    assert.equal(await text(readCriLog(path, opts({ limitBytes: 6 }))), 'one\ntw');
    assert.equal(
      await text(readCriLog(path, opts({ timestamps: true, tailLines: 3 }))),
      '2024-01-01T00:00:03.123456789Z three\n2024-01-01T00:00:04.000000000Z four\n',
    );
    assert.equal(await text(readCriLog(join(dir, 'missing.log'), opts())), '');
  });

  it('follows appended lines until the container stopped and everything is read', async () => {
    const path = join(dir, 'f.log');
    writeFileSync(path, '2024-01-01T00:00:01Z stdout F first\n');
    let running = true;
    const r = readCriLog(path, opts({ follow: true }), { running: () => running, pollMs: 10 });
    let got = '';
    r.on('data', (c: Buffer) => (got += c.toString()));
    const ended = new Promise((resolve) => r.once('end', resolve));
    const until = async (s: string) => {
      for (let i = 0; i < 500 && !got.includes(s); i++) await new Promise((res) => setTimeout(res, 10));
      assert.ok(got.includes(s), got);
    };
    await until('first\n');
    // A line written in two pieces is shown once it is whole.
    appendFileSync(path, '2024-01-01T00:00:02Z stdout F sec');
    appendFileSync(path, 'ond\n');
    await until('second\n');
    appendFileSync(path, '2024-01-01T00:00:03Z stdout F last\n');
    running = false;
    await ended;
    assert.equal(got, 'first\nsecond\nlast\n');
  });

  it('stops following when the reader goes away', async () => {
    const path = join(dir, 'g.log');
    writeFileSync(path, '');
    const r = readCriLog(path, opts({ follow: true }), { running: () => true, pollMs: 10 });
    r.resume();
    r.destroy();
    await new Promise((resolve) => r.once('close', resolve));
  });
});
