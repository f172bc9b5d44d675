// storage.k8s.io/v1 StorageClass (pkg/apis/storage/validation): provisioner, parameters,
// reclaimPolicy and volumeBindingMode cannot change; the default class is marked `(default)` in
// the NAME column.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabelName } from '../../validation/label-selector.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { ageColumn, nameColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { asArr, asObj, deepEqual, isObj } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
export const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * (1 << 10);
const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export function defaultStorageClass(obj: KubeObject): void {
  if (!obj.reclaimPolicy) obj.reclaimPolicy = 'Delete';
  if (!obj.volumeBindingMode) obj.volumeBindingMode = 'Immediate';
}

function validateTopologies(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const seen: unknown[] = [];
  asArr(obj.allowedTopologies).forEach((t, i) => {
    const term = asObj(t);
    const p = `allowedTopologies[${i}]`;
    const exprs = asArr(term.matchLabelExpressions);
    const keys = new Set<string>();
    const canonical: Record<string, string[]> = {};
    if (exprs.length === 0) errs.push(fieldErrors.required(`${p}.matchLabelExpressions`, 'must have at least one label expression'));
    exprs.forEach((e, j) => {
      const expr = asObj(e);
      const ep = `${p}.matchLabelExpressions[${j}]`;
      const key = String(expr.key ?? '');
      errs.push(...validateLabelName(key, `${ep}.key`));
      const values = asArr(expr.values).map(String);
      if (values.length === 0) errs.push(fieldErrors.required(`${ep}.values`, 'must specify as least one value'));
      if (keys.has(key)) errs.push(fieldErrors.duplicate(`${ep}.key`, key));
      keys.add(key);
      canonical[key] = [...new Set(values)].sort();
    });
    if (seen.some((s) => deepEqual(s, canonical))) errs.push(fieldErrors.duplicate(`${p}.matchLabelExpressions`, ''));
    seen.push(canonical);
  });
  return errs;
}

export function validateStorageClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = typeof obj.provisioner === 'string' ? obj.provisioner : '';
  if (provisioner.length === 0) errs.push(fieldErrors.required('provisioner'));
  else for (const msg of isQualifiedName(provisioner.toLowerCase())) errs.push(fieldErrors.invalid('provisioner', provisioner.toLowerCase(), msg));
  const params = isObj(obj.parameters) ? obj.parameters : {};
  const keys = Object.keys(params);
  if (keys.length > MAX_PARAMETERS) {
    errs.push(fieldErrors.tooLong('parameters', MAX_PARAMETERS));
  } else {
    let size = 0;
    for (const k of keys) {
      if (k.length < 1) errs.push(fieldErrors.invalid('parameters', k, 'field can not be empty.'));
      size += Buffer.byteLength(k) + Buffer.byteLength(String(params[k]));
    }
    if (size > MAX_PARAMETERS_SIZE) errs.push(fieldErrors.tooLong('parameters', MAX_PARAMETERS_SIZE));
  }
  const rp = obj.reclaimPolicy;
  if (typeof rp === 'string' && rp.length > 0 && !RECLAIM_POLICIES.includes(rp)) errs.push(fieldErrors.notSupported('reclaimPolicy', rp, RECLAIM_POLICIES));
  const vbm = obj.volumeBindingMode;
  if (vbm === undefined || vbm === null) errs.push(fieldErrors.required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(String(vbm))) errs.push(fieldErrors.notSupported('volumeBindingMode', vbm, BINDING_MODES));
  errs.push(...validateTopologies(obj));
  return errs;
}

function validateStorageClassUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(obj.parameters, old.parameters)) errs.push(fieldErrors.forbidden('parameters', 'updates to parameters are forbidden.'));
  if ((obj.provisioner ?? '') !== (old.provisioner ?? '')) errs.push(fieldErrors.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if ((obj.reclaimPolicy ?? '') !== (old.reclaimPolicy ?? '')) errs.push(fieldErrors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...immutableField(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  return errs;
}

export const storageClassStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultStorageClass,
  validate: validateStorageClass,
  // Upstream's update validation checks only metadata and the immutable fields.
  validateUpdate: validateStorageClassUpdate,
};

/** storageutil.IsDefaultAnnotation. */
export function isDefaultClass(obj: KubeObject): boolean {
  const a = obj.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

export const storageclasses: ResourceDescriptor = resource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  shortNames: ['sc'],
  namespaced: false,
  model: 'V1StorageClass',
  printerColumns: [
    // The NAME cell carries ` (default)` for the default class.
    { ...nameColumn(0), cell: (obj) => `${obj.metadata?.name ?? ''}${isDefaultClass(obj) ? ' (default)' : ''}` },
    {
      name: 'Provisioner',
      type: 'string',
      description: 'provisioner indicates the type of the provisioner.',
      priority: 0,
      cell: (obj) => String(obj.provisioner ?? ''),
    },
    {
      name: 'ReclaimPolicy',
      type: 'string',
      description:
        'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
      priority: 0,
      cell: (obj) => (typeof obj.reclaimPolicy === 'string' ? obj.reclaimPolicy : 'Delete'),
    },
    {
      name: 'VolumeBindingMode',
      type: 'string',
      description:
        'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
      priority: 0,
      cell: (obj) => (typeof obj.volumeBindingMode === 'string' ? obj.volumeBindingMode : 'Immediate'),
    },
    {
      name: 'AllowVolumeExpansion',
      type: 'string',
      description: 'allowVolumeExpansion shows whether the storage class allow volume expand.',
      priority: 0,
      cell: (obj) => obj.allowVolumeExpansion === true,
    },
    ageColumn(),
  ],
  strategy: storageClassStrategy,
  storageResource: 'storageclasses',
});
