// coordination.k8s.io/v1 Lease (pkg/apis/coordination/validation): what leader election and node
// heartbeats write.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isQualifiedName } from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { asObj } from '../group-helpers/object.ts';

/** ValidateCoordinatedLeaseStrategy: OldestEmulationVersion or a domain-prefixed name. */
function validateLeaseStrategy(strategy: string, path: string): FieldError[] {
  const parts = strategy.split('/');
  if (parts.length === 1) {
    return strategy === 'OldestEmulationVersion' ? [] : [fieldErrors.notSupported(path, strategy, ['OldestEmulationVersion'])];
  }
  return isQualifiedName(strategy).map((msg) => fieldErrors.invalid(path, strategy, msg));
}

export function validateLeaseSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(fieldErrors.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.push(fieldErrors.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (typeof spec.strategy === 'string') errs.push(...validateLeaseStrategy(spec.strategy, 'spec.strategy'));
  if (typeof spec.preferredHolder === 'string' && spec.preferredHolder !== '' && !spec.holderIdentity) {
    errs.push(fieldErrors.forbidden('spec.preferredHolder', 'may only be specified if `holderIdentity` is specified'));
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: validateLeaseSpec,
  validateUpdate: (obj) => validateLeaseSpec(obj),
};

export const leases: ResourceDescriptor = resource({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  model: 'V1Lease',
  printerColumns: [
    {
      name: 'Holder',
      type: 'string',
      description: 'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
      priority: 0,
      cell: (obj) => {
        const h = asObj(obj.spec).holderIdentity;
        return typeof h === 'string' ? h : '';
      },
    },
    ageColumn(),
  ],
  strategy: leaseStrategy,
  storageResource: 'leases',
});
