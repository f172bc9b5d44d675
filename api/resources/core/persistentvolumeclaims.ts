// core/v1 PersistentVolumeClaim: upstream defaults, ValidatePersistentVolumeClaim(Update), the PVC
// strategies and printPersistentVolumeClaim.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { compareQuantity, formatQuantity, tryParseQuantity } from '../../validation/quantity.ts';
import { ageColumn, ALL_VERBS, column, keepSpec, keepStatus, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { child, clone, isObj, semanticEqual, str, type J } from './json.ts';
import { accessModesString } from './persistentvolumes.ts';
import { defaultPersistentVolumeClaimSpec, validatePersistentVolumeClaimSpec } from './pod-spec.ts';
import { canonicalizeResourceList } from './quantities.ts';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function spec(obj: KubeObject): J {
  return isObj(obj.spec) ? obj.spec : {};
}

function defaults(pvc: KubeObject): void {
  defaultPersistentVolumeClaimSpec(child(pvc, 'spec'));
  const st = child(pvc, 'status');
  if (!st.phase) st.phase = 'Pending';
  canonicalizeResourceList(st.capacity);
}

function requestedStorage(s: J): ReturnType<typeof tryParseQuantity> {
  return isObj(s.resources) && isObj(s.resources.requests) ? tryParseQuantity(s.resources.requests.storage) : undefined;
}

function validateUpdate(pvc: KubeObject, old: KubeObject): FieldError[] {
  const errs = validatePersistentVolumeClaimSpec(spec(pvc), 'spec');
  const cur: J = clone(spec(pvc));
  const prev: J = clone(spec(old));
  // volumeName may be set once (binding).
  if (!prev.volumeName) prev.volumeName = cur.volumeName;
  const annotations = pvc.metadata?.annotations ?? {};
  const oldAnnotations = old.metadata?.annotations ?? {};
  const oldBeta = oldAnnotations[BETA_CLASS_ANNOTATION];
  const upgradeFromAnnotation =
    oldBeta !== undefined && prev.storageClassName === undefined && cur.storageClassName === oldBeta && (annotations[BETA_CLASS_ANNOTATION] ?? oldBeta) === oldBeta;
  if (upgradeFromAnnotation) {
    delete cur.storageClassName;
  } else {
    if ((annotations[BETA_CLASS_ANNOTATION] ?? '') !== (oldBeta ?? '')) {
      errs.push(fieldErrors.invalid(`metadata.annotations.${BETA_CLASS_ANNOTATION}`, annotations[BETA_CLASS_ANNOTATION] ?? '', 'field is immutable'));
    }
    // A claim without a class may get one (the default class), if it matches any beta annotation.
    if (typeof cur.storageClassName === 'string' && prev.storageClassName === undefined && (oldBeta === undefined || oldBeta === cur.storageClassName)) {
      prev.storageClassName = cur.storageClassName;
    }
  }
  const bound = section(pvc, 'status').phase === 'Bound';
  if (bound && isObj(cur.resources) && isObj(cur.resources.requests)) {
    const oldStorage = isObj(prev.resources) && isObj(prev.resources.requests) ? prev.resources.requests.storage : undefined;
    cur.resources.requests.storage = oldStorage;
  }
  if (bound && cur.volumeAttributesClassName !== undefined) cur.volumeAttributesClassName = prev.volumeAttributesClassName;
  if (!semanticEqual(cur, prev)) {
    errs.push(fieldErrors.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const newSize = requestedStorage(spec(pvc));
  const oldSize = requestedStorage(spec(old));
  if (newSize && oldSize && compareQuantity(newSize, oldSize) < 0) {
    errs.push(fieldErrors.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  if ((spec(pvc).volumeMode ?? null) !== (spec(old).volumeMode ?? null)) errs.push(fieldErrors.immutable('volumeMode', spec(pvc).volumeMode ?? null));
  return errs;
}

function capacity(pvc: KubeObject): string {
  if (!spec(pvc).volumeName) return '';
  const cap = section(pvc, 'status').capacity;
  const q = isObj(cap) ? tryParseQuantity(cap.storage) : undefined;
  return q ? formatQuantity(q) : '0';
}

function storageClass(pvc: KubeObject): string {
  const beta = pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  return str(spec(pvc).storageClassName);
}

export const persistentvolumeclaims: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  listKind: 'PersistentVolumeClaimList',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  shortNames: ['pvc'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: { status: true },
  model: 'V1PersistentVolumeClaim',
  printerColumns: [
    column('Status', 'string', DOCS['V1PersistentVolumeClaimStatus.phase'], (obj) => (obj.metadata?.deletionTimestamp ? 'Terminating' : str(section(obj, 'status').phase))),
    column('Volume', 'string', DOCS['V1PersistentVolumeClaimSpec.volumeName'], (obj) => str(spec(obj).volumeName)),
    column('Capacity', 'string', DOCS['V1PersistentVolumeClaimStatus.capacity'], capacity),
    column('Access Modes', 'string', DOCS['V1PersistentVolumeClaimStatus.accessModes'], (obj) => (spec(obj).volumeName ? accessModesString(section(obj, 'status').accessModes) : '')),
    column('StorageClass', 'string', 'StorageClass of the pvc', storageClass),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc', (obj) => (typeof spec(obj).volumeAttributesClassName === 'string' ? spec(obj).volumeAttributesClassName : '<unset>')),
    ageColumn(),
    column('VolumeMode', 'string', DOCS['V1PersistentVolumeClaimSpec.volumeMode'], (obj) => str(spec(obj).volumeMode) || '<unset>', 1),
  ],
  fieldSelectors: { name: (obj) => obj.metadata?.name ?? '' },
  strategy: {
    defaults,
    validate: (obj) => validatePersistentVolumeClaimSpec(spec(obj), 'spec'),
    validateUpdate,
    // Upstream clears status on create; decoding on read defaults the phase back to Pending.
    prepareForCreate: (obj) => {
      obj.status = { phase: 'Pending' };
    },
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
    tracksGeneration: false,
  },
  storageResource: 'persistentvolumeclaims',
};
