// Checks etcd makes on a request before it enters the log: size, op count, empty keys, and
// no key written twice in one txn branch. Pure, shared by every Store that applies requests.
import type { TxnOp, TxnRequest } from './store.ts';
import { errors } from './errors.ts';
import { toBuffer } from './bytes.ts';

export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** etcd's --max-txn-ops default. */
export const MAX_TXN_OPS = 128;

/** Approximate encoded size of a txn, as etcd measures the marshalled request. */
export function requestSize(txn: TxnRequest): number {
  let size = 0;
  for (const c of txn.compare ?? []) size += 16 + toBuffer(c.key).length + (c.rangeEnd ? toBuffer(c.rangeEnd).length : 0) + (typeof c.value === 'number' ? 8 : toBuffer(c.value).length);
  for (const op of [...(txn.success ?? []), ...(txn.failure ?? [])]) {
    size += 16 + toBuffer(op.key).length;
    if (op.type === 'put') size += toBuffer(op.value).length;
    else if (op.rangeEnd) size += toBuffer(op.rangeEnd).length;
  }
  return size;
}

export function validateTxn(txn: TxnRequest, maxRequestBytes: number): void {
  const compare = txn.compare ?? [];
  const branches = [txn.success ?? [], txn.failure ?? []];
  if (compare.length > MAX_TXN_OPS || branches.some((b) => b.length > MAX_TXN_OPS)) throw errors.tooManyOps();
  for (const c of compare) if (toBuffer(c.key).length === 0) throw errors.emptyKey();
  for (const ops of branches) {
    for (const op of ops) if (toBuffer(op.key).length === 0) throw errors.emptyKey();
    checkOverlaps(ops);
  }
  if (requestSize(txn) > maxRequestBytes) throw errors.requestTooLarge();
}

/** etcd rejects a branch that puts one key twice, or deletes a range containing a put key. */
function checkOverlaps(ops: TxnOp[]): void {
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = toBuffer(op.key).toString('latin1');
    if (puts.has(k)) throw errors.duplicateKey();
    puts.add(k);
  }
  for (const op of ops) {
    if (op.type !== 'delete') continue;
    const start = toBuffer(op.key).toString('latin1');
    const end = op.rangeEnd === undefined ? '' : toBuffer(op.rangeEnd).toString('latin1');
    // etcd 3.4 compares [key, rangeEnd) literally, so a from-key delete ("\0") never overlaps.
    if (end === '\0') continue;
    for (const k of puts) {
      const inside = end === '' ? k === start : k >= start && k < end;
      if (inside) throw errors.duplicateKey();
    }
  }
}
