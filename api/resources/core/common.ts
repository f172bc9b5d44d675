// Pieces shared by the core/v1 descriptors: verbs, columns, status/spec preservation.
import type { KubeObject, PrinterColumn, Verb } from '../../registry/descriptor.ts';
import { translateTimestampSince } from '../../printers/age.ts';
import { DOCS } from './column-docs.ts';
import { isObj } from './json.ts';

/** Discovery order of verbs, as upstream lists them. */
export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Every verb but deletecollection (namespaces). */
export const VERBS_NO_DELETECOLLECTION: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

type CellFn = PrinterColumn['cell'];

export function column(name: string, type: PrinterColumn['type'], description: string, cell: CellFn, priority: 0 | 1 = 0): PrinterColumn {
  return { name, type, description, priority, cell };
}

/** AGE: translateTimestampSince(metadata.creationTimestamp). */
export function ageColumn(): PrinterColumn {
  return column('Age', 'string', DOCS['V1ObjectMeta.creationTimestamp'], (obj, now) => translateTimestampSince(obj.metadata?.creationTimestamp, now));
}

/**
 * The NAME column for kinds whose table does not start with it (events). Its `format: 'name'`
 * tells the table builder where NAME goes instead of putting it first.
 */
export function nameColumn(priority: 0 | 1): PrinterColumn {
  return { name: 'Name', type: 'string', format: 'name', description: DOCS['V1ObjectMeta.name'], priority, cell: (obj) => obj.metadata?.name ?? '' };
}

/** labels.FormatLabels: `k=v` sorted by key and comma-joined, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  if (!isObj(labels)) return '<none>';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String(labels[k])}`).join(',');
}

/** The object's section as JSON (never undefined). */
export function section(obj: KubeObject, key: string): Record<string, any> {
  const v = obj[key];
  return isObj(v) ? v : {};
}

/** Update of the main resource: the stored status wins (upstream's PrepareForUpdate). */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = structuredClone(old.status);
}

/** Update of the status subresource: the stored spec wins (upstream's status PrepareForUpdate). */
export function keepSpec(obj: KubeObject, old: KubeObject): void {
  if (old.spec === undefined) delete obj.spec;
  else obj.spec = structuredClone(old.spec);
}
