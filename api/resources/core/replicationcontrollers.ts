// core/v1 ReplicationController: upstream SetDefaults_ReplicationController, ValidateReplicationController*,
// the RC strategies (generation tracking), printReplicationController and the scale subresource.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { ageColumn, ALL_VERBS, column, formatLabels, keepSpec, keepStatus, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { child, isObj, objs, str, type J } from './json.ts';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './pod-spec.ts';

function spec(obj: KubeObject): J {
  return isObj(obj.spec) ? obj.spec : {};
}

function defaults(rc: KubeObject): void {
  const s = child(rc, 'spec');
  const template = isObj(s.template) ? s.template : undefined;
  const labels = template && isObj(template.metadata) && isObj(template.metadata.labels) ? template.metadata.labels : undefined;
  if (labels) {
    if (!isObj(s.selector) || Object.keys(s.selector).length === 0) s.selector = { ...labels };
    const meta = (rc.metadata ??= {});
    if (!meta.labels || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  if (s.replicas === undefined || s.replicas === null) s.replicas = 1;
  if (template) defaultPodTemplateSpec(template);
}

function nonnegative(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [fieldErrors.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

function validate(rc: KubeObject): FieldError[] {
  const s = spec(rc);
  const selector: Record<string, string> = isObj(s.selector) ? s.selector : {};
  const errs = [...nonnegative(s.minReadySeconds, 'spec.minReadySeconds')];
  if (Object.keys(selector).length === 0) errs.push(fieldErrors.required('spec.selector'));
  errs.push(...nonnegative(s.replicas, 'spec.replicas'));
  if (!isObj(s.template)) {
    errs.push(fieldErrors.required('spec.template'));
    return errs;
  }
  const labels: Record<string, string> = isObj(s.template.metadata) && isObj(s.template.metadata.labels) ? s.template.metadata.labels : {};
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(fieldErrors.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(s.template, 'spec.template'));
  const ts: J = isObj(s.template.spec) ? s.template.spec : {};
  if (ts.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported('spec.template.spec.restartPolicy', ts.restartPolicy ?? '', ['Always']));
  if (ts.activeDeadlineSeconds !== undefined && ts.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

function validateStatusUpdate(rc: KubeObject): FieldError[] {
  const st = section(rc, 'status');
  const n = (f: string): number => (typeof st[f] === 'number' ? st[f] : 0);
  const errs: FieldError[] = [];
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) errs.push(...nonnegative(st[f], `status.${f}`));
  const msg = 'cannot be greater than status.replicas';
  if (n('fullyLabeledReplicas') > n('replicas')) errs.push(fieldErrors.invalid('status.fullyLabeledReplicas', n('fullyLabeledReplicas'), msg));
  if (n('readyReplicas') > n('replicas')) errs.push(fieldErrors.invalid('status.readyReplicas', n('readyReplicas'), msg));
  if (n('availableReplicas') > n('replicas')) errs.push(fieldErrors.invalid('status.availableReplicas', n('availableReplicas'), msg));
  if (n('availableReplicas') > n('readyReplicas')) errs.push(fieldErrors.invalid('status.availableReplicas', n('availableReplicas'), 'cannot be greater than readyReplicas'));
  return errs;
}

/** labels.SelectorFromSet(selector).String(): `k=v` sorted by key, comma-joined. */
function selectorString(rc: KubeObject): string {
  const sel = spec(rc).selector;
  if (!isObj(sel)) return '';
  return Object.keys(sel).sort().map((k) => `${k}=${String(sel[k])}`).join(',');
}

function containers(rc: KubeObject): J[] {
  const t = spec(rc).template;
  return isObj(t) && isObj(t.spec) ? objs(t.spec.containers) : [];
}

const int = (v: unknown): number => (typeof v === 'number' ? v : 0);

export const replicationcontrollers: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  listKind: 'ReplicationControllerList',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  shortNames: ['rc'],
  categories: ['all'],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {
    status: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelector: selectorString },
  },
  model: 'V1ReplicationController',
  printerColumns: [
    column('Desired', 'integer', DOCS['V1ReplicationControllerSpec.replicas'], (obj) => int(spec(obj).replicas)),
    column('Current', 'integer', DOCS['V1ReplicationControllerStatus.replicas'], (obj) => int(section(obj, 'status').replicas)),
    column('Ready', 'integer', DOCS['V1ReplicationControllerStatus.readyReplicas'], (obj) => int(section(obj, 'status').readyReplicas)),
    ageColumn(),
    column('Containers', 'string', 'Names of each container in the template.', (obj) => containers(obj).map((c) => str(c.name)).join(','), 1),
    column('Images', 'string', 'Images referenced by each container in the template.', (obj) => containers(obj).map((c) => str(c.image)).join(','), 1),
    column('Selector', 'string', DOCS['V1ReplicationControllerSpec.selector'], (obj) => formatLabels(spec(obj).selector), 1),
  ],
  fieldSelectors: { 'status.replicas': (obj) => String(int(section(obj, 'status').replicas)) },
  strategy: {
    defaults,
    validate,
    validateUpdate: (obj) => validate(obj),
    validateStatusUpdate,
    prepareForCreate(rc) {
      rc.status = {};
      (rc.metadata ??= {}).generation = 1;
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
    tracksGeneration: true,
  },
  storageResource: 'controllers',
};
