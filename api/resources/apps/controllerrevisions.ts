// apps/v1 ControllerRevision (pkg/registry/apps/controllerrevision): an immutable snapshot of a
// workload's template, written by the DaemonSet and StatefulSet controllers.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { immutableField, nonNegative } from '../group-helpers/validation.ts';

function validateControllerRevision(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(fieldErrors.required('data', 'data is mandatory'));
  errs.push(...nonNegative(obj.revision, 'revision'));
  return errs;
}

export const controllerRevisionStrategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: validateControllerRevision,
  validateUpdate: (obj, old) => [...validateControllerRevision(obj), ...immutableField(obj.data, old.data, 'data')],
};

/** `<kind>.<group>/<name>` of the controlling owner (formatResourceName with kind), `<none>` without one. */
export function controllerOf(obj: KubeObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  if (!ref.kind && !group) return ref.name;
  const groupKind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerrevisions: ResourceDescriptor = resource({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  namespaced: true,
  model: 'V1ControllerRevision',
  printerColumns: [
    { name: 'Controller', type: 'string', description: 'Controller of the object', priority: 0, cell: controllerOf },
    {
      name: 'Revision',
      type: 'string',
      description: 'Revision indicates the revision of the state represented by Data.',
      priority: 0,
      cell: (obj) => (typeof obj.revision === 'number' ? obj.revision : 0),
    },
    ageColumn(),
  ],
  strategy: controllerRevisionStrategy,
  storageResource: 'controllerrevisions',
});
