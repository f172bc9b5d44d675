// Pod volume validation (upstream's ValidateVolumes / validateVolumeSource and helpers).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateTemplateObjectMeta } from '../../validation/meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, inclusiveRangeError } from '../../validation/names.ts';
import { compareQuantity } from '../../validation/quantity.ts';
import { at, idx, isObj, objs, str, strs, type J } from './json.ts';
import { parseQuantityAt } from './quantities.ts';
import { validatePersistentVolumeClaimSpec } from './pvc-spec.ts';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const SUPPORTED_HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

/** Not absolute and no `..` element (upstream's validateLocalDescendingPath). */
export function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldErrors.invalid(path, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, path));
  return errs;
}

export function validatePathNoBacksteps(p: string, path: string): FieldError[] {
  return p.split('/').includes('..') ? [fieldErrors.invalid(path, p, "must not contain '..'")] : [];
}

export function validateLocalNonReservedPath(p: string, path: string): FieldError[] {
  const errs = validateLocalDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(fieldErrors.invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateMode(mode: unknown, path: string): FieldError[] {
  return typeof mode === 'number' && (mode > 0o777 || mode < 0) ? [fieldErrors.invalid(path, mode, FILE_MODE_ERROR)] : [];
}

function validateKeyToPath(kp: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(fieldErrors.required(at(path, 'key')));
  if (!kp.path) errs.push(fieldErrors.required(at(path, 'path')));
  errs.push(...validateLocalNonReservedPath(str(kp.path), at(path, 'path')));
  errs.push(...validateMode(kp.mode, at(path, 'mode')));
  return errs;
}

const CONVERTIBLE_FIELD_LABELS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName',
  'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP', 'status.hostIPs',
  'status.podIP', 'status.podIPs', 'spec.host',
]);

/** `metadata.labels['x']` -> [`metadata.labels`, `x`] (upstream's SplitMaybeSubscriptedPath). */
function splitSubscript(fp: string): [string, string] | undefined {
  if (!fp.endsWith("']")) return undefined;
  const s = fp.slice(0, -2);
  const i = s.indexOf("['");
  if (i <= 0) return undefined;
  return [s.slice(0, i), s.slice(i + 2)];
}

/** A downward API fieldRef (env and volumes share the apiVersion/fieldPath rules). `allowed` is sorted. */
export function validateObjectFieldSelector(fs: J, allowed: string[], path: string): FieldError[] {
  if (!fs.apiVersion) return [fieldErrors.required(at(path, 'apiVersion'))];
  if (!fs.fieldPath) return [fieldErrors.required(at(path, 'fieldPath'))];
  const fp = str(fs.fieldPath);
  const fpPath = at(path, 'fieldPath');
  if (fs.apiVersion !== 'v1') return [fieldErrors.invalid(fpPath, fp, `error converting fieldPath: unsupported pod version: ${str(fs.apiVersion)}`)];
  const sub = splitSubscript(fp);
  if (sub) {
    const [base, subscript] = sub;
    if (base === 'metadata.annotations') return isQualifiedName(subscript.toLowerCase()).map((m) => fieldErrors.invalid(path, subscript.toLowerCase(), m));
    if (base === 'metadata.labels') return isQualifiedName(subscript).map((m) => fieldErrors.invalid(path, subscript, m));
    return [fieldErrors.invalid(fpPath, fp, `error converting fieldPath: field label does not support subscript: ${fp}`)];
  }
  if (!CONVERTIBLE_FIELD_LABELS.has(fp)) return [fieldErrors.invalid(fpPath, fp, `error converting fieldPath: field label not supported: ${fp}`)];
  const internal = fp === 'spec.host' ? 'spec.nodeName' : fp;
  return allowed.includes(internal) ? [] : [fieldErrors.notSupported(fpPath, internal, allowed)];
}

/** A resourceFieldRef: the resource is required and known; a divisor if set must be a supported unit. */
export function validateResourceFieldSelector(fs: J, path: string, volume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const resource = str(fs.resource);
  if (volume && !fs.containerName) errs.push(fieldErrors.required(at(path, 'containerName')));
  else if (!resource) errs.push(fieldErrors.required(at(path, 'resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(resource) && !resource.startsWith('requests.hugepages-') && !resource.startsWith('limits.hugepages-')) {
    errs.push(fieldErrors.notSupported(at(path, 'resource'), resource, RESOURCE_FIELD_PATHS));
  }
  if (fs.divisor !== undefined && fs.divisor !== null) {
    const r = parseQuantityAt(fs.divisor, at(path, 'divisor'));
    errs.push(...r.errs);
    if (r.q && r.q.value !== 0n) {
      const d = String(fs.divisor);
      if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !['1m', '1'].includes(d)) {
        errs.push(fieldErrors.invalid(at(path, 'divisor'), resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
      }
      const byteDivisors = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
      if ((resource === 'limits.memory' || resource === 'requests.memory') && !byteDivisors.includes(d)) {
        errs.push(fieldErrors.invalid(at(path, 'divisor'), resource, `only divisor's values ${byteDivisors.join(', ')} are supported with the memory resource`));
      }
    }
  }
  return errs;
}

function validateDownwardAPIFile(file: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!file.path) errs.push(fieldErrors.required(at(path, 'path')));
  errs.push(...validateLocalNonReservedPath(str(file.path), at(path, 'path')));
  if (isObj(file.fieldRef)) {
    errs.push(...validateObjectFieldSelector(file.fieldRef, VOLUME_FIELD_PATHS, at(path, 'fieldRef')));
    if (isObj(file.resourceFieldRef)) errs.push(fieldErrors.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (isObj(file.resourceFieldRef)) {
    errs.push(...validateResourceFieldSelector(file.resourceFieldRef, at(path, 'resourceFieldRef'), true));
  } else {
    errs.push(fieldErrors.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(file.mode, at(path, 'mode')));
  return errs;
}

function validateProjected(p: J, path: string): FieldError[] {
  const errs = validateMode(p.defaultMode, at(path, 'defaultMode'));
  const seen = new Set<string>();
  const claim = (cur: string, value: unknown): void => {
    if (!cur) return;
    if (seen.has(cur)) errs.push(fieldErrors.invalid(path, value, 'conflicting duplicate paths'));
    seen.add(cur);
  };
  objs(p.sources).forEach((src, i) => {
    const srcPath = idx(at(path, 'sources'), i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      if (!isObj(src[kind])) continue;
      n++;
      const kp = at(srcPath, kind);
      if (!src[kind].name) errs.push(fieldErrors.required(at(kp, 'name')));
      objs(src[kind].items).forEach((item, j) => {
        errs.push(...validateKeyToPath(item, idx(at(kp, 'items'), j)));
        claim(str(item.path), src[kind].name ?? '');
      });
    }
    if (isObj(src.downwardAPI)) {
      n++;
      for (const file of objs(src.downwardAPI.items)) {
        errs.push(...validateDownwardAPIFile(file, at(srcPath, 'downwardAPI')));
        claim(str(file.path), str(file.path));
      }
    }
    if (isObj(src.serviceAccountToken)) {
      n++;
      const t = src.serviceAccountToken;
      const tp = at(srcPath, 'serviceAccountToken');
      const exp = typeof t.expirationSeconds === 'number' ? t.expirationSeconds : 0;
      if (exp < 600) errs.push(fieldErrors.invalid(at(tp, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(fieldErrors.invalid(at(tp, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!t.path) errs.push(fieldErrors.required(at(path, 'path')));
      else errs.push(...validateLocalNonReservedPath(str(t.path), at(path, 'path')));
    }
    if (isObj(src.clusterTrustBundle)) {
      n++;
      const b = src.clusterTrustBundle;
      const bp = at(srcPath, 'clusterTrustBundle');
      if (b.name !== undefined && b.signerName !== undefined) errs.push(fieldErrors.invalid(bp, b, 'only one of name and signerName may be used'));
      else if (b.name === undefined && b.signerName === undefined) errs.push(fieldErrors.required(bp, 'either name or signerName must be specified'));
      if (!b.path) errs.push(fieldErrors.required(at(bp, 'path')));
      errs.push(...validateLocalNonReservedPath(str(b.path), at(bp, 'path')));
      claim(str(b.path), str(b.path));
    }
    if (n > 1) errs.push(fieldErrors.forbidden(srcPath, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

type SourceCheck = (src: J, path: string, volName?: string) => FieldError[];

function requireFields(...fields: string[]): SourceCheck {
  return (src, path) => fields.filter((f) => isEmpty(src[f])).map((f) => fieldErrors.required(at(path, f)));
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function partitionCheck(field: string): SourceCheck {
  return (src, path) => {
    const errs = requireFields(field)(src, path);
    const part = typeof src.partition === 'number' ? src.partition : 0;
    if (part < 0 || part > 255) errs.push(fieldErrors.invalid(at(path, 'partition'), part, inclusiveRangeError(1, 255)));
    return errs;
  };
}

/**
 * The volume sources in upstream's check order: [JSON field, path segment used in errors, check].
 * (Upstream's quirks are kept: gcePersistentDisk errors name `persistentDisk`, cephfs `cephfs`,
 * and a second source next to downwardAPI is reported at `downwarAPI`.)
 */
const SOURCES: [string, string, SourceCheck][] = [
  ['emptyDir', 'emptyDir', (src, path) => {
    if (src.sizeLimit === undefined || src.sizeLimit === null) return [];
    const r = parseQuantityAt(src.sizeLimit, at(path, 'sizeLimit'));
    if (r.errs.length) return r.errs;
    return compareQuantity(r.q!, { value: 0n, scale: 0, format: 'DecimalSI' }) < 0
      ? [fieldErrors.forbidden(at(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity')]
      : [];
  }],
  ['hostPath', 'hostPath', (src, path) => {
    if (!src.path) return [fieldErrors.required(at(path, 'path'))];
    const errs = validatePathNoBacksteps(str(src.path), at(path, 'path'));
    if (src.type !== undefined && src.type !== null && !SUPPORTED_HOST_PATH_TYPES.includes(src.type)) {
      errs.push(fieldErrors.notSupported(at(path, 'type'), src.type, SUPPORTED_HOST_PATH_TYPES));
    }
    return errs;
  }],
  ['gitRepo', 'gitRepo', (src, path) => [...requireFields('repository')(src, path), ...validateLocalDescendingPath(str(src.directory), at(path, 'directory'))]],
  ['gcePersistentDisk', 'persistentDisk', partitionCheck('pdName')],
  ['awsElasticBlockStore', 'awsElasticBlockStore', partitionCheck('volumeID')],
  ['secret', 'secret', (src, path) => {
    const errs = requireFields('secretName')(src, path);
    errs.push(...validateMode(src.defaultMode, at(path, 'defaultMode')));
    objs(src.items).forEach((item, i) => errs.push(...validateKeyToPath(item, idx(at(path, 'items'), i))));
    return errs;
  }],
  ['nfs', 'nfs', (src, path) => {
    const errs = requireFields('server', 'path')(src, path);
    if (!str(src.path).startsWith('/')) errs.push(fieldErrors.invalid(at(path, 'path'), str(src.path), 'must be an absolute path'));
    return errs;
  }],
  ['iscsi', 'iscsi', requireFields('targetPortal', 'iqn')],
  ['glusterfs', 'glusterfs', requireFields('endpoints', 'path')],
  ['flocker', 'flocker', (src, path) => {
    if (!src.datasetName && !src.datasetUUID) return [fieldErrors.required(path, 'one of datasetName and datasetUUID is required')];
    if (src.datasetName && src.datasetUUID) return [fieldErrors.invalid(path, 'resource', 'datasetName and datasetUUID can not be specified simultaneously')];
    return [];
  }],
  ['persistentVolumeClaim', 'persistentVolumeClaim', requireFields('claimName')],
  ['rbd', 'rbd', requireFields('monitors', 'image')],
  ['cinder', 'cinder', requireFields('volumeID')],
  ['cephfs', 'cephfs', requireFields('monitors')],
  ['quobyte', 'quobyte', requireFields('registry', 'volume')],
  ['downwardAPI', 'downwardAPI', (src, path) => {
    const errs = validateMode(src.defaultMode, at(path, 'defaultMode'));
    for (const file of objs(src.items)) errs.push(...validateDownwardAPIFile(file, path));
    return errs;
  }],
  ['fc', 'fc', (src, path) => {
    const wwns = strs(src.targetWWNs);
    const wwids = strs(src.wwids);
    const errs: FieldError[] = [];
    if (wwns.length === 0 && wwids.length === 0) errs.push(fieldErrors.required(at(path, 'targetWWNs'), 'must specify either targetWWNs or wwids, but not both'));
    if (wwns.length && wwids.length) errs.push(fieldErrors.invalid(at(path, 'targetWWNs'), wwns, 'targetWWNs and wwids can not be specified simultaneously'));
    if (wwns.length && (src.lun === undefined || src.lun === null)) errs.push(fieldErrors.required(at(path, 'lun'), 'lun is required if targetWWNs is specified'));
    return errs;
  }],
  ['flexVolume', 'flexVolume', requireFields('driver')],
  ['configMap', 'configMap', (src, path) => {
    const errs = requireFields('name')(src, path);
    errs.push(...validateMode(src.defaultMode, at(path, 'defaultMode')));
    objs(src.items).forEach((item, i) => errs.push(...validateKeyToPath(item, idx(at(path, 'items'), i))));
    return errs;
  }],
  ['azureFile', 'azureFile', requireFields('secretName', 'shareName')],
  ['vsphereVolume', 'vsphereVolume', requireFields('volumePath')],
  ['photonPersistentDisk', 'photonPersistentDisk', requireFields('pdID')],
  ['portworxVolume', 'portworxVolume', requireFields('volumeID')],
  ['azureDisk', 'azureDisk', requireFields('diskName', 'diskURI')],
  ['storageos', 'storageos', (src, path) => {
    if (!src.volumeName) return [fieldErrors.required(at(path, 'volumeName'))];
    return isDNS1123Label(str(src.volumeName)).map((m) => fieldErrors.invalid(at(path, 'volumeName'), src.volumeName, m));
  }],
  ['projected', 'projected', validateProjected],
  ['scaleIO', 'scaleIO', requireFields('gateway', 'system', 'volumeName')],
  ['csi', 'csi', (src, path) => {
    const driver = str(src.driver);
    const errs: FieldError[] = [];
    if (!driver) errs.push(fieldErrors.required(at(path, 'driver')));
    if (driver.length > 63) errs.push(fieldErrors.tooLong(at(path, 'driver'), 63));
    for (const m of isDNS1123Subdomain(driver.toLowerCase())) errs.push(fieldErrors.invalid(at(path, 'driver'), driver, m));
    if (isObj(src.nodePublishSecretRef) && !src.nodePublishSecretRef.name) errs.push(fieldErrors.required(at(at(path, 'nodePublishSecretRef'), 'name')));
    return errs;
  }],
  ['ephemeral', 'ephemeral', (src, path) => {
    if (!isObj(src.volumeClaimTemplate)) return [fieldErrors.required(at(path, 'volumeClaimTemplate'))];
    const t = src.volumeClaimTemplate;
    const tp = at(path, 'volumeClaimTemplate');
    const errs = validateTemplateObjectMeta(t.metadata, at(tp, 'metadata'));
    errs.push(...validatePersistentVolumeClaimSpec(isObj(t.spec) ? t.spec : {}, at(tp, 'spec')));
    return errs;
  }],
  ['image', 'image', (src, path) => (src.reference ? [] : [fieldErrors.required(at(path, 'reference'), 'must be set')])],
];

function validateVolumeSource(v: J, path: string, volName: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const [field, segment, check] of SOURCES) {
    if (v[field] === undefined || v[field] === null) continue;
    if (n > 0) {
      errs.push(fieldErrors.forbidden(at(path, field === 'downwardAPI' ? 'downwarAPI' : field), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    errs.push(...check(isObj(v[field]) ? v[field] : {}, at(path, segment), volName));
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a volume type'));
  return errs;
}

/** Volumes: each with a unique DNS-1123 label name and exactly one source. Returns the valid volumes by name. */
export function validateVolumes(volumes: unknown, path: string, podName?: string): { volumes: Map<string, J>; errs: FieldError[] } {
  const all = new Map<string, J>();
  const errs: FieldError[] = [];
  const list = objs(volumes);
  const createdPVCs = new Set<string>();
  if (podName) for (const v of list) if (isObj(v.ephemeral)) createdPVCs.add(`${podName}-${str(v.name)}`);
  list.forEach((v, i) => {
    const vp = idx(path, i);
    const name = str(v.name);
    const el = validateVolumeSource(v, vp, name);
    if (!name) el.push(fieldErrors.required(at(vp, 'name')));
    else el.push(...isDNS1123Label(name).map((m) => fieldErrors.invalid(at(vp, 'name'), name, m)));
    if (all.has(name)) el.push(fieldErrors.duplicate(at(vp, 'name'), name));
    if (el.length === 0) all.set(name, v);
    else errs.push(...el);
    if (isObj(v.persistentVolumeClaim) && createdPVCs.has(str(v.persistentVolumeClaim.claimName))) {
      errs.push(fieldErrors.invalid(at(at(vp, 'persistentVolumeClaim'), 'claimName'), v.persistentVolumeClaim.claimName, 'must not reference a PVC that gets created for an ephemeral volume'));
    }
  });
  return { volumes: all, errs };
}

