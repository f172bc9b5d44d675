// Pieces shared by the apps/v1 workloads (and batch): pod template defaulting and checks, the
// restart-policy rules, and the status counters' validation.
import type { FieldError } from '../../errors.ts';
import type { KubeObject } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from '../core/pod-spec.ts';
import { goLabelSelector, invalidRendered } from '../group-helpers/go-format.ts';
import { asObj, child, isObj } from '../group-helpers/object.ts';
import { isEmptySelector, selectorConverts, validateLabelSelector } from '../group-helpers/selectors.ts';
import { nonNegative, selectorMatchesTemplate } from '../group-helpers/validation.ts';

/** Go decodes a missing spec/template as zero structs; defaulting then fills them in. */
export function specOf(obj: KubeObject): Record<string, unknown> {
  return child(obj as Record<string, unknown>, 'spec');
}

/** Defaults of the embedded pod template (SetDefaults_PodSpec and friends, from core). */
export function defaultTemplate(spec: Record<string, unknown>): void {
  defaultPodTemplateSpec(child(spec, 'template'));
}

export function templateLabels(spec: Record<string, unknown>): Record<string, string> | undefined {
  const l = asObj(asObj(spec.template).metadata).labels;
  return isObj(l) ? (l as Record<string, string>) : undefined;
}

/**
 * The selector rules of Deployment and ReplicaSet (and StatefulSet): required, valid, not empty,
 * convertible, and matching the template's labels.
 */
export function validateWorkloadSelector(spec: Record<string, unknown>, kindWord: string, opts: { templatePath?: string } = {}): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  if (sel === undefined || sel === null) {
    errs.push(fieldErrors.required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(sel, 'spec.selector'));
    if (isEmptySelector(sel)) errs.push(invalidRendered('spec.selector', goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  if (!selectorConverts(sel)) {
    errs.push(invalidRendered('spec.selector', goLabelSelector(sel), 'invalid label selector'));
  } else {
    errs.push(...selectorMatchesTemplate(sel, templateLabels(spec), `${opts.templatePath ?? 'spec.template'}.metadata.labels`));
  }
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet's tail: the pod template, restartPolicy Always, no activeDeadlineSeconds. */
export function validateAlwaysRestartingTemplate(spec: Record<string, unknown>, kind: string, path = 'spec.template'): FieldError[] {
  const errs: FieldError[] = [];
  const template = asObj(spec.template);
  errs.push(...validatePodTemplateSpec(template, path));
  const podSpec = asObj(template.spec);
  if (podSpec.restartPolicy !== 'Always') {
    errs.push(fieldErrors.notSupported(`${path}.spec.restartPolicy`, podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errs;
}

/** Non-negative status counters and "cannot be greater than status.replicas" relations. */
export function validateReplicaCounters(
  status: Record<string, unknown>,
  counters: readonly string[],
  notAboveReplicas: readonly string[],
  opts: { availableNotAboveReady?: string } = {},
): FieldError[] {
  const errs: FieldError[] = [];
  for (const c of counters) errs.push(...nonNegative(status[c], `status.${c}`));
  const replicas = typeof status.replicas === 'number' ? status.replicas : 0;
  for (const c of notAboveReplicas) {
    const v = status[c];
    if (typeof v === 'number' && v > replicas) errs.push(fieldErrors.invalid(`status.${c}`, v, 'cannot be greater than status.replicas'));
  }
  const avail = status.availableReplicas;
  const ready = typeof status.readyReplicas === 'number' ? status.readyReplicas : 0;
  if (opts.availableNotAboveReady && typeof avail === 'number' && avail > ready) {
    errs.push(fieldErrors.invalid('status.availableReplicas', avail, opts.availableNotAboveReady));
  }
  return errs;
}

/** status.collisionCount may not go down (IsDecremented). */
export function collisionCountNotDecremented(status: unknown, oldStatus: unknown): FieldError[] {
  const n = asObj(status).collisionCount;
  const o = asObj(oldStatus).collisionCount;
  if (typeof o !== 'number') return [];
  if (typeof n !== 'number' || n < o) return [fieldErrors.invalid('status.collisionCount', typeof n === 'number' ? n : 0, 'cannot be decremented')];
  return [];
}
