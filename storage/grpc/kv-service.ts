// etcd's KV service over a Store: Range, Put, DeleteRange, Txn, Compact.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { errors } from '../errors.ts';
import type { ServiceContext } from './context.ts';
import { finishRange, planRange } from './range.ts';
import { serveTxn } from './txn.ts';
import { emulateTxn } from './txn-emulated.ts';
import { checkPut, type TreeOp } from './txn-tree.ts';
import {
  int,
  kvToWire,
  leaseId,
  optBytes,
  type WireDeleteRangeRequest,
  type WireDeleteRangeResponse,
  type WirePutRequest,
  type WirePutResponse,
  type WireRangeRequest,
  type WireRangeResponse,
  type WireTxnRequest,
} from './wire.ts';

export function kvService(ctx: ServiceContext): UntypedServiceImplementation {
  const { store } = ctx;
  return {
    Range: ctx.unary(async (req: WireRangeRequest): Promise<WireRangeResponse> => {
      const plan = planRange(req);
      const r = await store.range(plan.key, plan.options);
      const done = finishRange(r, plan);
      return { header: ctx.header(r.header.revision), kvs: done.kvs.map(kvToWire), more: done.more, count: done.count };
    }),

    Put: ctx.unary(async (req: WirePutRequest): Promise<WirePutResponse> => {
      if (req.key.length === 0) throw errors.emptyKey();
      const op: Extract<TreeOp, { kind: 'put' }> = {
        kind: 'put',
        key: req.key,
        value: req.value,
        lease: leaseId(req.lease),
        prevKv: req.prev_kv,
        ignoreValue: req.ignore_value,
        ignoreLease: req.ignore_lease,
      };
      checkPut(op);
      if (op.ignoreValue || op.ignoreLease) {
        const { header, result } = await emulateTxn(store, { compare: [], success: [op], failure: [] });
        const put = result.responses[0];
        const prev = put?.type === 'put' ? put.prevKv : undefined;
        return prev ? { header: ctx.header(header.revision), prev_kv: kvToWire(prev) } : { header: ctx.header(header.revision) };
      }
      const r = await store.put(op.key, op.value, { lease: op.lease, prevKv: op.prevKv });
      return r.prevKv ? { header: ctx.header(r.header.revision), prev_kv: kvToWire(r.prevKv) } : { header: ctx.header(r.header.revision) };
    }),

    DeleteRange: ctx.unary(async (req: WireDeleteRangeRequest): Promise<WireDeleteRangeResponse> => {
      const rangeEnd = optBytes(req.range_end);
      const r = await store.delete(req.key, rangeEnd ? { rangeEnd, prevKv: req.prev_kv } : { prevKv: req.prev_kv });
      return { header: ctx.header(r.header.revision), deleted: r.deleted, prev_kvs: r.prevKvs.map(kvToWire) };
    }),

    Txn: ctx.unary((req: WireTxnRequest) => serveTxn(ctx, req)),

    Compact: ctx.unary(async (req: { revision: string; physical: boolean }) => {
      const h = await store.compact(int(req.revision));
      return { header: ctx.header(h.revision) };
    }),
  };
}
