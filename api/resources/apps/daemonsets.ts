// apps/v1 DaemonSet (pkg/registry/apps/daemonset). The internal templateGeneration is kept, as
// upstream's apps/v1 conversion does, in the `deprecated.daemonset.template.generation` annotation.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { parsePercent, validateNonnegativeIntOrPercent, validateNotMoreThan100Percent } from '../../validation/int-or-string.ts';
import { ageColumn, containerColumns, intCell, selectorColumn } from '../group-helpers/columns.ts';
import { keepAllButStatus, keepOldStatus, meta, resetStatusOnCreate, resource } from '../group-helpers/descriptor.ts';
import { goIntOrString, goLabelSelector, goQuote, goStringMap, invalidRendered, notSupportedRendered } from '../group-helpers/go-format.ts';
import { asObj, child, deepEqual, isObj, setDefault } from '../group-helpers/object.ts';
import { formatLabels, isEmptySelector, selectorMatches, validateLabelSelector } from '../group-helpers/selectors.ts';
import { immutableSelector, nonNegative } from '../group-helpers/validation.ts';
import { collisionCountNotDecremented, defaultTemplate, specOf, templateLabels, validateAlwaysRestartingTemplate } from './workload.ts';

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

export function defaultDaemonSet(obj: KubeObject): void {
  const spec = specOf(obj);
  const us = child(spec, 'updateStrategy');
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
}

function intOrPercentValue(v: unknown): number {
  return parsePercent(v) ?? (typeof v === 'number' ? v : 0);
}

function validateUpdateStrategy(us: Record<string, unknown>): FieldError[] {
  const path = 'spec.updateStrategy';
  switch (us.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isObj(us.rollingUpdate)) return [fieldErrors.required(`${path}.rollingUpdate`)];
      const ru = us.rollingUpdate;
      const mu = ru.maxUnavailable as number | string | undefined;
      const ms = ru.maxSurge as number | string | undefined;
      const errs = [
        ...validateNonnegativeIntOrPercent(mu, `${path}.rollingUpdate.maxUnavailable`),
        ...validateNonnegativeIntOrPercent(ms, `${path}.rollingUpdate.maxSurge`),
        ...validateNotMoreThan100Percent(mu, `${path}.rollingUpdate.maxUnavailable`),
        ...validateNotMoreThan100Percent(ms, `${path}.rollingUpdate.maxSurge`),
      ];
      const hasUnavailable = intOrPercentValue(mu) !== 0;
      const hasSurge = intOrPercentValue(ms) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(invalidRendered(`${path}.rollingUpdate.maxSurge`, goIntOrString(ms), 'may not be set when maxUnavailable is non-zero'));
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(fieldErrors.required(`${path}.rollingUpdate.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default: {
      const ru = isObj(us.rollingUpdate) ? '(*apps.RollingUpdateDaemonSet)(0xc000000000)' : '(*apps.RollingUpdateDaemonSet)(nil)';
      return [notSupportedRendered(path, `apps.DaemonSetUpdateStrategy{Type:${goQuote(String(us.type ?? ''))}, RollingUpdate:${ru}}`, ['RollingUpdate', 'OnDelete'])];
    }
  }
}

export function validateDaemonSetSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  const sel = spec.selector;
  errs.push(...validateLabelSelector(sel, 'spec.selector'));
  if (selectorMatches(sel, templateLabels(spec)) === false) {
    errs.push(invalidRendered('spec.template.metadata.labels', goStringMap(templateLabels(spec)), '`selector` does not match template `labels`'));
  }
  if (isObj(sel) && isEmptySelector(sel)) errs.push(invalidRendered('spec.selector', goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validateAlwaysRestartingTemplate(spec, 'DaemonSet'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateUpdateStrategy(asObj(spec.updateStrategy)));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

const STATUS_COUNTERS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'collisionCount',
];

function validateDaemonSetStatus(obj: KubeObject, old: KubeObject): FieldError[] {
  const status = asObj(obj.status);
  const errs: FieldError[] = [];
  for (const c of STATUS_COUNTERS) errs.push(...nonNegative(status[c], `status.${c}`));
  errs.push(...collisionCountNotDecremented(obj.status, old.status));
  return errs;
}

function templateGeneration(obj: KubeObject): number {
  const v = Number(obj.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? 0);
  return Number.isInteger(v) ? v : 0;
}

function setTemplateGeneration(obj: KubeObject, tg: number): void {
  const m = meta(obj);
  m.annotations = { ...(m.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(tg) };
}

export const daemonSetStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultDaemonSet,
  validate: validateDaemonSetSpec,
  validateUpdate: (obj, old) => [
    ...validateDaemonSetSpec(obj),
    ...immutableSelector(asObj(obj.spec).selector, asObj(old.spec).selector, 'spec.selector'),
  ],
  validateStatusUpdate: validateDaemonSetStatus,
  prepareForCreate: (obj) => {
    resetStatusOnCreate(obj, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    setTemplateGeneration(obj, Math.max(1, templateGeneration(obj)));
  },
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    let tg = templateGeneration(old);
    const spec = asObj(obj.spec);
    const oldSpec = asObj(old.spec);
    const gen = old.metadata?.generation ?? 0;
    if (!deepEqual(spec.template, oldSpec.template)) {
      tg += 1;
      meta(obj).generation = gen + 1;
    } else if (!deepEqual(spec, oldSpec)) {
      meta(obj).generation = gen + 1;
    }
    setTemplateGeneration(obj, tg);
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old, { keepLabels: true }),
};

export const daemonsets: ResourceDescriptor = resource({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  shortNames: ['ds'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1DaemonSet',
  printerColumns: [
    {
      name: 'Desired',
      type: 'integer',
      description: 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
      priority: 0,
      cell: intCell('status.desiredNumberScheduled'),
    },
    {
      name: 'Current',
      type: 'integer',
      description: 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      priority: 0,
      cell: intCell('status.currentNumberScheduled'),
    },
    {
      name: 'Ready',
      type: 'integer',
      description: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      priority: 0,
      cell: intCell('status.numberReady'),
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      description: 'The total number of nodes that are running updated daemon pod',
      priority: 0,
      cell: intCell('status.updatedNumberScheduled'),
    },
    {
      name: 'Available',
      type: 'integer',
      description:
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
      priority: 0,
      cell: intCell('status.numberAvailable'),
    },
    {
      name: 'Node Selector',
      type: 'string',
      description:
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
      priority: 0,
      cell: (obj) => formatLabels(asObj(asObj(asObj(obj.spec).template).spec).nodeSelector),
    },
    ageColumn(),
    ...containerColumns('spec.template.spec'),
    selectorColumn(
      'spec.selector',
      "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    ),
  ],
  strategy: daemonSetStrategy,
  storageResource: 'daemonsets',
});
