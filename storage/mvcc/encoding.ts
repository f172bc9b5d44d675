// On-disk layout in LevelDB. Every write of a key is one record under its revision, as in
// etcd's bolt backend, so history is a scan in revision order:
//   'r' + main(8, BE) + sub(4, BE)  ->  record (key, value, createRevision, version, lease, tombstone)
//   'l' + id(8, BE)                 ->  lease (ttl)
//   'm' + name                      ->  meta (current revision, compact revision, ...)
import type { Rev } from './key-index.ts';
import type { KeyValue } from '../store.ts';

const REV_PREFIX = 0x72; // 'r'
const LEASE_PREFIX = 0x6c; // 'l'
const META_PREFIX = 0x6d; // 'm'

export function revKey(rev: Rev): Buffer {
  const b = Buffer.allocUnsafe(13);
  b[0] = REV_PREFIX;
  b.writeUIntBE(Math.floor(rev.main / 2 ** 32), 1, 4);
  b.writeUInt32BE(rev.main >>> 0, 5);
  b.writeUInt32BE(rev.sub, 9);
  return b;
}

export function parseRevKey(b: Buffer): Rev {
  return { main: b.readUInt32BE(1) * 2 ** 32 + b.readUInt32BE(5), sub: b.readUInt32BE(9) };
}

/** Bounds for iterating the records of revisions [from, to]. */
export function revRange(from: number, to: number): { gte: Buffer; lte: Buffer } {
  return { gte: revKey({ main: from, sub: 0 }), lte: revKey({ main: to, sub: 0xffffffff }) };
}

export const ALL_REVS = { gte: Buffer.from([REV_PREFIX]), lt: Buffer.from([REV_PREFIX + 1]) };
export const ALL_LEASES = { gte: Buffer.from([LEASE_PREFIX]), lt: Buffer.from([LEASE_PREFIX + 1]) };

export function leaseKey(id: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = LEASE_PREFIX;
  b.writeUIntBE(Math.floor(id / 2 ** 32), 1, 4);
  b.writeUInt32BE(id >>> 0, 5);
  return b;
}

export function parseLeaseKey(b: Buffer): number {
  return b.readUInt32BE(1) * 2 ** 32 + b.readUInt32BE(5);
}

export function metaKey(name: string): Buffer {
  return Buffer.concat([Buffer.from([META_PREFIX]), Buffer.from(name, 'utf8')]);
}

/** A stored write: a live key-value or a tombstone (delete). */
export interface StoredRecord {
  kv: KeyValue;
  tombstone: boolean;
}

// Record: flags(1) keyLen(4) key createRevision(8) version(8) lease(8) value(rest).
const HEADER = 1 + 4;
const NUMS = 8 * 3;

export function encodeRecord(kv: KeyValue, tombstone: boolean): Buffer {
  const b = Buffer.allocUnsafe(HEADER + kv.key.length + NUMS + kv.value.length);
  b[0] = tombstone ? 1 : 0;
  b.writeUInt32BE(kv.key.length, 1);
  kv.key.copy(b, HEADER);
  let o = HEADER + kv.key.length;
  o = b.writeDoubleBE(kv.createRevision, o);
  o = b.writeDoubleBE(kv.version, o);
  o = b.writeDoubleBE(kv.lease, o);
  kv.value.copy(b, o);
  return b;
}

/**
 * Decodes a record stored at `rev`; `withValue` false leaves the value empty (keysOnly).
 * Key and value are views into `b`, not copies: callers must not mutate them.
 */
export function decodeRecord(b: Buffer, rev: Rev, withValue = true): StoredRecord {
  const keyLen = b.readUInt32BE(1);
  const key = b.subarray(HEADER, HEADER + keyLen);
  let o = HEADER + keyLen;
  const createRevision = b.readDoubleBE(o);
  const version = b.readDoubleBE(o + 8);
  const lease = b.readDoubleBE(o + 16);
  o += NUMS;
  const value = withValue ? b.subarray(o) : Buffer.alloc(0);
  return { kv: { key, value, createRevision, modRevision: rev.main, version, lease }, tombstone: b[0] === 1 };
}

export function encodeNumber(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(n);
  return b;
}

export function decodeNumber(b: Buffer): number {
  return b.readDoubleBE(0);
}
