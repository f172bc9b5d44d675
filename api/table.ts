// Server-side printing: objects as a meta.k8s.io Table (what `kubectl get` requests with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), as upstream's TableConvertor:
// a NAME column first, then the descriptor's printer columns (or, for resources without
// printer columns, upstream's default "Created At"), one row per object carrying the
// object as PartialObjectMetadata (default), the full object, or nothing.
import type { KubeObject, ResourceDescriptor } from './registry/descriptor.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  /** PartialObjectMetadata, the object, or null (includeObject=None). */
  object: KubeObject | null;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when the client asked for no headers (TableOptions.noHeaders), as upstream. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TableOptions {
  /** `?includeObject=`; default Metadata. */
  includeObject?: IncludeObject;
  /** For age columns; default: the current time. */
  now?: Date;
  /** The meta.k8s.io version asked for in the Accept header; default v1. */
  version?: 'v1' | 'v1beta1';
  /** TableOptions.noHeaders (sent by kubectl for watches after the first page). */
  noHeaders?: boolean;
  /** The list's metadata (or, for a single object, `{resourceVersion}` of it), passed through. */
  listMeta?: ListMeta;
}

/** metav1.ObjectMeta SwaggerDoc()["name"], the NAME column's description upstream. */
export const nameColumnDescription =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** metav1.ObjectMeta SwaggerDoc()["creationTimestamp"]. */
export const creationTimestampDescription =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const nameColumn: TableColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: nameColumnDescription, priority: 0 };

/** A printer column with format `name` places the NAME column itself (events: last, priority 1). */
function placesName(d: ResourceDescriptor): boolean {
  return d.printerColumns.some((c) => c.format === 'name');
}

/** The column definitions for a resource: NAME first unless the descriptor places it. */
export function tableColumns(d: ResourceDescriptor): TableColumnDefinition[] {
  if (d.printerColumns.length === 0) {
    return [nameColumn, { name: 'Created At', type: 'date', format: '', description: creationTimestampDescription, priority: 0 }];
  }
  const cols = d.printerColumns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }));
  return placesName(d) ? cols : [nameColumn, ...cols];
}

/** RFC 3339 in UTC, seconds precision (Go's time.RFC3339 of a UTC time). */
function rfc3339(t: string | undefined): string {
  if (!t) return '0001-01-01T00:00:00Z';
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return t;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rowCells(d: ResourceDescriptor, obj: KubeObject, now: Date): unknown[] {
  const name = obj.metadata?.name ?? '';
  if (d.printerColumns.length === 0) return [name, rfc3339(obj.metadata?.creationTimestamp)];
  const cells = d.printerColumns.map((c) => c.cell(obj, now));
  return placesName(d) ? cells : [name, ...cells];
}

/** The PartialObjectMetadata of an object (meta.AsPartialObjectMetadata). */
export function partialObjectMetadata(obj: KubeObject, version: 'v1' | 'v1beta1' = 'v1'): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: { ...(obj.metadata ?? {}) } };
}

/** A PartialObjectMetadataList of objects, with the list's metadata. */
export function partialObjectMetadataList(objects: KubeObject[], listMeta: ListMeta = {}, version: 'v1' | 'v1beta1' = 'v1'): KubeObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetaOf(listMeta),
    items: objects.map((o) => partialObjectMetadata(o, version)),
  };
}

function listMetaOf(m: ListMeta | undefined): Table['metadata'] {
  const out: Table['metadata'] = {};
  if (m?.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (m?.continue) out.continue = m.continue;
  if (m?.remainingItemCount !== undefined && m.remainingItemCount !== null) out.remainingItemCount = m.remainingItemCount;
  return out;
}

/** Converts objects of one resource into a Table. */
export function toTable(d: ResourceDescriptor, objects: readonly KubeObject[], opts: TableOptions = {}): Table {
  const now = opts.now ?? new Date();
  const version = opts.version ?? 'v1';
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetaOf(opts.listMeta),
    columnDefinitions: opts.noHeaders ? null : tableColumns(d),
    rows: objects.map((obj) => ({
      cells: rowCells(d, obj, now),
      object: include === 'None' ? null : include === 'Object' ? obj : partialObjectMetadata(obj, version),
    })),
  };
}

/** Validates `?includeObject=`; throws upstream's message for other values (the server answers 400). */
export function parseIncludeObject(v: string | undefined | null): IncludeObject | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw new Error(`unrecognized includeObject value: ${JSON.stringify(v)}`);
}
