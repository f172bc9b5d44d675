import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfChangeToConfState, confChangeProblem } from './confchange.ts';
import { Inflights, Progress, ProgressTracker } from './progress.ts';
import { SeededRandom } from './rand.ts';
import { decodeConfChange, encodeConfChange } from './types.ts';

test('inflights: a bounded FIFO freed by acknowledgement', () => {
  const inf = new Inflights(3);
  inf.add(5, 10);
  inf.add(7, 20);
  assert.equal(inf.full(), false);
  inf.add(9, 30);
  assert.equal(inf.full(), true);
  assert.throws(() => inf.add(10, 1));
  inf.freeLE(6);
  assert.equal(inf.count, 2);
  assert.equal(inf.inflightBytes, 50);
  inf.freeLE(100);
  assert.equal(inf.count, 0);
  assert.equal(inf.inflightBytes, 0);
});

test('progress: maybeUpdate moves match and next forward only', () => {
  const pr = new Progress(5, 10, false);
  pr.match = 3;
  assert.equal(pr.maybeUpdate(2), false);
  assert.equal(pr.maybeUpdate(4), true);
  assert.deepEqual([pr.match, pr.next], [4, 5]);
  assert.equal(pr.maybeUpdate(8), true);
  assert.deepEqual([pr.match, pr.next], [8, 9]);
});

test('progress: in replicate state a rejection above match resets next to match+1; stale ones are ignored', () => {
  const pr = new Progress(10, 10, false);
  pr.match = 5;
  pr.becomeReplicate();
  pr.next = 10;
  assert.equal(pr.maybeDecrTo(5, 5), false); // already matched: stale
  assert.equal(pr.maybeDecrTo(9, 0), true);
  assert.equal(pr.next, 6);
});

test('progress: in probe state only the outstanding probe (next-1) can be rejected, and the hint bounds next', () => {
  const pr = new Progress(10, 10, false);
  pr.match = 2;
  pr.msgAppFlowPaused = true;
  assert.equal(pr.maybeDecrTo(8, 5), false); // not our probe
  assert.equal(pr.maybeDecrTo(9, 5), true);
  assert.equal(pr.next, 6);
  assert.equal(pr.msgAppFlowPaused, false);
  assert.equal(pr.maybeDecrTo(5, 0), true);
  assert.equal(pr.next, 3); // never below match+1
});

test('progress: probe sends one message at a time, replicate fills the window, snapshot sends nothing', () => {
  const pr = new Progress(1, 2, false);
  assert.equal(pr.isPaused(), false);
  pr.updateOnEntriesSend(1, 0, 2);
  assert.equal(pr.isPaused(), true);
  assert.equal(pr.next, 1); // probes do not move next
  pr.maybeUpdate(1);
  pr.becomeReplicate();
  pr.updateOnEntriesSend(2, 0, 4);
  assert.equal(pr.isPaused(), false);
  pr.updateOnEntriesSend(1, 0, 5);
  assert.equal(pr.isPaused(), true);
  assert.equal(pr.next, 5);
  pr.becomeSnapshot(20);
  assert.equal(pr.isPaused(), true);
  pr.becomeProbe();
  assert.equal(pr.next, 21); // resumes after the snapshot
});

test('tracker: the committed index is the quorum-th highest match among voters, learners excluded', () => {
  const trk = new ProgressTracker(10);
  trk.applyConfState({ voters: [1, 2, 3, 4, 5], learners: [6] }, 0);
  const set = (m: Record<number, number>) => Object.entries(m).forEach(([id, v]) => (trk.progress.get(Number(id))!.match = v));
  set({ 1: 10, 2: 9, 3: 8, 4: 1, 5: 0, 6: 100 });
  assert.equal(trk.committed(), 8);
  set({ 3: 2 });
  assert.equal(trk.committed(), 2);
  const two = new ProgressTracker(10);
  two.applyConfState({ voters: [1, 2], learners: [] }, 0);
  two.progress.get(1)!.match = 5;
  assert.equal(two.committed(), 0); // two voters need both
});

test('tracker: votes are won with a majority, lost when a majority is impossible, pending otherwise', () => {
  const trk = new ProgressTracker(10);
  trk.applyConfState({ voters: [1, 2, 3], learners: [4] }, 0);
  trk.recordVote(1, true);
  assert.equal(trk.tallyVotes().result, 'pending');
  trk.recordVote(4, true); // learners do not count
  assert.equal(trk.tallyVotes().result, 'pending');
  trk.recordVote(2, false);
  assert.equal(trk.tallyVotes().result, 'pending');
  trk.recordVote(2, true); // first answer sticks
  trk.recordVote(3, false);
  assert.deepEqual(trk.tallyVotes(), { granted: 1, rejected: 2, result: 'lost' });
});

test('tracker: a membership change keeps existing progress and marks new members recently active', () => {
  const trk = new ProgressTracker(10);
  trk.applyConfState({ voters: [1, 2], learners: [] }, 7);
  trk.progress.get(2)!.match = 6;
  trk.applyConfState({ voters: [1, 2, 3], learners: [4] }, 9);
  assert.equal(trk.progress.get(2)!.match, 6);
  assert.equal(trk.progress.get(3)!.next, 9);
  assert.equal(trk.progress.get(3)!.recentActive, true);
  assert.equal(trk.progress.get(4)!.isLearner, true);
  trk.applyConfState({ voters: [1, 4], learners: [] }, 9);
  assert.equal(trk.progress.has(2), false);
  assert.equal(trk.progress.get(4)!.isLearner, false);
});

test('conf changes: add, promote, demote, remove; the last voter cannot go', () => {
  const cs = { voters: [1, 2], learners: [3] };
  assert.deepEqual(applyConfChangeToConfState(cs, { type: 'addNode', nodeId: 4 }), { voters: [1, 2, 4], learners: [3] });
  assert.deepEqual(applyConfChangeToConfState(cs, { type: 'addNode', nodeId: 3 }), { voters: [1, 2, 3], learners: [] });
  assert.deepEqual(applyConfChangeToConfState(cs, { type: 'addLearnerNode', nodeId: 2 }), { voters: [1], learners: [2, 3] });
  assert.deepEqual(applyConfChangeToConfState(cs, { type: 'removeNode', nodeId: 3 }), { voters: [1, 2], learners: [] });
  assert.deepEqual(applyConfChangeToConfState(cs, { type: 'removeNode', nodeId: 9 }), cs);
  assert.equal(confChangeProblem(cs, { type: 'removeNode', nodeId: 1 }), undefined);
  assert.match(confChangeProblem({ voters: [1], learners: [] }, { type: 'removeNode', nodeId: 1 })!, /last voter/);
  assert.match(confChangeProblem({ voters: [1], learners: [] }, { type: 'addLearnerNode', nodeId: 1 })!, /last voter/);
  const cc = { type: 'addNode' as const, nodeId: 7, context: new Uint8Array([1, 2]) };
  assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc);
  assert.throws(() => decodeConfChange(new Uint8Array(Buffer.from('{"type":"x","nodeId":1}'))));
});

test('the seeded random source replays and stays in range', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = Array.from({ length: 100 }, () => a.intn(10));
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.intn(10)));
  assert.ok(xs.every((x) => x >= 0 && x < 10), 'in range');
  assert.equal(new Set(xs).size, 10);
  const c = new SeededRandom(43);
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.intn(10)));
});
