// core/v1 Event: upstream's legacy event validation (the core/v1 API path), printEvent and the
// event field selectors.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { translateTimestampSince } from '../../printers/age.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain, isQualifiedName } from '../../validation/names.ts';
import { ALL_VERBS, column, nameColumn, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { isObj, str } from './json.ts';

function validate(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = str(section(ev, 'involvedObject').namespace);
  const mismatch = (): FieldError => fieldErrors.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  if (!ev.eventTime) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(mismatch());
    } else if (ns !== involvedNs) {
      errs.push(mismatch());
    }
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch());
    const rc = str(ev.reportingComponent);
    if (!rc) errs.push(fieldErrors.required('reportingComponent'));
    errs.push(...isQualifiedName(rc).map((m) => fieldErrors.invalid('reportingComponent', rc, m)));
    const limit = (field: string, max: number, required: boolean): void => {
      const v = str(ev[field]);
      if (required && !v) errs.push(fieldErrors.required(field));
      if (Buffer.byteLength(v) > max) errs.push(fieldErrors.invalid(field, '', `can have at most ${max} characters`));
    };
    limit('reportingInstance', 128, true);
    limit('action', 128, true);
    limit('reason', 128, true);
    limit('message', 1024, false);
  }
  errs.push(...isDNS1123Subdomain(ns).map((m) => fieldErrors.invalid('namespace', ns, m)));
  return errs;
}

/** LAST SEEN, FIRST SEEN and COUNT as printEvent derives them from the old and new event fields. */
function times(ev: KubeObject, now: Date): { first: string; last: string; count: number } {
  const first = ev.firstTimestamp ? translateTimestampSince(str(ev.firstTimestamp), now) : translateTimestampSince(str(ev.eventTime), now);
  let last = ev.lastTimestamp ? translateTimestampSince(str(ev.lastTimestamp), now) : first;
  let count = typeof ev.count === 'number' ? ev.count : 0;
  if (isObj(ev.series)) {
    last = translateTimestampSince(str(ev.series.lastObservedTime), now);
    count = typeof ev.series.count === 'number' ? ev.series.count : 0;
  } else if (count === 0) {
    count = 1;
  }
  return { first, last, count };
}

function target(ev: KubeObject): string {
  const obj = section(ev, 'involvedObject');
  const kind = str(obj.kind).toLowerCase();
  return obj.name ? `${kind}/${str(obj.name)}` : kind;
}

function source(ev: KubeObject): string {
  const src = section(ev, 'source');
  const component = str(src.component) || str(ev.reportingComponent);
  const instance = str(src.host) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export const events: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  categories: [],
  namespaced: true,
  // core/v1 events skip the strategy's name check; only the generic path-segment rule applies.
  nameFormat: 'pathSegment',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'CoreV1Event',
  printerColumns: [
    column('Last Seen', 'string', DOCS['CoreV1Event.lastTimestamp'], (obj, now) => times(obj, now).last),
    column('Type', 'string', DOCS['CoreV1Event.type'], (obj) => str(obj.type)),
    column('Reason', 'string', DOCS['CoreV1Event.reason'], (obj) => str(obj.reason)),
    column('Object', 'string', DOCS['CoreV1Event.involvedObject'], target),
    column('Subobject', 'string', DOCS['V1ObjectReference.fieldPath'], (obj) => str(section(obj, 'involvedObject').fieldPath), 1),
    column('Source', 'string', DOCS['CoreV1Event.source'], source, 1),
    column('Message', 'string', DOCS['CoreV1Event.message'], (obj) => str(obj.message).trim()),
    column('First Seen', 'string', DOCS['CoreV1Event.firstTimestamp'], (obj, now) => times(obj, now).first, 1),
    column('Count', 'string', DOCS['CoreV1Event.count'], (obj, now) => times(obj, now).count, 1),
    nameColumn(1),
  ],
  fieldSelectors: {
    'involvedObject.kind': (obj) => str(section(obj, 'involvedObject').kind),
    'involvedObject.namespace': (obj) => str(section(obj, 'involvedObject').namespace),
    'involvedObject.name': (obj) => str(section(obj, 'involvedObject').name),
    'involvedObject.uid': (obj) => str(section(obj, 'involvedObject').uid),
    'involvedObject.apiVersion': (obj) => str(section(obj, 'involvedObject').apiVersion),
    'involvedObject.resourceVersion': (obj) => str(section(obj, 'involvedObject').resourceVersion),
    'involvedObject.fieldPath': (obj) => str(section(obj, 'involvedObject').fieldPath),
    reason: (obj) => str(obj.reason),
    reportingComponent: (obj) => str(obj.reportingComponent),
    source: (obj) => str(section(obj, 'source').component) || str(obj.reportingComponent),
    type: (obj) => str(obj.type),
  },
  strategy: { defaults: () => {}, validate, validateUpdate: (obj) => validate(obj), tracksGeneration: false },
  storageResource: 'events',
};
