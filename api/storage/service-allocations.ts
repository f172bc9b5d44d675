// Service cluster IPs and node ports as keys in the store, one per allocated value (as
// upstream's IPAddress objects): a Service write claims what it newly holds and releases what
// it gave up in the same transaction, so every API server of a cluster sees one truth,
// a value is never held twice, and a deleted Service's values are free at once.
import type { Compare, TxnOp } from '../../storage/store.ts';
import { apiErrors } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { fieldErrors } from '../validation/field-errors.ts';

const IP_PREFIX = '/registry/ranges/serviceips/';
const PORT_PREFIX = '/registry/ranges/servicenodeports/';
/** Written once the allocations of Services stored before these keys existed are recorded. */
export const BACKFILL_MARKER = '/registry/ranges/.backfilled';

type J = Record<string, any>;

/** The store keys of what a Service holds: its cluster IPs, node ports and health check node port. */
export function allocationKeys(svc: KubeObject | undefined): string[] {
  const s: J = (svc?.spec as J | undefined) ?? {};
  const keys = new Set<string>();
  const ips: unknown[] = [...(Array.isArray(s.clusterIPs) ? s.clusterIPs : []), s.clusterIP];
  for (const ip of ips) if (typeof ip === 'string' && ip !== '' && ip !== 'None') keys.add(IP_PREFIX + ip);
  for (const p of Array.isArray(s.ports) ? s.ports : []) if (typeof p?.nodePort === 'number' && p.nodePort > 0) keys.add(PORT_PREFIX + p.nodePort);
  if (typeof s.healthCheckNodePort === 'number' && s.healthCheckNodePort > 0) keys.add(PORT_PREFIX + s.healthCheckNodePort);
  return [...keys];
}

export interface AllocationOps {
  /** Newly held values: each must be free (compare) and is recorded (put). */
  claimed: string[];
  compare: Compare[];
  success: TxnOp[];
}

/** What writing `next` over `old` (either may be absent: create, delete) does to the allocations. */
export function allocationOps(next: KubeObject | undefined, old: KubeObject | undefined): AllocationOps {
  const held = new Set(allocationKeys(old));
  const wanted = allocationKeys(next);
  const claimed = wanted.filter((k) => !held.has(k));
  const owner = next?.metadata ? `${next.metadata.namespace ?? ''}/${next.metadata.name ?? ''}` : '';
  const released = [...held].filter((k) => !wanted.includes(k));
  return {
    claimed,
    compare: claimed.map((key) => ({ key, target: 'createRevision' as const, result: '=' as const, value: 0 })),
    success: [...claimed.map((key) => ({ type: 'put' as const, key, value: owner })), ...released.map((key) => ({ type: 'delete' as const, key }))],
  };
}

/**
 * The error for a value the client asked for that another Service holds (422, upstream's
 * message), or undefined when `key` was picked by the allocator (the write is retried).
 */
export function takenError(svc: KubeObject, requested: KubeObject, key: string): Error | undefined {
  if (!allocationKeys(requested).includes(key)) return undefined;
  const name = String(svc.metadata?.name ?? '');
  const s: J = (svc.spec as J | undefined) ?? {};
  if (key.startsWith(IP_PREFIX)) {
    const ip = key.slice(IP_PREFIX.length);
    const ips = Array.isArray(s.clusterIPs) && s.clusterIPs.length ? s.clusterIPs : [ip];
    return apiErrors.invalid('Service', '', name, [fieldErrors.invalid('spec.clusterIPs', ips, `failed to allocate IP ${ip}: provided IP is already allocated`)]);
  }
  const port = Number(key.slice(PORT_PREFIX.length));
  const i = (Array.isArray(s.ports) ? s.ports : []).findIndex((p: J) => p?.nodePort === port);
  const field = i >= 0 ? `spec.ports[${i}].nodePort` : 'spec.healthCheckNodePort';
  return apiErrors.invalid('Service', '', name, [fieldErrors.invalid(field, port, 'provided port is already allocated')]);
}
