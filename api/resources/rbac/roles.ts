// rbac.authorization.k8s.io/v1 Role. No printer upstream: `kubectl get` shows NAME and CREATED AT.
import type { ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { validatePolicyRules } from './common.ts';

export const roleStrategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: (obj) => validatePolicyRules(obj, true),
  validateUpdate: (obj) => validatePolicyRules(obj, true),
};

export const roles: ResourceDescriptor = resource({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  nameFormat: 'pathSegment',
  model: 'V1Role',
  printerColumns: [],
  strategy: roleStrategy,
  storageResource: 'roles',
});
