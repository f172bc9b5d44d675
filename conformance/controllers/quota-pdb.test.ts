// End to end: `k8ts up --hollow-nodes 2` and the real kubectl, named after the upstream
// conformance tests they cover. ResourceQuota: usage is calculated promptly, charged when objects
// are created and given back when they go, shows in `kubectl describe quota`; a pod beyond the
// quota is refused with upstream's message; scopes select pods; a compute quota makes containers
// state their limits; a ReplicationController reports the pods quota refused it.
// PodDisruptionBudget: status (allowed disruptions in `kubectl get pdb`), and `kubectl drain`
// held back while the budget allows no disruption, going through once it is updated to allow some.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { KUBECTL, eventually, startCluster, type Cluster, type Obj } from './workload-support.ts';

describe('ResourceQuota and PodDisruptionBudget against k8ts up --hollow-nodes 2, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let c: Cluster;

  before(async () => {
    c = await startCluster(2);
  });

  after(async () => {
    await c?.stop();
  });

  const used = async (ns: string, name: string): Promise<Record<string, string> | undefined> => (await c.getJson('quota', name, '-n', ns))?.status?.used;
  /** Waits until the quota's used values include `want`. */
  const usedBecomes = (ns: string, name: string, want: Record<string, string>) =>
    eventually(`${ns}/${name} used ${JSON.stringify(want)}`, async () => {
      const u = await used(ns, name);
      return u && Object.entries(want).every(([k, v]) => u[k] === v) ? u : undefined;
    });
  const refusal = async (...args: string[]) => {
    const r = await c.kubectl(...args);
    assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} was admitted`);
    return r.stderr.trim();
  };

  describe('object counts', () => {
    const NS = 'counts';

    it('ResourceQuota, object count quota, resourcequotas', async () => {
      await c.ok('create', 'namespace', NS);
      const hard = 'pods=5,services=5,configmaps=5,secrets=5,replicationcontrollers=5,resourcequotas=1,count/replicasets.apps=5,persistentvolumeclaims=5,requests.storage=5Gi';
      await c.ok('create', 'quota', 'counts', `--hard=${hard}`, '-n', NS);
      const u = await usedBecomes(NS, 'counts', { configmaps: '1', resourcequotas: '1' });
      assert.deepEqual(u, {
        configmaps: '1',
        'count/replicasets.apps': '0',
        persistentvolumeclaims: '0',
        pods: '0',
        replicationcontrollers: '0',
        'requests.storage': '0',
        resourcequotas: '1',
        secrets: '0',
        services: '0',
      });
      const quota = (await c.getJson('quota', 'counts', '-n', NS))!;
      assert.deepEqual(quota.status.hard, quota.spec.hard);
      assert.equal(await refusal('create', 'quota', 'second', '--hard=pods=1', '-n', NS), 'error: failed to create quota: resourcequotas "second" is forbidden: exceeded quota: counts, requested: resourcequotas=1, used: resourcequotas=1, limited: resourcequotas=1');
    });

    it('ResourceQuota, object count quota, configmap', async () => {
      await c.ok('create', 'configmap', 'cm', '--from-literal=a=b', '-n', NS);
      assert.equal((await used(NS, 'counts'))!.configmaps, '2', 'charged on creation');
      await c.ok('delete', 'configmap', 'cm', '-n', NS);
      await usedBecomes(NS, 'counts', { configmaps: '1' });
    });

    it('ResourceQuota, object count quota, secret', async () => {
      await c.ok('create', 'secret', 'generic', 's', '--from-literal=a=b', '-n', NS);
      assert.equal((await used(NS, 'counts'))!.secrets, '1');
      await c.ok('delete', 'secret', 's', '-n', NS);
      await usedBecomes(NS, 'counts', { secrets: '0' });
    });

    it('ResourceQuota, object count quota, service', async () => {
      await c.ok('create', 'service', 'clusterip', 'svc', '--tcp=80:80', '-n', NS);
      assert.equal((await used(NS, 'counts'))!.services, '1');
      await c.ok('delete', 'service', 'svc', '-n', NS);
      await usedBecomes(NS, 'counts', { services: '0' });
    });

    it('ResourceQuota, object count quota, replicaSet', async () => {
      await c.create(`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: ${NS}}
spec:
  replicas: 0
  selector: {matchLabels: {app: rs}}
  template: {metadata: {labels: {app: rs}}, spec: {containers: [{name: app, image: nginx}]}}
`);
      assert.equal((await used(NS, 'counts'))!['count/replicasets.apps'], '1');
      await c.ok('delete', 'replicaset', 'rs', '-n', NS);
      await usedBecomes(NS, 'counts', { 'count/replicasets.apps': '0' });
    });

    it('ResourceQuota, object count quota, replicationController', async () => {
      await c.create(`
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: ${NS}}
spec:
  replicas: 0
  selector: {app: rc}
  template: {metadata: {labels: {app: rc}}, spec: {containers: [{name: app, image: nginx}]}}
`);
      assert.equal((await used(NS, 'counts'))!.replicationcontrollers, '1');
      await c.ok('delete', 'replicationcontroller', 'rc', '-n', NS);
      await usedBecomes(NS, 'counts', { replicationcontrollers: '0' });
    });

    it('ResourceQuota, object count quota, persistentvolumeclaim and requests.storage', async () => {
      await c.create(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: ${NS}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}
`);
      const u = (await used(NS, 'counts'))!;
      assert.deepEqual([u.persistentvolumeclaims, u['requests.storage']], ['1', '2Gi']);
      const tooBig = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: big, namespace: ${NS}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 4Gi}}}
`;
      await assert.rejects(c.create(tooBig), /persistentvolumeclaims "big" is forbidden: exceeded quota: counts, requested: requests.storage=4Gi, used: requests.storage=2Gi, limited: requests.storage=5Gi/);
      await c.ok('delete', 'pvc', 'claim', '-n', NS);
      await usedBecomes(NS, 'counts', { persistentvolumeclaims: '0', 'requests.storage': '0' });
    });
  });

  it('ResourceQuota, object count quota, pod', async () => {
    await c.ok('create', 'namespace', 'quota');
    await c.ok('create', 'quota', 'pods-2', '--hard=pods=2,count/configmaps=10', '-n', 'quota');
    await eventually('the quota usage', async () => /pods\s+0\s+2/.test(await c.ok('describe', 'quota', 'pods-2', '-n', 'quota')));
    await c.ok('run', 'p1', '--image=nginx', '-n', 'quota');
    await c.ok('run', 'p2', '--image=nginx', '-n', 'quota');
    const described = await c.ok('describe', 'quota', 'pods-2', '-n', 'quota');
    assert.match(described, /Name:\s+pods-2\nNamespace:\s+quota\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\ncount\/configmaps\s+1\s+10\npods\s+2\s+2\n/);
    assert.match(await c.ok('get', 'quota', '-n', 'quota'), /pods-2\s+\S+\s+count\/configmaps: 1\/10, pods: 2\/2/);

    assert.equal(
      await refusal('run', 'p3', '--image=nginx', '-n', 'quota'),
      'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: pods-2, requested: pods=1, used: pods=2, limited: pods=2',
    );

    // A pod gone gives its share back.
    await c.ok('delete', 'pod', 'p1', '-n', 'quota');
    await eventually('the usage to drop', async () => /pods\s+1\s+2/.test(await c.ok('describe', 'quota', 'pods-2', '-n', 'quota')));
    await c.ok('run', 'p3', '--image=nginx', '-n', 'quota');
    const quota = (await c.getJson('quota', 'pods-2', '-n', 'quota'))!;
    assert.deepEqual(quota.status, { hard: { 'count/configmaps': '10', pods: '2' }, used: { 'count/configmaps': '1', pods: '2' } });
  });

  it('ResourceQuota, compute resources: containers must state what the quota tracks', async () => {
    await c.ok('create', 'namespace', 'compute');
    await c.ok('create', 'quota', 'compute', '--hard=limits.cpu=1,limits.memory=1Gi,requests.cpu=500m', '-n', 'compute');
    await eventually('the quota usage', () => used('compute', 'compute'));
    assert.equal(
      await refusal('run', 'bare', '--image=nginx', '-n', 'compute'),
      'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: bare; limits.memory for: bare; requests.cpu for: bare',
    );
    const overrides = (cpu: string) => JSON.stringify({ spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu }, limits: { cpu, memory: '256Mi' } } }] } });
    await c.ok('run', 'small', '--image=nginx', '-n', 'compute', `--overrides=${overrides('300m')}`);
    assert.equal(
      await refusal('run', 'big', '--image=nginx', '-n', 'compute', `--overrides=${overrides('300m')}`),
      'Error from server (Forbidden): pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=300m, used: requests.cpu=300m, limited: requests.cpu=500m',
    );
    assert.match(await c.ok('describe', 'quota', 'compute', '-n', 'compute'), /limits\.cpu\s+300m\s+1\nlimits\.memory\s+256Mi\s+1Gi\nrequests\.cpu\s+300m\s+500m/);
  });

  it('ResourceQuota, quota scope, BestEffort and NotBestEffort scope', async () => {
    await c.ok('create', 'namespace', 'qos');
    await c.ok('create', 'quota', 'best-effort', '--hard=pods=5', '--scopes=BestEffort', '-n', 'qos');
    await c.ok('create', 'quota', 'not-best-effort', '--hard=pods=5', '--scopes=NotBestEffort', '-n', 'qos');
    await usedBecomes('qos', 'best-effort', { pods: '0' });
    await usedBecomes('qos', 'not-best-effort', { pods: '0' });
    await c.ok('run', 'be', '--image=nginx', '-n', 'qos');
    assert.deepEqual([(await used('qos', 'best-effort'))!.pods, (await used('qos', 'not-best-effort'))!.pods], ['1', '0']);
    await c.ok('delete', 'pod', 'be', '-n', 'qos');
    await usedBecomes('qos', 'best-effort', { pods: '0' });
    const burstable = JSON.stringify({ spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m' } } }] } });
    await c.ok('run', 'nbe', '--image=nginx', '-n', 'qos', `--overrides=${burstable}`);
    assert.deepEqual([(await used('qos', 'best-effort'))!.pods, (await used('qos', 'not-best-effort'))!.pods], ['0', '1']);
    await c.ok('delete', 'pod', 'nbe', '-n', 'qos');
    await usedBecomes('qos', 'not-best-effort', { pods: '0' });
  });

  it('ResourceQuota, quota scope, Terminating and NotTerminating scope', async () => {
    await c.ok('create', 'namespace', 'deadline');
    await c.ok('create', 'quota', 'terminating', '--hard=pods=5', '--scopes=Terminating', '-n', 'deadline');
    await c.ok('create', 'quota', 'not-terminating', '--hard=pods=5', '--scopes=NotTerminating', '-n', 'deadline');
    await usedBecomes('deadline', 'terminating', { pods: '0' });
    await usedBecomes('deadline', 'not-terminating', { pods: '0' });
    await c.ok('run', 'forever', '--image=nginx', '-n', 'deadline');
    assert.deepEqual([(await used('deadline', 'terminating'))!.pods, (await used('deadline', 'not-terminating'))!.pods], ['0', '1']);
    const bounded = JSON.stringify({ spec: { activeDeadlineSeconds: 3600 } });
    await c.ok('run', 'bounded', '--image=nginx', '-n', 'deadline', `--overrides=${bounded}`);
    assert.deepEqual([(await used('deadline', 'terminating'))!.pods, (await used('deadline', 'not-terminating'))!.pods], ['1', '1']);
    await c.ok('delete', 'pod', 'bounded', '-n', 'deadline');
    await usedBecomes('deadline', 'terminating', { pods: '0' });
  });

  it('Replication Controller, check for issues like exceeding allocated quota', async () => {
    await c.ok('create', 'namespace', 'rcquota');
    await c.ok('create', 'quota', 'condition-test', '--hard=pods=2', '-n', 'rcquota');
    await usedBecomes('rcquota', 'condition-test', { pods: '0' });
    await c.create(`
apiVersion: v1
kind: ReplicationController
metadata: {name: condition-test, namespace: rcquota}
spec:
  replicas: 3
  selector: {name: condition-test}
  template: {metadata: {labels: {name: condition-test}}, spec: {containers: [{name: httpd, image: httpd}]}}
`);
    const failure = await eventually('the ReplicaFailure condition', async () => {
      const rc = await c.getJson('rc', 'condition-test', '-n', 'rcquota');
      return (rc?.status?.conditions ?? []).find((x: Obj) => x.type === 'ReplicaFailure' && x.status === 'True');
    });
    assert.equal(failure.reason, 'FailedCreate');
    assert.match(failure.message, /forbidden: exceeded quota: condition-test, requested: pods=1, used: pods=2, limited: pods=2/);
    await c.ok('scale', 'rc', 'condition-test', '--replicas=2', '-n', 'rcquota');
    await eventually('the condition cleared', async () => {
      const rc = await c.getJson('rc', 'condition-test', '-n', 'rcquota');
      return rc && !(rc.status?.conditions ?? []).some((x: Obj) => x.type === 'ReplicaFailure');
    });
  });

  describe('PodDisruptionBudget over a 3-replica Deployment', () => {
    let node = '';

    it('PodDisruptionBudget: Status updates', async () => {
      await c.ok('create', 'deployment', 'web', '--image=nginx', '--replicas=3');
      await c.ok('create', 'pdb', 'web', '--selector=app=web', '--min-available=3');
      await c.ok('rollout', 'status', 'deployment/web', '--timeout=60s');
      const blocked = await eventually('the budget computed', async () => {
        const p = await c.getJson('pdb', 'web');
        return p?.status?.currentHealthy === 3 ? p : undefined;
      });
      assert.deepEqual(
        { ...blocked.status, conditions: blocked.status.conditions.map((x: Obj) => `${x.type}=${x.status}/${x.reason}/${x.observedGeneration}`) },
        { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 3, conditions: ['DisruptionAllowed=False/InsufficientPods/1'] },
      );
      assert.match(await c.ok('get', 'pdb', 'web'), /NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nweb\s+3\s+N\/A\s+0\s+\S+/);
    });

    it('PodDisruptionBudget: block an eviction until the PDB is updated to allow it', async () => {
      node = (await c.items('pods', '-l', 'app=web'))[0]!.spec.nodeName as string;
      const held = await c.kubectl('drain', node, '--pod-selector=app=web', '--ignore-daemonsets', '--timeout=8s');
      assert.notEqual(held.code, 0, 'the drain went through a budget that allows no disruption');
      assert.match(held.stdout + held.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
      assert.equal((await c.items('pods', '-l', 'app=web')).filter((p: Obj) => !p.metadata.deletionTimestamp).length, 3);

      // maxUnavailable 34% of the Deployment's 3 replicas rounds up to 2: two disruptions allowed.
      await c.ok('patch', 'pdb', 'web', '--type=merge', '-p', '{"spec":{"minAvailable":null,"maxUnavailable":"34%"}}');
      const allowed = await eventually('disruptions allowed', async () => {
        const p = await c.getJson('pdb', 'web');
        return p?.status?.observedGeneration === 2 && p.status.disruptionsAllowed === 2 ? p : undefined;
      });
      assert.deepEqual(allowed.status.conditions.map((x: Obj) => `${x.type}=${x.status}/${x.reason}`), ['DisruptionAllowed=True/SufficientPods']);
      assert.match(await c.ok('get', 'pdb', 'web'), /web\s+N\/A\s+34%\s+2\s+\S+/);

      const drained = await c.kubectl('drain', node, '--pod-selector=app=web', '--ignore-daemonsets', '--timeout=60s');
      assert.equal(drained.code, 0, drained.stderr + drained.stdout);
      assert.match(drained.stdout, new RegExp(`node/${node} drained`));
      await eventually('three web pods on the other node', async () => {
        const live = (await c.items('pods', '-l', 'app=web')).filter((p: Obj) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
        return live.length === 3 && live.every((p: Obj) => p.spec.nodeName !== node);
      });
      await eventually('the budget healthy again', async () => (await c.getJson('pdb', 'web'))?.status?.currentHealthy === 3);
      await c.ok('uncordon', node);
    });
  });
});
