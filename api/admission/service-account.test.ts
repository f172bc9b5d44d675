import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitServiceAccount } from './service-account.ts';

const pod = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } as Record<string, any> });

test('a pod without a service account runs as default; the deprecated field mirrors the name', () => {
  const p = pod({});
  admitServiceAccount(p);
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.equal(p.spec.serviceAccount, 'default');
  const named = pod({ serviceAccountName: 'builder' });
  admitServiceAccount(named);
  assert.deepEqual([named.spec.serviceAccountName, named.spec.serviceAccount], ['builder', 'builder']);
  const legacy = pod({ serviceAccount: 'old' });
  admitServiceAccount(legacy);
  assert.deepEqual([legacy.spec.serviceAccountName, legacy.spec.serviceAccount], ['old', 'old']);
});
