import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { realClock } from '../../controllers/runtime/clock.ts';
import { StreamError } from '../kubelet-server/types.ts';
import { markExited, markRunning } from './pod-state.ts';
import { hostsFile, PodWorker, type NodeContext } from './pod-worker.ts';
import { logRun, processStreams } from './streams.ts';

const pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
const ref = { namespace: 'ns', name: 'p' };

function worker(dataDir: string): PodWorker {
  return new PodWorker({ dataDir, clock: realClock } as unknown as NodeContext, pod);
}

test('which run kubectl logs reads: the current one, or with --previous the one before', () => {
  const w = worker('/nonexistent');
  const rec = w.st.containers.get('c')!;
  assert.throws(() => logRun(w, ref, 'c', false), (e) => e instanceof StreamError && e.code === 400 && e.message === 'container "c" in pod "p" is waiting to start: ContainerCreating');
  assert.throws(() => logRun(w, ref, 'nope', false), /container "nope" in pod "p" is not available/);
  markRunning(rec, {}, 1, 'id1');
  assert.equal(logRun(w, ref, 'c', false), 1);
  assert.throws(() => logRun(w, ref, 'c', true), /previous terminated container "c" in pod "p" not found/);
  markExited(rec, { exitCode: 1, reason: 'Error', startedAt: 1, finishedAt: 2, containerID: 'id1' });
  assert.equal(logRun(w, ref, 'c', false), 1);
  markRunning(rec, {}, 3, 'id2');
  assert.equal(logRun(w, ref, 'c', false), 2);
  assert.equal(logRun(w, ref, 'c', true), 1);
});

test('logs come from the run’s CRI file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-streams-'));
  try {
    const w = worker(dir);
    markRunning(w.st.containers.get('c')!, {}, 1, 'id1');
    markExited(w.st.containers.get('c')!, { exitCode: 0, reason: 'Completed', startedAt: 1, finishedAt: 2, containerID: 'id1' });
    const path = w.logPath('c', 1);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '2024-01-01T00:00:00.1Z stdout F one\n2024-01-01T00:00:01Z stderr P tw\n2024-01-01T00:00:01Z stderr F o\n');
    const streams = processStreams((r) => (r.name === 'p' ? w : undefined));
    const read = async (o: Record<string, unknown>) => {
      let out = '';
      for await (const c of await streams.logs(ref, 'c', { follow: false, previous: false, timestamps: false, ...o })) out += c;
      return out;
    };
    assert.equal(await read({}), 'one\ntwo\n');
    assert.equal(await read({ tailLines: 2 }), 'two\n');
    await assert.rejects(streams.logs({ namespace: 'ns', name: 'q' }, 'c', { follow: false, previous: false, timestamps: false }), (e) => e instanceof StreamError && e.code === 404);
    await assert.rejects(streams.exec(ref, 'c', ['true'], { stdin: false, stdout: true, stderr: true, tty: false }), /container not found \("c"\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the hosts file a pod sees: localhost, its own name, its aliases', () => {
  const text = hostsFile({ metadata: { name: 'web-0', namespace: 'ns' }, spec: { hostname: 'web-0', subdomain: 'web', hostAliases: [{ ip: '10.0.0.9', hostnames: ['db', 'db.local'] }] } }, '127.244.0.5');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '# Kubernetes-managed hosts file.');
  assert.ok(lines.includes('127.0.0.1\tlocalhost'));
  assert.ok(lines.includes('127.244.0.5\tweb-0.web.ns.svc.cluster.local\tweb-0'));
  assert.deepEqual(lines.slice(-2), ['# Entries added by HostAliases.', '10.0.0.9\tdb\tdb.local']);
  assert.ok(hostsFile({ metadata: { name: 'x' }, spec: {} }, '127.244.0.6').endsWith('127.244.0.6\tx\n'));
});
