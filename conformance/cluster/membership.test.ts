// Membership in practice: a running k8ts store cluster (separate processes) grows from 1 to
// 3 to 5 members and shrinks back to 3 and to 1 with `k8ts member add|promote|remove|list`
// (each new member is added as a learner, started with --join, caught up, then promoted)
// while writes flow; no acknowledged write is lost.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { K8tsCluster, K8TS_BIN, WriteLoad, etcdClient, lostWrites, type ServerProcess } from '../support/k8ts-cluster.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function k8ts(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [K8TS_BIN, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('k8ts store cluster membership: 1 → 3 → 5 → 3 → 1 with k8ts member', { timeout: 240_000 }, () => {
  let cluster: K8tsCluster;
  const removed = new Set<string>();

  before(async () => {
    cluster = await K8tsCluster.start({ servers: 1 });
  });

  after(async () => {
    await cluster?.destroy();
  });

  const members = () => cluster.running().filter((s) => !removed.has(s.name));
  const endpoints = () => members().map((s) => s.endpoint).join(',');
  const member = async (...args: string[]) => {
    const r = await k8ts(['member', ...args, '--endpoints', endpoints()]);
    assert.equal(r.code, 0, `k8ts member ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** `k8ts member list` as rows: name → role. */
  const list = async () => {
    const out = await member('list');
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+ID\s+ROLE\s+PEER ADDRESS\s+CLIENT URLS$/);
    return new Map(lines.slice(1).map((l) => l.split(/\s+/)).map((f) => [f[0]!, { role: f[2]!, peer: f[3]! }]));
  };
  const expectMembers = async (names: string[]) => {
    const rows = await list();
    assert.deepEqual([...rows.keys()].sort(), [...names].sort(), 'members');
    assert.equal([...rows.values()].filter((r) => r.role === 'leader').length, 1, `one leader: ${JSON.stringify([...rows])}`);
    for (const [name, r] of rows) {
      assert.notEqual(r.role, 'learner', `${name} is a voter`);
      assert.equal(r.peer, cluster.server(name).peer);
    }
  };

  it('grows and shrinks while writes flow; no acked write is lost', async (t) => {
    const load = new WriteLoad({ writers: 4, endpoints: () => members().map((s) => s.endpoint), prefix: '/load/', maxPuts: 50_000, maxMs: 200_000, putTimeoutMs: 8000 });
    let result;
    try {
      await load.waitAcks(50, 20_000);
      await expectMembers(['s1']);
      const grow = async (name: string) => {
        const s: ServerProcess = await cluster.newMember(name);
        const out = await member('add', name, s.peer, '--learner');
        assert.match(out, new RegExp(`^Member ${name} \\([0-9a-f]+\\) added as a learner\\.\\n`));
        assert.match(out, new RegExp(`k8ts server --name ${name} --join --peers \\S*${name}=${s.peer.replace(/\./g, '\\.')}`));
        const rows = await list();
        assert.equal(rows.get(name)?.role, 'learner');
        await s.start();
        assert.match(await member('promote', name), new RegExp(`^Member ${name} \\([0-9a-f]+\\) promoted to a voter\\.\\n$`));
        await load.waitAcks(20, 20_000);
      };
      const shrink = async (name: string) => {
        const s = cluster.server(name);
        removed.add(name);
        assert.match(await member('remove', name), new RegExp(`^Member ${name} \\([0-9a-f]+\\) removed`));
        await s.stop();
        await load.waitAcks(20, 20_000);
      };
      const t0 = Date.now();
      await grow('s2');
      await grow('s3');
      await expectMembers(['s1', 's2', 's3']);
      t.diagnostic(`1 → 3 in ${Date.now() - t0} ms`);
      await grow('s4');
      await grow('s5');
      await expectMembers(['s1', 's2', 's3', 's4', 's5']);
      t.diagnostic(`3 → 5 at ${Date.now() - t0} ms`);
      // Hand leadership to s5 (etcd's MoveLeader), so that the shrink removes the leader.
      const c1 = etcdClient(cluster.server('s1').endpoint);
      const ml = (await c1.memberList()) as { members: Array<{ ID: string; name: string }> };
      await c1.call('Maintenance', 'MoveLeader', { targetID: ml.members.find((m) => m.name === 's5')!.ID });
      c1.close();
      const l5 = await cluster.leader();
      assert.equal(l5.name, 's5');
      t.diagnostic(`5 members, leader moved to ${l5.name} (term ${l5.status.term})`);
      // Shrink, the leader first: it hands leadership over before it goes.
      await shrink('s5');
      await shrink('s4');
      await expectMembers(['s1', 's2', 's3']);
      t.diagnostic(`5 → 3 at ${Date.now() - t0} ms`);
      await shrink('s3');
      await shrink('s2');
      await expectMembers(['s1']);
      t.diagnostic(`3 → 1 at ${Date.now() - t0} ms`);
      // Learner and member errors are etcd's.
      const stranger = await k8ts(['member', 'remove', 'nobody', '--endpoints', endpoints()]);
      assert.notEqual(stranger.code, 0);
      assert.match(stranger.stderr, /no member named nobody/);
    } finally {
      result = await load.stop();
    }
    const c = etcdClient(cluster.server('s1').endpoint);
    const kvs = await c.get('/load/', { prefix: true });
    c.close();
    assert.deepEqual(lostWrites(result.acked, kvs), [], 'acked writes lost');
    t.diagnostic(`${result.acked.size} writes acked, ${result.failed} failed (outcome unknown), 0 acked writes lost; errors: ${JSON.stringify([...result.errors])}`);
    assert.deepEqual(cluster.twoLeaderTerms(), [], 'two leaders in one term');
  });
});
