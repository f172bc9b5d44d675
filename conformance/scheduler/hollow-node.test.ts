// Hollow node agents against an API server started in-process (with the scheduler): leases
// and status heartbeats, readiness gates, deletions held by finalizers, an agent restart
// picking its pods up again, and silence once stopped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startCluster, type Client, type Cluster, type Json } from '../api/upstream/harness.ts';
import { startScheduler, type Scheduler } from '../../scheduler/scheduler.ts';
import { startHollowNodes, type HollowNodes, type HollowNodesOptions } from '../../node/hollow/agent.ts';

describe('hollow nodes', () => {
  let cluster: Cluster;
  let c: Client;
  let scheduler: Scheduler;
  let nodes: HollowNodes;
  let config: HollowNodesOptions['client'];
  const start = () => startHollowNodes({ client: config, names: ['hollow-0'], timing: { startDelayMs: 50 }, leaseRenewMs: 200, statusUpdateMs: 300 });

  before(async () => {
    cluster = await startCluster();
    c = cluster.client;
    config = { server: cluster.server.url, ca: cluster.server.pki.caCert, token: cluster.server.pki.adminToken };
    scheduler = startScheduler({ client: config, leaderElect: false });
    nodes = start();
    await nodes.whenReady();
    await scheduler.whenRunning();
  });
  after(async () => {
    await nodes.stop();
    await scheduler.stop();
    await cluster.close();
  });

  const podPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;
  const running = (ns: string, name: string) =>
    eventually(
      async () => {
        const p = await c.get(podPath(ns, name));
        return p.status.phase === 'Running' ? (p as Json) : undefined;
      },
      10_000,
      `${name} running`,
    );

  it('renews its Lease and reports node status periodically', async () => {
    // The node registers first and takes its Lease right after: wait for the Lease to exist.
    const lease1 = await eventually(
      () => c.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-0').catch(() => undefined),
      5000,
      'the node Lease',
    );
    const node1 = await c.get('/api/v1/nodes/hollow-0');
    const ready1 = node1.status.conditions.find((x: Json) => x.type === 'Ready');
    await eventually(
      async () => {
        const lease = await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-0');
        const node = await c.get('/api/v1/nodes/hollow-0');
        const ready = node.status.conditions.find((x: Json) => x.type === 'Ready');
        return lease.spec.renewTime !== lease1.spec.renewTime && ready.lastHeartbeatTime !== ready1.lastHeartbeatTime && ready.lastTransitionTime === ready1.lastTransitionTime;
      },
      5000,
      'a renewal and a heartbeat',
    );
  });

  it('honours readiness gates', async () => {
    const ns = await cluster.namespace('gates');
    await c.create(podPath(ns), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'gated' }, spec: { readinessGates: [{ conditionType: 'example.com/ready' }], containers: [{ name: 'c', image: 'nginx' }] } });
    await running(ns, 'gated');
    const ready = () => c.get(podPath(ns, 'gated')).then((x: Json) => x.status.conditions.find((y: Json) => y.type === 'Ready'));
    await eventually(async () => (await ready()).reason === 'ReadinessGatesNotReady', 5000, 'ReadinessGatesNotReady');
    await c.patch(`${podPath(ns, 'gated')}/status`, 'strategic', { status: { conditions: [{ type: 'example.com/ready', status: 'True' }] } });
    await eventually(async () => (await ready()).status === 'True', 5000, 'Ready=True');
  });

  it('a deletion held by a finalizer waits quietly; removing the finalizer lets the pod go', async () => {
    const ns = await cluster.namespace('final');
    await c.create(podPath(ns), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'held', finalizers: ['example.com/hold'] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await running(ns, 'held');
    await c.delete(podPath(ns, 'held'));
    const first = await eventually(
      async () => {
        const p = await c.get(podPath(ns, 'held'));
        return p.metadata.deletionGracePeriodSeconds === 0 ? (p as Json) : undefined;
      },
      5000,
      'the node confirming the deletion',
    );
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await c.get(podPath(ns, 'held'))).metadata.resourceVersion, first.metadata.resourceVersion);
    await c.patch(podPath(ns, 'held'), 'merge', { metadata: { finalizers: null } });
    await eventually(async () => (await c.request('GET', podPath(ns, 'held'))).status === 404, 5000, 'the pod gone');
  });

  it('a restarted agent picks its pods up again without changing them; a stopped one is silent', async () => {
    const ns = await cluster.namespace('restart');
    await c.create(podPath(ns), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keep' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const before = await running(ns, 'keep');
    await nodes.stop();
    const lease = await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-0');
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await c.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-0')).spec.renewTime, lease.spec.renewTime);
    nodes = start();
    await nodes.whenReady();
    await new Promise((r) => setTimeout(r, 500));
    const after = await c.get(podPath(ns, 'keep'));
    assert.deepEqual(after.status, before.status);
    // Its IP stays taken: a new pod gets another one.
    await c.create(podPath(ns), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'next' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const next = await running(ns, 'next');
    assert.notEqual(next.status.podIP, after.status.podIP);
  });
});
