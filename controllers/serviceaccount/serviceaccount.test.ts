import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiStatusError } from '../runtime/errors.ts';
import { FakeApi, staticInformer } from '../runtime/testing/fake-api.ts';
import type { KubeObject } from '../runtime/types.ts';
import { missingServiceAccounts, syncServiceAccounts } from './serviceaccounts.ts';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, planRootCa, syncRootCa } from './rootca.ts';

const ns = (name: string, phase = 'Active', deleting = false): KubeObject => ({
  metadata: { name, deletionTimestamp: deleting ? '2024-01-01T00:00:00Z' : undefined },
  status: { phase },
});

describe('ServiceAccount controller', () => {
  it('wants a default ServiceAccount in active namespaces only', () => {
    assert.deepEqual(missingServiceAccounts(ns('a'), () => false), [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'a' } }]);
    assert.deepEqual(missingServiceAccounts(ns('a'), (n) => n === 'default'), []);
    assert.deepEqual(missingServiceAccounts(ns('a', 'Terminating', true), () => false), []);
    assert.deepEqual(missingServiceAccounts(undefined, () => false), []);
    assert.deepEqual(
      missingServiceAccounts(ns('a'), () => false, ['default', 'builder']).map((s) => s.metadata!.name),
      ['default', 'builder'],
    );
  });

  it('creates what is missing; a stale cache or a terminating namespace is not an error', async () => {
    const api = new FakeApi();
    api.seed('namespaces', ns('a'));
    api.seed('namespaces', ns('b'));
    api.seed('serviceaccounts', { metadata: { name: 'default', namespace: 'b' } });
    const opts = {
      api,
      namespaces: await staticInformer([ns('a'), ns('b'), ns('gone', 'Terminating', true)]),
      serviceAccounts: await staticInformer([]), // stale: b's default not seen yet
    };
    await syncServiceAccounts(opts, 'a');
    await syncServiceAccounts(opts, 'b');
    await syncServiceAccounts(opts, 'gone');
    assert.ok(api.peek('serviceaccounts', 'a', 'default'));
    assert.deepEqual(
      api.actions.filter((x) => x.verb === 'create').map((x) => `${x.namespace}/${x.name}`),
      ['a/default', 'b/default'],
    );
    api.failOn = () => new ApiStatusError(500, undefined, 'boom');
    await assert.rejects(syncServiceAccounts(opts, 'a'), /boom/);
  });
});

describe('root CA publisher', () => {
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('plans create, update and nothing', () => {
    const create = planRootCa(ns('a'), undefined, CA);
    assert.equal(create.action, 'create');
    assert.deepEqual(create.action === 'create' && create.object, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: 'a', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
      data: { 'ca.crt': CA },
    });
    const good = { metadata: { name: 'kube-root-ca.crt', namespace: 'a', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': CA } };
    assert.deepEqual(planRootCa(ns('a'), good, CA), { action: 'none' });
    const tampered = { ...good, data: { 'ca.crt': 'old', extra: 'x' }, metadata: { ...good.metadata, labels: { keep: 'me' }, annotations: { other: 'y' } } };
    const upd = planRootCa(ns('a'), tampered, CA);
    assert.equal(upd.action, 'update');
    if (upd.action === 'update') {
      assert.deepEqual(upd.object.data, { 'ca.crt': CA });
      assert.deepEqual(upd.object.metadata?.labels, { keep: 'me' });
      assert.deepEqual(upd.object.metadata?.annotations, { other: 'y', [DESCRIPTION_ANNOTATION]: DESCRIPTION });
    }
    assert.deepEqual(planRootCa(ns('a', 'Terminating', true), undefined, CA), { action: 'none' });
  });

  it('writes through the API', async () => {
    const api = new FakeApi();
    api.seed('namespaces', ns('a'));
    api.seed('namespaces', ns('b'));
    const stale = api.seed('configmaps', { metadata: { name: 'kube-root-ca.crt', namespace: 'b' }, data: { 'ca.crt': 'old' } });
    const opts = { api, namespaces: await staticInformer([ns('a'), ns('b')]), configMaps: await staticInformer([stale]), rootCA: CA };
    await syncRootCa(opts, 'a');
    await syncRootCa(opts, 'b');
    assert.deepEqual(api.peek('configmaps', 'a', 'kube-root-ca.crt')?.data, { 'ca.crt': CA });
    assert.deepEqual(api.peek('configmaps', 'b', 'kube-root-ca.crt')?.data, { 'ca.crt': CA });
    assert.deepEqual(
      api.actions.filter((x) => x.verb !== 'get').map((x) => `${x.verb} ${x.namespace}`),
      ['create a', 'update b'],
    );
  });
});
