import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../registry/descriptor.ts';
import { cells, clone, createErrors, meta } from '../group-helpers/fixtures.ts';
import { clusterrolebindings } from './clusterrolebindings.ts';
import { clusterroles } from './clusterroles.ts';
import { rolebindings } from './rolebindings.ts';
import { roles } from './roles.ts';

describe('rbac.authorization.k8s.io/v1', () => {
  it('names are path segments, printers as upstream (none for roles)', () => {
    for (const d of [roles, clusterroles, rolebindings, clusterrolebindings]) assert.equal(d.nameFormat, 'pathSegment');
    assert.deepEqual(roles.printerColumns, []);
    assert.deepEqual(clusterroles.printerColumns, []);
    assert.equal(clusterroles.namespaced, false);
    assert.equal(clusterrolebindings.namespaced, false);
  });

  it('validates role rules', () => {
    const role: KubeObject = { metadata: meta('r', 'default'), rules: [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] };
    assert.deepEqual(roles.strategy.validate(role), [
      { type: 'FieldValueRequired', field: 'rules[0].verbs', message: 'Required value: verbs must contain at least one value' },
      { type: 'FieldValueRequired', field: 'rules[0].apiGroups', message: 'Required value: resource rules must supply at least one api group' },
      { type: 'FieldValueInvalid', field: 'rules[1].nonResourceURLs', message: 'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs' },
    ]);
    const cr: KubeObject = { metadata: meta('cr'), rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], aggregationRule: { clusterRoleSelectors: [] } };
    assert.deepEqual(clusterroles.strategy.validate(cr), [
      { type: 'FieldValueRequired', field: 'aggregationRule.clusterRoleSelectors', message: 'Required value: at least one clusterRoleSelector required if aggregationRule is non-nil' },
    ]);
  });

  it('defaults roleRef and subject api groups', () => {
    const rb: KubeObject = {
      metadata: meta('rb', 'default'),
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'default', namespace: 'default' }, { kind: 'Group', name: 'devs' }],
    };
    assert.deepEqual(createErrors(rolebindings, rb), []);
    assert.equal((rb.roleRef as Record<string, unknown>).apiGroup, 'rbac.authorization.k8s.io');
    assert.deepEqual((rb.subjects as Record<string, unknown>[]).map((s) => s.apiGroup), ['rbac.authorization.k8s.io', '', 'rbac.authorization.k8s.io']);
  });

  it('validates bindings: roleRef kind, subjects', () => {
    const crb: KubeObject = {
      metadata: meta('crb'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
      subjects: [{ kind: 'ServiceAccount', name: 'default' }, { kind: 'Robot', name: 'r2' }],
    };
    assert.deepEqual(createErrors(clusterrolebindings, crb).map((e) => [e.field, e.message]), [
      ['roleRef.kind', 'Unsupported value: "Role": supported values: "ClusterRole"'],
      ['subjects[0].namespace', 'Required value'],
      ['subjects[1].kind', 'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'],
    ]);
  });

  it('forbids changing roleRef', () => {
    const old: KubeObject = { metadata: meta('rb', 'default'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'a' } };
    const next = clone(old);
    (next.roleRef as Record<string, unknown>).name = 'b';
    assert.deepEqual(rolebindings.strategy.validateUpdate(next, old), [
      { type: 'FieldValueInvalid', field: 'roleRef', message: 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef' },
    ]);
  });

  it('prints ROLE and the wide subject columns', () => {
    const rb: KubeObject = {
      metadata: meta('rb', 'default'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [
        { kind: 'User', name: 'jane' },
        { kind: 'User', name: 'joe' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
      ],
    };
    assert.deepEqual(cells(rolebindings, rb, true), { Role: 'ClusterRole/edit', Age: '5m', Users: 'jane, joe', Groups: '', ServiceAccounts: 'tools/ci' });
    assert.deepEqual(cells(clusterrolebindings, rb), { Role: 'ClusterRole/edit', Age: '5m' });
  });
});
