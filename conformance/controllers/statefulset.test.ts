// End to end: `k8ts up --hollow-nodes 3` and the real kubectl. A StatefulSet of 3 comes up in
// order (a watch sees web-1 created only after web-0 is Ready, and so on) with stable names,
// identities and PersistentVolumeClaims from its volumeClaimTemplates; `kubectl rollout
// status`, `set image` (a rolling update from the highest ordinal down), `rollout history`
// and `rollout undo` work through its ControllerRevisions; scaled to 0 it goes down 2, 1, 0.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { eventually, firstEvent, isReady, KUBECTL, startCluster, watchPods, type Cluster, type Obj } from './workload-support.ts';

const MANIFEST = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

describe('StatefulSets against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let c: Cluster;

  before(async () => {
    c = await startCluster(3);
  });
  after(async () => {
    await c?.stop();
  });

  it('comes up in order 0, 1, 2 with stable identities and claims; rollout status reports it', async () => {
    const log = await watchPods(c.client, 'default', 'app=web');
    try {
      await c.create(MANIFEST);
      const out = await c.ok('rollout', 'status', 'statefulset/web', '--timeout=60s');
      assert.match(out, /partitioned roll out complete: 3 new pods have been updated/);
      await eventually('the watch to see 3 ready pods', async () => new Set(log.events.filter((e) => isReady(e.pod)).map((e) => e.pod.metadata.name)).size === 3);
    } finally {
      log.stop();
    }
    const added = log.events.filter((e) => e.type === 'ADDED').map((e) => e.pod.metadata.name);
    assert.deepEqual(added, ['web-0', 'web-1', 'web-2']);
    for (const i of [1, 2]) {
      const created = firstEvent(log, (e) => e.type === 'ADDED' && e.pod.metadata.name === `web-${i}`);
      const prevReady = firstEvent(log, (e) => e.pod.metadata.name === `web-${i - 1}` && isReady(e.pod));
      assert.ok(prevReady >= 0 && prevReady < created, `web-${i} was created before web-${i - 1} was Ready`);
    }

    const set = (await c.getJson('statefulset', 'web'))!;
    const rev = set.status.updateRevision;
    assert.match(rev, /^web-[a-z0-9]+$/);
    assert.deepEqual(
      [set.status.replicas, set.status.readyReplicas, set.status.availableReplicas, set.status.currentReplicas, set.status.updatedReplicas, set.status.currentRevision, set.status.observedGeneration],
      [3, 3, 3, 3, 3, rev, 1],
    );
    const pods = await c.items('pods', '-l', 'app=web');
    for (const p of pods) {
      const i = p.metadata.name.slice('web-'.length);
      assert.deepEqual(p.metadata.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': p.metadata.name, 'apps.kubernetes.io/pod-index': i, 'controller-revision-hash': rev });
      assert.equal(p.spec.hostname, p.metadata.name);
      assert.equal(p.spec.subdomain, 'web');
      assert.deepEqual(
        p.spec.volumes.find((v: Obj) => v.name === 'www'),
        { name: 'www', persistentVolumeClaim: { claimName: `www-web-${i}` } },
      );
      assert.deepEqual(p.metadata.ownerReferences.map((r: Obj) => [r.kind, r.name, r.controller]), [['StatefulSet', 'web', true]]);
    }
    const claims = await c.items('pvc');
    assert.deepEqual(claims.map((x) => x.metadata.name).sort(), ['www-web-0', 'www-web-1', 'www-web-2']);
    for (const claim of claims) {
      assert.deepEqual(claim.metadata.labels, { app: 'web' });
      assert.equal(claim.spec.resources.requests.storage, '1Gi');
    }
    const revisions = await c.items('controllerrevisions');
    assert.deepEqual(revisions.map((r) => [r.metadata.name, r.revision]), [[rev, 1]]);
    const described = await c.ok('describe', 'statefulset', 'web');
    assert.match(described, /SuccessfulCreate\s+\S+\s+statefulset-controller\s+create Pod web-0 in StatefulSet web successful/);
    assert.match(described, /create Claim www-web-0 Pod web-0 in StatefulSet web success/);
  });

  it('kubectl set image rolls the pods over, highest ordinal first; history and undo work', async () => {
    const before = (await c.getJson('statefulset', 'web'))!.status.currentRevision;
    const log = await watchPods(c.client, 'default', 'app=web');
    try {
      await c.ok('set', 'image', 'statefulset/web', 'nginx=nginx:1.27');
      await c.ok('rollout', 'status', 'statefulset/web', '--timeout=60s');
      await eventually('the rollout to complete in status', async () => {
        const s = (await c.getJson('statefulset', 'web'))!.status;
        return s.currentRevision === s.updateRevision && s.currentRevision !== before && s.updatedReplicas === 3 && s.readyReplicas === 3;
      });
    } finally {
      log.stop();
    }
    const deletedOrder = log.events.filter((e) => e.type === 'DELETED').map((e) => e.pod.metadata.name);
    assert.deepEqual(deletedOrder, ['web-2', 'web-1', 'web-0']);
    const set = (await c.getJson('statefulset', 'web'))!;
    for (const p of await c.items('pods', '-l', 'app=web')) {
      assert.equal(p.spec.containers[0].image, 'nginx:1.27');
      assert.equal(p.metadata.labels['controller-revision-hash'], set.status.updateRevision);
    }
    assert.match(await c.ok('rollout', 'history', 'statefulset/web'), /REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>/);
    await c.ok('rollout', 'undo', 'statefulset/web');
    await c.ok('rollout', 'status', 'statefulset/web', '--timeout=60s');
    await eventually('the rollback back at the first template', async () => {
      const s = (await c.getJson('statefulset', 'web'))!.status;
      return s.currentRevision === before && s.updateRevision === before && s.updatedReplicas === 3;
    });
    const revisions = await c.items('controllerrevisions');
    assert.deepEqual(revisions.find((r) => r.metadata.name === before)?.revision, 3);
  });

  it('scaled to 0, goes down 2, 1, 0, each after the previous is gone; the claims stay', async () => {
    const log = await watchPods(c.client, 'default', 'app=web');
    try {
      await c.ok('scale', 'statefulset/web', '--replicas=0');
      await eventually('no pods', async () => (await c.items('pods', '-l', 'app=web')).length === 0);
    } finally {
      log.stop();
    }
    const deletionStart = (name: string) => firstEvent(log, (e) => e.pod.metadata.name === name && (e.type === 'DELETED' || !!e.pod.metadata.deletionTimestamp));
    const gone = (name: string) => firstEvent(log, (e) => e.pod.metadata.name === name && e.type === 'DELETED');
    assert.ok(gone('web-2') >= 0 && gone('web-2') < deletionStart('web-1'), 'web-1 went before web-2 was gone');
    assert.ok(gone('web-1') >= 0 && gone('web-1') < deletionStart('web-0'), 'web-0 went before web-1 was gone');
    assert.ok(gone('web-0') >= 0);
    assert.equal((await c.items('pvc')).length, 3);
    const s = (await eventually('status at 0 replicas', async () => {
      const x = (await c.getJson('statefulset', 'web'))!.status;
      return x.replicas === 0 && x;
    })) as Obj;
    assert.equal(s.readyReplicas ?? 0, 0);
  });
});
