// [sig-scheduling] SchedulerPredicates and [sig-network] HostPort conformance tests (the
// scheduling part: pods here only pretend to run) against an API server started in-process,
// with the scheduler and two hollow nodes attached to it as API clients over HTTPS. Named
// exactly as the upstream `testname`s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, randomSuffix, startCluster, type Client, type Cluster, type Json } from '../api/upstream/harness.ts';
import { startScheduler, type Scheduler } from '../../scheduler/scheduler.ts';
import { startHollowNodes, type HollowNodes } from '../../node/hollow/agent.ts';

describe('[sig-scheduling] SchedulerPredicates', () => {
  let cluster: Cluster;
  let c: Client;
  let scheduler: Scheduler;
  let nodes: HollowNodes;

  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
    const config = { server: cluster.server.url, ca: cluster.server.pki.caCert, token: cluster.server.pki.adminToken };
    scheduler = startScheduler({ client: config, leaderElect: false });
    nodes = startHollowNodes({ client: config, names: ['hollow-0', 'hollow-1'], capacity: { cpu: '4', memory: '8Gi' }, timing: { startDelayMs: 100 } });
    await nodes.whenReady();
    await scheduler.whenRunning();
  });
  after(async () => {
    await nodes.stop();
    await scheduler.stop();
    await cluster.close();
  });

  const pod = (name: string, spec: Json): Json => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }], ...spec } });
  const scheduledOn = (ns: string, name: string) =>
    eventually(
      async () => {
        const p = await c.get(`/api/v1/namespaces/${ns}/pods/${name}`);
        return p.spec.nodeName && p.status.phase === 'Running' ? (p.spec.nodeName as string) : undefined;
      },
      15_000,
      `${name} running`,
    );
  /** The FailedScheduling event of a pod that must stay Pending. */
  const failedScheduling = async (ns: string, name: string): Promise<string> => {
    const ev = await eventually(
      async () => {
        const list = await c.get(`/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},reason=FailedScheduling`)}`);
        return list.items[0] as Json;
      },
      15_000,
      `FailedScheduling for ${name}`,
    );
    const p = await c.get(`/api/v1/namespaces/${ns}/pods/${name}`);
    assert.equal(p.spec.nodeName, undefined);
    assert.equal(p.status.phase, 'Pending');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.reportingComponent, 'default-scheduler');
    return ev.message as string;
  };

  test('Scheduler, resource limits', async () => {
    const ns = await cluster.namespace('sched-pred');
    // Fill every node to 70% of its allocatable CPU, then ask for half a node more.
    const list = await c.get('/api/v1/nodes');
    for (const n of list.items) {
      const cpu = Number(n.status.allocatable.cpu) * 1000;
      await c.create(`/api/v1/namespaces/${ns}/pods`, pod(`filler-${n.metadata.name}`, {
        nodeSelector: { 'kubernetes.io/hostname': n.metadata.name },
        containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: `${Math.floor(cpu * 0.7)}m` } } }],
      }));
    }
    for (const n of list.items) assert.equal(await scheduledOn(ns, `filler-${n.metadata.name}`), n.metadata.name);
    await c.create(`/api/v1/namespaces/${ns}/pods`, pod('additional-pod', { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '2' } } }] }));
    assert.equal(await failedScheduling(ns, 'additional-pod'), '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..');
  });

  test('Scheduler, node selector matching', async () => {
    const ns = await cluster.namespace('sched-pred');
    const key = `kubernetes.io/e2e-${randomSuffix()}`;
    await c.patch('/api/v1/nodes/hollow-1', 'merge', { metadata: { labels: { [key]: '42' } } });
    await c.create(`/api/v1/namespaces/${ns}/pods`, pod('with-labels', { nodeSelector: { [key]: '42' } }));
    assert.equal(await scheduledOn(ns, 'with-labels'), 'hollow-1');
    await c.patch('/api/v1/nodes/hollow-1', 'merge', { metadata: { labels: { [key]: null } } });
  });

  test('Scheduler, node selector not matching', async () => {
    const ns = await cluster.namespace('sched-pred');
    await c.create(`/api/v1/namespaces/${ns}/pods`, pod('restricted-pod', { nodeSelector: { label: 'nonempty' } }));
    assert.equal(
      await failedScheduling(ns, 'restricted-pod'),
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..",
    );
  });

  test('Scheduling, HostPort and Protocol match, HostIPs different but one is default HostIP (0.0.0.0)', async () => {
    const ns = await cluster.namespace('sched-pred');
    const key = `kubernetes.io/e2e-hostport-${randomSuffix()}`;
    await c.patch('/api/v1/nodes/hollow-0', 'merge', { metadata: { labels: { [key]: '95' } } });
    const withPort = (name: string, hostIP: string): Json =>
      pod(name, { nodeSelector: { [key]: '95' }, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', ports: [{ containerPort: 8080, hostPort: 54322, hostIP, protocol: 'TCP' }] }] });
    await c.create(`/api/v1/namespaces/${ns}/pods`, withPort('pod4', '0.0.0.0'));
    assert.equal(await scheduledOn(ns, 'pod4'), 'hollow-0');
    await c.create(`/api/v1/namespaces/${ns}/pods`, withPort('pod5', '127.0.0.2'));
    assert.match(await failedScheduling(ns, 'pod5'), /1 node\(s\) didn't have free ports for the requested pod ports/);
    await c.patch('/api/v1/nodes/hollow-0', 'merge', { metadata: { labels: { [key]: null } } });
  });
});

describe('[sig-network] HostPort', () => {
  let cluster: Cluster;
  let c: Client;
  let scheduler: Scheduler;
  let nodes: HollowNodes;

  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
    const config = { server: cluster.server.url, ca: cluster.server.pki.caCert, token: cluster.server.pki.adminToken };
    scheduler = startScheduler({ client: config, leaderElect: false });
    nodes = startHollowNodes({ client: config, names: ['hollow-0'], timing: { startDelayMs: 100 } });
    await nodes.whenReady();
    await scheduler.whenRunning();
  });
  after(async () => {
    await nodes.stop();
    await scheduler.stop();
    await cluster.close();
  });

  test('Scheduling, HostPort matching and HostIP and Protocol not-matching', async () => {
    const ns = await cluster.namespace('hostport');
    const node = await c.get('/api/v1/nodes/hollow-0');
    const hostIP = node.status.addresses.find((a: Json) => a.type === 'InternalIP').address as string;
    const port = (name: string, ip: string, protocol: string): Json => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'hollow-0' }, containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.47', ports: [{ containerPort: 8080, hostPort: 54321, hostIP: ip, protocol }] }] },
    });
    await c.create(`/api/v1/namespaces/${ns}/pods`, port('pod1', '127.0.0.1', 'TCP'));
    await c.create(`/api/v1/namespaces/${ns}/pods`, port('pod2', hostIP, 'TCP'));
    await c.create(`/api/v1/namespaces/${ns}/pods`, port('pod3', hostIP, 'UDP'));
    for (const name of ['pod1', 'pod2', 'pod3']) {
      await eventually(
        async () => {
          const p = await c.get(`/api/v1/namespaces/${ns}/pods/${name}`);
          return p.spec.nodeName === 'hollow-0' && p.status.phase === 'Running';
        },
        15_000,
        `${name} running on hollow-0`,
      );
    }
  });
});
