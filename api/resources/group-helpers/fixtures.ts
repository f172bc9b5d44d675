// Objects for the named-group unit tests: a valid pod template and ready-made workloads.
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import type { FieldError } from '../../errors.ts';

export const NOW = new Date('2024-05-01T12:00:00Z');

/** An RFC 3339 time `seconds` before NOW. */
export function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function podTemplate(labels: Record<string, string> = { app: 'web' }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...extra } };
}

export function meta(name: string, namespace?: string, extra: Record<string, unknown> = {}): KubeObject['metadata'] {
  return { name, ...(namespace ? { namespace } : {}), uid: '11111111-2222-3333-4444-555555555555', creationTimestamp: ago(300), ...extra };
}

/** Defaults then validation, as the server runs a create. */
export function createErrors(d: ResourceDescriptor, obj: KubeObject): FieldError[] {
  d.strategy.defaults(obj);
  d.strategy.prepareForCreate?.(obj, { now: NOW, user: 'admin' });
  return d.strategy.validate(obj);
}

/** The cells of the printer columns (NAME excluded unless a column carries it). */
export function cells(d: ResourceDescriptor, obj: KubeObject, wide = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of d.printerColumns) if (wide || c.priority === 0) out[c.name] = c.cell(obj, NOW);
  return out;
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
