// End to end: the Deployment story on `k8ts up --hollow-nodes 3` (hollow nodes report bound
// pods Running and Ready), told with the real kubectl. `create deployment`, `scale` and `set
// image` roll out while a pod watcher checks at every event that maxSurge and maxUnavailable
// hold (also with maxUnavailable 0 and minReadySeconds); `rollout history` (with
// CHANGE-CAUSE and --revision), `undo`, `pause`/`resume` and `restart`; revisionHistoryLimit;
// Recreate (no new pod while an old one exists); progressDeadlineSeconds on pods that never
// become ready; and the ScalingReplicaSet events `kubectl describe` shows, worded as the
// 1.30 controller (the version k8ts reports) words them, repeats counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';
import { PodWatcher, rollingWatcher, templateHash, type RollingLimits } from '../support/pod-watcher.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;

const revisionOf = (o: Obj) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];
const live = (pods: Obj[]) => pods.filter((p) => !p.metadata.deletionTimestamp);

describe('Deployment rollouts on hollow nodes, with kubectl', { skip }, () => {
  let k8ts: K8tsProcess;
  let client: ApiClient;
  const watchers: PodWatcher[] = [];
  const k = kubectlFor(() => k8ts);

  /** Starts a rolling-update watcher on the pods of app=<app>. */
  const watchRolling = async (app: string, limits: RollingLimits) => {
    const w = rollingWatcher(client, 'default', `app=${app}`, limits);
    watchers.push(await w.watcher.start());
    return w;
  };

  /** `kubectl rollout status` succeeds, and the status shows every replica updated and available. */
  const rolledOut = async (name: string, replicas: number) => {
    const out = await k.ok('rollout', 'status', `deployment/${name}`, '--timeout=90s');
    assert.match(out, new RegExp(`deployment "${name}" successfully rolled out\\n$`));
    const d = (await k.getJson('deployment', name))!;
    assert.equal(d.status.observedGeneration, d.metadata.generation);
    assert.deepEqual([d.status.replicas, d.status.updatedReplicas, d.status.availableReplicas], [replicas, replicas, replicas]);
    return d;
  };

  /** The Deployment's ReplicaSets as [revision, spec.replicas], by revision. */
  const replicaSets = async (app: string) =>
    (await k.items('rs', '-l', `app=${app}`)).map((rs) => [revisionOf(rs), rs.spec.replicas]).sort((a, b) => Number(a[0]) - Number(b[0]));

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '3'] });
    client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
    await eventually('three Ready nodes', async () => {
      const nodes = await k.items('nodes');
      return nodes.filter((n) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')).length === 3;
    });
  });

  after(async () => {
    for (const w of watchers) w.stop();
    client?.close();
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  describe('one Deployment through its life: roll', () => {
    // kubectl create deployment takes the 25% defaults: 1 of 4 replicas each way.
    const limits: RollingLimits = { replicas: 4, maxSurge: 1, maxUnavailable: 1, minReadySeconds: 0 };
    let rolling: Awaited<ReturnType<typeof watchRolling>>;

    it('kubectl create deployment, scale, set image: rollout status completes, surge and unavailability never exceeded', async () => {
      await k.ok('create', 'deployment', 'roll', '--image=nginx:1.24', '--replicas=2');
      await k.ok('annotate', 'deployment/roll', 'kubernetes.io/change-cause=create nginx 1.24');
      await rolledOut('roll', 2);
      await k.ok('scale', 'deployment/roll', '--replicas=4');
      const d = await rolledOut('roll', 4);
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
      assert.deepEqual(await replicaSets('roll'), [['1', 4]], 'scaling is not a rollout');

      rolling = await watchRolling('roll', limits);
      await k.ok('set', 'image', 'deployment/roll', 'nginx=nginx:1.25');
      await k.ok('annotate', 'deployment/roll', 'kubernetes.io/change-cause=nginx 1.25', '--overwrite');
      const after = await rolledOut('roll', 4);
      assert.equal(revisionOf(after), '2');
      assert.deepEqual(await replicaSets('roll'), [['1', 0], ['2', 4]]);
      const pods = live(await k.items('pods', '-l', 'app=roll'));
      assert.deepEqual(pods.map((p) => p.spec.containers[0].image), Array(4).fill('nginx:1.25'));
      assert.deepEqual(rolling.watcher.violations, []);
      assert.equal(rolling.seen.maxActive, limits.replicas + limits.maxSurge, 'the rollout used its surge');
      assert.equal(rolling.seen.minAvailable, limits.replicas - limits.maxUnavailable, 'the rollout used its unavailability');
    });

    it('kubectl rollout history lists the revisions with CHANGE-CAUSE; --revision=N shows that template', async () => {
      const out = await k.ok('rollout', 'history', 'deployment/roll');
      assert.match(out, /^deployment\.apps\/roll \nREVISION\s+CHANGE-CAUSE\n1\s+create nginx 1\.24\n2\s+nginx 1\.25\n\n$/);
      const one = await k.ok('rollout', 'history', 'deployment/roll', '--revision=1');
      assert.match(one, /^deployment\.apps\/roll with revision #1\nPod Template:\n/);
      assert.match(one, /kubernetes\.io\/change-cause: create nginx 1\.24/);
      assert.match(one, /Image:\s+nginx:1\.24\n/);
      const missing = await k.run('rollout', 'history', 'deployment/roll', '--revision=9');
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /unable to find the specified revision/);
    });

    it("kubectl rollout undo goes back to revision 1's template, which becomes revision 3 (the same ReplicaSet)", async () => {
      const rev1 = (await k.items('rs', '-l', 'app=roll')).find((rs) => revisionOf(rs) === '1')!;
      assert.match(await k.ok('rollout', 'undo', 'deployment/roll'), /deployment\.apps\/roll rolled back\n/);
      const d = await rolledOut('roll', 4);
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.24');
      assert.equal(revisionOf(d), '3');
      assert.deepEqual(await replicaSets('roll'), [['2', 0], ['3', 4]]);
      const rev3 = (await k.items('rs', '-l', 'app=roll')).find((rs) => revisionOf(rs) === '3')!;
      assert.equal(rev3.metadata.name, rev1.metadata.name);
      assert.equal(rev3.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
      assert.match(await k.ok('rollout', 'history', 'deployment/roll'), /REVISION\s+CHANGE-CAUSE\n2\s+nginx 1\.25\n3\s+create nginx 1\.24\n\n$/);
      assert.deepEqual(rolling.watcher.violations, []);
    });

    it('kubectl rollout pause holds a set image back until kubectl rollout resume', async () => {
      await k.ok('rollout', 'pause', 'deployment/roll');
      await k.ok('set', 'image', 'deployment/roll', 'nginx=nginx:1.26');
      const paused = await eventually('the controller to see the paused change', async () => {
        const d = await k.getJson('deployment', 'roll');
        const c = d?.status.conditions.find((x: Obj) => x.type === 'Progressing');
        return d?.status.observedGeneration === d?.metadata.generation && c?.reason === 'DeploymentPaused' && d;
      });
      assert.equal(paused.status.conditions.find((x: Obj) => x.type === 'Progressing').status, 'Unknown');
      assert.deepEqual(await replicaSets('roll'), [['2', 0], ['3', 4]], 'no new ReplicaSet while paused');
      assert.deepEqual(live(await k.items('pods', '-l', 'app=roll')).map((p) => p.spec.containers[0].image), Array(4).fill('nginx:1.24'));
      const undo = await k.run('rollout', 'undo', 'deployment/roll');
      assert.notEqual(undo.code, 0);
      assert.match(undo.stderr, /you cannot rollback a paused deployment; resume it first/);
      await k.ok('rollout', 'resume', 'deployment/roll');
      const d = await rolledOut('roll', 4);
      assert.equal(revisionOf(d), '4');
      assert.deepEqual(live(await k.items('pods', '-l', 'app=roll')).map((p) => p.spec.containers[0].image), Array(4).fill('nginx:1.26'));
      assert.deepEqual(rolling.watcher.violations, []);
    });

    it('kubectl rollout restart rolls out a new ReplicaSet through the restartedAt annotation', async () => {
      await k.ok('rollout', 'restart', 'deployment/roll');
      const d = await rolledOut('roll', 4);
      const restartedAt = d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
      assert.ok(restartedAt);
      assert.equal(revisionOf(d), '5');
      assert.deepEqual(await replicaSets('roll'), [['2', 0], ['3', 0], ['4', 0], ['5', 4]]);
      for (const p of live(await k.items('pods', '-l', 'app=roll'))) assert.equal(p.metadata.annotations['kubectl.kubernetes.io/restartedAt'], restartedAt);
      rolling.watcher.stop();
      assert.deepEqual(rolling.watcher.violations, []);
      assert.ok(rolling.watcher.events > 40, `the watcher saw only ${rolling.watcher.events} events`);
    });

    it('revisionHistoryLimit deletes the oldest ReplicaSets', async () => {
      await k.ok('patch', 'deployment/roll', '-p', '{"spec":{"revisionHistoryLimit":1}}');
      await eventually('one old ReplicaSet left', async () => (await k.items('rs', '-l', 'app=roll')).length === 2);
      assert.deepEqual(await replicaSets('roll'), [['4', 0], ['5', 4]]);
      await k.ok('delete', 'deployment', 'roll');
      await eventually('pods gone', async () => (await k.items('pods', '-l', 'app=roll')).length === 0);
    });
  });

  it('maxUnavailable 0 with minReadySeconds: never fewer than the replicas available, one pod of surge', async () => {
    const limits: RollingLimits = { replicas: 4, maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1 };
    await k.create(`apiVersion: apps/v1
kind: Deployment
metadata: {name: steady}
spec:
  replicas: ${limits.replicas}
  minReadySeconds: ${limits.minReadySeconds}
  selector: {matchLabels: {app: steady}}
  strategy:
    rollingUpdate: {maxSurge: ${limits.maxSurge}, maxUnavailable: ${limits.maxUnavailable}}
  template:
    metadata: {labels: {app: steady}}
    spec:
      containers: [{name: web, image: nginx:1.24}]
`);
    await rolledOut('steady', limits.replicas);
    const { watcher, seen } = await watchRolling('steady', limits);
    await k.ok('set', 'image', 'deployment/steady', 'web=nginx:1.25');
    await rolledOut('steady', limits.replicas);
    watcher.stop();
    assert.deepEqual(watcher.violations, []);
    assert.equal(seen.maxActive, limits.replicas + limits.maxSurge);
    assert.equal(seen.minAvailable, limits.replicas);
    await k.ok('delete', 'deployment', 'steady');
  });

  it('Recreate: every old pod is gone before the first new one is created', async () => {
    await k.create(`apiVersion: apps/v1
kind: Deployment
metadata: {name: recreate}
spec:
  replicas: 3
  selector: {matchLabels: {app: recreate}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: recreate}}
    spec:
      containers: [{name: web, image: nginx:1.24}]
`);
    await rolledOut('recreate', 3);
    const watcher = new PodWatcher(client, 'default', 'app=recreate', (pods, ev) => {
      if (ev.type !== 'ADDED') return undefined;
      const others = pods.filter((p) => templateHash(p) !== templateHash(ev.pod!));
      return others.length ? `${ev.pod!.metadata!.name} created while ${others.map((p) => p.metadata!.name).join(', ')} still existed` : undefined;
    });
    watchers.push(await watcher.start());
    await k.ok('set', 'image', 'deployment/recreate', 'web=nginx:1.25');
    await rolledOut('recreate', 3);
    watcher.stop();
    assert.deepEqual(watcher.violations, []);
    assert.deepEqual(live(await k.items('pods', '-l', 'app=recreate')).map((p) => p.spec.containers[0].image), Array(3).fill('nginx:1.25'));
    const out = await k.ok('describe', 'deployment', 'recreate');
    assert.match(out, /StrategyType:\s+Recreate\n/);
    assert.match(out, /Scaled down replica set recreate-\S+ to 0 from 3\n[\s\S]*Scaled up replica set recreate-\S+ to 3\n/);
    await k.ok('delete', 'deployment', 'recreate');
  });

  it('progressDeadlineSeconds: pods that never become ready end in ProgressDeadlineExceeded, and rollout status fails', async () => {
    await k.create(`apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 2
  progressDeadlineSeconds: 3
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      readinessGates: [{conditionType: k8ts.io/never-ready}]
      containers: [{name: web, image: nginx}]
`);
    const status = await k.run('rollout', 'status', 'deployment/stuck', '--timeout=60s');
    assert.equal(status.code, 1, status.stdout + status.stderr);
    assert.match(status.stderr, /^error: deployment "stuck" exceeded its progress deadline\n$/m);
    const d = (await k.getJson('deployment', 'stuck'))!;
    const rs = (await k.items('rs', '-l', 'app=stuck'))[0]!;
    const cond = (type: string) => d.status.conditions.find((c: Obj) => c.type === type);
    assert.deepEqual(
      [cond('Progressing').status, cond('Progressing').reason, cond('Progressing').message],
      ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${rs.metadata.name}" has timed out progressing.`],
    );
    assert.deepEqual([cond('Available').status, cond('Available').reason], ['False', 'MinimumReplicasUnavailable']);
    assert.equal(d.status.unavailableReplicas, 2);
    const pods = await k.items('pods', '-l', 'app=stuck');
    assert.deepEqual(pods.map((p) => p.status.phase), ['Running', 'Running'], 'running, just never ready');
    assert.match(await k.ok('describe', 'deployment', 'stuck'), /Progressing\s+False\s+ProgressDeadlineExceeded\n/);
    await k.ok('delete', 'deployment', 'stuck');
  });

  it('kubectl describe deployment: ScalingReplicaSet events as the 1.30 controller words them, a repeat counted (x2)', async () => {
    await k.ok('create', 'deployment', 'web', '--image=nginx', '--replicas=2');
    const rs = await eventually('the ReplicaSet', async () => (await k.items('rs', '-l', 'app=web'))[0]);
    const name = rs.metadata.name;
    // 2 → 3 → 2 → 3: the second "to 3 from 2" is the same event again, counted rather than repeated.
    for (const n of [3, 2, 3]) {
      await k.ok('scale', 'deployment/web', `--replicas=${n}`);
      await eventually(`the ReplicaSet at ${n}`, async () => (await k.getJson('rs', name))?.spec.replicas === n);
    }
    const repeated = await eventually('the repeated event counted', async () => {
      const events = await k.items('events', '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=web');
      return events.find((e) => e.message === `Scaled up replica set ${name} to 3 from 2` && e.count === 2);
    });
    assert.equal(repeated.reason, 'ScalingReplicaSet');
    assert.equal(repeated.source.component, 'deployment-controller');
    assert.ok(Date.parse(repeated.lastTimestamp) >= Date.parse(repeated.firstTimestamp));
    const messages = (await k.items('events', '--field-selector', 'involvedObject.name=web')).map((e) => `${e.message} x${e.count}`).sort();
    assert.deepEqual(messages, [`Scaled down replica set ${name} to 2 from 3 x1`, `Scaled up replica set ${name} to 2 x1`, `Scaled up replica set ${name} to 3 from 2 x2`]);
    const out = await k.ok('describe', 'deployment', 'web');
    assert.match(out, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set ${name} to 2\\n`));
    assert.match(out, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+ \\(x2 over \\S+\\)\\s+deployment-controller\\s+Scaled up replica set ${name} to 3 from 2\\n`));
    assert.match(out, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled down replica set ${name} to 2 from 3\\n`));
    await k.ok('delete', 'deployment', 'web');
  });
});
