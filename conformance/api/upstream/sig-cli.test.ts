// [sig-cli] conformance tests that need no running containers, run with the real kubectl
// against an in-process API server. Named exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from '../../../cli/kubeconfig.ts';
import { startCluster, type Client, type Cluster } from './harness.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** GET over HTTP (a TCP port or a unix socket), as one would curl the kubectl proxy. */
function httpGet(target: { port: number } | { socketPath: string }, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...('port' in target ? { host: '127.0.0.1', port: target.port } : { socketPath: target.socketPath }), path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('[sig-cli]', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let cluster: Cluster;
  let c: Client;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(KUBECTL, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(dir, 'cache')}`, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  /** Starts `kubectl proxy` and waits for its "Starting to serve on" line. */
  async function proxy(...args: string[]): Promise<{ child: ChildProcess; line: string }> {
    const child = spawn(KUBECTL, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(dir, 'cache')}`, 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const deadline = Date.now() + 20_000;
    while (!/Starting to serve on .+\n/.test(out)) {
      if (child.exitCode !== null) assert.fail(`kubectl proxy exited: ${out}`);
      if (Date.now() > deadline) assert.fail(`kubectl proxy did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { child, line: /Starting to serve on (.+)\n/.exec(out)![1]! };
  }

  function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || !child.pid) return Promise.resolve();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    return exited;
  }

  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
    dir = mkdtempSync(join(tmpdir(), 'k8ts-sig-cli-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfig, cluster.server.url, cluster.server.pki);
  });
  after(async () => {
    await cluster.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Kubectl, check version v1', async () => {
    const r = await kubectl('api-versions');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.split('\n').includes('v1'), r.stdout);
  });

  test('Kubectl, cluster info', async () => {
    const r = await kubectl('cluster-info');
    assert.equal(r.code, 0, r.stderr);
    const plain = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    assert.ok(plain.includes('Kubernetes control plane'), plain);
    assert.ok(plain.includes('is running at'), plain);
    assert.ok(plain.includes(cluster.server.url), plain);
  });

  test('Kubectl, version', async () => {
    const r = await kubectl('version');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Client Version: v\d\.\d+\.[\d\w\-.+]+/);
    assert.match(r.stdout, /Server Version: v\d\.\d+\.[\d\w\-.+]+/);
    const json = await kubectl('version', '-o', 'json');
    const v = JSON.parse(json.stdout);
    assert.match(v.serverVersion.major, /^\d+$/);
    assert.match(v.serverVersion.minor, /^\d+\+?$/);
    assert.match(v.serverVersion.gitCommit, /^[0-9a-f]+$/);
    assert.match(v.serverVersion.gitVersion, /^v\d+\.\d+\.\d+/);
  });

  test('Kubectl, server-side dry-run Pod', async () => {
    const ns = await cluster.namespace('kubectl');
    const name = 'e2e-test-httpd-pod';
    const run = await kubectl('-n', ns, 'run', name, '--image=registry.k8s.io/e2e-test-images/httpd:2.4.38-4', `--labels=run=${name}`, '--restart=Never');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `pod/${name} created\n`);
    const patch = await kubectl('-n', ns, 'patch', 'pod', name, '-p', JSON.stringify({ spec: { containers: [{ name, image: 'registry.k8s.io/e2e-test-images/busybox:1.29-4' }] } }), '--dry-run=server');
    assert.equal(patch.code, 0, patch.stderr);
    assert.equal(patch.stdout, `pod/${name} patched\n`);
    const pod = await c.get(`/api/v1/namespaces/${ns}/pods/${name}`);
    assert.equal(pod.spec.containers[0].image, 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4', 'a dry run changes nothing');
    const del = await kubectl('-n', ns, 'delete', 'pod', name);
    assert.equal(del.code, 0, del.stderr);
  });

  test('Kubectl, diff Deployment', async () => {
    const ns = await cluster.namespace('kubectl');
    const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpd-deployment
  labels:
    app: httpd
spec:
  replicas: 1
  selector:
    matchLabels:
      app: httpd
  template:
    metadata:
      labels:
        app: httpd
    spec:
      containers:
      - name: httpd
        image: ${image}
`;
    const file = join(dir, `deployment-${ns}.yaml`);
    writeFileSync(file, deployment('registry.k8s.io/e2e-test-images/httpd:2.4.38-4'));
    const created = await kubectl('-n', ns, 'create', '-f', file);
    assert.equal(created.code, 0, created.stderr);
    const same = await kubectl('-n', ns, 'diff', '-f', file);
    assert.equal(same.code, 0, `no difference: ${same.stdout}${same.stderr}`);
    writeFileSync(file, deployment('registry.k8s.io/e2e-test-images/busybox:1.29-4'));
    const diff = await kubectl('-n', ns, 'diff', '-f', file);
    assert.equal(diff.code, 1, `a difference is exit code 1: ${diff.stderr}`);
    assert.match(diff.stdout, /^-\s+(- )?image: registry\.k8s\.io\/e2e-test-images\/httpd:2\.4\.38-4$/m);
    assert.match(diff.stdout, /^\+\s+(- )?image: registry\.k8s\.io\/e2e-test-images\/busybox:1\.29-4$/m);
    const live = await c.get(`/apis/apps/v1/namespaces/${ns}/deployments/httpd-deployment`);
    assert.equal(live.spec.template.spec.containers[0].image, 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4', 'diff changes nothing');
  });

  test('Kubectl, proxy port zero', async () => {
    const { child, line } = await proxy('-p', '0', '--disable-filter');
    try {
      const port = Number(/:(\d+)$/.exec(line)![1]);
      assert.ok(port > 0, line);
      const r = await httpGet({ port }, '/api/');
      assert.equal(r.status, 200, r.body);
      const versions = JSON.parse(r.body).versions as string[];
      assert.ok(versions.length > 0 && versions.includes('v1'), r.body);
    } finally {
      await stop(child);
    }
  });

  test('Kubectl, proxy socket', async () => {
    const socketPath = join(dir, 'kubectl-proxy.sock');
    const { child } = await proxy(`--unix-socket=${socketPath}`);
    try {
      const r = await httpGet({ socketPath }, '/api/');
      assert.equal(r.status, 200, r.body);
      const versions = JSON.parse(r.body).versions as string[];
      assert.ok(versions.length > 0 && versions.includes('v1'), r.body);
    } finally {
      await stop(child);
    }
  });
});
