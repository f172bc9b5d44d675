import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod, svc, T0 } from '../endpoints/test-fixtures.ts';
import type { EndpointPod } from '../endpoints/service-pods.ts';
import { CONTROLLER_NAME, MANAGED_BY_LABEL, reconcileSlices, SERVICE_NAME_LABEL, type EndpointSlice, type SliceReconcileInput } from './reconciler.ts';

const nodes: Record<string, { metadata: { labels: Record<string, string> } }> = { n1: { metadata: { labels: { 'topology.kubernetes.io/zone': 'z1' } } }, n2: { metadata: { labels: {} } } };
const input = (pods: EndpointPod[], existing: EndpointSlice[] = [], extra: Partial<SliceReconcileInput> = {}): SliceReconcileInput => ({
  service: svc(),
  pods,
  existing,
  node: (n) => nodes[n],
  ...extra,
});

let seq = 0;
/** What the server would store for a planned creation. */
function stored(s: EndpointSlice): EndpointSlice {
  const copy = structuredClone(s);
  copy.metadata = { ...copy.metadata, name: copy.metadata?.name ?? `${copy.metadata?.generateName}${String(++seq).padStart(5, 'x')}`, uid: `slice-${seq}`, resourceVersion: '1' };
  delete copy.metadata.generateName;
  return copy;
}

/** Applies a plan to the slices, as the shell does through the API. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof reconcileSlices>): EndpointSlice[] {
  const byName = new Map(existing.map((s) => [s.metadata!.name!, s]));
  for (const s of plan.delete) byName.delete(s.metadata!.name!);
  for (const s of plan.update) byName.set(s.metadata!.name!, structuredClone(s));
  for (const s of plan.create) {
    const c = stored(s);
    byName.set(c.metadata!.name!, c);
  }
  return [...byName.values()];
}

const ips = (slices: EndpointSlice[]) => slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.addresses[0])).sort();

describe('EndpointSlice reconciler', () => {
  it('creates a slice owned by the service with labels, ports, conditions, node, zone and target', () => {
    const plan = reconcileSlices(input([pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false, node: 'n2' }), pod('c', '10.0.0.3', { deleting: true })], [], { triggerTime: Date.parse(T0) }));
    assert.equal(plan.create.length, 1);
    assert.deepEqual(plan.update, []);
    const s = plan.create[0]!;
    assert.equal(s.metadata!.generateName, 'web-');
    assert.deepEqual(s.metadata!.labels, { [SERVICE_NAME_LABEL]: 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME });
    assert.deepEqual(s.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(s.metadata!.annotations, { 'endpoints.kubernetes.io/last-change-trigger-time': T0 });
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
    assert.deepEqual(s.endpoints, [
      { addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' }, nodeName: 'n1', zone: 'z1' },
      { addresses: ['10.0.0.2'], conditions: { ready: false, serving: false, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'uid-b' }, nodeName: 'n2' },
      { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'c', uid: 'uid-c' }, nodeName: 'n1', zone: 'z1' },
    ]);
  });

  it('writes nothing when the slices already say it; updates in place when an endpoint changes', () => {
    const pods = [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')];
    const slices = apply([], reconcileSlices(input(pods)));
    const again = reconcileSlices(input(pods, slices));
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
    const changed = reconcileSlices(input([pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false })], slices));
    assert.deepEqual([changed.create.length, changed.update.length, changed.delete.length], [0, 1, 0]);
    assert.equal(changed.update[0]!.metadata!.name, slices[0]!.metadata!.name);
    assert.equal(changed.update[0]!.endpoints![1]!.conditions!.ready, false);
  });

  it('keeps at most maxEndpointsPerSlice per slice and fills existing slices before making new ones', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.0.${i + 1}`));
    let slices = apply([], reconcileSlices(input(pods, [], { maxEndpointsPerSlice: 2 })));
    assert.deepEqual(slices.map((s) => s.endpoints!.length).sort(), [1, 2, 2]);
    // One pod goes: its slice loses it; one comes: it fills the freed room rather than a new slice.
    const next = [...pods.slice(1), pod('p9', '10.0.0.9')];
    const plan = reconcileSlices(input(next, slices, { maxEndpointsPerSlice: 2 }));
    assert.equal(plan.create.length, 0);
    slices = apply(slices, plan);
    assert.deepEqual(ips(slices), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.9']);
    assert.ok(slices.every((s) => s.endpoints!.length <= 2));
  });

  it('separates endpoints whose named ports resolve differently', () => {
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }] });
    const plan = reconcileSlices({ ...input([pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }] }), pod('b', '10.0.0.2', { ports: [{ name: 'web', containerPort: 9090 }] })]), service: s });
    assert.deepEqual(plan.create.map((x) => [x.ports![0]!.port, x.endpoints!.length]).sort(), [
      [8080, 1],
      [9090, 1],
    ]);
  });

  it('keeps one placeholder slice when there are no endpoints; reuses a slice to delete for a create', () => {
    const empty = reconcileSlices(input([]));
    assert.equal(empty.create.length, 1);
    assert.deepEqual([empty.create[0]!.endpoints, empty.create[0]!.ports], [[], []]);
    const placeholder = apply([], empty);
    const again = reconcileSlices(input([], placeholder));
    assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
    // Endpoints arrive: the placeholder (other ports) is rewritten instead of deleted plus created.
    const filled = reconcileSlices(input([pod('a', '10.0.0.1')], placeholder));
    assert.deepEqual([filled.create.length, filled.update.length, filled.delete.length], [0, 1, 0]);
    assert.equal(filled.update[0]!.metadata!.name, placeholder[0]!.metadata!.name);
    assert.deepEqual(filled.update[0]!.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }]);
  });

  it('follows service label changes and deletes slices of another service uid or address type', () => {
    const slices = apply([], reconcileSlices(input([pod('a', '10.0.0.1')])));
    const relabeled = reconcileSlices({ ...input([pod('a', '10.0.0.1')], slices), service: svc({}, { labels: { team: 'x' } }) });
    assert.equal(relabeled.update[0]!.metadata!.labels!.team, 'x');
    const foreign = { ...slices[0]!, metadata: { ...slices[0]!.metadata, name: 'old', ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'old-uid' }] } };
    const v6 = { ...slices[0]!, addressType: 'IPv6', metadata: { ...slices[0]!.metadata, name: 'v6' } };
    const plan = reconcileSlices(input([pod('a', '10.0.0.1')], [...slices, foreign, v6]));
    assert.deepEqual(plan.delete.map((s) => s.metadata!.name).sort(), ['old', 'v6']);
  });

  it('skips pods of unknown nodes (reported for a retry) unless not-ready addresses are published', () => {
    const plan = reconcileSlices(input([pod('a', '10.0.0.1', { node: 'gone' })]));
    assert.equal(plan.errors.length, 1);
    assert.deepEqual(plan.create[0]!.endpoints, []);
    const published = reconcileSlices({ ...input([pod('a', '10.0.0.1', { node: 'gone' })]), service: svc({ publishNotReadyAddresses: true }) });
    assert.deepEqual(published.errors, []);
    assert.equal(published.create[0]!.endpoints!.length, 1);
  });

  it('creates nothing for a service being deleted', () => {
    const plan = reconcileSlices({ ...input([pod('a', '10.0.0.1')]), service: svc({}, { deletionTimestamp: T0 }) });
    assert.deepEqual(plan.create, []);
  });
});
