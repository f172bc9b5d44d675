// rbac.authorization.k8s.io/v1 ClusterRole: rules may name non-resource URLs; an aggregation rule
// needs at least one selector. No printer upstream (NAME, CREATED AT).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { goLabelSelector, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, isObj } from '../group-helpers/object.ts';
import { selectorConverts, validateLabelSelector } from '../group-helpers/selectors.ts';
import { validatePolicyRules } from './common.ts';

function validateClusterRole(obj: KubeObject): FieldError[] {
  const errs = validatePolicyRules(obj, false);
  if (isObj(obj.aggregationRule)) {
    const selectors = asArr(obj.aggregationRule.clusterRoleSelectors);
    if (selectors.length === 0) {
      errs.push(fieldErrors.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    }
    selectors.forEach((s, i) => {
      const p = `aggregationRule.clusterRoleSelectors[${i}]`;
      errs.push(...validateLabelSelector(s, p));
      if (!selectorConverts(s)) errs.push(invalidRendered(p, goLabelSelector(s), 'invalid label selector.'));
    });
  }
  return errs;
}

export const clusterRoleStrategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: validateClusterRole,
  validateUpdate: (obj) => validateClusterRole(obj),
};

export const clusterroles: ResourceDescriptor = resource({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  nameFormat: 'pathSegment',
  model: 'V1ClusterRole',
  printerColumns: [],
  strategy: clusterRoleStrategy,
  storageResource: 'clusterroles',
});
