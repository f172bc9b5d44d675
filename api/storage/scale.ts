// The scale subresource: an autoscaling/v1 Scale view of a resource's replicas
// (deployments, replicasets, statefulsets, replicationcontrollers, custom resources).
import { apiErrors } from '../errors.ts';
import type { KubeObject, ResourceDescriptor, ScaleSubresource } from '../registry/descriptor.ts';
import { fieldErrors } from '../validation/field-errors.ts';
import type { RegistryStore, UpdateOptions } from './registry-store.ts';

function readPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const k of parts.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function scaleOf(d: ResourceDescriptor): ScaleSubresource {
  const s = d.subresources.scale;
  if (!s || typeof s !== 'object') throw apiErrors.notFound(`${d.plural}/scale`, d.group, '');
  return s;
}

export function toScale(d: ResourceDescriptor, obj: KubeObject): KubeObject {
  const s = scaleOf(d);
  const m = obj.metadata ?? {};
  const metadata: Record<string, unknown> = { name: m.name };
  if (m.namespace) metadata.namespace = m.namespace;
  metadata.uid = m.uid;
  metadata.resourceVersion = m.resourceVersion;
  metadata.creationTimestamp = m.creationTimestamp;
  const specReplicas = readPath(obj, s.specReplicasPath);
  const statusReplicas = readPath(obj, s.statusReplicasPath);
  const status: Record<string, unknown> = { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0 };
  const selector = s.labelSelector(obj);
  if (selector) status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status,
  };
}

export async function getScale(rs: RegistryStore, d: ResourceDescriptor, namespace: string | undefined, name: string): Promise<KubeObject> {
  return toScale(d, await rs.get(d, namespace, name));
}

/** Sets the replicas from a Scale (with its resourceVersion as the precondition, when given). */
export async function updateScale(
  rs: RegistryStore,
  d: ResourceDescriptor,
  namespace: string | undefined,
  name: string,
  scale: KubeObject,
  opts: UpdateOptions = {},
): Promise<KubeObject> {
  const s = scaleOf(d);
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  const scaleName = scale.metadata?.name;
  if (scaleName && scaleName !== name) throw apiErrors.badRequest(`the name of the object (${scaleName}) does not match the name on the URL (${name})`);
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas))) {
    throw apiErrors.invalid('Scale', 'autoscaling', name, [fieldErrors.typeInvalid('spec.replicas', replicas, 'must be an integer')]);
  }
  if (typeof replicas === 'number' && replicas < 0) {
    throw apiErrors.invalid('Scale', 'autoscaling', name, [fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  const rv = scale.metadata?.resourceVersion;
  const { object } = await rs.updateWith(
    d,
    namespace,
    name,
    (cur) => {
      if (!cur) throw apiErrors.notFound(d.plural, d.group, name);
      writePath(cur as Record<string, unknown>, s.specReplicasPath, replicas ?? 0);
      // Only a resourceVersion the client sent is a precondition; without one, a concurrent
      // write (e.g. a controller's status update) is retried on, not reported as a conflict.
      cur.metadata = { ...(cur.metadata ?? {}), resourceVersion: rv };
      return cur;
    },
    { ...opts, subresource: undefined, managerSubresource: 'scale' },
  );
  return toScale(d, object);
}
