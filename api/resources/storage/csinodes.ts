// storage.k8s.io/v1 CSINode (pkg/apis/storage/validation, pkg/registry/storage/csinode): named
// after its node; one entry per driver, each with a node ID of at most 256 characters and
// qualified topology keys; a driver's entry cannot change once registered.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { goQuote, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, asStr, deepEqual, isObj } from '../group-helpers/object.ts';
import { nonNegative } from '../group-helpers/validation.ts';
import { uniqueErrors, validateCSIDriverName } from './csi-validation.ts';

/** csiNodeIDLongerMaxLength: the strategy allows long node IDs. */
const NODE_ID_MAX_LENGTH = 256;

function drivers(obj: KubeObject): Record<string, unknown>[] {
  return asArr(asObj(obj.spec).drivers).map(asObj);
}

function validateDriver(driver: Record<string, unknown>, names: Set<string>, path: string): FieldError[] {
  const name = asStr(driver.name);
  const nodeID = asStr(driver.nodeID);
  const errs = validateCSIDriverName(name, `${path}.name`);
  if (nodeID.length === 0) errs.push(fieldErrors.required(`${path}.nodeID`));
  if (nodeID.length > NODE_ID_MAX_LENGTH) errs.push(fieldErrors.invalid(`${path}.nodeID`, nodeID, `must be ${NODE_ID_MAX_LENGTH} characters or less`));
  if (isObj(driver.allocatable)) errs.push(...nonNegative(driver.allocatable.count, `${path}.allocatable.count`));
  if (names.has(name)) errs.push(fieldErrors.duplicate(`${path}.name`, name));
  names.add(name);
  const keys = new Set<string>();
  for (const k of asArr(driver.topologyKeys).map(String)) {
    // Upstream reports topology key errors on the driver's path.
    if (k.length === 0) errs.push(fieldErrors.required(path));
    if (keys.has(k)) errs.push(fieldErrors.duplicate(path, k));
    keys.add(k);
    for (const msg of isQualifiedName(k)) errs.push(fieldErrors.invalid(path, k, msg));
  }
  return errs;
}

export function validateCSINode(obj: KubeObject): FieldError[] {
  const names = new Set<string>();
  return uniqueErrors(drivers(obj).flatMap((d, i) => validateDriver(d, names, `spec.drivers[${i}]`)));
}

/** A storage.CSINodeDriver as Go's `%#v` prints it. */
function goDriver(d: Record<string, unknown>): string {
  const keys = Array.isArray(d.topologyKeys) ? `[]string{${d.topologyKeys.map((k) => goQuote(String(k))).join(', ')}}` : '[]string(nil)';
  const allocatable = isObj(d.allocatable) ? '(*storage.VolumeNodeResources)(0xc000000000)' : '(*storage.VolumeNodeResources)(nil)';
  return `storage.CSINodeDriver{Name:${goQuote(asStr(d.name))}, NodeID:${goQuote(asStr(d.nodeID))}, TopologyKeys:${keys}, Allocatable:${allocatable}}`;
}

/** ValidateCSINodeUpdate: a driver present before and after is unchanged. */
function validateCSINodeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateCSINode(obj);
  for (const before of drivers(old)) {
    for (const after of drivers(obj)) {
      if (asStr(after.name) === asStr(before.name) && !deepEqual(after, before)) errs.push(invalidRendered('spec.drivers', goDriver(after), 'field is immutable'));
    }
  }
  return uniqueErrors(errs);
}

export const csiNodeStrategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: validateCSINode,
  validateUpdate: validateCSINodeUpdate,
};

export const csinodes: ResourceDescriptor = resource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'CSINode',
  plural: 'csinodes',
  namespaced: false,
  model: 'V1CSINode',
  printerColumns: [
    { name: 'Drivers', type: 'integer', description: 'Drivers indicates the number of CSI drivers registered on the node', priority: 0, cell: (obj) => drivers(obj).length },
    ageColumn(),
  ],
  strategy: csiNodeStrategy,
  storageResource: 'csinodes',
});
