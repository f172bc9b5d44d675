// Building blocks for the named-group descriptors: the common verb set, defaults for the
// descriptor fields most resources share, and the status handling of upstream's strategies.
import type { KubeObject, ObjectMeta, ResourceDescriptor } from '../../registry/descriptor.ts';
import { ALL_VERBS } from '../core/common.ts';
import { clone, deepEqual } from './object.ts';

export { ALL_VERBS };

type Optional = 'listKind' | 'singular' | 'shortNames' | 'categories' | 'verbs' | 'subresources' | 'fieldSelectors' | 'nameFormat';

/** A descriptor with upstream's usual values filled in: `<Kind>List`, lowercase singular, all verbs. */
export function resource(d: Omit<ResourceDescriptor, Optional> & Partial<Pick<ResourceDescriptor, Optional>>): ResourceDescriptor {
  return {
    listKind: `${d.kind}List`,
    singular: d.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: {},
    fieldSelectors: {},
    nameFormat: 'dns1123Subdomain',
    ...d,
  };
}

export function meta(obj: KubeObject): ObjectMeta {
  if (!obj.metadata) obj.metadata = {};
  return obj.metadata;
}

/** PrepareForCreate of resources with a status: status starts empty and generation at 1. */
export function resetStatusOnCreate(obj: KubeObject, emptyStatus: Record<string, unknown> = {}): void {
  obj.status = clone(emptyStatus);
  meta(obj).generation = 1;
}

/** PrepareForUpdate of the main resource: the status cannot be changed through it. */
export function keepOldStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = clone(old.status);
}

/**
 * PrepareForUpdate of the status subresource: everything but status (and metadata, which the
 * server handles) comes from the stored object.
 */
export function keepAllButStatus(obj: KubeObject, old: KubeObject, opts: { keepLabels?: boolean } = {}): void {
  for (const k of Object.keys(obj)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind' && !(k in old)) delete obj[k];
  }
  for (const [k, v] of Object.entries(old)) {
    if (k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind') obj[k] = clone(v);
  }
  if (opts.keepLabels) {
    const m = meta(obj);
    if (old.metadata?.labels === undefined) delete m.labels;
    else m.labels = clone(old.metadata.labels);
  }
}

/** Upstream bumps generation on any spec change; the server does it too, this keeps it idempotent. */
export function bumpGenerationIf(obj: KubeObject, old: KubeObject, changed: boolean): void {
  if (changed) meta(obj).generation = (old.metadata?.generation ?? 0) + 1;
}

export function specChanged(obj: KubeObject, old: KubeObject): boolean {
  return !deepEqual(obj.spec, old.spec);
}
