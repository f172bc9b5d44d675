import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, type Status } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { RegistryStore, type WatchEventOut } from './registry-store.ts';
import { getScale, updateScale } from './scale.ts';
import { configmaps, deployments, namespaces, pods, tempStore, testRegistry, widgetsV1, widgetsV2, type TempStore } from './testing/fixtures.ts';

async function rejects(p: Promise<unknown>, code: number, reason: string, message?: string | RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.reason, reason, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code} ${reason}`);
}

const cm = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra });

class Collect {
  events: WatchEventOut[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  sink = {
    event: (e: WatchEventOut) => {
      this.events.push(e);
      for (const w of this.waiters.splice(0)) w();
    },
    close: () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    },
  };
  async until(pred: (events: WatchEventOut[]) => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > deadline) assert.fail(`timed out; events: ${JSON.stringify(this.events.map((e) => [e.type, (e.object as KubeObject).metadata?.name]))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  summary(): string[] {
    return this.events.map((e) => `${e.type} ${(e.object as KubeObject).metadata?.name ?? ''}`.trim());
  }
}

describe('RegistryStore', () => {
  let ts: TempStore;
  let rs: RegistryStore;
  let now = new Date('2024-05-01T10:00:00.000Z');

  before(async () => {
    ts = await tempStore();
    rs = new RegistryStore({ store: ts.store, registry: testRegistry(), now: () => now });
    await rs.start();
    for (const name of ['default', 'other']) await rs.create(namespaces, undefined, { metadata: { name } });
  });
  after(async () => {
    await rs.close();
    await ts.dispose();
  });

  describe('create', () => {
    it('fills uid, creationTimestamp and resourceVersion, stores under /registry/<resource>/<ns>/<name>', async () => {
      const obj = await rs.create(configmaps, 'default', cm('c1'));
      assert.match(obj.metadata!.uid!, /^[0-9a-f-]{36}$/);
      assert.equal(obj.metadata!.creationTimestamp, '2024-05-01T10:00:00Z');
      assert.equal(obj.metadata!.namespace, 'default');
      assert.equal(obj.metadata!.generation, undefined);
      const kv = (await ts.store.range('/registry/configmaps/default/c1')).kvs[0]!;
      assert.equal(obj.metadata!.resourceVersion, String(kv.modRevision));
      assert.equal(JSON.parse(kv.value.toString()).metadata.resourceVersion, undefined);
      const ns = (await ts.store.range('/registry/namespaces/default')).kvs[0];
      assert.ok(ns, 'cluster-scoped key has no namespace segment');
    });

    it('answers AlreadyExists for a taken name', async () => {
      await rs.create(configmaps, 'default', cm('dup'));
      await rejects(rs.create(configmaps, 'default', cm('dup')), 409, 'AlreadyExists', 'configmaps "dup" already exists');
    });

    it('generates names from generateName with 5 random characters', async () => {
      const obj = await rs.create(configmaps, 'default', { metadata: { generateName: 'gen-' } });
      assert.match(obj.metadata!.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    });

    it('sets generation 1 for resources that track it and applies defaults', async () => {
      const d = await rs.create(deployments, 'default', { metadata: { name: 'web' }, spec: {}, status: { replicas: 9 } });
      assert.equal(d.metadata!.generation, 1);
      assert.deepEqual(d.spec, { replicas: 1 });
      assert.equal(d.status, undefined);
    });

    it('refuses a resourceVersion, a mismatched namespace and invalid metadata', async () => {
      await rejects(rs.create(configmaps, 'default', cm('x', { metadata: { name: 'x', resourceVersion: '5' } })), 400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
      await rejects(
        rs.create(configmaps, 'default', cm('x', { metadata: { name: 'x', namespace: 'other' } })),
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
      const err = await rejects(rs.create(configmaps, 'default', cm('Bad_Name')), 422, 'Invalid');
      assert.equal(err.details?.causes?.[0]?.field, 'metadata.name');
      await rejects(rs.create(configmaps, 'default', { metadata: {} }), 422, 'Invalid', /name or generateName is required/);
    });

    it('requires the namespace to exist', async () => {
      await rejects(rs.create(configmaps, 'nope', cm('x')), 404, 'NotFound', 'namespaces "nope" not found');
    });

    it('dryRun validates without writing', async () => {
      const before = (await ts.store.status()).header.revision;
      const obj = await rs.create(configmaps, 'default', cm('dry'), { dryRun: true });
      assert.equal(obj.metadata!.name, 'dry');
      assert.equal(obj.metadata!.resourceVersion, undefined);
      assert.equal((await ts.store.status()).header.revision, before);
      await rejects(rs.get(configmaps, 'default', 'dry'), 404, 'NotFound', 'configmaps "dry" not found');
    });
  });

  describe('list', () => {
    before(async () => {
      for (let i = 0; i < 7; i++) await rs.create(configmaps, 'other', cm(`item-${i}`, { metadata: { name: `item-${i}`, labels: { parity: i % 2 ? 'odd' : 'even' } } }));
    });

    it('lists a namespace with the list revision', async () => {
      const list = await rs.list(configmaps, 'other');
      assert.equal(list.kind, 'ConfigMapList');
      assert.equal(list.apiVersion, 'v1');
      const items = list.items as KubeObject[];
      assert.deepEqual(items.map((i) => i.metadata!.name), ['item-0', 'item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6']);
      assert.equal(items[0]!.kind, undefined, 'list items carry no kind, as upstream for built-in types');
      assert.equal((list.metadata as { resourceVersion: string }).resourceVersion, String((await ts.store.status()).header.revision));
    });

    it('filters with a predicate', async () => {
      const list = await rs.list(configmaps, 'other', { predicate: (o) => o.metadata?.labels?.parity === 'odd' });
      assert.deepEqual((list.items as KubeObject[]).map((i) => i.metadata!.name), ['item-1', 'item-3', 'item-5']);
    });

    it('paginates with limit and continue, with remainingItemCount', async () => {
      const p1 = await rs.list(configmaps, 'other', { limit: 3 });
      const m1 = p1.metadata as { continue?: string; remainingItemCount?: number; resourceVersion: string };
      assert.deepEqual((p1.items as KubeObject[]).map((i) => i.metadata!.name), ['item-0', 'item-1', 'item-2']);
      assert.equal(m1.remainingItemCount, 4);
      const decoded = JSON.parse(Buffer.from(m1.continue!, 'base64url').toString());
      assert.deepEqual(decoded, { v: 'meta.k8s.io/v1', rv: Number(m1.resourceVersion), start: 'item-2\u0000' });
      // A write between pages does not show up: the continuation reads at the first page's revision.
      await rs.create(configmaps, 'other', cm('item-25'));
      const p2 = await rs.list(configmaps, 'other', { limit: 3, continue: m1.continue });
      const m2 = p2.metadata as { continue?: string; remainingItemCount?: number; resourceVersion: string };
      assert.deepEqual((p2.items as KubeObject[]).map((i) => i.metadata!.name), ['item-3', 'item-4', 'item-5']);
      assert.equal(m2.resourceVersion, m1.resourceVersion);
      const p3 = await rs.list(configmaps, 'other', { limit: 3, continue: m2.continue });
      assert.deepEqual((p3.items as KubeObject[]).map((i) => i.metadata!.name), ['item-6']);
      assert.equal((p3.metadata as { continue?: string }).continue, undefined);
      await rs.delete(configmaps, 'other', 'item-25');
    });

    it('paginates filtered lists', async () => {
      const pred = (o: KubeObject) => o.metadata?.labels?.parity === 'even';
      const p1 = await rs.list(configmaps, 'other', { limit: 2, predicate: pred });
      assert.deepEqual((p1.items as KubeObject[]).map((i) => i.metadata!.name), ['item-0', 'item-2']);
      assert.equal((p1.metadata as { remainingItemCount?: number }).remainingItemCount, undefined);
      const p2 = await rs.list(configmaps, 'other', { limit: 2, predicate: pred, continue: (p1.metadata as { continue: string }).continue });
      assert.deepEqual((p2.items as KubeObject[]).map((i) => i.metadata!.name), ['item-4', 'item-6']);
    });

    it('rejects bad continue tokens and resourceVersion with continue', async () => {
      await rejects(rs.list(configmaps, 'other', { continue: 'garbage!!' }), 400, 'BadRequest', /continue key is not valid/);
      const p1 = await rs.list(configmaps, 'other', { limit: 1 });
      await rejects(
        rs.list(configmaps, 'other', { limit: 1, continue: (p1.metadata as { continue: string }).continue, resourceVersion: '5' }),
        400,
        'BadRequest',
        'specifying resource version is not allowed when using continue',
      );
    });

    it('validates resourceVersionMatch', async () => {
      await rejects(rs.list(configmaps, 'other', { resourceVersionMatch: 'Exact' }), 422, 'Invalid', /resourceVersionMatch is forbidden unless resourceVersion is provided/);
      await rejects(rs.list(configmaps, 'other', { resourceVersionMatch: 'Exact', resourceVersion: '0' }), 422, 'Invalid', /forbidden for resourceVersion "0"/);
      await rejects(rs.list(configmaps, 'other', { resourceVersionMatch: 'Bogus', resourceVersion: '1' }), 422, 'Invalid', /Unsupported value: "Bogus"/);
    });

    it('serves resourceVersion=0 and NotOlderThan from the cache and Exact from history', async () => {
      const before = await rs.list(configmaps, 'other');
      const rv = (before.metadata as { resourceVersion: string }).resourceVersion;
      await rs.create(configmaps, 'other', cm('later'));
      const any = await rs.list(configmaps, 'other', { resourceVersion: '0' });
      assert.ok(Number((any.metadata as { resourceVersion: string }).resourceVersion) >= Number(rv));
      const notOlder = await rs.list(configmaps, 'other', { resourceVersion: rv });
      assert.ok((notOlder.items as KubeObject[]).some((i) => i.metadata!.name === 'later'));
      const exact = await rs.list(configmaps, 'other', { resourceVersion: rv, resourceVersionMatch: 'Exact' });
      assert.equal((exact.metadata as { resourceVersion: string }).resourceVersion, rv);
      assert.ok(!(exact.items as KubeObject[]).some((i) => i.metadata!.name === 'later'));
      await rs.delete(configmaps, 'other', 'later');
    });

    it('answers 504 for a resourceVersion from the future', async () => {
      const future = String((await ts.store.status()).header.revision + 1000);
      const err = await rejects(rs.list(configmaps, 'other', { resourceVersion: future, resourceVersionMatch: 'Exact' }), 504, 'Timeout', /Too large resource version/);
      assert.equal(err.details?.causes?.[0]?.reason, 'ResourceVersionTooLarge');
    });

    it('lists across namespaces', async () => {
      const list = await rs.list(configmaps, undefined);
      const names = (list.items as KubeObject[]).map((i) => `${i.metadata!.namespace}/${i.metadata!.name}`);
      assert.ok(names.includes('default/c1') && names.includes('other/item-0'));
    });
  });

  describe('update', () => {
    it('updates with optimistic concurrency', async () => {
      const c = await rs.create(configmaps, 'default', cm('u1'));
      const { object: u } = await rs.update(configmaps, 'default', 'u1', { ...c, data: { a: '2' } });
      assert.ok(Number(u.metadata!.resourceVersion) > Number(c.metadata!.resourceVersion));
      assert.equal(u.metadata!.uid, c.metadata!.uid);
      assert.equal(u.metadata!.creationTimestamp, c.metadata!.creationTimestamp);
      await rejects(
        rs.update(configmaps, 'default', 'u1', { ...c, data: { a: '3' } }),
        409,
        'Conflict',
        'Operation cannot be fulfilled on configmaps "u1": the object has been modified; please apply your changes to the latest version and try again',
      );
    });

    it('allows unconditional updates (no resourceVersion)', async () => {
      await rs.create(configmaps, 'default', cm('u2'));
      const { object } = await rs.update(configmaps, 'default', 'u2', cm('u2', { data: { z: 'z' } }));
      assert.deepEqual(object.data, { z: 'z' });
    });

    it('does not write a no-op update', async () => {
      const c = await rs.create(configmaps, 'default', cm('u3'));
      const { object } = await rs.update(configmaps, 'default', 'u3', c);
      assert.equal(object.metadata!.resourceVersion, c.metadata!.resourceVersion);
    });

    it('answers NotFound for a missing object and BadRequest for a name mismatch', async () => {
      await rejects(rs.update(configmaps, 'default', 'missing', cm('missing')), 404, 'NotFound', 'configmaps "missing" not found');
      await rejects(rs.update(configmaps, 'default', 'u2', cm('other-name')), 400, 'BadRequest', 'the name of the object (other-name) does not match the name on the URL (u2)');
    });

    it('bumps generation on spec changes only and keeps status on main-resource updates', async () => {
      const d = await rs.create(deployments, 'default', { metadata: { name: 'gen' }, spec: { replicas: 1 } });
      const s1 = await rs.update(deployments, 'default', 'gen', { ...d, status: { replicas: 1 } }, { subresource: 'status' });
      assert.equal(s1.object.metadata!.generation, 1);
      assert.deepEqual(s1.object.status, { replicas: 1 });
      const l = await rs.update(deployments, 'default', 'gen', { ...s1.object, metadata: { ...s1.object.metadata, labels: { a: 'b' } } });
      assert.equal(l.object.metadata!.generation, 1, 'metadata changes do not bump generation');
      const spec = await rs.update(deployments, 'default', 'gen', { ...l.object, spec: { replicas: 3 }, status: { replicas: 99 } });
      assert.equal(spec.object.metadata!.generation, 2);
      assert.deepEqual(spec.object.status, { replicas: 1 }, 'status changes through the main resource are ignored');
    });

    it('status updates change only the status', async () => {
      const d = await rs.create(deployments, 'default', { metadata: { name: 'st' }, spec: { replicas: 2 } });
      const { object } = await rs.update(
        deployments,
        'default',
        'st',
        { ...d, metadata: { ...d.metadata, labels: { sneaky: 'yes' } }, spec: { replicas: 7 }, status: { replicas: 2 } },
        { subresource: 'status' },
      );
      assert.deepEqual(object.spec, { replicas: 2 });
      assert.deepEqual(object.status, { replicas: 2 });
      assert.equal(object.metadata!.labels, undefined);
    });

    it('reports validation errors as 422 Invalid with causes', async () => {
      const d = await rs.create(deployments, 'default', { metadata: { name: 'inv' }, spec: { replicas: 1 } });
      const err = await rejects(rs.update(deployments, 'default', 'inv', { ...d, spec: { replicas: -1 } }), 422, 'Invalid');
      assert.equal(err.message, 'Deployment.apps "inv" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    });

    it('retries read-modify-write on concurrent changes', async () => {
      await rs.create(configmaps, 'default', cm('race', { data: { n: '0' } }));
      await Promise.all(
        Array.from({ length: 5 }, () =>
          rs.updateWith(configmaps, 'default', 'race', (cur) => {
            const data = cur!.data as { n: string };
            return { ...cur!, metadata: { ...cur!.metadata, resourceVersion: undefined }, data: { n: String(Number(data.n) + 1) } };
          }),
        ),
      );
      assert.deepEqual((await rs.get(configmaps, 'default', 'race')).data, { n: '5' });
    });
  });

  describe('scale', () => {
    it('reads and writes replicas through autoscaling/v1 Scale', async () => {
      await rs.create(deployments, 'default', { metadata: { name: 'sc' }, spec: { replicas: 2, selector: { matchLabels: { app: 'sc' } } } });
      const s = await getScale(rs, deployments, 'default', 'sc');
      assert.equal(s.kind, 'Scale');
      assert.equal(s.apiVersion, 'autoscaling/v1');
      assert.deepEqual(s.spec, { replicas: 2 });
      assert.deepEqual(s.status, { replicas: 0, selector: 'app=sc' });
      const s2 = await updateScale(rs, deployments, 'default', 'sc', { ...s, spec: { replicas: 5 } });
      assert.deepEqual(s2.spec, { replicas: 5 });
      assert.equal(((await rs.get(deployments, 'default', 'sc')).spec as { replicas: number }).replicas, 5);
      await rejects(updateScale(rs, deployments, 'default', 'sc', { ...s, spec: { replicas: 6 } }), 409, 'Conflict');
      await rejects(updateScale(rs, deployments, 'default', 'sc', { spec: { replicas: -1 } }), 422, 'Invalid', /spec.replicas/);
    });
  });

  describe('delete', () => {
    it('deletes and answers a Success Status', async () => {
      const c = await rs.create(configmaps, 'default', cm('d1'));
      const { result, deleted } = await rs.delete(configmaps, 'default', 'd1');
      assert.equal(deleted, true);
      assert.deepEqual(result, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', details: { name: 'd1', kind: 'configmaps', uid: c.metadata!.uid }, code: 200 });
      await rejects(rs.delete(configmaps, 'default', 'd1'), 404, 'NotFound');
    });

    it('checks preconditions', async () => {
      const c = await rs.create(configmaps, 'default', cm('d2'));
      await rejects(rs.delete(configmaps, 'default', 'd2', { preconditions: { uid: 'nope' } }), 409, 'Conflict', `Operation cannot be fulfilled on configmaps "d2": Precondition failed: UID in precondition: nope, UID in object meta: ${c.metadata!.uid}`);
      await rejects(rs.delete(configmaps, 'default', 'd2', { preconditions: { resourceVersion: '1' } }), 409, 'Conflict', /ResourceVersion in precondition: 1/);
      await rs.delete(configmaps, 'default', 'd2', { preconditions: { uid: c.metadata!.uid, resourceVersion: c.metadata!.resourceVersion } });
    });

    it('keeps objects with finalizers until they are removed', async () => {
      await rs.create(configmaps, 'default', cm('fin', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } }));
      const { result, deleted } = await rs.delete(configmaps, 'default', 'fin');
      assert.equal(deleted, false);
      const obj = result as KubeObject;
      assert.equal(obj.metadata!.deletionTimestamp, '2024-05-01T10:00:00Z');
      assert.equal(obj.metadata!.deletionGracePeriodSeconds, 0);
      const got = await rs.get(configmaps, 'default', 'fin');
      // Updates cannot clear deletionTimestamp nor add finalizers, but may remove them.
      await rejects(rs.update(configmaps, 'default', 'fin', { ...got, metadata: { ...got.metadata, finalizers: ['example.com/hold', 'example.com/more'] } }), 422, 'Invalid', /no new finalizers/);
      const { object } = await rs.update(configmaps, 'default', 'fin', { ...got, metadata: { ...got.metadata, finalizers: [] } });
      assert.equal(object.metadata!.finalizers?.length ?? 0, 0);
      await rejects(rs.get(configmaps, 'default', 'fin'), 404, 'NotFound');
    });

    it('adds the orphan / foregroundDeletion finalizers for those propagation policies', async () => {
      await rs.create(configmaps, 'default', cm('fg'));
      const { result } = await rs.delete(configmaps, 'default', 'fg', { propagationPolicy: 'Foreground' });
      assert.deepEqual((result as KubeObject).metadata!.finalizers, ['foregroundDeletion']);
      assert.ok((result as KubeObject).metadata!.deletionTimestamp);
    });

    it('deletes pods gracefully unless gracePeriodSeconds=0', async () => {
      await rs.create(pods, 'default', { metadata: { name: 'p1' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30 } });
      const { result, deleted } = await rs.delete(pods, 'default', 'p1');
      assert.equal(deleted, false);
      assert.equal((result as KubeObject).metadata!.deletionGracePeriodSeconds, 30);
      assert.equal((result as KubeObject).metadata!.deletionTimestamp, '2024-05-01T10:00:30Z');
      const again = await rs.delete(pods, 'default', 'p1', { gracePeriodSeconds: 10 });
      assert.equal((again.result as KubeObject).metadata!.deletionGracePeriodSeconds, 10);
      const last = await rs.delete(pods, 'default', 'p1', { gracePeriodSeconds: 0 });
      assert.equal(last.deleted, true);
      assert.equal((last.result as KubeObject).kind, 'Pod', 'pods answer with the deleted object');
      await rs.create(pods, 'default', { metadata: { name: 'unscheduled' }, spec: {} });
      assert.equal((await rs.delete(pods, 'default', 'unscheduled')).deleted, true);
    });

    it('deletes namespaces in two phases and refuses creates while terminating', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'doomed' } });
      const first = await rs.delete(namespaces, undefined, 'doomed');
      assert.equal(first.deleted, false);
      assert.equal(((first.result as KubeObject).status as { phase: string }).phase, 'Terminating');
      await rejects(
        rs.create(configmaps, 'doomed', cm('late')),
        403,
        'Forbidden',
        'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      );
      // Still held by spec.finalizers until the namespace controller finalizes it.
      assert.equal((await rs.delete(namespaces, undefined, 'doomed')).deleted, false);
      const ns = await rs.get(namespaces, undefined, 'doomed');
      // Other updates leave it alone; emptying spec.finalizers (the controller's finalize) deletes it.
      await rs.update(namespaces, undefined, 'doomed', { ...ns, metadata: { ...ns.metadata, labels: { a: 'b' } } });
      assert.ok(await rs.get(namespaces, undefined, 'doomed'));
      await rs.updateWith(namespaces, undefined, 'doomed', (cur) => ({ ...cur!, spec: { finalizers: [] } }), { subresource: 'finalize' });
      await rejects(rs.get(namespaces, undefined, 'doomed'), 404, 'NotFound');
      await rejects(rs.delete(namespaces, undefined, 'default'), 403, 'Forbidden', 'namespaces "default" is forbidden: this namespace may not be deleted');
    });

    it('deletes collections', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'coll' } });
      for (const n of ['a', 'b', 'c']) await rs.create(configmaps, 'coll', cm(n, { metadata: { name: n, labels: { keep: n === 'b' ? 'yes' : 'no' } } }));
      const deleted = await rs.deleteCollection(configmaps, 'coll', { predicate: (o) => o.metadata?.labels?.keep === 'no' });
      assert.deepEqual((deleted.items as KubeObject[]).map((i) => i.metadata!.name), ['a', 'c']);
      assert.deepEqual(((await rs.list(configmaps, 'coll')).items as KubeObject[]).map((i) => i.metadata!.name), ['b']);
    });
  });

  describe('conversion', () => {
    it('stores in the storage version and serves each version converted', async () => {
      const created = await rs.create(widgetsV2, undefined, { metadata: { name: 'w' }, spec: { replicas: 3 } });
      assert.equal(created.apiVersion, 'example.k8ts.io/v2');
      assert.deepEqual(created.spec, { replicas: 3 });
      const stored = JSON.parse((await ts.store.range('/registry/widgets/w')).kvs[0]!.value.toString());
      assert.equal(stored.apiVersion, 'example.k8ts.io/v1');
      assert.deepEqual(stored.spec, { size: 3 });
      const v1 = await rs.get(widgetsV1, undefined, 'w');
      assert.deepEqual(v1.spec, { size: 3 });
      const v2list = await rs.list(widgetsV2, undefined);
      assert.deepEqual((v2list.items as KubeObject[])[0]!.spec, { replicas: 3 });
    });
  });

  describe('watch', () => {
    it('sends synthetic ADDED for the current state, then changes (resourceVersion unset)', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'w1' } });
      await rs.create(configmaps, 'w1', cm('pre'));
      const c = new Collect();
      const w = await rs.watch(configmaps, 'w1', {}, c.sink);
      await c.until((e) => e.length >= 1);
      const created = await rs.create(configmaps, 'w1', cm('post'));
      await rs.update(configmaps, 'w1', 'post', { ...created, data: { b: '2' } });
      await rs.delete(configmaps, 'w1', 'post');
      await c.until((e) => e.length >= 4);
      assert.deepEqual(c.summary(), ['ADDED pre', 'ADDED post', 'MODIFIED post', 'DELETED post']);
      const del = c.events[3]!.object as KubeObject;
      assert.equal(del.kind, 'ConfigMap');
      assert.equal(del.apiVersion, 'v1');
      assert.ok(Number(del.metadata!.resourceVersion) > Number(created.metadata!.resourceVersion));
      w.stop();
    });

    it('resumes from a resourceVersion without synthetic events', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'w2' } });
      const a = await rs.create(configmaps, 'w2', cm('a'));
      await rs.create(configmaps, 'w2', cm('b'));
      const c = new Collect();
      const w = await rs.watch(configmaps, 'w2', { resourceVersion: a.metadata!.resourceVersion }, c.sink);
      await c.until((e) => e.length >= 1);
      assert.deepEqual(c.summary(), ['ADDED b']);
      w.stop();
    });

    it('turns selector transitions into ADDED / DELETED', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'w3' } });
      const c = new Collect();
      const w = await rs.watch(configmaps, 'w3', { resourceVersion: '0', predicate: (o) => o.metadata?.labels?.app === 'yes' }, c.sink);
      const o = await rs.create(configmaps, 'w3', cm('t', { metadata: { name: 't', labels: { app: 'no' } } }));
      const o2 = (await rs.update(configmaps, 'w3', 't', { ...o, metadata: { ...o.metadata, labels: { app: 'yes' } } })).object;
      const o3 = (await rs.update(configmaps, 'w3', 't', { ...o2, data: { c: '3' } })).object;
      const o4 = (await rs.update(configmaps, 'w3', 't', { ...o3, metadata: { ...o3.metadata, labels: { app: 'no' } } })).object;
      await c.until((e) => e.length >= 3);
      assert.deepEqual(c.summary(), ['ADDED t', 'MODIFIED t', 'DELETED t']);
      const gone = c.events[2]!.object as KubeObject;
      assert.equal(gone.metadata!.labels!.app, 'yes', 'DELETED carries the last matching state');
      assert.equal(gone.metadata!.resourceVersion, o4.metadata!.resourceVersion, '... with the resourceVersion of the change');
      w.stop();
    });

    it('sends BOOKMARK events when asked', async () => {
      const c = new Collect();
      const w = await rs.watch(configmaps, 'default', { resourceVersion: '0', allowWatchBookmarks: true, bookmarkIntervalMs: 50 }, c.sink);
      await c.until((e) => e.some((x) => x.type === 'BOOKMARK'));
      const bm = c.events.find((x) => x.type === 'BOOKMARK')!.object as KubeObject;
      assert.equal(bm.kind, 'ConfigMap');
      assert.match(bm.metadata!.resourceVersion!, /^\d+$/);
      w.stop();
    });

    it('sends initial events then a bookmark with the initial-events-end annotation', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'w5' } });
      await rs.create(configmaps, 'w5', cm('i1'));
      const c = new Collect();
      const w = await rs.watch(configmaps, 'w5', { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionMatch: 'NotOlderThan' }, c.sink);
      await c.until((e) => e.length >= 2);
      assert.deepEqual(c.summary()[0], 'ADDED i1');
      assert.equal(c.events[1]!.type, 'BOOKMARK');
      assert.deepEqual((c.events[1]!.object as KubeObject).metadata!.annotations, { 'k8s.io/initial-events-end': 'true' });
      w.stop();
    });

    it('answers a too-old resourceVersion with an ERROR event (410 Expired) and closes', async () => {
      const small = new RegistryStore({ store: ts.store, registry: testRegistry(), watchCache: { capacity: 2 } });
      await small.start();
      await small.create(namespaces, undefined, { metadata: { name: 'w4' } });
      const first = await small.create(configmaps, 'w4', cm('x1'));
      for (let i = 2; i < 6; i++) await small.create(configmaps, 'w4', cm(`x${i}`));
      await new Promise((r) => setTimeout(r, 100));
      const c = new Collect();
      await small.watch(configmaps, 'w4', { resourceVersion: first.metadata!.resourceVersion }, c.sink);
      await c.until(() => c.closed);
      assert.equal(c.events.length, 1);
      assert.equal(c.events[0]!.type, 'ERROR');
      const status = c.events[0]!.object as Status;
      assert.equal(status.code, 410);
      assert.equal(status.reason, 'Expired');
      assert.match(status.message, /^too old resource version: \d+ \(\d+\)$/);
      await small.close();
    });

    it('answers Expired for a continue token whose revision was compacted', async () => {
      await rs.create(namespaces, undefined, { metadata: { name: 'cmp' } });
      for (const n of ['a', 'b', 'c']) await rs.create(configmaps, 'cmp', cm(n));
      const p1 = await rs.list(configmaps, 'cmp', { limit: 1 });
      await rs.create(configmaps, 'cmp', cm('d'));
      await ts.store.compact((await ts.store.status()).header.revision);
      const err = await rejects(rs.list(configmaps, 'cmp', { limit: 1, continue: (p1.metadata as { continue: string }).continue }), 410, 'Expired', /The provided continue parameter is too old/);
      const token = (err.toStatus().metadata as { continue: string }).continue;
      const resumed = await rs.list(configmaps, 'cmp', { limit: 5, continue: token });
      assert.deepEqual((resumed.items as KubeObject[]).map((i) => i.metadata!.name), ['b', 'c', 'd']);
      await rejects(rs.list(configmaps, 'cmp', { resourceVersion: (p1.metadata as { resourceVersion: string }).resourceVersion, resourceVersionMatch: 'Exact' }), 410, 'Expired', 'The resourceVersion for the provided list is too old.');
    });
  });
});
