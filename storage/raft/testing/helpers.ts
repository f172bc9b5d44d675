// Small builders shared by the Raft unit tests.
import { Raft } from '../raft.ts';
import type { RaftConfig } from '../raft.ts';
import { MemoryStorage } from '../storage.ts';
import type { Entry, Message } from '../types.ts';

const enc = (s: string) => new Uint8Array(Buffer.from(s));

/** An entry; `data` as a string for readability. */
export function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: enc(data) };
}

/** Entries at indexes from, from+1, ... with the given terms. */
export function entsWithTerms(terms: number[], from = 1): Entry[] {
  return terms.map((t, i) => entry(from + i, t));
}

/** A storage holding `voters`/`learners` at index 0 and, optionally, a log with these terms from index 1. */
export function storageWith(voters: number[], terms: number[] = [], learners: number[] = []): MemoryStorage {
  const s = new MemoryStorage({ voters, learners });
  s.append(entsWithTerms(terms));
  return s;
}

export type TestConfig = Partial<Omit<RaftConfig, 'id' | 'storage'>> & { storage?: MemoryStorage };

/** A Raft with electionTick 10 and heartbeatTick 1 (unless overridden). */
export function newRaft(id: number, voters: number[], cfg: TestConfig = {}): Raft {
  return new Raft({ electionTick: 10, heartbeatTick: 1, ...cfg, id, storage: cfg.storage ?? storageWith(voters) });
}

/** Takes the messages a Raft has queued. */
export function takeMsgs(r: Raft): Message[] {
  const m = r.msgs;
  r.msgs = [];
  return m;
}

/** A message with the given fields (from/to/term default to 0). */
export function msg(m: Partial<Message> & Pick<Message, 'type'>): Message {
  return { from: 0, to: 0, term: 0, ...m };
}

/** Payload bytes for a string. */
export function bytes(s: string): Uint8Array {
  return enc(s);
}

export function str(b: Uint8Array): string {
  return Buffer.from(b).toString();
}

/** Ticks a Raft until its randomized election timeout passes (it campaigns on the last tick). */
export function tickPastElection(r: Raft): void {
  for (let i = 0; i < 2 * r.electionTimeout; i++) r.tick();
}

/** Puts r in the leader role at `term` with everyone's progress reset (as after winning an election). */
export function makeLeader(r: Raft): void {
  r.becomeCandidate();
  r.becomeLeader();
}

/** Applies everything committed and marks it applied, the way RawNode.advance would. */
export function applyAll(r: Raft): Entry[] {
  const ents = r.raftLog.nextCommittedEnts();
  const unstable = r.raftLog.unstableEntries();
  if (unstable.length > 0) {
    const last = unstable[unstable.length - 1]!;
    (r.raftLog.storage as MemoryStorage).append(unstable);
    r.raftLog.stableTo(last.index, last.term);
  }
  if (ents.length > 0) r.raftLog.appliedTo(ents[ents.length - 1]!.index);
  return ents;
}
