// Container validation (regular, init and ephemeral), as upstream's validateContainerCommon and
// friends in pkg/apis/core/validation.
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isHTTPHeaderName,
  isQualifiedName,
  isEnvVarName,
  isValidPortName,
  isValidPortNum,
  validateName,
} from '../../validation/names.ts';
import { compareQuantity, formatQuantity } from '../../validation/quantity.ts';
import { at, idx, isObj, objs, str, strs, type J } from './json.ts';
import { validateResourceList } from './quantities.ts';
import {
  isExtendedResourceName,
  isHugePageResourceName,
  isNativeResource,
  isOvercommitAllowed,
  isStandardContainerResourceName,
  isStandardResourceName,
} from './resource-names.ts';
import { validateLocalDescendingPath, validateObjectFieldSelector, validatePathNoBacksteps, validateResourceFieldSelector } from './volume-validation.ts';

/** What container validation needs to know about the pod around it. */
export interface PodContext {
  /** Valid volumes by name. */
  volumes: Map<string, J>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
  claimNames: Set<string>;
}

const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const MAX_ID = 4294967295;

function nonnegative(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [fieldErrors.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

/** An IntOrString port: numbers in range, names as IANA service names. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => fieldErrors.invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => fieldErrors.invalid(path, port, m));
  return isValidPortNum(0).map((m) => fieldErrors.invalid(path, 0, m));
}

function validateContainerPorts(ports: J[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = idx(path, i);
    const name = str(p.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...msgs.map((m) => fieldErrors.invalid(at(pp, 'name'), name, m)));
      else if (names.has(name)) errs.push(fieldErrors.duplicate(at(pp, 'name'), name));
      else names.add(name);
    }
    if (!p.containerPort) errs.push(fieldErrors.required(at(pp, 'containerPort')));
    else errs.push(...isValidPortNum(p.containerPort).map((m) => fieldErrors.invalid(at(pp, 'containerPort'), p.containerPort, m)));
    if (p.hostPort) errs.push(...isValidPortNum(p.hostPort).map((m) => fieldErrors.invalid(at(pp, 'hostPort'), p.hostPort, m)));
    if (!p.protocol) errs.push(fieldErrors.required(at(pp, 'protocol')));
    else if (!SUPPORTED_PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(at(pp, 'protocol'), p.protocol, SUPPORTED_PROTOCOLS));
  });
  return errs;
}

function validateKeySelector(s: J, path: string): FieldError[] {
  const errs = validateName('dns1123Subdomain', str(s.name)).map((m) => fieldErrors.invalid(at(path, 'name'), str(s.name), m));
  if (!s.key) errs.push(fieldErrors.required(at(path, 'key')));
  else errs.push(...isConfigMapKey(str(s.key)).map((m) => fieldErrors.invalid(at(path, 'key'), s.key, m)));
  return errs;
}

function validateEnv(env: J[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((ev, i) => {
    const ep = idx(path, i);
    if (!ev.name) errs.push(fieldErrors.required(at(ep, 'name')));
    // 1.30 (the version served): the strict name format; the relaxed one only arrives with 1.32.
    else errs.push(...isEnvVarName(str(ev.name)).map((m) => fieldErrors.invalid(at(ep, 'name'), ev.name, m)));
    if (!isObj(ev.valueFrom)) return;
    const vp = at(ep, 'valueFrom');
    const vf = ev.valueFrom;
    let n = 0;
    if (isObj(vf.fieldRef)) {
      n++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, at(vp, 'fieldRef')));
    }
    if (isObj(vf.resourceFieldRef)) {
      n++;
      errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, at(vp, 'resourceFieldRef'), false));
    }
    if (isObj(vf.configMapKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, at(vp, 'configMapKeyRef')));
    }
    if (isObj(vf.secretKeyRef)) {
      n++;
      errs.push(...validateKeySelector(vf.secretKeyRef, at(vp, 'secretKeyRef')));
    }
    if (n === 0) errs.push(fieldErrors.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev.value) errs.push(fieldErrors.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(fieldErrors.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: J[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  envFrom.forEach((ev, i) => {
    const ep = idx(path, i);
    if (ev.prefix) errs.push(...isEnvVarName(str(ev.prefix)).map((m) => fieldErrors.invalid(at(ep, 'prefix'), ev.prefix, m)));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      if (!isObj(ev[kind])) continue;
      n++;
      const name = str(ev[kind].name);
      if (!name) errs.push(fieldErrors.required(at(at(ep, kind), 'name')));
      else errs.push(...validateName('dns1123Subdomain', name, true).map((m) => fieldErrors.invalid(at(at(ep, kind), 'name'), name, m)));
    }
    if (n === 0) errs.push(fieldErrors.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(fieldErrors.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(c: J, ctx: PodContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const devices = new Map(objs(c.volumeDevices).map((d) => [str(d.name), str(d.devicePath)]));
  const privileged = isObj(c.securityContext) && c.securityContext.privileged === true;
  objs(c.volumeMounts).forEach((m, i) => {
    const mp = idx(path, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(fieldErrors.required(at(mp, 'name')));
    if (!ctx.volumes.has(name)) errs.push({ type: 'FieldValueNotFound', field: at(mp, 'name'), message: `Not found: ${JSON.stringify(name)}` });
    if (!mountPath) errs.push(fieldErrors.required(at(mp, 'mountPath')));
    if (mountPoints.has(mountPath)) errs.push(fieldErrors.invalid(at(mp, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (devices.has(name)) errs.push(fieldErrors.invalid(at(mp, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) errs.push(fieldErrors.invalid(at(mp, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    const vol = ctx.volumes.get(name);
    if (vol && isObj(vol.image)) {
      if (m.subPath) errs.push(fieldErrors.invalid(at(mp, 'subPath'), m.subPath, 'not allowed in image volume sources'));
      if (m.subPathExpr) errs.push(fieldErrors.invalid(at(mp, 'subPathExpr'), m.subPathExpr, 'not allowed in image volume sources'));
    }
    // Upstream reports these at the list's path, not the item's.
    if (m.subPath) errs.push(...validateLocalDescendingPath(str(m.subPath), at(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(fieldErrors.invalid(at(mp, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(str(m.subPathExpr), at(path, 'subPathExpr')));
    }
    if (m.mountPropagation !== undefined && m.mountPropagation !== null) {
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(m.mountPropagation)) errs.push(fieldErrors.notSupported(at(path, 'mountPropagation'), m.mountPropagation, supported));
      if (m.mountPropagation === 'Bidirectional' && !privileged) {
        errs.push(fieldErrors.forbidden(at(path, 'mountPropagation'), 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    if (m.recursiveReadOnly !== undefined && m.recursiveReadOnly !== null && m.recursiveReadOnly !== 'Disabled') {
      const rp = at(path, 'recursiveReadOnly');
      if (m.recursiveReadOnly === 'Enabled' || m.recursiveReadOnly === 'IfPossible') {
        if (m.readOnly !== true) errs.push(fieldErrors.forbidden(rp, 'may only be specified when readOnly is true'));
        if (m.mountPropagation && m.mountPropagation !== 'None') errs.push(fieldErrors.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else {
        errs.push(fieldErrors.notSupported(rp, m.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible']));
      }
    }
  });
  return errs;
}

function validateVolumeDevices(c: J, ctx: PodContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mounts = new Map(objs(c.volumeMounts).map((m) => [str(m.name), str(m.mountPath)]));
  const paths = new Set<string>();
  const names = new Set<string>();
  objs(c.volumeDevices).forEach((d, i) => {
    const dp = idx(path, i);
    const name = str(d.name);
    const devicePath = str(d.devicePath);
    const vol = ctx.volumes.get(name);
    if (!name) errs.push(fieldErrors.required(at(dp, 'name')));
    if (names.has(name)) errs.push(fieldErrors.invalid(at(dp, 'name'), name, 'must be unique'));
    if (vol && !isObj(vol.persistentVolumeClaim) && !isObj(vol.ephemeral)) {
      errs.push(fieldErrors.invalid(at(dp, 'name'), name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (!vol) errs.push({ type: 'FieldValueNotFound', field: at(dp, 'name'), message: `Not found: ${JSON.stringify(name)}` });
    if (!devicePath) errs.push(fieldErrors.required(at(dp, 'devicePath')));
    if (paths.has(devicePath)) errs.push(fieldErrors.invalid(at(dp, 'devicePath'), devicePath, 'must be unique'));
    if (devicePath && validatePathNoBacksteps(devicePath, '').length > 0) {
      errs.push(fieldErrors.invalid(at(dp, 'devicePath'), devicePath, "can not contain backsteps ('..')"));
    } else {
      paths.add(devicePath);
    }
    if (mounts.has(name)) errs.push(fieldErrors.invalid(at(dp, 'name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(devicePath)) errs.push(fieldErrors.invalid(at(dp, 'devicePath'), devicePath, 'must not already exist as a path in volumeMounts'));
    if (name) names.add(name);
  });
  return errs;
}

/** Resource names in a container's requests/limits (upstream's validateContainerResourceName). */
export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErrors.invalid(path, name, m));
  const unqualified = !name.includes('/');
  if (errs.length === 0 && unqualified && !isStandardResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource type or fully qualified'));
  if (unqualified) {
    if (!isStandardContainerResourceName(name)) errs.push(fieldErrors.invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(fieldErrors.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Upstream's validateResourceRequirements for containers: names, quantities, requests <= limits. */
export function validateResourceRequirements(res: unknown, path: string, claimNames: Set<string>): FieldError[] {
  const r = isObj(res) ? res : {};
  const limPath = at(path, 'limits');
  const reqPath = at(path, 'requests');
  const lim = validateResourceList(r.limits, limPath, validateContainerResourceName);
  const errs = [...lim.errs];
  const requested: string[] = [];
  for (const [name, value] of Object.entries(isObj(r.requests) ? r.requests : {})) {
    const one = validateResourceList({ [name]: value }, reqPath, validateContainerResourceName);
    errs.push(...one.errs);
    const q = one.parsed.get(name);
    if (!q) continue;
    requested.push(name);
    const limit = lim.parsed.get(name);
    if (limit) {
      if (compareQuantity(q, limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
      } else if (compareQuantity(q, limit) > 0) {
        errs.push(fieldErrors.invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldErrors.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  const names = [...lim.parsed.keys(), ...requested];
  const hasCpuOrMemory = names.some((n) => n === 'cpu' || n === 'memory');
  if (!hasCpuOrMemory && names.some(isHugePageResourceName)) errs.push(fieldErrors.forbidden(path, 'HugePages require cpu or memory'));
  const seen = new Set<string>();
  objs(r.claims).forEach((c, i) => {
    const cp = idx(at(path, 'claims'), i);
    const name = str(c.name);
    if (!name) return errs.push(fieldErrors.required(cp));
    const k = c.request ? `${name}/${str(c.request)}` : name;
    if (seen.has(name) || seen.has(k)) errs.push(fieldErrors.duplicate(cp, k));
    seen.add(k);
    if (!claimNames.has(name)) {
      const known = [...claimNames].sort();
      errs.push({
        type: 'FieldValueNotFound',
        field: cp,
        message: `Not found: ${JSON.stringify(name)}: must be one of the names in pod.spec.resourceClaims${known.length ? `: ${known.join(', ')}` : ' which is empty'}`,
      });
    }
    return undefined;
  });
  return errs;
}

function validateSeccompProfile(sp: unknown, path: string): FieldError[] {
  if (!isObj(sp)) return [];
  const errs: FieldError[] = [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (!sp.type) errs.push(fieldErrors.required(at(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!types.includes(sp.type)) errs.push(fieldErrors.notSupported(at(path, 'type'), sp.type, types));
  if (sp.type === 'Localhost') {
    if (sp.localhostProfile === undefined || sp.localhostProfile === null) {
      errs.push(fieldErrors.required(at(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    } else {
      errs.push(...validateLocalDescendingPath(str(sp.localhostProfile), at(path, 'localhostProfile')));
    }
  } else if (sp.localhostProfile !== undefined && sp.localhostProfile !== null) {
    errs.push(fieldErrors.invalid(at(path, 'localhostProfile'), sp, 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

function validateAppArmorProfile(p: unknown, path: string): FieldError[] {
  if (!isObj(p)) return [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  switch (p.type) {
    case 'Localhost': {
      const lp = p.localhostProfile;
      if (typeof lp !== 'string' || lp.trim() === '') return [fieldErrors.required(at(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost')];
      if (lp.trim() !== lp) return [fieldErrors.invalid(at(path, 'localhostProfile'), lp, 'must not be padded with whitespace')];
      return lp.length > 4095 ? [fieldErrors.tooLong(at(path, 'localhostProfile'), 4095)] : [];
    }
    case 'RuntimeDefault':
    case 'Unconfined':
      return p.localhostProfile !== undefined && p.localhostProfile !== null
        ? [fieldErrors.invalid(at(path, 'localhostProfile'), p.localhostProfile, 'can only be set when AppArmor type is Localhost')]
        : [];
    case undefined:
    case null:
    case '':
      return [fieldErrors.required(at(path, 'type'), 'type is required when appArmorProfile is set')];
    default:
      return [fieldErrors.notSupported(at(path, 'type'), p.type, types)];
  }
}

export function validateIdRange(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && (v < 0 || v > MAX_ID) ? [fieldErrors.invalid(path, v, inclusiveRangeError(0, MAX_ID))] : [];
}

export { validateSeccompProfile, validateAppArmorProfile };

/** A container's securityContext (upstream's ValidateSecurityContext). */
function validateSecurityContext(sc: unknown, path: string, hostUsers: boolean): FieldError[] {
  if (!isObj(sc)) return [];
  const errs = [...validateIdRange(sc.runAsUser, at(path, 'runAsUser')), ...validateIdRange(sc.runAsGroup, at(path, 'runAsGroup'))];
  if (sc.procMount !== undefined && sc.procMount !== null) {
    if (!['Default', 'Unmasked'].includes(sc.procMount)) errs.push(fieldErrors.notSupported(at(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
    if (hostUsers && sc.procMount === 'Unmasked') errs.push(fieldErrors.invalid(at(path, 'procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, at(path, 'seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(fieldErrors.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (isObj(sc.capabilities) && strs(sc.capabilities.add).includes('CAP_SYS_ADMIN')) {
      errs.push(fieldErrors.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, at(path, 'appArmorProfile')));
  return errs;
}

function validateResizePolicy(list: J[], path: string, podRestartPolicy: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list.forEach((p, i) => {
    const name = str(p.resourceName);
    if (seen.has(name)) errs.push(fieldErrors.duplicate(idx(path, i), name));
    seen.add(name);
    if (!name) errs.push(fieldErrors.required(path));
    else if (name !== 'cpu' && name !== 'memory') errs.push(fieldErrors.notSupported(path, name, ['cpu', 'memory']));
    const policy = str(p.restartPolicy);
    if (!policy) errs.push(fieldErrors.required(path));
    else if (policy !== 'NotRequired' && policy !== 'RestartContainer') errs.push(fieldErrors.notSupported(path, policy, ['NotRequired', 'RestartContainer']));
    if (podRestartPolicy === 'Never' && policy !== 'NotRequired') errs.push(fieldErrors.invalid(path, policy, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
  });
  return errs;
}

/** Checks shared by every kind of container. */
export function validateContainerCommon(c: J, ctx: PodContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(fieldErrors.required(at(path, 'name')));
  else errs.push(...isDNS1123Label(name).map((m) => fieldErrors.invalid(at(path, 'name'), name, m)));
  if (!c.image) errs.push(fieldErrors.required(at(path, 'image')));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(fieldErrors.required(at(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(fieldErrors.notSupported(at(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(objs(c.ports), at(path, 'ports')));
  errs.push(...validateEnv(objs(c.env), at(path, 'env')));
  errs.push(...validateEnvFrom(objs(c.envFrom), at(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c, ctx, at(path, 'volumeMounts')));
  errs.push(...validateVolumeDevices(c, ctx, at(path, 'volumeDevices')));
  const pull = c.imagePullPolicy;
  if (!pull) errs.push(fieldErrors.required(at(path, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(fieldErrors.notSupported(at(path, 'imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateResourceRequirements(c.resources, at(path, 'resources'), ctx.claimNames));
  errs.push(...validateResizePolicy(objs(c.resizePolicy), at(path, 'resizePolicy'), ctx.restartPolicy));
  errs.push(...validateSecurityContext(c.securityContext, at(path, 'securityContext'), ctx.hostUsers));
  return errs;
}

type HandlerKind = 'exec' | 'httpGet' | 'tcpSocket' | 'grpc' | 'sleep';

function validateHandler(h: J, kinds: HandlerKind[], gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    if (!isObj(h[kind])) continue;
    const kp = at(path, kind);
    if (n > 0) {
      errs.push(fieldErrors.forbidden(kp, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const a = h[kind];
    if (kind === 'exec' && strs(a.command).length === 0) errs.push(fieldErrors.required(at(kp, 'command')));
    if (kind === 'httpGet') {
      if (!a.path) errs.push(fieldErrors.required(at(kp, 'path')));
      errs.push(...validatePortNumOrName(a.port, at(kp, 'port')));
      if (a.scheme !== 'HTTP' && a.scheme !== 'HTTPS') errs.push(fieldErrors.notSupported(at(kp, 'scheme'), a.scheme ?? '', ['HTTP', 'HTTPS']));
      for (const hdr of objs(a.httpHeaders)) errs.push(...isHTTPHeaderName(str(hdr.name)).map((m) => fieldErrors.invalid(at(kp, 'httpHeaders'), str(hdr.name), m)));
    }
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(a.port, at(kp, 'port')));
    if (kind === 'grpc') errs.push(...validatePortNumOrName(typeof a.port === 'number' ? a.port : 0, at(kp, 'port')));
    if (kind === 'sleep' && gracePeriod !== undefined) {
      const secs = typeof a.seconds === 'number' ? a.seconds : 0;
      if (secs <= 0 || secs > gracePeriod) errs.push(fieldErrors.invalid(kp, secs, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`));
    }
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(p: unknown, kind: 'liveness' | 'readiness' | 'startup', gracePeriod: number | undefined, path: string): FieldError[] {
  if (!isObj(p)) return [];
  const errs = validateHandler(p, ['exec', 'httpGet', 'tcpSocket', 'grpc'], gracePeriod, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) errs.push(...nonnegative(p[f], at(path, f)));
  const tgps = p.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0) errs.push(fieldErrors.invalid(at(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind !== 'readiness' && (p.successThreshold ?? 0) !== 1) errs.push(fieldErrors.invalid(at(path, 'successThreshold'), p.successThreshold ?? 0, 'must be 1'));
  if (kind === 'readiness' && tgps !== undefined && tgps !== null) errs.push(fieldErrors.invalid(at(path, 'terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  return errs;
}

function validateLifecycleAndProbes(c: J, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isObj(c.lifecycle)) {
    for (const hook of ['postStart', 'preStop']) {
      if (isObj(c.lifecycle[hook])) errs.push(...validateHandler(c.lifecycle[hook], ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod, at(at(path, 'lifecycle'), hook)));
    }
  }
  errs.push(...validateProbe(c.livenessProbe, 'liveness', gracePeriod, at(path, 'livenessProbe')));
  errs.push(...validateProbe(c.readinessProbe, 'readiness', gracePeriod, at(path, 'readinessProbe')));
  errs.push(...validateProbe(c.startupProbe, 'startup', gracePeriod, at(path, 'startupProbe')));
  return errs;
}

function hostPortConflicts(containers: J[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    objs(c.ports).forEach((p, pi) => {
      if (!p.hostPort) return;
      const k = `${str(p.protocol)}/${str(p.hostIP)}/${p.hostPort}`;
      if (seen.has(k)) errs.push(fieldErrors.duplicate(at(idx(at(idx(path, ci), 'ports'), pi), 'hostPort'), k));
      seen.add(k);
    });
  });
  return errs;
}

/** spec.containers: required, unique names, probes and lifecycle allowed, no restartPolicy. */
export function validateContainers(containers: unknown, ctx: PodContext, path: string): FieldError[] {
  const list = objs(containers);
  if (list.length === 0) return [fieldErrors.required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const cp = idx(path, i);
    errs.push(...validateContainerCommon(c, ctx, cp));
    if (names.has(str(c.name))) errs.push(fieldErrors.duplicate(at(cp, 'name'), str(c.name)));
    else names.add(str(c.name));
    errs.push(...validateLifecycleAndProbes(c, ctx.gracePeriod, cp));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) errs.push(fieldErrors.forbidden(at(cp, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(list, path));
  return errs;
}

/** spec.initContainers: names unique across regular and init containers; probes only for sidecars (restartPolicy Always). */
export function validateInitContainers(inits: unknown, regular: unknown, ctx: PodContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(objs(regular).map((c) => str(c.name)));
  objs(inits).forEach((c, i) => {
    const cp = idx(path, i);
    errs.push(...validateContainerCommon(c, ctx, cp));
    let restartAlways = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy !== 'Always') errs.push(fieldErrors.notSupported(at(cp, 'restartPolicy'), c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErrors.duplicate(at(cp, 'name'), name));
    else if (name) names.add(name);
    // Upstream checks each init container alone, so its paths always say index 0.
    errs.push(...hostPortConflicts([c], path));
    if (restartAlways) {
      errs.push(...validateLifecycleAndProbes(c, ctx.gracePeriod, cp));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) errs.push(fieldErrors.forbidden(at(cp, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

const EPHEMERAL_FORBIDDEN = ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resizePolicy', 'restartPolicy'];

/** spec.ephemeralContainers (only writable through the ephemeralcontainers subresource). */
export function validateEphemeralContainers(ephemeral: unknown, regular: unknown, inits: unknown, ctx: PodContext, path: string): FieldError[] {
  const list = objs(ephemeral);
  if (list.length === 0) return [];
  const errs: FieldError[] = [];
  const other = new Set([...objs(regular), ...objs(inits)].map((c) => str(c.name)));
  const all = new Set(other);
  list.forEach((c, i) => {
    const cp = idx(path, i);
    errs.push(...validateContainerCommon(c, ctx, cp));
    const image = str(c.image);
    if (image.trim() !== image) errs.push(fieldErrors.invalid(at(cp, 'image'), image, 'must not have leading or trailing whitespace'));
    const name = str(c.name);
    if (all.has(name)) errs.push(fieldErrors.duplicate(at(cp, 'name'), name));
    else all.add(name);
    if (c.targetContainerName && !other.has(str(c.targetContainerName))) {
      errs.push({ type: 'FieldValueNotFound', field: at(cp, 'targetContainerName'), message: `Not found: ${JSON.stringify(str(c.targetContainerName))}` });
    }
    for (const f of EPHEMERAL_FORBIDDEN) {
      const v = c[f];
      const set = Array.isArray(v) ? v.length > 0 : isObj(v) ? Object.keys(v).length > 0 : v !== undefined && v !== null && v !== '';
      if (set) errs.push(fieldErrors.forbidden(at(cp, f), 'cannot be set for an Ephemeral Container'));
    }
    objs(c.volumeMounts).forEach((m, j) => {
      const mp = idx(at(cp, 'volumeMounts'), j);
      if (m.subPath) errs.push(fieldErrors.forbidden(at(mp, 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (m.subPathExpr) errs.push(fieldErrors.forbidden(at(mp, 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

/** Pod-only check (not templates): images must not carry surrounding whitespace. */
export function validateImagesTrimmed(containers: unknown, path: string): FieldError[] {
  return objs(containers).flatMap((c, i) => {
    const image = str(c.image);
    return image.trim() !== image ? [fieldErrors.invalid(at(idx(path, i), 'image'), image, 'must not have leading or trailing whitespace')] : [];
  });
}

