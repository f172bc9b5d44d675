// End to end: `k8ts up --hollow-nodes 3` and the real kubectl. A DaemonSet runs one pod per
// node (pinned by a matchFields node affinity the scheduler honours, with the daemon
// tolerations); the pods follow nodes: a hollow node agent started beside the cluster gets
// one, a node tainted NoExecute loses its pod, a Node deleted with kubectl stops counting
// (and the pod garbage collector takes its pod); `kubectl rollout status` and a `set image`
// rolling update work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_CONTROLLERS } from '../../controllers/manager.ts';
import { eventually, isReady, KUBECTL, startCluster, type Cluster, type Obj } from './workload-support.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

const MANIFEST = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox}]
`;

describe('DaemonSets against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let c: Cluster;
  let agent: ChildProcess | undefined;

  before(async () => {
    c = await startCluster(3);
  });
  after(async () => {
    if (agent?.pid && agent.exitCode === null) process.kill(agent.pid, 'SIGKILL');
    await c?.stop();
  });

  /** The live daemon pods of the nodes that exist, by node, once they are count and all Running and Ready. */
  const readyPods = (count: number) =>
    eventually(`${count} ready daemon pods`, async () => {
      const nodes = new Set((await c.items('nodes')).map((n) => n.metadata.name as string));
      const pods = (await c.items('pods', '-l', 'app=agent')).filter((p) => !p.metadata.deletionTimestamp && nodes.has(p.spec.nodeName));
      return pods.length === count && pods.every(isReady) && new Map(pods.map((p) => [p.spec.nodeName as string, p]));
    });
  const status = async () => (await c.getJson('daemonset', 'agent'))!.status as Obj;

  it('runs one pinned pod per node; rollout status reports it', async () => {
    await c.create(MANIFEST);
    assert.match(await c.ok('rollout', 'status', 'daemonset/agent', '--timeout=60s'), /daemon set "agent" successfully rolled out/);
    const byNode = await readyPods(3);
    assert.deepEqual([...byNode.keys()].sort(), ['hollow-0', 'hollow-1', 'hollow-2']);
    for (const [node, p] of byNode) {
      assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
      ]);
      assert.ok(p.spec.tolerations.some((t: Obj) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' && t.operator === 'Exists'));
      assert.equal(p.metadata.labels['pod-template-generation'], '1');
      assert.match(p.metadata.name, /^agent-[a-z0-9]{5}$/);
    }
    const s = await status();
    assert.deepEqual(
      [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady, s.numberAvailable, s.updatedNumberScheduled, s.numberMisscheduled, s.observedGeneration],
      [3, 3, 3, 3, 3, 0, 1],
    );
    const revisions = await c.items('controllerrevisions');
    assert.equal(revisions.length, 1);
    assert.equal(revisions[0]!.metadata.labels['controller-revision-hash'], [...byNode.values()][0]!.metadata.labels['controller-revision-hash']);
    assert.match(await c.ok('describe', 'daemonset', 'agent'), /SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: agent-/);
  });

  it('kubectl set image rolls the pods over; history lists both revisions', async () => {
    await c.ok('set', 'image', 'daemonset/agent', 'agent=busybox:1.36');
    await c.ok('rollout', 'status', 'daemonset/agent', '--timeout=60s');
    const byNode = await readyPods(3);
    const hashes = new Set([...byNode.values()].map((p) => p.metadata.labels['controller-revision-hash']));
    assert.equal(hashes.size, 1);
    for (const p of byNode.values()) {
      assert.equal(p.spec.containers[0].image, 'busybox:1.36');
      assert.equal(p.metadata.labels['pod-template-generation'], '2');
    }
    const s = await status();
    assert.deepEqual([s.updatedNumberScheduled, s.numberAvailable, s.observedGeneration], [3, 3, 2]);
    assert.match(await c.ok('rollout', 'history', 'daemonset/agent'), /REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+<none>/);
  });

  it('follows nodes: a new hollow node gets a pod, a NoExecute taint takes it away, a deleted Node stops counting', async () => {
    agent = spawn(process.execPath, [join(repo, 'bin/k8ts.js'), 'agent', '--hollow', '--kubeconfig', c.k8ts.kubeconfig, '--name', 'extra', '--first-index', '10'], {
      cwd: repo,
      stdio: 'ignore',
    });
    const withExtra = await readyPods(4);
    assert.ok(withExtra.has('extra'));
    await c.ok('rollout', 'status', 'daemonset/agent', '--timeout=60s');
    assert.equal((await status()).desiredNumberScheduled, 4);

    await c.ok('taint', 'node', 'hollow-2', 'dedicated=infra:NoExecute');
    assert.ok(!(await readyPods(3)).has('hollow-2'));
    await eventually('desiredNumberScheduled 3', async () => (await status()).desiredNumberScheduled === 3);
    await c.ok('taint', 'node', 'hollow-2', 'dedicated=infra:NoExecute-');
    assert.ok((await readyPods(4)).has('hollow-2'));

    // The node's agent goes away, then its Node: the DaemonSet stops counting it at once (its
    // pod is the pod garbage collector's, below).
    const exited = new Promise((r) => agent!.once('exit', r));
    process.kill(agent.pid!, 'SIGTERM');
    await exited;
    await c.ok('delete', 'node', 'extra');
    assert.ok(!(await readyPods(3)).has('extra'));
    const s = await eventually('the status without the node', async () => {
      const x = await status();
      return x.desiredNumberScheduled === 3 && x.currentNumberScheduled === 3 && x;
    });
    assert.equal(s.numberReady, 3);
  });

  it('the pod of the deleted node is collected (pod GC, after its quarantine)', { skip: (ALL_CONTROLLERS as readonly string[]).includes('podgc') ? false : 'no pod garbage collector' }, async () => {
    await eventually('no daemon pod on the deleted node', async () => !(await c.items('pods', '-l', 'app=agent')).some((p) => p.spec.nodeName === 'extra'), 120_000);
  });
});
