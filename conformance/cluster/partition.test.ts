// A 3-server k8ts store cluster (separate processes) whose peer links each go through a TCP
// proxy the test controls: cut every link of the leader (a blackhole: silence, no errors).
// The leader, now in a minority, cannot commit and steps down; the majority elects a leader
// in a higher term and commits; after healing, the old leader follows and catches up; no
// acknowledged write is lost and no two servers ever led in one term.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { K8tsCluster, WriteLoad, etcdClient, lostWrites } from '../support/k8ts-cluster.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('k8ts store cluster of 3 processes: the leader partitioned away', { timeout: 120_000 }, () => {
  let cluster: K8tsCluster;

  before(async () => {
    cluster = await K8tsCluster.start({ servers: 3, proxies: true });
  });

  after(async () => {
    await cluster?.destroy();
  });

  it('the minority-side leader cannot commit and steps down; the majority commits in a new term', async (t) => {
    const load = new WriteLoad({ writers: 4, endpoints: () => cluster.endpoints, prefix: '/load/', maxPuts: 20_000, maxMs: 60_000, putTimeoutMs: 5000 });
    let result;
    try {
      await load.waitAcks(100, 20_000);
      const old = await cluster.leader();
      const isolated = cluster.server(old.name);
      const majority = cluster.running().filter((s) => s !== isolated);

      const isolatedAt = Date.now();
      cluster.isolate(old.name);
      const minority = etcdClient(isolated.endpoint);
      // A write and a linearizable read on the isolated leader: neither may succeed.
      const put = minority.put('/partition/minority', 'must-not-commit', 4000).then(
        () => 'acked',
        (e: { details?: string }) => `failed: ${e.details}`,
      );
      const read = minority.get('/load/', { prefix: true, keysOnly: true, timeoutMs: 4000 }).then(
        () => 'answered',
        (e: { details?: string }) => `failed: ${e.details}`,
      );

      let steppedDownMs = Infinity;
      while (Date.now() - isolatedAt < 10_000) {
        const st = await isolated.status();
        if (st.raftState !== 'leader') {
          steppedDownMs = Date.now() - isolatedAt;
          break;
        }
        await sleep(20);
      }
      const now = await cluster.leader(10_000, majority);
      const c = etcdClient(majority[0]!.endpoint);
      await c.put('/partition/majority', 'committed', 5000);
      const putOutcome = await put;
      const readOutcome = await read;
      const onMajority = await c.get('/partition/minority');
      t.diagnostic(`leader ${old.name} (term ${old.status.term}) isolated; it stepped down after ${steppedDownMs} ms; ${now.name} leads in term ${now.status.term}; the isolated leader's put: ${putOutcome}; its read: ${readOutcome}`);
      assert.ok(steppedDownMs <= 5000, `the isolated leader stepped down after ${steppedDownMs} ms`);
      assert.ok(now.status.term > old.status.term, 'the majority leads in a higher term');
      assert.match(putOutcome, /^failed/, 'a write on the minority side was acknowledged');
      assert.match(readOutcome, /^failed/, 'a linearizable read on the minority side was answered');
      assert.deepEqual(onMajority, [], 'the minority write is not on the majority side');
      await load.waitAcks(50, 20_000); // the majority goes on

      cluster.heal();
      const healedAt = Date.now();
      const back = await cluster.leader(15_000);
      const st = await cluster.waitApplied(isolated, back.status.commit, 15_000);
      t.diagnostic(`healed: ${isolated.name} follows ${st.leaderName} in term ${st.term} after ${Date.now() - healedAt} ms`);
      assert.equal(st.leaderName, back.name);
      assert.equal((await minority.get('/partition/majority'))[0]?.value, 'committed');
      minority.close();
      c.close();
    } finally {
      result = await load.stop();
    }

    const leader = await cluster.leader();
    for (const s of cluster.running()) {
      await cluster.waitApplied(s, leader.status.commit);
      const c = etcdClient(s.endpoint);
      const kvs = await c.get('/load/', { prefix: true, serializable: true });
      c.close();
      assert.deepEqual(lostWrites(result.acked, kvs), [], `acked writes missing on ${s.name}`);
    }
    t.diagnostic(`${result.acked.size} writes acked, ${result.failed} failed (outcome unknown), 0 acked writes lost`);
    assert.deepEqual(cluster.twoLeaderTerms(), [], 'two leaders in one term');
    t.diagnostic(`leadership claims observed: ${JSON.stringify([...new Set(cluster.claims.map((c) => `${c.name}@${c.term}`))])}`);
  });
});
