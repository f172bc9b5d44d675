// End to end on `k8ts up --hollow-nodes 1` with the real kubectl: the two [sig-node] RuntimeClass
// conformance tests that need a scheduler (test/e2e/common/node/runtimeclass.go: a pod naming an
// existing RuntimeClass is scheduled, with the class's overhead on spec.overhead), the scheduler
// counting that overhead against the node, and `kubectl get` of node.k8s.io and the CSI kinds of
// storage.k8s.io with upstream's columns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startK8ts, upHasFlag, type K8tsProcess } from '../support/k8ts-process.ts';
import { KUBECTL, eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const skip = !existsSync(KUBECTL) ? `${KUBECTL} not installed` : !upHasFlag('--hollow-nodes') ? 'k8ts up has no --hollow-nodes' : false;

/** createRuntimeClass: handler `test-handler` (PreconfiguredRuntimeClassHandler), optional overhead. */
function runtimeClassYaml(name: string, overhead?: { cpu: string; memory: string }): string {
  return `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: ${name}}
handler: test-handler
${overhead ? `overhead: {podFixed: {cpu: "${overhead.cpu}", memory: "${overhead.memory}"}}\n` : ''}`;
}

/** e2eruntimeclass.NewRuntimeClassPod in namespace `ns`. */
function runtimeClassPodYaml(ns: string, rcName: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {generateName: test-runtimeclass-${rcName}-, namespace: ${ns}}
spec:
  runtimeClassName: ${rcName}
  restartPolicy: Never
  automountServiceAccountToken: false
  containers:
  - {name: test, image: busybox, command: ["true"]}
`;
}

describe('RuntimeClass scheduling and the node/storage kinds on k8ts up --hollow-nodes 1, with kubectl', { skip }, () => {
  let k8ts: K8tsProcess;
  const k = kubectlFor(() => k8ts);

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '1'] });
    await eventually('a Ready node', async () => (await k.items('nodes')).some((n) => n.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True')), 60_000);
  });

  after(async () => {
    await k8ts?.stop();
  });

  /** WaitForPodsWithLabelScheduled with an empty selector: every pod of the namespace has PodScheduled=True. */
  const scheduledPods = (ns: string) =>
    eventually(`the pods of ${ns} scheduled`, async () => {
      const pods = await k.items('pods', '-n', ns);
      const scheduled = (p: Obj) => p.status?.conditions?.some((c: Obj) => c.type === 'PodScheduled' && c.status === 'True');
      return pods.length > 0 && pods.every(scheduled) ? pods : undefined;
    }, 60_000);

  /** Creates the namespace, the RuntimeClass and its pod; returns the scheduled pod. */
  async function schedulePod(base: string, overhead?: { cpu: string; memory: string }): Promise<Obj> {
    const ns = `${base}-${Math.random().toString(36).slice(2, 7)}`;
    await k.ok('create', 'namespace', ns);
    const rcName = `${ns}-preconfigured-handler`;
    await k.create(runtimeClassYaml(rcName, overhead));
    const created = await k.create(runtimeClassPodYaml(ns, rcName));
    const pods = await scheduledPods(ns);
    assert.equal(pods.length, 1);
    assert.equal(`pod/${pods[0]!.metadata.name} created\n`, created);
    await k.ok('delete', 'runtimeclass', rcName);
    return pods[0]!;
  }

  test('Can schedule a pod requesting existing RuntimeClass.', async () => {
    const pod = await schedulePod('runtimeclass');
    assert.equal(pod.spec.nodeName, 'hollow-0');
    // Overhead should not be set.
    assert.equal(pod.spec.overhead, undefined);
  });

  test('RuntimeClass Overhead field must be respected.', async () => {
    const pod = await schedulePod('runtimeclass', { cpu: '10m', memory: '1Mi' });
    assert.deepEqual(pod.spec.overhead, { cpu: '10m', memory: '1Mi' });
  });

  test('the scheduler counts the pod overhead against the node', async () => {
    const node = (await k.items('nodes'))[0]!;
    const ns = `overhead-${Math.random().toString(36).slice(2, 7)}`;
    await k.ok('create', 'namespace', ns);
    const rcName = `${ns}-whole-node`;
    // The class's overhead alone is all the node has: with the pod's own 1m request it fits nowhere.
    await k.create(runtimeClassYaml(rcName, { cpu: node.status.allocatable.cpu, memory: '1Mi' }));
    await k.create(runtimeClassPodYaml(ns, rcName).replace('command: ["true"]', 'command: ["true"], resources: {requests: {cpu: 1m}}'));
    const message = await eventually('a FailedScheduling event', async () => {
      const events = await k.items('events', '-n', ns);
      return events.find((e) => e.reason === 'FailedScheduling')?.message as string | undefined;
    }, 60_000);
    assert.match(message, /Insufficient cpu/);
    await k.ok('delete', 'namespace', ns, '--wait=false');
    await k.ok('delete', 'runtimeclass', rcName);
  });

  test('kubectl gets RuntimeClasses and the CSI objects with upstream columns', async () => {
    await k.create(`${runtimeClassYaml('gvisor')}---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: hostpath.csi.k8s.io}
spec: {podInfoOnMount: true, volumeLifecycleModes: [Persistent, Ephemeral], tokenRequests: [{audience: vault}]}
---
apiVersion: storage.k8s.io/v1
kind: CSINode
metadata: {name: hollow-0}
spec:
  drivers: [{name: hostpath.csi.k8s.io, nodeID: hollow-0, topologyKeys: [topology.hostpath.csi/node]}]
---
apiVersion: storage.k8s.io/v1
kind: CSIStorageCapacity
metadata: {name: csisc-1, namespace: default}
storageClassName: standard
capacity: 1024Mi
---
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: va-1}
spec: {attacher: hostpath.csi.k8s.io, nodeName: hollow-0, source: {persistentVolumeName: pv-1}}
`);
    const table = async (...args: string[]) => (await k.ok('get', ...args)).trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    const [rcHead, rcRow] = await table('runtimeclass', 'gvisor');
    assert.deepEqual(rcHead, ['NAME', 'HANDLER', 'AGE']);
    assert.deepEqual(rcRow!.slice(0, 2), ['gvisor', 'test-handler']);

    const [driverHead, driverRow] = await table('csidrivers');
    assert.deepEqual(driverHead, ['NAME', 'ATTACHREQUIRED', 'PODINFOONMOUNT', 'STORAGECAPACITY', 'TOKENREQUESTS', 'REQUIRESREPUBLISH', 'MODES', 'AGE']);
    assert.deepEqual(driverRow!.slice(0, 7), ['hostpath.csi.k8s.io', 'true', 'true', 'false', 'vault', 'false', 'Persistent,Ephemeral']);

    const [nodeHead, nodeRow] = await table('csinodes');
    assert.deepEqual(nodeHead, ['NAME', 'DRIVERS', 'AGE']);
    assert.deepEqual(nodeRow!.slice(0, 2), ['hollow-0', '1']);

    const [capHead, capRow] = await table('csistoragecapacities', '-A');
    assert.deepEqual(capHead, ['NAMESPACE', 'NAME', 'STORAGECLASSNAME', 'CAPACITY']);
    assert.deepEqual(capRow, ['default', 'csisc-1', 'standard', '1Gi']);

    const [vaHead, vaRow] = await table('volumeattachments');
    assert.deepEqual(vaHead, ['NAME', 'ATTACHER', 'PV', 'NODE', 'ATTACHED', 'AGE']);
    assert.deepEqual(vaRow!.slice(0, 5), ['va-1', 'hostpath.csi.k8s.io', 'pv-1', 'hollow-0', 'false']);

    // Discovery-driven names kubectl resolves: the group-qualified plural and the kind.
    assert.match(await k.ok('get', 'runtimeclasses.node.k8s.io', '-o', 'name'), /^runtimeclass\.node\.k8s\.io\/gvisor$/m);
    assert.match(await k.ok('get', 'volumeattachment', 'va-1', '-o', 'jsonpath={.status.attached}'), /^false$/);
    assert.match(await k.ok('explain', 'runtimeclass.overhead'), /podFixed/);
  });
});
