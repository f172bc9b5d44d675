import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { storageWith } from './helpers.ts';
import { Network, SafetyViolation } from './network.ts';
import type { NetworkEvent } from './network.ts';
import { runChaos } from './chaos.ts';

function digest(net: Network, run: () => void): string {
  const h = createHash('sha256');
  net.subscribe((ev: NetworkEvent) => {
    const env = 'env' in ev ? ev.env : undefined;
    h.update(`${net.now}|${ev.type}|${'id' in ev ? ev.id : ''}|${env ? `${env.seq}:${env.from}>${env.to}:${env.msg.type}:${env.msg.term}:${env.msg.index ?? ''}` : ''}\n`);
  });
  run();
  return h.digest('hex');
}

function chaoticRun(seed: number): string {
  const net = new Network({ seed, voters: [1, 2, 3, 4, 5], dropRate: 0.1, duplicateRate: 0.1, reorder: true, config: { preVote: true } });
  return digest(net, () => {
    for (let t = 0; t < 3000; t += 37) net.at(t, () => net.leader() !== undefined && net.tryPropose(net.leader()!, `p${t}`));
    net.at(1000, () => net.isolate(2));
    net.at(1500, () => net.crash(3));
    net.at(2000, () => {
      net.heal();
      net.restart(3);
    });
    net.runFor(4000);
  });
}

test('network: the same seed replays the same run event for event; another seed does not', () => {
  assert.equal(chaoticRun(42), chaoticRun(42));
  assert.notEqual(chaoticRun(42), chaoticRun(43));
});

test('network: in virtual time nodes tick every tickMs, elect a leader, and at() runs callbacks at their time', () => {
  const net = new Network({ seed: 1, voters: [1, 2, 3], tickMs: 10 });
  assert.equal(net.runUntil(() => net.leader() !== undefined, 1000), true);
  assert.ok(net.now >= 90 && net.now < 300, `elected at ${net.now}ms`); // ≥ 10 ticks of 10ms after a random phase
  const seen: number[] = [];
  net.at(net.now + 50, () => seen.push(net.now));
  net.after(20, () => seen.push(net.now));
  const start = net.now;
  net.runFor(100);
  assert.deepEqual(seen, [start + 20, start + 50]);
  assert.equal(net.now, start + 100);
});

test('network: partition, isolate, cutOneWay and heal decide which messages get through', () => {
  const net = new Network({ seed: 2, voters: [1, 2, 3, 4, 5] });
  net.elect(1);
  net.stabilize();
  const drops: string[] = [];
  net.subscribe((ev) => {
    if (ev.type === 'drop') drops.push(`${ev.env.from}>${ev.env.to}:${ev.reason}`);
  });
  net.partition([1, 2], [3]); // 4 and 5 form a third group
  net.tickAll();
  net.stabilize();
  assert.deepEqual(drops.sort(), ['1>3:partition', '1>4:partition', '1>5:partition']);
  drops.length = 0;
  net.heal();
  net.cutOneWay(1, 2);
  net.tickAll();
  net.stabilize();
  assert.deepEqual(drops, ['1>2:partition']);
  drops.length = 0;
  net.heal();
  net.isolate(5);
  net.propose(1, 'x');
  net.stabilize();
  assert.deepEqual(net.applied(4), ['x']);
  assert.deepEqual(net.applied(5), []);
});

test('network: dropRate loses messages and duplicateRate delivers some twice', () => {
  const net = new Network({ seed: 3, voters: [1, 2, 3], dropRate: 0.3, duplicateRate: 0.3 });
  let sent = 0;
  let lost = 0;
  let delivered = 0;
  net.subscribe((ev) => {
    if (ev.type === 'send') sent++;
    if (ev.type === 'drop' && ev.reason === 'loss') lost++;
    if (ev.type === 'deliver') delivered++;
  });
  assert.equal(net.runUntil(() => net.leader() !== undefined, 5000), true, 'a leader despite the losses');
  for (let i = 0; i < 50; i++) net.at(net.now + i * 20, () => net.tryPropose(net.leader() ?? 1, `m${i}`));
  net.runFor(3000);
  assert.ok(lost > sent * 0.2 && lost < sent * 0.4, `lost ${lost} of ${sent}`);
  assert.ok(delivered > (sent - lost) * 1.15, `delivered ${delivered} of ${sent - lost} sent and not lost`);
});

test('network: crash loses volatile state; restart recovers term, vote, log and state machine from storage', () => {
  const net = new Network({ seed: 4, voters: [1, 2, 3], snapshotEvery: 3 });
  net.elect(1);
  for (let i = 0; i < 7; i++) net.propose(1, `c${i}`);
  net.stabilize();
  const before = net.raw(2).status().hardState;
  net.crash(2);
  assert.equal(net.node(2).up, false);
  assert.throws(() => net.raw(2));
  net.restart(2);
  assert.deepEqual(net.raw(2).status().hardState, before);
  assert.deepEqual(net.applied(2), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  net.propose(1, 'after');
  net.stabilize();
  assert.deepEqual(net.applied(2).at(-1), 'after');
});

test('network: the safety checks catch state machines that diverge and logs that do not match', () => {
  const diverged = (id: number) => {
    const s = storageWith([1, 2, 3]);
    s.append([{ index: 1, term: 1, type: 'normal', data: new Uint8Array(Buffer.from(id === 3 ? 'b' : 'a')) }]);
    s.setHardState({ term: 1, vote: 0, commit: 1 });
    return s;
  };
  const net = new Network({ seed: 5, voters: [1, 2, 3], bootstrap: 'index0', storage: diverged });
  assert.throws(() => net.stabilize(), SafetyViolation);
  const lax = new Network({ seed: 5, voters: [1, 2, 3], bootstrap: 'index0', strict: false, storage: diverged });
  lax.stabilize();
  lax.checkLogMatching();
  assert.match(lax.violations[0]!, /state machine safety: node 3/);
  assert.deepEqual(lax.violations.slice(1), ['log matching: nodes 1 and 3 differ at 1 below a common entry', 'log matching: nodes 2 and 3 differ at 1 below a common entry']);
});

test('randomized simulation: safety holds and the cluster recovers under loss, duplication, reordering, partitions, crashes, snapshots and membership changes', () => {
  const seeds = Number(process.env.SIM_SEEDS ?? 100);
  const first = Number(process.env.SIM_SEED ?? 1);
  for (let seed = first; seed < first + seeds; seed++) {
    const res = runChaos(seed, { durationMs: 8000 });
    assert.equal(res.converged, true, `seed ${seed} did not converge (config ${JSON.stringify(res.config)})`);
    assert.deepEqual(res.net.violations, [], `seed ${seed}`);
  }
});

test('randomized simulation with the production settings (PreVote and CheckQuorum on)', () => {
  const seeds = Number(process.env.SIM_SEEDS ?? 100);
  const first = Number(process.env.SIM_SEED ?? 1000);
  for (let seed = first; seed < first + seeds; seed++) {
    const res = runChaos(seed, { durationMs: 8000, preVote: true, checkQuorum: true });
    assert.equal(res.converged, true, `seed ${seed} did not converge (config ${JSON.stringify(res.config)})`);
  }
});
