// ObjectMeta validation on create and update, as upstream's apimachinery
// ValidateObjectMeta / ValidateObjectMetaUpdate (plus core's finalizer-name rule).
import type { FieldError } from '../errors.ts';
import type { ObjectMeta } from '../registry/descriptor.ts';
import { fieldErrors } from './field-errors.ts';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, validateName, type NameFormat } from './names.ts';

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
const IS_NEGATIVE = 'must be greater than or equal to 0';

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameFormat: NameFormat;
}

type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number];

/** Labels: each key a qualified name, each value a label value; errors on `path` itself, as upstream. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(fieldErrors.invalid(path, k, msg));
    for (const msg of isValidLabelValue(String(v))) errs.push(fieldErrors.invalid(path, v, msg));
  }
  return errs;
}

/** Annotations: keys are qualified names (case-insensitive), total size of keys and values at most 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(fieldErrors.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** The version part of an apiVersion as schema.ParseGroupVersion reads it ('' when unparseable). */
function versionOf(apiVersion: string): { group: string; version: string } {
  if (!apiVersion) return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0]! };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: '', version: '' };
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const kind = ref.kind ?? '';
    const gv = versionOf(apiVersion);
    if (!gv.version) errs.push(fieldErrors.invalid(`${path}.apiVersion`, apiVersion, 'version must not be empty'));
    if (!kind) errs.push(fieldErrors.invalid(`${path}.kind`, kind, 'must not be empty'));
    if (!ref.name) errs.push(fieldErrors.invalid(`${path}.name`, ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(fieldErrors.invalid(`${path}.uid`, ref.uid ?? '', 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(fieldErrors.invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${kind}/${ref.name ?? ''}`;
      if (firstController) {
        errs.push(
          fieldErrors.invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Finalizers: qualified names; not both `orphan` and `foregroundDeletion`; unprefixed names must be standard (core rule). */
export function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) for (const msg of isQualifiedName(f)) errs.push(fieldErrors.invalid(path, f, msg));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(fieldErrors.invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  list.forEach((f, i) => {
    // core's validateKubeFinalizerName: unqualified names must be standard ones.
    if (f.split('/').length === 1 && !standardFinalizers.has(f)) {
      errs.push(fieldErrors.invalid(`${path}[${i}]`, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldErrors.invalid(path, value, IS_NEGATIVE)] : [];
}

/**
 * Metadata of a new object. A missing name is accepted when generateName is set (the server
 * generates the name); validate again after generation to check the generated name.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of validateName(opts.nameFormat, m.generateName, true)) errs.push(fieldErrors.invalid(`${path}.generateName`, m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName) errs.push(fieldErrors.required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of validateName(opts.nameFormat, m.name)) errs.push(fieldErrors.invalid(`${path}.name`, m.name, msg));
  }
  errs.push(...validateNamespaceField(m, opts.namespaced, path));
  errs.push(...validateNonnegative(m.generation, `${path}.generation`));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

function validateNamespaceField(m: ObjectMeta, namespaced: boolean, path: string): FieldError[] {
  if (namespaced) {
    if (!m.namespace) return [fieldErrors.required(`${path}.namespace`)];
    return isDNS1123Label(m.namespace).map((msg) => fieldErrors.invalid(`${path}.namespace`, m.namespace, msg));
  }
  return m.namespace ? [fieldErrors.forbidden(`${path}.namespace`, 'not allowed on this type')] : [];
}

function immutable(a: unknown, b: unknown, path: string): FieldError[] {
  return (a ?? '') === (b ?? '') ? [] : [fieldErrors.immutable(path, a ?? '')];
}

export interface ObjectMetaUpdateOptions {
  /** Upstream rejects updates without metadata.resourceVersion; fill it first for unconditional updates. Default true. */
  requireResourceVersion?: boolean;
}

/**
 * Metadata of an update against the stored object. Expects `fillObjectMetaForUpdate` to have
 * been applied (uid, creationTimestamp and deletion fields carried over when omitted).
 */
export function validateObjectMetaUpdate(
  meta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  path = 'metadata',
  opts: ObjectMetaUpdateOptions = {},
): FieldError[] {
  const m = meta ?? {};
  const o = oldMeta ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const old = new Set(o.finalizers ?? []);
    const extra = [...new Set((m.finalizers ?? []).filter((f) => !old.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(
        fieldErrors.forbidden(
          `${path}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  if ((opts.requireResourceVersion ?? true) && !m.resourceVersion) {
    errs.push(fieldErrors.invalid(`${path}.resourceVersion`, m.resourceVersion ?? '', 'must be specified for an update'));
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) {
    errs.push(fieldErrors.invalid(`${path}.generation`, m.generation ?? 0, 'must not be decremented'));
  }
  errs.push(...immutable(m.name, o.name, `${path}.name`));
  errs.push(...immutable(m.namespace, o.namespace, `${path}.namespace`));
  errs.push(...immutable(m.uid, o.uid, `${path}.uid`));
  errs.push(...immutable(m.creationTimestamp, o.creationTimestamp, `${path}.creationTimestamp`));
  errs.push(...immutable(m.deletionTimestamp, o.deletionTimestamp, `${path}.deletionTimestamp`));
  if ((m.deletionGracePeriodSeconds ?? null) !== (o.deletionGracePeriodSeconds ?? null)) {
    errs.push(fieldErrors.immutable(`${path}.deletionGracePeriodSeconds`, m.deletionGracePeriodSeconds ?? null));
  }
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

/**
 * Upstream's rest.BeforeUpdate carry-overs: generation is the server's, a missing uid is taken
 * from the stored object, creationTimestamp and deletion fields cannot be changed by clients.
 */
export function fillObjectMetaForUpdate(meta: ObjectMeta, oldMeta: ObjectMeta): void {
  if (oldMeta.generation !== undefined) meta.generation = oldMeta.generation;
  else delete meta.generation;
  if (!meta.uid && oldMeta.uid) meta.uid = oldMeta.uid;
  if (oldMeta.creationTimestamp) meta.creationTimestamp = oldMeta.creationTimestamp;
  if (oldMeta.deletionTimestamp && meta.deletionTimestamp !== oldMeta.deletionTimestamp) meta.deletionTimestamp = oldMeta.deletionTimestamp;
  if (oldMeta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
    meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  }
}

/** Metadata embedded in a template (pod templates in workloads): only labels and annotations are checked. */
export function validateTemplateObjectMeta(meta: ObjectMeta | undefined, path: string): FieldError[] {
  const m = meta ?? {};
  return [...validateLabels(m.labels, `${path}.labels`), ...validateAnnotations(m.annotations, `${path}.annotations`)];
}
