import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { desiredSubsets, endpointsToWrite, MAX_CAPACITY, OVER_CAPACITY, repackSubsets, truncateSubsets, type EndpointSubset } from './endpoints.ts';
import { findPort, LAST_CHANGE_TRIGGER_TIME, rfc3339Nano, servicesToUpdateOnPodChange, TriggerTimeTracker, type EndpointPod } from './service-pods.ts';
import { pod, svc, T0 } from './test-fixtures.ts';

const ref = (name: string) => ({ kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` });
const addr = (name: string, ip: string, node = 'n1') => ({ ip, nodeName: node, targetRef: ref(name) });

describe('Endpoints subsets', () => {
  it('puts ready pods under addresses and the others under notReadyAddresses, sorted by IP', () => {
    const subsets = desiredSubsets(svc(), [pod('b', '10.0.0.2'), pod('a', '10.0.0.1'), pod('c', '10.0.0.3', { ready: false })]);
    assert.deepEqual(subsets, [
      {
        addresses: [addr('a', '10.0.0.1'), addr('b', '10.0.0.2')],
        notReadyAddresses: [addr('c', '10.0.0.3')],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('publishNotReadyAddresses lists every pod as ready, terminating ones included', () => {
    const subsets = desiredSubsets(svc({ publishNotReadyAddresses: true }), [pod('a', '10.0.0.1', { ready: false }), pod('b', '10.0.0.2', { deleting: true })]);
    assert.deepEqual(subsets[0]!.addresses!.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
    assert.equal(subsets[0]!.notReadyAddresses, undefined);
  });

  it('leaves out pods without an IP, terminal pods and terminating pods', () => {
    const subsets = desiredSubsets(svc(), [pod('a', undefined), pod('b', '10.0.0.2', { phase: 'Succeeded' }), pod('c', '10.0.0.3', { deleting: true }), pod('d', '10.0.0.4')]);
    assert.deepEqual(subsets[0]!.addresses!.map((a) => a.ip), ['10.0.0.4']);
  });

  it('resolves named target ports per pod; each subset is a port and the addresses offering it', () => {
    const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' }] });
    const subsets = desiredSubsets(s, [pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080 }] }), pod('b', '10.0.0.2', { ports: [{ name: 'web', containerPort: 8081 }] }), pod('c', '10.0.0.3')]);
    const summary = subsets.map((ss) => ({ ips: ss.addresses!.map((a) => a.ip), ports: ss.ports!.map((p) => `${p.name}:${p.port}`) }));
    assert.deepEqual(
      summary.sort((x, y) => (x.ips.join() < y.ips.join() ? -1 : 1)),
      [
        { ips: ['10.0.0.1'], ports: ['http:8080'] },
        { ips: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], ports: ['metrics:9090'] },
        { ips: ['10.0.0.2'], ports: ['http:8081'] },
      ],
    );
  });

  it('sets the hostname when the pod names the service as its subdomain', () => {
    const p = pod('a', '10.0.0.1');
    p.spec = { ...p.spec, hostname: 'a-host', subdomain: 'web' };
    const other = pod('b', '10.0.0.2');
    other.spec = { ...other.spec, hostname: 'b-host', subdomain: 'elsewhere' };
    const [ss] = desiredSubsets(svc(), [p, other]);
    assert.equal(ss!.addresses![0]!.hostname, 'a-host');
    assert.equal(ss!.addresses![1]!.hostname, undefined);
  });

  it('a headless service without ports lists addresses without ports; one with a cluster IP lists none', () => {
    assert.deepEqual(desiredSubsets(svc({ clusterIP: 'None', ports: [] }), [pod('a', '10.0.0.1')]), [{ addresses: [addr('a', '10.0.0.1')] }]);
    assert.deepEqual(desiredSubsets(svc({ ports: [] }), [pod('a', '10.0.0.1')]), []);
  });

  it('repacking: not ready on any port makes the address not ready on that port only', () => {
    const p80 = { name: 'a', port: 80, protocol: 'TCP' };
    const p81 = { name: 'b', port: 81, protocol: 'TCP' };
    const out = repackSubsets([
      { addresses: [{ ip: '10.0.0.1' }], ports: [p80] },
      { notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [p81] },
      { addresses: [{ ip: '10.0.0.1' }], ports: [p81] },
    ]);
    assert.equal(out.length, 2);
    // Ports offered by the same addresses share a subset.
    assert.equal(repackSubsets([{ addresses: [{ ip: '10.0.0.1' }], ports: [p80, p81] }]).length, 1);
    assert.deepEqual(out.find((s) => s.ports![0]!.port === 81), { notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [p81] });
  });

  it('findPort: numbers, numeric strings, names matched with the protocol, sidecars', () => {
    const p = pod('a', '10.0.0.1', { ports: [{ name: 'dns', containerPort: 53 }] });
    assert.equal(findPort(p, { port: 80, targetPort: 8080 }), 8080);
    assert.equal(findPort(p, { port: 80 }), 80);
    assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' }), 53);
    assert.equal(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' }), undefined);
    p.spec!.initContainers = [{ restartPolicy: 'Always', ports: [{ name: 'side', containerPort: 9000 }] }];
    assert.equal(findPort(p, { port: 1, targetPort: 'side' }), 9000);
  });

  it('truncates to 1000 addresses, ready ones first', () => {
    const many = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.${base}.${Math.floor(i / 250)}.${i % 250}` }));
    const subsets: EndpointSubset[] = [{ addresses: many(600, 1), notReadyAddresses: many(600, 2), ports: [{ port: 80 }] }];
    const { subsets: out, truncated } = truncateSubsets(subsets);
    assert.equal(truncated, true);
    assert.equal(out[0]!.addresses!.length, 600);
    assert.equal(out[0]!.notReadyAddresses!.length, MAX_CAPACITY - 600);
  });
});

describe('Endpoints object', () => {
  it('creates one with the service labels, the headless label and the trigger time', () => {
    const s = svc({ clusterIP: 'None' }, { labels: { team: 'a' } });
    const ep = endpointsToWrite(s, undefined, desiredSubsets(s, [pod('a', '10.0.0.1')]), Date.parse(T0));
    assert.deepEqual(ep!.metadata, { name: 'web', labels: { team: 'a', 'service.kubernetes.io/headless': '' }, annotations: { [LAST_CHANGE_TRIGGER_TIME]: T0 } });
    assert.equal(ep!.subsets!.length, 1);
  });

  it('writes nothing when subsets and labels match (target resourceVersions ignored)', () => {
    const s = svc();
    const subsets = desiredSubsets(s, [pod('a', '10.0.0.1')]);
    const stored = endpointsToWrite(s, undefined, subsets, undefined)!;
    stored.metadata!.resourceVersion = '7';
    stored.subsets![0]!.addresses![0]!.targetRef!.resourceVersion = '42';
    assert.equal(endpointsToWrite(s, stored, subsets, Date.parse(T0)), undefined);
    // A label change on the service, or a new address, is an update of the stored object.
    const relabeled = endpointsToWrite(svc({}, { labels: { x: 'y' } }), stored, subsets, undefined)!;
    assert.equal(relabeled.metadata!.resourceVersion, '7');
    assert.deepEqual(relabeled.metadata!.labels, { x: 'y' });
    assert.ok(endpointsToWrite(s, stored, desiredSubsets(s, [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')]), undefined));
  });

  it('marks truncated Endpoints over capacity and clears the mark once under it', () => {
    const s = svc();
    const subsets: EndpointSubset[] = [{ addresses: Array.from({ length: 1001 }, (_, i) => ({ ip: `10.1.${Math.floor(i / 250)}.${i % 250}` })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }];
    const over = endpointsToWrite(s, undefined, subsets, undefined)!;
    assert.equal(over.metadata!.annotations![OVER_CAPACITY], 'truncated');
    assert.equal(over.subsets![0]!.addresses!.length, MAX_CAPACITY);
    const small = [{ addresses: [{ ip: '10.1.0.1' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }];
    assert.equal(endpointsToWrite(s, over, small, undefined)!.metadata!.annotations![OVER_CAPACITY], undefined);
  });
});

describe('service/pod helpers', () => {
  it('a pod update concerns services when readiness, IPs or (for membership) labels change', () => {
    const services = [svc(), svc({ selector: { tier: 'db' } }, { name: 'db' })];
    const a = pod('a', '10.0.0.1');
    const next = (p: EndpointPod, f: (q: EndpointPod) => void) => {
      const q = structuredClone(p);
      q.metadata!.resourceVersion = '2';
      f(q);
      return q;
    };
    assert.deepEqual([...servicesToUpdateOnPodChange(services, a, next(a, () => undefined))], []);
    assert.deepEqual([...servicesToUpdateOnPodChange(services, a, next(a, (q) => (q.status!.conditions![0]!.status = 'False')))], ['ns/web']);
    assert.deepEqual([...servicesToUpdateOnPodChange(services, a, next(a, (q) => (q.metadata!.labels = { tier: 'db' })))].sort(), ['ns/db', 'ns/web']);
    assert.deepEqual([...servicesToUpdateOnPodChange(services, a, next(a, (q) => (q.metadata!.annotations = { x: 'y' })))], []);
  });

  it('trigger time: the creation time first, then the earliest changed Ready transition', () => {
    const t = new TriggerTimeTracker();
    const s = svc();
    assert.equal(t.compute(s, [pod('a', '10.0.0.1', { readyAt: '2024-01-01T00:00:05Z' })]), Date.parse(T0));
    assert.equal(t.compute(s, [pod('a', '10.0.0.1', { readyAt: '2024-01-01T00:00:05Z' })]), undefined);
    const later = [pod('a', '10.0.0.1', { readyAt: '2024-01-01T00:00:09Z' }), pod('b', '10.0.0.2', { readyAt: '2024-01-01T00:00:07Z' })];
    assert.equal(t.compute(s, later), Date.parse('2024-01-01T00:00:07Z'));
    assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:00:07.250Z')), '2024-01-01T00:00:07.25Z');
  });
});
