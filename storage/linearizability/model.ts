// Sequential specifications for the linearizability checker.

import { UNKNOWN, type History, type Operation, type Unknown } from './history.ts';

/**
 * A sequential specification: the checker looks for an order of the operations, consistent
 * with real time, in which every operation is a legal `step` from the state left by the
 * previous ones. `step` must be a pure function of its arguments and must not modify `state`
 * (states are shared and remembered).
 *
 * Contract for `step` with `output === UNKNOWN`: it must accept (return `[true, s]`) and
 * return the state after the operation took effect, choosing the outcome the operation would
 * have had. (For a non-deterministic operation, return the outcome the checker should assume.)
 * The checker relies on this to treat an unreturned operation as "took effect at some point
 * after its call, or never".
 */
export interface Model<S, I, O> {
  init(): S;
  /** `[ok, next]`: whether `input` may return `output` in `state`, and the state after it. */
  step(state: S, input: I, output: O | Unknown): [boolean, S];
  /**
   * Splits a history into independent sub-histories, each checked on its own (P-compositionality:
   * a history is linearizable iff each part is, when the parts touch disjoint objects). Must
   * return the operation objects of the original history, not copies.
   */
  partition?(history: History<I, O>): Array<History<I, O>>;
  /**
   * An equivalent history to search instead of one partition: element i replaces operation
   * i, or is null if the operation cannot affect the verdict. It must not change whether the
   * history is linearizable (it may tighten an operation's return time, rename values no
   * operation compares, and so on). Checking is much faster when pending operations are
   * resolved or made identical here; see kvModel.
   */
  normalize?(part: History<I, O>): Array<Operation<I, O> | null>;
  /**
   * Whether `step(s, input, output)` accepts in every state s and leaves the same state whatever
   * s was (a blind write: a put whose previous value is not known). Optional; it lets the
   * checker skip orders in which an operation that never returned is immediately overwritten.
   */
  overwrites?(input: I, output: O | Unknown): boolean;
  /** State equality for memoization. Default: `===` (enough for primitive states). */
  equal?(a: S, b: S): boolean;
  /** A hash consistent with `equal`. Default: 0 (all states compared with `equal`). */
  hash?(state: S): number;
  describeOperation?(input: I, output: O | Unknown): string;
  describeState?(state: S): string;
}

// ---------------------------------------------------------------------------------------
// A key-value store: get, put, delete, compare-and-swap.

export type KvInput =
  | { kind: 'get'; key: string }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  /** Sets `key` to `value` iff its value is `expected` (`null`: iff the key does not exist). */
  | { kind: 'cas'; key: string; expected: string | null; value: string };

export type KvOutput =
  | { kind: 'get'; value: string | null }
  /** `prev`, when given, is checked: the value before the put (`null`: absent). */
  | { kind: 'put'; prev?: string | null }
  /** `deleted`, when given, is checked: whether the key existed. */
  | { kind: 'delete'; deleted?: boolean }
  | { kind: 'cas'; ok: boolean };

/** Input constructors. */
export const kv = {
  get: (key: string): KvInput => ({ kind: 'get', key }),
  put: (key: string, value: string): KvInput => ({ kind: 'put', key, value }),
  delete: (key: string): KvInput => ({ kind: 'delete', key }),
  cas: (key: string, expected: string | null, value: string): KvInput => ({ kind: 'cas', key, expected, value }),
};

/** Output constructors. */
export const kvOut = {
  get: (value: string | null): KvOutput => ({ kind: 'get', value }),
  put: (prev?: string | null): KvOutput => (prev === undefined ? { kind: 'put' } : { kind: 'put', prev }),
  delete: (deleted?: boolean): KvOutput => (deleted === undefined ? { kind: 'delete' } : { kind: 'delete', deleted }),
  cas: (ok: boolean): KvOutput => ({ kind: 'cas', ok }),
};

function outputOf<K extends KvOutput['kind']>(input: KvInput, output: KvOutput): Extract<KvOutput, { kind: K }> {
  if (output.kind !== input.kind) {
    throw new TypeError(`malformed history: ${input.kind} operation with a ${output.kind} output`);
  }
  return output as Extract<KvOutput, { kind: K }>;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const show = (v: string | null): string => (v === null ? 'absent' : v === UNREAD ? '<unread value>' : JSON.stringify(v));

/** What values no operation compares are renamed to (see normalizeKv). */
const UNREAD = '\u0000k8ts.linearizability.unread';

/**
 * Rewrites one key's history into an equivalent one that is cheaper to search:
 *
 * - A get whose output is unknown (it timed out) has no effect and constrains nothing: dropped.
 * - Values no operation compares against (never returned by a get, never expected by a CAS,
 *   never a put's prev) only matter as "some value that is not any of the others": they are
 *   all renamed to one value. Timed-out writes of such values then become identical, and the
 *   checker tries identical pending operations in call order only, instead of every subset.
 *
 * The model compares values only by equality, and never with a renamed value, so no step's
 * result changes, hence neither does the verdict.
 */
function normalizeKv(part: History<KvInput, KvOutput>): Array<Operation<KvInput, KvOutput> | null> {
  const compared = new Set<string>();
  const written = new Set<string>();
  for (const { input, output } of part) {
    if (input.kind === 'put' || input.kind === 'cas') written.add(input.value);
    if (input.kind === 'cas' && input.expected !== null) compared.add(input.expected);
    if (output === UNKNOWN) continue;
    if (input.kind === 'get') {
      const v = outputOf<'get'>(input, output).value;
      if (v !== null) compared.add(v);
    } else if (input.kind === 'put') {
      const prev = outputOf<'put'>(input, output).prev;
      if (prev !== undefined && prev !== null) compared.add(prev);
    }
  }
  const rename = !written.has(UNREAD) && !compared.has(UNREAD);
  return part.map((op) => {
    const { input } = op;
    if (input.kind === 'get') return op.output === UNKNOWN ? null : op;
    if (input.kind === 'delete' || !rename || compared.has(input.value)) return op;
    return { ...op, input: { ...input, value: UNREAD } };
  });
}

/**
 * The key-value store as independent registers, one per key. Histories are partitioned by key,
 * so the state is the value of one key (`null`: absent), not the whole map: `step` ignores
 * `input.key`, and calling the checker with this model always partitions by key first.
 */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,

  step(state, input, output) {
    const known = output !== UNKNOWN;
    switch (input.kind) {
      case 'get':
        return [!known || outputOf<'get'>(input, output).value === state, state];
      case 'put': {
        const prev = known ? outputOf<'put'>(input, output).prev : undefined;
        return [prev === undefined || prev === state, input.value];
      }
      case 'delete': {
        const deleted = known ? outputOf<'delete'>(input, output).deleted : undefined;
        return [deleted === undefined || deleted === (state !== null), null];
      }
      case 'cas': {
        const matches = state === input.expected;
        if (known && outputOf<'cas'>(input, output).ok !== matches) return [false, state];
        return [true, matches ? input.value : state];
      }
    }
  },

  partition(history) {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of history) {
      let part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, (part = []));
      part.push(op);
    }
    return [...byKey.values()];
  },

  normalize: normalizeKv,

  overwrites(input, output) {
    if (input.kind === 'put') return output === UNKNOWN || outputOf<'put'>(input, output).prev === undefined;
    if (input.kind === 'delete') return output === UNKNOWN || outputOf<'delete'>(input, output).deleted === undefined;
    return false;
  },

  hash: (state) => (state === null ? 0x9e3779b9 : fnv1a(state)),

  describeOperation(input, output) {
    const res = (s: string) => (output === UNKNOWN ? ' -> ?' : ` -> ${s}`);
    switch (input.kind) {
      case 'get':
        return `get(${JSON.stringify(input.key)})` + res(output === UNKNOWN ? '' : show(outputOf<'get'>(input, output).value));
      case 'put': {
        const prev = output === UNKNOWN ? undefined : outputOf<'put'>(input, output).prev;
        return `put(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})` + res(prev === undefined ? 'ok' : `prev ${show(prev)}`);
      }
      case 'delete': {
        const deleted = output === UNKNOWN ? undefined : outputOf<'delete'>(input, output).deleted;
        return `delete(${JSON.stringify(input.key)})` + res(deleted === undefined ? 'ok' : deleted ? 'deleted' : 'not found');
      }
      case 'cas':
        return (
          `cas(${JSON.stringify(input.key)}, ${show(input.expected)} -> ${JSON.stringify(input.value)})` +
          res(output === UNKNOWN ? '' : String(outputOf<'cas'>(input, output).ok))
        );
    }
  },

  describeState: (state) => (state === UNREAD ? 'a value no operation reads' : show(state)),
};
