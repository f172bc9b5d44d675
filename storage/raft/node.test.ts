import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from './node.ts';
import { Raft } from './raft.ts';
import { MemoryStorage } from './storage.ts';
import { bytes, entry, entsWithTerms, msg, storageWith, str } from './testing/helpers.ts';
import type { Ready } from './types.ts';
import { ENTRY_OVERHEAD_BYTES, isRaftError } from './types.ts';

/** Does what a replica driver does with a Ready (minus applying) and returns it. */
function handle(node: RawNode, storage: MemoryStorage): Ready {
  const rd = node.ready();
  if (rd.snapshot) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
  node.advance();
  return rd;
}

test('RawNode: ready() must be followed by advance() before the next ready()', () => {
  const storage = storageWith([1]);
  const node = new RawNode({ id: 1, storage });
  assert.throws(() => node.advance(), (e) => isRaftError(e, 'invalid'));
  node.campaign();
  assert.equal(node.hasReady(), true);
  node.ready();
  assert.equal(node.hasReady(), false, 'nothing new while a Ready is being handled');
  assert.throws(() => node.ready(), (e) => isRaftError(e, 'invalid'));
  node.advance();
});

test('RawNode: soft and hard state appear in a Ready only when they change; mustSync is set for term, vote and entries', () => {
  const storage = storageWith([1, 2]);
  const node = new RawNode({ id: 1, storage });
  assert.equal(node.hasReady(), false, 'a fresh node has nothing to do');
  node.campaign();
  let rd = handle(node, storage);
  assert.deepEqual(rd.softState, { lead: 0, raftState: 'candidate' });
  assert.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 0 });
  assert.equal(rd.mustSync, true);
  node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 1 }));
  rd = handle(node, storage);
  assert.deepEqual(rd.softState, { lead: 1, raftState: 'leader' });
  assert.equal(rd.hardState, undefined);
  assert.deepEqual(rd.entries.map((e) => e.index), [1]);
  assert.equal(rd.mustSync, true);
  node.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1 }));
  rd = handle(node, storage);
  assert.equal(rd.softState, undefined);
  assert.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 1 });
  assert.equal(rd.mustSync, false, 'a commit index alone need not be fsynced');
});

test('RawNode: a restarted node resumes its term, vote, log and commit index and does not hand out applied entries again', () => {
  const storage = storageWith([1, 2, 3]);
  const node = new RawNode({ id: 2, storage });
  node.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 3, index: 0, logTerm: 0, entries: entsWithTerms([3, 3, 3]), commit: 2 }));
  const rd = handle(node, storage);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [1, 2]);
  const again = new RawNode({ id: 2, storage, applied: 2 });
  const st = again.status();
  assert.deepEqual([st.hardState, st.lastIndex, st.softState.raftState], [{ term: 3, vote: 0, commit: 2 }, 3, 'follower']);
  assert.equal(again.hasReady(), false);
  const fromScratch = new RawNode({ id: 2, storage });
  assert.deepEqual(fromScratch.ready().committedEntries.map((e) => e.index), [1, 2], 'without `applied`, committed entries are replayed');
});

test('RawNode: step refuses term-less network messages other than forwarded proposals and reads, and ignores responses from non-members', () => {
  const node = new RawNode({ id: 1, storage: storageWith([1, 2, 3]) });
  assert.throws(() => node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 0 })), (e) => isRaftError(e, 'invalid'));
  node.step(msg({ type: 'MsgAppResp', from: 9, to: 1, term: 5 }));
  assert.equal(node.status().hardState.term, 0, 'a stranger\'s response changes nothing');
});

test('RawNode: a single-voter node commits its entries in the same Ready that persists them', () => {
  const storage = storageWith([1]);
  const node = new RawNode({ id: 1, storage });
  node.campaign();
  handle(node, storage);
  node.propose(bytes('solo'));
  const rd = handle(node, storage);
  assert.deepEqual(rd.entries.map((e) => e.index), [2]);
  assert.deepEqual(rd.committedEntries.map((e) => str(e.data)), ['solo']);
  assert.deepEqual(rd.hardState, { term: 1, vote: 1, commit: 2 });
});

test('RawNode: maxCommittedSizePerReady spreads committed entries over several Readies', () => {
  const storage = storageWith([1], [1, 1, 1, 1, 1]);
  storage.setHardState({ term: 1, vote: 0, commit: 5 });
  const node = new RawNode({ id: 1, storage, maxCommittedSizePerReady: 2 * ENTRY_OVERHEAD_BYTES });
  const sizes: number[] = [];
  while (node.hasReady()) sizes.push(handle(node, storage).committedEntries.length);
  assert.deepEqual(sizes, [2, 2, 1]);
});

test('RawNode: entries replaced between ready() and advance() are not treated as persisted', () => {
  const storage = storageWith([1, 2, 3]);
  const node = new RawNode({ id: 3, storage });
  node.step(msg({ type: 'MsgApp', from: 1, to: 3, term: 1, index: 0, logTerm: 0, entries: entsWithTerms([1, 1, 1]) }));
  const rd = node.ready();
  // A new leader overwrites entries 2 and 3 before this Ready is acknowledged.
  node.step(msg({ type: 'MsgApp', from: 2, to: 3, term: 2, index: 1, logTerm: 1, entries: [entry(2, 2)] }));
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
  node.advance();
  const next = handle(node, storage);
  assert.deepEqual(next.entries.map((e) => `${e.index}@${e.term}`), ['1@1', '2@2']);
  assert.deepEqual(storage.entries(1, 3).map((e) => `${e.index}@${e.term}`), ['1@1', '2@2']);
  assert.equal(storage.lastIndex(), 2);
});

test('RawNode: a follower forwards a proposal to its leader as a term-less MsgProp', () => {
  const storage = storageWith([1, 2, 3]);
  const node = new RawNode({ id: 2, storage });
  node.step(msg({ type: 'MsgHeartbeat', from: 1, to: 2, term: 1 }));
  handle(node, storage);
  node.propose(bytes('fwd'));
  const [m] = node.ready().messages;
  assert.deepEqual([m!.type, m!.to, m!.from, m!.term, str(m!.entries![0]!.data)], ['MsgProp', 1, 2, 0, 'fwd']);
});

test('RawNode: status reports the members and, on the leader, each follower\'s progress', () => {
  const storage = storageWith([1, 2], [], [3]);
  const node = new RawNode({ id: 1, storage });
  node.campaign();
  handle(node, storage);
  node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 1 }));
  handle(node, storage);
  node.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1 }));
  const st = node.status();
  assert.deepEqual(st.config, { voters: [1, 2], learners: [3] });
  assert.deepEqual([st.progress!.get(2)!.state, st.progress!.get(2)!.match], ['replicate', 1]);
  assert.deepEqual([st.progress!.get(3)!.state, st.progress!.get(3)!.isLearner], ['probe', true]);
});

test('RawNode: invalid configurations are refused', () => {
  const storage = storageWith([1]);
  assert.throws(() => new Raft({ id: 0, storage }), (e) => isRaftError(e, 'invalid'));
  assert.throws(() => new Raft({ id: 1, storage, electionTick: 2, heartbeatTick: 2 }), (e) => isRaftError(e, 'invalid'));
  assert.throws(() => new Raft({ id: 1, storage, maxInflightMsgs: 0 }), (e) => isRaftError(e, 'invalid'));
  const bad = storageWith([1], [1]);
  bad.setHardState({ term: 1, vote: 0, commit: 5 });
  assert.throws(() => new Raft({ id: 1, storage: bad }), (e) => isRaftError(e, 'invalid'), 'commit beyond the log');
});

test('RawNode: a ReadState for a local read appears in a later Ready', () => {
  const storage = storageWith([1]);
  const node = new RawNode({ id: 1, storage });
  node.campaign();
  handle(node, storage);
  node.readIndex(bytes('q1'));
  const rd = handle(node, storage);
  assert.deepEqual(rd.readStates.map((r) => [str(r.requestCtx), r.index]), [['q1', 1]]);
});
