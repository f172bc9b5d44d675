// Three `k8ts server` processes each run a controller manager and a scheduler, leader-elected
// through the kube-system Leases: one of each is active. kill -9 of the process holding the
// controller manager's lease hands it to another process within 15 s, and the controllers
// work again (a new namespace gets its default ServiceAccount).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { K8tsCluster, type ServerProcess } from '../support/k8ts-cluster.ts';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';
import { LEASES, recordFromLease } from '../../controllers/runtime/leaderelection.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const SERVICEACCOUNTS = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true };
const TAKEOVER_LIMIT_MS = 15_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('leader election across k8ts server processes', { timeout: 180_000 }, () => {
  let cluster: K8tsCluster;
  const clients = new Map<string, ApiClient>();

  before(async () => {
    cluster = await K8tsCluster.start({ servers: 3, apiserver: true });
    for (const s of cluster.running()) clients.set(s.name, new ApiClient(loadKubeconfig(join(s.dataDir, 'kubeconfig'))));
  });

  after(async () => {
    for (const c of clients.values()) c.close();
    await cluster?.destroy();
  });

  /** The holder of kube-system/<lease> and the server process it names (`<host>_<member>_<uuid>`). */
  const holder = async (via: ServerProcess, lease: string): Promise<{ identity: string; server?: ServerProcess }> => {
    const rec = recordFromLease(await clients.get(via.name)!.get(LEASES, 'kube-system', lease));
    const server = cluster.running().find((s) => rec.holderIdentity.includes(`_${s.name}_`)) ?? [...cluster.servers.values()].find((s) => rec.holderIdentity.includes(`_${s.name}_`));
    return { identity: rec.holderIdentity, server };
  };

  const until = async <T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(200);
    }
  };

  it('one process leads each of kube-controller-manager and kube-scheduler; after kill -9 of the leader another takes over within 15 s', async () => {
    const [first] = cluster.running();
    const cm = await until('a controller-manager leader', 30_000, async () => {
      const h = await holder(first!, 'kube-controller-manager');
      return h.server ? h : undefined;
    });
    const sched = await until('a scheduler leader', 30_000, async () => {
      const h = await holder(first!, 'kube-scheduler');
      return h.server ? h : undefined;
    });
    // Every process runs both components, but only the lease holders are active.
    assert.equal(cluster.running().length, 3);

    const victim = cm.server!;
    const survivor = cluster.running().find((s) => s !== victim)!;
    const killedAt = Date.now();
    await victim.kill();

    const newCm = await until('a new controller-manager leader', 30_000, async () => {
      const h = await holder(survivor, 'kube-controller-manager');
      return h.identity !== cm.identity && h.server && h.server !== victim ? h : undefined;
    });
    const cmTakeover = Date.now() - killedAt;
    console.log(`# controller manager: ${victim.name} killed, ${newCm.server!.name} leads after ${cmTakeover} ms`);
    assert.ok(cmTakeover <= TAKEOVER_LIMIT_MS, `takeover took ${cmTakeover} ms`);

    if (sched.server === victim) {
      const newSched = await until('a new scheduler leader', 30_000, async () => {
        const h = await holder(survivor, 'kube-scheduler');
        return h.identity !== sched.identity && h.server && h.server !== victim ? h : undefined;
      });
      const schedTakeover = Date.now() - killedAt;
      console.log(`# scheduler: ${newSched.server!.name} leads after ${schedTakeover} ms`);
      assert.ok(schedTakeover <= TAKEOVER_LIMIT_MS + 2_000, `scheduler takeover took ${schedTakeover} ms`);
    }

    // The new leader's controllers run: a new namespace gets its default ServiceAccount.
    const api = clients.get(survivor.name)!;
    await api.create(NAMESPACES, undefined, { metadata: { name: 'after-failover' } });
    await until('the default ServiceAccount from the new leader', 30_000, () => api.get(SERVICEACCOUNTS, 'after-failover', 'default'));
  });
});
