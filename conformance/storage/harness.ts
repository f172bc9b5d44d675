// Shared types and helpers of the storage conformance suite.
import assert from 'node:assert/strict';
import { isStoreError, type StoreErrorCode } from '../../storage/errors.ts';
import type { Bytes, KeyValue, Store, Watch, WatchOptions, WatchResponse } from '../../storage/store.ts';

export interface FreshOptions {
  /** Backend quota (etcd's --quota-backend-bytes). */
  quotaBytes?: number;
}

export interface CaseContext {
  /** The backend's name ('etcd' or 'k8ts'). */
  backend: string;
  /** A key prefix no other case uses, e.g. `/conformance/17/`. */
  prefix: string;
  /** `prefix + name`. */
  key(name: string): string;
  /** `prefix` as bytes followed by `bytes` (binary keys). */
  keyBytes(...bytes: number[]): Buffer;
  /** Registers cleanup run after the case (watches, leases). */
  defer(fn: () => Promise<unknown> | unknown): void;
  /** Opens a watch collecting responses; it is cancelled after the case. */
  watch(store: Store, key: Bytes, options?: WatchOptions): Promise<Collector>;
}

export interface StorageCase {
  name: string;
  /**
   * Run on a fresh, empty store of its own (a new process / directory) instead of the
   * shared one. Needed for revision numbering from 1, compaction (global) and quota.
   * Fresh cases may run concurrently with the shared ones.
   */
  fresh?: true | FreshOptions;
  /** Default 20 s. */
  timeoutMs?: number;
  run(store: Store, ctx: CaseContext): Promise<void>;
}

export interface Backend {
  name: string;
  /** The store the non-fresh cases share (opened once, closed by dispose). */
  shared(): Promise<Store>;
  fresh(options: FreshOptions): Promise<{ store: Store; dispose(): Promise<void> }>;
  dispose(): Promise<void>;
  /**
   * Fresh-store cases of this backend run at most this many at a time (default: the run's
   * --concurrency). A backend whose fresh store is a set of processes starting up keeps it
   * low, so that starting one does not starve the timed cases of another.
   */
  freshConcurrency?: number;
}

// ---------------------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Collects a watch's responses. */
export class Collector {
  readonly responses: WatchResponse[] = [];
  watch!: Watch;
  private waiters: Array<() => void> = [];

  onResponse = (r: WatchResponse): void => {
    this.responses.push(r);
    for (const w of this.waiters.splice(0)) w();
  };

  get events() {
    return this.responses.flatMap((r) => r.events);
  }

  /** Responses that carry no events and are not cancels: progress notifications. */
  get progress(): WatchResponse[] {
    return this.responses.filter((r) => r.events.length === 0 && !r.canceled);
  }

  async waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new assert.AssertionError({
          message: `timed out after ${timeoutMs} ms waiting for ${what}; got ${this.describe()}`,
        });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitEvents(n: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(`${n} events`, () => this.events.length >= n, timeoutMs);
  }

  describe(): string {
    return JSON.stringify(
      this.responses.map((r) => ({
        rev: r.header.revision,
        canceled: r.canceled,
        compactRevision: r.compactRevision,
        events: r.events.map((e) => `${e.type} ${e.kv.key.toString('latin1')}@${e.kv.modRevision}`),
      })),
    );
  }
}

/** Asserts that `p` rejects with a StoreError of `code`; returns the error. */
export async function rejectsWith<T = unknown>(p: Promise<unknown>, code: StoreErrorCode, what = ''): Promise<T> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    if (!isStoreError(e, code)) {
      const desc = e instanceof Error ? `${e.name}${'code' in e ? `(${String(e.code)})` : ''}: ${e.message}` : String(e);
      assert.fail(`${what ? what + ': ' : ''}expected StoreError '${code}', got ${desc}`);
    }
    return e as T;
  }
  assert.fail(`${what ? what + ': ' : ''}expected StoreError '${code}', but it resolved with ${safeJson(result)}`);
}

export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)
        ? Buffer.from((x as { data: number[] }).data).toString('latin1')
        : x,
    ).slice(0, 500);
  } catch {
    return String(v);
  }
}

/** The store's current revision. */
export async function currentRevision(store: Store): Promise<number> {
  return (await store.range('\0conformance-revision-probe')).header.revision;
}

export function str(b: Buffer | undefined): string | undefined {
  return b === undefined ? undefined : b.toString('utf8');
}

/** A compact, comparable view of a KeyValue. */
export function kvView(kv: KeyValue | undefined) {
  if (!kv) return kv;
  return {
    key: kv.key.toString('latin1'),
    value: kv.value.toString('latin1'),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

export function keysOf(kvs: KeyValue[]): string[] {
  return kvs.map((kv) => kv.key.toString('latin1'));
}
