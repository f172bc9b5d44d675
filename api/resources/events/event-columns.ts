// The columns of `kubectl get events` (printEvent), computed on the core/v1 shape. Upstream prints
// events.k8s.io Events through the same internal type, so both versions show these columns.
import type { KubeObject, PrinterColumn } from '../../registry/descriptor.ts';
import { nameColumn } from '../group-helpers/columns.ts';
import { asObj } from '../group-helpers/object.ts';
import { since } from '../group-helpers/time.ts';

type Core = (obj: KubeObject) => KubeObject;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** firstTimestamp, falling back to eventTime (translateMicroTimestampSince). */
function firstSeen(e: KubeObject, now: Date): string {
  const first = str(e.firstTimestamp);
  return first ? since(first, now) : since(str(e.eventTime), now);
}

function lastSeen(e: KubeObject, now: Date): string {
  if (e.series !== undefined && e.series !== null) return since(str(asObj(e.series).lastObservedTime), now);
  const last = str(e.lastTimestamp);
  return last ? since(last, now) : firstSeen(e, now);
}

function count(e: KubeObject): number {
  const series = e.series;
  if (series !== undefined && series !== null) return Number(asObj(series).count ?? 0);
  const c = typeof e.count === 'number' ? e.count : 0;
  return c === 0 ? 1 : c;
}

function target(e: KubeObject): string {
  const io = asObj(e.involvedObject);
  const kind = str(io.kind).toLowerCase();
  return str(io.name) ? `${kind}/${str(io.name)}` : kind;
}

/** formatEventSource: component (or reportingComponent), then `, host` (or reportingInstance). */
function source(e: KubeObject): string {
  const src = asObj(e.source);
  const component = str(src.component) || str(e.reportingComponent);
  const host = str(src.host) || str(e.reportingInstance);
  return host ? `${component}, ${host}` : component;
}

export function eventColumns(toCore: Core): PrinterColumn[] {
  const col = (name: string, description: string, priority: 0 | 1, cell: (e: KubeObject, now: Date) => string | number): PrinterColumn => ({
    name,
    type: 'string',
    description,
    priority,
    cell: (obj, now) => cell(toCore(obj), now),
  });
  return [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.', 0, lastSeen),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future', 0, (e) => str(e.type)),
    col('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0, (e) => str(e.reason)),
    col('Object', 'The object that this event is about.', 0, target),
    col(
      'Subobject',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
      1,
      (e) => str(asObj(e.involvedObject).fieldPath),
    ),
    col('Source', 'The component reporting this event. Should be a short machine understandable string.', 1, source),
    col('Message', 'A human-readable description of the status of this operation.', 0, (e) => str(e.message).trim()),
    col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1, firstSeen),
    col('Count', 'The number of times this event has occurred.', 1, count),
    nameColumn(1),
  ];
}
