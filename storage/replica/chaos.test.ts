// Randomized faults on an in-process 3-replica cluster, checked for linearizability:
// clients run get/put/delete/compare-and-swap through random members while members are
// closed and reopened (the leader too), leadership is transferred and logs are compacted
// into snapshots. Every acknowledged operation must fit one linearizable order (Knossos-style
// checker in storage/linearizability/); requests that failed with a retryable error count
// as "may or may not have taken effect". Afterwards every member holds the same state.
//
//   CHAOS_MS=20000 CHAOS_SEED=7 npx tsx --test storage/replica/chaos.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { TestCluster } from './testing.ts';
import { SeededRandom } from '../raft/rand.ts';
import { HistoryRecorder } from '../linearizability/history.ts';
import { checkOperations } from '../linearizability/checker.ts';
import { kvModel, type KvInput, type KvOutput } from '../linearizability/model.ts';
import { isStoreError } from '../errors.ts';
import { prefixEnd } from '../bytes.ts';
import type { ReplicatedStore } from './replicated-store.ts';

const DURATION_MS = Number(process.env['CHAOS_MS'] ?? 8000);
const SEED = Number(process.env['CHAOS_SEED'] ?? Date.now() % 100000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`linearizable under member restarts, leader changes and snapshots (seed ${SEED}, ${DURATION_MS} ms)`, { timeout: DURATION_MS + 120_000 }, async () => {
  const rnd = new SeededRandom(SEED);
  const c = await TestCluster.start(3, { requestTimeoutMs: 3000, noLeaderTimeoutMs: 1500, snapshotEntries: 50, snapshotCatchUpEntries: 10 });
  const h = new HistoryRecorder<KvInput, KvOutput>(() => performance.now());
  const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `/chaos/${k}`);
  let stop = false;
  let counter = 0;
  const counts = { ok: 0, unknown: 0, failed: 0 };
  const faults: string[] = [];
  try {
    await c.leader();
    const pick = (): ReplicatedStore | undefined => {
      const running = c.running();
      return running.length === 0 ? undefined : running[rnd.intn(running.length)];
    };
    const client = async (id: number) => {
      while (!stop) {
        const store = pick();
        if (!store) {
          await sleep(10);
          continue;
        }
        const key = keys[rnd.intn(keys.length)]!;
        const r = rnd.next();
        let input: KvInput;
        if (r < 0.4) input = { kind: 'get', key };
        else if (r < 0.7) input = { kind: 'put', key, value: `v${counter++}` };
        else if (r < 0.8) input = { kind: 'delete', key };
        else input = { kind: 'cas', key, expected: rnd.chance(0.3) ? null : `v${Math.max(0, counter - 1 - rnd.intn(8))}`, value: `v${counter++}` };
        const call = h.call(id, input);
        try {
          let output: KvOutput;
          switch (input.kind) {
            case 'get': {
              const g = await store.range(input.key);
              output = { kind: 'get', value: g.kvs[0] ? g.kvs[0].value.toString() : null };
              break;
            }
            case 'put': {
              const p = await store.put(input.key, input.value, { prevKv: true });
              output = { kind: 'put', prev: p.prevKv ? p.prevKv.value.toString() : null };
              break;
            }
            case 'delete': {
              const d = await store.delete(input.key);
              output = { kind: 'delete', deleted: d.deleted > 0 };
              break;
            }
            case 'cas': {
              const t = await store.txn({
                compare: [
                  input.expected === null
                    ? { key: input.key, target: 'version', result: '=', value: 0 }
                    : { key: input.key, target: 'value', result: '=', value: input.expected },
                ],
                success: [{ type: 'put', key: input.key, value: input.value }],
              });
              output = { kind: 'cas', ok: t.succeeded };
              break;
            }
          }
          h.ok(call, output);
          counts.ok++;
        } catch (e) {
          // Retryable errors and a member closed under the request: outcome unknown.
          if (isStoreError(e, 'unavailable') || isStoreError(e, 'closed')) {
            h.timeout(call);
            counts.unknown++;
          } else {
            throw e;
          }
        }
      }
    };
    const nemesis = async () => {
      const down = new Set<string>();
      while (!stop) {
        await sleep(300 + rnd.intn(700));
        if (stop) break;
        const action = rnd.next();
        try {
          if (action < 0.45 && down.size === 0) {
            const st = c.running().map((s) => s.replicaStatus());
            const leader = st.find((s) => s.raftState === 'leader')?.name;
            const victim = rnd.chance(0.5) && leader ? leader : c.names[rnd.intn(c.names.length)]!;
            faults.push(`stop ${victim}${victim === leader ? ' (leader)' : ''}`);
            down.add(victim);
            await c.stop(victim);
            const back = rnd.chance(0.3) ? 2000 + rnd.intn(2000) : 200 + rnd.intn(1500);
            setTimeout(() => {
              void c
                .open(victim)
                .then(() => faults.push(`restart ${victim}`))
                .catch((e: unknown) => faults.push(`restart ${victim} failed: ${String(e)}`))
                .finally(() => down.delete(victim));
            }, back);
          } else if (action < 0.7) {
            const target = c.names[rnd.intn(c.names.length)]!;
            const s = pick();
            if (s && c.stores.has(target)) {
              faults.push(`transfer to ${target}`);
              s.transferLeadership(target);
            }
          }
        } catch (e) {
          faults.push(`fault failed: ${String(e)}`);
        }
      }
      while (down.size > 0) await sleep(50);
    };
    const clients = Array.from({ length: 6 }, (_, i) => client(i));
    const nem = nemesis();
    await sleep(DURATION_MS);
    stop = true;
    await Promise.all([...clients, nem]);
    const ops = h.operations();
    const res = checkOperations(kvModel, ops, { timeoutMs: 60_000 });
    const stats = c.running().map((s) => `${s.replicaStatus().name}:${JSON.stringify(s.replicaStatus().stats)}`);
    console.log(`# chaos seed ${SEED}: ${ops.length} ops (${counts.ok} ok, ${counts.unknown} unknown); faults: ${faults.join(', ')}`);
    console.log(`# ${stats.join('\n# ')}`);
    assert.notEqual(res.result, 'illegal', `not linearizable: ${res.info?.explanation}`);
    assert.ok(counts.ok > 100, `only ${counts.ok} operations succeeded`);
    // Everyone converges on the same state.
    await c.leader(15000);
    const leader = c.store(await c.leader());
    await leader.put('/chaos/fence', 'x');
    await c.waitApplied(leader.replicaStatus().applied, 15000);
    const states = await Promise.all(
      c.running().map(async (s) => {
        const r = await s.range('/chaos/', { rangeEnd: prefixEnd('/chaos/'), serializable: true });
        return JSON.stringify([r.header.revision, r.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.modRevision, kv.version])]);
      }),
    );
    for (const st of states) assert.equal(st, states[0]);
  } finally {
    stop = true;
    await c.destroy();
  }
});
