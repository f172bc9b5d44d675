import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIncludeObject, partialObjectMetadataList, tableColumns, toTable } from './table.ts';
import { configMapDescriptor, deploymentDescriptor } from './openapi/testing-registry.ts';
import type { KubeObject } from './registry/descriptor.ts';

const now = new Date('2024-01-01T00:10:00Z');
const dep = (name: string, ready: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default', resourceVersion: '7', creationTimestamp: '2024-01-01T00:09:00Z', labels: { app: name } },
  spec: { replicas: 2 },
  status: { readyReplicas: ready },
});

test('columns: Name first, then the printer columns with their priorities', () => {
  const cols = tableColumns(deploymentDescriptor);
  assert.deepEqual(cols[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: cols[0]!.description,
    priority: 0,
  });
  assert.match(cols[0]!.description, /^Name must be unique within a namespace/);
  assert.deepEqual(
    cols.map((c) => [c.name, c.priority, c.format]),
    [
      ['Name', 0, 'name'],
      ['Ready', 0, ''],
      ['Age', 0, ''],
      ['Containers', 1, ''],
    ],
  );
});

test('rows carry cells and PartialObjectMetadata; list metadata passes through', () => {
  const t = toTable(deploymentDescriptor, [dep('a', 1), dep('b', 2)], { now, listMeta: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 } });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
  assert.deepEqual(t.rows[0]!.cells, ['a', '1/2', '60s', 'nginx']);
  assert.deepEqual(t.rows[1]!.cells, ['b', '2/2', '60s', 'nginx']);
  assert.deepEqual(t.rows[0]!.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: dep('a', 1).metadata,
  });
});

test('includeObject, v1beta1, noHeaders', () => {
  const full = toTable(deploymentDescriptor, [dep('a', 1)], { now, includeObject: 'Object' });
  assert.deepEqual(full.rows[0]!.object, dep('a', 1));
  const none = toTable(deploymentDescriptor, [dep('a', 1)], { now, includeObject: 'None' });
  assert.equal(none.rows[0]!.object, null);
  const beta = toTable(deploymentDescriptor, [dep('a', 1)], { now, version: 'v1beta1', noHeaders: true });
  assert.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal((beta.rows[0]!.object as KubeObject).apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal(beta.columnDefinitions, null);
  assert.deepEqual(toTable(deploymentDescriptor, [], {}).metadata, {});
  assert.equal(parseIncludeObject('Object'), 'Object');
  assert.equal(parseIncludeObject(''), undefined);
  assert.throws(() => parseIncludeObject('All'), { message: 'unrecognized includeObject value: "All"' });
});

test('resources without printer columns get upstream default columns', () => {
  const cm: KubeObject = { metadata: { name: 'c', creationTimestamp: '2024-01-01T00:00:00.000Z' } };
  const t = toTable(configMapDescriptor, [cm], { now });
  assert.deepEqual(
    t.columnDefinitions!.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Created At', 'date'],
    ],
  );
  assert.deepEqual(t.rows[0]!.cells, ['c', '2024-01-01T00:00:00Z']);
});

test('a printer column with format name places NAME itself (events)', () => {
  const events = {
    ...configMapDescriptor,
    printerColumns: [
      { name: 'Reason', type: 'string' as const, description: 'reason', priority: 0 as const, cell: (o: KubeObject) => String(o.reason) },
      { name: 'Name', type: 'string' as const, format: 'name', description: 'name', priority: 1 as const, cell: (o: KubeObject) => `${o.metadata?.name} (shown)` },
    ],
  };
  const t = toTable(events, [{ metadata: { name: 'ev.1' }, reason: 'Started' }], { now });
  assert.deepEqual(
    t.columnDefinitions!.map((c) => [c.name, c.format, c.priority]),
    [
      ['Reason', '', 0],
      ['Name', 'name', 1],
    ],
  );
  assert.deepEqual(t.rows[0]!.cells, ['Started', 'ev.1 (shown)'], 'the column renders the name (e.g. a default StorageClass adds "(default)")');
});

test('PartialObjectMetadataList', () => {
  const l = partialObjectMetadataList([dep('a', 1)], { resourceVersion: '9' });
  assert.equal(l.kind, 'PartialObjectMetadataList');
  assert.deepEqual(l.metadata, { resourceVersion: '9' });
  assert.equal((l.items as KubeObject[])[0]!.kind, 'PartialObjectMetadata');
});
