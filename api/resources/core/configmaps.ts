// core/v1 ConfigMap: upstream ValidateConfigMap / ValidateConfigMapUpdate.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isConfigMapKey } from '../../validation/names.ts';
import { ageColumn, ALL_VERBS, column } from './common.ts';
import { DOCS } from './column-docs.ts';
import { isObj, key, semanticEqual } from './json.ts';

/** Upstream's MaxSecretSize, shared by ConfigMaps and Secrets. */
export const MAX_DATA_SIZE = 1024 * 1024;

function map(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : {};
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = map(obj.data);
  const binary = map(obj.binaryData);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...isConfigMapKey(k).map((m) => fieldErrors.invalid(key('data', k), k, m)));
    if (k in binary) errs.push(fieldErrors.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(v ?? ''));
  }
  for (const [k, v] of Object.entries(binary)) {
    errs.push(...isConfigMapKey(k).map((m) => fieldErrors.invalid(key('binaryData', k), k, m)));
    size += Buffer.from(String(v ?? ''), 'base64').length;
  }
  // Upstream reports the whole object (an empty path).
  if (size > MAX_DATA_SIZE) errs.push(fieldErrors.tooLong('', MAX_DATA_SIZE));
  return errs;
}

/** `immutable: true` freezes data, binaryData and the flag itself (shared with Secrets). */
export function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!semanticEqual(obj[f], old[f])) errs.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

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
  printerColumns: [
    column('Data', 'string', DOCS['V1ConfigMap.data'], (obj) => Object.keys(map(obj.data)).length + Object.keys(map(obj.binaryData)).length),
    ageColumn(),
  ],
  fieldSelectors: {},
  strategy: {
    defaults: () => {},
    validate,
    validateUpdate: (obj, old) => [...validateImmutableData(obj, old, ['data', 'binaryData']), ...validate(obj)],
    tracksGeneration: false,
  },
  storageResource: 'configmaps',
};
