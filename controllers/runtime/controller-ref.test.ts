import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONTROLLER_UID_INDEX,
  ControllerRefManager,
  claimDecision,
  controllerUidIndexFunc,
  ensureIndex,
  objectsForOwner,
  orphanIndexKey,
  recheckDeletionTimestamp,
} from './controller-ref.ts';
import { Indexer } from './store.ts';
import { FakeApi, PODS, REPLICASETS, WORKLOAD_RESOURCES } from './testing/fake-api.ts';
import type { KubeObject } from './types.ts';

const owner: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'ns', uid: 'rs-uid' } };
const ref = (uid: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid, controller: true });
const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'p', namespace: 'ns', uid: 'p-uid', labels, ...extra } });
const match = (o: KubeObject) => o.metadata?.labels?.app === 'web';

describe('controllerRef claims', () => {
  it('decides as ClaimObject: own+match claimed, own+no match released, matching orphans adopted', () => {
    assert.equal(claimDecision(owner, obj({ app: 'web' }, { ownerReferences: [ref('rs-uid')] }), match), 'claimed');
    assert.equal(claimDecision(owner, obj({ app: 'db' }, { ownerReferences: [ref('rs-uid')] }), match), 'release');
    assert.equal(claimDecision(owner, obj({ app: 'web' }, { ownerReferences: [ref('other')] }), match), 'ignore');
    assert.equal(claimDecision(owner, obj({ app: 'web' }), match), 'adopt');
    assert.equal(claimDecision(owner, obj({ app: 'db' }), match), 'ignore');
    assert.equal(claimDecision(owner, obj({ app: 'web' }, { deletionTimestamp: 'x' }), match), 'ignore', 'an orphan being deleted');
    assert.equal(claimDecision(owner, { metadata: { ...obj({ app: 'web' }).metadata, namespace: 'other' } }, match), 'ignore');
    const deleting = { ...owner, metadata: { ...owner.metadata, deletionTimestamp: 'x' } };
    assert.equal(claimDecision(deleting, obj({ app: 'web' }), match), 'ignore', 'no adoption while being deleted');
    assert.equal(claimDecision(deleting, obj({ app: 'db' }, { ownerReferences: [ref('rs-uid')] }), match), 'ignore', 'no release while being deleted');
    assert.equal(claimDecision(deleting, obj({ app: 'web' }, { ownerReferences: [ref('rs-uid')] }), match), 'claimed');
  });

  it('the controller-uid index finds owned objects and the namespace orphans', () => {
    const store = new Indexer<KubeObject>();
    ensureIndex(store, CONTROLLER_UID_INDEX, controllerUidIndexFunc);
    ensureIndex(store, CONTROLLER_UID_INDEX, () => ['not used: the first index stays']);
    store.upsert({ metadata: { name: 'a', namespace: 'ns', uid: 'a', ownerReferences: [ref('rs-uid')] } });
    store.upsert({ metadata: { name: 'b', namespace: 'ns', uid: 'b' } });
    store.upsert({ metadata: { name: 'c', namespace: 'other', uid: 'c' } });
    store.upsert({ metadata: { name: 'd', namespace: 'ns', uid: 'd', ownerReferences: [{ ...ref('rs-uid'), controller: false }] } });
    assert.deepEqual(store.byIndex(CONTROLLER_UID_INDEX, orphanIndexKey('ns')).map((o) => o.metadata!.name).sort(), ['b', 'd']);
    assert.deepEqual(objectsForOwner(store, owner, false).map((o) => o.metadata!.name), ['a']);
    assert.deepEqual(objectsForOwner(store, owner, true).map((o) => o.metadata!.name).sort(), ['a', 'b', 'd']);
  });

  it('adopts with a strategic merge patch of the controllerRef, releases with $patch: delete, rechecks the owner once', async () => {
    const api = new FakeApi(WORKLOAD_RESOURCES);
    api.seed('namespaces', { metadata: { name: 'ns' } });
    const rs = await api.create<KubeObject>(REPLICASETS, 'ns', { metadata: { name: 'rs' }, spec: {} });
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' };
    const orphan = await api.create<KubeObject>(PODS, 'ns', { metadata: { name: 'orphan', labels: { app: 'web' }, ownerReferences: [other] } });
    const stale = await api.create<KubeObject>(PODS, 'ns', { metadata: { name: 'stale', labels: { app: 'db' }, ownerReferences: [other, { ...ref(rs.metadata!.uid!), name: 'rs' }] } });
    let gets = 0;
    const canAdopt = recheckDeletionTimestamp(async () => {
      gets++;
      return api.get(REPLICASETS, 'ns', 'rs');
    }, rs);
    const m = new ControllerRefManager({ api, resource: PODS, owner: rs, ownerApiVersion: 'apps/v1', ownerKind: 'ReplicaSet', match, canAdopt });
    const { claimed, errors } = await m.claim([orphan, stale]);
    assert.deepEqual(errors, []);
    assert.deepEqual(claimed.map((p) => p.metadata!.name), ['orphan']);
    assert.deepEqual(api.peek('pods', 'ns', 'orphan')!.metadata!.ownerReferences, [
      other,
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    assert.deepEqual(api.peek('pods', 'ns', 'stale')!.metadata!.ownerReferences, [other]);
    const patches = api.actions.filter((a) => a.verb === 'patch');
    assert.deepEqual(patches[1]!.body, { metadata: { ownerReferences: [{ $patch: 'delete', uid: rs.metadata!.uid }], uid: stale.metadata!.uid } });
    await canAdopt();
    assert.equal(gets, 1);
  });

  it('refuses adoption for an owner being deleted or replaced', async () => {
    const fresh = (extra: Record<string, unknown>) => async () => ({ metadata: { ...owner.metadata, ...extra } });
    await assert.rejects(recheckDeletionTimestamp(fresh({ deletionTimestamp: '2024-01-01T00:00:00Z' }), owner)(), /has just been deleted/);
    await assert.rejects(recheckDeletionTimestamp(fresh({ uid: 'new' }), owner)(), /is gone/);
    await recheckDeletionTimestamp(fresh({}), owner)();
  });
});
