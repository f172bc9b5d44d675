// [sig-apps] upstream conformance tests that need the workload controllers but no running
// containers, named exactly as the upstream `testname`s and following the steps and
// assertions of test/e2e/apps/*.go, against one `k8ts up --hollow-nodes 3`. Like the upstream
// suite they talk to the API as client-go does (the ApiClient), each in its own namespace, and
// run in parallel: the CronJob tests wait for minute boundaries (on `*/1`; where upstream
// watches for 5 minutes, two scheduled times), the others overlap them.
//
// Hollow nodes run nothing, so where upstream needs a container to behave, the test plays it:
// a rollout stalled by an image that cannot be pulled gets a readiness gate nobody sets (the
// pod is never Ready, all those tests rely on); the StatefulSet readiness probe that upstream
// breaks through exec is a readiness gate the test keeps (ProbeGate); the kubelet's rejection of
// a pod whose host port is taken is a Failed status the test writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor } from '../support/kubectl.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';
import { isNotFound } from '../../controllers/runtime/errors.ts';
import { computeHash } from '../../controllers/deployment/util.ts';
import {
  EventLog,
  Fatal,
  PATCH,
  R,
  deleteAndWaitForGC,
  deploymentRevisionAndImage,
  getNewReplicaSet,
  getOldReplicaSets,
  getSubresource,
  isControlledBy,
  isRunning,
  newDeployment,
  newNamespace,
  newReplicaSet,
  selectorOf,
  patchObject,
  poll,
  updateWithRetries,
  verifyPodsRunning,
  waitForDeploymentComplete,
  waitForDeploymentRevisionAndImage,
  waitForObservedDeployment,
  waitForReplicaSetAvailableReplicas,
  waitForReplicaSetDesiredReplicas,
  waitForReplicaSetSpecReplicas,
  type Obj,
} from './e2e-framework.ts';
import {
  DS_COLOR_LABEL,
  DS_LABEL_PREFIX,
  DS_NAME_LABEL,
  HTTP_PROBE,
  ProbeGate,
  SS_REVISION_LABEL,
  checkDaemonSetPodsLabels,
  checkDaemonStatus,
  curHistory,
  daemonPodOnNodes,
  daemonPods,
  headlessService,
  listDaemonHistories,
  newDaemonSet,
  newStatefulSet,
  setDaemonSetNodeLabels,
  statefulPods,
  waitDaemonPodsImageAndAvailability,
  waitForHistoryCreated,
  waitForPartitionedRollingUpdate,
  waitForPodReadiness,
  waitForRollingUpdate,
  waitForRunningAndReady,
  waitForStatus,
  waitRunningOnAllNodes,
  waitRunningOnNoNodes,
} from './e2e-framework-sets.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;

// The upstream test images (imageutils); hollow nodes only report them.
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const HTTPD = 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4';
const PAUSE = 'registry.k8s.io/pause:3.10';
const BUSYBOX = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';

/** Stands for an image that cannot be pulled: the pod is never Ready. */
const NEVER_READY = [{ conditionType: 'e2e.k8ts.io/image-pulled' }];

describe('[sig-apps] upstream conformance tests with the workload controllers, on k8ts up --hollow-nodes 3', { skip, concurrency: true }, () => {
  let k8ts: K8tsProcess;
  let c: ApiClient;
  const k = kubectlFor(() => k8ts);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '3', '--hollow-start-delay', '200'] });
    c = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
    await eventually('three Ready nodes', async () => {
      const nodes = await k.items('nodes');
      return nodes.filter((n) => n.status?.conditions?.some((x: Obj) => x.type === 'Ready' && x.status === 'True')).length === 3;
    });
  });

  after(async () => {
    c?.close();
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  // --- Deployment (test/e2e/apps/deployment.go) ------------------------------------------

  it('Deployment RollingUpdate', async () => {
    const ns = await newNamespace(c, 'deployment');
    // A ReplicaSet with a revision far beyond 2^53: the Deployment that adopts it goes one past it.
    const rs = newReplicaSet('test-rolling-update-controller', 1, { name: 'sample-pod', pod: 'httpd' }, 'httpd', HTTPD);
    rs.metadata.annotations = { 'deployment.kubernetes.io/revision': '3546343826724305832' };
    await c.create(R.replicasets, ns, rs);
    await verifyPodsRunning(c, ns, 'sample-pod', 1);

    const d = await c.create<Obj>(R.deployments, ns, newDeployment('test-rolling-update-deployment', 1, { name: 'sample-pod' }, 'agnhost', AGNHOST, 'RollingUpdate'));
    await waitForDeploymentRevisionAndImage(c, ns, d.metadata.name, '3546343826724305833', AGNHOST);
    await waitForDeploymentComplete(c, d);
    const cur = await c.get<Obj>(R.deployments, ns, d.metadata.name);
    const old = await getOldReplicaSets(c, cur);
    assert.deepEqual(
      old.map((x) => x.metadata.name),
      ['test-rolling-update-controller'],
      'one old ReplicaSet: the adopted one',
    );
  });

  it('Deployment Recreate', async () => {
    const ns = await newNamespace(c, 'deployment');
    const created = await c.create<Obj>(R.deployments, ns, newDeployment('test-recreate-deployment', 1, { name: 'sample-pod-3' }, 'agnhost', AGNHOST, 'Recreate'));
    await waitForDeploymentRevisionAndImage(c, ns, created.metadata.name, '1', AGNHOST);
    await waitForDeploymentComplete(c, created);

    const d = await updateWithRetries<Obj>(c, R.deployments, ns, created.metadata.name, (u) => {
      u.spec.template.spec.containers[0].name = 'httpd';
      u.spec.template.spec.containers[0].image = HTTPD;
    });
    // watchRecreateDeployment: from the update on, never new pods alongside old ones.
    const log = new EventLog(c, R.deployments, ns, { resourceVersion: d.metadata.resourceVersion, fieldSelector: `metadata.name=${d.metadata.name}` });
    try {
      await log.until(
        'the Recreate rollout to complete',
        (ev) => {
          const s = ev.object.status ?? {};
          if ((s.updatedReplicas ?? 0) > 0 && (s.replicas ?? 0) !== (s.updatedReplicas ?? 0)) throw new Fatal(`deployment is running new pods alongside old pods: ${JSON.stringify(s)}`);
          return ev.object.spec.replicas === (s.replicas ?? 0) && ev.object.spec.replicas === (s.updatedReplicas ?? 0) && ev.object.metadata.generation <= (s.observedGeneration ?? 0);
        },
        90_000,
      );
    } finally {
      log.stop();
    }
  });

  it('Deployment RevisionHistoryLimit', async () => {
    const ns = await newNamespace(c, 'deployment');
    await c.create(R.replicasets, ns, newReplicaSet('test-cleanup-controller', 1, { name: 'cleanup-pod', pod: 'httpd' }, 'httpd', HTTPD));
    await verifyPodsRunning(c, ns, 'cleanup-pod', 1);

    // Exactly one pod is created from here on, the Deployment's: adopting the ReplicaSet makes it create none.
    const pods = await c.list(R.pods, ns);
    const log = new EventLog(c, R.pods, ns, { resourceVersion: pods.metadata?.resourceVersion });
    try {
      const d = newDeployment('test-cleanup-deployment', 1, { name: 'cleanup-pod' }, 'agnhost', AGNHOST, 'RollingUpdate');
      d.spec.revisionHistoryLimit = 0;
      const created = await c.create<Obj>(R.deployments, ns, d);
      await eventually(
        'the old ReplicaSets cleaned up',
        async () => {
          const cur = await c.get<Obj>(R.deployments, ns, created.metadata.name);
          return (await getNewReplicaSet(c, cur)) && (await getOldReplicaSets(c, cur)).length === 0;
        },
        90_000,
      );
    } finally {
      log.stop();
    }
    const added = log.events.filter((e) => e.type === 'ADDED').map((e) => e.object as Obj);
    assert.equal(added.length, 1, `one pod creation, got ${added.map((p) => p.metadata.name).join(', ')}`);
    assert.equal(added[0]!.spec.containers[0].name, 'agnhost');
  });

  it('Deployment Rollover', async () => {
    const ns = await newNamespace(c, 'deployment');
    const rsName = 'test-rollover-controller';
    await c.create(R.replicasets, ns, newReplicaSet(rsName, 1, { name: 'rollover-pod', pod: 'httpd' }, 'httpd', HTTPD));
    await verifyPodsRunning(c, ns, 'rollover-pod', 1);
    await eventually('the ReplicaSet ready', async () => ((await c.get<Obj>(R.replicasets, ns, rsName)).status?.readyReplicas ?? 0) === 1, 60_000);

    // A Deployment that cannot finish: its pods never become ready.
    const image = 'gcr.io/google_samples/gb-redisslave:nonexistent';
    const nd = newDeployment('test-rollover-deployment', 1, { name: 'rollover-pod' }, 'redis-slave', image, 'RollingUpdate');
    nd.spec.strategy.rollingUpdate = { maxUnavailable: 0, maxSurge: 1 };
    nd.spec.minReadySeconds = 10;
    nd.spec.template.spec.readinessGates = NEVER_READY;
    const created = await c.create<Obj>(R.deployments, ns, nd);
    // waitForDeploymentUpdatedReplicasGTE
    await eventually(
      'updatedReplicas >= 1',
      async () => {
        const d = await c.get<Obj>(R.deployments, ns, created.metadata.name);
        return (d.status?.observedGeneration ?? 0) >= created.metadata.generation && (d.status?.updatedReplicas ?? 0) >= 1;
      },
      60_000,
    );
    assert.equal(await deploymentRevisionAndImage(c, ns, created.metadata.name, '1', image), undefined);

    const ensureReplicas = (rs: Obj, n: number) => {
      assert.equal(rs.spec.replicas, n, `${rs.metadata.name} spec.replicas`);
      assert.equal(rs.status?.replicas ?? 0, n, `${rs.metadata.name} status.replicas`);
    };
    // Both ReplicaSets have their one replica (status follows spec shortly).
    const stuck = (await getNewReplicaSet(c, created))!;
    await eventually('both ReplicaSets at 1 replica', async () => {
      const [o, n] = [await c.get<Obj>(R.replicasets, ns, rsName), await c.get<Obj>(R.replicasets, ns, stuck.metadata.name)];
      return o.status?.replicas === 1 && n.status?.replicas === 1;
    });
    ensureReplicas(await c.get<Obj>(R.replicasets, ns, rsName), 1);
    ensureReplicas(await c.get<Obj>(R.replicasets, ns, stuck.metadata.name), 1);

    // Roll over both to a template that works.
    const d = await updateWithRetries<Obj>(c, R.deployments, ns, created.metadata.name, (u) => {
      u.spec.template.spec.containers[0].name = 'agnhost';
      u.spec.template.spec.containers[0].image = AGNHOST;
      delete u.spec.template.spec.readinessGates;
    });
    await waitForObservedDeployment(c, ns, d.metadata.name, d.metadata.generation);
    await waitForDeploymentRevisionAndImage(c, ns, d.metadata.name, '2', AGNHOST);
    await waitForDeploymentComplete(c, d, { rolling: true });
    ensureReplicas(await c.get<Obj>(R.replicasets, ns, rsName), 0);
    ensureReplicas(await c.get<Obj>(R.replicasets, ns, stuck.metadata.name), 0);
  });

  it('Deployment Proportional Scaling', async () => {
    const ns = await newNamespace(c, 'deployment');
    const d = newDeployment('webserver-deployment', 10, { name: 'httpd' }, 'httpd', HTTPD, 'RollingUpdate');
    d.spec.strategy.rollingUpdate = { maxSurge: 3, maxUnavailable: 2 };
    const created = await c.create<Obj>(R.deployments, ns, d);
    await waitForObservedDeployment(c, ns, created.metadata.name, created.metadata.generation);
    await verifyPodsRunning(c, ns, 'httpd', 10);
    await waitForDeploymentComplete(c, created);
    const firstRS = (await getNewReplicaSet(c, created))!;

    // A partial rollout: the new ReplicaSet's pods never become available.
    const updated = await updateWithRetries<Obj>(c, R.deployments, ns, created.metadata.name, (u) => {
      u.spec.template.spec.containers[0].image = 'webserver:404';
      u.spec.template.spec.readinessGates = NEVER_READY;
    });
    await waitForObservedDeployment(c, ns, updated.metadata.name, updated.metadata.generation);
    // The first ReplicaSet keeps replicas - maxUnavailable = 8 available and specified.
    await waitForReplicaSetAvailableReplicas(c, firstRS, 8);
    await waitForReplicaSetSpecReplicas(c, firstRS, 8);
    await waitForReplicaSetDesiredReplicas(c, await c.get<Obj>(R.replicasets, ns, firstRS.metadata.name));
    // The second has replicas + maxSurge - 8 = 5, none available.
    const secondRS = (await getNewReplicaSet(c, updated))!;
    assert.equal(secondRS.status?.availableReplicas ?? 0, 0);
    await waitForReplicaSetSpecReplicas(c, secondRS, 5);
    await waitForReplicaSetDesiredReplicas(c, await c.get<Obj>(R.replicasets, ns, secondRS.metadata.name));
    assert.ok((updated.status?.availableReplicas ?? 0) >= 8, 'minimum availability');

    // Scaled to 30 mid-rollout, both grow in proportion: 8 + 20·8/13 ≈ 20 and 5 + 20·5/13 ≈ 13.
    await updateWithRetries<Obj>(c, R.deployments, ns, created.metadata.name, (u) => {
      u.spec.replicas = 30;
    });
    await waitForReplicaSetSpecReplicas(c, await c.get<Obj>(R.replicasets, ns, firstRS.metadata.name), 20);
    await waitForReplicaSetSpecReplicas(c, await c.get<Obj>(R.replicasets, ns, secondRS.metadata.name), 13);
  });

  it('Deployment, completes the lifecycle of a Deployment', async () => {
    const ns = await newNamespace(c, 'deployment');
    const name = 'test-deployment';
    const staticSelector = 'test-deployment-static=true';
    const list = await c.list(R.deployments, ns, { labelSelector: staticSelector });
    const log = new EventLog(c, R.deployments, ns, { resourceVersion: list.metadata?.resourceVersion, labelSelector: staticSelector });
    const ours = (o: Obj) => o.metadata.name === name && o.metadata.labels?.['test-deployment-static'] === 'true';
    try {
      const d = newDeployment(name, 2, { 'test-deployment-static': 'true' }, name, AGNHOST, 'RollingUpdate');
      d.spec.template.spec.terminationGracePeriodSeconds = 1;
      await c.create(R.deployments, ns, d);
      await log.until('the Deployment ADDED', (ev) => ev.type === 'ADDED' && ours(ev.object), 30_000);
      await log.until('2 ready replicas', (ev) => ours(ev.object) && ev.object.status?.readyReplicas === 2);

      const patched = await patchObject<Obj>(
        c,
        R.deployments,
        ns,
        name,
        { metadata: { labels: { 'test-deployment': 'patched' } }, spec: { replicas: 1, template: { spec: { terminationGracePeriodSeconds: 2, containers: [{ name, image: PAUSE }] } } } },
        PATCH.strategic,
      );
      assert.equal(patched.metadata.labels['test-deployment'], 'patched');
      await log.until('a MODIFIED event', (ev) => ev.type === 'MODIFIED' && ours(ev.object), 30_000);
      await log.until('1 ready, updated replica of the patched template', (ev) => {
        const o = ev.object;
        const s = o.status ?? {};
        return (
          ours(o) &&
          s.readyReplicas === 1 &&
          s.updatedReplicas === 1 &&
          (s.unavailableReplicas ?? 0) === 0 &&
          o.spec.template.spec.containers[0].image === PAUSE &&
          o.spec.template.spec.terminationGracePeriodSeconds === 2
        );
      });

      const all = await c.list<Obj>(R.deployments, undefined, { labelSelector: staticSelector });
      assert.ok(
        all.items.some((x) => x.metadata.name === name && x.metadata.namespace === ns),
        'listed across namespaces',
      );

      // An unconditional update (no resourceVersion) back to 2 replicas of a third template.
      const update = structuredClone(d);
      update.metadata.labels = { 'test-deployment-static': 'true', 'test-deployment': 'updated' };
      update.spec.template.spec.containers[0].image = HTTPD;
      update.spec.replicas = 2;
      await c.update(R.deployments, ns, update);
      await log.until('a MODIFIED event', (ev) => ev.type === 'MODIFIED' && ours(ev.object), 30_000);
      let got = await getSubresource<Obj>(c, R.deployments, ns, name, 'status');
      assert.equal(got.spec.template.spec.containers[0].image, HTTPD);
      assert.equal(got.metadata.labels['test-deployment'], 'updated');
      await log.until('2 ready, updated replicas', (ev) => ours(ev.object) && ev.object.status?.readyReplicas === 2 && ev.object.status?.updatedReplicas === 2 && (ev.object.status?.unavailableReplicas ?? 0) === 0);

      // A status patch changes the status only: its label change is ignored.
      await patchObject(c, R.deployments, ns, name, { metadata: { labels: { 'test-deployment': 'patched-status' } }, status: { readyReplicas: 0, availableReplicas: 0 } }, PATCH.strategic, 'status');
      await log.until('a MODIFIED event', (ev) => ev.type === 'MODIFIED' && ours(ev.object), 30_000);
      got = await getSubresource<Obj>(c, R.deployments, ns, name, 'status');
      assert.equal(got.spec.template.spec.containers[0].image, HTTPD);
      assert.equal(got.metadata.labels['test-deployment'], 'updated');
      await log.until(
        '2 ready replicas of the updated template',
        (ev) => ours(ev.object) && ev.object.status?.readyReplicas === 2 && ev.object.status?.updatedReplicas === 2 && (ev.object.status?.unavailableReplicas ?? 0) === 0 && ev.object.spec.template.spec.containers[0].image === HTTPD,
      );

      await c.deleteCollection(R.deployments, ns, { labelSelector: staticSelector, gracePeriodSeconds: 1 });
      await log.until('the Deployment DELETED', (ev) => ev.type === 'DELETED' && ours(ev.object));
    } finally {
      log.stop();
    }
  });

  // --- ReplicaSet and ReplicationController (replica_set.go, rc.go) ------------------------

  /** A Pod is adopted by a controller created after it, or replaced; changing a pod's labels releases it. */
  async function adoptAndRelease(ref: typeof R.replicasets, ns: string, name: string, controller: Obj, release: boolean): Promise<void> {
    const labels = { name };
    const pod = await c.create<Obj>(R.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name, image: AGNHOST }] } });
    await eventually('the pod running', async () => isRunning(await c.get<Obj>(R.pods, ns, pod.metadata.name)), 60_000);
    const owner = await c.create<Obj>(ref, ns, controller);
    await eventually(
      'the orphan pod adopted (or replaced)',
      async () => {
        try {
          return isControlledBy(await c.get<Obj>(R.pods, ns, name), owner);
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      },
      60_000,
    );
    if (!release) return;
    // PodsCreatedByLabel: the pods named after the controller, as many as its replicas.
    const [p] = await eventually('the pods of the controller', async () => {
      const pods = ((await c.list<Obj>(R.pods, ns, { labelSelector: `name=${name}` })).items as Obj[]).filter((x) => x.metadata.name.startsWith(name) && !x.metadata.deletionTimestamp);
      return pods.length === 1 && pods;
    });
    await updateWithRetries<Obj>(c, R.pods, ns, p!.metadata.name, (u) => {
      u.metadata.labels = { name: 'not-matching-name' };
    });
    await eventually('the pod released', async () => !isControlledBy(await c.get<Obj>(R.pods, ns, p!.metadata.name), owner), 60_000);
  }

  it('Replica Set, adopt matching pods and release non matching pods', async () => {
    const ns = await newNamespace(c, 'replicaset');
    const name = 'pod-adoption-release';
    await adoptAndRelease(R.replicasets, ns, name, newReplicaSet(name, 1, { name }, name, AGNHOST), true);
  });

  /** newRC of rc.go */
  const newRC = (name: string, replicas: number, labels: Record<string, string>, image: string): Obj => ({
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name },
    spec: { replicas, selector: labels, template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name, image }] } } },
  });

  it('Replication Controller, adopt matching pods', async () => {
    const ns = await newNamespace(c, 'replication-controller');
    const name = 'pod-adoption';
    await adoptAndRelease(R.replicationcontrollers, ns, name, newRC(name, 1, { name }, HTTPD), false);
  });

  it('Replication Controller, release pods', async () => {
    const ns = await newNamespace(c, 'replication-controller');
    const name = 'pod-release';
    const rc = await c.create<Obj>(R.replicationcontrollers, ns, newRC(name, 1, { name }, HTTPD));
    // e2epod.PodsCreated: one pod named after the controller.
    const [p] = await eventually('the pod of the controller', async () => {
      const pods = ((await c.list<Obj>(R.pods, ns, { labelSelector: `name=${name}` })).items as Obj[]).filter((x) => x.metadata.name.startsWith(name));
      return pods.length === 1 && pods;
    });
    await updateWithRetries<Obj>(c, R.pods, ns, p!.metadata.name, (u) => {
      u.metadata.labels = { name: 'not-matching-name' };
    });
    await eventually('the pod released', async () => !isControlledBy(await c.get<Obj>(R.pods, ns, p!.metadata.name), rc), 60_000);
  });

  // --- Job (job.go) ----------------------------------------------------------------------------

  /** e2ejob.NewTestJob("notTerminate", ...): pods that run until deleted. */
  const notTerminatingJob = (name: string, parallelism: number, completions: number, backoffLimit: number): Obj => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      parallelism,
      completions,
      backoffLimit,
      template: {
        metadata: { labels: { somekey: 'somevalue' } },
        spec: {
          restartPolicy: 'Never',
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '1000000'], volumeMounts: [{ mountPath: '/data', name: 'data' }] }],
        },
      },
    },
  });

  it('Jobs, active pods, graceful termination', async () => {
    const ns = await newNamespace(c, 'job');
    const job = await c.create<Obj>(R.jobs, ns, notTerminatingJob('foo', 2, 4, 6));
    // e2ejob.WaitForJobPodsRunning: as many Running pods as parallelism.
    await eventually(
      'active pods == parallelism',
      async () => ((await c.list<Obj>(R.pods, ns, { labelSelector: `batch.kubernetes.io/job-name=${job.metadata.name}` })).items as Obj[]).filter((p) => p.status?.phase === 'Running').length === 2,
      60_000,
    );
    await deleteAndWaitForGC(c, R.jobs, ns, job.metadata.name);
    await assert.rejects(c.get(R.jobs, ns, job.metadata.name), (err) => isNotFound(err), 'the Job is gone');
  });

  // --- CronJob (cronjob.go): on a */1 schedule, so each waits for one or two minute boundaries --

  /** newTestCronJob: one pod per Job that runs until deleted. */
  const newCronJob = (name: string, policy: 'Allow' | 'Forbid' | 'Replace', extra: Obj = {}): Obj => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/1 * * * ?',
      concurrencyPolicy: policy,
      ...extra,
      jobTemplate: {
        spec: {
          parallelism: 1,
          completions: 1,
          backoffLimit: 1,
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              volumes: [{ name: 'data', emptyDir: {} }],
              containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '300'], volumeMounts: [{ mountPath: '/data', name: 'data' }] }],
            },
          },
        },
      },
    },
  });
  /** Two schedules and then some: how long these tests may wait for a Job. */
  const CRON_TIMEOUT = 150_000;
  const jobFinished = (j: Obj) => (j.status?.conditions ?? []).some((x: Obj) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  const activeJobs = async (ns: string) => ((await c.list<Obj>(R.jobs, ns)).items as Obj[]).filter((j) => !jobFinished(j));
  const waitForActiveJobs = (ns: string, name: string, n: number) =>
    eventually(`${n} active jobs`, async () => ((await c.get<Obj>(R.cronjobs, ns, name)).status?.active ?? []).length >= n, CRON_TIMEOUT);
  /** The next minute boundary at least `marginMs` away, plus the margin: the controller has acted on it by then. */
  const afterNextSchedule = (from: number, marginMs = 8000) => Math.ceil((from + 1) / 60_000) * 60_000 + marginMs;
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  const deleteCronJob = (ns: string, name: string) => c.delete(R.cronjobs, ns, name, { propagationPolicy: 'Background' });

  it('CronJob AllowConcurrent', async () => {
    const ns = await newNamespace(c, 'cronjob');
    const cj = await c.create<Obj>(R.cronjobs, ns, newCronJob('concurrent', 'Allow'));
    await waitForActiveJobs(ns, cj.metadata.name, 2);
    assert.ok((await activeJobs(ns)).length >= 2, 'at least two running jobs listed');
    await deleteCronJob(ns, cj.metadata.name);
  });

  it('CronJob Suspend', async () => {
    const ns = await newNamespace(c, 'cronjob');
    const start = Date.now();
    const cj = await c.create<Obj>(R.cronjobs, ns, newCronJob('suspended', 'Allow', { suspend: true }));
    // Consistently no active Job, over two scheduled times.
    const until = afterNextSchedule(afterNextSchedule(start));
    while (Date.now() < until) {
      assert.deepEqual((await c.get<Obj>(R.cronjobs, ns, cj.metadata.name)).status?.active ?? [], []);
      await sleepUntil(Math.min(until, Date.now() + 2000));
    }
    assert.deepEqual((await c.list(R.jobs, ns)).items, [], 'no job exists');
    await deleteCronJob(ns, cj.metadata.name);
  });

  it('CronJob ForbidConcurrent', async () => {
    const ns = await newNamespace(c, 'cronjob');
    const cj = await c.create<Obj>(R.cronjobs, ns, newCronJob('forbid', 'Forbid'));
    await waitForActiveJobs(ns, cj.metadata.name, 1);
    const first = Date.now();
    assert.equal((await c.get<Obj>(R.cronjobs, ns, cj.metadata.name)).status?.active?.length, 1, 'exactly one is scheduled');
    assert.equal((await activeJobs(ns)).length, 1, 'exactly one running job listed');
    // No more Jobs at the next scheduled time, while the first still runs.
    const until = afterNextSchedule(first);
    while (Date.now() < until) {
      const active = (await c.get<Obj>(R.cronjobs, ns, cj.metadata.name)).status?.active ?? [];
      assert.ok(active.length < 2, `unexpected active job number: ${active.length}`);
      await sleepUntil(Math.min(until, Date.now() + 2000));
    }
    assert.equal((await c.list(R.jobs, ns)).items.length, 1, 'still the one Job');
    await deleteCronJob(ns, cj.metadata.name);
  });

  it('CronJob ReplaceConcurrent', async () => {
    const ns = await newNamespace(c, 'cronjob');
    const cj = await c.create<Obj>(R.cronjobs, ns, newCronJob('replace', 'Replace'));
    await waitForActiveJobs(ns, cj.metadata.name, 1);
    assert.equal((await c.get<Obj>(R.cronjobs, ns, cj.metadata.name)).status?.active?.length, 1, 'exactly one is scheduled');
    const jobs = (await c.list<Obj>(R.jobs, ns)).items as Obj[];
    assert.equal(jobs.filter((j) => !jobFinished(j)).length, 1, 'exactly one running job listed');
    // waitForJobReplaced: never two live Jobs; the one alive is eventually another.
    const previous = jobs[0]!.metadata.name;
    await poll(
      'the job replaced by a new one',
      async () => {
        const alive = ((await c.list<Obj>(R.jobs, ns)).items as Obj[]).filter((j) => !j.metadata.deletionTimestamp);
        if (alive.length > 1) throw new Fatal(`more than one job is running: ${alive.map((j) => j.metadata.name).join(', ')}`);
        return alive.length === 1 && alive[0]!.metadata.name !== previous;
      },
      CRON_TIMEOUT,
    );
    await deleteCronJob(ns, cj.metadata.name);
  });

  // --- ControllerRevision and DaemonSet (controller_revision.go, daemon_set.go) -------------

  it('ControllerRevision, resource lifecycle', async () => {
    const ns = await newNamespace(c, 'controllerrevisions');
    const dsName = `e2e-${randomBytes(3).toString('hex').slice(0, 5)}-daemon-set`;
    const dsLabel = { 'daemonset-name': dsName };
    const dsSelector = selectorOf(dsLabel);
    const created = await c.create<Obj>(R.daemonsets, ns, newDaemonSet(dsName, AGNHOST, dsLabel, true));
    await waitRunningOnAllNodes(c, created);
    await checkDaemonStatus(c, ns, dsName);
    assert.equal((await c.list(R.daemonsets, undefined, { labelSelector: dsSelector })).items.length, 1, 'the DaemonSet listed by its label');
    const ds = await c.get<Obj>(R.daemonsets, ns, dsName);

    const revs = (await c.list<Obj>(R.controllerrevisions, undefined, { labelSelector: dsSelector })).items as Obj[];
    assert.equal(revs.length, 1, 'one ControllerRevision');
    const owner = revs[0]!.metadata.ownerReferences[0];
    assert.ok(owner.kind === 'DaemonSet' && owner.uid === ds.metadata.uid, 'owned by the DaemonSet');
    const initial = await c.get<Obj>(R.controllerrevisions, ns, revs[0]!.metadata.name);

    const patched = await patchObject<Obj>(c, R.controllerrevisions, ns, initial.metadata.name, { metadata: { labels: { [initial.metadata.name]: 'patched' } } }, PATCH.strategic);
    assert.equal(patched.metadata.labels[initial.metadata.name], 'patched');

    // A revision created by hand, named as the controller would name the next template's.
    const next = structuredClone(ds);
    next.spec.template.spec.terminationGracePeriodSeconds = 1;
    const newHash = computeHash(next.spec.template, next.status?.collisionCount);
    await c.create(R.controllerrevisions, ns, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${dsName}-${newHash}`,
        labels: { ...next.spec.template.metadata.labels, 'controller-revision-hash': newHash },
        ...(ds.metadata.annotations ? { annotations: ds.metadata.annotations } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: dsName, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      data: initial.data,
      revision: initial.revision + 1,
    });
    const count = (n: number) => eventually(`${n} ControllerRevisions`, async () => (await c.list(R.controllerrevisions, ns, { labelSelector: dsSelector })).items.length === n, 60_000);
    await count(2);

    await c.delete(R.controllerrevisions, ns, initial.metadata.name);
    await count(1);
    const current = ((await c.list<Obj>(R.controllerrevisions, ns)).items as Obj[])[0]!;
    const updated = await updateWithRetries<Obj>(c, R.controllerrevisions, ns, current.metadata.name, (u) => {
      u.metadata.labels[current.metadata.name] = 'updated';
    });
    assert.equal(updated.metadata.labels[current.metadata.name], 'updated');

    // Another revision through the DaemonSet (the patch's updateStrategy sits outside spec, as upstream's does).
    await patchObject(c, R.daemonsets, ns, dsName, { spec: { template: { spec: { terminationGracePeriodSeconds: 1 } } }, updateStrategy: { type: 'RollingUpdate' } }, PATCH.strategic);
    await count(2);

    await c.deleteCollection(R.controllerrevisions, ns, { labelSelector: selectorOf({ [updated.metadata.name]: 'updated' }) });
    await count(1);
    const [last] = (await c.list<Obj>(R.controllerrevisions, ns)).items as Obj[];
    assert.equal(last!.revision, 3, 'the current ControllerRevision is revision 3');
  });

  it('DaemonSet-Creation', async () => {
    const ns = await newNamespace(c, 'daemonsets');
    const label = { [DS_NAME_LABEL]: 'daemon-set' };
    const ds = await c.create<Obj>(R.daemonsets, ns, newDaemonSet('daemon-set', HTTPD, label));
    await waitRunningOnAllNodes(c, ds);
    await checkDaemonStatus(c, ns, 'daemon-set');

    // A deleted daemon pod is revived.
    const [pod] = await daemonPods(c, ds);
    await c.delete(R.pods, ns, pod!.metadata.name);
    await eventually('the pod gone', async () => !(await daemonPods(c, ds)).some((p) => p.metadata.uid === pod!.metadata.uid), 60_000);
    await waitRunningOnAllNodes(c, ds, 'the daemon pod revived');
  });

  it('DaemonSet-NodeSelection', async () => {
    const ns = await newNamespace(c, 'daemonsets');
    const nodes = ((await c.list<Obj>(R.nodes, undefined)).items as Obj[]).map((n) => n.metadata.name);
    for (const n of nodes) await setDaemonSetNodeLabels(c, n, {});
    try {
      const spec = newDaemonSet('daemon-set', HTTPD, { [DS_NAME_LABEL]: 'daemon-set' });
      spec.spec.template.spec.nodeSelector = { [DS_COLOR_LABEL]: 'blue' };
      let ds = await c.create<Obj>(R.daemonsets, ns, spec);
      await waitRunningOnNoNodes(c, ds);

      // A node labelled blue gets a daemon pod.
      const node = nodes[Math.floor(Math.random() * nodes.length)]!;
      const blue = await setDaemonSetNodeLabels(c, node, { [DS_COLOR_LABEL]: 'blue' });
      assert.equal(Object.keys(blue.metadata.labels).filter((k) => k.startsWith(DS_LABEL_PREFIX)).length, 1);
      await eventually('the daemon pod on the blue node', () => daemonPodOnNodes(c, ds, [node]), 60_000);
      await checkDaemonStatus(c, ns, 'daemon-set');

      // Relabelled green, it loses it.
      const green = await setDaemonSetNodeLabels(c, node, { [DS_COLOR_LABEL]: 'green' });
      await waitRunningOnNoNodes(c, ds);

      // The DaemonSet selecting green (and RollingUpdate) runs there again.
      ds = await patchObject<Obj>(
        c,
        R.daemonsets,
        ns,
        'daemon-set',
        { spec: { template: { spec: { nodeSelector: { [DS_COLOR_LABEL]: green.metadata.labels[DS_COLOR_LABEL] } } } }, updateStrategy: { type: 'RollingUpdate' } },
        PATCH.strategic,
      );
      assert.equal(Object.keys(green.metadata.labels).filter((k) => k.startsWith(DS_LABEL_PREFIX)).length, 1);
      await eventually('the daemon pod on the green node', () => daemonPodOnNodes(c, ds, [node]), 60_000);
      await checkDaemonStatus(c, ns, 'daemon-set');
    } finally {
      for (const n of nodes) await setDaemonSetNodeLabels(c, n, {});
    }
  });

  it('DaemonSet-FailedPodCreation', async () => {
    const ns = await newNamespace(c, 'daemonsets');
    const ds = await c.create<Obj>(R.daemonsets, ns, newDaemonSet('daemon-set', HTTPD, { [DS_NAME_LABEL]: 'daemon-set' }));
    await waitRunningOnAllNodes(c, ds);
    await checkDaemonStatus(c, ns, 'daemon-set');

    // A daemon pod whose phase is set to Failed is replaced, and the failed one deleted.
    const [pod] = await daemonPods(c, ds);
    const failed = structuredClone(pod!);
    delete failed.metadata.resourceVersion;
    failed.status.phase = 'Failed';
    await c.update(R.pods, ns, failed, 'status');
    await waitRunningOnAllNodes(c, ds, 'the daemon pod revived');
    await eventually(
      'the failed daemon pod deleted',
      async () => {
        try {
          await c.get(R.pods, ns, pod!.metadata.name);
          return false;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      },
      60_000,
    );
  });

  it('DaemonSet-RollingUpdate', async () => {
    const ns = await newNamespace(c, 'daemonsets');
    const label = { [DS_NAME_LABEL]: 'daemon-set' };
    const spec = newDaemonSet('daemon-set', HTTPD, label);
    spec.spec.updateStrategy = { type: 'RollingUpdate' };
    let ds = await c.create<Obj>(R.daemonsets, ns, spec);
    await waitRunningOnAllNodes(c, ds);

    ds = await c.get<Obj>(R.daemonsets, ns, 'daemon-set');
    await waitForHistoryCreated(c, ns, label, 1);
    let cur = curHistory(await listDaemonHistories(c, ns, label), ds);
    assert.equal(cur.revision, 1);
    checkDaemonSetPodsLabels(await daemonPods(c, ds), cur.metadata.labels['controller-revision-hash']);

    ds = await patchObject<Obj>(c, R.daemonsets, ns, 'daemon-set', { spec: { template: { spec: { containers: [{ name: 'app', image: AGNHOST }] } } } }, PATCH.strategic);
    await waitDaemonPodsImageAndAvailability(c, ds, AGNHOST, 1);
    await waitRunningOnAllNodes(c, ds);

    ds = await c.get<Obj>(R.daemonsets, ns, 'daemon-set');
    await waitForHistoryCreated(c, ns, label, 2);
    cur = curHistory(await listDaemonHistories(c, ns, label), ds);
    assert.equal(cur.revision, 2);
    checkDaemonSetPodsLabels(await daemonPods(c, ds), cur.metadata.labels['controller-revision-hash']);
  });

  it('DaemonSet-Rollback', async () => {
    const ns = await newNamespace(c, 'daemonsets');
    const label = { [DS_NAME_LABEL]: 'daemon-set' };
    const spec = newDaemonSet('daemon-set', HTTPD, label);
    spec.spec.updateStrategy = { type: 'RollingUpdate' };
    const ds = await c.create<Obj>(R.daemonsets, ns, spec);
    await waitRunningOnAllNodes(c, ds);

    // A rollout that cannot finish.
    const newImage = 'foo:non-existent';
    await updateWithRetries<Obj>(c, R.daemonsets, ns, 'daemon-set', (u) => {
      u.spec.template.spec.containers[0].image = newImage;
      u.spec.template.spec.readinessGates = NEVER_READY;
    });
    await eventually('a pod of the new image', async () => (await daemonPods(c, ds)).some((p) => p.spec.containers[0].image === newImage), 60_000);
    const pods = await daemonPods(c, ds);
    const existing = pods.filter((p) => p.spec.containers[0].image === HTTPD);
    const fresh = pods.filter((p) => p.spec.containers[0].image === newImage);
    assert.equal(existing.length + fresh.length, pods.length, 'only the two images');
    assert.notEqual(existing.length, 0, 'old pods remain mid-rollout');
    assert.notEqual(fresh.length, 0);

    // Rolled back before it completes, the old pods are kept, not restarted.
    const rollback = await updateWithRetries<Obj>(c, R.daemonsets, ns, 'daemon-set', (u) => {
      u.spec.template.spec.containers[0].image = HTTPD;
      delete u.spec.template.spec.readinessGates;
    });
    await waitDaemonPodsImageAndAvailability(c, rollback, HTTPD, 1);
    const names = new Set((await daemonPods(c, ds)).map((p) => p.metadata.name));
    for (const p of existing) assert.ok(names.has(p.metadata.name), `unexpected pod ${p.metadata.name} be restarted`);
  });

  // --- StatefulSet (statefulset.go, "Basic StatefulSet functionality") ------------------------

  const ssLabels = { foo: 'bar', baz: 'blah' };
  const NEW_HTTPD = 'registry.k8s.io/e2e-test-images/httpd:2.4.39-4';
  /** The namespace with the governing headless Service "test" the StatefulSet tests share. */
  async function statefulSetNamespace(): Promise<string> {
    const ns = await newNamespace(c, 'statefulset');
    await c.create(R.services, ns, headlessService('test', ssLabels));
    return ns;
  }
  const expectPods = (pods: Obj[], partition: number, oldImage: string, newImage: string, current: string, update: string) =>
    pods.forEach((p, i) => {
      const [image, revision] = i < partition ? [oldImage, current] : [newImage, update];
      assert.equal(p.spec.containers[0].image, image, `pod ${p.metadata.name} image`);
      assert.equal(p.metadata.labels[SS_REVISION_LABEL], revision, `pod ${p.metadata.name} revision`);
    });
  const deleteStatefulPod = (ns: string, name: string) => c.delete(R.pods, ns, name, { gracePeriodSeconds: 0 });

  it('StatefulSet, Rolling Update', async () => {
    const ns = await statefulSetNamespace();
    const probe = new ProbeGate(c, ns, ssLabels);
    probe.start();
    try {
      const spec = newStatefulSet('ss2', 'test', 3, ssLabels, HTTPD);
      spec.spec.template.spec.containers[0].readinessProbe = HTTP_PROBE;
      spec.spec.template.spec.readinessGates = probe.gates;
      let ss = await c.create<Obj>(R.statefulsets, ns, spec);
      await waitForRunningAndReady(c, ss, 3);
      ss = await waitForStatus(c, ss);
      let { currentRevision, updateRevision } = ss.status;
      assert.equal(currentRevision, updateRevision, 'created with update revision equal to current revision');
      let pods = await statefulPods(c, ss);
      for (const p of pods) assert.equal(p.metadata.labels[SS_REVISION_LABEL], currentRevision);

      probe.break(pods[1]!);
      await waitForPodReadiness(c, ss, pods[1]!.metadata.name, false);
      ss = await updateWithRetries<Obj>(c, R.statefulsets, ns, 'ss2', (u) => {
        u.spec.template.spec.containers[0].image = NEW_HTTPD;
      });
      ss = await waitForStatus(c, ss);
      ({ currentRevision, updateRevision } = ss.status);
      assert.notEqual(currentRevision, updateRevision, 'a new revision during the rolling update');

      // Pods are updated in reverse ordinal order once the broken one is ready again.
      pods = await statefulPods(c, ss);
      probe.restore(pods[1]!);
      await waitForPodReadiness(c, ss, pods[1]!.metadata.name, true);
      ({ ss, pods } = await waitForRollingUpdate(c, ss));
      assert.equal(ss.status.currentRevision, updateRevision);
      expectPods(pods, 0, HTTPD, NEW_HTTPD, currentRevision, updateRevision);

      // Back to the prior template: a rollback to the prior revision, not a new one.
      probe.break(pods[1]!);
      await waitForPodReadiness(c, ss, pods[1]!.metadata.name, false);
      const priorRevision = currentRevision;
      ss = await updateWithRetries<Obj>(c, R.statefulsets, ns, 'ss2', (u) => {
        u.spec.template.spec.containers[0].image = HTTPD;
      });
      ss = await waitForStatus(c, ss);
      ({ currentRevision, updateRevision } = ss.status);
      assert.equal(updateRevision, priorRevision, 'prior revision should equal update revision during roll back');
      assert.notEqual(currentRevision, updateRevision, 'current revision should not equal update revision during roll back');
      pods = await statefulPods(c, ss);
      probe.restore(pods[1]!);
      await waitForPodReadiness(c, ss, pods[1]!.metadata.name, true);
      ({ ss, pods } = await waitForRollingUpdate(c, ss));
      assert.equal(ss.status.currentRevision, priorRevision);
      expectPods(pods, 0, NEW_HTTPD, HTTPD, currentRevision, priorRevision);
    } finally {
      await probe.stop();
    }
  });

  it('StatefulSet, Rolling Update with Partition', async () => {
    const ns = await statefulSetNamespace();
    const spec = newStatefulSet('ss2', 'test', 3, ssLabels, HTTPD);
    spec.spec.template.spec.containers[0].readinessProbe = HTTP_PROBE;
    spec.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 3 } };
    let ss = await c.create<Obj>(R.statefulsets, ns, spec);
    await waitForRunningAndReady(c, ss, 3);
    ss = await waitForStatus(c, ss);
    let { currentRevision, updateRevision } = ss.status;
    assert.equal(currentRevision, updateRevision);
    let pods = await statefulPods(c, ss);
    for (const p of pods) assert.equal(p.metadata.labels[SS_REVISION_LABEL], currentRevision);

    ss = await updateWithRetries<Obj>(c, R.statefulsets, ns, 'ss2', (u) => {
      u.spec.template.spec.containers[0].image = NEW_HTTPD;
    });
    ss = await waitForStatus(c, ss);
    ({ currentRevision, updateRevision } = ss.status);
    assert.notEqual(currentRevision, updateRevision, 'a new revision during the rolling update');
    // Not applied while the partition is above every ordinal.
    expectPods(await statefulPods(c, ss), 3, HTTPD, NEW_HTTPD, currentRevision, updateRevision);

    const setPartition = (partition: number) =>
      updateWithRetries<Obj>(c, R.statefulsets, ns, 'ss2', (u) => {
        u.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition } };
      });
    // A canary: only ordinal 2.
    ss = await setPartition(2);
    ({ ss, pods } = await waitForPartitionedRollingUpdate(c, ss));
    expectPods(pods, 2, HTTPD, NEW_HTTPD, currentRevision, updateRevision);

    // Deleted pods come back at the revision their side of the partition has.
    await deleteStatefulPod(ns, 'ss2-0');
    await deleteStatefulPod(ns, 'ss2-2');
    await eventually('both deleted pods replaced', async () => (await statefulPods(c, ss)).filter((p) => p.metadata.uid === pods[0]!.metadata.uid || p.metadata.uid === pods[2]!.metadata.uid).length === 0, 60_000);
    await waitForRunningAndReady(c, ss, 3);
    ss = await c.get<Obj>(R.statefulsets, ns, 'ss2');
    expectPods(await statefulPods(c, ss), ss.spec.updateStrategy.rollingUpdate.partition, HTTPD, NEW_HTTPD, currentRevision, updateRevision);

    // A phased rolling update: partition 1, then 0.
    for (let partition = 1; partition >= 0; partition--) {
      ss = await setPartition(partition);
      ({ ss, pods } = await waitForPartitionedRollingUpdate(c, ss));
      expectPods(pods, partition, HTTPD, NEW_HTTPD, currentRevision, updateRevision);
    }
    assert.equal(ss.status.currentRevision, updateRevision, 'current revision is the update revision on completion');
  });

  it('StatefulSet, Recreate Failed Pod', async () => {
    const ns = await statefulSetNamespace();
    const nodes = ((await c.list<Obj>(R.nodes, undefined)).items as Obj[]).map((n) => n.metadata.name);
    const node = nodes[Math.floor(Math.random() * nodes.length)]!;
    const conflictingPort = { hostPort: 21017, containerPort: 21017, name: 'conflict' };
    const blocker = await c.create<Obj>(R.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'test-pod' }, spec: { nodeName: node, containers: [{ name: 'webserver', image: HTTPD, ports: [conflictingPort] }] } });
    await eventually('the pod with the host port running', async () => isRunning(await c.get<Obj>(R.pods, ns, blocker.metadata.name)), 60_000);

    const spec = newStatefulSet('ss', 'test', 1, ssLabels, HTTPD);
    spec.spec.template.spec.containers[0].ports = [conflictingPort];
    spec.spec.template.spec.nodeName = node;
    const statefulPod = 'ss-0';
    const list = await c.list<Obj>(R.pods, ns, { fieldSelector: `metadata.name=${statefulPod}` });
    const log = new EventLog(c, R.pods, ns, { resourceVersion: list.metadata?.resourceVersion, fieldSelector: `metadata.name=${statefulPod}` });
    try {
      await c.create(R.statefulsets, ns, spec);
      // The node refuses the stateful pod (its host port is taken): it fails, as the kubelet reports a
      // pod rejected at admission. Hollow nodes admit everything, so the test writes that status,
      // once the node has reported the pod (a hollow node, unlike the kubelet, would overwrite a
      // terminal phase it has not reported yet).
      const first = (await log.until('the stateful pod reported running', (ev) => ev.type !== 'DELETED' && ev.object.status?.phase === 'Running')).object;
      await patchObject(c, R.pods, ns, statefulPod, { status: { phase: 'Failed', reason: 'NodePorts', message: "Pod was rejected: node(s) didn't have free ports for the requested pod ports" } }, PATCH.merge, 'status');
      await log.until('the failed stateful pod deleted by the controller', (ev) => ev.type === 'DELETED' && ev.object.metadata.uid === first.metadata.uid, 60_000);

      await c.delete(R.pods, ns, blocker.metadata.name, { gracePeriodSeconds: 0 });
      await eventually(
        'the stateful pod recreated and running',
        async () => {
          const p = await c.get<Obj>(R.pods, ns, statefulPod);
          return p.status?.phase === 'Running' && p.metadata.uid !== first.metadata.uid;
        },
        60_000,
      );
    } finally {
      log.stop();
    }
  });
});
