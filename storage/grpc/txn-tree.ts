// A txn request as a tree (etcd allows txns nested in txn branches), parsed from the wire,
// and its results converted back. Both the direct path (txn.ts) and the emulated one
// (txn-emulated.ts) work on this tree.
import type { Compare, CompareResult, CompareTarget, KeyValue, TxnOpResult } from '../store.ts';
import { MAX_TXN_OPS } from '../validate-request.ts';
import { rpcErrors } from './errors.ts';
import { finishRange, planRange, type RangePlan } from './range.ts';
import {
  int,
  kvToWire,
  leaseId,
  optBytes,
  type WireCompare,
  type WireHeader,
  type WireRequestOp,
  type WireResponseOp,
  type WireTxnRequest,
  type WireTxnResponse,
} from './wire.ts';

export type TreeOp =
  | { kind: 'range'; plan: RangePlan }
  | { kind: 'put'; key: Buffer; value: Buffer; lease: number; prevKv: boolean; ignoreValue: boolean; ignoreLease: boolean }
  | { kind: 'delete'; key: Buffer; rangeEnd?: Buffer; prevKv: boolean }
  | { kind: 'txn'; txn: TxnTree };

export interface TxnTree {
  compare: Compare[];
  success: TreeOp[];
  failure: TreeOp[];
}

export type TreeOpResult = TxnOpResult | { type: 'txn'; result: TreeResult };

export interface TreeResult {
  succeeded: boolean;
  responses: TreeOpResult[];
}

const targets: Record<string, { target: CompareTarget; field: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease' }> = {
  VERSION: { target: 'version', field: 'version' },
  CREATE: { target: 'createRevision', field: 'create_revision' },
  MOD: { target: 'modRevision', field: 'mod_revision' },
  VALUE: { target: 'value', field: 'value' },
  LEASE: { target: 'lease', field: 'lease' },
};

const results: Record<string, CompareResult> = { EQUAL: '=', NOT_EQUAL: '!=', LESS: '<', GREATER: '>' };

function parseCompare(c: WireCompare): Compare {
  const t = targets[String(c.target)];
  const result = results[String(c.result)];
  if (!t || !result) throw rpcErrors.unimplemented(`unknown compare target/result ${String(c.target)}/${String(c.result)}`);
  // As etcd: the operand is the union member named by the target; another member means zero.
  const set = c.target_union === t.field;
  let value: number | Buffer;
  if (t.target === 'value') value = set ? (c.value ?? Buffer.alloc(0)) : Buffer.alloc(0);
  else if (t.target === 'lease') value = set ? leaseId(c.lease) : 0;
  else value = set ? int(c[t.field] as string | undefined) : 0;
  const out: Compare = { key: c.key, target: t.target, result, value };
  const rangeEnd = optBytes(c.range_end);
  if (rangeEnd) out.rangeEnd = rangeEnd;
  return out;
}

function parseOp(op: WireRequestOp): TreeOp {
  switch (op.request) {
    case 'request_range':
      return { kind: 'range', plan: planRange(op.request_range!) };
    case 'request_put': {
      const p = op.request_put!;
      return {
        kind: 'put',
        key: p.key,
        value: p.value,
        lease: leaseId(p.lease),
        prevKv: p.prev_kv,
        ignoreValue: p.ignore_value,
        ignoreLease: p.ignore_lease,
      };
    }
    case 'request_delete_range': {
      const d = op.request_delete_range!;
      const rangeEnd = optBytes(d.range_end);
      return rangeEnd ? { kind: 'delete', key: d.key, rangeEnd, prevKv: d.prev_kv } : { kind: 'delete', key: d.key, prevKv: d.prev_kv };
    }
    case 'request_txn':
      return { kind: 'txn', txn: parseTxn(op.request_txn!) };
    default:
      // An empty RequestOp: etcd's checkRequestOp answers "key not found".
      throw rpcErrors.keyNotFound();
  }
}

/** Parses and checks what etcd checks before applying: op counts per level, put arguments. */
export function parseTxn(req: WireTxnRequest): TxnTree {
  if (req.compare.length > MAX_TXN_OPS || req.success.length > MAX_TXN_OPS || req.failure.length > MAX_TXN_OPS) {
    throw rpcErrors.tooManyOps();
  }
  const tree: TxnTree = { compare: req.compare.map(parseCompare), success: req.success.map(parseOp), failure: req.failure.map(parseOp) };
  for (const op of [...tree.success, ...tree.failure]) if (op.kind === 'put') checkPut(op);
  return tree;
}

export function checkPut(op: Extract<TreeOp, { kind: 'put' }>): void {
  if (op.ignoreValue && op.value.length !== 0) throw rpcErrors.valueProvided();
  if (op.ignoreLease && op.lease !== 0) throw rpcErrors.leaseProvided();
}

/** Whether the store's own txn can run the tree as is (no nesting, nothing resolved first). */
export function isFlat(tree: TxnTree): boolean {
  return [...tree.success, ...tree.failure].every(
    (op) =>
      op.kind === 'delete' ||
      (op.kind === 'put' && !op.ignoreValue && !op.ignoreLease) ||
      (op.kind === 'range' && op.plan.options.revision === undefined),
  );
}

const wireKvs = (kvs: KeyValue[]) => kvs.map(kvToWire);

/** Sub-responses carry only the revision in their headers, as etcd's do. */
export function treeResultToWire(tree: TxnTree, result: TreeResult, top: WireHeader): WireTxnResponse {
  const header: WireHeader = { cluster_id: '0', member_id: '0', revision: top.revision, raft_term: '0' };
  return toWire(tree, result, top, header);
}

function toWire(tree: TxnTree, result: TreeResult, top: WireHeader, header: WireHeader): WireTxnResponse {
  const ops = result.succeeded ? tree.success : tree.failure;
  const responses = result.responses.map((r, i): WireResponseOp => {
    const op = ops[i]!;
    switch (r.type) {
      case 'range': {
        const done = op.kind === 'range' ? finishRange(r, op.plan) : r;
        return { response_range: { header, kvs: wireKvs(done.kvs), more: done.more, count: done.count } };
      }
      case 'put':
        return { response_put: r.prevKv ? { header, prev_kv: kvToWire(r.prevKv) } : { header } };
      case 'delete':
        return { response_delete_range: { header, deleted: r.deleted, prev_kvs: wireKvs(r.prevKvs) } };
      case 'txn':
        if (op.kind !== 'txn') throw new Error('txn result for a non-txn op');
        return { response_txn: toWire(op.txn, r.result, header, header) };
    }
  });
  return { header: top, succeeded: result.succeeded, responses };
}
