// core/v1 LimitRange: upstream SetDefaults_LimitRangeItem and ValidateLimitRange.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { compareQuantity, formatQuantity, quantityMilliValue, type Quantity } from '../../validation/quantity.ts';
import { ALL_VERBS, section } from './common.ts';
import { validateContainerResourceName } from './container-validation.ts';
import { at, idx, isObj, key, objs, str, type J } from './json.ts';
import { canonicalizeResourceList, parseQuantityAt } from './quantities.ts';
import { isOvercommitAllowed, isStandardResourceName } from './resource-names.ts';

const STANDARD_LIMIT_TYPES = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);
const LISTS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'];

function defaults(obj: KubeObject): void {
  for (const item of objs(section(obj, 'spec').limits)) {
    for (const l of LISTS) canonicalizeResourceList(item[l]);
    if (item.type !== 'Container') continue;
    const def: J = isObj(item.default) ? item.default : (item.default = {});
    const req: J = isObj(item.defaultRequest) ? item.defaultRequest : (item.defaultRequest = {});
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in req)) req[k] = v;
  }
}

function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !isStandardResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified'));
  return errs;
}

function validateTypeName(type: string, path: string): FieldError[] {
  const errs = isQualifiedName(type).map((m) => fieldErrors.invalid(path, type, m));
  if (errs.length) return errs;
  if (!type.includes('/') && !STANDARD_LIMIT_TYPES.has(type)) errs.push(fieldErrors.invalid(path, type, 'must be a standard limit type or fully qualified'));
  return errs;
}

function ratioLimit(max: Quantity, min: Quantity): number {
  const maxMilli = quantityMilliValue(max);
  const minMilli = quantityMilliValue(min);
  return minMilli === 0 ? Infinity : maxMilli / minMilli;
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seenTypes = new Set<string>();
  objs(section(obj, 'spec').limits).forEach((item, i) => {
    const ip = idx('spec.limits', i);
    const type = str(item.type);
    errs.push(...validateTypeName(type, at(ip, 'type')));
    if (seenTypes.has(type)) errs.push(fieldErrors.duplicate(at(ip, 'type'), type));
    seenTypes.add(type);
    const nameCheck = (name: string, p: string): FieldError[] =>
      type === 'Pod' || type === 'Container' ? validateContainerResourceName(name, p) : validateResourceName(name, p);
    const lists: Record<string, Map<string, Quantity>> = {};
    const keys = new Set<string>();
    const read = (field: string): void => {
      lists[field] = new Map();
      for (const [k, v] of Object.entries(isObj(item[field]) ? item[field] : {})) {
        const p = key(at(ip, field), k);
        errs.push(...nameCheck(k, p));
        keys.add(k);
        const r = parseQuantityAt(v, p);
        errs.push(...r.errs);
        if (r.q) lists[field]!.set(k, r.q);
      }
    };
    read('max');
    read('min');
    if (type === 'Pod') {
      if (isObj(item.default) && Object.keys(item.default).length) errs.push(fieldErrors.forbidden(at(ip, 'default'), "may not be specified when `type` is 'Pod'"));
      if (isObj(item.defaultRequest) && Object.keys(item.defaultRequest).length) errs.push(fieldErrors.forbidden(at(ip, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
      lists.default = new Map();
      lists.defaultRequest = new Map();
    } else {
      read('default');
      read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !lists.min!.has('storage') && !lists.max!.has('storage')) {
      errs.push(fieldErrors.required(at(ip, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    read('maxLimitRequestRatio');
    const f = formatQuantity;
    for (const k of keys) {
      const min = lists.min!.get(k);
      const max = lists.max!.get(k);
      const def = lists.default!.get(k);
      const defReq = lists.defaultRequest!.get(k);
      const ratio = lists.maxLimitRequestRatio!.get(k);
      if (min && max && compareQuantity(min, max) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'min'), k), f(min), `min value ${f(min)} is greater than max value ${f(max)}`));
      if (defReq && min && compareQuantity(min, defReq) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'defaultRequest'), k), f(defReq), `min value ${f(min)} is greater than default request value ${f(defReq)}`));
      if (defReq && max && compareQuantity(defReq, max) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'defaultRequest'), k), f(defReq), `default request value ${f(defReq)} is greater than max value ${f(max)}`));
      if (defReq && def && compareQuantity(defReq, def) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'defaultRequest'), k), f(defReq), `default request value ${f(defReq)} is greater than default limit value ${f(def)}`));
      if (def && min && compareQuantity(min, def) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'default'), k), f(min), `min value ${f(min)} is greater than default value ${f(def)}`));
      if (def && max && compareQuantity(def, max) > 0) errs.push(fieldErrors.invalid(key(at(ip, 'default'), k), f(max), `default value ${f(def)} is greater than max value ${f(max)}`));
      if (ratio && compareQuantity(ratio, { value: 1n, scale: 0, format: 'DecimalSI' }) < 0) {
        errs.push(fieldErrors.invalid(key(at(ip, 'maxLimitRequestRatio'), k), f(ratio), `ratio ${f(ratio)} is less than 1`));
      }
      if (ratio && min && max) {
        const limit = ratioLimit(max, min);
        if (quantityMilliValue(ratio) / 1000 > limit) {
          errs.push(fieldErrors.invalid(key(at(ip, 'maxLimitRequestRatio'), k), f(ratio), `ratio ${f(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
        }
      }
      if (!isOvercommitAllowed(k) && def && defReq && compareQuantity(def, defReq) !== 0) {
        errs.push(fieldErrors.invalid(key(at(ip, 'defaultRequest'), k), f(defReq), `default value ${f(def)} must equal to defaultRequest value ${f(defReq)} in ${k}`));
      }
    }
  });
  return errs;
}

export const limitranges: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  listKind: 'LimitRangeList',
  plural: 'limitranges',
  singular: 'limitrange',
  shortNames: ['limits'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'V1LimitRange',
  // No printer upstream: the table builder's default NAME / CREATED AT columns apply.
  printerColumns: [],
  fieldSelectors: {},
  strategy: { defaults, validate, validateUpdate: (obj) => validate(obj), tracksGeneration: false },
  storageResource: 'limitranges',
};
