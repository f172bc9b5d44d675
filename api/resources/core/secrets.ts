// core/v1 Secret: upstream ValidateSecret / ValidateSecretUpdate; stringData is merged into data
// on the way in, as upstream's v1 conversion does.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isConfigMapKey } from '../../validation/names.ts';
import { ageColumn, ALL_VERBS, column } from './common.ts';
import { DOCS } from './column-docs.ts';
import { MAX_DATA_SIZE, validateImmutableData } from './configmaps.ts';
import { isObj, key } from './json.ts';

const REDACTED = '<secret contents redacted>';

function data(obj: KubeObject): Record<string, unknown> {
  return isObj(obj.data) ? obj.data : {};
}

function decoded(v: unknown): Buffer {
  return Buffer.from(typeof v === 'string' ? v : '', 'base64');
}

function defaults(obj: KubeObject): void {
  if (!obj.type) obj.type = 'Opaque';
  if (isObj(obj.stringData)) {
    const d: Record<string, unknown> = isObj(obj.data) ? obj.data : {};
    for (const [k, v] of Object.entries(obj.stringData)) d[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
    obj.data = d;
  }
  delete obj.stringData;
}

function jsonError(bytes: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isObj(v)) return 'json: cannot unmarshal into Go value of type map[string]interface {}';
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const d = data(obj);
  let size = 0;
  for (const [k, v] of Object.entries(d)) {
    errs.push(...isConfigMapKey(k).map((m) => fieldErrors.invalid(key('data', k), k, m)));
    size += decoded(v).length;
  }
  if (size > MAX_DATA_SIZE) errs.push(fieldErrors.tooLong('data', MAX_DATA_SIZE));
  const has = (k: string): boolean => k in d;
  switch (obj.type) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(fieldErrors.required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = obj.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(fieldErrors.required(key('data', k)));
        break;
      }
      const err = jsonError(decoded(d[k]));
      if (err) errs.push(fieldErrors.invalid(key('data', k), REDACTED, err));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(fieldErrors.required(key('data', 'username')), fieldErrors.required(key('data', 'password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (decoded(d['ssh-privatekey']).length === 0) errs.push(fieldErrors.required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(fieldErrors.required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(fieldErrors.required(key('data', 'tls.key')));
      break;
    default:
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((obj.type ?? '') !== (old.type ?? '')) errs.push(fieldErrors.immutable('type', obj.type ?? ''));
  errs.push(...validateImmutableData(obj, old, ['data']));
  return [...errs, ...validate(obj)];
}

export const secrets: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  listKind: 'SecretList',
  plural: 'secrets',
  singular: 'secret',
  shortNames: [],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'V1Secret',
  printerColumns: [
    column('Type', 'string', DOCS['V1Secret.type'], (obj) => String(obj.type ?? '')),
    column('Data', 'string', DOCS['V1Secret.data'], (obj) => Object.keys(data(obj)).length),
    ageColumn(),
  ],
  fieldSelectors: { type: (obj) => String(obj.type ?? '') },
  strategy: { defaults, validate, validateUpdate, tracksGeneration: false },
  storageResource: 'secrets',
};
