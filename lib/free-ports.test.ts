import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { freePorts } from './free-ports.ts';

test('free ports are distinct, below the ephemeral range, bindable, and not handed out twice', async () => {
  const a = await freePorts(20);
  const b = await freePorts(20);
  const all = [...a, ...b];
  assert.equal(new Set(all).size, 40);
  for (const p of all) assert.ok(p >= 10_000 && p < 32768, `port ${p}`);
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(a[0], '127.0.0.1', () => resolve());
  });
  await new Promise((r) => s.close(r));
});
