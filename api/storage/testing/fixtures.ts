// Small descriptors for the registry store's and the server's tests, so that they do not
// depend on the real resource definitions (which have their own tests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { Registry } from '../../registry/registry.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { openMvccStore } from '../../../storage/mvcc/mvcc-store.ts';
import type { Store } from '../../../storage/store.ts';

const ALL_VERBS: ResourceDescriptor['verbs'] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function strategy(overrides: Partial<Strategy> = {}): Strategy {
  return {
    defaults: () => undefined,
    validate: () => [],
    validateUpdate: () => [],
    tracksGeneration: false,
    ...overrides,
  };
}

const age = { name: 'Age', type: 'date' as const, description: 'age', priority: 0 as const, cell: (o: KubeObject) => o.metadata?.creationTimestamp ?? null };

export const namespaces: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  categories: [],
  namespaced: false,
  nameFormat: 'dns1123Label',
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true, finalize: true },
  model: 'V1Namespace',
  printerColumns: [{ name: 'Status', type: 'string', description: 'phase', priority: 0, cell: (o) => (o.status as { phase?: string } | undefined)?.phase ?? '' }, age],
  fieldSelectors: { 'status.phase': (o) => (o.status as { phase?: string } | undefined)?.phase ?? '' },
  strategy: strategy({
    prepareForCreate(obj) {
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
    },
  }),
  storageResource: 'namespaces',
};

export const configmaps: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'V1ConfigMap',
  printerColumns: [{ name: 'Data', type: 'integer', description: 'data', priority: 0, cell: (o) => Object.keys((o.data as object) ?? {}).length }, age],
  fieldSelectors: {},
  strategy: strategy({
    validate(obj) {
      const data = obj.data as Record<string, unknown> | undefined;
      const errs = [];
      for (const k of Object.keys(data ?? {})) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k)) errs.push(fieldErrors.invalid(`data`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
      }
      return errs;
    },
    validateUpdate(obj) {
      return configmaps.strategy.validate(obj);
    },
  }),
  storageResource: 'configmaps',
};

export const pods: ResourceDescriptor = {
  ...configmaps,
  kind: 'Pod',
  listKind: 'PodList',
  plural: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  categories: ['all'],
  subresources: { status: true },
  model: 'V1Pod',
  printerColumns: [age],
  fieldSelectors: { 'spec.nodeName': (o) => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '' },
  strategy: strategy({
    prepareForCreate(obj) {
      obj.status = { phase: 'Pending' };
    },
    defaultGracePeriodSeconds(obj, requested) {
      const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
      if (!spec?.nodeName) return 0;
      return requested ?? spec.terminationGracePeriodSeconds ?? 30;
    },
  }),
  storageResource: 'pods',
};

export const deployments: ResourceDescriptor = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {
    status: true,
    scale: {
      specReplicasPath: 'spec.replicas',
      statusReplicasPath: 'status.replicas',
      labelSelector: (o) =>
        Object.entries(((o.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels) ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    },
  },
  model: 'V1Deployment',
  printerColumns: [age],
  fieldSelectors: {},
  strategy: strategy({
    tracksGeneration: true,
    defaults(obj) {
      const spec = (obj.spec ??= {}) as { replicas?: number };
      if (spec.replicas === undefined) spec.replicas = 1;
    },
    prepareForCreate(obj) {
      delete obj.status;
    },
    validate(obj) {
      const r = (obj.spec as { replicas?: number } | undefined)?.replicas;
      return typeof r === 'number' && r < 0 ? [fieldErrors.invalid('spec.replicas', r, 'must be greater than or equal to 0')] : [];
    },
    validateUpdate(obj) {
      return deployments.strategy.validate(obj);
    },
  }),
  storageResource: 'deployments',
};

/** A resource served in two versions: v1 stores `spec.size`, v2 serves it as `spec.replicas`. */
export const widgetsV1: ResourceDescriptor = {
  ...configmaps,
  group: 'example.k8ts.io',
  version: 'v1',
  kind: 'Widget',
  listKind: 'WidgetList',
  plural: 'widgets',
  singular: 'widget',
  shortNames: [],
  namespaced: false,
  model: 'Widget',
  strategy: strategy(),
  storageResource: 'widgets',
};

export const widgetsV2: ResourceDescriptor = {
  ...widgetsV1,
  version: 'v2',
  conversion: {
    storageVersion: 'v1',
    toStorage(obj) {
      const { replicas, ...spec } = (obj.spec ?? {}) as { replicas?: number };
      return { ...obj, apiVersion: 'example.k8ts.io/v1', spec: { ...spec, size: replicas } };
    },
    fromStorage(obj) {
      const { size, ...spec } = (obj.spec ?? {}) as { size?: number };
      return { ...obj, apiVersion: 'example.k8ts.io/v2', spec: { ...spec, replicas: size } };
    },
  },
};

export function testRegistry(): Registry {
  return new Registry([namespaces, configmaps, pods, deployments, widgetsV1, widgetsV2]);
}

export interface TempStore {
  store: Store;
  dir: string;
  dispose(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-test-'));
  const store = await openMvccStore({ dir: join(dir, 'store') });
  return {
    store,
    dir,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
