// Tests of the mechanisms beyond the paper's core rules: PreVote and CheckQuorum (thesis
// §9.6, §6.2), ReadIndex details, leadership transfer (§3.10), snapshots, learners, flow
// control and the cap on the uncommitted tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from './node.ts';
import type { Raft } from './raft.ts';
import { MemoryStorage } from './storage.ts';
import { Network } from './testing/network.ts';
import { bytes, entsWithTerms, makeLeader, msg, newRaft, storageWith, str, takeMsgs } from './testing/helpers.ts';
import type { Message, Snapshot } from './types.ts';
import { ENTRY_OVERHEAD_BYTES, NONE, isRaftError } from './types.ts';

const types = (ms: Message[]) => ms.map((m) => `${m.type}>${m.to}`);
const prop = (r: Raft, data: string) => r.step(msg({ type: 'MsgProp', from: r.id, entries: [{ index: 0, term: 0, type: 'normal', data: bytes(data) }] }));

function rounds(net: Network, n: number): void {
  for (let i = 0; i < n; i++) {
    net.tickAll();
    net.stabilize();
  }
}

// ---- PreVote ----

test('PreVote: a partitioned node does not increase its term, and rejoins without disrupting the leader', () => {
  const net = new Network({ seed: 1, voters: [1, 2, 3], config: { preVote: true } });
  net.elect(1);
  const term = net.raw(1).raft.term;
  net.isolate(3);
  rounds(net, 100);
  assert.equal(net.raw(3).raft.term, term);
  net.heal();
  rounds(net, 5);
  assert.deepEqual([net.leader(), net.raw(1).raft.term], [1, term]);
});

test('PreVote: without it, the same partition inflates the node\'s term and deposes the leader on rejoin', () => {
  const net = new Network({ seed: 1, voters: [1, 2, 3] });
  net.elect(1);
  const term = net.raw(1).raft.term;
  net.isolate(3);
  rounds(net, 100);
  assert.ok(net.raw(3).raft.term > term + 3, 'the isolated node\'s term grew');
  net.heal();
  rounds(net, 30);
  assert.ok(net.raw(net.leader()!).raft.term > term + 3, 'the leader was deposed by the higher term');
});

test('PreVote: granting a pre-vote changes neither the voter\'s term nor its vote', () => {
  const r = newRaft(1, [1, 2, 3], { preVote: true });
  r.becomeFollower(1, NONE);
  r.vote = 2;
  r.step(msg({ type: 'MsgPreVote', from: 3, to: 1, term: 2, index: 0, logTerm: 0 }));
  const [resp] = takeMsgs(r);
  assert.deepEqual([resp!.type, resp!.reject ?? false, resp!.term], ['MsgPreVoteResp', false, 2]);
  assert.deepEqual([r.term, r.vote], [1, 2]);
});

test('PreVote: a pre-candidate that wins the pre-vote campaigns for real at the next term', () => {
  const r = newRaft(1, [1, 2, 3], { preVote: true });
  r.hup('preElection');
  assert.deepEqual([r.state, r.term, r.vote], ['preCandidate', 0, NONE]);
  const pre = takeMsgs(r);
  assert.deepEqual(types(pre), ['MsgPreVote>2', 'MsgPreVote>3']);
  assert.equal(pre[0]!.term, 1);
  r.step(msg({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 1 }));
  assert.deepEqual([r.state, r.term, r.vote], ['candidate', 1, 1]);
  assert.deepEqual(types(takeMsgs(r)), ['MsgVote>2', 'MsgVote>3']);
});

test('PreVote: a pre-candidate refused by a majority returns to follower at its old term', () => {
  const r = newRaft(1, [1, 2, 3], { preVote: true });
  r.becomeFollower(2, NONE);
  r.hup('preElection');
  r.step(msg({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 2, reject: true }));
  r.step(msg({ type: 'MsgPreVoteResp', from: 3, to: 1, term: 2, reject: true }));
  assert.deepEqual([r.state, r.term], ['follower', 2]);
});

test('PreVote: a voter refuses a pre-vote for a candidate whose log is behind', () => {
  const r = newRaft(1, [1, 2, 3], { preVote: true, storage: storageWith([1, 2, 3], [1, 2]) });
  r.becomeFollower(2, NONE);
  r.step(msg({ type: 'MsgPreVote', from: 3, to: 1, term: 3, index: 1, logTerm: 1 }));
  assert.equal(takeMsgs(r)[0]!.reject, true);
});

// ---- CheckQuorum ----

test('CheckQuorum: a leader that has not heard from a quorum within an election timeout steps down', () => {
  const net = new Network({ seed: 2, voters: [1, 2, 3], config: { checkQuorum: true } });
  net.elect(1);
  net.isolate(1);
  for (let i = 0; i < 10; i++) {
    net.tick(1);
    net.stabilize();
  }
  // The first check after isolation may still count earlier contact; by the second it steps down.
  for (let i = 0; i < 10 && net.raw(1).raft.state === 'leader'; i++) {
    net.tick(1);
    net.stabilize();
  }
  assert.equal(net.raw(1).raft.state, 'follower');
  net.propose(2, 'x'); // the majority side is unaffected...
  assert.throws(() => net.propose(1, 'y'), (e) => isRaftError(e, 'proposal-dropped')); // ...the old leader knows it has no leader
});

test('CheckQuorum: a leader in contact with a quorum stays leader', () => {
  const net = new Network({ seed: 3, voters: [1, 2, 3, 4, 5], config: { checkQuorum: true } });
  net.elect(1);
  net.partition([1, 2, 3], [4, 5]);
  const term = net.raw(1).raft.term;
  rounds(net, 100);
  assert.deepEqual([net.raw(1).raft.state, net.raw(1).raft.term], ['leader', term]);
});

test('CheckQuorum leader lease: a voter that heard from its leader within the election timeout ignores vote requests', () => {
  const r = newRaft(1, [1, 2, 3], { checkQuorum: true });
  r.becomeFollower(1, 2);
  r.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 2, index: 0, logTerm: 0 }));
  assert.deepEqual(takeMsgs(r), []);
  assert.equal(r.term, 1, 'not even the term is adopted');
  r.electionElapsed = r.electionTimeout; // the lease has run out
  r.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 2, index: 0, logTerm: 0 }));
  const [resp] = takeMsgs(r);
  assert.deepEqual([resp!.type, resp!.reject ?? false, r.term, r.vote], ['MsgVoteResp', false, 2, 3]);
});

test('CheckQuorum: a node that raised its term in a partition makes the leader step down via its AppendEntries reply, then rejoins', () => {
  const net = new Network({ seed: 4, voters: [1, 2, 3], config: { checkQuorum: true } });
  net.elect(1);
  net.isolate(3);
  rounds(net, 60);
  const high = net.raw(3).raft.term;
  assert.ok(high > net.raw(1).raft.term, 'the isolated node\'s term grew');
  net.heal();
  assert.ok(net.tickUntil(() => net.leader() !== undefined && net.raw(net.leader()!).raft.term > high && net.raw(3).raft.lead === net.leader(), 200), 'a leader at a higher term that node 3 follows');
  net.propose(net.leader()!, 'after');
  net.stabilize();
  assert.deepEqual(net.applied(3), ['after']);
});

// ---- ReadIndex ----

test('ReadIndex: pending reads are answered in order once a quorum acknowledges a heartbeat carrying the latest one', () => {
  const net = new Network({ seed: 5, voters: [1, 2, 3] });
  net.elect(1);
  net.stabilize();
  const stop = net.dropTypes(['MsgHeartbeatResp']);
  net.readIndex(1, 'a');
  net.readIndex(1, 'b');
  net.stabilize();
  assert.deepEqual(net.node(1).readStates, []);
  stop();
  net.tickAll(); // regular heartbeats carry the newest pending context
  net.stabilize();
  assert.deepEqual(net.node(1).readStates.map((r) => str(r.requestCtx)), ['a', 'b']);
});

test('ReadIndex: a single-voter leader answers immediately', () => {
  const net = new Network({ seed: 6, voters: [1] });
  net.elect(1);
  net.propose(1, 'x');
  net.readIndex(1, 'solo');
  assert.deepEqual(net.node(1).readStates.map((r) => [str(r.requestCtx), r.index]), [['solo', net.raw(1).raft.raftLog.committed]]);
});

test('ReadIndex: learners\' acknowledgements do not make a quorum', () => {
  const net = new Network({ seed: 7, voters: [1, 2, 3], learners: [4] });
  net.elect(1);
  net.stabilize();
  net.partition([1, 4], [2, 3]);
  net.readIndex(1, 'r');
  net.stabilize();
  assert.deepEqual(net.node(1).readStates, []);
});

// ---- Leadership transfer (thesis §3.10) ----

test('leadership transfer: to an up-to-date follower the leader sends TimeoutNow and the follower wins at once', () => {
  const net = new Network({ seed: 8, voters: [1, 2, 3] });
  net.elect(1);
  net.stabilize();
  const term = net.raw(1).raft.term;
  net.transferLeader(1, 2);
  assert.deepEqual(net.pending.map((e) => e.msg.type), ['MsgTimeoutNow']);
  net.stabilize();
  assert.deepEqual([net.leader(), net.raw(2).raft.term], [2, term + 1]);
});

test('leadership transfer: a lagging transferee is first brought up to date', () => {
  const net = new Network({ seed: 9, voters: [1, 2, 3] });
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 5; i++) net.propose(1, `e${i}`);
  net.stabilize();
  net.heal();
  net.transferLeader(1, 3);
  net.stabilize();
  assert.deepEqual([net.leader(), net.raw(1).raft.leadTransferee], [1, 3], 'catching up first (the paused probe resumes at the next heartbeat)');
  net.tickAll();
  net.stabilize();
  assert.equal(net.leader(), 3);
  assert.deepEqual(net.applied(3), ['e0', 'e1', 'e2', 'e3', 'e4']);
});

test('leadership transfer: proposals are dropped while it is in progress; it is abandoned after an election timeout', () => {
  const net = new Network({ seed: 10, voters: [1, 2, 3] });
  net.elect(1);
  net.isolate(3);
  net.transferLeader(1, 3);
  assert.equal(net.raw(1).raft.leadTransferee, 3);
  assert.throws(() => net.propose(1, 'x'), (e) => isRaftError(e, 'proposal-dropped'));
  for (let i = 0; i < 10; i++) net.tick(1);
  net.stabilize();
  assert.equal(net.raw(1).raft.leadTransferee, NONE);
  assert.equal(net.leader(), 1);
  net.propose(1, 'y');
});

test('leadership transfer: a follower forwards the request to the leader', () => {
  const net = new Network({ seed: 11, voters: [1, 2, 3] });
  net.elect(1);
  net.stabilize();
  net.transferLeader(2, 3);
  net.stabilize();
  assert.equal(net.leader(), 3);
});

test('leadership transfer: requests naming the leader itself or a learner are ignored', () => {
  const net = new Network({ seed: 12, voters: [1, 2], learners: [3] });
  net.elect(1);
  net.stabilize();
  net.transferLeader(1, 1);
  net.transferLeader(1, 3);
  net.stabilize();
  assert.deepEqual([net.leader(), net.raw(1).raft.leadTransferee], [1, NONE]);
});

test('leadership transfer overrides the voters\' leader lease (CheckQuorum) and skips the pre-vote', () => {
  const net = new Network({ seed: 13, voters: [1, 2, 3], config: { checkQuorum: true, preVote: true } });
  net.elect(1);
  net.stabilize();
  const term = net.raw(1).raft.term;
  net.transferLeader(1, 3);
  net.stabilize();
  assert.deepEqual([net.leader(), net.raw(3).raft.term], [3, term + 1]);
});

test('leadership transfer: a second request for another node replaces the first', () => {
  const net = new Network({ seed: 14, voters: [1, 2, 3] });
  net.elect(1);
  net.isolate(3);
  net.transferLeader(1, 3);
  net.transferLeader(1, 2);
  net.stabilize();
  assert.equal(net.leader(), 2);
});

// ---- Snapshots ----

test('snapshot: a follower behind the leader\'s compacted log receives InstallSnapshot and catches up', () => {
  const net = new Network({ seed: 15, voters: [1, 2, 3], snapshotEvery: 4 });
  net.elect(1);
  net.crash(3);
  const want: string[] = [];
  for (let i = 0; i < 12; i++) {
    net.propose(1, `s${i}`);
    want.push(`s${i}`);
  }
  net.stabilize();
  assert.ok(net.node(1).storage.firstIndex() > 3, 'the leader compacted its log');
  let snaps = 0;
  net.subscribe((ev) => {
    if (ev.type === 'snapshot' && ev.id === 3) snaps++;
  });
  net.restart(3);
  rounds(net, 3);
  assert.equal(snaps, 1);
  assert.deepEqual(net.applied(3), want);
  net.propose(1, 'more');
  net.stabilize();
  assert.deepEqual(net.applied(3), [...want, 'more']);
});

function compactedLeader(): { r: Raft; storage: MemoryStorage } {
  const storage = storageWith([1, 2, 3], [1, 1, 1, 1, 1]);
  storage.setHardState({ term: 1, vote: 0, commit: 5 });
  storage.createSnapshot(4, { voters: [1, 2, 3], learners: [] }, bytes('state@4'));
  storage.compact(4);
  const r = newRaft(1, [1, 2, 3], { storage, applied: 5 });
  makeLeader(r); // term 2, appends 6@2
  takeMsgs(r);
  return { r, storage };
}

test('snapshot: while a snapshot is in flight nothing else is sent to that follower; its acknowledgement resumes replication', () => {
  const { r } = compactedLeader();
  const pr = r.trk.progress.get(2)!;
  pr.recentActive = true;
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 5, reject: true, rejectHint: 0, logTerm: 0 }));
  const [snapMsg] = takeMsgs(r);
  assert.equal(snapMsg!.type, 'MsgSnap');
  assert.equal(snapMsg!.snapshot!.metadata.index, 4);
  assert.equal(str(snapMsg!.snapshot!.data), 'state@4');
  assert.deepEqual([pr.state, pr.pendingSnapshot], ['snapshot', 4]);
  prop(r, 'x');
  r.step(msg({ type: 'MsgHeartbeatResp', from: 2, to: 1, term: 2 }));
  assert.deepEqual(types(takeMsgs(r)).filter((t) => t.endsWith('>2')), []);
  r.reportSnapshot(2, true);
  assert.deepEqual([pr.state, pr.next, pr.isPaused()], ['probe', 5, true]);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 4 }));
  assert.equal(pr.state, 'replicate');
  const [app] = takeMsgs(r).filter((m) => m.to === 2);
  assert.deepEqual([app!.type, app!.index, app!.entries!.map((e) => e.index)], ['MsgApp', 4, [5, 6, 7]]);
});

test('snapshot: a failed snapshot is sent again once the follower answers', () => {
  const { r } = compactedLeader();
  const pr = r.trk.progress.get(2)!;
  pr.recentActive = true;
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 5, reject: true, rejectHint: 0, logTerm: 0 }));
  takeMsgs(r);
  r.reportSnapshot(2, false);
  assert.deepEqual([pr.state, pr.pendingSnapshot, pr.next], ['probe', 0, 1]);
  r.step(msg({ type: 'MsgHeartbeatResp', from: 2, to: 1, term: 2 }));
  assert.deepEqual(types(takeMsgs(r)), ['MsgSnap>2']);
});

test('snapshot: the leader does not send a snapshot to a follower it has not heard from', () => {
  const { r } = compactedLeader();
  r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('x') }] }));
  const pr = r.trk.progress.get(2)!;
  pr.next = 2;
  pr.recentActive = false;
  r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('y') }] }));
  assert.equal(types(takeMsgs(r)).includes('MsgSnap>2'), false);
});

function snapshot(index: number, term: number, voters: number[], learners: number[] = []): Snapshot {
  return { metadata: { index, term, confState: { voters, learners } }, data: bytes(`state@${index}`) };
}

test('snapshot: installing one replaces the log and the membership; the Ready carries it and advance marks it applied', () => {
  const storage = storageWith([1, 2, 3], [1, 1]);
  const node = new RawNode({ id: 2, storage });
  node.step(msg({ type: 'MsgSnap', from: 1, to: 2, term: 2, snapshot: snapshot(10, 2, [1, 2, 3, 4], [5]) }));
  const rd = node.ready();
  assert.equal(rd.snapshot?.metadata.index, 10);
  assert.deepEqual(rd.committedEntries, []);
  assert.deepEqual(rd.messages.map((m) => [m.type, m.index]), [['MsgAppResp', 10]]);
  storage.applySnapshot(rd.snapshot!);
  node.advance();
  const st = node.status();
  assert.deepEqual([st.applied, st.lastIndex, st.hardState.commit], [10, 10, 10]);
  assert.deepEqual(st.config, { voters: [1, 2, 3, 4], learners: [5] });
});

test('snapshot: one older than the commit index is ignored; one whose last entry we hold only advances the commit index', () => {
  const r = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1, 1, 1]) });
  r.becomeFollower(1, 1);
  r.raftLog.commitTo(3);
  assert.equal(r.restore(snapshot(2, 1, [1, 2, 3])), false);
  assert.equal(r.restore(snapshot(4, 1, [1, 2, 3])), false);
  assert.equal(r.raftLog.committed, 4);
  assert.equal(r.raftLog.hasPendingSnapshot(), false);
  assert.equal(r.raftLog.lastIndex(), 4);
});

test('snapshot: a node restarted on a compacted log hands out only the committed entries after its applied index', () => {
  const storage = storageWith([1], [1, 1, 1, 1, 1, 1, 1, 1]);
  storage.createSnapshot(5, undefined, bytes('s'));
  storage.compact(5);
  storage.setHardState({ term: 1, vote: 1, commit: 8 });
  const node = new RawNode({ id: 1, storage, applied: 5 });
  assert.deepEqual(node.ready().committedEntries.map((e) => e.index), [6, 7, 8]);
});

test('snapshot: a member added after the snapshot was taken still joins (it installs the snapshot, then learns of itself from the log)', () => {
  const net = new Network({ seed: 16, voters: [1, 2, 3], joiners: [4], snapshotEvery: 3 });
  net.elect(1);
  for (let i = 0; i < 6; i++) net.propose(1, `a${i}`);
  net.stabilize();
  net.proposeConfChange(1, { type: 'addLearnerNode', nodeId: 4 });
  net.stabilize();
  rounds(net, 3);
  assert.deepEqual(net.applied(4), ['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
  assert.deepEqual(net.node(4).confState, { voters: [1, 2, 3], learners: [4] });
});

// ---- Learners ----

test('learner: proposals made on a learner are forwarded to the leader', () => {
  const net = new Network({ seed: 17, voters: [1, 2], learners: [3] });
  net.elect(1);
  net.propose(3, 'from-learner');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['from-learner']);
});

test('learner: a learner that receives TimeoutNow or an election timeout does not campaign', () => {
  const r = newRaft(3, [1, 2], { storage: storageWith([1, 2], [], [3]) });
  r.becomeFollower(1, 1);
  r.step(msg({ type: 'MsgTimeoutNow', from: 1, to: 3, term: 1 }));
  for (let i = 0; i < 50; i++) r.tick();
  assert.deepEqual([r.state, r.term, takeMsgs(r)], ['follower', 1, []]);
});

test('learner: demoting a voter makes it a learner; a demoted leader steps down', () => {
  const net = new Network({ seed: 18, voters: [1, 2, 3] });
  net.elect(1);
  net.proposeConfChange(1, { type: 'addLearnerNode', nodeId: 1 });
  net.stabilize();
  assert.deepEqual(net.node(2).confState, { voters: [2, 3], learners: [1] });
  assert.equal(net.raw(1).raft.state, 'follower');
  assert.ok(net.tickUntil(() => [2, 3].includes(net.leader() ?? 0), 100), 'a new leader among 2 and 3');
  net.propose(2, 'x');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['x']);
});

// ---- Uncommitted cap ----

test('maxUncommittedEntriesSize: the leader drops proposals that would take its uncommitted tail over the cap', () => {
  const r = newRaft(1, [1, 2, 3], { maxUncommittedEntriesSize: 10 });
  makeLeader(r);
  prop(r, 'aaaa');
  prop(r, 'bbbb');
  assert.throws(() => prop(r, 'cccc'), (e) => isRaftError(e, 'proposal-dropped') && /uncommitted/.test(e.message));
  prop(r, 'cc'); // still fits
  assert.equal(r.uncommittedSize, 10);
});

test('maxUncommittedEntriesSize: one proposal larger than the cap is accepted when nothing is uncommitted; empty entries always are', () => {
  const r = newRaft(1, [1, 2, 3], { maxUncommittedEntriesSize: 10 });
  makeLeader(r);
  prop(r, 'x'.repeat(50));
  assert.throws(() => prop(r, 'y'), (e) => isRaftError(e, 'proposal-dropped'));
  prop(r, '');
});

test('maxUncommittedEntriesSize: applying committed entries frees the budget', () => {
  const net = new Network({ seed: 19, voters: [1, 2, 3], config: { maxUncommittedEntriesSize: 8 } });
  net.elect(1);
  net.isolate(1);
  net.propose(1, 'aaaa');
  net.propose(1, 'bbbb');
  assert.equal(net.tryPropose(1, 'cccc'), false);
  net.heal();
  net.tickAll();
  net.stabilize();
  assert.deepEqual(net.applied(1), ['aaaa', 'bbbb']);
  assert.equal(net.raw(1).raft.uncommittedSize, 0);
  net.propose(1, 'cccc');
});

test('maxUncommittedEntriesSize: the budget starts over when leadership changes', () => {
  const r = newRaft(1, [1, 2, 3], { maxUncommittedEntriesSize: 10 });
  makeLeader(r);
  prop(r, 'aaaaaaaa');
  r.becomeFollower(r.term + 1, NONE);
  assert.equal(r.uncommittedSize, 0);
});

// ---- Flow control ----

test('flow control: a follower in probe state gets one MsgApp at a time until it answers', () => {
  const r = newRaft(1, [1, 2, 3]);
  makeLeader(r);
  takeMsgs(r);
  for (const d of ['a', 'b', 'c']) prop(r, d);
  assert.equal(takeMsgs(r).filter((m) => m.to === 2).length, 1);
  r.step(msg({ type: 'MsgHeartbeatResp', from: 2, to: 1, term: 1 }));
  assert.equal(takeMsgs(r).filter((m) => m.to === 2 && m.type === 'MsgApp').length, 1, 'a heartbeat response allows another probe');
});

test('flow control: in replicate state at most maxInflightMsgs MsgApps are outstanding and acknowledgements reopen the window', () => {
  const r = newRaft(1, [1, 2, 3], { maxInflightMsgs: 3 });
  makeLeader(r);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1 }));
  assert.equal(r.trk.progress.get(2)!.state, 'replicate');
  takeMsgs(r);
  for (let i = 0; i < 6; i++) prop(r, `e${i}`);
  const sent = takeMsgs(r).filter((m) => m.to === 2 && m.type === 'MsgApp');
  assert.deepEqual(sent.map((m) => m.entries!.map((e) => e.index)), [[2], [3], [4]]);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 3 }));
  const more = takeMsgs(r).filter((m) => m.to === 2 && m.type === 'MsgApp' && m.entries!.length > 0);
  assert.deepEqual(more.map((m) => m.entries!.map((e) => e.index)), [[5, 6, 7]]);
});

test('flow control: maxSizePerMsg bounds the entries carried by one MsgApp', () => {
  const r = newRaft(1, [1, 2, 3], { maxSizePerMsg: 2 * (ENTRY_OVERHEAD_BYTES + 1) });
  makeLeader(r);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1 }));
  takeMsgs(r);
  r.step(msg({ type: 'MsgProp', from: 1, entries: ['a', 'b', 'c', 'd', 'e'].map((d) => ({ index: 0, term: 0, type: 'normal' as const, data: bytes(d) })) }));
  const first = takeMsgs(r).filter((m) => m.to === 2 && m.type === 'MsgApp');
  assert.deepEqual(first.map((m) => m.entries!.map((e) => e.index)), [[2, 3]]);
  // Each acknowledgement lets the leader fill the window with more size-limited messages.
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 3 }));
  const rest = takeMsgs(r).filter((m) => m.to === 2 && m.type === 'MsgApp');
  assert.deepEqual(rest.map((m) => m.entries!.map((e) => e.index)), [[4, 5], [6]]);
});

test('flow control: a full window whose MsgApps were all lost recovers through heartbeats', () => {
  const net = new Network({ seed: 20, voters: [1, 2, 3], config: { maxInflightMsgs: 2 } });
  net.elect(1);
  net.stabilize();
  const stop = net.dropTypes(['MsgApp'], { to: 3 });
  for (let i = 0; i < 8; i++) net.propose(1, `f${i}`);
  net.stabilize();
  assert.equal(net.raw(1).status().progress!.get(3)!.inflight, 2);
  stop();
  rounds(net, 3);
  assert.equal(net.applied(3).length, 8);
});

test('reportUnreachable moves a replicating follower back to probe', () => {
  const r = newRaft(1, [1, 2, 3]);
  makeLeader(r);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1 }));
  assert.equal(r.trk.progress.get(2)!.state, 'replicate');
  r.reportUnreachable(2);
  assert.equal(r.trk.progress.get(2)!.state, 'probe');
});

test('a rejection hint lets the leader skip a whole divergent term in one round trip', () => {
  // leader: 1 3 3 3 5 5 5 5 5 (then its term-6 no-op); follower: 1 1 1 1 2 2
  const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 3, 3, 3, 5, 5, 5, 5, 5]) });
  r.becomeFollower(5, NONE);
  makeLeader(r);
  takeMsgs(r);
  const f = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1, 1, 1, 2, 2]) });
  prop(r, 'x');
  let probes = 0;
  for (;;) {
    const app = takeMsgs(r).find((m) => m.to === 2 && m.type === 'MsgApp');
    assert.notEqual(app, undefined, 'the leader keeps probing');
    probes++;
    f.step(app!);
    const resp = takeMsgs(f)[0]!;
    r.step(resp);
    if (!resp.reject) break;
    assert.ok(probes < 10, 'too many probes');
  }
  // Without hints this would take a probe per index (9); with them, one per term.
  assert.equal(probes, 2);
  assert.deepEqual(f.raftLog.allEntries().map((e) => e.term), [1, 3, 3, 3, 5, 5, 5, 5, 5, 6, 6]);
});

// ---- Commit hints in vote rejections ----

test('a vote rejection carries the voter\'s commit index, so a candidate holding that entry learns it is committed', () => {
  const voter = newRaft(2, [1, 2], { storage: storageWith([1, 2], [1, 1, 1]) });
  voter.becomeFollower(1, NONE);
  voter.raftLog.commitTo(2);
  voter.step(msg({ type: 'MsgVote', from: 1, to: 2, term: 2, index: 2, logTerm: 1 }));
  const [resp] = takeMsgs(voter);
  assert.deepEqual([resp!.reject, resp!.index, resp!.logTerm], [true, 2, 1]);
  const cand = newRaft(1, [1, 2], { storage: storageWith([1, 2], [1, 1]) });
  cand.becomeFollower(1, NONE);
  cand.hup('election');
  cand.step(resp!);
  assert.equal(cand.raftLog.committed, 2);
  // A hint about an entry the candidate does not hold (different term) teaches nothing.
  const other = newRaft(1, [1, 2], { storage: storageWith([1, 2], [1, 2]) });
  other.becomeFollower(1, NONE);
  other.hup('election');
  other.step(resp!);
  assert.equal(other.raftLog.committed, 0);
});

test('a two-voter group whose leader demoted itself elects the remaining voter even if it never heard the change commit', () => {
  const net = new Network({ seed: 21, voters: [1, 2] });
  net.elect(2);
  net.stabilize();
  // 2 demotes itself (entry 3) and appends one more entry of its own (4). 1 receives and
  // acknowledges entry 3, but hears nothing more from 2: not entry 4, not the commit of 3.
  const confIndex = net.raw(2).raft.raftLog.lastIndex() + 1;
  const mute = net.addFilter((env) =>
    env.from === 2 && env.to === 1 && ((env.msg.commit ?? 0) >= confIndex || (env.msg.entries ?? []).some((e) => e.index > confIndex)) ? 'drop' : undefined,
  );
  net.proposeConfChange(2, { type: 'addLearnerNode', nodeId: 2 });
  net.propose(2, 'tail');
  net.stabilize();
  assert.deepEqual(net.node(2).confState, { voters: [1], learners: [2] });
  assert.deepEqual(net.node(1).confState, { voters: [1, 2], learners: [] });
  assert.equal(net.raw(1).raft.raftLog.lastIndex(), confIndex);
  assert.equal(net.raw(2).raft.raftLog.lastIndex(), confIndex + 1);
  mute();
  // 2 no longer campaigns; 1 needs 2's vote but 2's log is longer. 2's refusal tells 1 that
  // entry 3 is committed; 1 applies it, becomes the only voter and elects itself.
  assert.ok(net.tickUntil(() => net.leader() === 1, 100), 'node 1 becomes leader');
  assert.deepEqual(net.node(1).confState, { voters: [1], learners: [2] });
  net.propose(1, 'ok');
  net.stabilize();
  assert.deepEqual(net.applied(2), ['ok']);
});

test('a candidate whose term fell behind that of a voter that never asks it for votes catches up from the rejection (no PreVote)', () => {
  // 1 has a stale membership {1,2} and a short log: it campaigns among {1,2} only, 2 (removed,
  // with a longer log) refuses it, and 1's term keeps climbing. 3 could win with 1's vote in
  // membership {1,3}, but its term is far behind 1's. Found by the simulation (storage/sim/).
  const current = () => {
    const s = MemoryStorage.bootstrap({ voters: [1, 3] });
    s.append(entsWithTerms([5, 5, 5], 2));
    s.setHardState({ term: 5, vote: NONE, commit: 4 });
    return s;
  };
  const stale = MemoryStorage.bootstrap({ voters: [1, 2] });
  stale.setHardState({ term: 50, vote: NONE, commit: 1 });
  const net = new Network({ seed: 4, voters: [1, 2, 3], storage: (id) => (id === 1 ? stale : current()) });
  assert.ok(net.tickUntil(() => net.leader() === 3, 200), `no leader: terms ${[1, 2, 3].map((id) => net.raw(id).raft.term).join(',')}`);
  assert.ok(net.raw(3).raft.term > 50);
});

test('a candidate that applies its own removal or demotion stops campaigning and cannot win with the new voters', () => {
  for (const cc of [{ type: 'removeNode', nodeId: 3 }, { type: 'addLearnerNode', nodeId: 3 }] as const) {
    for (const preVote of [false, true]) {
      const r = newRaft(3, [1, 2, 3], { preVote });
      r.hup(preVote ? 'preElection' : 'election');
      assert.equal(r.state, preVote ? 'preCandidate' : 'candidate');
      const term = r.term;
      takeMsgs(r);
      // The change commits while it campaigns (found by the simulation, storage/sim/: the
      // removed candidate won with the remaining voters' votes and led a group it could not
      // propose to).
      r.applyConfChange(cc);
      assert.equal(r.state, 'follower', `${cc.type}, preVote ${preVote}`);
      const resp = preVote ? 'MsgPreVoteResp' : 'MsgVoteResp';
      for (const from of [1, 2]) r.step(msg({ type: resp, from, to: 3, term: preVote ? term + 1 : term }));
      assert.notEqual(r.state, 'leader', `${cc.type}, preVote ${preVote}`);
      assert.equal(r.state === 'follower', true);
    }
  }
});

test('probe: a late acknowledgement of an older MsgApp (index = match) does not restart replication while a probe is outstanding', () => {
  const r = newRaft(1, [1, 2], { storage: storageWith([1, 2], [1, 1, 1, 1, 1]) });
  makeLeader(r); // empty entry at 6
  takeMsgs(r);
  const pr = r.trk.progress.get(2)!;
  pr.match = 3;
  pr.next = 4;
  // A heartbeat response lets the leader probe from 4: one MsgApp, then it waits.
  r.step(msg({ type: 'MsgHeartbeatResp', from: 2, to: 1, term: r.term }));
  assert.deepEqual(types(takeMsgs(r)), ['MsgApp>2']);
  assert.deepEqual([pr.state, pr.msgAppFlowPaused], ['probe', true]);
  // A duplicate of an old acknowledgement: nothing changes, nothing is resent (found by the
  // simulation, storage/sim/: resending the window on each one snowballed into a storm).
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: r.term, index: 3 }));
  assert.deepEqual(takeMsgs(r), []);
  assert.deepEqual([pr.state, pr.match, pr.next], ['probe', 3, 4]);
  // The probe's own answer resumes replication.
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: r.term, index: 6 }));
  assert.deepEqual([pr.state, pr.match], ['replicate', 6]);
  // With no probe outstanding, an acknowledgement at match still ends probing (a caught-up follower).
  pr.becomeProbe();
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: r.term, index: 6 }));
  assert.equal(pr.state, 'replicate');
});

test('proposals forwarded to a node that cannot take them are dropped without an error at the receiver', () => {
  const node = new RawNode({ id: 1, storage: new MemoryStorage({ voters: [1, 2, 3] }) });
  node.step(msg({ type: 'MsgProp', from: 2, to: 1, term: 0, entries: entsWithTerms([0]) }));
  assert.equal(node.hasReady(), false);
});
