// End to end: `k8ts up` as a child process (through the package bin) and the real kubectl
// against the kubeconfig it writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubectl against k8ts up', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let kubeconfig: string;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      // A cache dir of our own: kubectl's HTTP cache must not outlive this server.
      execFile(KUBECTL, [`--cache-dir=${join(dir, 'kube-cache')}`, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-smoke-'));
    const port = await freePort();
    child = spawn(process.execPath, [join(repo, 'bin/k8ts.js'), 'up', '--data-dir', dir, '--port', String(port)], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!output.includes('kubectl get ns')) {
      if (child.exitCode !== null) assert.fail(`k8ts up exited early (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) assert.fail(`k8ts up did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    kubeconfig = join(dir, 'kubeconfig');
    assert.ok(output.includes(`export KUBECONFIG=${kubeconfig}`), output);
    assert.ok(output.includes(`https://127.0.0.1:${port}`), output);
  });

  after(async () => {
    if (child && child.exitCode === null && child.pid) {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      process.kill(child.pid, 'SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      if (code === 'timeout') process.kill(child.pid, 'SIGKILL');
      else assert.equal(code, 0, `k8ts up did not stop cleanly:\n${output}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl get ns lists the default namespaces', async () => {
    const r = await kubectl('get', 'ns');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+AGE\n/);
    for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) assert.match(r.stdout, new RegExp(`^${ns}\\s+Active\\s+\\d+s\\n`, 'm'));
    assert.equal(r.stderr, '');
  });

  it('kubectl create configmap', async () => {
    const r = await kubectl('create', 'configmap', 'smoke', '--from-literal=greeting=hello', '--from-literal=answer=42');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap/smoke created\n');
    const again = await kubectl('create', 'configmap', 'smoke', '--from-literal=a=b');
    assert.notEqual(again.code, 0);
    assert.equal(again.stderr, 'error: failed to create configmap: configmaps "smoke" already exists\n');
  });

  it('kubectl get cm -o yaml', async () => {
    const r = await kubectl('get', 'cm', '-o', 'yaml');
    assert.equal(r.code, 0, r.stderr);
    const list = parseYaml(r.stdout);
    assert.equal(list.kind, 'List');
    const cm = list.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'smoke');
    assert.equal(cm.apiVersion, 'v1');
    assert.equal(cm.kind, 'ConfigMap');
    assert.deepEqual(cm.data, { answer: '42', greeting: 'hello' });
    assert.equal(cm.metadata.namespace, 'default');
    assert.match(cm.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(cm.metadata.resourceVersion, /^\d+$/);
    assert.match(cm.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const table = await kubectl('get', 'cm', 'smoke');
    assert.match(table.stdout, /^NAME\s+DATA\s+AGE\nsmoke\s+2\s+\d+s\n$/);
  });

  it('kubectl apply, label and get with a selector', async () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n');
    const created = await kubectl('apply', '-f', file);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'configmap/applied created\n');
    const unchanged = await kubectl('apply', '-f', file);
    assert.equal(unchanged.stdout, 'configmap/applied unchanged\n');
    const labeled = await kubectl('label', 'cm', 'applied', 'tier=web');
    assert.equal(labeled.stdout, 'configmap/applied labeled\n');
    const selected = await kubectl('get', 'cm', '-l', 'tier=web', '-o', 'name');
    assert.equal(selected.stdout, 'configmap/applied\n');
  });

  it('kubectl delete cm', async () => {
    const r = await kubectl('delete', 'cm', 'smoke', 'applied');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap "smoke" deleted\nconfigmap "applied" deleted\n');
    const gone = await kubectl('get', 'cm', 'smoke');
    assert.notEqual(gone.code, 0);
    assert.equal(gone.stderr, 'Error from server (NotFound): configmaps "smoke" not found\n');
  });

  it('refuses requests without credentials', async () => {
    const url = /https:\/\/127\.0\.0\.1:\d+/.exec(output)![0];
    const r = await kubectl('--kubeconfig', '/dev/null', '--server', url, '--insecure-skip-tls-verify', '--token', 'not-the-token', 'get', 'ns');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  });
});
