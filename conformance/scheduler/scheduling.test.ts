// End to end: `k8ts up --hollow-nodes 3` as a child process (scheduler and hollow node agents
// inside, talking to its API server over HTTPS) and the real kubectl 1.33: pods from
// `kubectl run` are scheduled, spread and reported Running; a pod nothing fits stays Pending
// with the reason in `kubectl describe`, and is scheduled once a node matches; deletions
// return; a pod whose containers exit completes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
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

type J = Record<string, any>;

describe('scheduler and hollow nodes against k8ts up --hollow-nodes 3, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let k8ts: K8tsProcess;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const start = Date.now();
      execFile(KUBECTL, [`--cache-dir=${join(k8ts.dataDir, 'kube-cache')}`, ...args], { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - start });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (...args: string[]): Promise<J | undefined> => {
    const r = await kubectl('get', ...args, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as J) : undefined;
  };
  const pod = (name: string, ns = 'default') => getJson('pod', name, '-n', ns);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '3'] });
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('registers three Ready hollow nodes with heartbeat Leases; the scheduler holds its Lease', async () => {
    const nodes = await eventually('three Ready nodes', async () => {
      const list = await getJson('nodes');
      const ready = (list?.items ?? []).filter((n: J) => n.status?.conditions?.some((c: J) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 3 ? list : undefined;
    });
    const version = JSON.parse(await ok('version', '-o', 'json')).serverVersion.gitVersion;
    assert.deepEqual(
      nodes.items.map((n: J) => n.metadata.name),
      ['hollow-0', 'hollow-1', 'hollow-2'],
    );
    for (const [i, n] of nodes.items.entries()) {
      assert.equal(n.status.nodeInfo.kubeletVersion, version);
      assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
      assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
      assert.equal(n.metadata.labels['node.kubernetes.io/instance-type'], 'hollow');
      assert.equal(n.status.capacity.pods, '110');
      assert.deepEqual(n.status.addresses[0], { type: 'InternalIP', address: `127.0.0.${i + 2}` });
    }
    const table = await ok('get', 'nodes');
    assert.match(table, /hollow-0\s+Ready\s+<none>\s+\S+\s+v1\.\d+/);
    const leases = await eventually('node leases', async () => {
      const l = await getJson('leases', '-n', 'kube-node-lease');
      return l?.items.length === 3 ? l : undefined;
    });
    for (const l of leases.items) {
      assert.equal(l.spec.holderIdentity, l.metadata.name);
      assert.equal(l.spec.leaseDurationSeconds, 40);
      assert.equal(l.metadata.ownerReferences[0].kind, 'Node');
    }
    const sched = await eventually('the scheduler lease', () => getJson('lease', '-n', 'kube-system', 'kube-scheduler'));
    assert.ok(sched.spec.holderIdentity);
  });

  it('kubectl run pods go Running on the hollow nodes, spread, with unique pod IPs', async () => {
    const names = ['web-0', 'web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
    for (const n of names) await ok('run', n, '--image=nginx', '--labels=app=web');
    await ok('wait', '--for=condition=Ready', '--timeout=30s', ...names.map((n) => `pod/${n}`));
    const list = (await getJson('pods', '-l', 'app=web'))!;
    const perNode = new Map<string, number>();
    const ips = new Set<string>();
    for (const p of list.items) {
      assert.match(p.spec.nodeName, /^hollow-[012]$/);
      perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
      assert.equal(p.status.phase, 'Running');
      assert.equal(p.status.hostIP, `127.0.0.${Number(p.spec.nodeName.slice(-1)) + 2}`);
      assert.match(p.status.podIP, new RegExp(`^10\\.244\\.${p.spec.nodeName.slice(-1)}\\.\\d+$`));
      ips.add(p.status.podIP);
      const cs = p.status.containerStatuses[0];
      assert.equal(cs.ready, true);
      assert.equal(cs.started, true);
      assert.equal(cs.restartCount, 0);
      assert.ok(cs.state.running.startedAt);
      assert.equal(cs.image, 'docker.io/library/nginx:latest');
      assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:/);
      assert.match(cs.containerID, /^hollow:\/\//);
      assert.deepEqual(
        p.status.conditions.map((c: J) => `${c.type}=${c.status}`),
        ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
      );
    }
    assert.equal(ips.size, names.length);
    // Every node got some, none more than half.
    assert.equal(perNode.size, 3, JSON.stringify([...perNode]));
    for (const n of perNode.values()) assert.ok(n <= 3, JSON.stringify([...perNode]));
    const wide = await ok('get', 'pods', '-l', 'app=web', '-o', 'wide');
    assert.match(wide, /web-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+hollow-\d/);
    const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=web-0,reason=Scheduled', '-o', 'json');
    const ev = JSON.parse(events).items[0];
    assert.match(ev.message, /^Successfully assigned default\/web-0 to hollow-[012]$/);
    assert.equal(ev.reportingComponent, 'default-scheduler');
  });

  it('a pod with an impossible nodeSelector stays Pending and kubectl describe says why', async () => {
    await ok('run', 'picky', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"nodeSelector":{"disk":"ssd"}}}');
    const expected = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..";
    const p = await eventually('PodScheduled=False', async () => {
      const got = await pod('picky');
      const c = got?.status?.conditions?.find((x: J) => x.type === 'PodScheduled');
      return c?.status === 'False' ? got : undefined;
    });
    const cond = p.status.conditions.find((x: J) => x.type === 'PodScheduled');
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, expected);
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.spec.nodeName, undefined);
    const describe = await eventually('the FailedScheduling event in describe', async () => {
      const out = await ok('describe', 'pod', 'picky');
      return out.includes('FailedScheduling') ? out : undefined;
    });
    assert.match(describe, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    assert.match(await ok('get', 'pod', 'picky'), /picky\s+0\/1\s+Pending\s+0/);
    // A node that matches now: the node update gets the pod scheduled there.
    await ok('label', 'node', 'hollow-1', 'disk=ssd');
    const placed = await eventually('scheduled on hollow-1', async () => {
      const got = await pod('picky');
      return got?.status?.phase === 'Running' ? got : undefined;
    });
    assert.equal(placed.spec.nodeName, 'hollow-1');
  });

  it('a pod whose PersistentVolumeClaim does not exist stays Pending; describe says which claim', async () => {
    await ok('run', 'claimless', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"nope"}}]}}');
    const describe = await eventually('the FailedScheduling event in describe', async () => {
      const out = await ok('describe', 'pod', 'claimless');
      return out.includes('FailedScheduling') ? out : undefined;
    });
    assert.match(describe, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: persistentvolumeclaim "nope" not found\./);
    const p = await pod('claimless');
    assert.equal(p?.status?.phase, 'Pending');
    assert.equal(p?.spec?.nodeName, undefined);
    assert.equal(p?.status?.conditions?.find((x: J) => x.type === 'PodScheduled')?.reason, 'Unschedulable');
    await ok('delete', 'pod', 'claimless', '--wait=false');
  });

  it('requests that fit nowhere: Insufficient cpu, and no preemption victims', async () => {
    await ok('run', 'huge', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"containers":[{"name":"huge","image":"nginx","resources":{"requests":{"cpu":"100"}}}]}}');
    const p = await eventually('Unschedulable', async () => {
      const got = await pod('huge');
      const c = got?.status?.conditions?.find((x: J) => x.type === 'PodScheduled');
      return c?.reason === 'Unschedulable' ? c : undefined;
    });
    assert.equal(p.message, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..');
    await ok('delete', 'pod', 'huge');
  });

  it('kubectl delete pod returns once the node confirms the deletion', async () => {
    const r = await kubectl('delete', 'pod', 'web-5');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod "web-5" deleted/);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms`);
    assert.equal(await pod('web-5'), undefined);
    // With a grace period asked explicitly, too.
    const g = await kubectl('delete', 'pod', 'web-4', '--grace-period=30');
    assert.equal(g.code, 0, g.stderr);
    assert.ok(g.ms < 15_000, `took ${g.ms} ms`);
  });

  it('a pod whose containers exit completes: Succeeded on 0, Failed otherwise', async () => {
    const exit = (code: number) => [`--annotations=k8ts.io/hollow-exit-after=1s`, `--annotations=k8ts.io/hollow-exit-code=${code}`];
    await ok('run', 'job-ok', '--image=busybox', '--restart=Never', ...exit(0), '--', 'true');
    await ok('run', 'job-fail', '--image=busybox', '--restart=Never', ...exit(2), '--', 'false');
    const done = await eventually('Succeeded', async () => {
      const got = await pod('job-ok');
      return got?.status?.phase === 'Succeeded' ? got : undefined;
    });
    const term = done.status.containerStatuses[0].state.terminated;
    assert.equal(term.exitCode, 0);
    assert.equal(term.reason, 'Completed');
    const failed = await eventually('Failed', async () => {
      const got = await pod('job-fail');
      return got?.status?.phase === 'Failed' ? got : undefined;
    });
    assert.equal(failed.status.containerStatuses[0].state.terminated.exitCode, 2);
    const table = await ok('get', 'pods', 'job-ok', 'job-fail');
    assert.match(table, /job-ok\s+0\/1\s+Completed\s+0/);
    assert.match(table, /job-fail\s+0\/1\s+Error\s+0/);
    // restartPolicy Always: the container restarts and the count grows.
    await ok('run', 'flaky', '--image=busybox', ...exit(1));
    await eventually('a restart', async () => {
      const got = await pod('flaky');
      return (got?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1;
    });
  });

  it('kubectl drain evicts the pods of a cordoned node; new pods avoid it', async () => {
    const before = (await getJson('pods', '--field-selector', 'spec.nodeName=hollow-2,status.phase=Running'))!.items.length;
    assert.ok(before > 0);
    const r = await kubectl('drain', 'hollow-2', '--force', '--ignore-daemonsets', '--timeout=60s');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/hollow-2 drained/);
    assert.equal((await getJson('pods', '--field-selector', 'spec.nodeName=hollow-2,status.phase=Running'))!.items.length, 0);
    const node = (await getJson('node', 'hollow-2'))!;
    assert.equal(node.spec.unschedulable, true);
    for (let i = 0; i < 4; i++) await ok('run', `after-drain-${i}`, '--image=nginx');
    await ok('wait', '--for=condition=Ready', '--timeout=30s', ...[0, 1, 2, 3].map((i) => `pod/after-drain-${i}`));
    for (let i = 0; i < 4; i++) assert.notEqual((await pod(`after-drain-${i}`))!.spec.nodeName, 'hollow-2');
    await ok('uncordon', 'hollow-2');
  });
});
