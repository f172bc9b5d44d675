// core/v1 ResourceQuota: upstream ValidateResourceQuota(Update|StatusUpdate), the quota strategies
// and printResourceQuota (1.30 column order: AGE before REQUEST and LIMIT).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { formatQuantity, tryParseQuantity } from '../../validation/quantity.ts';
import { ageColumn, ALL_VERBS, column, keepSpec, keepStatus, section } from './common.ts';
import { isObj, objs, str, strs, type J } from './json.ts';
import { canonicalizeResourceList, validateResourceList } from './quantities.ts';
import { isStandardQuotaResourceName, isStandardResourceName } from './resource-names.ts';

const SCOPES = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

function scopeValidFor(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods' || POD_COMPUTE.has(resource);
    case 'BestEffort':
      return resource === 'pods';
    default:
      return true;
  }
}

function validateQuotaResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  if (errs.length === 0 && !name.includes('/') && !isStandardResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified'));
  if (!name.includes('/') && !isStandardQuotaResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource for quota'));
  return errs;
}

function validateScopes(spec: J): FieldError[] {
  const scopes = strs(spec.scopes);
  if (scopes.length === 0) return [];
  const errs: FieldError[] = [];
  const hard = Object.keys(isObj(spec.hard) ? spec.hard : {}).sort();
  for (const scope of scopes) {
    if (!SCOPES.has(scope)) errs.push(fieldErrors.invalid('spec.scopes', scopes, 'unsupported scope'));
    for (const r of hard) if (isStandardQuotaResourceName(r) && !scopeValidFor(scope, r)) errs.push(fieldErrors.invalid('spec.scopes', scopes, 'unsupported scope applied to resource'));
  }
  for (const [a, b] of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
    if (scopes.includes(a!) && scopes.includes(b!)) errs.push(fieldErrors.invalid('spec.scopes', scopes, 'conflicting scopes'));
  }
  return errs;
}

function validateScopeSelector(spec: J): FieldError[] {
  if (!isObj(spec.scopeSelector)) return [];
  const errs: FieldError[] = [];
  const path = 'spec.scopeSelector.matchExpressions';
  const hard = Object.keys(isObj(spec.hard) ? spec.hard : {}).sort();
  const names = new Set<string>();
  for (const req of objs(spec.scopeSelector.matchExpressions)) {
    const scope = str(req.scopeName);
    if (!SCOPES.has(scope)) errs.push(fieldErrors.invalid(`${path}.scopeName`, scope, 'unsupported scope'));
    for (const r of hard) if (isStandardQuotaResourceName(r) && !scopeValidFor(scope, r)) errs.push(fieldErrors.invalid(path, spec.scopeSelector, 'unsupported scope applied to resource'));
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(scope) && req.operator !== 'Exists') {
      errs.push(
        fieldErrors.invalid(
          `${path}.operator`,
          req.operator ?? '',
          'must be \'Exists\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity',
        ),
      );
    }
    const values = strs(req.values);
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (values.length === 0) errs.push(fieldErrors.required(`${path}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (values.length) errs.push(fieldErrors.invalid(`${path}.values`, values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else {
      errs.push(fieldErrors.invalid(`${path}.operator`, req.operator ?? '', 'not a valid selector operator'));
    }
    names.add(scope);
  }
  for (const [a, b] of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
    if (names.has(a!) && names.has(b!)) errs.push(fieldErrors.invalid(path, strs(spec.scopes), 'conflicting scopes'));
  }
  return errs;
}

function validateSpec(quota: KubeObject): FieldError[] {
  const spec = section(quota, 'spec');
  return [...validateResourceList(spec.hard, 'spec.hard', validateQuotaResourceName).errs, ...validateScopes(spec), ...validateScopeSelector(spec)];
}

function validateStatus(quota: KubeObject): FieldError[] {
  const st = section(quota, 'status');
  return [...validateResourceList(st.hard, 'status.hard', validateQuotaResourceName).errs, ...validateResourceList(st.used, 'status.used', validateQuotaResourceName).errs];
}

function validateUpdate(quota: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateSpec(quota);
  const cur = new Set(strs(section(quota, 'spec').scopes));
  const prev = new Set(strs(section(old, 'spec').scopes));
  if (cur.size !== prev.size || [...cur].some((s) => !prev.has(s))) errs.push(fieldErrors.immutable('spec.scopes', strs(section(quota, 'spec').scopes)));
  return errs;
}

/** upstream's SortableResourceNames order: plain string order. */
function usageColumns(quota: KubeObject): { request: string; limit: string } {
  const st = section(quota, 'status');
  const hard = isObj(st.hard) ? st.hard : {};
  const used = isObj(st.used) ? st.used : {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const q = (v: unknown): string => {
      const p = tryParseQuantity(v);
      return p ? formatQuantity(p) : '0';
    };
    const entry = `${name}: ${q(used[name])}/${q(hard[name])}`;
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(entry);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

export const resourcequotas: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  listKind: 'ResourceQuotaList',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  shortNames: ['quota'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: { status: true },
  model: 'V1ResourceQuota',
  printerColumns: [
    ageColumn(),
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.', (obj) => usageColumns(obj).request),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
      (obj) => usageColumns(obj).limit,
    ),
  ],
  fieldSelectors: {},
  strategy: {
    defaults(quota) {
      canonicalizeResourceList(section(quota, 'spec').hard);
      canonicalizeResourceList(section(quota, 'status').hard);
      canonicalizeResourceList(section(quota, 'status').used);
    },
    validate: (obj) => [...validateSpec(obj), ...validateStatus(obj)],
    validateUpdate,
    validateStatusUpdate: validateStatus,
    prepareForCreate(quota) {
      quota.status = {};
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
    tracksGeneration: false,
  },
  storageResource: 'resourcequotas',
};
