// PodSpec and PodTemplateSpec validation (upstream's ValidatePodSpec / ValidatePodTemplateSpec).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateAnnotations, validateLabels } from '../../validation/meta.ts';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP } from '../../validation/names.ts';
import {
  validateAppArmorProfile,
  validateContainers,
  validateEphemeralContainers,
  validateIdRange,
  validateInitContainers,
  validateSeccompProfile,
  type PodContext,
} from './container-validation.ts';
import { at, idx, isObj, key, objs, str, strs, type J } from './json.ts';
import { validateResourceList } from './quantities.ts';
import { validateAffinity, validateSchedulingGates, validateTolerations, validateTopologySpreadConstraints } from './scheduling-validation.ts';
import { validateLocalDescendingPath, validateVolumes } from './volume-validation.ts';

export interface PodSpecValidationOptions {
  /** The spec belongs to a Pod (not a template): host ports must equal container ports with hostNetwork. */
  resourceIsPod?: boolean;
  /** The pod's name, to check generic ephemeral volumes' PVC names. */
  podName?: string;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

function enumField(value: unknown, path: string, supported: string[]): FieldError[] {
  if (!value) return [fieldErrors.required(path)];
  return supported.includes(str(value)) ? [] : [fieldErrors.notSupported(path, value, supported)];
}

function validateDNSConfig(cfg: unknown, policy: unknown, path: string): FieldError[] {
  if (policy === 'None') {
    if (!isObj(cfg)) return [fieldErrors.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (strs(cfg.nameservers).length === 0) return [fieldErrors.required(at(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObj(cfg)) return [];
  const errs: FieldError[] = [];
  const ns = strs(cfg.nameservers);
  if (ns.length > 3) errs.push(fieldErrors.invalid(at(path, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((ip, i) => errs.push(...isValidIP(ip).map((m) => fieldErrors.invalid(idx(at(path, 'nameservers'), i), ip, m))));
  const searches = strs(cfg.searches);
  if (searches.length > 32) errs.push(fieldErrors.invalid(at(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(fieldErrors.invalid(at(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    // 1.30 (the version served) checks each search as a DNS-1123 subdomain, a trailing dot allowed.
    const v = s.endsWith('.') ? s.slice(0, -1) : s;
    errs.push(...isDNS1123Subdomain(v).map((m) => fieldErrors.invalid(idx(at(path, 'searches'), i), v, m)));
  });
  objs(cfg.options).forEach((o, i) => {
    if (!o.name) errs.push(fieldErrors.required(idx(at(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}

const SYSCTL_RE = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

function validatePodSecurityContext(spec: J, path: string): FieldError[] {
  const sc = spec.securityContext;
  if (!isObj(sc)) return [];
  const errs = [
    ...validateIdRange(sc.fsGroup, at(path, 'fsGroup')),
    ...validateIdRange(sc.runAsUser, at(path, 'runAsUser')),
    ...validateIdRange(sc.runAsGroup, at(path, 'runAsGroup')),
  ];
  (Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups : []).forEach((g: unknown, i: number) => errs.push(...validateIdRange(g, idx(at(path, 'supplementalGroups'), i))));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(fieldErrors.invalid(at(path, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  const seen = new Set<string>();
  objs(sc.sysctls).forEach((s, i) => {
    const np = at(idx(at(path, 'sysctls'), i), 'name');
    const name = str(s.name);
    if (!name) errs.push(fieldErrors.required(np));
    else if (name.length > 253 || !SYSCTL_RE.test(name)) {
      errs.push(fieldErrors.invalid(np, name, `must have at most 253 characters and match regex ${SYSCTL_RE.source}`));
    } else if (seen.has(name)) errs.push(fieldErrors.duplicate(np, name));
    const normalized = name.replaceAll('/', '.');
    if (spec.hostNetwork === true && normalized.startsWith('net.')) errs.push(fieldErrors.invalid(np, name, "may not be specified when 'hostNetwork' is true"));
    if (spec.hostIPC === true && (normalized.startsWith('kernel.shm') || normalized.startsWith('kernel.msg') || normalized === 'kernel.sem' || normalized.startsWith('fs.mqueue.'))) {
      errs.push(fieldErrors.invalid(np, name, "may not be specified when 'hostIPC' is true"));
    }
    seen.add(name);
  });
  if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== null && !['Always', 'OnRootMismatch'].includes(sc.fsGroupChangePolicy)) {
    errs.push(fieldErrors.notSupported(at(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, at(path, 'seccompProfile')));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, at(path, 'appArmorProfile')));
  if (sc.supplementalGroupsPolicy !== undefined && sc.supplementalGroupsPolicy !== null && !['Merge', 'Strict'].includes(sc.supplementalGroupsPolicy)) {
    errs.push(fieldErrors.notSupported(at(path, 'supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, ['Merge', 'Strict']));
  }
  if (sc.seLinuxChangePolicy !== undefined && sc.seLinuxChangePolicy !== null && !['MountOption', 'Recursive'].includes(sc.seLinuxChangePolicy)) {
    errs.push(fieldErrors.notSupported(at(path, 'seLinuxChangePolicy'), sc.seLinuxChangePolicy, ['MountOption', 'Recursive']));
  }
  return errs;
}

function validateOS(spec: J, path: string): FieldError[] {
  const os = spec.os;
  if (!isObj(os)) return [];
  const op = at(path, 'os');
  if (!os.name) return [fieldErrors.required(at(op, 'name'), 'cannot be empty')];
  if (os.name !== 'linux' && os.name !== 'windows') return [fieldErrors.notSupported(op, os.name, ['linux', 'windows'])];
  const errs: FieldError[] = [];
  const containers: [J, string][] = [];
  for (const kind of ['containers', 'initContainers', 'ephemeralContainers']) objs(spec[kind]).forEach((c, i) => containers.push([c, idx(at(path, kind), i)]));
  const sc = isObj(spec.securityContext) ? spec.securityContext : {};
  if (os.name === 'linux') {
    if (isObj(sc.windowsOptions)) errs.push(fieldErrors.forbidden(at(at(path, 'securityContext'), 'windowsOptions'), 'windows options cannot be set for a linux pod'));
    for (const [c, cp] of containers) {
      if (isObj(c.securityContext) && isObj(c.securityContext.windowsOptions)) {
        errs.push(fieldErrors.forbidden(at(at(cp, 'securityContext'), 'windowsOptions'), 'windows options cannot be set for a linux pod'));
      }
    }
    return errs;
  }
  const podFields = ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'fsGroup', 'fsGroupChangePolicy', 'sysctls', 'runAsUser', 'runAsGroup', 'supplementalGroups'];
  if (spec.hostPID === true) errs.push(fieldErrors.forbidden(at(path, 'hostPID'), 'cannot be set for a windows pod'));
  if (spec.hostIPC === true) errs.push(fieldErrors.forbidden(at(path, 'hostIPC'), 'cannot be set for a windows pod'));
  for (const f of podFields) {
    if (sc[f] !== undefined && sc[f] !== null && !(Array.isArray(sc[f]) && sc[f].length === 0)) errs.push(fieldErrors.forbidden(at(at(path, 'securityContext'), f), 'cannot be set for a windows pod'));
  }
  const ctrFields = ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup'];
  for (const [c, cp] of containers) {
    if (!isObj(c.securityContext)) continue;
    for (const f of ctrFields) {
      if (c.securityContext[f] !== undefined && c.securityContext[f] !== null) errs.push(fieldErrors.forbidden(at(at(cp, 'securityContext'), f), 'cannot be set for a windows pod'));
    }
  }
  return errs;
}

function validateHostNetworkDeps(spec: J, path: string, resourceIsPod: boolean): FieldError[] {
  if (spec.hostNetwork !== true) return [];
  const errs: FieldError[] = [];
  objs(spec.containers).forEach((c, i) => {
    objs(c.ports).forEach((p, j) => {
      const hp = p.hostPort ?? 0;
      const cp = p.containerPort ?? 0;
      if ((resourceIsPod || hp !== 0) && hp !== cp) {
        errs.push(fieldErrors.invalid(at(idx(at(idx(at(path, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

function validateResourceClaims(claims: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  objs(claims).forEach((c, i) => {
    const cp = idx(path, i);
    const name = str(c.name);
    if (!name) errs.push(fieldErrors.required(at(cp, 'name')));
    else if (names.has(name)) errs.push(fieldErrors.duplicate(at(cp, 'name'), name));
    else {
      errs.push(...isDNS1123Label(name).map((m) => fieldErrors.invalid(at(cp, 'name'), name, m)));
      names.add(name);
    }
    const hasName = c.resourceClaimName !== undefined && c.resourceClaimName !== null;
    const hasTemplate = c.resourceClaimTemplateName !== undefined && c.resourceClaimTemplateName !== null;
    if (hasName && hasTemplate) errs.push(fieldErrors.invalid(cp, c, 'at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified'));
    if (!hasName && !hasTemplate) errs.push(fieldErrors.invalid(cp, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'));
    for (const f of ['resourceClaimName', 'resourceClaimTemplateName']) {
      if (typeof c[f] === 'string') errs.push(...isDNS1123Subdomain(c[f]).map((m) => fieldErrors.invalid(at(cp, f), c[f], m)));
    }
  });
  return { names, errs };
}

/** Upstream's ValidatePodSpec (the pod's own metadata is validated elsewhere). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const s = isObj(spec) ? spec : {};
  const errs: FieldError[] = [];
  const grace = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) errs.push(fieldErrors.required(at(path, 'terminationGracePeriodSeconds')));
  const hostUsers = !isObj(s.securityContext) || s.securityContext.hostUsers !== false;
  const vols = validateVolumes(s.volumes, at(path, 'volumes'), opts.podName);
  errs.push(...vols.errs);
  const claims = validateResourceClaims(s.resourceClaims, at(path, 'resourceClaims'));
  errs.push(...claims.errs);
  const ctx: PodContext = { volumes: vols.volumes, gracePeriod: grace, restartPolicy: str(s.restartPolicy), hostUsers, claimNames: claims.names };
  errs.push(...validateContainers(s.containers, ctx, at(path, 'containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, ctx, at(path, 'initContainers')));
  errs.push(...validateEphemeralContainers(s.ephemeralContainers, s.containers, s.initContainers, ctx, at(path, 'ephemeralContainers')));
  errs.push(...validateHostNetworkDeps(s, path, opts.resourceIsPod ?? false));
  errs.push(...enumField(s.restartPolicy, at(path, 'restartPolicy'), RESTART_POLICIES));
  errs.push(...enumField(s.dnsPolicy, at(path, 'dnsPolicy'), DNS_POLICIES));
  errs.push(...validateLabels(isObj(s.nodeSelector) ? s.nodeSelector : undefined, at(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(s, at(path, 'securityContext')));
  objs(s.imagePullSecrets).forEach((ref, i) => {
    if (Object.keys(ref).some((k) => k !== 'name')) errs.push(fieldErrors.invalid(idx(at(path, 'imagePullSecrets'), i), ref, 'only name may be set'));
  });
  errs.push(...validateAffinity(s.affinity, at(path, 'affinity')));
  errs.push(...validateDNSConfig(s.dnsConfig, s.dnsPolicy, at(path, 'dnsConfig')));
  objs(s.readinessGates).forEach((g, i) => {
    const ct = str(g.conditionType);
    errs.push(...isQualifiedName(ct).map((m) => fieldErrors.invalid(at(idx(at(path, 'readinessGates'), i), 'conditionType'), ct, m)));
  });
  errs.push(...validateSchedulingGates(s.schedulingGates, at(path, 'schedulingGates')));
  errs.push(...validateTopologySpreadConstraints(s.topologySpreadConstraints, at(path, 'topologySpreadConstraints')));
  if (!hostUsers) {
    if (s.hostNetwork === true) errs.push(fieldErrors.forbidden(at(path, 'hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (s.hostPID === true) errs.push(fieldErrors.forbidden(at(path, 'HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (s.hostIPC === true) errs.push(fieldErrors.forbidden(at(path, 'HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  for (const [f, check] of [
    ['serviceAccountName', isDNS1123Subdomain],
    ['nodeName', isDNS1123Subdomain],
  ] as const) {
    if (s[f]) errs.push(...check(str(s[f])).map((m) => fieldErrors.invalid(at(path, f), s[f], m)));
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (typeof v !== 'number' || v < 1 || v > 2147483647) errs.push(fieldErrors.invalid(at(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, 2147483647)));
  }
  for (const f of ['hostname', 'subdomain']) {
    if (s[f]) errs.push(...isDNS1123Label(str(s[f])).map((m) => fieldErrors.invalid(at(path, f), s[f], m)));
  }
  errs.push(...validateTolerations(s.tolerations, at(path, 'tolerations')));
  objs(s.hostAliases).forEach((a, i) => {
    const ap = idx(at(path, 'hostAliases'), i);
    errs.push(...isValidIP(str(a.ip)).map((m) => fieldErrors.invalid(at(ap, 'ip'), str(a.ip), m)));
    strs(a.hostnames).forEach((h, j) => errs.push(...isDNS1123Subdomain(h).map((m) => fieldErrors.invalid(idx(at(ap, 'hostnames'), j), h, m))));
  });
  if (s.priorityClassName) errs.push(...isDNS1123Subdomain(str(s.priorityClassName)).map((m) => fieldErrors.invalid(at(path, 'priorityClassName'), s.priorityClassName, m)));
  if (typeof s.runtimeClassName === 'string') {
    errs.push(...isDNS1123Subdomain(s.runtimeClassName).map((m) => fieldErrors.invalid(at(path, 'runtimeClassName'), s.runtimeClassName, m)));
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    errs.push(...enumField(s.preemptionPolicy, at(path, 'preemptionPolicy'), ['PreemptLowerPriority', 'Never']));
  }
  if (isObj(s.overhead)) errs.push(...validateResourceList(s.overhead, at(path, 'overhead')).errs);
  errs.push(...validateOS(s, path));
  return errs;
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function validateSeccompAnnotationValue(v: string, path: string): FieldError[] {
  if (v === 'runtime/default' || v === 'docker/default' || v === 'unconfined') return [];
  if (v.startsWith('localhost/')) return validateLocalDescendingPath(v.slice('localhost/'.length), path);
  return [fieldErrors.invalid(path, v, 'must be a valid seccomp profile')];
}

/** Annotations with meaning for pods: mirror pods, deletion cost, seccomp and AppArmor. */
export function validatePodSpecificAnnotations(annotations: unknown, spec: unknown, path: string): FieldError[] {
  const a = isObj(annotations) ? (annotations as Record<string, string>) : {};
  const s = isObj(spec) ? spec : {};
  const errs: FieldError[] = [];
  if ('kubernetes.io/config.mirror' in a && !s.nodeName) {
    errs.push(fieldErrors.invalid(key(path, 'kubernetes.io/config.mirror'), a['kubernetes.io/config.mirror'], 'must set spec.nodeName if mirror pod annotation is set'));
  }
  const cost = a['controller.kubernetes.io/pod-deletion-cost'];
  if (cost !== undefined && !(/^[+-]?[0-9]+$/.test(cost) && Number(cost) >= -2147483648 && Number(cost) <= 2147483647)) {
    errs.push(fieldErrors.invalid(key(path, 'controller.kubernetes.io/pod-deletion-cost'), cost, 'must be a 32bit integer'));
  }
  if (SECCOMP_POD_ANNOTATION in a) errs.push(...validateSeccompAnnotationValue(a[SECCOMP_POD_ANNOTATION]!, at(path, SECCOMP_POD_ANNOTATION)));
  const containerNames = new Set(['containers', 'initContainers', 'ephemeralContainers'].flatMap((k) => objs(s[k]).map((c) => str(c.name))));
  for (const [k, v] of Object.entries(a)) {
    if (k.startsWith(SECCOMP_CONTAINER_PREFIX)) errs.push(...validateSeccompAnnotationValue(String(v), at(path, k)));
    if (k.startsWith(APPARMOR_PREFIX)) {
      const name = k.slice(APPARMOR_PREFIX.length);
      if (!containerNames.has(name)) errs.push(fieldErrors.invalid(key(path, k), name, 'container not found'));
      const p = String(v);
      if (p !== '' && p !== 'runtime/default' && p !== 'unconfined' && !p.startsWith('localhost/')) {
        errs.push(fieldErrors.invalid(key(path, k), p, `invalid AppArmor profile name: ${JSON.stringify(p)}`));
      }
    }
  }
  return errs;
}

/** Upstream's ValidatePodTemplateSpec: template labels and annotations, then the spec. */
export function validatePodTemplateSpec(template: unknown, path: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const t = isObj(template) ? template : {};
  const meta = isObj(t.metadata) ? t.metadata : {};
  const spec = isObj(t.spec) ? t.spec : {};
  // Upstream's internal ObjectMeta is inlined in the template, so these paths skip `metadata`.
  const errs = [
    ...validateLabels(meta.labels, at(path, 'labels')),
    ...validateAnnotations(meta.annotations, at(path, 'annotations')),
    ...validatePodSpecificAnnotations(meta.annotations, spec, at(path, 'annotations')),
    ...validatePodSpec(spec, at(path, 'spec'), { ...opts, resourceIsPod: false }),
  ];
  if (objs(spec.ephemeralContainers).length > 0) {
    errs.push(fieldErrors.forbidden(at(at(path, 'spec'), 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
