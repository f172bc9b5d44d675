// events.k8s.io/v1 Event <-> core/v1 Event (pkg/apis/events/v1/conversion.go). Both are stored
// as core/v1 Events under /registry/events. Zero values are written as Go's JSON encoder writes
// them (e.g. `eventTime: null`, `deprecatedSource: {}`), so either version reads like upstream's.
import type { KubeObject } from '../../registry/descriptor.ts';
import { asObj, clone, isObj } from '../group-helpers/object.ts';

type J = Record<string, unknown>;

function put(out: J, key: string, v: unknown): void {
  if (v !== undefined && v !== null && v !== '') out[key] = v;
}

/** events.k8s.io/v1 -> core/v1 (the stored form). */
export function eventsV1ToCore(e: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: clone(e.metadata ?? {}) };
  out.involvedObject = clone(asObj(e.regarding));
  put(out, 'reason', e.reason);
  put(out, 'message', e.note);
  out.source = clone(asObj(e.deprecatedSource));
  out.firstTimestamp = e.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = e.deprecatedLastTimestamp ?? null;
  put(out, 'count', e.deprecatedCount);
  put(out, 'type', e.type);
  out.eventTime = e.eventTime ?? null;
  if (isObj(e.series)) out.series = clone(e.series);
  put(out, 'action', e.action);
  if (isObj(e.related)) out.related = clone(e.related);
  out.reportingComponent = typeof e.reportingController === 'string' ? e.reportingController : '';
  out.reportingInstance = typeof e.reportingInstance === 'string' ? e.reportingInstance : '';
  return out;
}

/** core/v1 (stored) -> events.k8s.io/v1. */
export function coreToEventsV1(c: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: clone(c.metadata ?? {}) };
  out.eventTime = c.eventTime ?? null;
  if (isObj(c.series)) out.series = clone(c.series);
  put(out, 'reportingController', c.reportingComponent);
  put(out, 'reportingInstance', c.reportingInstance);
  put(out, 'action', c.action);
  put(out, 'reason', c.reason);
  out.regarding = clone(asObj(c.involvedObject));
  if (isObj(c.related)) out.related = clone(c.related);
  put(out, 'note', c.message);
  put(out, 'type', c.type);
  out.deprecatedSource = clone(asObj(c.source));
  out.deprecatedFirstTimestamp = c.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = c.lastTimestamp ?? null;
  put(out, 'deprecatedCount', c.count);
  return out;
}
