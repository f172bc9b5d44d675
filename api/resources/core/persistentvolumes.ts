// core/v1 PersistentVolume: upstream SetDefaults_PersistentVolume, ValidatePersistentVolume(Update),
// the PV strategies and printPersistentVolume.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain } from '../../validation/names.ts';
import { compareQuantity, formatQuantity, tryParseQuantity } from '../../validation/quantity.ts';
import { ageColumn, ALL_VERBS, column, keepStatus, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { at, isObj, key, semanticEqual, str, strs, type J } from './json.ts';
import { canonicalizeResourceList, parseQuantityAt } from './quantities.ts';
import { SUPPORTED_VOLUME_MODES, validateAccessModes } from './pvc-spec.ts';
import { validateNodeSelector } from './scheduling-validation.ts';
import { validatePathNoBacksteps } from './volume-validation.ts';

const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
/** PersistentVolumeSource fields, in upstream's check order, with the fields each requires. */
const SOURCES: [string, string[]][] = [
  ['hostPath', ['path']],
  ['gcePersistentDisk', ['pdName']],
  ['awsElasticBlockStore', ['volumeID']],
  ['glusterfs', ['endpoints', 'path']],
  ['flocker', []],
  ['nfs', ['server', 'path']],
  ['rbd', ['monitors', 'image']],
  ['quobyte', ['registry', 'volume']],
  ['cephfs', ['monitors']],
  ['iscsi', ['targetPortal', 'iqn']],
  ['cinder', ['volumeID']],
  ['fc', []],
  ['flexVolume', ['driver']],
  ['azureFile', ['secretName', 'shareName']],
  ['vsphereVolume', ['volumePath']],
  ['photonPersistentDisk', ['pdID']],
  ['portworxVolume', ['volumeID']],
  ['azureDisk', ['diskName', 'diskURI']],
  ['scaleIO', ['gateway', 'system', 'volumeName']],
  ['local', ['path']],
  ['storageos', ['volumeName']],
  ['csi', ['driver', 'volumeHandle']],
];
/** Spec fields that are not part of the (immutable) volume source. */
const NON_SOURCE_FIELDS = new Set(['accessModes', 'capacity', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'mountOptions', 'volumeMode', 'nodeAffinity', 'volumeAttributesClassName']);

function spec(obj: KubeObject): J {
  return isObj(obj.spec) ? obj.spec : {};
}

function defaults(pv: KubeObject): void {
  const s = spec(pv);
  if (!isObj(pv.spec)) pv.spec = s;
  canonicalizeResourceList(s.capacity);
  if (!s.persistentVolumeReclaimPolicy) s.persistentVolumeReclaimPolicy = 'Retain';
  if (!s.volumeMode) s.volumeMode = 'Filesystem';
  if (isObj(s.hostPath) && s.hostPath.type === undefined) s.hostPath.type = '';
  const st: J = isObj(pv.status) ? pv.status : (pv.status = {});
  if (!st.phase) st.phase = 'Pending';
}

function validateSources(s: J): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const [field, required] of SOURCES) {
    if (!isObj(s[field])) continue;
    const p = at('spec', field === 'gcePersistentDisk' ? 'persistentDisk' : field);
    // Upstream never rejects flexVolume as a second source.
    if (n > 0 && field !== 'flexVolume') {
      errs.push(fieldErrors.forbidden(at('spec', field), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    const src = s[field];
    for (const f of required) if (src[f] === undefined || src[f] === null || src[f] === '' || (Array.isArray(src[f]) && src[f].length === 0)) errs.push(fieldErrors.required(at(p, f)));
    if ((field === 'hostPath' || field === 'local') && src.path) errs.push(...validatePathNoBacksteps(str(src.path), at(p, 'path')));
    if (field === 'hostPath' && src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(src.type)) {
      errs.push(fieldErrors.notSupported(at(p, 'type'), src.type, HOST_PATH_TYPES));
    }
    if (field === 'nfs' && !str(src.path).startsWith('/')) errs.push(fieldErrors.invalid(at(p, 'path'), str(src.path), 'must be an absolute path'));
    if (field === 'local' && !isObj(s.nodeAffinity)) errs.push(fieldErrors.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (n === 0) errs.push(fieldErrors.required('spec', 'must specify a volume type'));
  return errs;
}

function validate(pv: KubeObject): FieldError[] {
  const s = spec(pv);
  const errs: FieldError[] = [];
  const modes = strs(s.accessModes);
  if (modes.length === 0) errs.push(fieldErrors.required('spec.accessModes'));
  errs.push(...validateAccessModes(modes, 'spec.accessModes'));
  const capacity = isObj(s.capacity) ? s.capacity : {};
  const names = Object.keys(capacity);
  if (names.length === 0) errs.push(fieldErrors.required('spec.capacity'));
  if (!('storage' in capacity) || names.length > 1) errs.push(fieldErrors.notSupported('spec.capacity', capacity, ['storage']));
  for (const [name, v] of Object.entries(capacity)) {
    const p = key('spec.capacity', name);
    const r = parseQuantityAt(v, p);
    errs.push(...r.errs);
    if (r.q && compareQuantity(r.q, { value: 0n, scale: 0, format: 'DecimalSI' }) <= 0) errs.push(fieldErrors.invalid(p, formatQuantity(r.q), 'must be greater than zero'));
  }
  if (s.persistentVolumeReclaimPolicy && !RECLAIM_POLICIES.includes(s.persistentVolumeReclaimPolicy)) {
    errs.push(fieldErrors.notSupported('spec.persistentVolumeReclaimPolicy', s.persistentVolumeReclaimPolicy, RECLAIM_POLICIES));
  }
  if (isObj(s.nodeAffinity)) {
    if (isObj(s.nodeAffinity.required)) errs.push(...validateNodeSelector(s.nodeAffinity.required, 'spec.nodeAffinity.required'));
    else errs.push(fieldErrors.required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  errs.push(...validateSources(s));
  if (isObj(s.hostPath) && str(s.hostPath.path).replace(/\/+$/, '') === '' && str(s.hostPath.path).startsWith('/') && s.persistentVolumeReclaimPolicy === 'Recycle') {
    errs.push(fieldErrors.forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (s.storageClassName) errs.push(...isDNS1123Subdomain(str(s.storageClassName)).map((m) => fieldErrors.invalid('spec.storageClassName', s.storageClassName, m)));
  if (s.volumeMode && !SUPPORTED_VOLUME_MODES.includes(s.volumeMode)) errs.push(fieldErrors.notSupported('spec.volumeMode', s.volumeMode, SUPPORTED_VOLUME_MODES));
  return errs;
}

function source(s: J): J {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !NON_SOURCE_FIELDS.has(k)));
}

function validateUpdate(pv: KubeObject, old: KubeObject): FieldError[] {
  const s = spec(pv);
  const o = spec(old);
  const errs = validate(pv);
  const cur = source(s);
  const prev = source(o);
  // Adding a controllerExpandSecretRef to a CSI volume is allowed.
  if (isObj(prev.csi) && isObj(cur.csi) && !prev.csi.controllerExpandSecretRef) cur.csi = { ...cur.csi, controllerExpandSecretRef: undefined };
  if (!semanticEqual(cur, prev)) errs.push(fieldErrors.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if ((s.volumeMode ?? null) !== (o.volumeMode ?? null)) errs.push(fieldErrors.immutable('volumeMode', s.volumeMode ?? null));
  if (isObj(o.nodeAffinity) && !semanticEqual(s.nodeAffinity, o.nodeAffinity)) errs.push(fieldErrors.immutable('nodeAffinity', s.nodeAffinity ?? null));
  return errs;
}

/** ACCESS MODES as upstream's GetAccessModesAsString. */
export function accessModesString(modes: unknown): string {
  const set = new Set(strs(modes));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

function storage(list: unknown): string {
  const q = isObj(list) ? tryParseQuantity(list.storage) : undefined;
  return q ? formatQuantity(q) : '0';
}

function phaseChangedAt(pv: KubeObject, old: KubeObject | undefined, now: Date): void {
  const st: J = isObj(pv.status) ? pv.status : (pv.status = {});
  const before = old ? section(old, 'status') : {};
  if (old && st.phase === before.phase) return;
  if (old && st.lastPhaseTransitionTime && st.lastPhaseTransitionTime !== before.lastPhaseTransitionTime) return;
  st.lastPhaseTransitionTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const persistentvolumes: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  listKind: 'PersistentVolumeList',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  shortNames: ['pv'],
  categories: [],
  namespaced: false,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: { status: true },
  model: 'V1PersistentVolume',
  printerColumns: [
    column('Capacity', 'string', DOCS['V1PersistentVolumeSpec.capacity'], (obj) => storage(spec(obj).capacity)),
    column('Access Modes', 'string', DOCS['V1PersistentVolumeSpec.accessModes'], (obj) => accessModesString(spec(obj).accessModes)),
    column('Reclaim Policy', 'string', DOCS['V1PersistentVolumeSpec.persistentVolumeReclaimPolicy'], (obj) => str(spec(obj).persistentVolumeReclaimPolicy)),
    column('Status', 'string', DOCS['V1PersistentVolumeStatus.phase'], (obj) => (obj.metadata?.deletionTimestamp ? 'Terminating' : str(section(obj, 'status').phase))),
    column('Claim', 'string', DOCS['V1PersistentVolumeSpec.claimRef'], (obj) => {
      const ref = spec(obj).claimRef;
      return isObj(ref) ? `${str(ref.namespace)}/${str(ref.name)}` : '';
    }),
    column('StorageClass', 'string', 'StorageClass of the pv', (obj) => obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? str(spec(obj).storageClassName)),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv', (obj) => (typeof spec(obj).volumeAttributesClassName === 'string' ? spec(obj).volumeAttributesClassName : '<unset>')),
    column('Reason', 'string', DOCS['V1PersistentVolumeStatus.reason'], (obj) => str(section(obj, 'status').reason)),
    ageColumn(),
    column('VolumeMode', 'string', DOCS['V1PersistentVolumeSpec.volumeMode'], (obj) => str(spec(obj).volumeMode) || '<unset>', 1),
  ],
  fieldSelectors: { name: (obj) => obj.metadata?.name ?? '' },
  strategy: {
    defaults,
    validate,
    validateUpdate,
    prepareForCreate(pv, ctx) {
      pv.status = { phase: 'Pending' };
      phaseChangedAt(pv, undefined, ctx.now);
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate(pv, old, ctx) {
      if (old.spec === undefined) delete pv.spec;
      else pv.spec = structuredClone(old.spec);
      phaseChangedAt(pv, old, ctx.now);
    },
    tracksGeneration: false,
  },
  storageResource: 'persistentvolumes',
};

