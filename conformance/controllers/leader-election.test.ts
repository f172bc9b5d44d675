// End to end: two controller managers (in this process, each its own HTTPS client from the
// kubeconfig) against `k8ts up --no-controllers`: one leads through the
// kube-system/kube-controller-manager Lease and runs the controllers; when it stops it
// releases the lease and the other takes over.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { startControllerManager, type ControllerManager } from '../../controllers/manager.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';
import { LEASES, recordFromLease } from '../../controllers/runtime/leaderelection.ts';
import { isNotFound } from '../../controllers/runtime/errors.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true };

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('controller manager leader election against k8ts up', () => {
  let k8ts: K8tsProcess;
  let client: ApiClient;
  const managers: ControllerManager[] = [];

  before(async () => {
    k8ts = await startK8ts({ args: ['--no-controllers'] });
    client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
  });

  after(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    client?.close();
    assert.equal(await k8ts?.stop(), 0);
  });

  const start = (identity: string) => {
    const m = startControllerManager({
      client: loadKubeconfig(k8ts.kubeconfig),
      identity,
      leaseDurationSeconds: 4,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
      controllers: ['serviceaccount'],
    });
    managers.push(m);
    return m;
  };
  const holder = async () => recordFromLease(await client.get(LEASES, 'kube-system', 'kube-controller-manager'));
  const hasSa = (ns: string) => client.get(SERVICEACCOUNTS, ns, 'default').then(
    () => true,
    (err) => (isNotFound(err) ? false : Promise.reject(err)),
  );

  it('without a controller manager nothing creates service accounts', async () => {
    await client.create(NAMESPACES, undefined, { metadata: { name: 'le-before' } });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await hasSa('le-before'), false);
  });

  it('one of two managers leads and runs the controllers; the other takes over when it stops', async () => {
    const a = start('manager-a');
    await a.whenRunning();
    assert.equal(a.isLeader(), true);
    const b = start('manager-b');
    await eventually('service account in the namespace created before', () => hasSa('le-before'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(b.isLeader(), false, 'b waits');
    assert.equal((await holder()).holderIdentity, 'manager-a');

    await a.stop();
    const released = await holder();
    assert.ok(released.holderIdentity === '' || released.holderIdentity === 'manager-b', `released: ${JSON.stringify(released)}`);
    await b.whenRunning();
    assert.equal(b.isLeader(), true);
    const rec = await holder();
    assert.equal(rec.holderIdentity, 'manager-b');
    assert.equal(rec.leaseTransitions, 1);
    await client.create(NAMESPACES, undefined, { metadata: { name: 'le-after' } });
    await eventually('service account created by the new leader', () => hasSa('le-after'));
  });
});
