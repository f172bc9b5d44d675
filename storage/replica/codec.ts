// Binary encodings of what replicas write to their Raft log and send to each other:
//  - Commands (the payload of normal log entries, batched into a Proposal);
//  - Raft messages (the peer wire format), with entries and snapshot metadata;
//  - small helpers (varints, length-prefixed bytes) shared by the raft storage and the
//    transport.
// Numbers are safe integers written as LEB128 varints (zig-zag where they may be negative);
// bytes are length-prefixed and decoded as Buffers that share memory with the input.
import type { Compare, CompareResult, CompareTarget, TxnOp, TxnRequest } from '../store.ts';
import type { Command } from '../mvcc/commands.ts';
import type { ConfState, Entry, EntryType, HardState, Message, MessageType, Snapshot, SnapshotMetadata } from '../raft/types.ts';
import { toBuffer } from '../bytes.ts';

// ---- writer / reader ----------------------------------------------------------------------

export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  /** Unsigned safe integer, LEB128. */
  uvarint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uvarint: ${v} is not a non-negative safe integer`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Any number: safe integers as zig-zag varints, anything else as a float64. */
  num(v: number): this {
    if (Number.isSafeInteger(v)) return this.u8(v < 0 ? 1 : 0).uvarint(Math.abs(v));
    this.u8(2);
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.uvarint(b.byteLength);
    this.raw(b);
    return this;
  }

  raw(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  string(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class CodecError extends Error {
  override name = 'CodecError';
}

export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  static of(b: Uint8Array): Reader {
    return new Reader(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  get offset(): number {
    return this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new CodecError('truncated input');
    return this.buf[this.pos++]!;
  }

  uvarint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  num(): number {
    const tag = this.u8();
    if (tag === 0) return this.uvarint();
    if (tag === 1) return -this.uvarint();
    if (tag !== 2) throw new CodecError(`bad number tag ${tag}`);
    if (this.pos + 8 > this.buf.length) throw new CodecError('truncated input');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Buffer {
    const n = this.uvarint();
    return this.raw(n);
  }

  raw(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new CodecError('truncated input');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }
}

// ---- commands ------------------------------------------------------------------------------

const CMD_TXN = 1;
const CMD_LEASE_GRANT = 2;
const CMD_LEASE_REVOKE = 3;
const CMD_COMPACT = 4;
const CMD_ALARM = 5;
const ALARMS = ['NOSPACE'] as const;

const TARGETS: CompareTarget[] = ['version', 'createRevision', 'modRevision', 'value', 'lease'];
const RESULTS: CompareResult[] = ['=', '!=', '<', '>'];

const OP_PUT = 1;
const OP_DELETE = 2;
const OP_RANGE = 3;

// Presence/flag bits of an op.
const F_RANGE_END = 1;
const F_PREV_KV = 2;
const F_LEASE = 4;
const F_LIMIT = 8;
const F_COUNT_ONLY = 16;
const F_KEYS_ONLY = 32;

function writeCompare(w: Writer, c: Compare): void {
  const target = TARGETS.indexOf(c.target);
  const result = RESULTS.indexOf(c.result);
  if (target < 0 || result < 0) throw new CodecError(`bad compare ${c.target} ${c.result}`);
  w.u8(target).u8(result).u8(c.rangeEnd === undefined ? 0 : 1);
  w.bytes(toBuffer(c.key));
  if (c.rangeEnd !== undefined) w.bytes(toBuffer(c.rangeEnd));
  if (typeof c.value === 'number') w.u8(0).num(c.value);
  else w.u8(1).bytes(toBuffer(c.value));
}

function readCompare(r: Reader): Compare {
  const target = TARGETS[r.u8()];
  const result = RESULTS[r.u8()];
  if (!target || !result) throw new CodecError('bad compare');
  const hasEnd = r.u8() === 1;
  const key = r.bytes();
  const c: Compare = { key, target, result, value: 0 };
  if (hasEnd) c.rangeEnd = r.bytes();
  c.value = r.u8() === 0 ? r.num() : r.bytes();
  return c;
}

function writeOp(w: Writer, op: TxnOp): void {
  switch (op.type) {
    case 'put': {
      const flags = (op.prevKv ? F_PREV_KV : 0) | (op.lease !== undefined ? F_LEASE : 0);
      w.u8(OP_PUT).u8(flags).bytes(toBuffer(op.key)).bytes(toBuffer(op.value));
      if (op.lease !== undefined) w.num(op.lease);
      return;
    }
    case 'delete': {
      const flags = (op.prevKv ? F_PREV_KV : 0) | (op.rangeEnd !== undefined ? F_RANGE_END : 0);
      w.u8(OP_DELETE).u8(flags).bytes(toBuffer(op.key));
      if (op.rangeEnd !== undefined) w.bytes(toBuffer(op.rangeEnd));
      return;
    }
    case 'range': {
      const flags =
        (op.rangeEnd !== undefined ? F_RANGE_END : 0) |
        (op.limit !== undefined ? F_LIMIT : 0) |
        (op.countOnly ? F_COUNT_ONLY : 0) |
        (op.keysOnly ? F_KEYS_ONLY : 0);
      w.u8(OP_RANGE).u8(flags).bytes(toBuffer(op.key));
      if (op.rangeEnd !== undefined) w.bytes(toBuffer(op.rangeEnd));
      if (op.limit !== undefined) w.num(op.limit);
      return;
    }
  }
}

function readOp(r: Reader): TxnOp {
  const type = r.u8();
  const flags = r.u8();
  const key = r.bytes();
  switch (type) {
    case OP_PUT: {
      const value = r.bytes();
      const op: TxnOp = { type: 'put', key, value };
      if (flags & F_PREV_KV) op.prevKv = true;
      if (flags & F_LEASE) op.lease = r.num();
      return op;
    }
    case OP_DELETE: {
      const op: TxnOp = { type: 'delete', key };
      if (flags & F_RANGE_END) op.rangeEnd = r.bytes();
      if (flags & F_PREV_KV) op.prevKv = true;
      return op;
    }
    case OP_RANGE: {
      const op: TxnOp = { type: 'range', key };
      if (flags & F_RANGE_END) op.rangeEnd = r.bytes();
      if (flags & F_LIMIT) op.limit = r.num();
      if (flags & F_COUNT_ONLY) op.countOnly = true;
      if (flags & F_KEYS_ONLY) op.keysOnly = true;
      return op;
    }
    default:
      throw new CodecError(`bad txn op ${type}`);
  }
}

function writeOps(w: Writer, ops: TxnOp[] | undefined): void {
  if (ops === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1).uvarint(ops.length);
  for (const op of ops) writeOp(w, op);
}

function readOps(r: Reader): TxnOp[] | undefined {
  if (r.u8() === 0) return undefined;
  const n = r.uvarint();
  const ops: TxnOp[] = new Array(n);
  for (let i = 0; i < n; i++) ops[i] = readOp(r);
  return ops;
}

export function writeCommand(w: Writer, c: Command): void {
  switch (c.type) {
    case 'txn': {
      w.u8(CMD_TXN);
      const compare = c.txn.compare;
      if (compare === undefined) w.u8(0);
      else {
        w.u8(1).uvarint(compare.length);
        for (const cmp of compare) writeCompare(w, cmp);
      }
      writeOps(w, c.txn.success);
      writeOps(w, c.txn.failure);
      return;
    }
    case 'leaseGrant':
      w.u8(CMD_LEASE_GRANT).uvarint(c.id).num(c.ttl);
      return;
    case 'leaseRevoke':
      w.u8(CMD_LEASE_REVOKE).uvarint(c.id);
      return;
    case 'compact':
      w.u8(CMD_COMPACT).num(c.revision);
      return;
    case 'alarm':
      w.u8(CMD_ALARM).u8(ALARMS.indexOf(c.alarm));
      return;
  }
}

export function readCommand(r: Reader): Command {
  const tag = r.u8();
  switch (tag) {
    case CMD_TXN: {
      const txn: TxnRequest = {};
      if (r.u8() === 1) {
        const n = r.uvarint();
        txn.compare = new Array(n);
        for (let i = 0; i < n; i++) txn.compare[i] = readCompare(r);
      }
      const success = readOps(r);
      if (success) txn.success = success;
      const failure = readOps(r);
      if (failure) txn.failure = failure;
      return { type: 'txn', txn };
    }
    case CMD_LEASE_GRANT:
      return { type: 'leaseGrant', id: r.uvarint(), ttl: r.num() };
    case CMD_LEASE_REVOKE:
      return { type: 'leaseRevoke', id: r.uvarint() };
    case CMD_COMPACT:
      return { type: 'compact', revision: r.num() };
    case CMD_ALARM: {
      const alarm = ALARMS[r.u8()];
      if (!alarm) throw new CodecError('bad alarm');
      return { type: 'alarm', alarm };
    }
    default:
      throw new CodecError(`bad command tag ${tag}`);
  }
}

export function encodeCommand(c: Command): Buffer {
  const w = new Writer();
  writeCommand(w, c);
  return w.finish();
}

export function decodeCommand(b: Uint8Array): Command {
  return readCommand(Reader.of(b));
}

// ---- proposals: the payload of normal log entries ---------------------------------------

/** Who proposed an entry and which of its requests it is: (proposer's Raft id, sequence). */
export interface RequestId {
  proposer: number;
  seq: number;
}

/** A batch of commands one replica proposed as one log entry (group commit). */
export interface Proposal {
  id: RequestId;
  commands: Command[];
}

const PROPOSAL_V1 = 1;

export function encodeProposal(p: Proposal): Buffer {
  const w = new Writer(64);
  w.u8(PROPOSAL_V1).uvarint(p.id.proposer).uvarint(p.id.seq).uvarint(p.commands.length);
  for (const c of p.commands) writeCommand(w, c);
  return w.finish();
}

/** Encodes a proposal from commands already encoded with `encodeCommand`. */
export function encodeProposalParts(id: RequestId, encodedCommands: Buffer[]): Buffer {
  let size = 32;
  for (const c of encodedCommands) size += c.length;
  const w = new Writer(size);
  w.u8(PROPOSAL_V1).uvarint(id.proposer).uvarint(id.seq).uvarint(encodedCommands.length);
  for (const c of encodedCommands) w.raw(c);
  return w.finish();
}

export function decodeProposal(data: Uint8Array): Proposal {
  const r = Reader.of(data);
  const v = r.u8();
  if (v !== PROPOSAL_V1) throw new CodecError(`unknown proposal version ${v}`);
  const id = { proposer: r.uvarint(), seq: r.uvarint() };
  const n = r.uvarint();
  const commands: Command[] = new Array(n);
  for (let i = 0; i < n; i++) commands[i] = readCommand(r);
  return { id, commands };
}

// ---- raft structures ---------------------------------------------------------------------

const ENTRY_TYPES: EntryType[] = ['normal', 'confChange'];

export function writeEntry(w: Writer, e: Entry): void {
  w.uvarint(e.term).uvarint(e.index).u8(e.type === 'normal' ? 0 : 1).bytes(e.data);
}

export function readEntry(r: Reader): Entry {
  const term = r.uvarint();
  const index = r.uvarint();
  const type = ENTRY_TYPES[r.u8()];
  if (!type) throw new CodecError('bad entry type');
  return { term, index, type, data: r.bytes() };
}

export function writeConfState(w: Writer, cs: ConfState): void {
  w.uvarint(cs.voters.length);
  for (const v of cs.voters) w.uvarint(v);
  w.uvarint(cs.learners.length);
  for (const l of cs.learners) w.uvarint(l);
}

export function readConfState(r: Reader): ConfState {
  const voters: number[] = [];
  for (let n = r.uvarint(); n > 0; n--) voters.push(r.uvarint());
  const learners: number[] = [];
  for (let n = r.uvarint(); n > 0; n--) learners.push(r.uvarint());
  return { voters, learners };
}

export function writeSnapshotMetadata(w: Writer, m: SnapshotMetadata): void {
  w.uvarint(m.index).uvarint(m.term);
  writeConfState(w, m.confState);
}

export function readSnapshotMetadata(r: Reader): SnapshotMetadata {
  const index = r.uvarint();
  const term = r.uvarint();
  return { index, term, confState: readConfState(r) };
}

export function encodeHardState(hs: HardState): Buffer {
  return new Writer(24).uvarint(hs.term).uvarint(hs.vote).uvarint(hs.commit).finish();
}

export function decodeHardState(b: Uint8Array): HardState {
  const r = Reader.of(b);
  return { term: r.uvarint(), vote: r.uvarint(), commit: r.uvarint() };
}

export function encodeEntry(e: Entry): Buffer {
  const w = new Writer(e.data.byteLength + 24);
  writeEntry(w, e);
  return w.finish();
}

export function decodeEntry(b: Uint8Array): Entry {
  return readEntry(Reader.of(b));
}

export function encodeSnapshotMetadata(m: SnapshotMetadata): Buffer {
  const w = new Writer(64);
  writeSnapshotMetadata(w, m);
  return w.finish();
}

export function decodeSnapshotMetadata(b: Uint8Array): SnapshotMetadata {
  return readSnapshotMetadata(Reader.of(b));
}

// ---- raft messages -------------------------------------------------------------------------

const MSG_TYPES: MessageType[] = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgSnap',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgTimeoutNow',
  'MsgTransferLeader',
  'MsgProp',
];
const MSG_TYPE_CODE = new Map(MSG_TYPES.map((t, i) => [t, i]));

// Presence bits of optional message fields.
const M_LOG_TERM = 1;
const M_INDEX = 2;
const M_ENTRIES = 4;
const M_COMMIT = 8;
const M_SNAPSHOT = 16;
const M_REJECT = 32;
const M_REJECT_HINT = 64;
const M_CONTEXT = 128;
const M_TRANSFER = 256;

export function writeMessage(w: Writer, m: Message): void {
  const code = MSG_TYPE_CODE.get(m.type);
  if (code === undefined) throw new CodecError(`unknown message type ${m.type}`);
  let flags = 0;
  if (m.logTerm !== undefined) flags |= M_LOG_TERM;
  if (m.index !== undefined) flags |= M_INDEX;
  if (m.entries !== undefined) flags |= M_ENTRIES;
  if (m.commit !== undefined) flags |= M_COMMIT;
  if (m.snapshot !== undefined) flags |= M_SNAPSHOT;
  if (m.reject !== undefined) flags |= M_REJECT;
  if (m.rejectHint !== undefined) flags |= M_REJECT_HINT;
  if (m.context !== undefined) flags |= M_CONTEXT;
  if (m.transfer) flags |= M_TRANSFER;
  w.u8(code).uvarint(flags).uvarint(m.from).uvarint(m.to).uvarint(m.term);
  if (m.logTerm !== undefined) w.uvarint(m.logTerm);
  if (m.index !== undefined) w.uvarint(m.index);
  if (m.entries !== undefined) {
    w.uvarint(m.entries.length);
    for (const e of m.entries) writeEntry(w, e);
  }
  if (m.commit !== undefined) w.uvarint(m.commit);
  if (m.snapshot !== undefined) {
    writeSnapshotMetadata(w, m.snapshot.metadata);
    w.bytes(m.snapshot.data);
  }
  if (m.reject !== undefined) w.u8(m.reject ? 1 : 0);
  if (m.rejectHint !== undefined) w.uvarint(m.rejectHint);
  if (m.context !== undefined) w.bytes(m.context);
}

export function readMessage(r: Reader): Message {
  const type = MSG_TYPES[r.u8()];
  if (!type) throw new CodecError('bad message type');
  const flags = r.uvarint();
  const m: Message = { type, from: r.uvarint(), to: r.uvarint(), term: r.uvarint() };
  if (flags & M_LOG_TERM) m.logTerm = r.uvarint();
  if (flags & M_INDEX) m.index = r.uvarint();
  if (flags & M_ENTRIES) {
    const n = r.uvarint();
    const entries: Entry[] = new Array(n);
    for (let i = 0; i < n; i++) entries[i] = readEntry(r);
    m.entries = entries;
  }
  if (flags & M_COMMIT) m.commit = r.uvarint();
  if (flags & M_SNAPSHOT) {
    const metadata = readSnapshotMetadata(r);
    const snap: Snapshot = { metadata, data: r.bytes() };
    m.snapshot = snap;
  }
  if (flags & M_REJECT) m.reject = r.u8() === 1;
  if (flags & M_REJECT_HINT) m.rejectHint = r.uvarint();
  if (flags & M_CONTEXT) m.context = r.bytes();
  if (flags & M_TRANSFER) m.transfer = true;
  return m;
}

export function encodeMessage(m: Message): Buffer {
  let size = 64;
  for (const e of m.entries ?? []) size += e.data.byteLength + 16;
  const w = new Writer(size);
  writeMessage(w, m);
  return w.finish();
}

export function decodeMessage(b: Uint8Array): Message {
  return readMessage(Reader.of(b));
}

/** Several messages in one buffer (a transport frame). */
export function encodeMessages(msgs: readonly Message[]): Buffer {
  let size = 16;
  for (const m of msgs) {
    size += 48;
    for (const e of m.entries ?? []) size += e.data.byteLength + 16;
  }
  const w = new Writer(size);
  w.uvarint(msgs.length);
  for (const m of msgs) writeMessage(w, m);
  return w.finish();
}

export function decodeMessages(b: Uint8Array): Message[] {
  const r = Reader.of(b);
  const n = r.uvarint();
  const msgs: Message[] = new Array(n);
  for (let i = 0; i < n; i++) msgs[i] = readMessage(r);
  return msgs;
}

// ---- snapshot streams: key/value pairs of the state machine's LevelDB ------------------------

/** Packs key/value pairs into one chunk of a snapshot stream. */
export function encodeKvChunk(pairs: readonly (readonly [Buffer, Buffer])[]): Buffer {
  let size = 8;
  for (const [k, v] of pairs) size += k.length + v.length + 10;
  const w = new Writer(size);
  for (const [k, v] of pairs) w.bytes(k).bytes(v);
  return w.finish();
}

export function decodeKvChunk(b: Buffer): Array<[Buffer, Buffer]> {
  const r = new Reader(b);
  const out: Array<[Buffer, Buffer]> = [];
  while (!r.done) out.push([r.bytes(), r.bytes()]);
  return out;
}
