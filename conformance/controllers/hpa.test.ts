// End to end: `k8ts up --hollow-nodes 2` as a child process (hollow nodes report usage, the
// API server serves metrics.k8s.io from it, the controller manager runs the HPA with a 2 s
// sync period) and the real kubectl: `kubectl top nodes|pods`, then `kubectl autoscale` on a
// deployment whose pods request 100m and (by annotation) use 200m scales it up to its max,
// and scales it down once the usage drops, after the HPA's own stabilization window.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, KUBECTL } from '../support/kubectl.ts';

const OLD_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
        k8ts.io/hollow-cpu-usage: 200m
        k8ts.io/hollow-memory-usage: 48Mi
    spec:
      containers:
      - name: nginx
        image: nginx
        resources:
          requests: {cpu: 100m}
`;

describe('resource metrics and the HorizontalPodAutoscaler against k8ts up, with kubectl', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  let k8ts: K8tsProcess;
  const { run: kubectl, ok, getJson, create } = kubectlFor(() => k8ts);
  const replicas = async () => (await getJson('deployment', 'web'))?.spec?.replicas as number | undefined;

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '2', '--horizontal-pod-autoscaler-sync-period', '2s'] });
    await create(deployment);
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('kubectl top nodes and kubectl top pods print what the hollow nodes report', async () => {
    const nodes = await eventually('kubectl top nodes', async () => {
      const r = await kubectl('top', 'nodes');
      return r.code === 0 && /^hollow-1\s/m.test(r.stdout) && r.stdout;
    });
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU\(?%\)?\s+MEMORY\(bytes\)\s+MEMORY\(?%\)?\s*$/m);
    // A node uses its own 50m and 256Mi plus its pods'.
    assert.match(nodes, /^hollow-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
    const pods = await eventually('kubectl top pods', async () => {
      const r = await kubectl('top', 'pods');
      return r.code === 0 && /^web-/m.test(r.stdout) && r.stdout;
    });
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    assert.match(pods, /^web-[a-z0-9]+-[a-z0-9]{5}\s+200m\s+48Mi\s*$/m);
    assert.match(await ok('top', 'pods', '-l', 'app=web', '--containers'), /^web-\S+\s+nginx\s+200m\s+48Mi\s*$/m);
    if (existsSync(OLD_KUBECTL)) assert.match(await kubectlFor(() => k8ts, OLD_KUBECTL).ok('top', 'pods', '-A'), /^default\s+web-\S+\s+200m\s+48Mi\s*$/m);
    // The raw API, as metrics-server answers it.
    const raw = JSON.parse(await ok('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods'));
    assert.equal(raw.kind, 'PodMetricsList');
    assert.deepEqual(raw.items[0].containers, [{ name: 'nginx', usage: { cpu: '200m', memory: '48Mi' } }]);
    assert.equal(raw.items[0].window, '10s');
  });

  it('kubectl autoscale --cpu-percent=50: 200% of the request scales the deployment up, to its max', async () => {
    await ok('autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5');
    // 200% against 50%: ceil(1 × 4) = 4, as soon as a sample covers a whole window since the pod became ready.
    await eventually('the first scale-up', async () => ((await replicas()) ?? 0) >= 4, 60_000);
    const targets = await eventually('TARGETS in kubectl get hpa', async () => {
      const out = await ok('get', 'hpa', 'web');
      return /200%\/50%/.test(out) && out;
    });
    assert.match(targets, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
    assert.match(targets, /^web\s+Deployment\/web\s+(cpu: )?200%\/50%\s+1\s+5\s+\d\s+\S+$/m);
    const described = await eventually('the rescale event', async () => {
      const out = await ok('describe', 'hpa', 'web');
      return out.includes('SuccessfulRescale') && out;
    });
    assert.match(described, /Normal\s+SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 4; reason: cpu resource utilization \(percentage of request\) above target\n/);
    // The new pods use 200% too once counted: 16 wanted, 5 allowed.
    const hpa = await eventually(
      'five replicas, limited by maxReplicas',
      async () => {
        const h = await getJson('hpa', 'web');
        const limited = h?.status?.conditions?.find((c: { type: string }) => c.type === 'ScalingLimited');
        return h?.status?.currentReplicas === 5 && limited?.reason === 'TooManyReplicas' && h;
      },
      60_000,
    );
    assert.equal(await replicas(), 5);
    const conds = Object.fromEntries(hpa.status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, `${c.status} ${c.reason}`]));
    assert.deepEqual(conds, { AbleToScale: 'True ReadyForNewScale', ScalingActive: 'True ValidMetricFound', ScalingLimited: 'True TooManyReplicas' });
    assert.deepEqual(hpa.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }]);
    assert.ok(hpa.status.lastScaleTime);
  });

  it('scales down when the usage drops, after the stabilization window set in spec.behavior', async () => {
    await ok('patch', 'hpa', 'web', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}');
    await ok('annotate', 'pods', '-l', 'app=web', '--overwrite', 'k8ts.io/hollow-cpu-usage=10m');
    // 10% against 50%: ceil(5 × 0.2) = 1.
    await eventually('one replica', async () => (await replicas()) === 1, 60_000);
    const described = await ok('describe', 'hpa', 'web');
    assert.match(described, /Normal\s+SuccessfulRescale\s+\S+\s+horizontal-pod-autoscaler\s+New size: 1; reason: All metrics below target\n/);
  });
});
