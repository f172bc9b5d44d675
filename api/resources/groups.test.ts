import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from '../registry/registry.ts';
import { groupResources } from './groups.ts';

const require = createRequire(import.meta.url);
const modelsDir = join(dirname(require.resolve('@kubernetes/client-node/package.json')), 'dist', 'gen', 'models');

describe('named-group resources', () => {
  it('registers every resource once, in upstream group order', () => {
    const registry = new Registry(groupResources);
    assert.deepEqual(
      registry.groupVersions().map((g) => `${g.group}/${g.version}`),
      [
        'apps/v1',
        'events.k8s.io/v1',
        'authentication.k8s.io/v1',
        'autoscaling/v2',
        'autoscaling/v1',
        'batch/v1',
        'networking.k8s.io/v1',
        'policy/v1',
        'rbac.authorization.k8s.io/v1',
        'storage.k8s.io/v1',
        'scheduling.k8s.io/v1',
        'coordination.k8s.io/v1',
        'node.k8s.io/v1',
        'discovery.k8s.io/v1',
      ],
    );
    assert.equal(groupResources.length, 28);
  });

  it('names a client-node model that exists for every kind', () => {
    for (const d of groupResources) assert.ok(existsSync(join(modelsDir, `${d.model}.d.ts`)), `${d.plural}: ${d.model}`);
  });

  it('puts `all` exactly on the workloads upstream lists', () => {
    const all = groupResources.filter((d) => d.categories.includes('all')).map((d) => `${d.plural}.${d.version}`);
    assert.deepEqual(all.sort(), [
      'cronjobs.v1',
      'daemonsets.v1',
      'deployments.v1',
      'horizontalpodautoscalers.v1',
      'horizontalpodautoscalers.v2',
      'jobs.v1',
      'replicasets.v1',
      'statefulsets.v1',
    ]);
  });

  it('has a scale subresource on deployments, replicasets and statefulsets only', () => {
    assert.deepEqual(groupResources.filter((d) => d.subresources.scale).map((d) => d.plural), ['deployments', 'replicasets', 'statefulsets']);
  });

  it('keeps only one version per stored resource without a conversion', () => {
    const byStorage = new Map<string, number>();
    for (const d of groupResources) if (!d.conversion) byStorage.set(`${d.group}/${d.storageResource}`, (byStorage.get(`${d.group}/${d.storageResource}`) ?? 0) + 1);
    for (const [k, n] of byStorage) assert.equal(n, 1, k);
  });
});
