// End to end: `k8ts up --nodes 1` runs a real node agent (the process runtime) and the real
// kubectl drives it. A busybox pod runs the host's sh and writes its log; an nginx pod serves
// a ConfigMap page on its pod IP, port 80 (reached from here over loopback); a Job's pod exits
// 0 and the Job completes; kubectl logs and exec work through the node's kubelet API; a
// crashing container backs off; a failing liveness probe restarts
// its container; deleting pods ends their processes (checked by PID, with every descendant),
// and so does stopping k8ts. All of it with containers sandboxed in namespaces (as root) and
// without (K8TS_SANDBOX=off, as for an agent that is not root).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';
import { canSandbox } from '../../node/process/sandbox.ts';
import { processStartTime } from '../../node/process/container-process.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--nodes') ? 'k8ts up has no --nodes' : false;

const PODS = `
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: sh
    image: busybox
    command: ["sh", "-c", "echo hello; sleep 3600"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: page
data:
  index.html: "<h1>served by k8ts</h1>\\n"
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - name: http
      containerPort: 80
    readinessProbe:
      httpGet:
        path: /
        port: http
      periodSeconds: 1
    volumeMounts:
    - name: html
      mountPath: /usr/share/nginx/html
  volumes:
  - name: html
    configMap:
      name: page
---
apiVersion: batch/v1
kind: Job
metadata:
  name: done
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
        command: ["sh", "-c", "exit 0"]
---
apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo about to fail; exit 3"]
`;

/** Healthy while /probe/healthy exists (an emptyDir): the file goes after 2 s. */
const LIVENESS = `
apiVersion: v1
kind: Pod
metadata:
  name: liveness
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "touch /probe/healthy; sleep 2; rm /probe/healthy; sleep 3600"]
    livenessProbe:
      exec:
        command: ["cat", "/probe/healthy"]
      periodSeconds: 1
      failureThreshold: 1
    volumeMounts:
    - name: probe
      mountPath: /probe
  volumes:
  - name: probe
    emptyDir: {}
`;

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** A process and all its descendants, from /proc. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return out;
}

const sandboxed = canSandbox();

/** Containers sandboxed in namespaces (when root), or plain process groups (K8TS_SANDBOX=off, as without root). */
for (const sandbox of sandboxed ? [true, false] : [false]) describe(`the process runtime${sandbox ? ', sandboxed,' : ' without a sandbox:'} k8ts up --nodes 1 with kubectl`, { skip, timeout: 120_000 }, () => {
  let k8ts: K8tsProcess;
  const k = kubectlFor(() => k8ts);
  const nodeDir = () => join(k8ts.dataDir, 'nodes', 'node-0');
  const pod = async (name: string) => (await k.getJson('pod', name))!;
  const ready = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');

  /** The processes of a pod's containers now (each run's recorded PID, and their descendants). */
  const podProcesses = (uid: string): { pid: number; start: string }[] => {
    const out: { pid: number; start: string }[] = [];
    const dir = join(nodeDir(), 'pods', uid, 'containers');
    for (const c of readdirSync(dir)) {
      for (const run of readdirSync(join(dir, c))) {
        const pid = Number(readFileSync(join(dir, c, run, 'pid'), 'utf8').split(' ')[0]);
        for (const p of processTree(pid)) {
          const start = processStartTime(p);
          if (start) out.push({ pid: p, start });
        }
      }
    }
    return out;
  };
  const stillRunning = (procs: { pid: number; start: string }[]) => procs.filter((p) => processStartTime(p.pid) === p.start);

  before(async () => {
    k8ts = await startK8ts({ args: ['--nodes', '1'], env: { ...process.env, K8TS_SANDBOX: sandbox ? '' : 'off' } });
    await eventually('node-0 Ready', async () => ready((await k.getJson('node', 'node-0')) ?? {}));
    await k.create(PODS);
  });

  after(async () => {
    await k8ts?.stop();
  });

  it('registers a node with this machine’s capacity and the process runtime', async () => {
    const node = (await k.getJson('node', 'node-0'))!;
    assert.equal(node.status.nodeInfo.containerRuntimeVersion, 'k8ts://0.1.0');
    assert.equal(node.status.addresses.find((a: Obj) => a.type === 'InternalIP').address, '127.0.0.2');
    assert.equal(node.spec.podCIDR, '127.244.0.0/24');
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);
  });

  it('runs busybox: Running with a full status, and its output in the CRI log', async () => {
    const p = await eventually('hello Running', async () => {
      const x = await pod('hello');
      return x.status?.phase === 'Running' && ready(x) && x;
    });
    const st = p.status;
    assert.equal(st.hostIP, '127.0.0.2');
    assert.match(st.podIP, /^127\.244\.0\.\d+$/);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.ok(st.startTime);
    assert.deepEqual(
      st.conditions.map((c: Obj) => `${c.type}=${c.status}`).sort(),
      ['ContainersReady=True', 'Initialized=True', 'PodReadyToStartContainers=True', 'PodScheduled=True', 'Ready=True'],
    );
    const cs = st.containerStatuses[0];
    assert.equal(cs.name, 'sh');
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state.running.startedAt);
    assert.match(cs.containerID, /^k8ts:\/\/[0-9a-f]{64}$/);
    assert.equal(cs.image, 'docker.io/library/busybox:latest');
    const log = join(nodeDir(), 'logs', `default_hello_${p.metadata.uid}`, 'sh', '0.log');
    await eventually('the hello log line', async () => existsSync(log) && / stdout F hello$/m.test(readFileSync(log, 'utf8')));
    const events = await k.items('events', '--field-selector', 'involvedObject.name=hello');
    for (const reason of ['Scheduled', 'Pulled', 'Created', 'Started']) assert.ok(events.some((e) => e.reason === reason), `no ${reason} event`);
  });

  it('kubectl logs and exec reach the container through the node’s kubelet API', async () => {
    assert.equal(await k.ok('logs', 'hello'), 'hello\n');
    const r = await k.run('exec', 'hello', '--', 'sh', '-c', 'echo "$HOSTNAME $(hostname) $(cat /etc/hostname)"; exit 3');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^hello /);
    if (sandbox) assert.equal(r.stdout, 'hello hello hello\n');
  });

  it('serves a ConfigMap page from nginx on the pod IP, port 80, once ready', async () => {
    const p = await eventually('web Ready', async () => {
      const x = await pod('web');
      return ready(x) && x;
    });
    const r = await httpGet(`http://${p.status.podIP}/`);
    assert.equal(r.status, 200);
    assert.equal(r.body, '<h1>served by k8ts</h1>\n');
    assert.equal((await httpGet(`http://${p.status.podIP}/missing.html`)).status, 404);
  });

  it('completes a Job whose container exits 0', async () => {
    await eventually('job done complete', async () => (await k.getJson('job', 'done'))?.status?.succeeded === 1);
    const [p] = await k.items('pods', '-l', 'job-name=done');
    assert.equal(p!.status.phase, 'Succeeded');
    const t = p!.status.containerStatuses[0].state.terminated;
    assert.equal(t.exitCode, 0);
    assert.equal(t.reason, 'Completed');
  });

  it('restarts a crashing container with back-off: CrashLoopBackOff, lastState, restartCount', async () => {
    const p = await eventually('crash backing off', async () => {
      const x = await pod('crash');
      return x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && x;
    });
    const cs = p.status.containerStatuses[0];
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.lastState.terminated.exitCode, 3);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.match(cs.state.waiting.message, /^back-off \d+s restarting failed container=c pod=crash_default\(/);
    assert.equal(p.status.phase, 'Running');
  });

  it('restarts a container whose liveness probe fails', { skip: sandbox ? false : 'the probe reads an emptyDir at its mountPath: needs the sandbox (root)' }, async () => {
    await k.create(LIVENESS);
    const p = await eventually(
      'liveness restarted',
      async () => {
        const x = await pod('liveness');
        return x.status?.containerStatuses?.[0]?.restartCount >= 1 && x;
      },
      30_000,
    );
    assert.ok(p.status.containerStatuses[0].lastState.terminated);
    const events = await k.items('events', '--field-selector', 'involvedObject.name=liveness');
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed: /.test(e.message)));
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'));
  });

  it('deleting pods stops every process of theirs and removes their files', async () => {
    const uids = [(await pod('hello')).metadata.uid, (await pod('web')).metadata.uid];
    const procs = uids.flatMap((u) => podProcesses(u));
    // hello: sh and sleep (and unshare in a sandbox); web: node (and unshare).
    assert.ok(procs.length >= 3, `processes: ${JSON.stringify(procs)}`);
    assert.equal(stillRunning(procs).length, procs.length);
    const r = await k.run('delete', 'pod', 'hello', 'web', '--wait=true', '--timeout=30s');
    assert.equal(r.code, 0, r.stderr);
    await eventually('no process left', async () => stillRunning(procs).length === 0, 10_000);
    for (const u of uids) assert.ok(!existsSync(join(nodeDir(), 'pods', u)));
  });

  it('stopping k8ts stops the containers still running', async () => {
    await k.ok('run', 'pause', '--image=registry.k8s.io/e2e-test-images/agnhost:2.53', '--', 'pause');
    const p = await eventually('pause Running', async () => {
      const x = await pod('pause');
      return x.status?.phase === 'Running' && x;
    });
    const live = podProcesses(p.metadata.uid);
    assert.ok(live.length > 0);
    await k8ts.stop();
    assert.deepEqual(stillRunning(live), []);
  });
});
