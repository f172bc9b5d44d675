// Txn: straight to the store's txn when it can express the request, else emulated
// (nested txns, ignore_value/ignore_lease puts, past-revision ranges: txn-emulated.ts).
import type { TxnOp } from '../store.ts';
import type { ServiceContext } from './context.ts';
import { emulateTxn } from './txn-emulated.ts';
import { isFlat, parseTxn, treeResultToWire, type TreeOp } from './txn-tree.ts';
import type { WireTxnRequest, WireTxnResponse } from './wire.ts';

function storeOp(op: TreeOp): TxnOp {
  switch (op.kind) {
    case 'range': {
      const { revision: _revision, ...options } = op.plan.options;
      return { type: 'range', key: op.plan.key, ...options };
    }
    case 'put':
      return { type: 'put', key: op.key, value: op.value, lease: op.lease, prevKv: op.prevKv };
    case 'delete':
      return op.rangeEnd
        ? { type: 'delete', key: op.key, rangeEnd: op.rangeEnd, prevKv: op.prevKv }
        : { type: 'delete', key: op.key, prevKv: op.prevKv };
    case 'txn':
      throw new Error('nested txn on the direct path');
  }
}

export async function serveTxn(ctx: ServiceContext, req: WireTxnRequest): Promise<WireTxnResponse> {
  const tree = parseTxn(req);
  if (isFlat(tree)) {
    const r = await ctx.store.txn({
      compare: tree.compare,
      success: tree.success.map(storeOp),
      failure: tree.failure.map(storeOp),
    });
    return treeResultToWire(tree, { succeeded: r.succeeded, responses: r.responses }, ctx.header(r.header.revision));
  }
  const { header, result } = await emulateTxn(ctx.store, tree);
  return treeResultToWire(tree, result, ctx.header(header.revision));
}
