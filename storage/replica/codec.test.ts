import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from '../mvcc/commands.ts';
import type { Message } from '../raft/types.ts';
import {
  Reader,
  Writer,
  decodeCommand,
  decodeKvChunk,
  decodeMessage,
  decodeMessages,
  decodeProposal,
  encodeCommand,
  encodeKvChunk,
  encodeMessage,
  encodeMessages,
  encodeProposal,
  encodeProposalParts,
} from './codec.ts';

test('numbers: varints up to MAX_SAFE_INTEGER, negatives and fractions', () => {
  const nums = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER];
  const w = new Writer(4);
  for (const n of nums) w.uvarint(n);
  for (const n of [...nums, -1, -Number.MAX_SAFE_INTEGER, 1.5, -0.25, Infinity]) w.num(n);
  const r = new Reader(w.finish());
  for (const n of nums) assert.equal(r.uvarint(), n);
  for (const n of [...nums, -1, -Number.MAX_SAFE_INTEGER, 1.5, -0.25, Infinity]) assert.equal(r.num(), n);
  assert.ok(r.done);
  assert.throws(() => new Writer().uvarint(-1));
  assert.throws(() => new Reader(Buffer.from([0x80])).uvarint());
});

test('commands round-trip: txn with binary keys/values and every option, leases, compact', () => {
  const commands: Command[] = [
    {
      type: 'txn',
      txn: {
        compare: [
          { key: 'a', target: 'version', result: '=', value: 3 },
          { key: Buffer.from([0, 255]), rangeEnd: Buffer.from([0]), target: 'value', result: '<', value: Buffer.from([1, 2, 3]) },
          { key: 'm', target: 'modRevision', result: '>', value: -1 },
          { key: 'l', target: 'lease', result: '!=', value: Number.MAX_SAFE_INTEGER },
        ],
        success: [
          { type: 'put', key: 'k', value: Buffer.alloc(100_000, 7), lease: 2 ** 50, prevKv: true },
          { type: 'put', key: 'empty', value: '' },
          { type: 'delete', key: 'd', rangeEnd: 'e', prevKv: true },
          { type: 'delete', key: 'single' },
          { type: 'range', key: 'r', rangeEnd: '\0', limit: 10, countOnly: true, keysOnly: true },
          { type: 'range', key: 'plain' },
        ],
        failure: [],
      },
    },
    { type: 'txn', txn: {} },
    { type: 'leaseGrant', id: Number.MAX_SAFE_INTEGER, ttl: 2 },
    { type: 'leaseRevoke', id: 12345 },
    { type: 'compact', revision: 99 },
  ];
  for (const c of commands) {
    const bytes = encodeCommand(c);
    // Decoding then encoding again gives the same bytes: nothing is lost or added.
    assert.deepEqual(encodeCommand(decodeCommand(bytes)), bytes);
  }
  const d = decodeCommand(encodeCommand(commands[0]!));
  assert.ok(d.type === 'txn');
  const put = d.txn.success![0]!;
  assert.ok(put.type === 'put');
  assert.deepEqual(put.value, Buffer.alloc(100_000, 7));
  assert.equal(put.lease, 2 ** 50);
  assert.equal(put.prevKv, true);
  assert.deepEqual(d.txn.compare![1]!.key, Buffer.from([0, 255]));
  assert.deepEqual(d.txn.compare![1]!.value, Buffer.from([1, 2, 3]));
  assert.equal(d.txn.compare![2]!.value, -1);
  assert.deepEqual(d.txn.success![4], { type: 'range', key: Buffer.from('r'), rangeEnd: Buffer.from([0]), limit: 10, countOnly: true, keysOnly: true });
  assert.deepEqual(d.txn.failure, []);
  // Absent optional fields stay absent (a delete without rangeEnd is a single key).
  const del = decodeCommand(encodeCommand({ type: 'txn', txn: { success: [{ type: 'delete', key: 'x' }] } }));
  assert.ok(del.type === 'txn' && del.txn.success?.[0] && !('rangeEnd' in del.txn.success[0]));
  assert.ok(del.type === 'txn' && !('compare' in del.txn) && !('failure' in del.txn));
});

test('proposals: a batch of commands under a request id; parts encode identically', () => {
  const commands: Command[] = [
    { type: 'leaseGrant', id: 7, ttl: 10 },
    { type: 'txn', txn: { success: [{ type: 'put', key: Buffer.from('a'), value: Buffer.from('b') }] } },
  ];
  const id = { proposer: 2 ** 47 + 3, seq: Date.now() * 1000 };
  const whole = encodeProposal({ id, commands });
  assert.deepEqual(encodeProposalParts(id, commands.map(encodeCommand)), whole);
  const p = decodeProposal(whole);
  assert.deepEqual(p.id, id);
  assert.deepEqual(p.commands[0], commands[0]);
  assert.deepEqual(encodeCommand(p.commands[1]!), encodeCommand(commands[1]!));
});

test('raft messages round-trip with entries, snapshots, contexts and flags', () => {
  const msgs: Message[] = [
    {
      type: 'MsgApp',
      from: 1,
      to: 2 ** 48 - 1,
      term: 7,
      logTerm: 6,
      index: 100,
      commit: 99,
      entries: [
        { term: 7, index: 101, type: 'normal', data: new Uint8Array([1, 2, 3]) },
        { term: 7, index: 102, type: 'confChange', data: new Uint8Array(0) },
      ],
    },
    { type: 'MsgAppResp', from: 2, to: 1, term: 7, index: 50, reject: true, rejectHint: 40, logTerm: 5 },
    { type: 'MsgVote', from: 3, to: 1, term: 8, index: 10, logTerm: 7, transfer: true },
    { type: 'MsgHeartbeat', from: 1, to: 3, term: 8, commit: 10, context: new Uint8Array([9, 9]) },
    { type: 'MsgReadIndex', from: 3, to: 1, term: 0, context: new Uint8Array([1]) },
    {
      type: 'MsgSnap',
      from: 1,
      to: 3,
      term: 8,
      snapshot: { metadata: { index: 500, term: 8, confState: { voters: [1, 2, 3], learners: [4] } }, data: new Uint8Array(0) },
    },
    { type: 'MsgTimeoutNow', from: 1, to: 2, term: 9 },
  ];
  const plain = (m: Message) => JSON.parse(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? [...v] : v?.type === 'Buffer' ? v.data : v)));
  for (const m of msgs) {
    const d = decodeMessage(encodeMessage(m));
    assert.deepEqual(plain(d), plain(m));
  }
  const all = decodeMessages(encodeMessages(msgs));
  assert.equal(all.length, msgs.length);
  assert.deepEqual(Buffer.from(all[0]!.entries![0]!.data), Buffer.from([1, 2, 3]));
  assert.equal(all[3]!.reject, undefined);
  assert.equal(all[2]!.transfer, true);
});

test('snapshot chunks carry key/value pairs byte for byte', () => {
  const pairs: Array<[Buffer, Buffer]> = [
    [Buffer.from('m/raft'), Buffer.from([0, 1])],
    [Buffer.from([0x72, 0, 0, 0]), Buffer.alloc(0)],
    [Buffer.alloc(300, 1), Buffer.alloc(70000, 2)],
  ];
  assert.deepEqual(decodeKvChunk(encodeKvChunk(pairs)), pairs);
  assert.deepEqual(decodeKvChunk(encodeKvChunk([])), []);
});
