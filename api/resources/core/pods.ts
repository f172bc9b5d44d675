// core/v1 Pod: upstream pkg/registry/core/pod (strategy) and ValidatePod{Create,Update,StatusUpdate}.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { inclusiveRangeError, isDNS1123Subdomain, isIP, isIPv6, isQualifiedName } from '../../validation/names.ts';
import { validateImagesTrimmed } from './container-validation.ts';
import { ageColumn, ALL_VERBS, column, keepStatus, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { at, clone, idx, isObj, key, objs, semanticEqual, str, type J } from './json.ts';
import { podRow, readinessGatesCell } from './pod-printer.ts';
import { computePodQOS } from './pod-qos.ts';
import { defaultPodOnlyFields, defaultPodSpec, validatePodSpec, validatePodSpecificAnnotations } from './pod-spec.ts';

const SPEC = 'spec';

function spec(obj: KubeObject): J {
  return isObj(obj.spec) ? obj.spec : {};
}

function defaults(pod: KubeObject): void {
  if (!isObj(pod.spec)) pod.spec = {};
  defaultPodOnlyFields(pod.spec as J);
  defaultPodSpec(pod.spec as J);
}

/** validatePodMetadataAndSpec without the ObjectMeta part (the server validates metadata). */
function validateMetadataAndSpec(pod: KubeObject): FieldError[] {
  const s = spec(pod);
  const errs = [
    ...validatePodSpecificAnnotations(pod.metadata?.annotations, s, 'metadata.annotations'),
    ...validatePodSpec(s, SPEC, { resourceIsPod: true, podName: pod.metadata?.name }),
  ];
  if (!s.serviceAccountName) {
    objs(s.volumes).forEach((v, vi) => {
      if (!isObj(v.projected)) return;
      objs(v.projected.sources).forEach((src, si) => {
        if (isObj(src.serviceAccountToken)) {
          errs.push(fieldErrors.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  errs.push(...validateImagesTrimmed(s.containers, 'spec.containers'));
  errs.push(...validateImagesTrimmed(s.initContainers, 'spec.initContainers'));
  return errs;
}

function validate(pod: KubeObject): FieldError[] {
  const s = spec(pod);
  const errs = validateMetadataAndSpec(pod);
  if (objs(s.ephemeralContainers).length > 0) errs.push(fieldErrors.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (s.nodeName && objs(s.schedulingGates).length > 0) errs.push(fieldErrors.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  return errs;
}

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function validateContainerUpdates(list: unknown, oldList: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const cur = objs(list);
  if (cur.length !== objs(oldList).length) return { errs: [fieldErrors.forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  cur.forEach((c, i) => {
    const image = str(c.image);
    if (!image) errs.push(fieldErrors.required(at(idx(path, i), 'image')));
    if (image.trim() !== image) errs.push(fieldErrors.invalid(at(idx(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/** Mirror-pod and AppArmor annotations may not be added, changed or removed. */
function validateAnnotationUpdates(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const cur = pod.metadata?.annotations ?? {};
  const prev = old.metadata?.annotations ?? {};
  const guarded = (k: string): string | undefined =>
    k.startsWith('container.apparmor.security.beta.kubernetes.io/') ? 'AppArmor annotations' : k === 'kubernetes.io/config.mirror' ? 'mirror pod annotation' : undefined;
  for (const [k, v] of Object.entries(prev)) {
    if (k in cur && cur[k] === v) continue;
    const what = guarded(k);
    if (what) errs.push(fieldErrors.forbidden(key('metadata.annotations', k), `may not remove or update ${what}`));
  }
  for (const k of Object.keys(cur)) {
    if (k in prev) continue;
    const what = guarded(k);
    if (what) errs.push(fieldErrors.forbidden(key('metadata.annotations', k), `may not add ${what}`));
  }
  return errs;
}

function validateOnlyAddedTolerations(cur: unknown, prev: unknown): FieldError[] {
  for (const o of objs(prev)) {
    const found = objs(cur).some((n) => semanticEqual({ ...o, tolerationSeconds: n.tolerationSeconds }, n));
    if (!found) return [fieldErrors.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return [];
}

/** A short rendering of what changed, in place of upstream's cmp.Diff. */
function specDiff(prev: J, cur: J): string {
  const keys = [...new Set([...Object.keys(prev), ...Object.keys(cur)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    if (semanticEqual(prev[k], cur[k])) continue;
    if (prev[k] !== undefined) lines.push(`- \t${k}: ${JSON.stringify(prev[k])},`);
    if (cur[k] !== undefined) lines.push(`+ \t${k}: ${JSON.stringify(cur[k])},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function validateUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const s = spec(pod);
  const o = spec(old);
  const errs = [...validateMetadataAndSpec(pod), ...validateAnnotationUpdates(pod, old)];
  for (const [field, path] of [['containers', 'spec.containers'], ['initContainers', 'spec.initContainers']] as const) {
    const r = validateContainerUpdates(s[field], o[field], path);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = s.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (typeof ads !== 'number' || ads < 0 || ads > 2147483647) {
      errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (typeof o.activeDeadlineSeconds === 'number' && o.activeDeadlineSeconds < ads) {
      errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (o.activeDeadlineSeconds !== undefined && o.activeDeadlineSeconds !== null) {
    errs.push(fieldErrors.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(s.tolerations, o.tolerations));
  const oldGates = new Set(objs(o.schedulingGates).map((g) => str(g.name)));
  objs(s.schedulingGates).forEach((g, i) => {
    if (!oldGates.has(str(g.name))) errs.push(fieldErrors.forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${str(g.name)}'`));
  });
  if (semanticEqual(s, o)) return errs;
  const munged: J = clone(s);
  munged.containers = objs(munged.containers).map((c, i) => ({ ...c, image: objs(o.containers)[i]?.image }));
  munged.initContainers = objs(munged.initContainers).map((c, i) => ({ ...c, image: objs(o.initContainers)[i]?.image }));
  munged.activeDeadlineSeconds = o.activeDeadlineSeconds;
  munged.schedulingGates = o.schedulingGates;
  munged.tolerations = o.tolerations;
  if (typeof o.terminationGracePeriodSeconds === 'number' && o.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = o.terminationGracePeriodSeconds;
  }
  if (objs(o.schedulingGates).length > 0) {
    // Gated pods may still get scheduling constraints (upstream only allows narrowing them).
    munged.nodeSelector = o.nodeSelector;
    if (isObj(munged.affinity) || isObj(o.affinity)) {
      munged.affinity = { ...(isObj(munged.affinity) ? munged.affinity : {}), nodeAffinity: isObj(o.affinity) ? o.affinity.nodeAffinity : undefined };
    }
  }
  if (!semanticEqual(munged, o)) {
    errs.push(fieldErrors.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}\n${specDiff(o, munged)}`));
  }
  return errs;
}

function validateIPList(list: unknown, path: string): FieldError[] {
  const entries = objs(list);
  const errs: FieldError[] = [];
  entries.forEach((e, i) => {
    if (!isIP(str(e.ip))) errs.push(fieldErrors.invalid(at(idx(path, i), 'ip'), str(e.ip), 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  if (errs.length === 0 && entries.length > 1) {
    const v6 = entries.map((e) => isIPv6(str(e.ip)));
    if (entries.length > 2 || v6[0] === v6[1]) errs.push(fieldErrors.invalid(path, entries, 'may specify no more than one IP for each IP family'));
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(str(e.ip))) errs.push(fieldErrors.duplicate(idx(path, i), e));
      seen.add(str(e.ip));
    });
  }
  return errs;
}

function validateStateTransitions(cur: unknown, prev: unknown, path: string, restartPolicy: string, restartable: (name: string) => boolean): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  objs(prev).forEach((o, i) => {
    const terminated = isObj(o.state) && isObj(o.state.terminated) ? o.state.terminated : undefined;
    if (!terminated) return;
    if ((terminated.exitCode ?? 0) !== 0 && restartPolicy === 'OnFailure') return;
    if (restartable(str(o.name))) return;
    for (const n of objs(cur)) {
      if (n.name === o.name && !(isObj(n.state) && isObj(n.state.terminated))) {
        errs.push(fieldErrors.forbidden(at(idx(path, i), 'state'), 'may not be transitioned to non-terminated state'));
      }
    }
  });
  return errs;
}

/** Upstream's ValidatePodStatusUpdate (without metadata, which the server checks). */
function validateStatusUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const s = spec(pod);
  const o = spec(old);
  const st = section(pod, 'status');
  const ost = section(old, 'status');
  const errs: FieldError[] = [...validateAnnotationUpdates(pod, old)];
  objs(st.conditions).forEach((c, i) => {
    if (['PodScheduled', 'Ready', 'Initialized'].includes(str(c.type))) return;
    // Upstream builds this path from the metadata path.
    errs.push(...isQualifiedName(str(c.type)).map((m) => fieldErrors.invalid(`metadata.conditions[${i}].Type`, str(c.type), m)));
  });
  if ((s.nodeName ?? '') !== (o.nodeName ?? '')) errs.push(fieldErrors.forbidden('status.nodeName', 'may not be changed directly'));
  if (st.nominatedNodeName && st.nominatedNodeName !== ost.nominatedNodeName) {
    errs.push(...isDNS1123Subdomain(str(st.nominatedNodeName)).map((m) => fieldErrors.invalid('status.nominatedNodeName', st.nominatedNodeName, m)));
  }
  if ((st.qosClass ?? '') !== (ost.qosClass ?? '')) errs.push(fieldErrors.immutable('status.qosClass', st.qosClass ?? ''));
  const restartPolicy = str(o.restartPolicy);
  const sidecars = new Set(objs(o.initContainers).filter((c) => c.restartPolicy === 'Always').map((c) => str(c.name)));
  errs.push(...validateStateTransitions(st.containerStatuses, ost.containerStatuses, 'status.containerStatuses', restartPolicy, () => false));
  errs.push(...validateStateTransitions(st.initContainerStatuses, ost.initContainerStatuses, 'status.initContainerStatuses', restartPolicy, (n) => sidecars.has(n)));
  errs.push(...validateStateTransitions(st.ephemeralContainerStatuses, ost.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never', () => false));
  errs.push(...validateIPList(st.podIPs, 'status.podIPs'));
  const hostIPs = objs(st.hostIPs);
  if (hostIPs.length > 0) {
    if ((st.hostIP ?? '') !== str(hostIPs[0]!.ip)) errs.push(fieldErrors.invalid('status.hostIPs[0].ip', str(hostIPs[0]!.ip), 'must be equal to `hostIP`'));
    errs.push(...validateIPList(st.hostIPs, 'status.hostIPs'));
  }
  return errs;
}

function prepareForCreate(pod: KubeObject): void {
  const s = spec(pod);
  const status: J = { phase: 'Pending', qosClass: computePodQOS(s) };
  if (objs(s.schedulingGates).length > 0) {
    status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }];
  }
  pod.status = status;
}

function prepareForStatusUpdate(pod: KubeObject, old: KubeObject): void {
  if (old.spec === undefined) delete pod.spec;
  else pod.spec = structuredClone(old.spec);
  const meta = (pod.metadata ??= {});
  const oldMeta = old.metadata ?? {};
  if (oldMeta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
  else meta.deletionTimestamp = oldMeta.deletionTimestamp;
  // Old kubelets corrupt owner references through pods/status; upstream ignores them there.
  if (oldMeta.ownerReferences === undefined) delete meta.ownerReferences;
  else meta.ownerReferences = structuredClone(oldMeta.ownerReferences);
  const st = isObj(pod.status) ? pod.status : (pod.status = {});
  const ost = section(old, 'status');
  if (!(st as J).qosClass && ost.qosClass) (st as J).qosClass = ost.qosClass;
}

/**
 * Upstream's CheckGracefulDelete: the requested grace period, else the pod's
 * terminationGracePeriodSeconds, but 0 for unscheduled or finished pods, and 1 for negative values.
 */
function defaultGracePeriodSeconds(pod: KubeObject, requested?: number): number {
  const s = spec(pod);
  const phase = section(pod, 'status').phase;
  let period = requested ?? (typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : 0);
  if (!s.nodeName) period = 0;
  if (phase === 'Failed' || phase === 'Succeeded') period = 0;
  return period < 0 ? 1 : period;
}

function none(v: unknown): string {
  return typeof v === 'string' && v ? v : '<none>';
}

export const pods: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  listKind: 'PodList',
  plural: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  categories: ['all'],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {
    status: true,
    attach: true,
    binding: true,
    ephemeralcontainers: true,
    eviction: true,
    exec: true,
    log: true,
    portforward: true,
    proxy: true,
  },
  model: 'V1Pod',
  printerColumns: [
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.', (obj, now) => podRow(obj, now).ready),
    column('Status', 'string', 'The aggregate status of the containers in this pod.', (obj, now) => podRow(obj, now).status),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      (obj, now) => podRow(obj, now).restarts,
    ),
    ageColumn(),
    column('IP', 'string', DOCS['V1PodStatus.podIP'], (obj) => none(objs(section(obj, 'status').podIPs)[0]?.ip), 1),
    column('Node', 'string', DOCS['V1PodSpec.nodeName'], (obj) => none(spec(obj).nodeName), 1),
    column('Nominated Node', 'string', DOCS['V1PodStatus.nominatedNodeName'], (obj) => none(section(obj, 'status').nominatedNodeName), 1),
    column('Readiness Gates', 'string', DOCS['V1PodSpec.readinessGates'], readinessGatesCell, 1),
  ],
  fieldSelectors: {
    'spec.nodeName': (obj) => str(spec(obj).nodeName),
    'spec.restartPolicy': (obj) => str(spec(obj).restartPolicy),
    'spec.schedulerName': (obj) => str(spec(obj).schedulerName),
    'spec.serviceAccountName': (obj) => str(spec(obj).serviceAccountName),
    'spec.hostNetwork': (obj) => String(spec(obj).hostNetwork === true),
    'status.phase': (obj) => str(section(obj, 'status').phase),
    'status.podIP': (obj) => str(objs(section(obj, 'status').podIPs)[0]?.ip),
    'status.nominatedNodeName': (obj) => str(section(obj, 'status').nominatedNodeName),
  },
  strategy: {
    defaults,
    validate,
    validateUpdate,
    validateStatusUpdate,
    prepareForCreate,
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate,
    // Pods get metadata.generation only from 1.33 on; the served version is 1.30.
    tracksGeneration: false,
    defaultGracePeriodSeconds,
  },
  storageResource: 'pods',
};
