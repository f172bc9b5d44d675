// A small registry for unit tests of the OpenAPI documents, the Table conversion and the
// strategic merge patch, independent of the real descriptors in api/resources/.
import type { KubeObject, ResourceDescriptor, Strategy } from '../registry/descriptor.ts';
import { Registry } from '../registry/registry.ts';

const noStrategy: Strategy = {
  defaults: () => {},
  validate: () => [],
  validateUpdate: () => [],
  tracksGeneration: false,
};

const age = (obj: KubeObject, now: Date) => {
  const t = obj.metadata?.creationTimestamp;
  if (!t) return '<unknown>';
  const s = Math.floor((now.getTime() - Date.parse(t)) / 1000);
  return s < 120 ? `${s}s` : `${Math.floor(s / 60)}m`;
};

export function testDescriptor(over: Partial<ResourceDescriptor> & Pick<ResourceDescriptor, 'group' | 'version' | 'kind' | 'plural' | 'model'>): ResourceDescriptor {
  return {
    listKind: `${over.kind}List`,
    singular: over.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    namespaced: true,
    nameFormat: 'dns1123Subdomain',
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
    subresources: {},
    printerColumns: [],
    fieldSelectors: {},
    strategy: noStrategy,
    storageResource: over.plural,
    ...over,
  };
}

export const deploymentDescriptor = testDescriptor({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  model: 'V1Deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: {
    status: true,
    scale: {
      specReplicasPath: 'spec.replicas',
      statusReplicasPath: 'status.replicas',
      labelSelector: () => '',
    },
  },
  printerColumns: [
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      priority: 0,
      cell: (o) => {
        const spec = o.spec as { replicas?: number } | undefined;
        const status = o.status as { readyReplicas?: number } | undefined;
        return `${status?.readyReplicas ?? 0}/${spec?.replicas ?? 0}`;
      },
    },
    { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0, cell: age },
    { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1, cell: () => 'nginx' },
  ],
});

export const podDescriptor = testDescriptor({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  model: 'V1Pod',
  shortNames: ['po'],
  subresources: { status: true, binding: true, eviction: true, log: true, exec: true, attach: true, portforward: true, proxy: true, ephemeralcontainers: true },
  fieldSelectors: { 'status.phase': (o) => String((o.status as { phase?: string } | undefined)?.phase ?? '') },
});

export const nodeDescriptor = testDescriptor({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  model: 'V1Node',
  namespaced: false,
  subresources: { status: true, proxy: true },
});

export const configMapDescriptor = testDescriptor({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', model: 'V1ConfigMap', shortNames: ['cm'] });

export const roleDescriptor = testDescriptor({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  model: 'V1ClusterRole',
  namespaced: false,
});

export function testRegistry(): Registry {
  return new Registry([podDescriptor, nodeDescriptor, configMapDescriptor, deploymentDescriptor, roleDescriptor]);
}
