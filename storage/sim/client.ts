// A simulated client: issues one operation at a time (get, put, delete, compare-and-swap on a
// few shared keys, with values unique to the run), retries it through other replicas when an
// attempt times out or is refused, and records honestly what it learned:
//   - ok: a replica answered with the result;
//   - fail: every attempt was refused before it was proposed, so the operation had no effect;
//   - timeout: otherwise (some attempt may have been proposed and may still take effect).
// Retries reuse the operation's sequence number, so the state machine applies it at most once.
import type { PendingCall } from '../linearizability/history.ts';
import { HistoryRecorder } from '../linearizability/history.ts';
import type { KvInput, KvOutput } from '../linearizability/model.ts';
import type { SeededRandom } from '../raft/index.ts';
import type { ClientResponse, ReadPath, Replica } from './replica.ts';
import type { Scheduler } from './world.ts';

export type ReadMode = ReadPath | 'mixed';

export interface ClientOptions {
  keys: string[];
  readMode: ReadMode;
  /** Give up on an attempt (and try another replica) after this long. */
  attemptTimeoutMs: number;
  /** Give up on the operation after this long. */
  opTimeoutMs: number;
  /** Pause between operations. */
  thinkMs: { min: number; max: number };
  /** One-way client↔replica latency. */
  latency: { min: number; max: number };
  /**
   * Where an operation goes first: 'sticky' — the replica that answered last; 'random' — any
   * replica (so reads keep reaching deposed leaders and lagging followers).
   */
  targeting: 'sticky' | 'random';
}

export interface ClientStats {
  ok: number;
  fail: number;
  timeout: number;
  attempts: number;
}

interface Op {
  seq: number;
  input: KvInput;
  read: ReadPath;
  call: PendingCall;
  /** Per attempt: refused (definitely not proposed) or not. */
  refused: boolean[];
  /** Index of the attempt being waited for. */
  current: number;
  target: number;
}

export class SimClient {
  readonly stats: ClientStats = { ok: 0, fail: 0, timeout: 0, attempts: 0 };
  /** Successful operations since `markProgress()`. */
  okSinceMark = 0;
  /** Issue new operations. */
  private active = false;
  private seq = 0;
  private op: Op | undefined;
  private preferred: number;
  private readonly lastSeen = new Map<string, string | null>();
  private readonly seen = new Map<string, string[]>();

  constructor(
    readonly id: number,
    private readonly sched: Scheduler,
    private readonly rng: SeededRandom,
    private readonly replicas: Map<number, Replica>,
    private readonly recorder: HistoryRecorder<KvInput, KvOutput>,
    private readonly opts: ClientOptions,
    /** Probability that a request or a reply is lost on the client's link. */
    private readonly linkLoss: () => number,
    private readonly log: ((msg: string) => void) | undefined,
  ) {
    const ids = [...replicas.keys()];
    this.preferred = this.rng.pick(ids);
  }

  get busy(): boolean {
    return this.op !== undefined;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    if (!this.op) this.sched.after(this.rng.int(0, this.opts.thinkMs.max), () => this.next());
  }

  /** Stops issuing operations (the outstanding one finishes or times out). */
  stop(): void {
    this.active = false;
  }

  markProgress(): void {
    this.okSinceMark = 0;
  }

  private next(): void {
    if (!this.active || this.op) return;
    const input = this.chooseInput();
    const read: ReadPath = this.opts.readMode === 'mixed' ? (this.rng.chance(0.5) ? 'log' : 'readIndex') : this.opts.readMode;
    const seq = ++this.seq;
    const call = this.recorder.call(this.id, input);
    const op: Op = { seq, input, read, call, refused: [], current: -1, target: this.preferred };
    this.op = op;
    this.sched.after(this.opts.opTimeoutMs, () => this.giveUp(op));
    this.attempt(op, this.opts.targeting === 'random' ? this.rng.pick([...this.replicas.keys()]) : this.preferred);
  }

  private chooseInput(): KvInput {
    const r = this.rng;
    const key = r.pick(this.opts.keys);
    const value = `c${this.id}.${this.seq + 1}`;
    const dice = r.next();
    if (dice < 0.35) return { kind: 'get', key };
    if (dice < 0.6) return { kind: 'put', key, value };
    if (dice < 0.7) return { kind: 'delete', key };
    // Compare-and-swap, mostly against the value this client saw last (so that some succeed).
    const seen = this.seen.get(key) ?? [];
    let expected: string | null;
    if (this.lastSeen.has(key) && r.chance(0.7)) expected = this.lastSeen.get(key)!;
    else if (seen.length > 0 && r.chance(0.7)) expected = r.pick(seen.slice(-4));
    else expected = null;
    return { kind: 'cas', key, expected, value };
  }

  private delay(): number {
    return this.rng.int(this.opts.latency.min, this.opts.latency.max);
  }

  private attempt(op: Op, target: number): void {
    if (this.op !== op) return;
    const idx = op.refused.push(false) - 1;
    op.current = idx;
    op.target = target;
    this.stats.attempts++;
    const req = { client: this.id, seq: op.seq, op: op.input, read: op.read };
    if (!this.rng.chance(this.linkLoss())) {
      this.sched.after(this.delay(), () => {
        const replica = this.replicas.get(target);
        replica?.request(req, (resp) => {
          if (this.rng.chance(this.linkLoss())) return;
          this.sched.after(this.delay(), () => this.onResponse(op, idx, resp));
        });
      });
    }
    this.sched.after(this.opts.attemptTimeoutMs, () => {
      if (this.op === op && op.current === idx) this.attempt(op, this.otherReplica(target));
    });
  }

  private otherReplica(not: number): number {
    const ids = [...this.replicas.keys()].filter((id) => id !== not);
    return ids.length === 0 ? not : this.rng.pick(ids);
  }

  private onResponse(op: Op, idx: number, resp: ClientResponse): void {
    if (this.op !== op) return; // an answer to an operation already finished or given up
    if (resp.type === 'ok') {
      this.finish(op, 'ok', resp.output);
      this.preferred = resp.from;
      return;
    }
    op.refused[idx] = true;
    if (op.current !== idx) return;
    // Refused: follow the leader hint, or try another replica; back off a little, since a
    // refusal usually means no leader is known right now.
    const hint = resp.leader !== 0 && resp.leader !== resp.from && this.replicas.has(resp.leader) ? resp.leader : this.otherReplica(resp.from);
    op.current = -1;
    this.sched.after(this.rng.int(5, 30), () => this.attempt(op, hint));
  }

  private giveUp(op: Op): void {
    if (this.op !== op) return;
    this.finish(op, op.refused.every((r) => r) ? 'fail' : 'timeout');
  }

  private finish(op: Op, how: 'ok' | 'fail' | 'timeout', output?: KvOutput): void {
    this.op = undefined;
    if (how === 'ok') {
      this.recorder.ok(op.call, output!);
      this.stats.ok++;
      this.okSinceMark++;
      this.observe(op.input, output!);
    } else if (how === 'fail') {
      this.recorder.fail(op.call);
      this.stats.fail++;
    } else {
      this.recorder.timeout(op.call);
      this.stats.timeout++;
    }
    this.log?.(`client ${this.id} #${op.seq} ${describe(op.input, op.read)} -> ${how === 'ok' ? JSON.stringify(output) : how} after ${op.refused.length} attempt(s)`);
    if (this.active) this.sched.after(this.rng.int(this.opts.thinkMs.min, this.opts.thinkMs.max), () => this.next());
  }

  private observe(input: KvInput, out: KvOutput): void {
    const note = (v: string | null) => {
      this.lastSeen.set(input.key, v);
      if (v === null) return;
      const list = this.seen.get(input.key) ?? [];
      list.push(v);
      if (list.length > 8) list.shift();
      this.seen.set(input.key, list);
    };
    if (out.kind === 'get') note(out.value);
    else if (input.kind === 'put') note(input.value);
    else if (input.kind === 'delete') note(null);
    else if (input.kind === 'cas' && out.kind === 'cas' && out.ok) note(input.value);
  }
}

function describe(input: KvInput, read: ReadPath): string {
  switch (input.kind) {
    case 'get':
      return `get(${input.key}) via ${read}`;
    case 'put':
      return `put(${input.key}, ${input.value})`;
    case 'delete':
      return `delete(${input.key})`;
    case 'cas':
      return `cas(${input.key}, ${input.expected ?? 'absent'} -> ${input.value})`;
  }
}
