// storage.k8s.io/v1 CSIStorageCapacity (pkg/apis/storage/validation,
// pkg/registry/storage/csistoragecapacity): a namespaced report of the capacity a driver has for a
// StorageClass in a topology segment; nodeTopology and storageClassName cannot change.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabelSelector } from '../../validation/label-selector.ts';
import { isDNS1123Subdomain } from '../../validation/names.ts';
import { compareQuantity, formatQuantity } from '../../validation/quantity.ts';
import { canonicalizeQuantityField, parseQuantityAt } from '../core/quantities.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { immutableField, immutableSelector, IS_NEGATIVE_ERROR } from '../group-helpers/validation.ts';

const ZERO = { value: 0n, scale: 0, format: 'DecimalSI' as const };

function defaultCapacity(obj: KubeObject): void {
  canonicalizeQuantityField(obj, 'capacity');
  canonicalizeQuantityField(obj, 'maximumVolumeSize');
}

function validateCapacity(obj: KubeObject, allowInvalidLabelValueInSelector = false): FieldError[] {
  const errs = validateLabelSelector(obj.nodeTopology, 'nodeTopology', { allowInvalidLabelValueInSelector });
  const className = typeof obj.storageClassName === 'string' ? obj.storageClassName : '';
  for (const msg of isDNS1123Subdomain(className)) errs.push(fieldErrors.invalid('storageClassName', className, msg));
  if (obj.capacity !== undefined && obj.capacity !== null) {
    const { q, errs: parseErrs } = parseQuantityAt(obj.capacity, 'capacity');
    errs.push(...parseErrs);
    if (q && compareQuantity(q, ZERO) < 0) errs.push(fieldErrors.invalid('capacity', formatQuantity(q), IS_NEGATIVE_ERROR));
  }
  return errs;
}

/** hasInvalidLabelValueInLabelSelector: an old object's invalid selector values stay acceptable. */
function hasInvalidLabelValue(obj: KubeObject): boolean {
  return validateLabelSelector(obj.nodeTopology, 'nodeTopology').length > 0;
}

function validateCapacityUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return [
    ...validateCapacity(obj, hasInvalidLabelValue(old)),
    ...immutableSelector(obj.nodeTopology, old.nodeTopology, 'nodeTopology'),
    ...immutableField(obj.storageClassName ?? '', old.storageClassName ?? '', 'storageClassName'),
  ];
}

export const csiStorageCapacityStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultCapacity,
  validate: (obj) => validateCapacity(obj),
  validateUpdate: validateCapacityUpdate,
};

export const csistoragecapacities: ResourceDescriptor = resource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSIStorageCapacity',
  plural: 'csistoragecapacities',
  namespaced: true,
  model: 'V1CSIStorageCapacity',
  // Upstream's table has no AGE column for these.
  printerColumns: [
    {
      name: 'StorageClassName',
      type: 'string',
      description:
        'storageClassName represents the name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.',
      priority: 0,
      cell: (obj) => (typeof obj.storageClassName === 'string' ? obj.storageClassName : ''),
    },
    {
      name: 'Capacity',
      type: 'string',
      description:
        'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can be used to provision volumes. If not set, that information is currently unavailable.',
      priority: 0,
      cell: (obj) => (typeof obj.capacity === 'string' || typeof obj.capacity === 'number' ? String(obj.capacity) : '<unset>'),
    },
  ],
  strategy: csiStorageCapacityStrategy,
  storageResource: 'csistoragecapacities',
});
