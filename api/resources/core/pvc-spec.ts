// PersistentVolumeClaimSpec validation (PVCs, ephemeral volumes, StatefulSet claim templates).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabelSelector } from '../../validation/label-selector.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../../validation/names.ts';
import { compareQuantity, formatQuantity } from '../../validation/quantity.ts';
import { at, isObj, key, strs, type J } from './json.ts';
import { parseQuantityAt, validateResourceQuantityValue } from './quantities.ts';

export const SUPPORTED_ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const SUPPORTED_VOLUME_MODES = ['Block', 'Filesystem'];

/** accessModes: each supported; ReadWriteOncePod alone. */
export function validateAccessModes(modes: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!SUPPORTED_ACCESS_MODES.includes(m)) errs.push(fieldErrors.notSupported(path, m, SUPPORTED_ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (SUPPORTED_ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(fieldErrors.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateDataSource(ds: J, path: string, withNamespace: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!ds.name) errs.push(fieldErrors.required(at(path, 'name')));
  if (!ds.kind) errs.push(fieldErrors.required(at(path, 'kind')));
  const apiGroup = typeof ds.apiGroup === 'string' ? ds.apiGroup : '';
  if (!apiGroup && ds.kind !== 'PersistentVolumeClaim') {
    errs.push(fieldErrors.invalid(path, ds.kind ?? '', "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  }
  if (apiGroup) for (const msg of isDNS1123Subdomain(apiGroup)) errs.push(fieldErrors.invalid(at(path, 'apiGroup'), apiGroup, msg));
  if (withNamespace && typeof ds.namespace === 'string' && ds.namespace) {
    for (const msg of isDNS1123Label(ds.namespace)) errs.push(fieldErrors.invalid(at(path, 'namespace'), ds.namespace, msg));
  }
  return errs;
}

/** Upstream's ValidatePersistentVolumeClaimSpec. */
export function validatePersistentVolumeClaimSpec(spec: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const modes = strs(spec.accessModes);
  if (modes.length === 0) errs.push(fieldErrors.required(at(path, 'accessModes'), 'at least 1 access mode is required'));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabelSelector(spec.selector, at(path, 'selector')));
  errs.push(...validateAccessModes(modes, at(path, 'accessModes')));
  const storagePath = key(at(path, 'resources'), 'storage');
  const requests = isObj(spec.resources) && isObj(spec.resources.requests) ? spec.resources.requests : {};
  if (!('storage' in requests)) {
    errs.push(fieldErrors.required(storagePath));
  } else {
    const r = parseQuantityAt(requests.storage, storagePath);
    errs.push(...r.errs);
    if (r.q) {
      if (compareQuantity(r.q, { value: 0n, scale: 0, format: 'DecimalSI' }) <= 0) {
        errs.push(fieldErrors.invalid(storagePath, formatQuantity(r.q), 'must be greater than zero'));
      } else {
        errs.push(...validateResourceQuantityValue('storage', r.q, storagePath));
      }
    }
  }
  if (typeof spec.storageClassName === 'string' && spec.storageClassName) {
    for (const msg of isDNS1123Subdomain(spec.storageClassName)) errs.push(fieldErrors.invalid(at(path, 'storageClassName'), spec.storageClassName, msg));
  }
  if (spec.volumeMode !== undefined && spec.volumeMode !== null && !SUPPORTED_VOLUME_MODES.includes(spec.volumeMode)) {
    errs.push(fieldErrors.notSupported(at(path, 'volumeMode'), spec.volumeMode, SUPPORTED_VOLUME_MODES));
  }
  if (isObj(spec.dataSource)) errs.push(...validateDataSource(spec.dataSource, at(path, 'dataSource'), false));
  if (isObj(spec.dataSourceRef)) errs.push(...validateDataSource(spec.dataSourceRef, at(path, 'dataSourceRef'), true));
  if (isObj(spec.dataSourceRef) && typeof spec.dataSourceRef.namespace === 'string' && spec.dataSourceRef.namespace) {
    if (isObj(spec.dataSource)) errs.push(fieldErrors.invalid(path, at(path, 'dataSource'), 'may not be specified when dataSourceRef.namespace is specified'));
  } else if (isObj(spec.dataSource) && isObj(spec.dataSourceRef)) {
    const a = spec.dataSource;
    const b = spec.dataSourceRef;
    if ((a.apiGroup ?? null) !== (b.apiGroup ?? null) || a.kind !== b.kind || a.name !== b.name) {
      errs.push(fieldErrors.invalid(path, at(path, 'dataSource'), 'must match dataSourceRef'));
    }
  }
  return errs;
}
