// End to end with the official Kubernetes Python client (Debian's python3-kubernetes, run by
// /usr/bin/python3) against the kubeconfig `k8ts up` writes: python/smoke.py lists
// namespaces, creates, reads, lists by label, patches and deletes a ConfigMap, and reports
// each step as a JSON line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/smoke.py', import.meta.url));

function pythonClientVersion(): string | undefined {
  if (!existsSync(PYTHON)) return undefined;
  try {
    return execFileSync(PYTHON, ['-c', 'import kubernetes; print(kubernetes.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

const version = pythonClientVersion();
const skip = version ? false : `the Python Kubernetes client is not installed (apt-get install python3-kubernetes; looked for ${PYTHON} with "import kubernetes")`;

describe(`Python client${version ? ` ${version}` : ''} against k8ts up`, { skip }, () => {
  let k8ts: K8tsProcess;

  before(async () => {
    k8ts = await startK8ts();
  });
  after(async () => {
    if (k8ts) assert.equal(await k8ts.stop(), 0, `k8ts up did not stop cleanly:\n${k8ts.output()}`);
  });

  it('lists namespaces, creates, reads, lists by label, patches and deletes a ConfigMap', async () => {
    const namespace = `python-${Math.random().toString(36).slice(2, 7)}`;
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(PYTHON, [SCRIPT, k8ts.kubeconfig, namespace], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    assert.equal(run.code, 0, `smoke.py failed:\n${run.stderr}\n${run.stdout}`);
    const steps = new Map<string, Record<string, unknown>>();
    for (const line of run.stdout.trim().split('\n')) {
      const s = JSON.parse(line) as { step: string } & Record<string, unknown>;
      steps.set(s.step, s);
    }
    const step = (name: string) => {
      const s = steps.get(name);
      assert.ok(s, `step ${name} missing from:\n${run.stdout}\n${run.stderr}`);
      return s;
    };

    const nsList = step('list-namespaces');
    for (const n of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) assert.ok((nsList.names as string[]).includes(n), n);
    assert.match(nsList.resourceVersion as string, /^\d+$/);
    assert.deepEqual(step('create-namespace'), { step: 'create-namespace', name: namespace, phase: 'Active' });

    const created = step('create-configmap');
    assert.equal(created.name, 'py-config');
    assert.equal(created.namespace, namespace);
    assert.match(created.uid as string, /^[0-9a-f-]{36}$/);
    assert.match(created.created as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, 'creationTimestamp parses as an aware datetime');

    assert.deepEqual(step('read-configmap'), {
      step: 'read-configmap',
      name: 'py-config',
      kind: 'ConfigMap',
      apiVersion: 'v1',
      data: { answer: '42', greeting: 'hello' },
      labels: { app: 'py', tier: 'backend' },
      resourceVersion: created.resourceVersion,
    });
    assert.deepEqual(step('list-selector').names, ['py-config']);
    assert.deepEqual(step('list-selector-set').names, ['py-config']);
    // The Python client sends a dict patch as a strategic merge patch.
    assert.deepEqual(step('patch-configmap').data, { answer: '43', greeting: 'hello' });
    assert.deepEqual(step('create-duplicate'), { step: 'create-duplicate', status: 409, reason: 'AlreadyExists', message: 'configmaps "py-config" already exists' });
    assert.deepEqual(step('delete-configmap'), { step: 'delete-configmap', status: 'Success', name: 'py-config' });
    assert.deepEqual(step('read-deleted'), { step: 'read-deleted', status: 404, reason: 'NotFound', message: 'configmaps "py-config" not found' });
    step('done');
  });
});
