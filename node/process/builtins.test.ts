import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../lib/free-ports.ts';
import { containerArgv, imageConfig } from './images.ts';

function fetch(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function until<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

type Run = ChildProcess & { exited: Promise<number | null> };

/** Starts a process, with a promise of its exit code made before it can exit. */
function started(argv: string[], env: Record<string, string> = {}): Run {
  const c = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] }) as Run;
  c.exited = new Promise((r) => c.once('exit', (code) => r(code)));
  return c;
}

/** Runs a built-in as the image would, with the port flags replaced for the test. */
function run(image: string, container: Record<string, unknown>, env: Record<string, string>, port: number): Run {
  const argv = containerArgv(container, imageConfig(image), new Map()).map((a) => (a === '80' ? String(port) : a));
  return started(argv, { K8TS_LISTEN_ADDRESS: '127.0.0.1', ...env });
}

test('nginx: its welcome page, then the files mounted over its html directory (found through K8TS_PATH_MAP); SIGTERM exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-www-'));
  const [p1, p2] = await freePorts(2);
  const plain = run('nginx', {}, {}, p1!);
  const mounted = run('nginx', {}, { K8TS_PATH_MAP: JSON.stringify({ '/usr/share/nginx/html': dir }) }, p2!);
  try {
    writeFileSync(join(dir, 'index.html'), '<h1>mine</h1>\n');
    const welcome = await until(() => fetch(`http://127.0.0.1:${p1}/`));
    assert.equal(welcome.status, 200);
    assert.match(welcome.body, /Welcome to nginx!/);
    assert.equal((await fetch(`http://127.0.0.1:${p1}/other.html`)).status, 404);
    const page = await until(() => fetch(`http://127.0.0.1:${p2}/`));
    assert.deepEqual(page, { status: 200, body: '<h1>mine</h1>\n' });
    assert.equal((await fetch(`http://127.0.0.1:${p2}/../../etc/passwd`)).status, 404);
  } finally {
    plain.kill('SIGTERM');
    mounted.kill('SIGTERM');
    assert.equal(await plain.exited, 0);
    assert.equal(await mounted.exited, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('httpd: "It works!"', async () => {
  const [port] = await freePorts(1);
  const c = run('httpd:2.4', {}, {}, port!);
  try {
    assert.equal((await until(() => fetch(`http://127.0.0.1:${port}/`))).body, '<html><body><h1>It works!</h1></body></html>\n');
  } finally {
    c.kill('SIGTERM');
    await c.exited;
  }
});

test('agnhost netexec: hostname, echo, shell, and exit with a code', async () => {
  const [http, udp] = await freePorts(2);
  const c = run('registry.k8s.io/e2e-test-images/agnhost:2.53', { args: ['netexec', `--http-port=${http}`, `--udp-port=${udp}`] }, { HOSTNAME: 'pod-7' }, 0);
  const base = `http://127.0.0.1:${http}`;
  assert.equal((await until(() => fetch(`${base}/hostname`))).body, 'pod-7');
  assert.deepEqual(await fetch(`${base}/echo?msg=hi%20there`), { status: 200, body: 'hi there' });
  assert.equal((await fetch(`${base}/echo?msg=x&code=418`)).status, 418);
  assert.deepEqual(JSON.parse((await fetch(`${base}/shell?cmd=echo%20ok`)).body), { output: 'ok\n' });
  assert.match((await fetch(`${base}/`)).body, /^NOW: /);
  await fetch(`${base}/exit?code=3`).catch(() => undefined);
  assert.equal(await c.exited, 3);
});

test('pause waits until signalled and exits 0', async () => {
  const c = started(containerArgv({}, imageConfig('registry.k8s.io/pause:3.10'), new Map()));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(c.exitCode, null);
  c.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});
