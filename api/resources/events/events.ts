// events.k8s.io/v1 Event: the same objects as core/v1 Events (stored as core/v1 under
// /registry/events), with the stricter validation upstream applies to requests of this version
// (pkg/apis/core/validation/events.go with requestVersion events.k8s.io/v1).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain, isQualifiedName } from '../../validation/names.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { asObj, deepEqual } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';
import { events as coreEvents } from '../core/events.ts';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.ts';

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** An empty-valued field.Invalid, as upstream reports these (`Invalid value: "": ...`). */
function invalidEmpty(field: string, detail: string): FieldError {
  return fieldErrors.invalid(field, '', detail);
}

/** legacyValidateEvent on the core form, with events.k8s.io's field name for the controller. */
function legacyValidate(e: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? '';
  const io = asObj(e.involvedObject);
  const ioNs = str(io.namespace);
  if (!e.eventTime) {
    if (ioNs.length === 0) {
      if (ns !== '' && ns !== 'default') errs.push(fieldErrors.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    } else if (ns !== ioNs) {
      errs.push(fieldErrors.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    }
  } else {
    if (ioNs.length === 0 && ns !== 'default' && ns !== 'kube-system') {
      errs.push(fieldErrors.invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    }
    const controller = str(e.reportingComponent);
    if (controller.length === 0) errs.push(fieldErrors.required('reportingController'));
    for (const msg of isQualifiedName(controller)) errs.push(fieldErrors.invalid('reportingController', controller, msg));
    const instance = str(e.reportingInstance);
    if (instance.length === 0) errs.push(fieldErrors.required('reportingInstance'));
    if (instance.length > REPORTING_INSTANCE_LIMIT) errs.push(invalidEmpty('reportingInstance', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    const action = str(e.action);
    if (action.length === 0) errs.push(fieldErrors.required('action'));
    if (action.length > ACTION_LIMIT) errs.push(invalidEmpty('action', `can have at most ${ACTION_LIMIT} characters`));
    const reason = str(e.reason);
    if (reason.length === 0) errs.push(fieldErrors.required('reason'));
    if (reason.length > REASON_LIMIT) errs.push(invalidEmpty('reason', `can have at most ${REASON_LIMIT} characters`));
    if (str(e.message).length > NOTE_LIMIT) errs.push(invalidEmpty('message', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const msg of isDNS1123Subdomain(ns)) errs.push(fieldErrors.invalid('namespace', ns, msg));
  return errs;
}

function validateSeries(e: KubeObject): FieldError[] {
  if (e.series === undefined || e.series === null) return [];
  const s = asObj(e.series);
  const errs: FieldError[] = [];
  if ((typeof s.count === 'number' ? s.count : 0) < 2) errs.push(invalidEmpty('series.count', 'should be at least 2'));
  if (!s.lastObservedTime) errs.push(fieldErrors.required('series.lastObservedTime'));
  return errs;
}

/** ValidateEventCreate for events.k8s.io/v1 (on the core form). */
export function validateEventsV1Create(obj: KubeObject): FieldError[] {
  const e = eventsV1ToCore(obj);
  const errs = legacyValidate(e);
  errs.push(...validateSeries(e));
  if (!e.eventTime) errs.push(fieldErrors.required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(invalidEmpty('type', `has invalid value: ${str(e.type)}`));
  if (e.firstTimestamp) errs.push(invalidEmpty('deprecatedFirstTimestamp', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(invalidEmpty('deprecatedLastTimestamp', 'needs to be unset'));
  if (typeof e.count === 'number' && e.count !== 0) errs.push(invalidEmpty('deprecatedCount', 'needs to be unset'));
  const src = asObj(e.source);
  if (str(src.component) !== '' || str(src.host) !== '') errs.push(invalidEmpty('deprecatedSource', 'needs to be unset'));
  return errs;
}

/** Microsecond-truncated equality of two MicroTimes. */
function sameMicro(a: unknown, b: unknown): boolean {
  if (!a || !b) return !a && !b;
  const ta = Date.parse(String(a));
  const tb = Date.parse(String(b));
  return ta === tb || String(a) === String(b);
}

/** ValidateEventUpdate for events.k8s.io/v1: everything but the series is immutable. */
export function validateEventsV1Update(obj: KubeObject, old: KubeObject): FieldError[] {
  const e = eventsV1ToCore(obj);
  const o = eventsV1ToCore(old);
  const errs = legacyValidate(e);
  if (!deepEqual(e.series, o.series)) errs.push(...validateSeries(e));
  const fields: [string, string][] = [
    ['involvedObject', 'involvedObject'],
    ['reason', 'reason'],
    ['message', 'message'],
    ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'],
    ['lastTimestamp', 'lastTimestamp'],
    ['count', 'count'],
    ['type', 'type'],
  ];
  for (const [k, path] of fields) errs.push(...immutableField(e[k], o[k], path));
  if (!sameMicro(e.eventTime, o.eventTime)) errs.push(...immutableField(e.eventTime, o.eventTime, 'eventTime'));
  errs.push(...immutableField(e.action, o.action, 'action'));
  errs.push(...immutableField(e.related, o.related, 'related'));
  errs.push(...immutableField(e.reportingComponent, o.reportingComponent, 'reportingController'));
  errs.push(...immutableField(e.reportingInstance, o.reportingInstance, 'reportingInstance'));
  return errs;
}

export const eventsV1Strategy: Strategy = {
  tracksGeneration: false,
  defaults: () => {},
  validate: validateEventsV1Create,
  validateUpdate: validateEventsV1Update,
};

function regarding(obj: KubeObject, field: string): string {
  return str(asObj(obj.regarding)[field]);
}

export const eventsV1: ResourceDescriptor = resource({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  model: 'EventsV1Event',
  // printEvent works on the internal (core) type, so both versions print core's columns.
  printerColumns: coreEvents.printerColumns.map((c) => ({ ...c, cell: (obj: KubeObject, now: Date) => c.cell(eventsV1ToCore(obj), now) })),
  // Upstream's field label conversion for events.k8s.io maps these onto the core Event's fields.
  fieldSelectors: {
    reason: (obj) => str(obj.reason),
    'regarding.kind': (obj) => regarding(obj, 'kind'),
    'regarding.namespace': (obj) => regarding(obj, 'namespace'),
    'regarding.name': (obj) => regarding(obj, 'name'),
    'regarding.uid': (obj) => regarding(obj, 'uid'),
    'regarding.apiVersion': (obj) => regarding(obj, 'apiVersion'),
    'regarding.resourceVersion': (obj) => regarding(obj, 'resourceVersion'),
    'regarding.fieldPath': (obj) => regarding(obj, 'fieldPath'),
    reportingController: (obj) => str(obj.reportingController),
    type: (obj) => str(obj.type),
  },
  strategy: eventsV1Strategy,
  storageResource: 'events',
  conversion: { storageVersion: 'v1', toStorage: eventsV1ToCore, fromStorage: coreToEventsV1 },
});
