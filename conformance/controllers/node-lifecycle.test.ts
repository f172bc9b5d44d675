// End to end: `k8ts up --hollow-nodes 2 --node-monitor-grace-period 20s` plus a third hollow
// node in its own `k8ts agent` process, and the real kubectl. Stopping that agent makes its
// node NotReady (Ready Unknown) with the unreachable taints; its pods are marked not ready,
// evicted as their tolerations say and replaced on the other nodes, and the service's
// Endpoints and EndpointSlices keep only ready pods. The node coming back loses its taints.
// NoExecute taints put on by hand evict pods after their tolerationSeconds, and removing the
// taint in time cancels the eviction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const BIN = fileURLToPath(new URL('../../bin/k8ts.js', import.meta.url));
const GRACE_S = 20;

const tolerate = (seconds: number) =>
  ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds }));

const MANIFEST = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            // One pod per node, preferably; the replacements still fit on the other two.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } }],
              },
            },
            tolerations: tolerate(2),
            containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
  ],
});

describe('node lifecycle against k8ts up, with kubectl', () => {
  let k8ts: K8tsProcess;
  let agent: ChildProcess | undefined;
  const { ok, getJson, items, create } = kubectlFor(() => k8ts);

  const startAgent = () => {
    agent = spawn(process.execPath, [BIN, 'agent', '--hollow', '--kubeconfig', k8ts.kubeconfig, '--name', 'hollow-2'], { stdio: 'ignore' });
  };
  const killAgent = async () => {
    const a = agent;
    agent = undefined;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    const exited = new Promise((r) => a.once('exit', r));
    a.kill('SIGKILL');
    await exited;
  };

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '2', '--node-monitor-grace-period', `${GRACE_S}s`] });
    startAgent();
    await eventually(
      '3 ready nodes',
      async () => (await items('nodes')).filter((n) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')).length === 3,
      60_000,
    );
  });

  after(async () => {
    await killAgent();
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  const readyOf = (o: Obj | undefined) => o?.status?.conditions?.find((c: Obj) => c.type === 'Ready');
  const webPods = () => items('pods', '-l', 'app=web');
  const isReady = (p: Obj) => !p.metadata.deletionTimestamp && readyOf(p)?.status === 'True';
  let lostPod: string;

  it('a stopped node goes NotReady and unreachable; its pods are evicted and replaced; endpoints keep the ready ones', async () => {
    await create(MANIFEST);
    const pods = await eventually('3 ready pods, one per node', async () => {
      const l = (await webPods()).filter(isReady);
      return l.length === 3 && new Set(l.map((p) => p.spec.nodeName)).size === 3 && l;
    }, 60_000);
    lostPod = pods.find((p) => p.spec.nodeName === 'hollow-2')!.metadata.name;

    await killAgent();
    const node = await eventually(
      'hollow-2 Ready=Unknown with the unreachable taints',
      async () => {
        const n = await getJson('node', 'hollow-2');
        const keys = (n?.spec?.taints ?? []).map((t: Obj) => `${t.key}:${t.effect}`).sort().join();
        return readyOf(n)?.status === 'Unknown' && keys === 'node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule' && n;
      },
      (GRACE_S + 40) * 1000,
    );
    assert.deepEqual([readyOf(node).reason, readyOf(node).message], ['NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    const table = await ok('get', 'node', 'hollow-2');
    assert.match(table, /hollow-2\s+NotReady\s/);

    // Its pod: marked not ready, then evicted (2 s of toleration) and replaced elsewhere.
    const lost = await eventually('the lost pod evicted', async () => {
      const p = await getJson('pod', lostPod);
      return p?.metadata.deletionTimestamp && p;
    }, 30_000);
    assert.equal(readyOf(lost).status, 'False');
    const target = lost.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.deepEqual([target?.status, target?.reason], ['True', 'DeletionByTaintManager']);
    const replaced = await eventually('3 ready pods on the other nodes', async () => {
      const l = (await webPods()).filter(isReady);
      return l.length === 3 && l.every((p) => p.spec.nodeName !== 'hollow-2') && l;
    }, 60_000);
    const readyIPs = replaced.map((p) => p.status.podIP).sort().join();
    await eventually('Endpoints listing only the ready pods', async () => {
      const ep = await getJson('endpoints', 'web');
      const ready = (ep?.subsets ?? []).flatMap((s: Obj) => (s.addresses ?? []).map((a: Obj) => a.ip)).sort().join();
      const notReady = (ep?.subsets ?? []).flatMap((s: Obj) => s.notReadyAddresses ?? []);
      return ready === readyIPs && notReady.length === 0;
    });
    await eventually('EndpointSlices with only the ready pods ready', async () => {
      const eps = (await items('endpointslices', '-l', 'kubernetes.io/service-name=web')).flatMap((s) => s.endpoints ?? []);
      const ready = eps.filter((e: Obj) => e.conditions.ready).map((e: Obj) => e.addresses[0]).sort().join();
      const lostEp = eps.find((e: Obj) => e.targetRef?.name === lostPod);
      return ready === readyIPs && (!lostEp || (lostEp.conditions.terminating && !lostEp.conditions.serving));
    });
    const events = (await items('events', '-A')).map((e) => `${e.reason} ${e.message}`);
    assert.ok(events.includes('NodeNotReady Node hollow-2 status is now: NodeNotReady'), events.join('\n'));
    assert.ok(events.includes(`TaintManagerEviction Marking for deletion Pod default/${lostPod}`), events.join('\n'));
  });

  it('the node coming back loses its taints and finishes deleting its evicted pod', async () => {
    startAgent();
    await eventually(
      'hollow-2 ready without taints',
      async () => {
        const n = await getJson('node', 'hollow-2');
        return readyOf(n)?.status === 'True' && !(n?.spec?.taints ?? []).length;
      },
      60_000,
    );
    await eventually('the evicted pod gone', async () => !(await getJson('pod', lostPod)), 30_000);
  });

  it('Pod Eviction, Toleration limits and Taint, Pod Eviction on taint removal: NoExecute taints evict after tolerationSeconds; removing the taint cancels', async () => {
    const pod = (name: string, node: string, seconds?: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { test: 'taints' } },
      spec: {
        nodeName: node,
        tolerations: seconds === undefined ? [] : [{ key: 'example.com/evict', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds }],
        containers: [{ name: 'c', image: 'nginx' }],
      },
    });
    await create(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('short', 'hollow-0', 2), pod('long', 'hollow-0', 8), pod('plain', 'hollow-0'), pod('saved', 'hollow-1', 12)] }));
    // DefaultTolerationSeconds admission gave every pod the 300 s not-ready and unreachable tolerations.
    const plain = (await getJson('pod', 'plain'))!;
    assert.deepEqual(plain.spec.tolerations, tolerate(300).reverse());
    await eventually('the pods running', async () => (await items('pods', '-l', 'test=taints')).filter((p) => p.status?.phase === 'Running').length === 4);
    const gone = async (name: string) => {
      const p = await getJson('pod', name);
      return !p || !!p.metadata.deletionTimestamp;
    };
    const start = Date.now();
    await ok('taint', 'node', 'hollow-0', 'example.com/evict=yes:NoExecute');
    await ok('taint', 'node', 'hollow-1', 'example.com/evict=yes:NoExecute');
    await eventually('the untolerating pod evicted at once', () => gone('plain'), 15_000);
    // hollow-1's taint goes well before its pod's 12 s are up.
    await ok('taint', 'node', 'hollow-1', 'example.com/evict-');
    await eventually('the 2 s pod evicted', () => gone('short'), 15_000);
    await eventually('the 8 s pod evicted', () => gone('long'), 20_000);
    assert.ok(Date.now() - start >= 7500, 'no sooner than its toleration allows');
    // The controller's own account: the 8 s pod went about 6 s after the 2 s one.
    const events = await items('events');
    const marked = (pod: string) => Date.parse(events.find((e) => e.message === `Marking for deletion Pod default/${pod}`)?.firstTimestamp);
    assert.ok(marked('long') - marked('short') >= 5000, `${marked('long') - marked('short')} ms between the evictions`);
    const waited = Date.now() - start;
    if (waited < 14_000) await new Promise((r) => setTimeout(r, 14_000 - waited));
    assert.equal(await gone('saved'), false, 'the eviction was cancelled');
    const reasons = (await items('events')).map((e) => `${e.reason} ${e.message}`);
    assert.ok(reasons.includes('TaintManagerEviction Cancelling deletion of Pod default/saved'), reasons.join('\n'));
    await ok('taint', 'node', 'hollow-0', 'example.com/evict-');
  });
});
