// storage.k8s.io/v1 VolumeAttachment (pkg/apis/storage/validation,
// pkg/registry/storage/volumeattachment): the spec (attacher, source, node) is fixed at creation;
// the status is written through /status only, and always carries `attached` (a plain Go bool).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { inclusiveRangeError, isDNS1123Subdomain } from '../../validation/names.ts';
import { validateAccessModes } from '../core/pvc-spec.ts';
import { ageColumn, nameColumn } from '../group-helpers/columns.ts';
import { keepOldStatus, resource } from '../group-helpers/descriptor.ts';
import { goQuote, invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, asStr, child, deepEqual, isObj } from '../group-helpers/object.ts';
import { uniqueErrors, validateCSIDriverName } from './csi-validation.ts';

const MAX_ATTACHED_VOLUME_METADATA_SIZE = 256 * (1 << 10);
const MAX_VOLUME_ERROR_MESSAGE_SIZE = 1024;
const MAX_INT32 = 2147483647;
const EXACTLY_ONE_SOURCE = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

function defaultAttachment(obj: KubeObject): void {
  const status = child(obj, 'status');
  if (typeof status.attached !== 'boolean') status.attached = false;
}

/**
 * ValidatePersistentVolumeSpec of an inline (CSI migration) volume: no claimRef or capacity, a
 * csi source, access modes. The other PV source types are not checked here.
 */
function validateInlineVolumeSpec(spec: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (isObj(spec.claimRef)) errs.push(fieldErrors.forbidden(`${path}.claimRef`, 'may not be specified in the context of inline volumes'));
  if (isObj(spec.capacity) && Object.keys(spec.capacity).length > 0) errs.push(fieldErrors.forbidden(`${path}.capacity`, 'may not be specified in the context of inline volumes'));
  if (!isObj(spec.csi)) errs.push(fieldErrors.required(`${path}.csi`, 'has to be specified in the context of inline volumes'));
  const modes = asArr(spec.accessModes).map(String);
  if (modes.length === 0) errs.push(fieldErrors.required(`${path}.accessModes`));
  errs.push(...validateAccessModes(modes, `${path}.accessModes`));
  if (isObj(spec.csi)) {
    errs.push(...validateCSIDriverName(asStr(spec.csi.driver), `${path}.csi.driver`));
    if (!asStr(spec.csi.volumeHandle)) errs.push(fieldErrors.required(`${path}.csi.volumeHandle`));
  }
  return errs;
}

function validateSource(source: Record<string, unknown>, path: string): FieldError[] {
  const inline = isObj(source.inlineVolumeSpec);
  const hasPV = typeof source.persistentVolumeName === 'string';
  if (!inline && !hasPV) return [fieldErrors.required(path, EXACTLY_ONE_SOURCE)];
  if (inline && hasPV) return [fieldErrors.forbidden(path, EXACTLY_ONE_SOURCE)];
  if (hasPV) return source.persistentVolumeName === '' ? [fieldErrors.required(`${path}.persistentVolumeName`, 'must specify non empty persistentVolumeName')] : [];
  return validateInlineVolumeSpec(asObj(source.inlineVolumeSpec), `${path}.inlineVolumeSpec`);
}

function validateVolumeError(e: unknown, path: string): FieldError[] {
  if (!isObj(e)) return [];
  const errs: FieldError[] = [];
  // Upstream reports the metadata size limit here, not the message's.
  if (asStr(e.message).length > MAX_VOLUME_ERROR_MESSAGE_SIZE) errs.push(fieldErrors.tooLong(`${path}.message`, MAX_ATTACHED_VOLUME_METADATA_SIZE));
  if (typeof e.errorCode === 'number' && e.errorCode < 0) errs.push(fieldErrors.invalid(`${path}.errorCode`, e.errorCode, inclusiveRangeError(0, MAX_INT32)));
  return errs;
}

/** ValidateVolumeAttachment: spec and status. */
function validateAttachment(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const status = asObj(obj.status);
  const errs: FieldError[] = [];
  if (!asStr(spec.attacher)) errs.push(fieldErrors.required('spec.attacher'));
  errs.push(...validateSource(asObj(spec.source), 'spec.source'));
  const nodeName = asStr(spec.nodeName);
  for (const msg of isDNS1123Subdomain(nodeName)) errs.push(fieldErrors.invalid('spec.nodeName', nodeName, msg));
  let size = 0;
  for (const [k, v] of Object.entries(asObj(status.attachmentMetadata))) size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  if (size > MAX_ATTACHED_VOLUME_METADATA_SIZE) errs.push(fieldErrors.tooLong('status.attachmentMetadata', MAX_ATTACHED_VOLUME_METADATA_SIZE));
  errs.push(...validateVolumeError(status.attachError, 'status.attachError'));
  errs.push(...validateVolumeError(status.detachError, 'status.detachError'));
  return errs;
}

/** ValidateVolumeAttachmentV1: what new v1 objects must also satisfy. */
function validateAttachmentV1(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs = validateCSIDriverName(asStr(spec.attacher), 'spec.attacher');
  const pv = asObj(spec.source).persistentVolumeName;
  if (typeof pv === 'string') for (const msg of isDNS1123Subdomain(pv)) errs.push(fieldErrors.invalid('spec.source.persistentVolumeName', pv, msg));
  return errs;
}

/** A storage.VolumeAttachmentSpec as Go's `%#v` prints it. */
function goSpec(spec: Record<string, unknown>): string {
  const source = asObj(spec.source);
  const pv = typeof source.persistentVolumeName === 'string' ? '(*string)(0xc000000000)' : '(*string)(nil)';
  const inline = isObj(source.inlineVolumeSpec) ? '(*core.PersistentVolumeSpec)(0xc000000000)' : '(*core.PersistentVolumeSpec)(nil)';
  return `storage.VolumeAttachmentSpec{Attacher:${goQuote(asStr(spec.attacher))}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${pv}, InlineVolumeSpec:${inline}}, NodeName:${goQuote(asStr(spec.nodeName))}}`;
}

/** ValidateUpdate (also the status strategy's): the object as on create, and an unchanged spec. */
function validateAttachmentUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateAttachment(obj);
  if (!deepEqual(obj.spec, old.spec)) errs.push(invalidRendered('spec', goSpec(asObj(obj.spec)), 'field is immutable'));
  return errs;
}

export const volumeAttachmentStrategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultAttachment,
  validate: (obj) => uniqueErrors([...validateAttachment(obj), ...validateAttachmentV1(obj)]),
  validateUpdate: validateAttachmentUpdate,
  validateStatusUpdate: validateAttachmentUpdate,
  prepareForCreate: (obj) => {
    obj.status = { attached: false };
  },
  prepareForUpdate: keepOldStatus,
  // A status write keeps all but the status as stored (the server's default, upstream's
  // PrepareForUpdate with ResetObjectMetaForStatus).
};

export const volumeattachments: ResourceDescriptor = resource({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'VolumeAttachment',
  plural: 'volumeattachments',
  namespaced: false,
  subresources: { status: true },
  model: 'V1VolumeAttachment',
  printerColumns: [
    nameColumn(0),
    {
      name: 'Attacher',
      type: 'string',
      // Upstream marks this column `name` too.
      format: 'name',
      description: 'attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName().',
      priority: 0,
      cell: (obj) => asStr(asObj(obj.spec).attacher),
    },
    {
      name: 'PV',
      type: 'string',
      description: 'persistentVolumeName represents the name of the persistent volume to attach.',
      priority: 0,
      cell: (obj) => asStr(asObj(asObj(obj.spec).source).persistentVolumeName),
    },
    {
      name: 'Node',
      type: 'string',
      description: 'nodeName represents the node that the volume should be attached to.',
      priority: 0,
      cell: (obj) => asStr(asObj(obj.spec).nodeName),
    },
    {
      name: 'Attached',
      type: 'boolean',
      description: 'attached indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher.',
      priority: 0,
      cell: (obj) => asObj(obj.status).attached === true,
    },
    ageColumn(),
  ],
  strategy: volumeAttachmentStrategy,
  storageResource: 'volumeattachments',
});
