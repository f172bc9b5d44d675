import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { applyConfiguration, LAST_APPLIED_ANNOTATION, managerIdentifier, updateManagedFields, type ManagedFieldsEntry } from './managed-fields.ts';

const deployments = { group: 'apps', version: 'v1', kind: 'Deployment', model: 'V1Deployment', hasStatus: true };
const configmaps = { group: '', version: 'v1', kind: 'ConfigMap', model: 'V1ConfigMap', hasStatus: false };
const t0 = new Date('2024-05-01T10:00:00.123Z');
const t1 = new Date('2024-05-01T10:05:00Z');

function deployment(replicas = 2, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      ...extra,
    },
  };
}

/** The object as stored: system metadata and the managedFields. */
function stored(obj: KubeObject, managedFields: ManagedFieldsEntry[] | undefined): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata = { ...copy.metadata, uid: 'u1', resourceVersion: '5', creationTimestamp: '2024-05-01T09:00:00Z', managedFields };
  return copy;
}

function byManager(entries: ManagedFieldsEntry[] | undefined): Record<string, ManagedFieldsEntry> {
  return Object.fromEntries((entries ?? []).map((e) => [`${e.manager}/${e.operation}${e.subresource ? '/' + e.subresource : ''}`, e]));
}

function applyError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected an error');
}

describe('managedFields of Update operations', () => {
  it('a create records everything the creator set, with `.` for added maps and items', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', labels: { a: 'b' } }, data: { k: 'v' } };
    const mf = updateManagedFields(configmaps, undefined, cm, { manager: 'kubectl-create', now: t0 });
    assert.deepEqual(mf, [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:k': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } },
      },
    ]);
  });

  it('value structs of the Go types are never "added" (spec, template, strategy)', () => {
    const obj = deployment(2, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } });
    const mf = updateManagedFields(deployments, undefined, obj, { manager: 'kubectl-create', now: t0 })!;
    assert.deepEqual(mf[0]!.fieldsV1, {
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} } } },
        },
      },
    });
  });

  it('an update adds what changed to its manager and takes it from the others', () => {
    const live = stored(deployment(2), updateManagedFields(deployments, undefined, deployment(2), { manager: 'kubectl-create', now: t0 }));
    const next = structuredClone(live);
    (next.spec as { replicas: number }).replicas = 5;
    next.metadata!.labels = { tier: 'web' };
    const mf = byManager(updateManagedFields(deployments, live, next, { manager: 'kubectl-edit', now: t1 }));
    assert.deepEqual(mf['kubectl-edit/Update']!.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:tier': {} } }, 'f:spec': { 'f:replicas': {} } });
    assert.equal(mf['kubectl-edit/Update']!.time, '2024-05-01T10:05:00Z');
    assert.equal((mf['kubectl-create/Update']!.fieldsV1!['f:spec'] as Record<string, unknown>)['f:replicas'], undefined);
    assert.equal(mf['kubectl-create/Update']!.time, '2024-05-01T10:00:00Z', 'the other manager keeps its time');
  });

  it('an update that changes nothing keeps the entries and times', () => {
    const live = stored(deployment(), updateManagedFields(deployments, undefined, deployment(), { manager: 'kubectl-create', now: t0 }));
    assert.deepEqual(updateManagedFields(deployments, live, structuredClone(live), { manager: 'kubectl-edit', now: t1 }), live.metadata!.managedFields);
  });

  it('status and scale writes get their own entries; the main resource never owns status', () => {
    const live = stored(deployment(), updateManagedFields(deployments, undefined, { ...deployment(), status: { replicas: 9 } }, { manager: 'kubectl-create', now: t0 }));
    assert.equal(JSON.stringify(live.metadata!.managedFields).includes('f:status'), false);
    const withStatus = { ...structuredClone(live), status: { replicas: 2 } };
    const afterStatus = updateManagedFields(deployments, live, withStatus, { manager: 'kube-controller-manager', subresource: 'status', now: t1 });
    const status = byManager(afterStatus)['kube-controller-manager/Update/status']!;
    assert.deepEqual(status.fieldsV1, { 'f:status': { 'f:replicas': {} } });
    const scaled = structuredClone(live);
    (scaled.spec as { replicas: number }).replicas = 7;
    const scale = byManager(updateManagedFields(deployments, live, scaled, { manager: 'kubectl', subresource: 'scale', now: t1 }))['kubectl/Update/scale']!;
    assert.deepEqual(scale, { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2024-05-01T10:05:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' });
  });

  it('an object never tracked stays untracked; a request may reset or replace the entries', () => {
    const live = stored(deployment(), undefined);
    assert.equal(updateManagedFields(deployments, live, deployment(3), { manager: 'x', now: t1 }), undefined);
    const tracked = stored(deployment(), updateManagedFields(deployments, undefined, deployment(), { manager: 'a', now: t0 }));
    const reset = { ...structuredClone(tracked), metadata: { ...tracked.metadata, managedFields: [] } };
    assert.equal(updateManagedFields(deployments, tracked, reset, { manager: 'x', now: t1 }), undefined);
    const mine = [{ manager: 'mine', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    const replaced = { ...structuredClone(tracked), metadata: { ...tracked.metadata, managedFields: mine } };
    assert.deepEqual(updateManagedFields(deployments, tracked, replaced, { manager: 'x', now: t1 }), mine);
    const invalid = { ...structuredClone(tracked), metadata: { ...tracked.metadata, managedFields: [{ manager: 'm', operation: 'Bogus' }] } };
    assert.deepEqual(updateManagedFields(deployments, tracked, invalid, { manager: 'x', now: t1 }), tracked.metadata!.managedFields, 'invalid entries: the live ones stay');
  });

  it('sorts Apply before Update, then by time and manager', () => {
    const entries = [
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:02Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } } },
      { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:02Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
      { manager: 'z', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:z': {} } } },
    ];
    const live: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u', managedFields: entries }, data: { a: '1', b: '1', z: '1' } };
    const next = { ...structuredClone(live), data: { a: '1', b: '1', z: '1', c: '1' } };
    const mf = updateManagedFields(configmaps, live, next, { manager: 'c', now: new Date('2024-01-01T00:00:01Z') })!;
    assert.deepEqual(mf.map((e) => e.manager), ['z', 'c', 'a', 'b']);
  });

  it('keeps at most ten Update entries, merging the oldest into ancient-changes', () => {
    let live: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' }, data: {} };
    live.metadata!.managedFields = updateManagedFields(configmaps, undefined, live, { manager: 'm0', now: new Date(Date.UTC(2024, 0, 1)) });
    for (let i = 1; i <= 12; i++) {
      const next = { ...structuredClone(live), data: { ...(live.data as object), [`k${i}`]: 'v' } };
      next.metadata!.managedFields = updateManagedFields(configmaps, live, next, { manager: `m${i}`, now: new Date(Date.UTC(2024, 0, 1, 0, i)) });
      live = next;
    }
    const managers = live.metadata!.managedFields!.map((e) => (e as ManagedFieldsEntry).manager);
    assert.equal(managers.length, 10);
    assert.equal(managers[0], 'ancient-changes');
    assert.deepEqual(managers.slice(1), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12']);
    // m0 (which created the empty data map) to m3 are merged, at the time of the newest of them.
    const bucket = live.metadata!.managedFields![0] as ManagedFieldsEntry;
    assert.deepEqual(bucket.fieldsV1, { 'f:data': { '.': {}, 'f:k1': {}, 'f:k2': {}, 'f:k3': {} } });
    assert.equal(bucket.time, '2024-01-01T00:03:00Z');
  });
});

describe('server-side apply', () => {
  it('creates: the applier owns exactly its configuration', () => {
    const { object, changed } = applyConfiguration(deployments, undefined, deployment(), { manager: 'kubectl', force: false, now: t0 });
    assert.equal(changed, true);
    assert.deepEqual(object.spec, deployment().spec);
    assert.deepEqual(object.metadata!.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2024-05-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('applying the same configuration again changes nothing, time included', () => {
    const first = applyConfiguration(deployments, undefined, deployment(), { manager: 'kubectl', force: false, now: t0 }).object;
    const live = stored(first, first.metadata!.managedFields as ManagedFieldsEntry[]);
    const again = applyConfiguration(deployments, live, deployment(), { manager: 'kubectl', force: false, now: t1 });
    assert.equal(again.changed, false);
    assert.deepEqual(again.object, live);
  });

  it('conflicts with a field another manager set, with upstream’s message; force takes it', () => {
    const created = stored(deployment(2), updateManagedFields(deployments, undefined, deployment(2), { manager: 'kubectl-client-side-apply', now: t0 }));
    const err = applyError(() => applyConfiguration(deployments, created, deployment(3), { manager: 'ssa', force: false, now: t1 }));
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(err.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] });

    const forced = applyConfiguration(deployments, created, deployment(3), { manager: 'ssa', force: true, now: t1 }).object;
    assert.equal((forced.spec as { replicas: number }).replicas, 3);
    const mf = byManager(forced.metadata!.managedFields as ManagedFieldsEntry[]);
    assert.ok(JSON.stringify(mf['ssa/Apply']!.fieldsV1).includes('f:replicas'), 'JSON.stringify(mf[ssa/Apply]not .fieldsV1).includes(f:replicas)');
    assert.ok(!JSON.stringify(mf['kubectl-client-side-apply/Update']!.fieldsV1).includes('f:replicas'), 'not JSON.stringify(mf[kubectl-client-side-apply/Update]not .fieldsV1).');
  });

  it('applying the value another manager set shares the field without a conflict', () => {
    const created = stored(deployment(2), updateManagedFields(deployments, undefined, deployment(2), { manager: 'kubectl-create', now: t0 }));
    const shared = applyConfiguration(deployments, created, deployment(2), { manager: 'ssa', force: false, now: t1 }).object;
    const mf = byManager(shared.metadata!.managedFields as ManagedFieldsEntry[]);
    assert.ok(JSON.stringify(mf['ssa/Apply']!.fieldsV1).includes('f:replicas'), 'JSON.stringify(mf[ssa/Apply]not .fieldsV1).includes(f:replicas)');
    assert.ok(JSON.stringify(mf['kubectl-create/Update']!.fieldsV1).includes('f:replicas'), 'JSON.stringify(mf[kubectl-create/Update]not .fieldsV1).includes(f:repl');
  });

  it('lists several conflicts by manager', () => {
    const live = stored(deployment(2), [
      { manager: 'scaler', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' },
      { manager: 'other', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } } } } },
    ]);
    const config = deployment(4);
    (config.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image = 'nginx:2';
    const err = applyError(() => applyConfiguration(deployments, live, config, { manager: 'me', force: false, now: t1 }));
    assert.equal(
      err.message,
      'Apply failed with 2 conflicts: conflicts with "other":\n- .spec.template.spec.containers[name="nginx"].image\nconflicts with "scaler" with subresource "scale" using apps/v1:\n- .spec.replicas',
    );
  });

  it('removes what the applier no longer applies, unless another manager owns it', () => {
    const withExtras = deployment(2);
    withExtras.metadata!.labels = { a: '1', b: '2' };
    (withExtras.spec as { minReadySeconds?: number }).minReadySeconds = 5;
    let live = applyConfiguration(deployments, undefined, withExtras, { manager: 'kubectl', force: false, now: t0 }).object;
    live = stored(live, live.metadata!.managedFields as ManagedFieldsEntry[]);
    // Another manager takes over label b.
    const labeled = structuredClone(live);
    labeled.metadata!.labels = { a: '1', b: 'mine' };
    labeled.metadata!.managedFields = updateManagedFields(deployments, live, labeled, { manager: 'kubectl-label', now: t1 });
    const next = applyConfiguration(deployments, labeled, deployment(2), { manager: 'kubectl', force: false, now: t1 }).object;
    assert.deepEqual(next.metadata!.labels, { b: 'mine' });
    assert.equal((next.spec as { minReadySeconds?: number }).minReadySeconds, undefined);
    const mf = byManager(next.metadata!.managedFields as ManagedFieldsEntry[]);
    assert.equal(mf['kubectl/Apply']!.fieldsV1!['f:metadata'], undefined, 'the applier no longer owns labels');
  });

  it('an object applied to for the first time keeps its fields under before-first-apply', () => {
    const live = stored(deployment(2, { paused: true }), undefined);
    const next = applyConfiguration(deployments, live, deployment(2), { manager: 'kubectl', force: false, now: t1 }).object;
    const mf = byManager(next.metadata!.managedFields as ManagedFieldsEntry[]);
    assert.ok(mf['before-first-apply/Update'], 'mf[before-first-apply/Update]');
    assert.ok(JSON.stringify(mf['before-first-apply/Update']!.fieldsV1).includes('f:paused'), 'JSON.stringify(mf[before-first-apply/Update]not .fieldsV1).includes(f:');
    assert.equal((next.spec as { paused?: boolean }).paused, true);
  });

  it('kubectl upgrading from client-side apply takes what the last-applied annotation matches', () => {
    const csa = deployment(2);
    const lastApplied = JSON.stringify(csa);
    csa.metadata!.annotations = { [LAST_APPLIED_ANNOTATION]: lastApplied };
    const live = stored(csa, updateManagedFields(deployments, undefined, csa, { manager: 'kubectl-client-side-apply', now: t0 }));
    const next = applyConfiguration(deployments, live, deployment(3), { manager: 'kubectl', force: false, now: t1 }).object;
    assert.equal((next.spec as { replicas: number }).replicas, 3);
    assert.deepEqual(JSON.parse(next.metadata!.annotations![LAST_APPLIED_ANNOTATION]!), deployment(3));
    // Another manager name gets the conflict.
    const err = applyError(() => applyConfiguration(deployments, live, deployment(3), { manager: 'other', force: false, now: t1 }));
    assert.equal(err.code, 409);
  });

  it('rejects another kind, managedFields in the configuration and undeclared fields', () => {
    const wrongKind = { ...deployment(), kind: 'StatefulSet' };
    assert.equal(applyError(() => applyConfiguration(deployments, undefined, wrongKind, { manager: 'm', force: false, now: t0 })).message, 'invalid object type: apps/v1, Kind=StatefulSet');
    const core = { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'web' } };
    assert.equal(applyError(() => applyConfiguration(deployments, undefined, core, { manager: 'm', force: false, now: t0 })).message, 'invalid object type: /v1, Kind=Deployment');
    const withMf = deployment();
    withMf.metadata!.managedFields = [];
    const mfErr = applyError(() => applyConfiguration(deployments, undefined, withMf, { manager: 'm', force: false, now: t0 }));
    assert.deepEqual([mfErr.code, mfErr.message], [400, 'metadata.managedFields must be nil']);
    const unknown = deployment(1, { foo: 'bar' });
    const typed = applyError(() => applyConfiguration(deployments, undefined, unknown, { manager: 'm', force: false, now: t0 }));
    assert.deepEqual([typed.code, typed.message], [500, 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema']);
  });

  it('records a subresource apply under the subresource and owns only status there', () => {
    const live = stored(deployment(), updateManagedFields(deployments, undefined, deployment(), { manager: 'kubectl-create', now: t0 }));
    const config = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 9 }, status: { replicas: 1 } };
    const next = applyConfiguration(deployments, live, config, { manager: 'ctrl', force: false, subresource: 'status', now: t1 }).object;
    const e = byManager(next.metadata!.managedFields as ManagedFieldsEntry[])['ctrl/Apply/status']!;
    assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:replicas': {} } });
    assert.equal(managerIdentifier(e), '{"manager":"ctrl","operation":"Apply","subresource":"status"}');
  });
});
