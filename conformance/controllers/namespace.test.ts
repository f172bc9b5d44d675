// End to end: `k8ts up` as a child process (its controller manager inside, talking to its
// API server over HTTPS) and the real kubectl: namespace deletion, the default
// ServiceAccount and kube-root-ca.crt in new namespaces, garbage collection by
// ownerReferences (background, orphan, foreground) and the controller manager's Lease.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor } from '../support/kubectl.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

describe('controllers against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let k8ts: K8tsProcess;

  const { run: kubectl, ok, getJson, create: apply } = kubectlFor(() => k8ts, KUBECTL);
  const uidOf = async (...args: string[]) => (await getJson(...args))!.metadata.uid as string;

  before(async () => {
    k8ts = await startK8ts();
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('the controller manager holds the kube-system/kube-controller-manager Lease', async () => {
    const lease = await eventually('the lease', () => getJson('lease', '-n', 'kube-system', 'kube-controller-manager'));
    assert.match(lease.spec.holderIdentity, /^.+_[0-9a-f-]{36}$/);
    assert.equal(lease.spec.leaseDurationSeconds, 10); // k8ts up: 10 s leases so a standby takes over within 15 s
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('a new namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    await ok('create', 'namespace', 'e2e-sa');
    const sa = await eventually('serviceaccount default', async () => {
      const r = await kubectl('get', 'sa', 'default', '-n', 'e2e-sa');
      return r.code === 0 && r.stdout;
    });
    assert.match(sa, /^NAME\s+SECRETS\s+AGE\ndefault\s+0\s+\d+s\n$/);
    const cm = await eventually('kube-root-ca.crt', () => getJson('configmap', 'kube-root-ca.crt', '-n', 'e2e-sa'));
    const kubeconfig = parseYaml(readFileSync(k8ts.kubeconfig, 'utf8'));
    const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');
    assert.deepEqual(Object.keys(cm.data), ['ca.crt']);
    assert.equal(cm.data['ca.crt'], ca);
    assert.match(cm.metadata.annotations['kubernetes.io/description'], /^Contains a CA bundle/);
    // Deleted, they come back.
    await ok('delete', 'sa', 'default', '-n', 'e2e-sa');
    await ok('delete', 'configmap', 'kube-root-ca.crt', '-n', 'e2e-sa');
    await eventually('serviceaccount default again', async () => (await kubectl('get', 'sa', 'default', '-n', 'e2e-sa')).code === 0);
    await eventually('kube-root-ca.crt again', () => getJson('configmap', 'kube-root-ca.crt', '-n', 'e2e-sa'));
    // The built-in namespaces have them too.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await eventually(`sa in ${ns}`, async () => (await kubectl('get', 'sa', 'default', '-n', ns)).code === 0);
    }
  });

  it('kubectl delete namespace returns once its content is gone, and the namespace is NotFound', async () => {
    await ok('create', 'namespace', 'e2e-del');
    await ok('-n', 'e2e-del', 'create', 'configmap', 'cm', '--from-literal=a=b');
    await ok('-n', 'e2e-del', 'create', 'secret', 'generic', 's', '--from-literal=a=b');
    await ok('-n', 'e2e-del', 'create', 'deployment', 'web', '--image=nginx');
    await eventually('serviceaccount default', async () => (await kubectl('get', 'sa', 'default', '-n', 'e2e-del')).code === 0);
    const r = await kubectl('delete', 'namespace', 'e2e-del');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'namespace "e2e-del" deleted\n');
    assert.ok(r.ms < 30_000, `kubectl delete ns took ${r.ms} ms`);
    const get = await kubectl('get', 'namespace', 'e2e-del');
    assert.notEqual(get.code, 0);
    assert.equal(get.stderr, 'Error from server (NotFound): namespaces "e2e-del" not found\n');
    const cms = await kubectl('get', 'configmaps', '-n', 'e2e-del', '-o', 'name');
    assert.equal(cms.stdout, '');
  });

  it('a namespace whose content is held by a finalizer waits, with upstream conditions, then goes', async () => {
    await ok('create', 'namespace', 'e2e-held');
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: e2e-held\n  finalizers: [example.com/hold]\n');
    await ok('delete', 'namespace', 'e2e-held', '--wait=false');
    const ns = await eventually('conditions', async () => {
      const n = await getJson('namespace', 'e2e-held');
      return n?.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True') && n;
    });
    assert.equal(ns.status.phase, 'Terminating');
    const byType = Object.fromEntries(ns.status.conditions.map((c: { type: string }) => [c.type, c]));
    assert.equal(byType.NamespaceContentRemaining.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(byType.NamespaceFinalizersRemaining.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(byType.NamespaceDeletionContentFailure.status, 'False');
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    // New content is refused meanwhile.
    const refused = await kubectl('-n', 'e2e-held', 'create', 'configmap', 'late');
    assert.match(refused.stderr, /because it is being terminated/);
    await ok('-n', 'e2e-held', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    await eventually('namespace gone', async () => (await kubectl('get', 'namespace', 'e2e-held')).stderr.includes('NotFound'));
  });

  const dependentYaml = (name: string, owner: string, uid: string, extra = '') =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n${extra}  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: ${owner}\n    uid: ${uid}\n`;

  it('garbage collection: a dependent of a deleted owner is deleted (background)', async () => {
    await ok('create', 'configmap', 'gc-owner', '--from-literal=a=b');
    const uid = await uidOf('configmap', 'gc-owner');
    await apply(dependentYaml('gc-dep', 'gc-owner', uid));
    await ok('delete', 'configmap', 'gc-owner');
    await eventually('dependent collected', async () => (await kubectl('get', 'configmap', 'gc-dep')).stderr.includes('NotFound'));
  });

  it('garbage collection: --cascade=orphan keeps the dependent without its ownerReference', async () => {
    await ok('create', 'configmap', 'orphan-owner', '--from-literal=a=b');
    const uid = await uidOf('configmap', 'orphan-owner');
    await apply(dependentYaml('orphan-dep', 'orphan-owner', uid));
    const r = await kubectl('delete', 'configmap', 'orphan-owner', '--cascade=orphan');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms < 30_000);
    await eventually('owner gone', async () => (await kubectl('get', 'configmap', 'orphan-owner')).stderr.includes('NotFound'));
    const dep = await getJson('configmap', 'orphan-dep');
    assert.ok(dep, 'the dependent is kept');
    assert.equal(dep.metadata.ownerReferences, undefined);
    // And stays: nothing collects it later.
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(await getJson('configmap', 'orphan-dep'));
  });

  it('garbage collection: --cascade=foreground deletes the owner only after its blocking dependents', async () => {
    await ok('create', 'configmap', 'fg-owner', '--from-literal=a=b');
    const uid = await uidOf('configmap', 'fg-owner');
    await apply(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fg-held\n  namespace: default\n  finalizers: [example.com/hold]\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: fg-owner, uid: ${uid}, blockOwnerDeletion: true}\n`,
    );
    await apply(dependentYaml('fg-loose', 'fg-owner', uid));
    await ok('delete', 'configmap', 'fg-owner', '--cascade=foreground', '--wait=false');
    await eventually('non-blocking dependent collected', async () => (await kubectl('get', 'configmap', 'fg-loose')).stderr.includes('NotFound'));
    const held = await eventually('held dependent being deleted', async () => {
      const h = await getJson('configmap', 'fg-held');
      return h?.metadata?.deletionTimestamp && h;
    });
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    await new Promise((r) => setTimeout(r, 1000));
    const owner = await getJson('configmap', 'fg-owner');
    assert.ok(owner, 'the owner waits for its blocking dependent');
    assert.ok(owner.metadata.deletionTimestamp);
    assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion']);
    await ok('patch', 'configmap', 'fg-held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}');
    await eventually('owner gone', async () => (await kubectl('get', 'configmap', 'fg-owner')).stderr.includes('NotFound'));
    assert.ok((await kubectl('get', 'configmap', 'fg-held')).stderr.includes('NotFound'));
  });

  it('garbage collection: kubectl delete --cascade=foreground waits until the dependents are gone', async () => {
    await ok('create', 'configmap', 'fgw-owner', '--from-literal=a=b');
    const uid = await uidOf('configmap', 'fgw-owner');
    await apply(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fgw-dep\n  namespace: default\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: fgw-owner, uid: ${uid}, blockOwnerDeletion: true}\n`,
    );
    const r = await kubectl('delete', 'configmap', 'fgw-owner', '--cascade=foreground');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap "fgw-owner" deleted\n');
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    assert.ok((await kubectl('get', 'configmap', 'fgw-dep')).stderr.includes('NotFound'), 'the dependent went first');
    assert.ok((await kubectl('get', 'configmap', 'fgw-owner')).stderr.includes('NotFound'));
  });
});
