import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DiscoveryError } from '../runtime/client.ts';
import { ApiStatusError } from '../runtime/errors.ts';
import type { Condition, KubeObject } from '../runtime/types.ts';
import { BINDINGS, CONFIGMAPS, DEFAULT_RESOURCES, DEPLOYMENTS, FakeApi, NAMESPACES as NS_RES, SECRETS, res } from '../runtime/testing/fake-api.ts';
import { NAMESPACES, NamespaceDeleter, deletableNamespacedResources, namespaceConditions } from './deleter.ts';

function cluster(resources = DEFAULT_RESOURCES) {
  const api = new FakeApi(resources);
  let t = Date.parse('2024-01-01T00:00:00Z');
  const now = () => new Date(t);
  const tick = (s: number) => (t += s * 1000);
  const deleter = new NamespaceDeleter({ api, now });
  return { api, deleter, tick };
}

async function seedNamespace(api: FakeApi, name: string): Promise<void> {
  await api.create(NAMESPACES, undefined, { metadata: { name } });
  await api.create(CONFIGMAPS, name, { metadata: { name: 'cm' }, data: { a: 'b' } });
  await api.create(SECRETS, name, { metadata: { name: 's' } });
  await api.create(DEPLOYMENTS, name, { metadata: { name: 'web' } });
}

const conditions = (ns: KubeObject | undefined) => ((ns?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
const summary = (cs: Condition[]) => cs.map((c) => `${c.type}=${c.status} ${c.reason}`);

describe('NamespaceDeleter', () => {
  it('leaves a namespace alone unless it is being deleted', async () => {
    const { api, deleter } = cluster();
    await seedNamespace(api, 'live');
    assert.deepEqual(await deleter.sync('live'), {});
    assert.deepEqual(await deleter.sync('missing'), {});
    assert.deepEqual(
      api.actions.map((a) => a.verb),
      ['create', 'create', 'create', 'create', 'get', 'get'],
    );
    assert.ok(api.peek('configmaps', 'live', 'cm'));
  });

  it('deletes all content, records the conditions, removes the kubernetes finalizer and the namespace goes', async () => {
    const { api, deleter } = cluster();
    await seedNamespace(api, 'x');
    await seedNamespace(api, 'other');
    await api.delete(NAMESPACES, undefined, 'x');
    assert.equal((api.peek('namespaces', undefined, 'x')?.status as { phase: string }).phase, 'Terminating');
    api.actions.length = 0;

    assert.deepEqual(await deleter.sync('x'), {});
    assert.equal(api.peek('namespaces', undefined, 'x'), undefined, 'namespace gone');
    for (const r of ['configmaps', 'secrets', 'deployments']) assert.deepEqual(api.all(r, 'x'), [], `${r} emptied`);
    assert.equal(api.all('configmaps', 'other').length, 1, 'other namespaces untouched');
    const collections = api.actions.filter((a) => a.verb === 'deletecollection');
    assert.deepEqual(collections.map((a) => `${a.resource} ${a.namespace}`).sort(), ['configmaps x', 'deployments x', 'leases x', 'secrets x', 'serviceaccounts x']);
    assert.ok(collections.every((a) => (a.body as { propagationPolicy: string }).propagationPolicy === 'Background'));
    assert.ok(!api.actions.some((a) => a.resource === 'bindings'), 'create-only resources are skipped');
    const status = api.actions.find((a) => a.verb === 'update' && a.subresource === 'status');
    assert.deepEqual(summary(conditions(status?.body as KubeObject)), [
      'NamespaceDeletionDiscoveryFailure=False ResourcesDiscovered',
      'NamespaceDeletionGroupVersionParsingFailure=False ParsedGroupVersions',
      'NamespaceDeletionContentFailure=False ContentDeleted',
      'NamespaceContentRemaining=False ContentRemoved',
      'NamespaceFinalizersRemaining=False ContentHasNoFinalizers',
    ]);
    const finalize = api.actions.find((a) => a.subresource === 'finalize');
    assert.deepEqual((finalize?.body as { spec: unknown }).spec, { finalizers: [] });
  });

  it('waits for content held by finalizers, saying so in the conditions', async () => {
    const { api, deleter, tick } = cluster();
    await seedNamespace(api, 'x');
    await api.create(CONFIGMAPS, 'x', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    await api.delete(NAMESPACES, undefined, 'x');

    const r1 = await deleter.sync('x');
    assert.equal(r1.requeueAfterMs, 1000);
    const ns = api.peek('namespaces', undefined, 'x');
    assert.ok(ns, 'still there');
    assert.deepEqual((ns.spec as { finalizers: string[] }).finalizers, ['kubernetes']);
    const cs = conditions(ns);
    assert.deepEqual(summary(cs), [
      'NamespaceDeletionDiscoveryFailure=False ResourcesDiscovered',
      'NamespaceDeletionGroupVersionParsingFailure=False ParsedGroupVersions',
      'NamespaceDeletionContentFailure=False ContentDeleted',
      'NamespaceContentRemaining=True SomeResourcesRemain',
      'NamespaceFinalizersRemaining=True SomeFinalizersRemain',
    ]);
    assert.equal(cs[3]!.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(cs[4]!.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(api.peek('configmaps', 'x', 'held')?.metadata?.deletionTimestamp !== undefined, true);

    // Nothing changed: no status write on the next pass.
    tick(5);
    const writes = api.actions.filter((a) => a.subresource === 'status').length;
    assert.equal((await deleter.sync('x')).requeueAfterMs, 1000);
    assert.equal(api.actions.filter((a) => a.subresource === 'status').length, writes);

    // The finalizer goes; the next pass finishes, and the transition times move only where status changed.
    await api.patch(CONFIGMAPS, 'x', 'held', { metadata: { finalizers: null } });
    tick(5);
    const before = cs;
    let lastStatus: KubeObject | undefined;
    const origUpdate = api.update.bind(api);
    api.update = async (ref, ns2, obj, sub) => {
      if (sub === 'status') lastStatus = structuredClone(obj);
      return origUpdate(ref, ns2, obj, sub);
    };
    assert.deepEqual(await deleter.sync('x'), {});
    assert.equal(api.peek('namespaces', undefined, 'x'), undefined);
    const after = conditions(lastStatus);
    assert.equal(after[0]!.lastTransitionTime, before[0]!.lastTransitionTime);
    assert.notEqual(after[3]!.lastTransitionTime, before[3]!.lastTransitionTime);
    assert.equal(after[3]!.status, 'False');
  });

  it('lists and deletes one by one where deletecollection is not served', async () => {
    const services = res('', 'v1', 'services', 'Service', true, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    const { api, deleter } = cluster([NS_RES, services, BINDINGS]);
    await api.create(NAMESPACES, undefined, { metadata: { name: 'x' } });
    await api.create(services, 'x', { metadata: { name: 'a' } });
    await api.create(services, 'x', { metadata: { name: 'b' } });
    await api.delete(NAMESPACES, undefined, 'x');
    assert.deepEqual(await deleter.sync('x'), {});
    assert.deepEqual(
      api.actions.filter((a) => a.verb === 'delete' && a.resource === 'services').map((a) => a.name),
      ['a', 'b'],
    );
    assert.equal(api.peek('namespaces', undefined, 'x'), undefined);
  });

  it('does not finalize when discovery or a deletion failed, and says why', async () => {
    const { api, deleter } = cluster();
    await seedNamespace(api, 'x');
    await api.delete(NAMESPACES, undefined, 'x');
    api.failOn = (a) => (a.verb === 'deletecollection' && a.resource === 'secrets' ? new ApiStatusError(500, undefined, 'etcd is sad') : undefined);
    await assert.rejects(deleter.sync('x'), /content deletion incomplete: secrets\.: etcd is sad/);
    let cs = conditions(api.peek('namespaces', undefined, 'x'));
    assert.equal(cs.find((c) => c.type === 'NamespaceDeletionContentFailure')?.reason, 'ContentDeletionFailed');
    assert.equal(cs.find((c) => c.type === 'NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 1 remaining: secrets.: etcd is sad');
    assert.ok(api.peek('namespaces', undefined, 'x'));

    // A deployment left behind (e.g. created just before the namespace was marked).
    api.seed('deployments', { metadata: { name: 'late', namespace: 'x' } });
    const partial = DEFAULT_RESOURCES.filter((r) => r.group !== 'apps');
    api.failOn = (a) => (a.verb === 'discover' ? new DiscoveryError(partial, ['apps/v1: unavailable']) : undefined);
    await assert.rejects(deleter.sync('x'), /apps\/v1: unavailable/);
    cs = conditions(api.peek('namespaces', undefined, 'x'));
    assert.equal(cs.find((c) => c.type === 'NamespaceDeletionDiscoveryFailure')?.message, 'Discovery failed for some groups, 1 failing: apps/v1: unavailable');
    assert.equal(api.all('secrets', 'x').length, 0, 'what was found is deleted');
    assert.equal(api.all('deployments', 'x').length, 1, 'the undiscovered group keeps its content, so no finalize');

    api.failOn = undefined;
    assert.deepEqual(await deleter.sync('x'), {});
    assert.equal(api.peek('namespaces', undefined, 'x'), undefined);
  });

  it('an already finalized namespace waiting on other finalizers is left to them', async () => {
    const { api, deleter } = cluster();
    api.seed('namespaces', {
      metadata: { name: 'x', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/other'] },
      spec: { finalizers: [] },
      status: { phase: 'Terminating' },
    });
    assert.deepEqual(await deleter.sync('x'), {});
    assert.ok(api.peek('namespaces', undefined, 'x'));
    assert.ok(!api.actions.some((a) => a.verb === 'delete' || a.verb === 'deletecollection'));
  });
});

describe('namespace deletion helpers', () => {
  it('deletable resources: namespaced, preferred, list+delete, one per group resource', () => {
    const rs = [
      res('', 'v1', 'configmaps', 'ConfigMap', true),
      res('', 'v1', 'nodes', 'Node', false),
      res('', 'v1', 'bindings', 'Binding', true, ['create']),
      { ...res('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true), preferred: false },
      res('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
    ];
    assert.deepEqual(
      deletableNamespacedResources(rs).map((r) => `${r.group}/${r.version}/${r.resource}`),
      ['/v1/configmaps', 'autoscaling/v2/horizontalpodautoscalers'],
    );
  });

  it('conditions keep foreign conditions and transition times of unchanged statuses', () => {
    const t1 = new Date('2024-01-01T00:00:00Z');
    const t2 = new Date('2024-01-01T00:01:00Z');
    const empty = { discoveryErrors: [], deletionErrors: [], remaining: new Map(), finalizers: new Map() };
    const first = namespaceConditions([{ type: 'Custom', status: 'True' }], empty, t1);
    assert.equal(first.length, 6);
    assert.equal(first[0]!.type, 'Custom');
    const second = namespaceConditions(first, { ...empty, remaining: new Map([['pods.', 2]]) }, t2);
    assert.equal(second.find((c) => c.type === 'NamespaceContentRemaining')?.lastTransitionTime, '2024-01-01T00:01:00Z');
    assert.equal(second.find((c) => c.type === 'NamespaceDeletionContentFailure')?.lastTransitionTime, '2024-01-01T00:00:00Z');
  });
});
