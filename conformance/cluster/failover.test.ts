// A 3-server k8ts store cluster, each server a separate process (`k8ts server
// --no-apiserver`), under a bounded write load: kill -9 the leader; a new leader commits
// writes within 3 s; no acknowledged write is lost; the killed server restarts and catches
// up by snapshot (its log position is below what the others compacted: snapshots every 100
// entries, 20 kept); no two servers ever led in one term.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { K8tsCluster, WriteLoad, etcdClient, lostWrites } from '../support/k8ts-cluster.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const FAILOVER_LIMIT_MS = 3000;

describe('k8ts store cluster of 3 processes: kill -9 the leader', { timeout: 150_000 }, () => {
  let cluster: K8tsCluster;

  before(async () => {
    cluster = await K8tsCluster.start({ servers: 3, snapshotEntries: 100, snapshotCatchupEntries: 20 });
  });

  after(async () => {
    await cluster?.destroy();
  });

  it('a new leader commits within 3 s, no acked write is lost, the killed server catches up by snapshot', async (t) => {
    const load = new WriteLoad({ writers: 6, endpoints: () => cluster.endpoints, prefix: '/load/', maxPuts: 30_000, maxMs: 90_000 });
    let result;
    try {
      await load.waitAcks(300, 30_000);
      const old = await cluster.leader();
      const victim = cluster.server(old.name);
      const survivors = cluster.running().filter((s) => s !== victim);
      const before = await victim.status();

      // kill -9, then probe every survivor until a write commits.
      const clients = survivors.map((s) => etcdClient(s.endpoint));
      const killedAt = Date.now();
      await victim.kill();
      let firstCommit = 0;
      let probes = 0;
      // Every survivor is probed until one write commits (or 15 s pass).
      await Promise.all(
        clients.map(async (c, i) => {
          for (let n = 0; !firstCommit && Date.now() - killedAt < 15_000; n++) {
            probes++;
            try {
              await c.put(`/failover/probe/${i}/${n}`, 'x', 1000);
              firstCommit ||= Date.now();
            } catch {
              await sleep(10);
            }
          }
        }),
      );
      for (const c of clients) c.close();
      const failoverMs = firstCommit ? firstCommit - killedAt : Infinity;
      const now = await cluster.leader(10_000, survivors);
      t.diagnostic(`leader ${old.name} (term ${old.status.term}) killed; ${now.name} leads in term ${now.status.term}; first write committed ${failoverMs} ms after the kill (${probes} probes)`);
      assert.ok(failoverMs <= FAILOVER_LIMIT_MS, `a write committed ${failoverMs} ms after the leader was killed (limit ${FAILOVER_LIMIT_MS} ms)`);
      assert.ok(now.status.term > old.status.term, 'a new term');

      // Write on until the survivors have compacted their logs past where the victim stopped.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const st = await cluster.server(now.name).status();
        if (st.snapshotIndex - 20 > before.applied + 1) break;
        if (Date.now() > deadline) assert.fail(`the leader did not compact past ${before.applied} (snapshot at ${st.snapshotIndex})`);
        await sleep(100);
      }
      await victim.start();
      const target = (await cluster.server(now.name).status()).commit;
      const caught = await cluster.waitApplied(victim, target, 30_000);
      t.diagnostic(`${victim.name} restarted at applied ${before.applied}, caught up to ${caught.applied} with ${caught.stats.snapshotsReceived} snapshot(s)`);
      assert.ok(caught.stats.snapshotsReceived >= 1, 'the restarted server caught up by snapshot');

      await load.waitAcks(50, 20_000); // the load goes on through every server
    } finally {
      result = await load.stop();
    }

    // Every acknowledged write is on every server: linearizably on one, and locally on each.
    const leader = await cluster.leader();
    const c = etcdClient(cluster.server(leader.name).endpoint);
    const linear = await c.get('/load/', { prefix: true });
    c.close();
    assert.deepEqual(lostWrites(result.acked, linear), [], 'acked writes lost');
    for (const s of cluster.running()) {
      await cluster.waitApplied(s, leader.status.commit);
      const c = etcdClient(s.endpoint);
      const local = await c.get('/load/', { prefix: true, serializable: true });
      c.close();
      assert.deepEqual(lostWrites(result.acked, local), [], `acked writes missing on ${s.name}`);
    }
    t.diagnostic(`${result.acked.size} writes acked, ${result.failed} failed (outcome unknown), 0 acked writes lost; errors: ${JSON.stringify([...result.errors])}`);
    assert.deepEqual(cluster.twoLeaderTerms(), [], 'two leaders in one term');
    t.diagnostic(`leadership claims observed: ${JSON.stringify([...new Set(cluster.claims.map((c) => `${c.name}@${c.term}`))])}`);
  });
});
