// Client histories for the linearizability checker.
//
// A history is a list of operations, each with the interval [call, return] during which
// the client was waiting for it. Times only need to be comparable: the recorder below
// uses the order in which events were recorded, which in a single-threaded deterministic
// simulation is the real order. Operation A precedes B in real time iff A.return < B.call;
// equal timestamps count as concurrent.
//
// An operation whose outcome the client never learned (timeout, crash, connection lost
// after sending) has `return: Infinity` and `output: UNKNOWN`: it may have taken effect
// at any moment after its call, or never. The checker allows both.

/** The output of an operation whose outcome is not known. */
export const UNKNOWN: unique symbol = Symbol('linearizability.unknown');
export type Unknown = typeof UNKNOWN;

export type ClientId = number | string;

export interface Operation<I, O> {
  clientId: ClientId;
  input: I;
  /** `UNKNOWN` when the client never learned the outcome. */
  output: O | Unknown;
  call: number;
  /** `Infinity` when the operation never returned (it may or may not have taken effect). */
  return: number;
}

export type History<I, O> = ReadonlyArray<Operation<I, O>>;

export function isPending(op: Operation<unknown, unknown>): boolean {
  return op.return === Infinity;
}

export function isUnknown<O>(output: O | Unknown): output is Unknown {
  return output === UNKNOWN;
}

/** Throws a TypeError describing the first malformed operation. */
export function validateHistory(history: History<unknown, unknown>): void {
  history.forEach((op, i) => {
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      throw new TypeError(`operation ${i}: call time must be a finite number, got ${String(op.call)}`);
    }
    if (typeof op.return !== 'number' || Number.isNaN(op.return)) {
      throw new TypeError(`operation ${i}: return time must be a number or Infinity, got ${String(op.return)}`);
    }
    if (op.return < op.call) {
      throw new TypeError(`operation ${i}: returns (${op.return}) before it is called (${op.call})`);
    }
  });
}

// ---------------------------------------------------------------------------------------
// Building histories from call/return events.

export type HistoryEvent<I, O> =
  | { type: 'call'; id: number | string; clientId: ClientId; input: I; time?: number }
  | { type: 'return'; id: number | string; output: O; time?: number }
  /** The client gave up: the operation may or may not take effect, now or later. */
  | { type: 'timeout'; id: number | string; time?: number }
  /** The operation definitely did not take effect (e.g. rejected before it was proposed). */
  | { type: 'fail'; id: number | string; time?: number };

/**
 * Pairs call events with their return/timeout/fail events. An event's time defaults to its
 * position in the list. Calls that never got a return event become pending operations;
 * failed ones are left out. Operations are listed in call order.
 */
export function fromEvents<I, O>(events: Iterable<HistoryEvent<I, O>>): Operation<I, O>[] {
  const open = new Map<number | string, Operation<I, O>>();
  const ops: Operation<I, O>[] = [];
  const dropped = new Set<Operation<I, O>>();
  let index = 0;
  for (const ev of events) {
    const time = ev.time ?? index;
    index++;
    if (ev.type === 'call') {
      if (open.has(ev.id)) throw new TypeError(`event ${index - 1}: operation ${String(ev.id)} called twice`);
      const op: Operation<I, O> = { clientId: ev.clientId, input: ev.input, output: UNKNOWN, call: time, return: Infinity };
      open.set(ev.id, op);
      ops.push(op);
      continue;
    }
    const op = open.get(ev.id);
    if (op === undefined) throw new TypeError(`event ${index - 1}: ${ev.type} of operation ${String(ev.id)} that is not outstanding`);
    open.delete(ev.id);
    if (ev.type === 'return') {
      op.output = ev.output;
      op.return = time;
    } else if (ev.type === 'fail') {
      dropped.add(op);
    }
    // 'timeout': stays pending with an unknown output.
  }
  const out = dropped.size === 0 ? ops : ops.filter((op) => !dropped.has(op));
  validateHistory(out);
  return out;
}

/** A handle on an operation recorded by a HistoryRecorder. */
export interface PendingCall {
  readonly id: number;
  readonly clientId: ClientId;
}

/**
 * Records a history as it happens. Time is the recording order (a logical clock), which is
 * exact for a single-threaded simulation; pass `now` to use another clock instead.
 *
 *   const h = new HistoryRecorder<KvInput, KvOutput>();
 *   const c = h.call(1, kv.put('a', 'x'));
 *   ...
 *   h.ok(c, kvOut.put());       // or h.timeout(c), h.fail(c)
 *   checkOperations(kvModel, h.operations());
 */
export class HistoryRecorder<I, O> {
  private readonly ops: Array<Operation<I, O> | undefined> = [];
  private readonly busy = new Map<ClientId, number>();
  private clock = 0;

  constructor(private readonly now?: () => number) {}

  private time(): number {
    return this.now ? this.now() : this.clock++;
  }

  /**
   * Records the invocation of an operation. A client has at most one outstanding operation;
   * after a timeout it may issue new ones (the timed-out one stays pending forever).
   */
  call(clientId: ClientId, input: I): PendingCall {
    if (this.busy.has(clientId)) {
      throw new Error(`client ${String(clientId)} already has an outstanding operation`);
    }
    const id = this.ops.length;
    this.ops.push({ clientId, input, output: UNKNOWN, call: this.time(), return: Infinity });
    this.busy.set(clientId, id);
    return { id, clientId };
  }

  private finish(c: PendingCall): Operation<I, O> {
    const op = this.ops[c.id];
    if (op === undefined || this.busy.get(c.clientId) !== c.id) {
      throw new Error(`operation ${c.id} of client ${String(c.clientId)} is not outstanding`);
    }
    this.busy.delete(c.clientId);
    return op;
  }

  /** The operation returned `output`. */
  ok(c: PendingCall, output: O): void {
    const op = this.finish(c);
    op.output = output;
    op.return = this.time();
  }

  /** The client stopped waiting: the operation may or may not have taken (or take) effect. */
  timeout(c: PendingCall): void {
    this.finish(c);
  }

  /** The operation definitely had no effect: it is left out of the history. */
  fail(c: PendingCall): void {
    this.finish(c);
    this.ops[c.id] = undefined;
  }

  /** The history so far; operations still outstanding are pending. */
  operations(): Operation<I, O>[] {
    return this.ops.filter((op): op is Operation<I, O> => op !== undefined).map((op) => ({ ...op }));
  }
}
