// One test per rule of the Raft paper (Ongaro & Ousterhout, "In Search of an Understandable
// Consensus Algorithm", 2014): Figure 2 and §5.1–§5.5, §6 (membership, one server at a time
// as in the Raft thesis §4.1) and §8 (client interaction, read-only queries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from './node.ts';
import { Raft } from './raft.ts';
import { MemoryStorage } from './storage.ts';
import { Network } from './testing/network.ts';
import { applyAll, bytes, entry, entsWithTerms, makeLeader, msg, newRaft, storageWith, str, takeMsgs, tickPastElection } from './testing/helpers.ts';
import type { Entry, Message } from './types.ts';
import { NONE, isRaftError } from './types.ts';

const logIds = (r: Raft) => r.raftLog.allEntries().map((e) => `${e.index}@${e.term}`);
const types = (ms: Message[]) => ms.map((m) => `${m.type}>${m.to}`);

// ---- §5.1 Raft basics ----

test('§5.1 a server that sees a higher term updates its current term and reverts to follower', () => {
  for (const start of ['follower', 'candidate', 'preCandidate', 'leader'] as const) {
    const r = newRaft(1, [1, 2, 3]);
    if (start === 'candidate') r.becomeCandidate();
    if (start === 'preCandidate') r.becomePreCandidate();
    if (start === 'leader') makeLeader(r);
    r.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 5 }));
    assert.equal(r.term, 5, start);
    assert.equal(r.state, 'follower', start);
    assert.equal(r.lead, 2, start);
    assert.equal(r.vote, NONE, start);
  }
  // A response with a higher term has the same effect (no leader is known then).
  const l = newRaft(1, [1, 2, 3]);
  makeLeader(l);
  l.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3 }));
  assert.deepEqual([l.state, l.term, l.lead], ['follower', 3, NONE]);
});

test('§5.1 a server rejects a request with a stale term', () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(3, 2);
  r.step(msg({ type: 'MsgApp', from: 3, to: 1, term: 2, index: 0, logTerm: 0, entries: [entry(1, 2)] }));
  r.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 2, index: 5, logTerm: 2 }));
  // Both are answered with our term only (a rejected vote), so that the sender catches up.
  assert.deepEqual(
    takeMsgs(r).map((m) => [m.type, m.to, m.term, m.index ?? 0, m.reject ?? false]),
    [
      ['MsgAppResp', 3, 3, 0, false],
      ['MsgVoteResp', 3, 3, 0, true],
    ],
  );
  assert.deepEqual([r.term, r.lead, r.vote, r.raftLog.lastIndex()], [3, 2, NONE, 0]);
});

// ---- §5.2 Leader election ----

test('§5.2 servers start up as followers, restoring their term and vote from stable storage', () => {
  const fresh = newRaft(1, [1, 2, 3]);
  assert.deepEqual([fresh.state, fresh.term, fresh.vote], ['follower', 0, NONE]);
  const storage = storageWith([1, 2, 3], [1, 1, 2]);
  storage.setHardState({ term: 4, vote: 3, commit: 2 });
  const restarted = newRaft(1, [1, 2, 3], { storage });
  assert.deepEqual([restarted.state, restarted.term, restarted.vote, restarted.raftLog.committed], ['follower', 4, 3, 2]);
});

test('§5.2 a leader sends heartbeats (empty AppendEntries) to all followers every heartbeat timeout', () => {
  const r = newRaft(1, [1, 2, 3], { heartbeatTick: 3 });
  makeLeader(r);
  takeMsgs(r);
  r.tick();
  r.tick();
  assert.deepEqual(takeMsgs(r), []);
  r.tick();
  const hb = takeMsgs(r);
  assert.deepEqual(types(hb), ['MsgHeartbeat>2', 'MsgHeartbeat>3']);
  for (const m of hb) assert.equal(m.term, 1);
});

test('§5.2 a follower that receives no communication within the election timeout becomes candidate and requests votes', () => {
  const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1]) });
  r.becomeFollower(1, NONE);
  let ticks = 0;
  while (r.state === 'follower' && ticks < 100) {
    r.tick();
    ticks++;
  }
  assert.ok(ticks >= 10 && ticks < 20, `campaigned after ${ticks} ticks`);
  assert.deepEqual([r.state, r.term, r.vote], ['candidate', 2, 1]);
  const votes = takeMsgs(r);
  assert.deepEqual(types(votes), ['MsgVote>2', 'MsgVote>3']);
  for (const m of votes) assert.deepEqual([m.term, m.index, m.logTerm], [2, 2, 1]);
});

test('§5.2 a follower that keeps hearing from a leader does not start an election', () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(1, 2);
  for (let i = 0; i < 200; i++) {
    r.tick();
    if (i % 5 === 0) r.step(msg({ type: 'MsgHeartbeat', from: 2, to: 1, term: 1 }));
  }
  assert.deepEqual([r.state, r.term], ['follower', 1]);
});

test('§5.2 a candidate that receives votes from a majority of the servers wins the election', () => {
  const cases: Array<{ size: number; votes: Record<number, boolean>; want: string }> = [
    { size: 1, votes: {}, want: 'leader' },
    { size: 3, votes: { 2: true, 3: true }, want: 'leader' },
    { size: 3, votes: { 2: true }, want: 'leader' },
    { size: 5, votes: { 2: true, 3: true, 4: true, 5: true }, want: 'leader' },
    { size: 5, votes: { 2: true, 3: true }, want: 'leader' },
    { size: 3, votes: {}, want: 'candidate' },
    { size: 5, votes: { 2: true }, want: 'candidate' },
    { size: 5, votes: { 2: true, 3: false, 4: false }, want: 'candidate' },
    // etcd's refinement: once a majority has refused, stop campaigning until the next timeout
    { size: 3, votes: { 2: false, 3: false }, want: 'follower' },
  ];
  for (const c of cases) {
    const ids = Array.from({ length: c.size }, (_, i) => i + 1);
    const r = newRaft(1, ids);
    r.hup('election');
    for (const [from, granted] of Object.entries(c.votes)) {
      r.step(msg({ type: 'MsgVoteResp', from: Number(from), to: 1, term: r.term, reject: !granted }));
    }
    assert.equal(r.state, c.want, JSON.stringify(c));
    assert.equal(r.term, 1, JSON.stringify(c));
  }
});

test('§5.2 each server votes for at most one candidate in a given term, first come first served', () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(1, NONE);
  const vote = (from: number) => {
    r.step(msg({ type: 'MsgVote', from, to: 1, term: 1, index: 0, logTerm: 0 }));
    const [resp] = takeMsgs(r);
    return !resp!.reject;
  };
  assert.equal(vote(2), true);
  assert.equal(vote(3), false);
  assert.equal(vote(2), true); // a repeated request from the same candidate is granted again
  assert.equal(r.vote, 2);
  // a candidate has voted for itself
  const c = newRaft(1, [1, 2, 3]);
  c.becomeCandidate();
  c.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
  assert.equal(takeMsgs(c)[0]!.reject, true);
});

test('§5.2 a candidate that receives AppendEntries from a leader of its term (or newer) returns to follower', () => {
  for (const type of ['MsgApp', 'MsgHeartbeat'] as const) {
    const r = newRaft(1, [1, 2, 3]);
    r.becomeCandidate();
    r.step(msg({ type, from: 2, to: 1, term: 1 }));
    assert.deepEqual([r.state, r.term, r.lead], ['follower', 1, 2], type);
  }
  const r = newRaft(1, [1, 2, 3]);
  r.becomeCandidate();
  r.becomeCandidate(); // term 2
  r.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 1 }));
  assert.equal(r.state, 'candidate', 'an older leader does not stop a candidate');
});

test('§5.2 a candidate whose election times out without a winner starts a new election with a higher term', () => {
  const r = newRaft(1, [1, 2, 3]);
  r.hup('election');
  assert.equal(r.term, 1);
  takeMsgs(r);
  tickPastElection(r);
  assert.deepEqual([r.state, r.term, r.vote], ['candidate', 2, 1]);
  assert.deepEqual(types(takeMsgs(r)), ['MsgVote>2', 'MsgVote>3']);
});

test('§5.2 election timeouts are chosen randomly from [electionTimeout, 2*electionTimeout) by the seeded source', () => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 300; seed++) {
    const r = newRaft(1, [1, 2, 3], { random: new (class {
      private s = seed;
      intn(n: number) {
        this.s = (this.s * 1103515245 + 12345) % 2147483648;
        return this.s % n;
      }
    })() });
    let ticks = 0;
    while (r.state === 'follower') {
      r.tick();
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks < 20, `timeout ${ticks}`);
    seen.add(ticks);
  }
  assert.equal(seen.size, 10, 'every value in the range is used');
  // The same seed replays the same timeouts.
  const timeouts = (seed: number) => {
    const r = newRaft(1, [1, 2, 3], { random: new (class { intn(n: number) { return seed % n; } })() });
    return r.randomizedElectionTimeout;
  };
  assert.equal(timeouts(7), timeouts(7));
});

test('§5.2 randomized timeouts make split votes rare: a new cluster elects one leader, usually in the first round', () => {
  let firstRound = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const net = new Network({ seed, voters: [1, 2, 3, 4, 5] });
    let leaderTerm = 0;
    for (let round = 0; round < 100 && net.leader() === undefined; round++) {
      net.tickAll();
      net.stabilize();
    }
    const lead = net.leader();
    assert.notEqual(lead, undefined, `seed ${seed}`);
    leaderTerm = net.raw(lead!).raft.term;
    if (leaderTerm === 2) firstRound++; // bootstrap term is 1
    assert.equal(net.ids.filter((id) => net.raw(id).raft.state === 'leader').length, 1);
  }
  assert.ok(firstRound >= 30, `only ${firstRound}/40 elections decided in the first round`);
});

// ---- §5.3 Log replication ----

test('§5.3 the leader appends a client command to its log as a new entry and issues AppendEntries to each follower', () => {
  const r = newRaft(1, [1, 2, 3]);
  makeLeader(r);
  takeMsgs(r);
  r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('x') }] }));
  assert.deepEqual(logIds(r), ['1@1', '2@1']);
  assert.equal(str(r.raftLog.allEntries()[1]!.data), 'x');
  const apps = takeMsgs(r);
  assert.deepEqual(types(apps), ['MsgApp>2', 'MsgApp>3']);
  for (const m of apps) {
    assert.deepEqual([m.term, m.index, m.logTerm, m.commit], [1, 0, 0, 0]);
    assert.deepEqual(m.entries!.map((e) => e.index), [1, 2]);
  }
});

test('§5.3 an entry is committed once the leader that created it has replicated it on a majority of the servers', () => {
  const r = newRaft(1, [1, 2, 3, 4, 5]);
  makeLeader(r);
  r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('x') }] }));
  const ack = (from: number) => r.step(msg({ type: 'MsgAppResp', from, to: 1, term: 1, index: 2 }));
  ack(2);
  assert.equal(r.raftLog.committed, 0, 'two of five is not a majority');
  ack(3);
  assert.equal(r.raftLog.committed, 2);
  assert.deepEqual(r.raftLog.nextCommittedEnts().map((e) => e.index), [1, 2]);
});

test('§5.3 committing an entry also commits all preceding entries in the leader\'s log', () => {
  const storage = storageWith([1, 2, 3], [1, 2]);
  storage.setHardState({ term: 2, vote: 0, commit: 0 });
  const r = newRaft(1, [1, 2, 3], { storage });
  makeLeader(r); // term 3, appends 3@3
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 3 }));
  assert.equal(r.raftLog.committed, 3);
  assert.deepEqual(r.raftLog.nextCommittedEnts().map((e) => `${e.index}@${e.term}`), ['1@1', '2@2', '3@3']);
});

test('§5.3 followers learn the commit index from AppendEntries and apply committed entries in log order', () => {
  const r = newRaft(2, [1, 2, 3]);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: entsWithTerms([1, 1, 1]), commit: 2 }));
  assert.equal(r.raftLog.committed, 2);
  assert.deepEqual(applyAll(r).map((e) => e.index), [1, 2]);
  r.step(msg({ type: 'MsgHeartbeat', from: 1, to: 2, term: 1, commit: 3 }));
  assert.deepEqual(applyAll(r).map((e) => e.index), [3]);
});

test('Figure 2 AppendEntries: reply false if term < currentTerm (the reply carries the newer term; the old leader steps down)', () => {
  const r = newRaft(2, [1, 2, 3]);
  r.becomeFollower(3, NONE);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 2, index: 0, logTerm: 0, entries: [entry(1, 2)] }));
  const [resp] = takeMsgs(r);
  assert.deepEqual([resp!.type, resp!.term, resp!.to], ['MsgAppResp', 3, 1]);
  assert.equal(r.raftLog.lastIndex(), 0, 'nothing appended');
  const old = newRaft(1, [1, 2, 3]);
  old.becomeFollower(1, NONE);
  makeLeader(old);
  old.step(resp!);
  assert.deepEqual([old.state, old.term], ['follower', 3]);
});

test('Figure 2 AppendEntries: reply false if log doesn\'t contain an entry at prevLogIndex whose term matches prevLogTerm', () => {
  const cases: Array<{ prev: [number, number]; reject: boolean }> = [
    { prev: [0, 0], reject: false },
    { prev: [1, 1], reject: false },
    { prev: [2, 2], reject: false },
    { prev: [2, 3], reject: true }, // term differs
    { prev: [3, 2], reject: true }, // missing entry
  ];
  for (const c of cases) {
    const r = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 2]) });
    r.becomeFollower(2, NONE);
    r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 2, index: c.prev[0], logTerm: c.prev[1], entries: [] }));
    const [resp] = takeMsgs(r);
    assert.equal(resp!.type, 'MsgAppResp');
    assert.equal(!!resp!.reject, c.reject, JSON.stringify(c));
    if (c.reject) {
      assert.equal(resp!.index, c.prev[0]);
      assert.ok(resp!.rejectHint! <= 2, 'the hint points into our log');
    }
  }
});

test('Figure 2 AppendEntries: if an existing entry conflicts with a new one (same index, different terms), delete it and all that follow', () => {
  const r = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1, 1, 2, 2]) });
  r.becomeFollower(3, NONE);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 3, index: 2, logTerm: 1, entries: [entry(3, 3)] }));
  assert.deepEqual(logIds(r), ['1@1', '2@1', '3@3']);
});

test('Figure 2 AppendEntries: append any new entries not already in the log (a duplicate or stale request changes nothing)', () => {
  const r = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1, 1]) });
  r.becomeFollower(1, NONE);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: entsWithTerms([1, 1]) }));
  assert.deepEqual(logIds(r), ['1@1', '2@1', '3@1'], 'entry 3 is kept');
  assert.equal(takeMsgs(r)[0]!.index, 2);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 2, logTerm: 1, entries: entsWithTerms([1, 1], 3) }));
  assert.deepEqual(logIds(r), ['1@1', '2@1', '3@1', '4@1']);
});

test('Figure 2 AppendEntries: if leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)', () => {
  const r = newRaft(2, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1, 1, 1]) });
  r.becomeFollower(1, NONE);
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 1, logTerm: 1, entries: [entry(2, 1)], commit: 4 }));
  assert.equal(r.raftLog.committed, 2, 'entries 3 and 4 are not known to match the leader');
  r.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 2, logTerm: 1, entries: [], commit: 1 }));
  assert.equal(r.raftLog.committed, 2, 'the commit index never goes back');
});

test('Figure 2 RequestVote: reply false if term < currentTerm', () => {
  const r = newRaft(1, [1, 2, 3]);
  r.becomeFollower(3, NONE);
  r.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 2, index: 10, logTerm: 2 }));
  assert.equal(takeMsgs(r).filter((m) => m.type === 'MsgVoteResp' && !m.reject).length, 0);
  assert.equal(r.vote, NONE);
});

test('Figure 2 RequestVote: grant if votedFor is null or candidateId and the candidate\'s log is at least as up-to-date', () => {
  const cases: Array<{ vote: number; from: number; last: [number, number]; grant: boolean }> = [
    { vote: NONE, from: 2, last: [2, 2], grant: true },
    { vote: 2, from: 2, last: [2, 2], grant: true },
    { vote: 3, from: 2, last: [2, 2], grant: false },
    { vote: NONE, from: 2, last: [1, 2], grant: false }, // shorter log, same last term
    { vote: 2, from: 2, last: [1, 1], grant: false }, // even our own candidate needs an up-to-date log
  ];
  for (const c of cases) {
    const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 2]) });
    r.becomeFollower(2, NONE);
    r.vote = c.vote;
    r.step(msg({ type: 'MsgVote', from: c.from, to: 1, term: 2, index: c.last[0], logTerm: c.last[1] }));
    const [resp] = takeMsgs(r);
    assert.equal(!resp!.reject, c.grant, JSON.stringify(c));
    assert.equal(r.vote, c.grant ? c.from : c.vote);
  }
});

test('Figure 2 Rules for Servers: if commitIndex > lastApplied, apply log[lastApplied+1] (Ready.committedEntries, then advance)', () => {
  const storage = storageWith([1], [1, 1, 1]);
  storage.setHardState({ term: 1, vote: 1, commit: 2 });
  const node = new RawNode({ id: 1, storage, applied: 1 });
  const rd = node.ready();
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [2], 'entry 1 was applied before the restart');
  node.advance();
  assert.equal(node.status().applied, 2);
  assert.equal(node.hasReady(), false);
});

test('Figure 2 persistent state: currentTerm, votedFor and log entries are in the same Ready as the response that depends on them', () => {
  const node = new RawNode({ id: 1, storage: storageWith([1, 2, 3]) });
  node.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 1, index: 0, logTerm: 0 }));
  let rd = node.ready();
  assert.deepEqual(rd.hardState, { term: 1, vote: 2, commit: 0 });
  assert.equal(rd.mustSync, true);
  assert.deepEqual(types(rd.messages), ['MsgVoteResp>2']);
  node.advance();
  node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 1, index: 0, logTerm: 0, entries: [entry(1, 1)] }));
  rd = node.ready();
  assert.deepEqual(rd.entries.map((e) => e.index), [1]);
  assert.deepEqual(rd.messages.map((m) => [m.type, m.index]), [['MsgAppResp', 1]]);
  node.advance();
});

test('Figure 2 Leaders: if last log index ≥ nextIndex for a follower, send AppendEntries with log entries starting at nextIndex', () => {
  const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1]) });
  makeLeader(r); // term 1... log 1@1 2@1 3@1? becomeCandidate moves to term 1
  const pr = r.trk.progress.get(2)!;
  pr.match = 2;
  pr.becomeReplicate();
  takeMsgs(r);
  r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('y') }] }));
  const app = takeMsgs(r).find((m) => m.to === 2)!;
  assert.deepEqual([app.index, app.logTerm], [2, 1]);
  assert.deepEqual(app.entries!.map((e) => e.index), [3, 4]);
  assert.equal(pr.next, 5, 'replicating followers are streamed to optimistically');
});

test('Figure 2 Leaders: commit N when a majority has matchIndex ≥ N and log[N].term == currentTerm', () => {
  const r = newRaft(1, [1, 2, 3]);
  makeLeader(r);
  for (const d of ['a', 'b', 'c']) r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes(d) }] }));
  r.step(msg({ type: 'MsgAppResp', from: 3, to: 1, term: 1, index: 3 }));
  assert.equal(r.raftLog.committed, 3);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 4 }));
  assert.equal(r.raftLog.committed, 4);
});

test('Figure 2 Leaders / §5.3: after a rejection the leader moves nextIndex back and retries until the follower\'s log matches (Figure 7)', () => {
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, log] of Object.entries(followers)) {
    const net = new Network({
      seed: 1,
      voters: [1, 2, 3],
      bootstrap: 'index0',
      storage: (id) => {
        const s = storageWith([1, 2, 3], id === 2 ? log : leaderLog);
        s.setHardState({ term: 7, vote: 0, commit: 0 });
        return s;
      },
    });
    net.elect(1); // term 8, with node 3's vote
    net.propose(1, 'z');
    net.stabilize();
    const want = net.raw(1).raft.raftLog.allEntries().map((e) => `${e.index}@${e.term}`);
    assert.equal(want.length, 12);
    assert.deepEqual(logIds(net.raw(2).raft), want, `follower (${name})`);
    assert.equal(net.raw(2).raft.raftLog.committed, 12, `follower (${name})`);
  }
});

test('§5.3 Leader Append-Only: a leader never overwrites or deletes entries in its log', () => {
  const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 1]) });
  r.becomeFollower(1, NONE);
  makeLeader(r);
  const before = logIds(r);
  // Nothing a leader receives in its term can make it rewrite its log.
  r.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 1, index: 0, logTerm: 0, entries: entsWithTerms([2, 2]) }));
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 2, index: 1, reject: true, rejectHint: 0 }));
  r.step(msg({ type: 'MsgSnap', from: 2, to: 1, term: 2, snapshot: { metadata: { index: 9, term: 2, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array() } }));
  assert.deepEqual(logIds(r), before);
  // And in a network run, the harness checks every leader's Ready for rewrites.
  const net = new Network({ seed: 3, voters: [1, 2, 3], duplicateRate: 0.3, reorder: true });
  net.elect(1);
  for (let i = 0; i < 20; i++) net.tryPropose(1 + (i % 3), `p${i}`);
  net.stabilize();
  assert.deepEqual(net.violations, []);
});

// ---- §5.4 Safety ----

test('§5.4.1 election restriction: a voter denies its vote to a candidate whose log is less up-to-date', () => {
  // voter's log: 1@1 2@2 3@2
  const cases: Array<{ last: [number, number]; grant: boolean }> = [
    { last: [3, 2], grant: true }, // identical
    { last: [4, 2], grant: true }, // longer, same term
    { last: [1, 3], grant: true }, // shorter but later term
    { last: [2, 2], grant: false }, // shorter, same term
    { last: [9, 1], grant: false }, // longer but older term
    { last: [0, 0], grant: false },
  ];
  for (const c of cases) {
    const r = newRaft(1, [1, 2, 3], { storage: storageWith([1, 2, 3], [1, 2, 2]) });
    r.becomeFollower(3, NONE);
    r.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 4, index: c.last[0], logTerm: c.last[1] }));
    assert.equal(!takeMsgs(r)[0]!.reject, c.grant, JSON.stringify(c));
  }
});

test('§5.4.1 a server missing committed entries cannot be elected; one that has them can', () => {
  const net = new Network({ seed: 5, voters: [1, 2, 3] });
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'committed');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['committed']);
  net.crash(1);
  net.heal();
  net.campaign(3);
  net.stabilize();
  assert.notEqual(net.raw(3).raft.state, 'leader', 'node 2 refuses: its log is more up-to-date');
  net.elect(2);
  net.stabilize();
  assert.deepEqual(net.applied(3), ['committed']);
});

test('§5.4.2 a leader does not commit entries from previous terms by counting replicas', () => {
  const storage = storageWith([1, 2, 3, 4, 5], [1, 2]);
  storage.setHardState({ term: 3, vote: 0, commit: 1 });
  const r = newRaft(1, [1, 2, 3, 4, 5], { storage });
  makeLeader(r); // term 4, appends 3@4
  assert.deepEqual(logIds(r), ['1@1', '2@2', '3@4']);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 4, index: 2 }));
  r.step(msg({ type: 'MsgAppResp', from: 3, to: 1, term: 4, index: 2 }));
  assert.equal(r.raftLog.committed, 1, 'entry 2 is on a majority, but it is from term 2');
});

test('§5.4.2 an entry from a previous term is committed indirectly once an entry from the current term commits on top of it', () => {
  const storage = storageWith([1, 2, 3, 4, 5], [1, 2]);
  storage.setHardState({ term: 3, vote: 0, commit: 1 });
  const r = newRaft(1, [1, 2, 3, 4, 5], { storage });
  makeLeader(r);
  r.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 4, index: 3 }));
  assert.equal(r.raftLog.committed, 1);
  r.step(msg({ type: 'MsgAppResp', from: 3, to: 1, term: 4, index: 3 }));
  assert.equal(r.raftLog.committed, 3);
});

function electEventually(net: Network, id: number): void {
  for (let i = 0; i < 5 && net.raw(id).raft.state !== 'leader'; i++) {
    net.campaign(id);
    net.stabilize();
  }
  assert.equal(net.raw(id).raft.state, 'leader', `node ${id} could not be elected`);
}

test('§5.4.2 Figure 8: an old-term entry stored on a majority can still be overwritten by a later leader', () => {
  const net = new Network({ seed: 8, voters: [1, 2, 3, 4, 5], bootstrap: 'index0', config: { maxSizePerMsg: 0 } });
  net.elect(1);
  net.stabilize();
  // (a) S1 leads and replicates index 2 to S2 only.
  net.partition([1, 2], [3, 4, 5]);
  net.propose(1, 'old');
  net.stabilize();
  const oldTerm = net.raw(1).raft.term;
  assert.equal(net.raw(2).raft.raftLog.term(2), oldTerm);
  net.crash(1);
  // (b) S5 is elected by S3, S4, S5 and appends a different entry at index 2 only locally.
  net.partition([3, 4, 5], [2]);
  const stopS5 = net.dropTypes(['MsgApp'], { from: 5 });
  net.elect(5);
  assert.notEqual(net.raw(5).raft.raftLog.term(2), oldTerm);
  net.crash(5);
  stopS5();
  // (c) S1 comes back, is elected, and replicates the old entry 2 to S3: now S1, S2 and S3
  // hold it, a majority. Its own term's entry (index 3) does not get through.
  net.restart(1);
  net.partition([1, 2, 3, 4]);
  // (S3 and S4 may see S1's first probe, which they reject; once they hold index 2, entries
  // beyond it are lost on the way.)
  const holdsOld = (id: number) => net.raw(id).raft.raftLog.termOrZero(2) === oldTerm;
  const hold = net.addFilter((env) =>
    env.msg.type === 'MsgApp' && env.to !== 2 && holdsOld(env.to) && env.msg.entries?.some((e) => e.index >= 3) ? 'drop' : undefined,
  );
  electEventually(net, 1); // S3 and S4 voted for S5 in the previous term: it takes a second round
  net.stabilize();
  for (const id of [1, 2, 3]) assert.equal(net.raw(id).raft.raftLog.term(2), oldTerm, `S${id} holds the old entry`);
  assert.ok(net.raw(1).raft.raftLog.committed < 2, 'S1 must not count replicas of an old-term entry');
  // (d) S1 crashes; S5 (last term newer than the old entry's) wins and overwrites index 2.
  net.crash(1);
  hold();
  net.restart(5);
  net.heal();
  electEventually(net, 5);
  net.propose(5, 'new');
  net.stabilize();
  for (const id of [2, 3, 4, 5]) {
    assert.notEqual(net.raw(id).raft.raftLog.term(2), oldTerm);
    assert.deepEqual(net.applied(id), ['new'], `S${id} never applied the overwritten entry`);
  }
  assert.deepEqual(net.violations, []);
});

test('§5.4.3 leader completeness: every committed entry is in the log of every later leader', () => {
  const net = new Network({ seed: 11, voters: [1, 2, 3, 4, 5] });
  const committed: string[] = [];
  let leader = 1;
  net.elect(leader);
  for (let round = 0; round < 10; round++) {
    const v = `v${round}`;
    net.propose(leader, v);
    net.stabilize();
    committed.push(v);
    // depose the leader and let a random majority elect another
    net.isolate(leader);
    const others = net.ids.filter((id) => id !== leader);
    const next = others[round % others.length]!;
    net.campaign(next);
    net.stabilize();
    assert.equal(net.raw(next).raft.state, 'leader');
    const log = net.raw(next).raft.raftLog.allEntries().map((e) => str(e.data));
    for (const c of committed) assert.ok(log.includes(c), `leader ${next} lacks ${c}`);
    net.heal();
    net.stabilize();
    leader = next;
  }
  assert.deepEqual(net.violations, []);
});

// ---- §5.5 Follower and candidate crashes ----

test('§5.5 Raft RPCs are idempotent: duplicated and reordered messages leave every log and state machine the same', () => {
  const net = new Network({ seed: 21, voters: [1, 2, 3], duplicateRate: 0.5, reorder: true });
  net.elect(1);
  const want: string[] = [];
  for (let i = 0; i < 30; i++) {
    net.propose(1, `e${i}`);
    want.push(`e${i}`);
    if (i % 7 === 0) net.stabilize();
  }
  net.stabilize();
  net.tickAll();
  net.stabilize();
  for (const id of net.ids) assert.deepEqual(net.applied(id), want, `node ${id}`);
  net.checkLogMatching();
});

test('§5.5 a crashed follower is retried indefinitely and catches up after it restarts', () => {
  const net = new Network({ seed: 4, voters: [1, 2, 3] });
  net.elect(1);
  net.crash(3);
  for (let i = 0; i < 5; i++) net.propose(1, `x${i}`);
  net.stabilize();
  net.tickAll(3);
  net.stabilize();
  net.restart(3);
  net.tickAll(); // the next heartbeat finds it
  net.stabilize();
  assert.deepEqual(net.applied(3), ['x0', 'x1', 'x2', 'x3', 'x4']);
});

// ---- §6 Cluster membership changes (one server at a time) ----

test('§6 a server is added as a voter one at a time and counts toward the quorum once its change is applied', () => {
  const net = new Network({ seed: 2, voters: [1, 2, 3], joiners: [4] });
  net.elect(1);
  net.proposeConfChange(1, { type: 'addNode', nodeId: 4 });
  net.stabilize();
  for (const id of [1, 2, 3, 4]) assert.deepEqual(net.node(id).confState.voters, [1, 2, 3, 4], `node ${id}`);
  // Quorum is now 3 of 4: nodes 1 and 2 alone cannot commit...
  net.partition([1, 2], [3, 4]);
  net.propose(1, 'a');
  net.stabilize();
  assert.deepEqual(net.applied(1), []);
  // ...and with node 4 they can.
  net.partition([1, 2, 4], [3]);
  net.tickAll();
  net.stabilize();
  assert.deepEqual(net.applied(1), ['a']);
  assert.deepEqual(net.applied(4), ['a']);
});

test('§6 a removed voter no longer counts toward the quorum', () => {
  const net = new Network({ seed: 2, voters: [1, 2, 3, 4] });
  net.elect(1);
  net.partition([1, 2], [3, 4]);
  net.propose(1, 'before');
  net.stabilize();
  assert.deepEqual(net.applied(1), [], '2 of 4 is not a quorum');
  net.heal();
  net.stabilize();
  net.proposeConfChange(1, { type: 'removeNode', nodeId: 4 });
  net.stabilize();
  assert.deepEqual(net.node(1).confState.voters, [1, 2, 3]);
  net.partition([1, 2], [3, 4]);
  net.propose(1, 'after');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['before', 'after'], '2 of 3 is');
});

test('§6 a leader that removes itself steps down once the change is applied, and the rest elect a new leader', () => {
  const net = new Network({ seed: 6, voters: [1, 2, 3] });
  net.elect(1);
  net.proposeConfChange(1, { type: 'removeNode', nodeId: 1 });
  net.stabilize();
  assert.equal(net.raw(1).raft.state, 'follower');
  assert.ok(net.tickUntil(() => [2, 3].includes(net.leader() ?? 0), 100), 'a new leader among 2 and 3');
  const term = net.raw(net.leader()!).raft.term;
  net.propose(net.leader()!, 'on');
  net.stabilize();
  assert.deepEqual(net.applied(2), ['on']);
  for (let i = 0; i < 50; i++) {
    net.tickAll();
    net.stabilize();
  }
  assert.equal(net.raw(1).raft.state, 'follower', 'the removed server never campaigns');
  assert.equal(net.raw(net.leader()!).raft.term, term);
});

test('§6 only one configuration change may be pending at a time', () => {
  const storage = storageWith([1]);
  const node = new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1 });
  const persist = () => {
    const rd = node.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    return rd;
  };
  node.campaign();
  persist();
  node.advance();
  node.proposeConfChange({ type: 'addNode', nodeId: 2 });
  assert.throws(() => node.proposeConfChange({ type: 'addNode', nodeId: 3 }), (e) => isRaftError(e, 'proposal-dropped'));
  const rd = persist(); // the first change commits at once in a single-voter group
  assert.ok(rd.committedEntries.some((e) => e.type === 'confChange'), 'the change is committed');
  assert.deepEqual(node.applyConfChange({ type: 'addNode', nodeId: 2 }), { voters: [1, 2], learners: [] });
  node.advance();
  node.proposeConfChange({ type: 'addNode', nodeId: 3 }); // allowed once the first is applied
});

test('§6 a server does not campaign while a committed configuration change is not yet applied', () => {
  const storage = new MemoryStorage({ voters: [1, 2, 3] });
  storage.append([entry(1, 1), { index: 2, term: 1, type: 'confChange', data: new Uint8Array(Buffer.from('{"type":"addNode","nodeId":4}')) }]);
  storage.setHardState({ term: 1, vote: 0, commit: 2 });
  const r = newRaft(1, [1, 2, 3], { storage, applied: 1 });
  tickPastElection(r);
  tickPastElection(r);
  assert.equal(r.state, 'follower');
  applyAll(r);
  tickPastElection(r);
  assert.equal(r.state, 'candidate');
});

test('§6 (thesis §4.2.3) with CheckQuorum a removed server cannot disrupt the cluster: its vote requests are ignored', () => {
  const net = new Network({ seed: 9, voters: [1, 2, 3], config: { checkQuorum: true } });
  net.elect(1);
  net.isolate(3);
  net.proposeConfChange(1, { type: 'removeNode', nodeId: 3 });
  net.stabilize();
  assert.deepEqual(net.node(1).confState.voters, [1, 2]);
  net.heal();
  const term = net.raw(1).raft.term;
  for (let i = 0; i < 100; i++) {
    net.tickAll();
    net.stabilize();
  }
  assert.ok(net.raw(3).raft.term > term, 'node 3 keeps campaigning, unaware of its removal');
  assert.deepEqual([net.raw(1).raft.state, net.raw(1).raft.term], ['leader', term]);
});

test('§6 (thesis §4.2.1) learners receive the log but neither vote nor count toward the quorum', () => {
  const net = new Network({ seed: 12, voters: [1, 2], learners: [3] });
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  assert.deepEqual(net.applied(3), ['a']);
  net.isolate(2);
  net.propose(1, 'b');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['a'], 'the learner\'s acknowledgement does not commit');
  assert.equal(net.raw(3).raft.raftLog.lastIndex(), net.raw(1).raft.raftLog.lastIndex(), 'but it has the entry');
  net.isolate(3);
  const term = net.raw(3).raft.term;
  net.tickAll(100);
  assert.deepEqual([net.raw(3).raft.state, net.raw(3).raft.term], ['follower', term], 'a learner never campaigns');
  net.heal();
  net.stabilize();
  // vote requests go to voters only
  net.crash(1);
  net.campaign(2);
  assert.ok(net.pending.every((env) => env.to !== 3), 'no vote request to the learner');
});

test('§6 promoting a learner makes it a voter that counts toward the quorum', () => {
  const net = new Network({ seed: 13, voters: [1, 2], learners: [3] });
  net.elect(1);
  net.proposeConfChange(1, { type: 'addNode', nodeId: 3 });
  net.stabilize();
  assert.deepEqual(net.node(3).confState, { voters: [1, 2, 3], learners: [] });
  net.isolate(2);
  net.propose(1, 'c');
  net.stabilize();
  assert.deepEqual(net.applied(1), ['c']);
});

// ---- §8 Client interaction ----

test('§8 proposals sent to a follower are forwarded to the leader', () => {
  const net = new Network({ seed: 14, voters: [1, 2, 3] });
  net.elect(1);
  net.propose(3, 'via-3');
  net.stabilize();
  for (const id of net.ids) assert.deepEqual(net.applied(id), ['via-3']);
});

test('§8 proposals are dropped with an error when there is no leader', () => {
  const r = newRaft(1, [1, 2, 3]);
  const prop = () => r.step(msg({ type: 'MsgProp', from: 1, entries: [{ index: 0, term: 0, type: 'normal', data: bytes('x') }] }));
  assert.throws(prop, (e) => isRaftError(e, 'proposal-dropped'));
  r.hup('election');
  assert.throws(prop, (e) => isRaftError(e, 'proposal-dropped'), 'a candidate has no leader either');
  const node = new RawNode({ id: 1, storage: storageWith([1, 2, 3]) });
  assert.throws(() => node.propose(bytes('x')), (e) => isRaftError(e, 'proposal-dropped'));
});

test('§8 a new leader commits a blank no-op entry at the start of its term', () => {
  const net = new Network({ seed: 15, voters: [1, 2, 3] });
  net.elect(2);
  net.stabilize();
  const r = net.raw(2).raft;
  const last = r.raftLog.allEntries().at(-1) as Entry;
  assert.deepEqual([last.term, last.type, last.data.byteLength], [r.term, 'normal', 0]);
  assert.equal(r.raftLog.committed, last.index);
});

test('§8 read-only: a new leader serves a ReadIndex only after it has committed an entry of its term', () => {
  const net = new Network({ seed: 16, voters: [1, 2, 3] });
  const stop = net.dropTypes(['MsgAppResp']);
  net.elect(1);
  net.readIndex(1, 'r1');
  net.stabilize();
  assert.deepEqual(net.node(1).readStates, []);
  stop();
  net.tickAll();
  net.stabilize();
  const rs = net.node(1).readStates;
  assert.equal(rs.length, 1);
  assert.equal(str(rs[0]!.requestCtx), 'r1');
  assert.equal(rs[0]!.index, net.raw(1).raft.raftLog.committed);
});

test('§8 read-only: the leader confirms it is still leader with a quorum heartbeat round before answering', () => {
  const net = new Network({ seed: 17, voters: [1, 2, 3] });
  net.elect(1);
  net.stabilize();
  net.readIndex(1, 'ok');
  assert.deepEqual(net.node(1).readStates, [], 'not before the heartbeat round');
  assert.ok(net.pending.some((env) => env.msg.type === 'MsgHeartbeat' && str(env.msg.context!) === 'ok'), 'heartbeats carry the read context');
  net.stabilize();
  assert.equal(net.node(1).readStates.length, 1);
  // A deposed leader that cannot reach a quorum never answers, so it cannot serve stale data.
  net.isolate(1);
  net.readIndex(1, 'stale?');
  net.campaign(2);
  net.stabilize();
  net.propose(2, 'newer');
  net.stabilize();
  net.heal();
  net.tickAll();
  net.stabilize();
  assert.deepEqual(net.node(1).readStates.map((r) => str(r.requestCtx)), ['ok']);
  assert.equal(net.raw(1).raft.state, 'follower');
});

test('§8 read-only: a follower\'s ReadIndex is forwarded to the leader and answered with the leader\'s commit index', () => {
  const net = new Network({ seed: 18, voters: [1, 2, 3] });
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  net.readIndex(3, 'from-3');
  net.stabilize();
  const [rs] = net.node(3).readStates;
  assert.equal(str(rs!.requestCtx), 'from-3');
  assert.equal(rs!.index, net.raw(1).raft.raftLog.committed);
  assert.throws(() => new RawNode({ id: 9, storage: storageWith([9, 8]) }).readIndex(bytes('x')), (e) => isRaftError(e, 'proposal-dropped'));
});

test('§8 read-only (thesis §6.4.1, lease-based): with CheckQuorum the leader answers from its lease without a heartbeat round', () => {
  const net = new Network({ seed: 19, voters: [1, 2, 3], config: { checkQuorum: true, readOnlyOption: 'leaseBased' } });
  net.elect(1);
  net.stabilize();
  net.readIndex(1, 'fast');
  assert.equal(net.node(1).readStates.length, 1);
  assert.equal(net.pending.length, 0, 'no heartbeat round');
  assert.throws(() => new Raft({ id: 1, storage: storageWith([1]), readOnlyOption: 'leaseBased' }), (e) => isRaftError(e, 'invalid'));
});
