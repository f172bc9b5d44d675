// Txns the Store's own txn cannot express — nested txns, puts with ignore_value /
// ignore_lease, ranges at a past revision inside a txn — run optimistically, with etcd's
// semantics: every compare (nested ones included) is evaluated against the state before
// the txn, which picks one path; the path's writes are then applied as one flat store
// txn guarded by "nothing the evaluation read has changed since". A failed guard means a
// concurrent write got in between: evaluate again.
import { status } from '@grpc/grpc-js';
import { toBuffer } from '../bytes.ts';
import { isStoreError } from '../errors.ts';
import type { Compare, KeyValue, RangeResult, ResponseHeader, Store, TxnOp, TxnOpResult } from '../store.ts';
import { storeRevision } from './context.ts';
import { RpcError, rpcErrors } from './errors.ts';
import type { TreeOp, TreeOpResult, TreeResult, TxnTree } from './txn-tree.ts';

const MAX_ATTEMPTS = 32;

/** The snapshot revision was compacted away while the attempt read it. */
class SnapshotGone extends Error {}

/** One attempt's snapshot: reads at revision `rev`, remembered as guards. */
class Snapshot {
  private readonly reads = new Map<string, { key: Buffer; rangeEnd?: Buffer; kvs: KeyValue[] }>();

  constructor(
    private readonly store: Store,
    readonly rev: number,
  ) {}

  async read(key: Buffer, rangeEnd?: Buffer): Promise<KeyValue[]> {
    const id = `${key.toString('latin1')}\u0001${rangeEnd?.toString('latin1') ?? ''}`;
    const seen = this.reads.get(id);
    if (seen) return seen.kvs;
    let r: RangeResult;
    try {
      r = await this.store.range(key, rangeEnd ? { rangeEnd, revision: this.rev } : { revision: this.rev });
    } catch (e) {
      throw isStoreError(e, 'compacted') ? new SnapshotGone() : e;
    }
    this.reads.set(id, rangeEnd ? { key, rangeEnd, kvs: r.kvs } : { key, kvs: r.kvs });
    return r.kvs;
  }

  /** Compares that hold iff nothing read has been created, changed or deleted since `rev`. */
  guards(): Compare[] {
    const out = new Map<string, Compare>();
    const exact = (key: Buffer, modRevision: number) =>
      out.set(key.toString('latin1'), { key, target: 'modRevision', result: '=', value: modRevision });
    for (const r of this.reads.values()) {
      if (!r.rangeEnd) {
        exact(r.key, r.kvs[0]?.modRevision ?? 0);
        continue;
      }
      // Nothing in the range written after rev (creations, updates)...
      out.set(`${r.key.toString('latin1')}\u0001${r.rangeEnd.toString('latin1')}`, {
        key: r.key,
        rangeEnd: r.rangeEnd,
        target: 'modRevision',
        result: '<',
        value: this.rev + 1,
      });
      // ...and every key seen still there, unchanged (deletions).
      for (const kv of r.kvs) exact(kv.key, kv.modRevision);
    }
    return [...out.values()];
  }
}

function compareHolds(c: Compare, kvs: KeyValue[]): boolean {
  if (kvs.length === 0) {
    // As etcd: a value compare on a missing key fails; other targets compare against zero.
    if (c.target === 'value') return false;
    kvs = [{ key: toBuffer(c.key), value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0, lease: 0 }];
  }
  return kvs.every((kv) => {
    const d =
      c.target === 'value'
        ? Buffer.compare(kv.value, toBuffer(c.value as Buffer))
        : Math.sign(kv[c.target] - (c.value as number));
    switch (c.result) {
      case '=':
        return d === 0;
      case '!=':
        return d !== 0;
      case '<':
        return d < 0;
      case '>':
        return d > 0;
    }
  });
}

/** What one attempt will do: the flat ops for the store, and how to rebuild the tree result. */
interface Plan {
  flat: TxnOp[];
  build: (flatResults: TxnOpResult[]) => TreeResult;
}

async function planTree(snap: Snapshot, store: Store, tree: TxnTree, flat: TxnOp[]): Promise<Plan['build']> {
  let succeeded = true;
  for (const c of tree.compare) {
    const kvs = await snap.read(toBuffer(c.key), c.rangeEnd === undefined ? undefined : toBuffer(c.rangeEnd));
    if (!compareHolds(c, kvs)) succeeded = false;
  }
  const ops = succeeded ? tree.success : tree.failure;
  const parts: Array<(flatResults: TxnOpResult[]) => TreeOpResult> = [];
  for (const op of ops) parts.push(await planOp(snap, store, op, flat));
  return (flatResults) => ({ succeeded, responses: parts.map((p) => p(flatResults)) });
}

async function planOp(
  snap: Snapshot,
  store: Store,
  op: TreeOp,
  flat: TxnOp[],
): Promise<(flatResults: TxnOpResult[]) => TreeOpResult> {
  const slot = (storeOp: TxnOp) => {
    const i = flat.push(storeOp) - 1;
    return (flatResults: TxnOpResult[]) => flatResults[i]!;
  };
  switch (op.kind) {
    case 'txn': {
      const build = await planTree(snap, store, op.txn, flat);
      return (flatResults) => ({ type: 'txn', result: build(flatResults) });
    }
    case 'range': {
      const { revision, ...options } = op.plan.options;
      if (revision === undefined) return slot({ type: 'range', key: op.plan.key, ...options });
      // A read at a past revision is immutable: it can be served outside the store txn.
      const r: RangeResult = await store.range(op.plan.key, op.plan.options);
      return () => ({ type: 'range', kvs: r.kvs, count: r.count, more: r.more });
    }
    case 'put': {
      let { value, lease } = op;
      if (op.ignoreValue || op.ignoreLease) {
        const current = (await snap.read(op.key))[0];
        if (!current) throw rpcErrors.keyNotFound();
        if (op.ignoreValue) value = current.value;
        if (op.ignoreLease) lease = current.lease;
      }
      return slot({ type: 'put', key: op.key, value, lease, prevKv: op.prevKv });
    }
    case 'delete':
      return slot(
        op.rangeEnd
          ? { type: 'delete', key: op.key, rangeEnd: op.rangeEnd, prevKv: op.prevKv }
          : { type: 'delete', key: op.key, prevKv: op.prevKv },
      );
  }
}

export async function emulateTxn(store: Store, tree: TxnTree): Promise<{ header: ResponseHeader; result: TreeResult }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const rev = await storeRevision(store);
    const snap = new Snapshot(store, rev);
    const flat: TxnOp[] = [];
    let build: Plan['build'];
    try {
      build = await planTree(snap, store, tree, flat);
    } catch (e) {
      // Compacted past the snapshot between the probe and a read: take a newer one.
      if (e instanceof SnapshotGone) continue;
      throw e;
    }
    const r = await store.txn({ compare: snap.guards(), success: flat });
    if (r.succeeded) return { header: r.header, result: build(r.responses) };
  }
  throw new RpcError(status.UNAVAILABLE, 'etcdserver: request timed out');
}
