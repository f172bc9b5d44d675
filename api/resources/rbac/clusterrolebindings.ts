// rbac.authorization.k8s.io/v1 ClusterRoleBinding: roleRef is a ClusterRole and cannot change;
// service account subjects need a namespace.
import type { ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { bindingColumns, defaultBinding, roleRefImmutable, validateBinding } from './common.ts';

export const clusterRoleBindingStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => [...validateBinding(obj, false), ...roleRefImmutable(obj, old)],
};

export const clusterrolebindings: ResourceDescriptor = resource({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  nameFormat: 'pathSegment',
  model: 'V1ClusterRoleBinding',
  printerColumns: bindingColumns('clusterRoleBinding'),
  strategy: clusterRoleBindingStrategy,
  storageResource: 'clusterrolebindings',
});
