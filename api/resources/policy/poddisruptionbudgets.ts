// policy/v1 PodDisruptionBudget (pkg/apis/policy/validation, pkg/registry/policy/poddisruptionbudget).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateNonnegativeIntOrPercent, validateNotMoreThan100Percent } from '../../validation/int-or-string.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj } from '../group-helpers/object.ts';
import { validateLabelSelector } from '../group-helpers/selectors.ts';
import { nonNegative } from '../group-helpers/validation.ts';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];
const ptr = (v: unknown, type: string): string => (v === undefined || v === null ? `(*${type})(nil)` : `(*${type})(0xc000000000)`);

export function validatePDBSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  const min = spec.minAvailable as number | string | undefined | null;
  const max = spec.maxUnavailable as number | string | undefined | null;
  if (min != null && max != null) {
    const rendered = `policy.PodDisruptionBudgetSpec{MinAvailable:${ptr(min, 'intstr.IntOrString')}, Selector:${ptr(spec.selector, 'v1.LabelSelector')}, MaxUnavailable:${ptr(max, 'intstr.IntOrString')}, UnhealthyPodEvictionPolicy:${ptr(spec.unhealthyPodEvictionPolicy, 'policy.UnhealthyPodEvictionPolicyType')}}`;
    errs.push(invalidRendered('spec', rendered, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (min != null) errs.push(...validateNonnegativeIntOrPercent(min, 'spec.minAvailable'), ...validateNotMoreThan100Percent(min, 'spec.minAvailable'));
  if (max != null) errs.push(...validateNonnegativeIntOrPercent(max, 'spec.maxUnavailable'), ...validateNotMoreThan100Percent(max, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy != null && !EVICTION_POLICIES.includes(String(policy))) {
    errs.push(fieldErrors.notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  }
  return errs;
}

/** ValidateConditions (metav1) in its essentials, then the non-negative counters. */
function validatePDBStatus(obj: KubeObject): FieldError[] {
  const status = asObj(obj.status);
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  asArr(status.conditions).forEach((c, i) => {
    const cond = asObj(c);
    const p = `status.conditions[${i}]`;
    const type = String(cond.type ?? '');
    if (seen.has(type)) errs.push(fieldErrors.duplicate(`${p}.type`, type));
    seen.add(type);
    if (!['True', 'False', 'Unknown'].includes(String(cond.status))) errs.push(fieldErrors.notSupported(`${p}.status`, cond.status ?? '', ['False', 'True', 'Unknown']));
    if (!cond.lastTransitionTime) errs.push(fieldErrors.required(`${p}.lastTransitionTime`, 'must be set'));
    if (!cond.reason) errs.push(fieldErrors.required(`${p}.reason`, 'must be set'));
  });
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...nonNegative(status[f], `status.${f}`));
  return errs;
}

export const pdbStrategy: Strategy = {
  tracksGeneration: true,
  defaults: () => {},
  validate: validatePDBSpec,
  validateUpdate: (obj) => validatePDBSpec(obj),
  validateStatusUpdate: (obj) => validatePDBStatus(obj),
  prepareForCreate: (obj) => resetStatusOnCreate(obj, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

/** IntOrString.String(): the number or the string, N/A when unset. */
function intOrStringCell(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return 'N/A';
}

export const poddisruptionbudgets: ResourceDescriptor = resource({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  shortNames: ['pdb'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1PodDisruptionBudget',
  printerColumns: [
    {
      name: 'Min Available',
      type: 'string',
      description: 'The minimum number of pods that must be available.',
      priority: 0,
      cell: (obj) => intOrStringCell(asObj(obj.spec).minAvailable),
    },
    {
      name: 'Max Unavailable',
      type: 'string',
      description: 'The maximum number of pods that may be unavailable.',
      priority: 0,
      cell: (obj) => intOrStringCell(asObj(obj.spec).maxUnavailable),
    },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      description: 'Calculated number of pods that may be disrupted at this time.',
      priority: 0,
      cell: (obj) => {
        const v = asObj(obj.status).disruptionsAllowed;
        return typeof v === 'number' ? v : 0;
      },
    },
    ageColumn(),
  ],
  strategy: pdbStrategy,
  storageResource: 'poddisruptionbudgets',
});
