// End to end: `k8ts up --hollow-nodes 3` as a child process (its controller manager,
// scheduler and hollow nodes that report bound pods Running and Ready) and the real kubectl:
// Deployments make ReplicaSets make pods with the right owners and labels; scaling; cascading
// deletion; ReplicationControllers. Rollouts are in rollout.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

describe('Deployments, ReplicaSets and ReplicationControllers against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let k8ts: K8tsProcess;
  const { ok, getJson, items, create: apply } = kubectlFor(() => k8ts, KUBECTL);
  const revisionOf = (o: Obj) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '3'] });
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('kubectl create deployment: a ReplicaSet <name>-<hash> and its pods, with owner references and labels', async () => {
    await ok('create', 'deployment', 'web', '--image=nginx', '--replicas=3');
    const d = await eventually('the deployment', () => getJson('deployment', 'web'));
    const rs = await eventually('one ReplicaSet', async () => {
      const l = await items('rs', '-l', 'app=web');
      return l.length === 1 && l[0]!.status?.replicas === 3 && l[0];
    });
    const hash = rs.metadata.labels['pod-template-hash'];
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual(rs.metadata.labels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(revisionOf(rs), '1');
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations['deployment.kubernetes.io/max-replicas'], '4');
    const pods = await eventually('3 pods', async () => {
      const l = await items('pods', '-l', 'app=web');
      return l.length === 3 && l;
    });
    for (const p of pods) {
      assert.match(p.metadata.name, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      assert.deepEqual(p.metadata.labels, { app: 'web', 'pod-template-hash': hash });
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const dep = await eventually('revision 1 and observedGeneration', async () => {
      const x = await getJson('deployment', 'web');
      return x && revisionOf(x) === '1' && x.status?.observedGeneration === x.metadata.generation && x;
    });
    assert.equal(dep.status.replicas, 3);
    assert.equal(dep.status.updatedReplicas, 3);
    // The story, as `kubectl describe` tells it.
    const describe = await eventually('events in describe', async () => {
      const out = await ok('describe', 'deployment', 'web');
      return out.includes('ScalingReplicaSet') && out;
    });
    assert.match(describe, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set web-${hash} to 3\\n`));
    assert.match(describe, new RegExp(`NewReplicaSet:\\s+web-${hash} \\(3/3 replicas created\\)`));
    const rsDescribe = await eventually('ReplicaSet events', async () => {
      const out = await ok('describe', 'rs', rs.metadata.name);
      return (out.match(/SuccessfulCreate/g) ?? []).length === 3 && out;
    });
    assert.match(rsDescribe, /Normal\s+SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: web-/);
    await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
    const done = await getJson('deployment', 'web');
    const conds = Object.fromEntries(done!.status.conditions.map((c: Obj) => [c.type, `${c.status} ${c.reason}`]));
    assert.deepEqual(conds, { Available: 'True MinimumReplicasAvailable', Progressing: 'True NewReplicaSetAvailable' });
    assert.equal(done!.status.availableReplicas, 3);
  });

  it('kubectl scale up and down: the ReplicaSet and the pods follow', async () => {
    await ok('scale', 'deployment', 'web', '--replicas=5');
    await eventually('5 pods', async () => (await items('pods', '-l', 'app=web')).filter((p) => !p.metadata.deletionTimestamp).length === 5);
    const [rs] = await items('rs', '-l', 'app=web');
    assert.equal(rs!.spec.replicas, 5);
    assert.equal(rs!.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '5');
    await ok('scale', 'deployment', 'web', '--replicas=2');
    await eventually('2 pods', async () => (await items('pods', '-l', 'app=web')).filter((p) => !p.metadata.deletionTimestamp).length === 2);
    const d = await eventually('status for 2 replicas', async () => {
      const x = await getJson('deployment', 'web');
      return x && x.status.observedGeneration === x.metadata.generation && x.status.replicas === 2 && x;
    });
    assert.equal(d.status.updatedReplicas, 2);
    assert.equal((await items('rs', '-l', 'app=web')).length, 1, 'scaling is not a rollout');
    const out = await ok('describe', 'rs', rs!.metadata.name);
    assert.match(out, /SuccessfulDelete\s+\S+\s+replicaset-controller\s+Deleted pod: web-/);
  });

  it('kubectl delete deployment removes its ReplicaSets and pods', async () => {
    await ok('delete', 'deployment', 'web');
    await eventually('ReplicaSets gone', async () => (await items('rs', '-l', 'app=web')).length === 0);
    await eventually('pods gone', async () => (await items('pods', '-l', 'app=web')).length === 0);
  });

  it('a ReplicationController keeps its pods', async () => {
    await apply(`apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  replicas: 2
  selector: {app: legacy}
  template:
    metadata:
      labels: {app: legacy}
    spec:
      containers:
      - name: c
        image: nginx
`);
    const rc = await eventually('the rc', () => getJson('rc', 'legacy'));
    const pods = await eventually('2 pods', async () => {
      const l = await items('pods', '-l', 'app=legacy');
      return l.length === 2 && l;
    });
    for (const p of pods) assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    // A pod deleted by hand is replaced.
    await ok('delete', 'pod', pods[0]!.metadata.name, '--wait=false');
    await eventually('replaced', async () => {
      const l = (await items('pods', '-l', 'app=legacy')).filter((p) => !p.metadata.deletionTimestamp);
      return l.length === 2 && !l.some((p) => p.metadata.name === pods[0]!.metadata.name);
    });
    await ok('scale', 'rc', 'legacy', '--replicas=0');
    await eventually('no pods', async () => (await items('pods', '-l', 'app=legacy')).length === 0);
    await eventually('status', async () => (await getJson('rc', 'legacy'))?.status?.replicas === 0);
    await ok('delete', 'rc', 'legacy');
  });
});
