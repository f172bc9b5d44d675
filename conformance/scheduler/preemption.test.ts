// End to end: pod priority and preemption on `k8ts up --hollow-nodes 1` (one simulated node;
// pods request eighths of its CPUs), with the real kubectl. A fresh cluster has the system PriorityClasses; Priority
// admission resolves priorityClassName to spec.priority and refuses an unknown class or a
// priority of the pod's own; a pod that fits only by evicting lower-priority pods preempts the
// fewest of them (Preempted events, the DisruptionTarget condition, status.nominatedNodeName)
// and runs; while its victims terminate, lower-priority pods are kept off the room it was
// nominated to; preemptionPolicy Never waits instead.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;
const NODE = 'hollow-0';

/** A pod requesting `cpu`, in priority class `pc` (none when empty), with extra metadata. */
function podYaml(name: string, cpu: string, pc = '', o: { ns?: string; finalizer?: string; extraSpec?: string } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${o.ns ?? 'default'}
  labels: {test: preemption}
${o.finalizer ? `  finalizers: [${o.finalizer}]\n` : ''}spec:
${pc ? `  priorityClassName: ${pc}\n` : ''}${o.extraSpec ?? ''}  containers:
  - name: c
    image: nginx
    resources: {requests: {cpu: "${cpu}"}}
`;
}

describe('pod priority and scheduler preemption on a hollow node, with kubectl', { skip }, () => {
  let k8ts: K8tsProcess;
  const k = kubectlFor(() => k8ts);
  let milliCPUs = 0;
  /** `n` eighths of the node's allocatable CPU. */
  const eighths = (n: number) => `${Math.floor((milliCPUs * n) / 8)}m`;

  const pod = (name: string, ns = 'default') => k.getJson('pod', name, '-n', ns);
  const running = (name: string, ns = 'default') =>
    eventually(`${ns}/${name} Running on ${NODE}`, async () => {
      const p = await pod(name, ns);
      return p?.status?.phase === 'Running' && p.spec.nodeName === NODE ? p : undefined;
    });
  const gone = (name: string, ns = 'default') => eventually(`${ns}/${name} deleted`, async () => (await k.run('get', 'pod', name, '-n', ns)).code !== 0);
  /** The events about a pod (core/v1, as kubectl describe reads them). */
  const eventsOf = async (name: string, ns = 'default') => (await k.items('events', '-n', ns)).filter((e: Obj) => e.involvedObject?.name === name);
  const failedScheduling = (name: string, ns = 'default') =>
    eventually(`a FailedScheduling event for ${name}`, async () => (await eventsOf(name, ns)).find((e) => e.reason === 'FailedScheduling')?.message as string | undefined);
  const cleanUp = async () => {
    await k.ok('delete', 'pods', '-A', '-l', 'test=preemption', '--wait=false');
    await eventually('test pods gone', async () => (await k.items('pods', '-A', '-l', 'test=preemption')).length === 0);
  };

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '1'] });
    const node = await eventually(`${NODE} Ready`, async () => {
      const n = await k.getJson('node', NODE);
      return n?.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });
    const cpu = String(node.status.allocatable.cpu);
    milliCPUs = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    await k.ok('create', 'priorityclass', 'low', '--value=10', '--description=test: low');
    await k.ok('create', 'priorityclass', 'high', '--value=1000', '--description=test: high');
  });

  after(async () => {
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('a fresh cluster has the system PriorityClasses', async () => {
    const pcs = new Map((await k.items('priorityclasses')).map((pc) => [pc.metadata.name, pc]));
    assert.equal(pcs.get('system-cluster-critical')?.value, 2000000000);
    assert.equal(pcs.get('system-node-critical')?.value, 2000001000);
    assert.equal(pcs.get('system-node-critical')?.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(pcs.get('system-node-critical')?.description, 'Used for system critical pods that must not be moved from their current node.');
  });

  it('Priority admission: priorityClassName resolves to spec.priority; unknown classes and own priorities are refused', async () => {
    await k.create(podYaml('prio-high', '0', 'high'));
    assert.equal(await k.ok('get', 'pod', 'prio-high', '-o', 'jsonpath={.spec.priority}'), '1000');
    assert.equal(await k.ok('get', 'pod', 'prio-high', '-o', 'jsonpath={.spec.preemptionPolicy}'), 'PreemptLowerPriority');
    await k.ok('run', 'prio-none', '--image=nginx', '--labels=test=preemption');
    assert.equal(await k.ok('get', 'pod', 'prio-none', '-o', 'jsonpath={.spec.priority}'), '0');

    const unknown = await k.run('run', 'x', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"priorityClassName":"foo"}}');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Error from server \(Forbidden\): pods "x" is forbidden: no PriorityClass with name foo was found/);
    const own = await k.run('run', 'y', '--image=nginx', '--overrides={"apiVersion":"v1","spec":{"priorityClassName":"high","priority":5}}');
    assert.match(own.stderr, /pods "y" is forbidden: the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name/);
    await cleanUp();
  });

  it('Scheduler, Basic Preemption: the pod evicts the fewest lower-priority pods, youngest first, and runs', async () => {
    // 3/8 + 3/8 of the CPUs; low-2 starts at least a second after low-1.
    await k.create(podYaml('low-1', eighths(3), 'low'));
    await running('low-1');
    await k.create(podYaml('low-2', eighths(3), 'low'));
    await running('low-2');
    // 4/8: one low pod must go, and the one that ran longer is kept.
    await k.create(podYaml('high', eighths(4), 'high'));
    const high = await running('high');
    await gone('low-2');
    const low1 = await pod('low-1');
    assert.equal(low1?.status?.phase, 'Running');
    assert.equal(low1?.metadata?.deletionTimestamp, undefined);

    const preempted = await eventually('the Preempted event of low-2', async () => (await eventsOf('low-2')).find((e) => e.reason === 'Preempted'));
    assert.equal(preempted.message, `Preempted by pod ${high.metadata.uid} on node ${NODE}`);
    assert.equal(preempted.type, 'Normal');
    assert.equal(preempted.reportingComponent, 'default-scheduler');
    // Preemption succeeded: the FailedScheduling event has no preemption verdict.
    assert.equal(await failedScheduling('high'), '0/1 nodes are available: 1 Insufficient cpu.');
    await cleanUp();
  });

  it('Scheduler, Preemption for critical pod', async () => {
    await k.create(podYaml('low-1', eighths(6), 'low'));
    await running('low-1');
    await k.create(podYaml('critical', eighths(6), 'system-cluster-critical', { ns: 'kube-system' }));
    assert.equal(await k.ok('get', 'pod', 'critical', '-n', 'kube-system', '-o', 'jsonpath={.spec.priority}'), '2000000000');
    await running('critical', 'kube-system');
    await gone('low-1');
    await cleanUp();
  });

  /** A victim held by a finalizer (6/8 of the CPUs) and a pod of class `pc` preempting it (6/8). */
  const heldVictim = async (preemptor: string, pc: string) => {
    await k.create(podYaml('held', eighths(6), 'low', { finalizer: 'example.com/hold' }));
    await running('held');
    await k.create(podYaml(preemptor, eighths(6), pc));
    return eventually('held being deleted with DisruptionTarget', async () => {
      const p = await pod('held');
      return p?.metadata?.deletionTimestamp && p.status?.conditions?.some((c: Obj) => c.type === 'DisruptionTarget') ? p : undefined;
    });
  };
  const release = async () => {
    await k.ok('patch', 'pod', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    await gone('held');
  };

  it('Verify the DisruptionTarget condition is added to the preempted pod', async () => {
    const victim = await heldVictim('preemptor', 'high');
    const cond = victim.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.deepEqual(
      { status: cond.status, reason: cond.reason, message: cond.message },
      { status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' },
    );
    // The finalizer holds the victim: the preemptor waits, nominated to the node.
    await eventually('the preemptor nominated to the node', async () => (await pod('preemptor'))?.status?.nominatedNodeName === NODE);
    assert.equal((await pod('preemptor'))?.spec?.nodeName, undefined);
    await release();
    await running('preemptor');
    await cleanUp();
  });

  it('while its victims terminate, the room of a nominated pod is kept from lower-priority pods', async () => {
    await heldVictim('preemptor', 'high');
    await eventually('the preemptor nominated to the node', async () => (await pod('preemptor'))?.status?.nominatedNodeName === NODE);
    // 1/8 would fit beside the victim, but not beside the victim and the nominated pod.
    await k.create(podYaml('sneaky', eighths(1), 'low'));
    assert.equal(
      await failedScheduling('sneaky'),
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..',
    );
    assert.equal((await pod('sneaky'))?.spec?.nodeName, undefined);
    await release();
    await running('preemptor');
    await running('sneaky');
    await cleanUp();
  });

  it('preemptionPolicy Never: the pod waits instead of preempting', async () => {
    await k.ok('create', 'priorityclass', 'high-never', '--value=1000', '--preemption-policy=Never');
    await k.create(podYaml('low-1', eighths(6), 'low'));
    await running('low-1');
    await k.create(podYaml('polite', eighths(4), 'high-never'));
    assert.equal(await k.ok('get', 'pod', 'polite', '-o', 'jsonpath={.spec.preemptionPolicy}'), 'Never');
    assert.equal(await failedScheduling('polite'), '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..');
    assert.equal((await pod('low-1'))?.metadata?.deletionTimestamp, undefined);
    await k.ok('delete', 'pod', 'low-1', '--wait=false');
    await running('polite');
    await cleanUp();
  });
});
