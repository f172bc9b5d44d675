// core/v1 Namespace: upstream pkg/registry/core/namespace and ValidateNamespace*.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { ageColumn, column, keepSpec, keepStatus, section, VERBS_NO_DELETECOLLECTION } from './common.ts';
import { child, idx, isObj, strs } from './json.ts';

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** core's validateFinalizerName for spec.finalizers: a qualified name, unqualified ones standard. */
function validateFinalizerName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name)) {
    errs.push(fieldErrors.invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

/** The `kubernetes.io/metadata.name` label always equals the name (defaults and upstream's Canonicalize). */
function ensureNameLabel(obj: KubeObject): void {
  const name = obj.metadata?.name;
  if (name) {
    const meta = obj.metadata!;
    meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': name };
  }
}

function defaults(obj: KubeObject): void {
  ensureNameLabel(obj);
  const status = child(obj, 'status');
  if (!status.phase) status.phase = 'Active';
}

function validate(obj: KubeObject): FieldError[] {
  // Upstream reports these on the list's path, without an index.
  return strs(section(obj, 'spec').finalizers).flatMap((f) => validateFinalizerName(f, 'spec.finalizers'));
}

/** Status updates: phase Active unless deleting, Terminating once deleting. */
function validateStatusUpdate(obj: KubeObject): FieldError[] {
  const phase = section(obj, 'status').phase ?? '';
  if (!obj.metadata?.deletionTimestamp) {
    return phase === 'Active' ? [] : [fieldErrors.invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty")];
  }
  return phase === 'Terminating' ? [] : [fieldErrors.invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
}

/** The namespaces/finalize subresource: only spec.finalizers change; each must be a valid finalizer name. */
export function prepareNamespaceFinalize(obj: KubeObject, old: KubeObject): void {
  keepStatus(obj, old);
}

export function validateNamespaceFinalize(obj: KubeObject): FieldError[] {
  return strs(section(obj, 'spec').finalizers).flatMap((f, i) => validateFinalizerName(f, idx('spec.finalizers', i)));
}

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
  verbs: VERBS_NO_DELETECOLLECTION,
  subresources: { status: true, finalize: true },
  model: 'V1Namespace',
  printerColumns: [
    column('Status', 'string', 'The status of the namespace', (obj) => section(obj, 'status').phase ?? ''),
    ageColumn(),
  ],
  fieldSelectors: {
    'status.phase': (obj) => section(obj, 'status').phase ?? '',
    // Kept by upstream for backwards compatibility.
    name: (obj) => obj.metadata?.name ?? '',
  },
  strategy: {
    defaults,
    validate,
    validateUpdate: () => [],
    validateStatusUpdate,
    prepareForCreate(obj) {
      ensureNameLabel(obj);
      obj.status = { phase: 'Active' };
      const spec = child(obj, 'spec');
      const finalizers = strs(spec.finalizers);
      if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
    },
    prepareForUpdate(obj, old) {
      ensureNameLabel(obj);
      const spec = child(obj, 'spec');
      const oldSpec = isObj(old.spec) ? old.spec : {};
      if (oldSpec.finalizers === undefined) delete spec.finalizers;
      else spec.finalizers = structuredClone(oldSpec.finalizers);
      keepStatus(obj, old);
    },
    prepareForStatusUpdate: keepSpec,
    prepareForFinalizeUpdate: prepareNamespaceFinalize,
    validateFinalizeUpdate: validateNamespaceFinalize,
    tracksGeneration: false,
  },
  storageResource: 'namespaces',
};
