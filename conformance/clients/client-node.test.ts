// End to end with the real @kubernetes/client-node (1.x: generated typed APIs over
// node-fetch, KubernetesObjectApi, informers), unchanged, against the kubeconfig
// `k8ts up` writes. The informer's 410 relist runs against an in-process API server whose
// store and watch cache the test holds, behind a TCP proxy that simulates a network outage.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Status,
} from '@kubernetes/client-node';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { startApiServer, type ApiServer } from '../../server/server.ts';
import { openMvccStore, type MvccStore } from '../../storage/mvcc/mvcc-store.ts';
import { writeKubeconfig } from '../../cli/kubeconfig.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The Status an ApiException carries (client-node 1.x keeps the raw body text). */
async function statusOf(p: Promise<unknown>): Promise<{ code: number; status: V1Status }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, status: body as V1Status };
  }
  assert.fail('expected the request to fail');
}

const suffix = Math.random().toString(36).slice(2, 7);

/** The root CA publisher (a controller of `k8ts up`) puts this ConfigMap in every namespace. */
const notRootCA = (o: KubernetesObject) => o.metadata?.name !== 'kube-root-ca.crt';

describe('@kubernetes/client-node against k8ts up', () => {
  let k8ts: K8tsProcess;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let objects: KubernetesObjectApi;
  const ns = `client-node-${suffix}`;

  before(async () => {
    k8ts = await startK8ts();
    kc = new KubeConfig();
    kc.loadFromFile(k8ts.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  after(async () => {
    if (k8ts) assert.equal(await k8ts.stop(), 0, `k8ts up did not stop cleanly:\n${k8ts.output()}`);
  });

  it('loads the kubeconfig k8ts wrote and lists namespaces', async () => {
    assert.equal(kc.getCurrentCluster()?.server, k8ts.url);
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata!.name);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease', ns]) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.match(list.metadata!.resourceVersion!, /^\d+$/);
    const created = list.items.find((n) => n.metadata!.name === ns)!;
    assert.ok(created.metadata!.creationTimestamp instanceof Date, 'timestamps deserialize to Dates');
    assert.equal(created.status?.phase, 'Active');
  });

  it('CoreV1Api: ConfigMap create, read, list, merge/strategic/JSON patch, replace, delete', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cm1', labels: { app: 'demo', tier: 'web' } }, data: { a: '1', b: '2' } },
    });
    assert.equal(created.metadata!.namespace, ns);
    assert.match(created.metadata!.uid!, /^[0-9a-f-]{36}$/);
    const rv1 = created.metadata!.resourceVersion!;

    const read = await core.readNamespacedConfigMap({ name: 'cm1', namespace: ns });
    assert.deepEqual(read.data, { a: '1', b: '2' });
    assert.equal(read.metadata!.resourceVersion, rv1);
    assert.equal(read.kind, 'ConfigMap');
    assert.equal(read.apiVersion, 'v1');

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cm2', labels: { app: 'other' } }, data: { x: 'y' } } });
    const selected = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=demo' });
    assert.deepEqual(selected.items.map((c) => c.metadata!.name), ['cm1']);
    const byField = await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=cm2' });
    assert.deepEqual(byField.items.map((c) => c.metadata!.name), ['cm2']);
    const paged = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app', limit: 1 });
    assert.equal(paged.items.length, 1);
    assert.ok(paged.metadata!._continue, 'a continue token');
    const rest = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app', limit: 1, _continue: paged.metadata!._continue });
    assert.deepEqual([...paged.items, ...rest.items].map((c) => c.metadata!.name), ['cm1', 'cm2']);

    // Merge patch: null deletes a key.
    const merged = await core.patchNamespacedConfigMap(
      { name: 'cm1', namespace: ns, body: { data: { b: null, c: '3' }, metadata: { labels: { tier: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.data, { a: '1', c: '3' });
    assert.deepEqual(merged.metadata!.labels, { app: 'demo' });
    assert.ok(Number(merged.metadata!.resourceVersion) > Number(rv1));

    // Strategic merge patch (a ConfigMap has no merge keys: behaves like a merge patch).
    const strategic = await core.patchNamespacedConfigMap(
      { name: 'cm1', namespace: ns, body: { data: { d: '4' } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(strategic.data, { a: '1', c: '3', d: '4' });

    // Without a Content-Type option client-node 1.x sends a JSON patch (the first type the operation declares).
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'cm1', namespace: ns, body: [{ op: 'replace', path: '/data/a', value: 'one' }] });
    assert.equal(jsonPatched.data!.a, 'one');

    // Replace with the current resourceVersion, then a stale one: 409 Conflict.
    const current = await core.readNamespacedConfigMap({ name: 'cm1', namespace: ns });
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cm1', namespace: ns, body: { ...current, data: { only: 'this' } } });
    assert.deepEqual(replaced.data, { only: 'this' });
    const stale = await statusOf(core.replaceNamespacedConfigMap({ name: 'cm1', namespace: ns, body: { ...current, data: { lost: 'update' } } }));
    assert.equal(stale.code, 409);
    assert.equal(stale.status.reason, 'Conflict');
    assert.match(stale.status.message!, /the object has been modified/);

    const deleted = await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: ns });
    assert.equal(deleted.status, 'Success');
    assert.equal(deleted.details?.name, 'cm1');
    await core.deleteNamespacedConfigMap({ name: 'cm2', namespace: ns });
    const after = await core.listNamespacedConfigMap({ namespace: ns });
    assert.deepEqual(after.items.filter(notRootCA), []);
  });

  it('errors are ApiExceptions carrying the Status: 404 NotFound, 409 AlreadyExists, 422 Invalid with causes', async () => {
    const nf = await statusOf(core.readNamespacedConfigMap({ name: 'missing', namespace: ns }));
    assert.equal(nf.code, 404);
    assert.deepEqual(nf.status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', kind: 'configmaps' },
      code: 404,
    });

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } });
    const dup = await statusOf(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } }));
    assert.equal(dup.code, 409);
    assert.equal(dup.status.reason, 'AlreadyExists');
    assert.equal(dup.status.message, 'configmaps "dup" already exists');
    assert.deepEqual(dup.status.details, { name: 'dup', kind: 'configmaps' });

    const invalid = await statusOf(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'Not_Valid' }, data: { 'bad key!': 'v' } } }));
    assert.equal(invalid.code, 422);
    assert.equal(invalid.status.reason, 'Invalid');
    assert.equal(invalid.status.details?.kind, 'ConfigMap');
    assert.equal(invalid.status.details?.name, 'Not_Valid');
    const fields = (invalid.status.details?.causes ?? []).map((c) => c.field);
    assert.ok(fields.includes('metadata.name'), JSON.stringify(invalid.status));
    assert.ok(fields.includes('data[bad key!]'), JSON.stringify(invalid.status));
    for (const c of invalid.status.details!.causes!) assert.equal(c.reason, 'FieldValueInvalid');

    const noNs = await statusOf(core.createNamespacedConfigMap({ namespace: `absent-${suffix}`, body: { metadata: { name: 'x' } } }));
    assert.equal(noNs.code, 404);
    assert.equal(noNs.status.message, `namespaces "absent-${suffix}" not found`);

    await core.deleteNamespacedConfigMap({ name: 'dup', namespace: ns });
  });

  it('AppsV1Api: Deployment create, read, list, strategic merge vs merge patch, replace, scale, delete', async () => {
    const body: V1Deployment = {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] },
              { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', '3600'] },
            ],
          },
        },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: ns, body });
    assert.equal(created.metadata!.generation, 1);
    // Defaults applied by the server, deserialized into typed fields.
    assert.equal(created.spec!.strategy?.type, 'RollingUpdate');
    assert.equal(created.spec!.revisionHistoryLimit, 10);
    assert.equal(created.spec!.template.spec!.containers[0]!.imagePullPolicy, 'IfNotPresent');
    assert.equal(created.spec!.template.spec!.restartPolicy, 'Always');

    const list = await apps.listNamespacedDeployment({ namespace: ns, labelSelector: 'app=web' });
    assert.deepEqual(list.items.map((d) => d.metadata!.name), ['web']);

    // Strategic merge patch merges containers by name: the sidecar stays.
    const smp = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(smp.spec!.template.spec!.containers.map((c) => [c.name, c.image]), [
      ['nginx', 'nginx:1.27'],
      ['sidecar', 'busybox:1.36'],
    ]);
    assert.deepEqual(smp.spec!.template.spec!.containers[0]!.ports?.map((p) => p.containerPort), [80]);
    // The deployment controller's revision annotation also bumps generation (as upstream), so
    // assert that spec changes raise it rather than exact values.
    assert.ok(smp.metadata!.generation! > created.metadata!.generation!, 'a spec patch bumps generation');

    // A merge patch replaces the list wholesale.
    const mp = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'nginx:1.27' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(mp.spec!.template.spec!.containers.map((c) => c.name), ['only']);
    assert.ok(mp.metadata!.generation! > smp.metadata!.generation!, 'a spec patch bumps generation');

    // The deployment controller writes status concurrently, so a read-modify-replace can meet
    // a 409 Conflict; clients retry on conflict (client-go's RetryOnConflict), and so does this.
    const replaced = await retryOnConflict(async () => {
      const cur = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      cur.spec!.replicas = 5;
      return apps.replaceNamespacedDeployment({ name: 'web', namespace: ns, body: cur });
    });
    assert.equal(replaced.spec!.replicas, 5);

    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns });
    assert.equal(scale.spec!.replicas, 5);
    const scaled = await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: ns, body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(scaled.spec!.replicas, 1);
    assert.equal((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec!.replicas, 1);

    const invalid = await statusOf(apps.patchNamespacedDeployment({ name: 'web', namespace: ns, body: { spec: { replicas: -1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    assert.equal(invalid.code, 422);
    assert.deepEqual(invalid.status.details?.causes?.map((c) => c.field), ['spec.replicas']);

    const del = await apps.deleteNamespacedDeployment({ name: 'web', namespace: ns });
    assert.equal(del.status, 'Success');
    const gone = await statusOf(apps.readNamespacedDeployment({ name: 'web', namespace: ns }));
    assert.equal(gone.code, 404);
    assert.equal(gone.status.message, 'deployments.apps "web" not found');
    assert.deepEqual(gone.status.details, { name: 'web', group: 'apps', kind: 'deployments' });
  });

  it('KubernetesObjectApi: generic create, read, patch, replace, list and delete of a ConfigMap and a Deployment', async () => {
    const cm: KubernetesObject & { data?: Record<string, string> } = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns, labels: { via: 'objects' } }, data: { k: 'v' } };
    const created = await objects.create(cm);
    assert.equal(created.kind, 'ConfigMap');
    assert.equal((created as V1ConfigMap).data?.k, 'v');

    const deployment: V1Deployment & KubernetesObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: ns, labels: { via: 'objects' } },
      spec: {
        selector: { matchLabels: { app: 'generic' } },
        template: { metadata: { labels: { app: 'generic' } }, spec: { containers: [{ name: 'c', image: 'nginx' }, { name: 'd', image: 'busybox' }] } },
      },
    };
    const dep = (await objects.create(deployment)) as V1Deployment;
    assert.equal(dep.spec!.replicas, 1, 'defaulted');

    const read = (await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: ns } })) as V1Deployment;
    assert.equal(read.metadata!.uid, dep.metadata!.uid);
    assert.ok(read.metadata!.creationTimestamp instanceof Date);

    // patch() defaults to a strategic merge patch: containers merge by name.
    const patched = (await objects.patch({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: ns },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
    } as KubernetesObject)) as V1Deployment;
    assert.deepEqual(patched.spec!.template.spec!.containers.map((c) => `${c.name}=${c.image}`), ['c=nginx:1.27', 'd=busybox']);

    const mergePatched = (await objects.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns }, data: { k: 'v2', k2: 'x' } } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    )) as V1ConfigMap;
    assert.deepEqual(mergePatched.data, { k: 'v2', k2: 'x' });

    const replaced = (await objects.replace({ ...mergePatched, apiVersion: 'v1', kind: 'ConfigMap', data: { r: '1' } } as KubernetesObject)) as V1ConfigMap;
    assert.deepEqual(replaced.data, { r: '1' });

    const cms = await objects.list('v1', 'ConfigMap', ns, undefined, undefined, undefined, undefined, 'via=objects');
    assert.deepEqual(cms.items.map((i) => i.metadata!.name), ['generic']);
    const deps = await objects.list('apps/v1', 'Deployment', ns);
    assert.deepEqual(deps.items.map((i) => i.metadata!.name), ['generic']);
    assert.equal(deps.kind, 'DeploymentList');

    await objects.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: ns } });
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns } });
    const gone = await statusOf(objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: ns } }));
    assert.equal(gone.code, 404);
    assert.equal(gone.status.reason, 'NotFound');
    const dup = await statusOf(objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }));
    assert.equal(dup.code, 409);
    assert.equal(dup.status.reason, 'AlreadyExists');
  });

  it('an informer sees ConfigMaps added, updated and deleted', async () => {
    const ns = `informer-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { v: '0' } } });
    const informer = makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
    const seen: string[] = [];
    informer.on('add', (o) => notRootCA(o) && seen.push(`add ${o.metadata!.name} ${JSON.stringify(o.data ?? {})}`));
    informer.on('update', (o) => notRootCA(o) && seen.push(`update ${o.metadata!.name} ${JSON.stringify(o.data ?? {})}`));
    informer.on('delete', (o) => notRootCA(o) && seen.push(`delete ${o.metadata!.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await waitFor('the initial list', () => seen.includes('add before {"v":"0"}'));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'watched' }, data: { v: '1' } } });
      await waitFor('the add', () => seen.includes('add watched {"v":"1"}'));
      await core.patchNamespacedConfigMap({ name: 'watched', namespace: ns, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await waitFor('the update', () => seen.includes('update watched {"v":"2"}'));
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace: ns });
      await core.deleteNamespacedConfigMap({ name: 'before', namespace: ns });
      await waitFor('the deletes', () => seen.includes('delete watched') && seen.includes('delete before'));
      assert.deepEqual(seen, ['add before {"v":"0"}', 'add watched {"v":"1"}', 'update watched {"v":"2"}', 'delete watched', 'delete before']);
      assert.deepEqual(informer.list(ns).filter(notRootCA), []);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------
// The 410 relist. The informer talks to the server through a TCP proxy the test can cut.
// While the informer is cut off, the test writes past the watch cache's event window and
// compacts the store below the informer's resourceVersion; on reconnect the informer's
// watch from its old resourceVersion gets 410 Expired, it relists and carries on.

class Proxy {
  private server!: Server;
  private paused = false;
  private readonly pending: Socket[] = [];
  private readonly pairs = new Set<[Socket, Socket]>();
  port = 0;
  connections = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      client.on('error', () => undefined);
      if (this.paused) {
        client.pause();
        this.pending.push(client);
      } else this.forward(client);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  private forward(client: Socket): void {
    this.connections++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.target });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    upstream.on('error', () => client.destroy());
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  /** Drops every connection; new ones wait until resume(). */
  cut(): void {
    this.paused = true;
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
  }

  resume(): void {
    this.paused = false;
    for (const c of this.pending.splice(0)) if (!c.destroyed) this.forward(c);
  }

  async close(): Promise<void> {
    this.cut();
    for (const c of this.pending.splice(0)) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('@kubernetes/client-node informer survives a 410 relist', () => {
  const WINDOW = 20;
  let dir: string;
  let store: MvccStore;
  let server: ApiServer;
  let proxy: Proxy;
  let direct: CoreV1Api;
  let viaProxy: KubeConfig;
  const ns = `relist-${suffix}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-relist-'));
    store = await openMvccStore({ dir: join(dir, 'store') });
    server = await startApiServer({ dataDir: dir, store, port: 0, watchCache: { capacity: WINDOW } });
    // The kubeconfig as `k8ts up` writes it; a second one points at the proxy.
    writeKubeconfig(join(dir, 'kubeconfig'), server.url, server.pki);
    proxy = new Proxy(server.port);
    await proxy.start();
    writeKubeconfig(join(dir, 'kubeconfig-proxy'), `https://127.0.0.1:${proxy.port}`, server.pki);
    const kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    direct = kc.makeApiClient(CoreV1Api);
    viaProxy = new KubeConfig();
    viaProxy.loadFromFile(join(dir, 'kubeconfig-proxy'));
    await direct.createNamespace({ body: { metadata: { name: ns } } });
    await direct.createNamespace({ body: { metadata: { name: `${ns}-noise` } } });
  });

  after(async () => {
    await proxy?.close();
    await server?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a watch from a resourceVersion older than the window gets a 410 Expired ERROR event', async () => {
    const first = await direct.createNamespacedConfigMap({ namespace: `${ns}-noise`, body: { metadata: { generateName: 'old-' } } });
    for (let i = 0; i < WINDOW + 5; i++) await direct.createNamespacedConfigMap({ namespace: `${ns}-noise`, body: { metadata: { generateName: 'n-' } } });
    const kc = new KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    const events: { type: string; object: V1Status }[] = [];
    const done = new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(`/api/v1/namespaces/${ns}-noise/configmaps`, { resourceVersion: first.metadata!.resourceVersion }, (type, object) => events.push({ type, object }), resolve);
    });
    assert.equal(await done, null, 'the server ends the stream after the ERROR event');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'ERROR');
    assert.equal(events[0]!.object.code, 410);
    assert.equal(events[0]!.object.reason, 'Expired');
    assert.match(events[0]!.object.message!, /^too old resource version: \d+ \(\d+\)$/);
  });

  it('relists after 410, reports the changes it missed and keeps delivering events', async () => {
    for (const name of ['keep', 'change', 'remove']) await direct.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { v: '1' } } });

    let lists = 0;
    const informer = makeInformer(viaProxy, `/api/v1/namespaces/${ns}/configmaps`, () => {
      lists++;
      return viaProxy.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: ns });
    });
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata!.name} ${o.data?.v}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
    let errors = 0;
    let connects = 0;
    informer.on('connect', () => connects++);
    let restarting: Promise<void> | undefined;
    let stopping = false;
    // client-node's informer stops on a connection error; its documented pattern is to restart it.
    // (stop() aborts the watch, which the informer reports as an error too: no restart then.)
    informer.on('error', () => {
      if (stopping) return;
      errors++;
      restarting = sleep(100).then(() => (stopping ? undefined : informer.start()));
    });
    await informer.start();
    try {
      await waitFor('the initial list', () => seen.length === 3);
      assert.deepEqual(seen.sort(), ['add change', 'add keep', 'add remove']);
      seen.length = 0;
      await direct.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'live' } } });
      await waitFor('a live event', () => seen.includes('add live'));
      const rvBefore = Number((informer as unknown as ListWatch<V1ConfigMap>).latestResourceVersion());
      seen.length = 0;

      // Network outage.
      const connectsBefore = connects;
      proxy.cut();
      // node-fetch reports the cut stream as an error (the informer then waits for our restart);
      // were it a clean end, the informer would reconnect by itself (held by the proxy until resume).
      await waitFor('the informer to notice the outage', () => errors === 1 || connects > connectsBefore);

      await direct.patchNamespacedConfigMap({ name: 'change', namespace: ns, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await direct.deleteNamespacedConfigMap({ name: 'remove', namespace: ns });
      await direct.deleteNamespacedConfigMap({ name: 'live', namespace: ns });
      await direct.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'missed' } } });
      // Push those events out of the watch cache's window, then compact the store below it.
      for (let i = 0; i < WINDOW + 5; i++) await direct.createNamespacedConfigMap({ namespace: `${ns}-noise`, body: { metadata: { generateName: 'n-' } } });
      const { header } = await store.status();
      await store.compact(header.revision);
      assert.ok(header.revision > rvBefore + WINDOW);

      proxy.resume();
      await waitFor('the relist', () => lists === 2, 15_000);
      await waitFor('the missed changes', () => seen.length === 4);
      assert.deepEqual(seen.sort(), ['add missed', 'delete live', 'delete remove', 'update change 2']);
      assert.ok(Number((informer as unknown as ListWatch<V1ConfigMap>).latestResourceVersion()) >= header.revision);

      // Still watching after the relist.
      seen.length = 0;
      await direct.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
      await direct.deleteNamespacedConfigMap({ name: 'keep', namespace: ns });
      await waitFor('events after the relist', () => seen.length === 2);
      assert.deepEqual(seen, ['add after', 'delete keep']);

      const server = await direct.listNamespacedConfigMap({ namespace: ns });
      const cached = informer.list(ns).map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort();
      assert.deepEqual(cached, server.items.map((o) => `${o.metadata!.name}@${o.metadata!.resourceVersion}`).sort());
      assert.deepEqual(cached.map((c) => c.split('@')[0]), ['after', 'change', 'missed']);
      assert.equal(lists, 2, 'exactly one relist');
      assert.ok(errors <= 1, `${errors} errors`);
    } finally {
      stopping = true;
      await restarting;
      await informer.stop();
    }
  });
});

/** Re-run a read-modify-write until it does not hit a 409 Conflict (at most 10 tries). */
async function retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (attempt >= 10 || !(e instanceof ApiException) || e.code !== 409) throw e;
    }
  }
}
