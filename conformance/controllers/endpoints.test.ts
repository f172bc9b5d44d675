// End to end: `k8ts up --hollow-nodes 2` and the real kubectl: a Service's Endpoints and
// EndpointSlices follow the pods it selects (named target ports, readiness through a
// readiness gate, scaling), services without a selector keep hand-written Endpoints, and a
// deleted service takes its Endpoints and slices with it. Cluster IPs come from the service
// range, one per service.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      readinessGates: [{conditionType: example.com/ready}]
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {team: a}}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}]
`;

const MANUAL = `
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets: [{addresses: [{ip: 192.168.1.1}], ports: [{port: 80}]}]
`;

describe('Service endpoints against k8ts up, with kubectl', () => {
  let k8ts: K8tsProcess;
  const { ok, getJson, items, create } = kubectlFor(() => k8ts);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '2'] });
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  const running = async () => (await items('pods', '-l', 'app=web')).filter((p) => p.status?.podIP && !p.metadata.deletionTimestamp);
  const addresses = (ep: Obj | undefined, field: 'addresses' | 'notReadyAddresses') => (ep?.subsets ?? []).flatMap((s: Obj) => (s[field] ?? []).map((a: Obj) => a.ip)).sort();
  const sliceEndpoints = async () => (await items('endpointslices', '-l', 'kubernetes.io/service-name=web')).flatMap((s) => s.endpoints ?? []);

  it('EndpointSlice API: Endpoints and EndpointSlices for the pods matching a Service, ready or not', async () => {
    await create(MANIFEST);
    const pods = await eventually('3 running pods with IPs', async () => {
      const l = await running();
      return l.length === 3 && l;
    });
    const ips = pods.map((p) => p.status.podIP).sort();
    // The readiness gate holds the pods not ready.
    const ep = await eventually('Endpoints listing the 3 pods as not ready', async () => {
      const e = await getJson('endpoints', 'web');
      return e && addresses(e, 'notReadyAddresses').join() === ips.join() && e;
    });
    assert.deepEqual(ep.subsets.map((s: Obj) => s.ports), [[{ name: 'web', port: 8080, protocol: 'TCP' }]]);
    assert.deepEqual(ep.metadata.labels, { team: 'a' });
    // Set when the write follows a pod readiness change (or the service's creation), cleared otherwise, as upstream.
    const trigger = ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'];
    if (trigger !== undefined) assert.match(trigger, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const a of ep.subsets[0].notReadyAddresses) {
      const pod = pods.find((p) => p.status.podIP === a.ip)!;
      assert.deepEqual(a.targetRef, { kind: 'Pod', namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid });
      assert.equal(a.nodeName, pod.spec.nodeName);
    }
    const svc = (await getJson('service', 'web'))!;
    const [slice] = await eventually('one EndpointSlice with the 3 pods', async () => {
      const l = await items('endpointslices', '-l', 'kubernetes.io/service-name=web');
      return l.length === 1 && l[0].endpoints?.length === 3 && l;
    });
    assert.match(slice.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(slice.metadata.labels, { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(slice.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
    for (const e of slice.endpoints) assert.deepEqual(e.conditions, { ready: false, serving: false, terminating: false });

    // Two pods become ready: they move to addresses.
    const [a, b] = pods;
    for (const p of [a, b]) {
      await ok('patch', 'pod', p.metadata.name, '--subresource=status', '--type=strategic', '-p', '{"status":{"conditions":[{"type":"example.com/ready","status":"True"}]}}');
    }
    const readyIPs = [a.status.podIP, b.status.podIP].sort();
    await eventually('2 ready addresses and 1 not ready', async () => {
      const e = await getJson('endpoints', 'web');
      return addresses(e, 'addresses').join() === readyIPs.join() && addresses(e, 'notReadyAddresses').length === 1;
    });
    await eventually('the slice saying the same', async () => {
      const eps = await sliceEndpoints();
      return eps.filter((e) => e.conditions.ready).map((e) => e.addresses[0]).sort().join() === readyIPs.join() && eps.length === 3;
    });
    const table = await ok('get', 'endpoints', 'web');
    assert.match(table, /^NAME\s+ENDPOINTS\s+AGE\n/);
    for (const ip of readyIPs) assert.ok(table.includes(`${ip}:8080`), table);
  });

  it('Service, endpoints: scaling down removes addresses; a service without selector keeps its own', async () => {
    await create(MANUAL);
    await ok('scale', 'deployment', 'web', '--replicas=1');
    const e = await eventually('one address left', async () => {
      const x = await getJson('endpoints', 'web');
      return x && addresses(x, 'addresses').length + addresses(x, 'notReadyAddresses').length === 1 && x;
    });
    // The not-ready pod went first: the one left is ready.
    assert.equal(addresses(e, 'addresses').length, 1);
    await eventually('one endpoint in the slices', async () => (await sliceEndpoints()).length === 1);
    const manual = await getJson('endpoints', 'manual');
    assert.deepEqual(manual?.subsets, [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    // Each service has its own cluster IP from the service range, the same on every read.
    const ipOf = async (name: string) => (await getJson('service', name))!.spec.clusterIP as string;
    const [web, man] = [await ipOf('web'), await ipOf('manual')];
    assert.match(web, /^10\.(9[6-9]|10[0-9]|11[01])\./);
    assert.notEqual(web, man);
    assert.equal(await ipOf('web'), web);
  });

  it('deleting the Service deletes its Endpoints and EndpointSlices', async () => {
    await ok('delete', 'service', 'web');
    await eventually('the Endpoints gone', async () => !(await getJson('endpoints', 'web')));
    await eventually('the EndpointSlices gone', async () => (await items('endpointslices', '-l', 'kubernetes.io/service-name=web')).length === 0);
    assert.ok(await getJson('endpoints', 'manual'), 'other Endpoints stay');
  });
});
