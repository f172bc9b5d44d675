import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './checker.ts';
import { UNKNOWN, type Operation } from './history.ts';
import { kv, kvModel, kvOut, type KvInput, type KvOutput, type Model } from './model.ts';
import { SeededRandom } from '../raft/rand.ts';
import { bruteForceLinearizable, randomKvHistory, type KvOperation } from './testing.ts';

/** An operation on client c over [call, ret]; `ret` omitted: never returned. */
function op(c: number, input: KvInput, output: KvOutput | typeof UNKNOWN, call: number, ret = Infinity): KvOperation {
  return { clientId: c, input, output, call, return: ret };
}

const check = (h: KvOperation[]) => checkOperations(kvModel, h);
const accepts = (h: KvOperation[]) => assert.equal(check(h).result, 'ok', 'expected linearizable');
const rejects = (h: KvOperation[]) => {
  const r = check(h);
  assert.equal(r.result, 'illegal', 'expected not linearizable');
  return r.info!;
};

// ---------------------------------------------------------------------------------------
// Linearizable histories.

test('empty and sequential histories are linearizable', () => {
  accepts([]);
  accepts([
    op(1, kv.get('x'), kvOut.get(null), 0, 1),
    op(1, kv.put('x', 'a'), kvOut.put(), 2, 3),
    op(2, kv.get('x'), kvOut.get('a'), 4, 5),
    op(1, kv.cas('x', 'a', 'b'), kvOut.cas(true), 6, 7),
    op(2, kv.cas('x', 'a', 'c'), kvOut.cas(false), 8, 9),
    op(2, kv.put('x', 'd'), kvOut.put('b'), 10, 11),
    op(1, kv.delete('x'), kvOut.delete(true), 12, 13),
    op(1, kv.delete('x'), kvOut.delete(false), 14, 15),
    op(2, kv.cas('x', null, 'e'), kvOut.cas(true), 16, 17),
    op(1, kv.get('x'), kvOut.get('e'), 18, 19),
  ]);
});

test('concurrent overlapping writes: either order may be visible', () => {
  for (const winner of ['a', 'b']) {
    accepts([
      op(1, kv.put('x', 'a'), kvOut.put(), 0, 10),
      op(2, kv.put('x', 'b'), kvOut.put(), 1, 9),
      op(3, kv.get('x'), kvOut.get(winner), 11, 12),
      op(1, kv.get('x'), kvOut.get(winner), 13, 14),
    ]);
  }
  // ...and a read during both may see the first before the second lands.
  accepts([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 10),
    op(2, kv.put('x', 'b'), kvOut.put(), 1, 9),
    op(3, kv.get('x'), kvOut.get('a'), 2, 3),
    op(3, kv.get('x'), kvOut.get('b'), 4, 5),
  ]);
});

test('a read concurrent with a write may see the old or the new value', () => {
  for (const seen of [null, 'a']) {
    accepts([
      op(1, kv.put('x', 'a'), kvOut.put(), 0, 10),
      op(2, kv.get('x'), kvOut.get(seen), 2, 8),
      op(2, kv.get('x'), kvOut.get('a'), 11, 12),
    ]);
  }
  // The old value may be read after the new one was, as long as the reads overlap.
  accepts([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 10),
    op(2, kv.get('x'), kvOut.get('a'), 1, 6),
    op(3, kv.get('x'), kvOut.get(null), 2, 7),
  ]);
});

test('a timed-out put may or may not have taken effect, even long after the client gave up', () => {
  // Did not take effect.
  accepts([op(1, kv.put('x', 'a'), UNKNOWN, 0), op(2, kv.get('x'), kvOut.get(null), 5, 6), op(2, kv.get('x'), kvOut.get(null), 7, 8)]);
  // Took effect.
  accepts([op(1, kv.put('x', 'a'), UNKNOWN, 0), op(2, kv.get('x'), kvOut.get('a'), 5, 6)]);
  // Took effect late: after a later put, and after reads that did not see it.
  accepts([
    op(1, kv.put('x', 'a'), UNKNOWN, 0),
    op(2, kv.put('x', 'b'), kvOut.put(), 2, 3),
    op(2, kv.get('x'), kvOut.get('b'), 4, 5),
    op(3, kv.get('x'), kvOut.get('a'), 6, 7),
  ]);
  // A timed-out CAS, delete and get.
  accepts([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(1, kv.cas('x', 'a', 'b'), UNKNOWN, 2),
    op(2, kv.delete('x'), UNKNOWN, 3),
    op(3, kv.get('x'), UNKNOWN, 4),
    op(4, kv.get('x'), kvOut.get('b'), 5, 6),
    op(4, kv.get('x'), kvOut.get(null), 7, 8),
  ]);
});

test('operations on different keys are independent', () => {
  accepts([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(2, kv.put('y', 'b'), kvOut.put(), 0, 1),
    op(1, kv.get('y'), kvOut.get('b'), 2, 3),
    op(2, kv.get('x'), kvOut.get('a'), 2, 3),
    op(3, kv.get('z'), kvOut.get(null), 2, 3),
  ]);
});

test('equal timestamps count as concurrent', () => {
  accepts([op(1, kv.put('x', 'a'), kvOut.put(), 0, 5), op(2, kv.get('x'), kvOut.get(null), 5, 6)]);
  rejects([op(1, kv.put('x', 'a'), kvOut.put(), 0, 5), op(2, kv.get('x'), kvOut.get(null), 5.5, 6)]);
});

// ---------------------------------------------------------------------------------------
// Non-linearizable histories.

test('stale read after a completed write', () => {
  const info = rejects([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(1, kv.put('x', 'b'), kvOut.put(), 2, 3),
    op(2, kv.get('x'), kvOut.get('a'), 4, 5),
  ]);
  assert.equal(info.violation, 2);
  // All three: if either put were relaxed to "may or may not have happened", "a" could be read.
  assert.deepEqual(info.core, [0, 1, 2]);
  assert.ok(info.coreMinimal);
  assert.deepEqual(info.longestPrefix, [0, 1]);
  assert.equal(info.prefixState, '"b"');
  assert.deepEqual(info.possibleStates, ['"b"']);
  assert.deepEqual(info.concurrent, []);
  assert.match(info.explanation, /cannot be linearized:\n    #2 client 2 \[4, 5\] get\("x"\) -> "a"/);
});

test('new-old inversion: two reads observe a write in opposite orders', () => {
  const info = rejects([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(1, kv.put('x', 'b'), kvOut.put(), 2, 50),
    op(2, kv.get('x'), kvOut.get('b'), 10, 11),
    op(3, kv.get('x'), kvOut.get('a'), 20, 21),
  ]);
  assert.equal(info.violation, 3);
  // put b need not have completed: once read, it cannot be un-read.
  assert.deepEqual(info.core, [0, 2, 3]);
});

test('a read returning a value never written', () => {
  const info = rejects([op(1, kv.put('x', 'a'), kvOut.put(), 0, 1), op(2, kv.get('x'), kvOut.get('zzz'), 0, 3)]);
  assert.deepEqual(info.core, [1]);
  // Also with only timed-out writes around.
  rejects([op(1, kv.put('x', 'a'), UNKNOWN, 0), op(2, kv.get('x'), kvOut.get('b'), 1, 2)]);
});

test('CAS succeeding twice from the same expected value', () => {
  rejects([op(1, kv.cas('x', null, 'a'), kvOut.cas(true), 0, 10), op(2, kv.cas('x', null, 'b'), kvOut.cas(true), 1, 11)]);
  rejects([
    op(1, kv.put('x', '0'), kvOut.put(), 0, 1),
    op(1, kv.cas('x', '0', 'a'), kvOut.cas(true), 2, 3),
    op(2, kv.cas('x', '0', 'b'), kvOut.cas(true), 4, 5),
  ]);
});

test('the explanation lists every state possible before the violation', () => {
  const info = rejects([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 10),
    op(2, kv.put('x', 'b'), kvOut.put(), 1, 10),
    op(3, kv.delete('x'), kvOut.delete(), 2, 10),
    op(4, kv.get('x'), kvOut.get('c'), 11, 12),
  ]);
  assert.equal(info.violation, 3);
  assert.deepEqual(info.possibleStates.slice().sort(), ['"a"', '"b"', 'absent']);
  assert.deepEqual(info.core, [3]);
  assert.equal(info.longestPrefix.length, 3);
});

test('a value reappearing after a completed delete', () => {
  rejects([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(1, kv.delete('x'), kvOut.delete(), 2, 3),
    op(2, kv.get('x'), kvOut.get('a'), 4, 5),
  ]);
  rejects([
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(1, kv.delete('x'), kvOut.delete(), 2, 3),
    op(2, kv.get('x'), kvOut.get(null), 4, 5),
    op(2, kv.get('x'), kvOut.get('a'), 6, 7),
  ]);
});

test('lost update: two read-modify-write increments both succeed from the same value', () => {
  rejects([
    op(1, kv.put('n', '0'), kvOut.put(), 0, 1),
    op(1, kv.get('n'), kvOut.get('0'), 2, 3),
    op(2, kv.get('n'), kvOut.get('0'), 2, 3),
    op(1, kv.cas('n', '0', '1'), kvOut.cas(true), 4, 8),
    op(2, kv.cas('n', '0', '1'), kvOut.cas(true), 5, 9),
    op(3, kv.get('n'), kvOut.get('1'), 10, 11),
  ]);
  // With blind puts that report the previous value (etcd prevKv): both saw the same one.
  rejects([
    op(1, kv.put('n', '0'), kvOut.put(), 0, 1),
    op(1, kv.put('n', 'a'), kvOut.put('0'), 2, 6),
    op(2, kv.put('n', 'b'), kvOut.put('0'), 3, 7),
  ]);
});

test('a timed-out operation cannot take effect before it was called, nor make a definite result unknown', () => {
  rejects([op(2, kv.get('x'), kvOut.get('a'), 0, 1), op(1, kv.put('x', 'a'), UNKNOWN, 2)]);
  // delete reported the key absent although a completed put created it.
  rejects([op(1, kv.put('x', 'a'), kvOut.put(), 0, 1), op(2, kv.delete('x'), kvOut.delete(false), 2, 3)]);
});

test('the failing key is reported; other keys do not matter', () => {
  const r = check([
    op(1, kv.put('y', 'a'), kvOut.put(), 0, 1),
    op(1, kv.put('x', 'a'), kvOut.put(), 0, 1),
    op(2, kv.get('y'), kvOut.get('a'), 2, 3),
    op(2, kv.get('x'), kvOut.get(null), 4, 5),
  ]);
  assert.equal(r.result, 'illegal');
  assert.deepEqual(r.info!.partitionOperations, [1, 3]);
  assert.equal(r.info!.partitions, 2);
  assert.equal(r.stats.partitions, 2);
});

test('malformed histories are errors', () => {
  assert.throws(() => check([op(1, kv.get('x'), kvOut.get(null), 5, 4)]), /before it is called/);
  assert.throws(() => check([op(1, kv.get('x'), kvOut.put(), 0, 1)]), /get operation with a put output/);
});

test('a search that runs out of time says unknown', () => {
  // 60 concurrent puts then a read of a value never written: proving this illegal means
  // trying every subset of the puts.
  const h: KvOperation[] = [];
  for (let i = 0; i < 60; i++) h.push(op(i, kv.put('x', `v${i}`), kvOut.put(), 0, 100));
  h.push(op(99, kv.get('x'), kvOut.get('nope'), 50, 200));
  const r = checkOperations(kvModel, h, { timeoutMs: 50 });
  assert.equal(r.result, 'unknown');
  assert.equal(r.info, undefined);
});

test('many timed-out writes do not blow up the search of an illegal history', () => {
  const h = randomKvHistory({ seed: 7, operations: 400, clients: 5, keys: 1, pendingRate: 0.15 });
  assert.equal(check(h).result, 'ok');
  const last = h.length;
  const written = h.filter((o) => o.input.kind === 'put' && o.return !== Infinity);
  const w = written[written.length - 1]!;
  // A completed put after everything, then a read of a value overwritten by it.
  h.push(op(1, kv.put('k0', 'final'), kvOut.put(), 1e9, 1e9 + 1));
  h.push(op(2, kv.get('k0'), kvOut.get((w.input as { value: string }).value), 1e9 + 2, 1e9 + 3));
  const r = checkOperations(kvModel, h, { timeoutMs: 10_000 });
  assert.equal(r.result, 'illegal');
  assert.equal(r.info!.violation, last + 1);
  assert.deepEqual(r.info!.possibleStates, ['"final"']);
  // With everything else "may or may not have happened", w, then the final put, then the read.
  for (const i of [h.indexOf(w), last, last + 1]) assert.ok(r.info!.core.includes(i), `core ${r.info!.core}`);
});

test('a model without partition or hash works (memoization by equal only)', () => {
  type S = number;
  const counter: Model<S, 'inc' | 'read', number | null> = {
    init: () => 0,
    step: (s, input, output) => (input === 'inc' ? [true, s + 1] : [output === UNKNOWN || output === s, s]),
  };
  const c = (id: number, input: 'inc' | 'read', output: number | null | typeof UNKNOWN, call: number, ret = Infinity): Operation<'inc' | 'read', number | null> => ({
    clientId: id,
    input,
    output,
    call,
    return: ret,
  });
  assert.equal(checkOperations(counter, [c(1, 'inc', null, 0, 5), c(2, 'inc', null, 1, 6), c(3, 'read', 2, 7, 8)]).result, 'ok');
  assert.equal(checkOperations(counter, [c(1, 'inc', null, 0, 5), c(2, 'inc', null, 1, 6), c(3, 'read', 1, 7, 8)]).result, 'illegal');
  assert.equal(checkOperations(counter, [c(1, 'inc', UNKNOWN, 0), c(2, 'inc', null, 1, 6), c(3, 'read', 2, 7, 8)]).result, 'ok');
});

// ---------------------------------------------------------------------------------------
// Randomized.

test('random linearizable-by-construction histories are accepted (by both searches)', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const h = randomKvHistory({ seed, operations: 300, clients: 1 + (seed % 6), keys: 1 + (seed % 4), pendingRate: seed % 3 === 0 ? 0.1 : 0 });
    for (const search of ['auto', 'depth-first', 'just-in-time'] as const) {
      assert.equal(checkOperations(kvModel, h, { search }).result, 'ok', `${search}, seed ${seed}`);
    }
  }
});

/**
 * Corrupts one completed read so that the result is certainly not linearizable: returns a
 * value written only by a completed write that a later completed write overwrote before
 * the read was called (stale), or written by an operation called after the read returned
 * (from the future), or never written. Returns the index of the read, or -1 if none fits.
 */
function corruptObservably(h: KvOperation[], rnd: SeededRandom): number {
  const reads = h.flatMap((o, i) => (o.input.kind === 'get' && o.return !== Infinity ? [i] : []));
  const definiteWrite = (o: KvOperation) =>
    o.return !== Infinity &&
    (o.input.kind === 'put' || o.input.kind === 'delete' || (o.input.kind === 'cas' && o.output !== UNKNOWN && o.output.kind === 'cas' && o.output.ok));
  for (let tries = 0; tries < 50 && reads.length > 0; tries++) {
    const g = h[rnd.pick(reads)]!;
    const seen = g.output !== UNKNOWN && g.output.kind === 'get' ? g.output.value : null;
    const writers = h.filter((o) => o.input.key === g.input.key && (o.input.kind === 'put' || o.input.kind === 'cas'));
    const choices: string[] = [];
    for (const w of writers) {
      const v = (w.input as { value: string }).value;
      if (v === seen) continue;
      if (w.call > g.return) choices.push(v);
      else if (
        w.return !== Infinity &&
        h.some((w2) => w2.input.key === g.input.key && definiteWrite(w2) && w.return < w2.call && w2.return < g.call && w2 !== w)
      ) {
        choices.push(v);
      }
    }
    const kind = rnd.intn(3);
    const value = kind === 0 || choices.length === 0 ? `never-${tries}` : rnd.pick(choices);
    g.output = kvOut.get(value);
    return h.indexOf(g);
  }
  return -1;
}

test('random histories with one observably corrupted read are rejected', () => {
  const rnd = new SeededRandom(42);
  let rejected = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const h = randomKvHistory({ seed, operations: 300, clients: 1 + (seed % 6), keys: 1 + (seed % 4), pendingRate: seed % 3 === 0 ? 0.1 : 0 });
    const bad = corruptObservably(h, rnd);
    if (bad < 0) continue;
    const r = check(h);
    assert.equal(r.result, 'illegal', `seed ${seed}`);
    assert.ok(r.info!.core.includes(bad), `seed ${seed}: core ${r.info!.core} should include the corrupted read ${bad}`);
    rejected++;
  }
  assert.ok(rejected >= 35);
});

test('differential: agrees with a brute-force check of the definition on small random histories', () => {
  const rnd = new SeededRandom(2024);
  let legal = 0;
  let illegal = 0;
  for (let i = 0; i < 1500; i++) {
    const n = 2 + rnd.intn(7);
    const h = randomKvHistory({ seed: 1000 + i, operations: n, clients: 1 + rnd.intn(4), keys: 1 + rnd.intn(2), pendingRate: 0.2, latency: 5 });
    // Corrupt some outputs at random (sometimes harmlessly).
    for (const o of h) {
      if (o.output === UNKNOWN || !rnd.chance(0.15)) continue;
      if (o.output.kind === 'get') o.output = kvOut.get(rnd.pick([null, 'v0', 'v1', 'v2', 'v3']));
      else if (o.output.kind === 'cas') o.output = kvOut.cas(!o.output.ok);
      else if (o.output.kind === 'delete') o.output = kvOut.delete(rnd.chance(0.5));
    }
    const expected = bruteForceLinearizable(h);
    for (const search of ['depth-first', 'just-in-time'] as const) {
      assert.equal(checkOperations(kvModel, h, { search, explain: false }).result, expected ? 'ok' : 'illegal', `${search}, history ${i}: ${JSON.stringify(h)}`);
    }
    const r = check(h);
    assert.equal(r.result, expected ? 'ok' : 'illegal', `history ${i}: ${JSON.stringify(h)}`);
    if (expected) legal++;
    else {
      illegal++;
      // The core, with everything else relaxed, must itself be non-linearizable.
      const core = new Set(r.info!.core);
      const relaxedH = h.map((o, j): KvOperation => (core.has(j) ? o : { ...o, output: UNKNOWN, return: Infinity }));
      assert.equal(bruteForceLinearizable(relaxedH), false, `history ${i}: core ${[...core]} is not a witness`);
    }
  }
  assert.ok(legal > 300 && illegal > 300, `legal ${legal}, illegal ${illegal}`);
});

test('differential: both searches, with and without the KV normalization, agree on medium random histories', () => {
  const rnd = new SeededRandom(77);
  const plain: Model<string | null, KvInput, KvOutput> = { ...kvModel, normalize: undefined, overwrites: undefined };
  let legal = 0;
  let illegal = 0;
  for (let i = 0; i < 300; i++) {
    const h = randomKvHistory({
      seed: 5000 + i,
      operations: 20 + rnd.intn(40),
      clients: 2 + rnd.intn(5),
      keys: 1 + rnd.intn(2),
      pendingRate: rnd.pick([0, 0.1, 0.3]),
      latency: 5,
    });
    for (const o of h) {
      if (o.output === UNKNOWN || !rnd.chance(0.03)) continue;
      if (o.output.kind === 'get') o.output = kvOut.get(rnd.pick([null, `v${rnd.intn(h.length)}`]));
      else if (o.output.kind === 'cas') o.output = kvOut.cas(!o.output.ok);
      else if (o.output.kind === 'delete') o.output = kvOut.delete(!o.output.deleted);
    }
    const verdicts = [
      checkOperations(kvModel, h, { search: 'depth-first', explain: false, timeoutMs: 5000 }).result,
      checkOperations(kvModel, h, { search: 'just-in-time', explain: false, timeoutMs: 5000 }).result,
      checkOperations(plain, h, { search: 'depth-first', explain: false, timeoutMs: 5000 }).result,
      checkOperations(plain, h, { search: 'just-in-time', explain: false, timeoutMs: 5000 }).result,
    ];
    const decided = verdicts.filter((v) => v !== 'unknown');
    assert.ok(decided.length >= 2, `history ${i}: ${verdicts}`);
    assert.ok(
      decided.every((v) => v === decided[0]),
      `history ${i}: depth-first, just-in-time, plain depth-first, plain just-in-time: ${verdicts}`,
    );
    if (decided[0] === 'ok') legal++;
    else illegal++;
  }
  assert.ok(legal > 50 && illegal > 50, `legal ${legal}, illegal ${illegal}`);
});
