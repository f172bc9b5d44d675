// Shared rules of the rbac.authorization.k8s.io/v1 kinds (pkg/apis/rbac/validation, v1 defaults).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, PrinterColumn } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { goQuote, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, isObj } from '../group-helpers/object.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function validatePolicyRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  asArr(obj.rules).forEach((r, i) => {
    const rule = asObj(r);
    const p = `rules[${i}]`;
    if (asArr(rule.verbs).length === 0) errs.push(fieldErrors.required(`${p}.verbs`, 'verbs must contain at least one value'));
    const urls = asArr(rule.nonResourceURLs);
    if (urls.length > 0) {
      const rendered = `[]string{${urls.map((u) => goQuote(String(u))).join(', ')}}`;
      if (namespaced) errs.push(invalidRendered(`${p}.nonResourceURLs`, rendered, 'namespaced rules cannot apply to non-resource URLs'));
      if (asArr(rule.apiGroups).length > 0 || asArr(rule.resources).length > 0 || asArr(rule.resourceNames).length > 0) {
        errs.push(invalidRendered(`${p}.nonResourceURLs`, rendered, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (asArr(rule.apiGroups).length === 0) errs.push(fieldErrors.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
    if (asArr(rule.resources).length === 0) errs.push(fieldErrors.required(`${p}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

/** SetDefaults_RoleBinding / ClusterRoleBinding and SetDefaults_Subject. */
export function defaultBinding(obj: KubeObject): void {
  const roleRef = child(obj as Record<string, unknown>, 'roleRef');
  if (!roleRef.apiGroup) roleRef.apiGroup = RBAC_GROUP;
  for (const s of asArr(obj.subjects)) {
    if (!isObj(s) || s.apiGroup) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}

export function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const roleRef = asObj(obj.roleRef);
  if (roleRef.apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported('roleRef.apiGroup', roleRef.apiGroup ?? '', [RBAC_GROUP]));
  if (namespaced) {
    if (roleRef.kind !== 'Role' && roleRef.kind !== 'ClusterRole') errs.push(fieldErrors.notSupported('roleRef.kind', roleRef.kind ?? '', ['Role', 'ClusterRole']));
  } else if (roleRef.kind !== 'ClusterRole') {
    errs.push(fieldErrors.notSupported('roleRef.kind', roleRef.kind ?? '', ['ClusterRole']));
  }
  const name = typeof roleRef.name === 'string' ? roleRef.name : '';
  if (name.length === 0) errs.push(fieldErrors.required('roleRef.name'));
  else for (const msg of isValidPathSegmentName(name)) errs.push(fieldErrors.invalid('roleRef.name', name, msg));
  asArr(obj.subjects).forEach((s, i) => {
    const subject = asObj(s);
    const p = `subjects[${i}]`;
    const sname = typeof subject.name === 'string' ? subject.name : '';
    if (sname.length === 0) errs.push(fieldErrors.required(`${p}.name`));
    const apiGroup = typeof subject.apiGroup === 'string' ? subject.apiGroup : '';
    switch (subject.kind) {
      case 'ServiceAccount':
        if (sname.length > 0) for (const msg of isDNS1123Subdomain(sname)) errs.push(fieldErrors.invalid(`${p}.name`, sname, msg));
        if (apiGroup.length > 0) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, apiGroup, ['']));
        if (!namespaced && !subject.namespace) errs.push(fieldErrors.required(`${p}.namespace`));
        break;
      case 'User':
      case 'Group':
        if (apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, apiGroup, [RBAC_GROUP]));
        break;
      default:
        errs.push(fieldErrors.notSupported(`${p}.kind`, subject.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

/** roleRef may not change: `Invalid value: rbac.RoleRef{...}: cannot change roleRef`. */
export function roleRefImmutable(obj: KubeObject, old: KubeObject): FieldError[] {
  const n = asObj(obj.roleRef);
  const o = asObj(old.roleRef);
  if (n.apiGroup === o.apiGroup && n.kind === o.kind && n.name === o.name) return [];
  const rendered = `rbac.RoleRef{APIGroup:${goQuote(String(n.apiGroup ?? ''))}, Kind:${goQuote(String(n.kind ?? ''))}, Name:${goQuote(String(n.name ?? ''))}}`;
  return [invalidRendered('roleRef', rendered, 'cannot change roleRef')];
}

/** rbac.SubjectsStrings: users, groups and `namespace/name` service accounts. */
export function subjectsStrings(obj: KubeObject): { users: string[]; groups: string[]; sas: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of asArr(obj.subjects).map(asObj)) {
    const name = String(s.name ?? '');
    if (s.kind === 'ServiceAccount') sas.push(`${String(s.namespace ?? '')}/${name}`);
    else if (s.kind === 'User') users.push(name);
    else if (s.kind === 'Group') groups.push(name);
  }
  return { users, groups, sas };
}

export function bindingColumns(what: 'roleBinding' | 'clusterRoleBinding'): PrinterColumn[] {
  return [
    {
      name: 'Role',
      type: 'string',
      description:
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
      priority: 0,
      cell: (obj) => `${String(asObj(obj.roleRef).kind ?? '')}/${String(asObj(obj.roleRef).name ?? '')}`,
    },
    ageColumn(),
    { name: 'Users', type: 'string', description: `Users in the ${what}`, priority: 1, cell: (obj) => subjectsStrings(obj).users.join(', ') },
    { name: 'Groups', type: 'string', description: `Groups in the ${what}`, priority: 1, cell: (obj) => subjectsStrings(obj).groups.join(', ') },
    { name: 'ServiceAccounts', type: 'string', description: `ServiceAccounts in the ${what}`, priority: 1, cell: (obj) => subjectsStrings(obj).sas.join(', ') },
  ];
}
