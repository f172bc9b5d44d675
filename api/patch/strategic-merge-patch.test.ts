import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';
import { ApiError } from '../errors.ts';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    labels: { app: 'web', tier: 'fe' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    finalizers: ['a.example.com/x', 'b.example.com/y'],
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'nginx:1',
            args: ['--x', '--y'],
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 443, protocol: 'TCP' },
            ],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'sidecar', image: 'busybox' },
        ],
        tolerations: [{ key: 'k', operator: 'Exists' }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

type Obj = ReturnType<typeof deployment>;
const smp = (orig: unknown, patch: unknown) => applyStrategicMergePatch(orig, patch, 'V1Deployment') as unknown as Obj;

test('the patch kubectl apply sends updates one container in place', () => {
  const orig = deployment();
  const out = smp(orig, {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }, { name: 'sidecar' }],
          containers: [{ image: 'nginx:2', name: 'a' }],
        },
      },
    },
  });
  const cs = out.spec.template.spec.containers;
  assert.deepEqual(
    cs.map((c) => c.name),
    ['a', 'sidecar'],
  );
  assert.equal(cs[0]!.image, 'nginx:2');
  assert.equal(cs[0]!.ports!.length, 2, 'fields not in the patch are kept');
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"new":true}');
  assert.equal(out.metadata.labels.tier, 'fe');
  assert.equal(orig.spec.template.spec.containers[0]!.image, 'nginx:1', 'input not modified');
  assert.ok(!('$setElementOrder/containers' in out.spec.template.spec), 'directive removed');
});

test('containers merge by name: new ones are added, $setElementOrder decides the order', () => {
  const out = smp(deployment(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'init' }, { name: 'a' }, { name: 'sidecar' }],
          containers: [{ name: 'init', image: 'alpine' }],
        },
      },
    },
  });
  assert.deepEqual(
    out.spec.template.spec.containers.map((c) => c.name),
    ['init', 'a', 'sidecar'],
  );
  const appended = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'new', image: 'x' }] } } } });
  assert.deepEqual(
    appended.spec.template.spec.containers.map((c) => c.name),
    ['new', 'a', 'sidecar'],
    'without $setElementOrder patch items come first (upstream mergeSortedSlice)',
  );
});

test('$patch: delete removes a list item by merge key; $patch: replace replaces the list', () => {
  const del = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
  assert.deepEqual(
    del.spec.template.spec.containers.map((c) => c.name),
    ['a'],
  );
  const rep = smp(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } });
  assert.deepEqual(rep.spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
});

test('$patch on maps: replace and delete', () => {
  const rep = smp(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } });
  assert.deepEqual(rep.metadata.labels, { only: 'this' });
  const del = smp(deployment(), { spec: { selector: { $patch: 'delete' } } });
  assert.deepEqual(del.spec.selector, {});
  assert.throws(
    () => smp(deployment(), { metadata: { labels: { $patch: 'bogus' } } }),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'unknown patch type: bogus in map: map[$patch:bogus]',
  );
});

test('null deletes; maps merge key by key; nested lists merge by their own keys', () => {
  const out = smp(deployment(), {
    metadata: { labels: { tier: null, new: 'x' } },
    spec: {
      replicas: null,
      template: {
        spec: {
          containers: [
            {
              name: 'a',
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              env: [
                { name: 'B', value: 'two' },
                { name: 'C', value: '3' },
              ],
            },
          ],
        },
      },
    },
  });
  assert.deepEqual(out.metadata.labels, { app: 'web', new: 'x' });
  assert.equal((out.spec as { replicas?: number }).replicas, undefined);
  const a = out.spec.template.spec.containers.find((c) => c.name === 'a')!;
  assert.deepEqual(
    a.ports!.map((p) => p.containerPort),
    [8080, 80, 443],
  );
  // Server-only A stays before B because the live order puts it there (mergeSortedSlice).
  assert.deepEqual(a.env, [
    { name: 'A', value: '1' },
    { name: 'B', value: 'two' },
    { name: 'C', value: '3' },
  ]);
  assert.deepEqual(a.args, ['--x', '--y'], 'untouched');
});

test('lists without merge strategy are replaced (args, tolerations)', () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { tolerations: [{ key: 'other', operator: 'Exists' }], containers: [{ name: 'a', args: ['--z'] }] } } },
  });
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'other', operator: 'Exists' }]);
  assert.deepEqual(out.spec.template.spec.containers[0]!.args, ['--z']);
});

test('primitive merge lists: finalizers union and $deleteFromPrimitiveList', () => {
  const add = smp(deployment(), { metadata: { finalizers: ['c.example.com/z', 'a.example.com/x'] } });
  assert.deepEqual(add.metadata.finalizers, ['c.example.com/z', 'a.example.com/x', 'b.example.com/y']);
  const del = smp(deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/x'] } });
  assert.deepEqual(del.metadata.finalizers, ['b.example.com/y']);
  const ordered = smp(deployment(), {
    metadata: { '$setElementOrder/finalizers': ['b.example.com/y', 'a.example.com/x'] },
  });
  assert.deepEqual(ordered.metadata.finalizers, ['b.example.com/y', 'a.example.com/x']);
});

test('$retainKeys clears the fields it does not list (strategy switch to Recreate)', () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  assert.throws(
    () => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } }),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'invalid patch format of retainKeys',
  );
  assert.throws(
    () => smp(deployment(), { spec: { strategy: { $retainKeys: 'type' } } }),
    (e: unknown) => e instanceof ApiError && e.code === 400,
  );
});

test('volumes merge by name', () => {
  const out = smp(deployment(), { spec: { template: { spec: { volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'data', emptyDir: { medium: 'Memory' } }] } } } });
  assert.deepEqual(out.spec.template.spec.volumes, [
    { name: 'cfg', configMap: { name: 'c' } },
    { name: 'data', emptyDir: { medium: 'Memory' } },
  ]);
});

test('errors: missing merge key, wrong patch type', () => {
  assert.throws(
    () => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'map: map[image:x] does not contain declared merge key: name',
  );
  assert.throws(
    () => applyStrategicMergePatch(deployment(), [{ op: 'add' }], 'V1Deployment'),
    (e: unknown) => e instanceof ApiError && e.code === 400 && /cannot unmarshal array/.test(e.message),
  );
  assert.throws(
    () => smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'merge' }] } } } }),
    /merging lists cannot yet be specified in the patch/,
  );
});

test('other kinds: service ports by port, ownerReferences by uid, pod conditions by type', () => {
  const svc = { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443 }] } };
  const s = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, 'V1Service') as { spec: { ports: unknown[] } };
  assert.deepEqual(s.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443 }]);

  const owned = { metadata: { ownerReferences: [{ uid: '1', name: 'a', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] } };
  const o = applyStrategicMergePatch(owned, { metadata: { ownerReferences: [{ uid: '2', name: 'b', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] } }, 'V1Pod') as {
    metadata: { ownerReferences: { uid: string }[] };
  };
  assert.deepEqual(
    o.metadata.ownerReferences.map((r) => r.uid),
    ['2', '1'],
  );

  const pod = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] } };
  const p = applyStrategicMergePatch(pod, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'V1Pod') as {
    status: { conditions: { type: string; status: string }[] };
  };
  assert.deepEqual(p.status.conditions, [
    { type: 'Ready', status: 'True' },
    { type: 'Initialized', status: 'True' },
  ]);
});

test('new subtrees are taken as they are, without their nulls', () => {
  const out = applyStrategicMergePatch({ metadata: { name: 'x' } }, { metadata: { labels: { a: 'b', c: null } }, data: { k: 'v' } }, 'V1ConfigMap');
  assert.deepEqual(out, { metadata: { name: 'x', labels: { a: 'b' } }, data: { k: 'v' } });
});
