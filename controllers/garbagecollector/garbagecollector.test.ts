import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIGMAPS, DEFAULT_RESOURCES, FakeApi, NAMESPACES, NODES, SECRETS } from '../runtime/testing/fake-api.ts';
import type { KubeObject, OwnerReference } from '../runtime/types.ts';
import { GarbageCollector, deletableResources } from './garbagecollector.ts';

/** The collector over a fake API, its monitors emulated by re-reading the fake's objects. */
function harness() {
  const api = new FakeApi();
  api.seed('namespaces', { metadata: { name: 'ns' } });
  const gc = new GarbageCollector({ api });
  gc.setResources(api.resources);
  const seen = new Map<string, { r: (typeof DEFAULT_RESOURCES)[number]; obj: KubeObject }>();
  /** What the watches would report since the last call. */
  const sync = () => {
    const now = new Map<string, { r: (typeof DEFAULT_RESOURCES)[number]; obj: KubeObject }>();
    for (const r of deletableResources(api.resources)) for (const obj of api.all(r.resource)) now.set(obj.metadata!.uid!, { r, obj });
    for (const [uid, { r, obj }] of seen) if (!now.has(uid)) gc.forget(r, obj);
    for (const [uid, { r, obj }] of now) {
      const old = seen.get(uid);
      if (!old || old.obj.metadata?.resourceVersion !== obj.metadata?.resourceVersion) gc.observe(r, obj);
    }
    seen.clear();
    for (const [k, v] of now) seen.set(k, v);
  };
  /** Runs both queues until nothing is left to do. */
  const drain = async () => {
    sync();
    for (let i = 0; i < 200; i++) {
      const q1 = gc.deleteController.queue.len();
      const q2 = gc.orphanController.queue.len();
      if (q1 === 0 && q2 === 0) return;
      if (q1) await gc.deleteController.processNext();
      if (q2) await gc.orphanController.processNext();
      sync();
    }
    throw new Error('the collector did not settle');
  };
  const cm = async (name: string, owners: OwnerReference[] = [], extra: Record<string, unknown> = {}) =>
    api.create<KubeObject>(CONFIGMAPS, 'ns', { metadata: { name, ownerReferences: owners.length ? owners : undefined, ...extra } });
  const ref = (o: KubeObject, block = false): OwnerReference => ({
    apiVersion: 'v1',
    kind: o.kind!,
    name: o.metadata!.name!,
    uid: o.metadata!.uid!,
    ...(block ? { blockOwnerDeletion: true } : {}),
  });
  const exists = (name: string) => api.peek('configmaps', 'ns', name);
  return { api, gc, sync, drain, cm, ref, exists };
}

describe('GarbageCollector', () => {
  it('background: dependents of a deleted owner go, transitively; live owners keep theirs', async () => {
    const { api, drain, cm, ref, exists } = harness();
    const owner = await cm('owner');
    const dep = await cm('dep', [ref(owner)]);
    const grand = await api.create<KubeObject>(SECRETS, 'ns', { metadata: { name: 'grand', ownerReferences: [ref(dep)] } });
    const other = await cm('other');
    await cm('kept', [ref(other)]);
    await drain();
    assert.equal(api.actions.filter((a) => a.verb !== 'create').length, 0, 'nothing to do while owners live');

    await api.delete(CONFIGMAPS, 'ns', 'owner');
    await drain();
    assert.equal(exists('dep'), undefined);
    assert.equal(api.peek('secrets', 'ns', 'grand'), undefined);
    assert.ok(exists('kept'));
    const deletes = api.actions.filter((a) => a.verb === 'delete' && a.name !== 'owner');
    assert.deepEqual(
      deletes.map((a) => [a.name, (a.body as { propagationPolicy: string; preconditions: { uid: string } }).propagationPolicy, (a.body as { preconditions: { uid: string } }).preconditions.uid]),
      [
        ['dep', 'Background', dep.metadata!.uid],
        ['grand', 'Background', grand.metadata!.uid],
      ],
    );
  });

  it('a dependent with another live owner only loses the reference to the deleted one', async () => {
    const { api, drain, cm, ref, exists } = harness();
    const a = await cm('a');
    const b = await cm('b');
    await cm('dep', [ref(a), ref(b)]);
    await drain();
    await api.delete(CONFIGMAPS, 'ns', 'a');
    await drain();
    assert.deepEqual(exists('dep')?.metadata?.ownerReferences?.map((r) => r.name), ['b']);
  });

  it('dangling references found at start (owner never seen, or replaced under the same name) are collected', async () => {
    const { api, drain, cm, exists } = harness();
    await cm('owner');
    await cm('orphaned', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'never', uid: 'no-such-uid' }]);
    await cm('replaced', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'old-uid-of-owner' }]);
    await api.create(NODES, undefined, { metadata: { name: 'n1', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: exists('owner')!.metadata!.uid! }] } });
    await drain();
    assert.equal(exists('orphaned'), undefined);
    assert.equal(exists('replaced'), undefined);
    assert.equal(api.peek('nodes', undefined, 'n1'), undefined, 'a namespaced owner of a cluster-scoped object cannot exist');
    assert.ok(exists('owner'));
  });

  it('orphan: dependents lose the ownerReference, then the owner its finalizer and goes', async () => {
    const { api, drain, cm, ref, exists } = harness();
    const owner = await cm('owner');
    const keep = await cm('other');
    await cm('d1', [ref(owner)]);
    await cm('d2', [ref(owner), ref(keep)]);
    await drain();
    await api.delete(CONFIGMAPS, 'ns', 'owner', { propagationPolicy: 'Orphan' });
    assert.deepEqual(exists('owner')?.metadata?.finalizers, ['orphan']);
    await drain();
    assert.equal(exists('owner'), undefined);
    assert.equal(exists('d1')?.metadata?.ownerReferences, undefined);
    assert.deepEqual(exists('d2')?.metadata?.ownerReferences?.map((r) => r.name), ['other']);
  });

  it('foreground: dependents are deleted first; the owner waits for the blocking ones', async () => {
    const { api, drain, cm, ref, exists } = harness();
    const owner = await cm('owner');
    await cm('held', [ref(owner, true)], { finalizers: ['example.com/hold'] });
    await cm('loose', [ref(owner)]);
    const mid = await cm('mid', [ref(owner, true)]);
    await cm('leaf', [ref(mid, true)]);
    await drain();
    await api.delete(CONFIGMAPS, 'ns', 'owner', { propagationPolicy: 'Foreground' });
    await drain();
    assert.equal(exists('loose'), undefined);
    assert.equal(exists('leaf'), undefined, 'cascaded through mid');
    assert.equal(exists('mid'), undefined);
    assert.ok(exists('held')?.metadata?.deletionTimestamp, 'held is being deleted');
    assert.deepEqual(exists('owner')?.metadata?.finalizers, ['foregroundDeletion'], 'the owner waits');
    const midDelete = api.actions.find((a) => a.verb === 'delete' && a.name === 'mid');
    assert.equal((midDelete?.body as { propagationPolicy: string }).propagationPolicy, 'Foreground', 'a dependent with dependents is deleted in the foreground');

    await api.patch(CONFIGMAPS, 'ns', 'held', { metadata: { finalizers: null } });
    await drain();
    assert.equal(exists('held'), undefined);
    assert.equal(exists('owner'), undefined, 'no blocking dependent left: the owner goes');
  });

  it('an owner kind discovery does not know is an error (retried), not a deletion', async () => {
    const { api, gc, sync, cm, exists } = harness();
    const d = await cm('dep', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' }]);
    sync();
    await assert.rejects(gc.attemptToDelete(d.metadata!.uid!), /unable to map ownerReference example.com\/v1, Kind=Widget/);
    assert.ok(exists('dep'));
    assert.ok(api.actions.some((a) => a.verb === 'discover'), 'discovery refreshed before giving up');
  });

  it('monitors deletable resources except events', () => {
    const events = { ...CONFIGMAPS, resource: 'events', kind: 'Event' };
    const names = deletableResources([...DEFAULT_RESOURCES, events, NAMESPACES]).map((r) => `${r.group}/${r.resource}`);
    assert.ok(names.includes('/configmaps'));
    assert.ok(names.includes('/namespaces'));
    assert.ok(!names.includes('/events'));
    assert.ok(!names.includes('/bindings'));
  });
});
