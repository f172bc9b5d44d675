// rbac.authorization.k8s.io/v1 RoleBinding: roleRef (Role or ClusterRole) cannot change.
import type { ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { bindingColumns, defaultBinding, roleRefImmutable, validateBinding } from './common.ts';

export const roleBindingStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => [...validateBinding(obj, true), ...roleRefImmutable(obj, old)],
};

export const rolebindings: ResourceDescriptor = resource({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  nameFormat: 'pathSegment',
  model: 'V1RoleBinding',
  printerColumns: bindingColumns('roleBinding'),
  strategy: roleBindingStrategy,
  storageResource: 'rolebindings',
});
