// The shapes of etcd's v3 messages as @grpc/proto-loader hands them to us (see proto.ts:
// int64 as decimal strings, bytes as Buffers, enums as names), and conversions between
// them and the Store's types.
import type { KeyValue, WatchEvent } from '../store.ts';

/** An int64/uint64 field: a decimal string on the way in; a string or number on the way out. */
export type Int64 = string;

export interface WireHeader {
  cluster_id: string;
  member_id: string;
  revision: string;
  raft_term: string;
}

export interface WireKeyValue {
  key: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  value: Buffer;
  lease: string;
}

export interface WireEvent {
  type: 'PUT' | 'DELETE';
  kv: WireKeyValue;
  prev_kv?: WireKeyValue;
}

export interface WireRangeRequest {
  key: Buffer;
  range_end: Buffer;
  limit: Int64;
  revision: Int64;
  sort_order: string | number;
  sort_target: string | number;
  serializable: boolean;
  keys_only: boolean;
  count_only: boolean;
  min_mod_revision: Int64;
  max_mod_revision: Int64;
  min_create_revision: Int64;
  max_create_revision: Int64;
}

export interface WirePutRequest {
  key: Buffer;
  value: Buffer;
  lease: Int64;
  prev_kv: boolean;
  ignore_value: boolean;
  ignore_lease: boolean;
}

export interface WireDeleteRangeRequest {
  key: Buffer;
  range_end: Buffer;
  prev_kv: boolean;
}

export interface WireRequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  request_range?: WireRangeRequest;
  request_put?: WirePutRequest;
  request_delete_range?: WireDeleteRangeRequest;
  request_txn?: WireTxnRequest;
}

export interface WireCompare {
  result: string | number;
  target: string | number;
  key: Buffer;
  target_union?: string;
  version?: Int64;
  create_revision?: Int64;
  mod_revision?: Int64;
  value?: Buffer;
  lease?: Int64;
  range_end: Buffer;
}

export interface WireTxnRequest {
  compare: WireCompare[];
  success: WireRequestOp[];
  failure: WireRequestOp[];
}

export interface WireRangeResponse {
  header: WireHeader;
  kvs: WireKeyValue[];
  more: boolean;
  count: number;
}

export interface WirePutResponse {
  header: WireHeader;
  prev_kv?: WireKeyValue;
}

export interface WireDeleteRangeResponse {
  header: WireHeader;
  deleted: number;
  prev_kvs: WireKeyValue[];
}

export type WireResponseOp =
  | { response_range: WireRangeResponse }
  | { response_put: WirePutResponse }
  | { response_delete_range: WireDeleteRangeResponse }
  | { response_txn: WireTxnResponse };

export interface WireTxnResponse {
  header: WireHeader;
  succeeded: boolean;
  responses: WireResponseOp[];
}

/** An int64 field as a number (revisions, TTLs, limits: all far below 2^53). */
export function int(v: Int64 | number | undefined | null): number {
  if (v === undefined || v === null || v === '') return 0;
  return typeof v === 'number' ? v : Number(v);
}

/**
 * A lease id as the Store's LeaseId. Ids outside 1..Number.MAX_SAFE_INTEGER cannot name a
 * lease of ours: they come back as -1, which no lease has (0 stays "no lease").
 */
export function leaseId(v: Int64 | undefined): number {
  if (v === undefined || v === '' || v === '0') return 0;
  const big = BigInt(v);
  return big > 0n && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : -1;
}

/** Absent or empty bytes: undefined (etcd treats an empty range_end as "no range_end"). */
export function optBytes(b: Buffer | undefined): Buffer | undefined {
  return b === undefined || b.length === 0 ? undefined : b;
}

export function kvToWire(kv: KeyValue): WireKeyValue {
  return {
    key: kv.key,
    create_revision: String(kv.createRevision),
    mod_revision: String(kv.modRevision),
    version: String(kv.version),
    value: kv.value,
    lease: String(kv.lease),
  };
}

export function eventToWire(e: WatchEvent): WireEvent {
  const out: WireEvent = { type: e.type === 'put' ? 'PUT' : 'DELETE', kv: kvToWire(e.kv) };
  if (e.prevKv) out.prev_kv = kvToWire(e.prevKv);
  return out;
}
