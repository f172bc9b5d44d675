// Range as etcd's applier does it on top of a plain ranged read: the store fetches
// limit+1 keys (or everything when sorting or filtering by revision), then the
// mod/create revision filters, the sort, and the cut to `limit` that sets `more`.
// `count` is the store's: unaffected by limit and filters, as in etcd.
import type { KeyValue, RangeOptions, RangeResult } from '../store.ts';
import { int, optBytes, type WireRangeRequest } from './wire.ts';

type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND' | 'unknown';
type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangePlan {
  key: Buffer;
  /** What to ask the store (limit already widened). */
  options: RangeOptions;
  limit: number;
  keysOnly: boolean;
  order: SortOrder;
  target: SortTarget;
  minMod: number;
  maxMod: number;
  minCreate: number;
  maxCreate: number;
}

const ORDERS = new Set<unknown>(['NONE', 'ASCEND', 'DESCEND']);
const TARGETS = new Set<unknown>(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);

export function planRange(req: WireRangeRequest): RangePlan {
  // etcd 3.4 does not validate these: an unknown order fetches everything and sorts nothing.
  const target = TARGETS.has(req.sort_target) ? (req.sort_target as SortTarget) : 'KEY';
  const requested = ORDERS.has(req.sort_order) ? (req.sort_order as SortOrder) : 'unknown';
  // etcd sorts ascending by default when the target is not the key (results come key-ordered).
  const order: SortOrder = target !== 'KEY' && requested === 'NONE' ? 'ASCEND' : requested;
  const limit = Math.max(0, int(req.limit));
  const plan: RangePlan = {
    key: req.key,
    options: {},
    limit,
    keysOnly: req.keys_only,
    order,
    target,
    minMod: int(req.min_mod_revision),
    maxMod: int(req.max_mod_revision),
    minCreate: int(req.min_create_revision),
    maxCreate: int(req.max_create_revision),
  };
  // As etcd: everything is fetched when the requested order or a filter may reorder or drop keys.
  const fetchAll = requested !== 'NONE' || plan.minMod !== 0 || plan.maxMod !== 0 || plan.minCreate !== 0 || plan.maxCreate !== 0;
  const rangeEnd = optBytes(req.range_end);
  if (rangeEnd) plan.options.rangeEnd = rangeEnd;
  const revision = int(req.revision);
  if (revision > 0) plan.options.revision = revision;
  if (!fetchAll && limit > 0) plan.options.limit = limit + 1;
  if (req.count_only) plan.options.countOnly = true;
  if (req.serializable) plan.options.serializable = true;
  // Values are needed to sort by value; they are dropped afterwards.
  if (req.keys_only && target !== 'VALUE') plan.options.keysOnly = true;
  return plan;
}

const compareBy: Record<SortTarget, (a: KeyValue, b: KeyValue) => number> = {
  KEY: (a, b) => Buffer.compare(a.key, b.key),
  VERSION: (a, b) => a.version - b.version,
  CREATE: (a, b) => a.createRevision - b.createRevision,
  MOD: (a, b) => a.modRevision - b.modRevision,
  VALUE: (a, b) => Buffer.compare(a.value, b.value),
};

export function finishRange(result: Omit<RangeResult, 'header'>, plan: RangePlan): Omit<RangeResult, 'header'> {
  let kvs = result.kvs;
  if (plan.maxMod !== 0) kvs = kvs.filter((kv) => kv.modRevision <= plan.maxMod);
  if (plan.minMod !== 0) kvs = kvs.filter((kv) => kv.modRevision >= plan.minMod);
  if (plan.maxCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision <= plan.maxCreate);
  if (plan.minCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision >= plan.minCreate);
  if (plan.order === 'ASCEND' || plan.order === 'DESCEND') {
    const cmp = compareBy[plan.target];
    kvs = plan.order === 'ASCEND' ? [...kvs].sort(cmp) : [...kvs].sort((a, b) => cmp(b, a));
  }
  let more = false;
  if (plan.limit > 0 && kvs.length > plan.limit) {
    kvs = kvs.slice(0, plan.limit);
    more = true;
  }
  if (plan.keysOnly) kvs = kvs.map((kv) => (kv.value.length === 0 ? kv : { ...kv, value: Buffer.alloc(0) }));
  return { kvs, count: result.count, more };
}
