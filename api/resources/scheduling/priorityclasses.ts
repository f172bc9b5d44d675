// scheduling.k8s.io/v1 PriorityClass (pkg/apis/scheduling/validation): value and preemptionPolicy
// cannot change, user classes may not exceed 1e9 or use the `system-` prefix.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { immutableField } from '../group-helpers/validation.ts';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
/** The built-in classes the API server creates: name -> value. */
export const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': SYSTEM_CRITICAL_PRIORITY + 1000,
  'system-cluster-critical': SYSTEM_CRITICAL_PRIORITY,
};
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

export function defaultPriorityClass(obj: KubeObject): void {
  if (obj.preemptionPolicy === undefined || obj.preemptionPolicy === null) obj.preemptionPolicy = 'PreemptLowerPriority';
}

/** scheduling.IsKnownSystemPriorityClass: undefined when it is one, else the reason. */
function knownSystemPriorityClassError(name: string, value: number, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES[name];
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known !== value) return `value of ${name} PriorityClass must be ${known}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validatePriorityClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  const value = typeof obj.value === 'number' ? obj.value : 0;
  if (name.startsWith('system-')) {
    const known = knownSystemPriorityClassError(name, value, obj.globalDefault === true);
    if (known) {
      errs.push(fieldErrors.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${known}`));
    }
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErrors.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const pp = obj.preemptionPolicy;
  if (pp === '') errs.push(fieldErrors.required('preemptionPolicy'));
  else if (pp !== undefined && pp !== null && !PREEMPTION_POLICIES.includes(String(pp))) {
    errs.push(fieldErrors.notSupported('preemptionPolicy', pp, PREEMPTION_POLICIES));
  }
  return errs;
}

function validatePriorityClassUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((obj.value ?? 0) !== (old.value ?? 0)) errs.push(fieldErrors.forbidden('value', 'may not be changed in an update.'));
  errs.push(...immutableField(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

export const priorityClassStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultPriorityClass,
  validate: validatePriorityClass,
  validateUpdate: validatePriorityClassUpdate,
};

export const priorityclasses: ResourceDescriptor = resource({
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  shortNames: ['pc'],
  namespaced: false,
  model: 'V1PriorityClass',
  printerColumns: [
    {
      name: 'Value',
      type: 'integer',
      description: 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
      priority: 0,
      cell: (obj) => (typeof obj.value === 'number' ? obj.value : 0),
    },
    {
      name: 'Global-Default',
      type: 'boolean',
      description:
        'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
      priority: 0,
      cell: (obj) => obj.globalDefault === true,
    },
    ageColumn(),
    {
      name: 'PreemptionPolicy',
      type: 'string',
      description: 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
      priority: 0,
      cell: (obj) => (typeof obj.preemptionPolicy === 'string' ? obj.preemptionPolicy : ''),
    },
  ],
  strategy: priorityClassStrategy,
  storageResource: 'priorityclasses',
});
