// apps/v1 Deployment: defaults (pkg/apis/apps/v1/defaults.go), validation
// (pkg/apis/apps/validation), strategy (pkg/registry/apps/deployment/strategy.go) and the
// columns `kubectl get deployments` shows.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateNonnegativeIntOrPercent, validateNotMoreThan100Percent, parsePercent } from '../../validation/int-or-string.ts';
import { ageColumn, containerColumns, SELECTOR_DOC } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { goQuote, notSupportedRendered } from '../group-helpers/go-format.ts';
import { asObj, child, deepEqual, isObj, setDefault } from '../group-helpers/object.ts';
import { selectorConverts, selectorString } from '../group-helpers/selectors.ts';
import { immutableSelector, nonNegative } from '../group-helpers/validation.ts';
import {
  collisionCountNotDecremented,
  defaultTemplate,
  specOf,
  validateAlwaysRestartingTemplate,
  validateReplicaCounters,
  validateWorkloadSelector,
} from './workload.ts';

export function defaultDeployment(obj: KubeObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec);
}

/** getIntOrPercentValue: the percent number for a percent string, the int otherwise (0 for junk). */
function intOrPercentValue(v: unknown): number {
  const p = parsePercent(v);
  if (p !== undefined) return p;
  return typeof v === 'number' ? v : 0;
}

function renderStrategy(s: Record<string, unknown>): string {
  const ru = isObj(s.rollingUpdate) ? '(*apps.RollingUpdateDeployment)(0xc000000000)' : '(*apps.RollingUpdateDeployment)(nil)';
  return `apps.DeploymentStrategy{Type:${goQuote(String(s.type ?? ''))}, RollingUpdate:${ru}}`;
}

function validateStrategy(strategy: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const path = 'spec.strategy';
  switch (strategy.type) {
    case 'Recreate':
      if (isObj(strategy.rollingUpdate)) {
        errs.push(fieldErrors.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      if (!isObj(strategy.rollingUpdate)) {
        errs.push(fieldErrors.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil'));
        break;
      }
      const ru = strategy.rollingUpdate;
      const mu = ru.maxUnavailable as number | string | undefined;
      const ms = ru.maxSurge as number | string | undefined;
      errs.push(...validateNonnegativeIntOrPercent(mu, `${path}.rollingUpdate.maxUnavailable`));
      errs.push(...validateNonnegativeIntOrPercent(ms, `${path}.rollingUpdate.maxSurge`));
      if (intOrPercentValue(mu) === 0 && intOrPercentValue(ms) === 0) {
        errs.push(fieldErrors.invalid(`${path}.rollingUpdate.maxUnavailable`, mu ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...validateNotMoreThan100Percent(mu, `${path}.rollingUpdate.maxUnavailable`));
      break;
    }
    default:
      errs.push(notSupportedRendered(path, renderStrategy(strategy), ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeploymentSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateWorkloadSelector(spec, 'deployment'));
  if (selectorConverts(spec.selector)) errs.push(...validateAlwaysRestartingTemplate(spec, 'ReplicaSet'));
  errs.push(...validateStrategy(asObj(spec.strategy)));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...nonNegative(pds, 'spec.progressDeadlineSeconds'));
    const mrs = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (pds <= mrs) errs.push(fieldErrors.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function validateDeploymentStatus(obj: KubeObject, old: KubeObject): FieldError[] {
  const status = asObj(obj.status);
  return [
    ...validateReplicaCounters(
      status,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'],
      ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
      { availableNotAboveReady: 'cannot be greater than readyReplicas' },
    ),
    ...collisionCountNotDecremented(obj.status, old.status),
  ];
}

export const deploymentStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultDeployment,
  validate: (obj) => validateDeploymentSpec(obj),
  validateUpdate: (obj, old) => [
    ...validateDeploymentSpec(obj),
    ...immutableSelector(asObj(obj.spec).selector, asObj(old.spec).selector, 'spec.selector'),
  ],
  validateStatusUpdate: validateDeploymentStatus,
  prepareForCreate: (obj) => resetStatusOnCreate(obj),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    // Annotation changes bump the generation too: they are copied to the ReplicaSets.
    bumpGenerationIf(obj, old, specChanged(obj, old) || !deepEqual(obj.metadata?.annotations, old.metadata?.annotations));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old, { keepLabels: true }),
};

function deploymentSelector(obj: KubeObject): string {
  return selectorString(asObj(obj.spec).selector) ?? '';
}

export const deployments: ResourceDescriptor = resource({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelector: deploymentSelector },
  },
  model: 'V1Deployment',
  printerColumns: [
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      priority: 0,
      cell: (obj) => `${asObj(obj.status).readyReplicas ?? 0}/${asObj(obj.spec).replicas ?? 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'string',
      description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      priority: 0,
      cell: (obj) => Number(asObj(obj.status).updatedReplicas ?? 0),
    },
    {
      name: 'Available',
      type: 'string',
      description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      priority: 0,
      cell: (obj) => Number(asObj(obj.status).availableReplicas ?? 0),
    },
    ageColumn(),
    ...containerColumns('spec.template.spec'),
    {
      name: 'Selector',
      type: 'string',
      description: SELECTOR_DOC,
      priority: 1,
      // printDeployment prints selector.String() (empty for none), `<invalid>` when it does not convert.
      cell: (obj) => selectorString(asObj(obj.spec).selector) ?? '<invalid>',
    },
  ],
  strategy: deploymentStrategy,
  storageResource: 'deployments',
});
