import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { builtinRegistry } from '../resources/index.ts';
import { RegistryStore } from '../storage/registry-store.ts';
import { tempStore } from '../storage/testing/fixtures.ts';
import { chargeQuotas } from './resource-quota.ts';
import { admitClaimStorageClass, defaultClassName } from './default-storage-class.ts';

const PODS = { group: '', plural: 'pods' };
const NOW = Date.parse('2024-05-01T12:00:00Z');

function quota(name: string, hard: Record<string, string>, used?: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace: 'ns', resourceVersion: '10' }, spec: { hard, ...spec }, status: used ? { hard, used } : {} };
}

function pod(name: string, resources: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'app', resources }] }, status: { phase: 'Pending' } };
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    assert.equal(err.reason, 'Forbidden');
    return err;
  }
  assert.fail('admitted');
}

describe('ResourceQuota admission', () => {
  it('charges covering quotas and refuses what would exceed one, with upstream message', () => {
    const q = quota('compute', { pods: '2', 'requests.cpu': '1' }, { pods: '1', 'requests.cpu': '500m' });
    const [charged] = chargeQuotas(PODS, pod('p2', { requests: { cpu: '250m' } }), [q], NOW);
    assert.deepEqual(charged!.status, { hard: { pods: '2', 'requests.cpu': '1' }, used: { pods: '2', 'requests.cpu': '750m' } });
    assert.equal(charged!.metadata?.resourceVersion, '10', 'the caller compares against the version read');
    const err = refusal(() => chargeQuotas(PODS, pod('p3', { requests: { cpu: '100m' } }), [charged!], NOW));
    assert.equal(err.message, 'pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
    const cpu = refusal(() => chargeQuotas(PODS, pod('big', { requests: { cpu: '600m' } }), [q], NOW));
    assert.equal(cpu.message, 'pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1');
  });

  it('makes containers state what a compute quota tracks', () => {
    const q = quota('compute', { 'limits.cpu': '2', 'limits.memory': '1Gi', pods: '5' }, { 'limits.cpu': '0', 'limits.memory': '0', pods: '0' });
    const err = refusal(() => chargeQuotas(PODS, pod('p', { limits: { cpu: '1' } }), [q], NOW));
    assert.equal(err.message, 'pods "p" is forbidden: failed quota: compute: must specify limits.memory for: app');
    const both = refusal(() => chargeQuotas(PODS, pod('p'), [q], NOW));
    assert.equal(both.message, 'pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app');
  });

  it('refuses while a covering quota has no usage yet, and ignores quotas not yet synced or not covering', () => {
    const q = quota('fresh', { pods: '5' }, {});
    assert.equal(refusal(() => chargeQuotas(PODS, pod('p'), [q], NOW)).message, 'pods "p" is forbidden: status unknown for quota: fresh, resources: pods');
    assert.deepEqual(chargeQuotas(PODS, pod('p'), [quota('unsynced', { pods: '0' })], NOW), [], 'status.hard is empty until the controller syncs');
    assert.deepEqual(chargeQuotas(PODS, pod('p'), [quota('svc', { services: '1' }, { services: '1' })], NOW), []);
    const scoped = quota('terminating', { pods: '0' }, { pods: '0' }, { scopes: ['Terminating'] });
    assert.deepEqual(chargeQuotas(PODS, pod('p'), [scoped], NOW), [], 'a pod without activeDeadlineSeconds is not in the Terminating scope');
  });

  it('counts any resource by count/<resource>.<group>', () => {
    const q = quota('objects', { 'count/deployments.apps': '1', configmaps: '1' }, { 'count/deployments.apps': '1', configmaps: '0' });
    const err = refusal(() => chargeQuotas({ group: 'apps', plural: 'deployments' }, { metadata: { name: 'web' } }, [q], NOW));
    assert.equal(err.message, 'deployments.apps "web" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    assert.equal(chargeQuotas({ group: '', plural: 'configmaps' }, { metadata: { name: 'c' } }, [q], NOW).length, 1);
  });
});

describe('ResourceQuota admission in the registry store', () => {
  it('charges the quota in the write that stores the object: concurrent creates never exceed it', async () => {
    const ts = await tempStore();
    const registry = builtinRegistry();
    const rs = new RegistryStore({ store: ts.store, registry });
    try {
      await rs.start();
      const d = (plural: string) => registry.descriptors.find((x) => x.plural === plural && x.group === '' && x.version === 'v1')!;
      await rs.create(d('namespaces'), undefined, { metadata: { name: 'ns' } });
      await rs.create(d('resourcequotas'), 'ns', { metadata: { name: 'q' }, spec: { hard: { pods: '3' } } });
      // What the quota controller writes first.
      await rs.updateWith(d('resourcequotas'), 'ns', 'q', (cur) => ({ ...cur!, status: { hard: { pods: '3' }, used: { pods: '0' } } }), { subresource: 'status' });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => rs.create(d('pods'), 'ns', { metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })),
      );
      const admitted = results.filter((r) => r.status === 'fulfilled');
      assert.equal(admitted.length, 3);
      for (const r of results) {
        if (r.status === 'rejected') assert.match((r.reason as Error).message, /exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3$/);
      }
      const q = await rs.get(d('resourcequotas'), 'ns', 'q');
      assert.deepEqual(q.status, { hard: { pods: '3' }, used: { pods: '3' } });
      // A dry run is checked, not charged.
      await assert.rejects(rs.create(d('pods'), 'ns', { metadata: { name: 'dry' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, { dryRun: true }), /exceeded quota/);
    } finally {
      await rs.close();
      await ts.dispose();
    }
  });
});

describe('DefaultStorageClass admission', () => {
  const sc = (name: string, isDefault: boolean, created: string): KubeObject => ({
    metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
  });

  it('gives a claim without class the newest default class', () => {
    const classes = [sc('old', true, '2024-01-01T00:00:00Z'), sc('new', true, '2024-02-01T00:00:00Z'), sc('other', false, '2024-03-01T00:00:00Z')];
    assert.equal(defaultClassName(classes), 'new');
    const pvc: KubeObject = { spec: {} };
    admitClaimStorageClass(pvc, classes);
    assert.equal((pvc.spec as { storageClassName?: string }).storageClassName, 'new');
  });

  it('leaves explicit classes, the empty class and the beta annotation alone', () => {
    const classes = [sc('std', true, '2024-01-01T00:00:00Z')];
    for (const pvc of [{ spec: { storageClassName: '' } }, { spec: { storageClassName: 'fast' } }, { metadata: { annotations: { 'volume.beta.kubernetes.io/storage-class': 'x' } }, spec: {} }] as KubeObject[]) {
      const before = structuredClone(pvc);
      admitClaimStorageClass(pvc, classes);
      assert.deepEqual(pvc, before);
    }
    const none: KubeObject = { spec: {} };
    admitClaimStorageClass(none, [sc('plain', false, '2024-01-01T00:00:00Z')]);
    assert.deepEqual(none.spec, {});
  });
});
