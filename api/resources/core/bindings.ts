// core/v1 Binding: the legacy `POST /api/v1/namespaces/{ns}/bindings` (upstream's
// LegacyBindingREST). Create only and nothing of its own is stored: the server binds the pod
// named by metadata.name to target.name, as the pods/binding subresource does.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { section } from './common.ts';

/** Upstream's ValidatePodBinding. */
export function validateBinding(binding: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const target = section(binding, 'target');
  const kind = typeof target.kind === 'string' ? target.kind : '';
  if (kind !== '' && kind !== 'Node') errs.push(fieldErrors.notSupported('target.kind', kind, ['Node', '<empty>']));
  if (typeof target.name !== 'string' || target.name === '') errs.push(fieldErrors.required('target.name', ''));
  return errs;
}

export const bindings: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Binding',
  listKind: 'BindingList',
  plural: 'bindings',
  singular: 'binding',
  shortNames: [],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ['create'],
  subresources: {},
  model: 'V1Binding',
  printerColumns: [],
  fieldSelectors: {},
  strategy: {
    defaults() {},
    validate: validateBinding,
    validateUpdate: validateBinding,
    tracksGeneration: false,
  },
  // Never written: the server's bindings handler updates pods.
  storageResource: 'bindings',
};
