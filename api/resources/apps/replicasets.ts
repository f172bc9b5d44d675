// apps/v1 ReplicaSet (pkg/registry/apps/replicaset): replicas default 1, selector rules as
// Deployment's, status and scale subresources.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { ageColumn, containerColumns, intCell, selectorColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { asObj, setDefault } from '../group-helpers/object.ts';
import { selectorConverts, selectorString } from '../group-helpers/selectors.ts';
import { immutableSelector, nonNegative } from '../group-helpers/validation.ts';
import { defaultTemplate, specOf, validateAlwaysRestartingTemplate, validateReplicaCounters, validateWorkloadSelector } from './workload.ts';

export function defaultReplicaSet(obj: KubeObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec);
}

export function validateReplicaSetSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // Upstream's message says "deployment" for ReplicaSets too.
  errs.push(...validateWorkloadSelector(spec, 'deployment'));
  if (selectorConverts(spec.selector)) errs.push(...validateAlwaysRestartingTemplate(spec, 'ReplicaSet'));
  return errs;
}

function validateReplicaSetStatus(obj: KubeObject): FieldError[] {
  return validateReplicaCounters(
    asObj(obj.status),
    ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
    ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    { availableNotAboveReady: 'cannot be greater than readyReplicas' },
  );
}

export const replicaSetStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultReplicaSet,
  validate: validateReplicaSetSpec,
  validateUpdate: (obj, old) => [
    ...validateReplicaSetSpec(obj),
    ...immutableSelector(asObj(obj.spec).selector, asObj(old.spec).selector, 'spec.selector'),
  ],
  validateStatusUpdate: (obj) => validateReplicaSetStatus(obj),
  prepareForCreate: (obj) => resetStatusOnCreate(obj, { replicas: 0 }),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old, { keepLabels: true }),
};

export const replicasets: ResourceDescriptor = resource({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  categories: ['all'],
  namespaced: true,
  subresources: {
    status: true,
    scale: {
      specReplicasPath: 'spec.replicas',
      statusReplicasPath: 'status.replicas',
      labelSelector: (obj) => selectorString(asObj(obj.spec).selector) ?? '',
    },
  },
  model: 'V1ReplicaSet',
  printerColumns: [
    {
      name: 'Desired',
      type: 'integer',
      description: 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.',
      priority: 0,
      cell: intCell('spec.replicas'),
    },
    {
      name: 'Current',
      type: 'integer',
      description: 'Replicas is the most recently observed number of replicas.',
      priority: 0,
      cell: intCell('status.replicas'),
    },
    {
      name: 'Ready',
      type: 'integer',
      description: 'The number of ready replicas for this replica set.',
      priority: 0,
      cell: intCell('status.readyReplicas'),
    },
    ageColumn(),
    ...containerColumns('spec.template.spec'),
    selectorColumn(
      'spec.selector',
      "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels.",
    ),
  ],
  strategy: replicaSetStrategy,
  storageResource: 'replicasets',
});
