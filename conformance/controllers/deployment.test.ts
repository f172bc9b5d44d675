// End to end: `k8ts up` as a child process (its controller manager, scheduler and, when the
// command has them, hollow nodes that report bound pods Running and Ready) and the real
// kubectl: Deployments make ReplicaSets make pods with the right owners and labels; scaling;
// cascading deletion; and, with hollow nodes, rollouts: `set image` with a watcher checking
// maxSurge/maxUnavailable on every change, `rollout status`, `history`, `undo`, `pause`,
// `resume`, `restart`, Recreate, and ReplicationControllers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { ApiClient, loadKubeconfig, type ResourceRef, type WatchHandle } from '../../controllers/runtime/client.ts';
import type { KubeObject, WatchEvent } from '../../controllers/runtime/types.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Whether this k8ts has hollow nodes (pods then become Running and Ready). */
function hasHollowNodes(): boolean {
  try {
    return execFileSync(process.execPath, [join(repo, 'bin/k8ts.js'), 'up', '--help'], { encoding: 'utf8' }).includes('--hollow-nodes');
  } catch {
    return false;
  }
}
const HOLLOW = hasHollowNodes();

const REPLICASETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Obj = Record<string, any>;

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Deployments, ReplicaSets and ReplicationControllers against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let k8ts: K8tsProcess;
  let client: ApiClient;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        [`--cache-dir=${join(k8ts.dataDir, 'kube-cache')}`, ...args],
        { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const getJson = async (...args: string[]): Promise<Obj | undefined> => {
    const r = await kubectl('get', ...args, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
  };
  const items = async (...args: string[]): Promise<Obj[]> => (await getJson(...args))?.items ?? [];
  const apply = async (yaml: string) => {
    const file = join(k8ts.dataDir, `obj-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return ok('create', '-f', file);
  };
  const revisionOf = (o: Obj) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];

  before(async () => {
    k8ts = await startK8ts({ args: HOLLOW ? ['--hollow-nodes', '3'] : [] });
    client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
  });

  after(async () => {
    client?.close();
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
    assert.match(describe, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set web-${hash} from 0 to 3`));
    assert.match(describe, new RegExp(`NewReplicaSet:\\s+web-${hash} \\(3/3 replicas created\\)`));
    const rsDescribe = await eventually('ReplicaSet events', async () => {
      const out = await ok('describe', 'rs', rs.metadata.name);
      return (out.match(/SuccessfulCreate/g) ?? []).length === 3 && out;
    });
    assert.match(rsDescribe, /Normal\s+SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: web-/);
    if (HOLLOW) {
      await ok('rollout', 'status', 'deployment/web', '--timeout=60s');
      const done = await getJson('deployment', 'web');
      const conds = Object.fromEntries(done!.status.conditions.map((c: Obj) => [c.type, `${c.status} ${c.reason}`]));
      assert.deepEqual(conds, { Available: 'True MinimumReplicasAvailable', Progressing: 'True NewReplicaSetAvailable' });
      assert.equal(done!.status.availableReplicas, 3);
    }
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

  describe('rollouts (hollow nodes make pods ready)', { skip: HOLLOW ? false : 'k8ts up has no --hollow-nodes: pods never become ready' }, () => {
    const limits = { replicas: 4, maxSurge: 1, maxUnavailable: 1 };
    let watches: WatchHandle[] = [];
    const violations: string[] = [];
    const seen = { maxReplicas: 0, minReady: Infinity, events: 0 };

    /** Watches the ReplicaSets and pods of app=roll and checks the limits on every change. */
    const watchLimits = async () => {
      const rsState = new Map<string, KubeObject>();
      const podState = new Map<string, KubeObject>();
      const check = () => {
        seen.events++;
        const replicas = [...rsState.values()].reduce((n, rs) => n + (((rs.spec as Obj)?.replicas as number) ?? 0), 0);
        const ready = [...podState.values()].filter(
          (p) => !p.metadata?.deletionTimestamp && ((p.status as Obj)?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True'),
        ).length;
        seen.maxReplicas = Math.max(seen.maxReplicas, replicas);
        if (rsState.size && podState.size) seen.minReady = Math.min(seen.minReady, ready);
        if (replicas > limits.replicas + limits.maxSurge) violations.push(`${replicas} replicas in ReplicaSets > ${limits.replicas} + ${limits.maxSurge}`);
        if (podState.size && ready < limits.replicas - limits.maxUnavailable) violations.push(`${ready} ready pods < ${limits.replicas} - ${limits.maxUnavailable}`);
      };
      const follow = async (ref: ResourceRef, state: Map<string, KubeObject>) => {
        const list = await client.list(ref, 'default', { labelSelector: 'app=roll' });
        for (const o of list.items) state.set(o.metadata!.name!, o);
        watches.push(
          client.watch(
            ref,
            'default',
            { labelSelector: 'app=roll', resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 600 },
            (ev: WatchEvent) => {
              if (ev.type === 'DELETED') state.delete(ev.object.metadata!.name!);
              else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') state.set(ev.object.metadata!.name!, ev.object);
              check();
            },
            () => {},
          ),
        );
      };
      await follow(REPLICASETS, rsState);
      await follow(PODS, podState);
      check();
    };

    const rolledOut = async () => {
      const out = await ok('rollout', 'status', 'deployment/roll', '--timeout=90s');
      assert.match(out, /deployment "roll" successfully rolled out\n$/);
      const d = (await getJson('deployment', 'roll'))!;
      assert.equal(d.status.observedGeneration, d.metadata.generation);
      assert.equal(d.status.updatedReplicas, limits.replicas);
      assert.equal(d.status.replicas, limits.replicas);
      assert.equal(d.status.availableReplicas, limits.replicas);
      return d;
    };

    after(() => {
      for (const w of watches) w.stop();
      watches = [];
    });

    it('set image → rollout status completes, surge and unavailability never exceeded', async () => {
      await apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
  annotations: {kubernetes.io/change-cause: first}
spec:
  replicas: ${limits.replicas}
  selector: {matchLabels: {app: roll}}
  strategy:
    rollingUpdate: {maxSurge: ${limits.maxSurge}, maxUnavailable: ${limits.maxUnavailable}}
  template:
    metadata:
      labels: {app: roll}
    spec:
      containers:
      - name: web
        image: nginx:1.24
`);
      await rolledOut();
      await watchLimits();
      await ok('set', 'image', 'deployment/roll', 'web=nginx:1.25');
      await ok('annotate', 'deployment/roll', 'kubernetes.io/change-cause=nginx 1.25', '--overwrite');
      const d = await rolledOut();
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
      assert.equal(revisionOf(d), '2');
      const rss = await items('rs', '-l', 'app=roll');
      assert.deepEqual(rss.map((rs) => [revisionOf(rs), rs.spec.replicas]).sort(), [['1', 0], ['2', limits.replicas]]);
      const pods = (await items('pods', '-l', 'app=roll')).filter((p) => !p.metadata.deletionTimestamp);
      assert.equal(pods.length, limits.replicas);
      for (const p of pods) assert.equal(p.spec.containers[0].image, 'nginx:1.25');
      assert.deepEqual(violations, []);
      assert.equal(seen.maxReplicas, limits.replicas + limits.maxSurge, 'the rollout used its surge');
    });

    it('rollout history lists the revisions with their change-cause', async () => {
      const out = await ok('rollout', 'history', 'deployment/roll');
      assert.match(out, /^deployment\.apps\/roll \nREVISION\s+CHANGE-CAUSE\n1\s+first\n2\s+nginx 1\.25\n\n$/);
      const one = await ok('rollout', 'history', 'deployment/roll', '--revision=1');
      assert.match(one, /Image:\s+nginx:1\.24/);
    });

    it('rollout undo goes back to revision 1\'s template, as revision 3 (the same ReplicaSet)', async () => {
      const rev1 = (await items('rs', '-l', 'app=roll')).find((rs) => revisionOf(rs) === '1')!;
      assert.match(await ok('rollout', 'undo', 'deployment/roll'), /deployment\.apps\/roll rolled back/);
      const d = await rolledOut();
      assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.24');
      assert.equal(revisionOf(d), '3');
      const rss = await items('rs', '-l', 'app=roll');
      assert.equal(rss.length, 2);
      const rev3 = rss.find((rs) => revisionOf(rs) === '3')!;
      assert.equal(rev3.metadata.name, rev1.metadata.name);
      assert.equal(rev3.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
      assert.match(await ok('rollout', 'history', 'deployment/roll'), /\n2\s+nginx 1\.25\n3\s+first\n/);
      assert.deepEqual(violations, []);
    });

    it('rollout pause holds template changes; resume rolls them out', async () => {
      await ok('rollout', 'pause', 'deployment/roll');
      await ok('set', 'image', 'deployment/roll', 'web=nginx:1.26');
      const paused = await eventually('the paused condition', async () => {
        const d = await getJson('deployment', 'roll');
        const c = d?.status.conditions.find((x: Obj) => x.type === 'Progressing');
        return c?.reason === 'DeploymentPaused' && d;
      });
      assert.equal(paused.status.conditions.find((x: Obj) => x.type === 'Progressing').status, 'Unknown');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await items('rs', '-l', 'app=roll')).length, 2, 'no new ReplicaSet while paused');
      // kubectl refuses to undo a paused Deployment.
      const undo = await kubectl('rollout', 'undo', 'deployment/roll');
      assert.notEqual(undo.code, 0);
      assert.match(undo.stderr, /you cannot rollback a paused deployment/);
      await ok('rollout', 'resume', 'deployment/roll');
      const d = await rolledOut();
      assert.equal(revisionOf(d), '4');
      assert.equal((await items('rs', '-l', 'app=roll')).length, 3);
      assert.deepEqual(violations, []);
    });

    it('rollout restart makes a new revision with the restartedAt annotation', async () => {
      await ok('rollout', 'restart', 'deployment/roll');
      const d = await rolledOut();
      assert.ok(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
      assert.equal(revisionOf(d), '5');
      const pods = (await items('pods', '-l', 'app=roll')).filter((p) => !p.metadata.deletionTimestamp);
      assert.equal(pods.length, limits.replicas);
      for (const p of pods) assert.ok(p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']);
      assert.deepEqual(violations, []);
      assert.ok(seen.events > 20, `the watcher saw ${seen.events} changes`);
      assert.equal(seen.minReady, limits.replicas - limits.maxUnavailable, 'the rollouts used their unavailability');
    });

    it('revisionHistoryLimit removes the oldest ReplicaSets', async () => {
      await ok('patch', 'deployment/roll', '-p', '{"spec":{"revisionHistoryLimit":1}}');
      await eventually('one old ReplicaSet left', async () => (await items('rs', '-l', 'app=roll')).length === 2);
      const revs = (await items('rs', '-l', 'app=roll')).map(revisionOf).sort();
      assert.deepEqual(revs, ['4', '5']);
      for (const w of watches) w.stop();
      watches = [];
      await ok('delete', 'deployment', 'roll');
      await eventually('pods gone', async () => (await items('pods', '-l', 'app=roll')).length === 0);
    });

    it('Recreate: the new pods start only after the old ones are gone', async () => {
      await apply(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: recreate
spec:
  replicas: 2
  selector: {matchLabels: {app: recreate}}
  strategy: {type: Recreate}
  template:
    metadata:
      labels: {app: recreate}
    spec:
      containers:
      - name: web
        image: nginx:1.24
`);
      await ok('rollout', 'status', 'deployment/recreate', '--timeout=60s');
      const overlap: string[] = [];
      const podState = new Map<string, KubeObject>();
      const list = await client.list(PODS, 'default', { labelSelector: 'app=recreate' });
      for (const o of list.items) podState.set(o.metadata!.name!, o);
      const w = client.watch(
        PODS,
        'default',
        { labelSelector: 'app=recreate', resourceVersion: list.metadata?.resourceVersion },
        (ev) => {
          if (ev.type === 'DELETED') podState.delete(ev.object.metadata!.name!);
          else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') podState.set(ev.object.metadata!.name!, ev.object);
          const images = new Set([...podState.values()].map((p) => ((p.spec as Obj).containers[0].image as string)));
          if (images.size > 1) overlap.push([...images].join(' and '));
        },
        () => {},
      );
      await ok('set', 'image', 'deployment/recreate', 'web=nginx:1.25');
      await ok('rollout', 'status', 'deployment/recreate', '--timeout=60s');
      w.stop();
      assert.deepEqual(overlap, [], 'old and new pods never coexist');
      const pods = await items('pods', '-l', 'app=recreate');
      assert.deepEqual(pods.map((p) => p.spec.containers[0].image), ['nginx:1.25', 'nginx:1.25']);
      const events = await ok('describe', 'deployment', 'recreate');
      assert.match(events, /Scaled down replica set recreate-\S+ from 2 to 0[\s\S]*Scaled up replica set recreate-\S+ from 0 to 2/);
      await ok('delete', 'deployment', 'recreate');
    });
  });
});
