// The simulation's replicated state machine: a key-value store with get, put, delete and
// compare-and-swap, applied from committed log entries, with client sessions (Raft thesis
// §6.3) so that a command retried through several replicas takes effect at most once.
//
// A command carries its client id and the client's sequence number. Each client has at most
// one operation outstanding, so a session only needs the latest sequence number and its
// result: a command with that number is a duplicate (answered from the session), an older one
// belongs to an operation the client gave up on and is ignored, a newer one is executed.
import type { KvInput, KvOutput } from '../linearizability/model.ts';

export interface Command {
  /** Client id. */
  c: number;
  /** The client's sequence number of this operation. */
  s: number;
  op: KvInput;
}

export function encodeCommand(cmd: Command): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(cmd), 'utf8'));
}

export function decodeCommand(data: Uint8Array): Command {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as Command;
}

/** Executes one operation on a plain map; what both the state machine and reads use. */
export function execute(data: Map<string, string>, op: KvInput): KvOutput {
  const cur = data.get(op.key) ?? null;
  switch (op.kind) {
    case 'get':
      return { kind: 'get', value: cur };
    case 'put':
      data.set(op.key, op.value);
      return { kind: 'put', prev: cur };
    case 'delete':
      data.delete(op.key);
      return { kind: 'delete', deleted: cur !== null };
    case 'cas':
      if (cur !== op.expected) return { kind: 'cas', ok: false };
      data.set(op.key, op.value);
      return { kind: 'cas', ok: true };
  }
}

interface Session {
  seq: number;
  result: KvOutput;
}

export class KvStateMachine {
  data = new Map<string, string>();
  sessions = new Map<number, Session>();

  /**
   * Applies a command. Returns its result (the cached one for a duplicate), or undefined
   * when the command is older than the client's latest and is ignored.
   */
  apply(cmd: Command): KvOutput | undefined {
    const sess = this.sessions.get(cmd.c);
    if (sess !== undefined) {
      if (cmd.s < sess.seq) return undefined;
      if (cmd.s === sess.seq) return sess.result;
    }
    const result = execute(this.data, cmd.op);
    this.sessions.set(cmd.c, { seq: cmd.s, result });
    return result;
  }

  /** A local read (after ReadIndex): never touches sessions. */
  read(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return new Uint8Array(Buffer.from(this.digest(), 'utf8'));
  }

  restore(bytes: Uint8Array): void {
    this.data = new Map();
    this.sessions = new Map();
    if (bytes.byteLength === 0) return;
    const img = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as {
      data: Array<[string, string]>;
      sessions: Array<[number, Session]>;
    };
    this.data = new Map(img.data);
    this.sessions = new Map(img.sessions);
  }

  /** A canonical serialization of the whole state (keys and sessions sorted). */
  digest(): string {
    const data = [...this.data].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const sessions = [...this.sessions].sort((a, b) => a[0] - b[0]);
    return JSON.stringify({ data, sessions });
  }
}
