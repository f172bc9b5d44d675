// apps/v1 StatefulSet (pkg/registry/apps/statefulset). Upstream does not run the full pod
// validation on the template (its volumeMounts may name volumeClaimTemplates), only the template
// metadata, the selector and the restart rules; most of the spec is immutable.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { parsePercent, validateNonnegativeIntOrPercent, validateNotMoreThan100Percent } from '../../validation/int-or-string.ts';
import { validateTemplateObjectMeta } from '../../validation/meta.ts';
import { defaultPersistentVolumeClaimSpec } from '../core/pod-spec-defaults.ts';
import { ageColumn, containerColumns } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { goIntOrString, goLabelSelector, goQuote, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, clone, deepEqual, isObj, setDefault } from '../group-helpers/object.ts';
import { isEmptySelector, selectorConverts, selectorString, validateLabelSelector } from '../group-helpers/selectors.ts';
import { nonNegative, selectorMatchesTemplate } from '../group-helpers/validation.ts';
import { collisionCountNotDecremented, defaultTemplate, specOf, templateLabels, validateReplicaCounters } from './workload.ts';

export function defaultStatefulSet(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = child(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) setDefault(us.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec);
  for (const t of asArr(spec.volumeClaimTemplates)) {
    if (!isObj(t)) continue;
    // Served as full PersistentVolumeClaims, with the claim defaults applied.
    if (!t.apiVersion) t.apiVersion = 'v1';
    if (!t.kind) t.kind = 'PersistentVolumeClaim';
    defaultPersistentVolumeClaimSpec(child(t, 'spec'));
    const status = child(t, 'status');
    if (!status.phase) status.phase = 'Pending';
  }
}

function renderRollingUpdate(ru: Record<string, unknown>): string {
  const partition = typeof ru.partition === 'number' ? `(*int32)(0xc000000000)` : '(*int32)(nil)';
  const mu = ru.maxUnavailable === undefined ? '(*intstr.IntOrString)(nil)' : `(*intstr.IntOrString)(0xc000000000)`;
  return `apps.RollingUpdateStatefulSetStrategy{Partition:${partition}, MaxUnavailable:${mu}}`;
}

function renderUpdateStrategy(us: Record<string, unknown>): string {
  const ru = isObj(us.rollingUpdate) ? '(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)' : '(*apps.RollingUpdateStatefulSetStrategy)(nil)';
  return `apps.StatefulSetUpdateStrategy{Type:${goQuote(String(us.type ?? ''))}, RollingUpdate:${ru}}`;
}

function validateUpdateStrategy(us: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const path = 'spec.updateStrategy';
  switch (us.type ?? '') {
    case '':
      errs.push(fieldErrors.required(path));
      break;
    case 'OnDelete':
      if (isObj(us.rollingUpdate)) {
        errs.push(invalidRendered(`${path}.rollingUpdate`, renderRollingUpdate(us.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'"));
      }
      break;
    case 'RollingUpdate':
      if (isObj(us.rollingUpdate)) {
        const ru = us.rollingUpdate;
        errs.push(...nonNegative(ru.partition, `${path}.rollingUpdate.partition`));
        const mu = ru.maxUnavailable as number | string | undefined;
        if (mu !== undefined && mu !== null) {
          const p = `${path}.rollingUpdate.maxUnavailable`;
          errs.push(...validateNonnegativeIntOrPercent(mu, p));
          const value = parsePercent(mu) ?? (typeof mu === 'number' ? mu : 0);
          if (value === 0) errs.push(invalidRendered(p, goIntOrString(mu), 'cannot be 0'));
          errs.push(...validateNotMoreThan100Percent(mu, p));
        }
      }
      break;
    default:
      errs.push(invalidRendered(path, renderUpdateStrategy(us), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  return errs;
}

function validateRetentionPolicy(policy: unknown): FieldError[] {
  if (!isObj(policy)) return [];
  const errs: FieldError[] = [];
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = policy[f];
    if (v !== 'Retain' && v !== 'Delete') {
      errs.push(fieldErrors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v ?? '', ['Retain', 'Delete']));
    }
  }
  return errs;
}

export function validateStatefulSetSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy ?? '') {
    case '':
      errs.push(fieldErrors.required('spec.podManagementPolicy'));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(fieldErrors.invalid('spec.podManagementPolicy', spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateUpdateStrategy(asObj(spec.updateStrategy)));
  errs.push(...validateRetentionPolicy(spec.persistentVolumeClaimRetentionPolicy));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  const sel = spec.selector;
  if (sel === undefined || sel === null) {
    errs.push(fieldErrors.required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (isEmptySelector(sel)) errs.push(invalidRendered('spec.selector', goLabelSelector(sel), 'empty selector is invalid for statefulset'));
  }
  const template = asObj(spec.template);
  if (!selectorConverts(sel)) {
    errs.push(invalidRendered('spec.selector', goLabelSelector(sel), ''));
  } else {
    errs.push(...selectorMatchesTemplate(sel, templateLabels(spec), 'spec.template.metadata.labels'));
    errs.push(...validateTemplateObjectMeta(asObj(template.metadata), 'spec.template'));
  }
  const podSpec = asObj(template.spec);
  if (podSpec.restartPolicy !== 'Always') {
    errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

const MUTABLE_SPEC_FIELDS = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateStatefulSetSpec(obj);
  const spec = clone(asObj(obj.spec));
  const oldSpec = asObj(old.spec);
  for (const f of MUTABLE_SPEC_FIELDS) {
    if (oldSpec[f] === undefined) delete spec[f];
    else spec[f] = oldSpec[f];
  }
  if (!deepEqual(spec, oldSpec)) {
    errs.push(
      fieldErrors.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

function validateStatefulSetStatus(obj: KubeObject, old: KubeObject): FieldError[] {
  return [
    ...validateReplicaCounters(
      asObj(obj.status),
      ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'],
      ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
      { availableNotAboveReady: 'cannot be greater than status.readyReplicas' },
    ),
    ...collisionCountNotDecremented(obj.status, old.status),
  ];
}

export const statefulSetStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultStatefulSet,
  validate: validateStatefulSetSpec,
  validateUpdate: validateStatefulSetUpdate,
  validateStatusUpdate: validateStatefulSetStatus,
  prepareForCreate: (obj) => resetStatusOnCreate(obj, { replicas: 0, availableReplicas: 0 }),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old, { keepLabels: true }),
};

export const statefulsets: ResourceDescriptor = resource({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  shortNames: ['sts'],
  categories: ['all'],
  namespaced: true,
  nameFormat: 'dns1123Label',
  subresources: {
    status: true,
    scale: {
      specReplicasPath: 'spec.replicas',
      statusReplicasPath: 'status.replicas',
      labelSelector: (obj) => selectorString(asObj(obj.spec).selector) ?? '',
    },
  },
  model: 'V1StatefulSet',
  printerColumns: [
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      priority: 0,
      cell: (obj) => `${asObj(obj.status).readyReplicas ?? 0}/${asObj(obj.spec).replicas ?? 0}`,
    },
    ageColumn(),
    ...containerColumns('spec.template.spec'),
  ],
  strategy: statefulSetStrategy,
  storageResource: 'statefulsets',
});
