// The harness of the upstream-named conformance tests: an API server started in-process
// (startApiServer on an MVCC store in a temp dir, TLS with its own CA, the admin token) and
// a small HTTPS client that talks to it like any client would: JSON bodies, patches of
// each type, Accept negotiation and newline-delimited watch streams.
import assert from 'node:assert/strict';
import { Agent, request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { tempStore, type TempStore } from '../../../api/storage/testing/fixtures.ts';
import { startApiServer, type ApiServer } from '../../../server/server.ts';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: Json;
}

export interface RequestOptions {
  body?: unknown;
  /** Default: application/json for objects, the patch type for PATCH. */
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  /** Raw body (sent as is). */
  raw?: string | Buffer;
  timeoutMs?: number;
}

export const PATCH = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Json;
}

/** An open watch: events in arrival order. */
export class WatchStream {
  private readonly queue: WatchEvent[] = [];
  private waiters: (() => void)[] = [];
  ended = false;
  status = 0;

  constructor(private readonly abort: () => void) {}

  /** @internal */
  push(ev: WatchEvent): void {
    this.queue.push(ev);
    this.wake();
  }

  /** @internal */
  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next event; fails after `timeoutMs` or when the stream ends first. */
  async next(timeoutMs = 5000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = this.queue.shift();
      if (ev) return ev;
      if (this.ended) assert.fail('the watch ended while an event was expected');
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no watch event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asserts that no event arrives within `ms`. */
  async expectNothing(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.queue.map((e) => [e.type, e.object?.metadata?.name]), []);
  }

  /** Events until one matches (or the time is up). */
  async until(pred: (ev: WatchEvent) => boolean, timeoutMs = 5000): Promise<WatchEvent[]> {
    const seen: WatchEvent[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = await this.next(Math.max(1, deadline - Date.now()));
      seen.push(ev);
      if (pred(ev)) return seen;
    }
  }

  close(): void {
    this.abort();
  }
}

export class Client {
  private readonly agent: Agent;

  constructor(
    readonly server: ApiServer,
    private readonly token: string | undefined = server.pki.adminToken,
  ) {
    this.agent = new Agent({ ca: server.pki.caCert, keepAlive: true, maxSockets: 32 });
  }

  /** One request; the path is sent exactly as given. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    let payload: Buffer | undefined;
    let contentType = opts.contentType;
    if (opts.raw !== undefined) payload = Buffer.isBuffer(opts.raw) ? opts.raw : Buffer.from(opts.raw);
    else if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      contentType ??= 'application/json';
    }
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.token && headers.Authorization === undefined) headers.Authorization = `Bearer ${this.token}`;
    if (contentType) headers['Content-Type'] = contentType;
    if (opts.accept) headers.Accept = opts.accept;
    if (payload) headers['Content-Length'] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: this.server.host, port: this.server.port, path, method, headers, agent: this.agent, servername: 'localhost' },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: Json;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
        },
      );
      req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 30_000} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request that must answer `expect` (default: any 2xx); returns the parsed body. */
  async ok(method: string, path: string, opts: RequestOptions & { expect?: number } = {}): Promise<Json> {
    const r = await this.request(method, path, opts);
    if (opts.expect !== undefined) assert.equal(r.status, opts.expect, `${method} ${path}: ${r.text}`);
    else assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} answered ${r.status}: ${r.text}`);
    return r.body;
  }

  get(path: string, opts: RequestOptions = {}): Promise<Json> {
    return this.ok('GET', path, opts);
  }

  create(path: string, body: unknown, query = ''): Promise<Json> {
    return this.ok('POST', path + query, { body, expect: 201 });
  }

  update(path: string, body: unknown): Promise<Json> {
    return this.ok('PUT', path, { body, expect: 200 });
  }

  patch(path: string, type: keyof typeof PATCH, patch: unknown): Promise<Json> {
    return this.ok('PATCH', path, { body: typeof patch === 'string' ? patch : JSON.stringify(patch), contentType: PATCH[type], expect: 200 });
  }

  delete(path: string, body?: unknown): Promise<Json> {
    return this.ok('DELETE', path, body === undefined ? {} : { body });
  }

  /** Expects a Status error with this code (and reason, when given); returns the Status. */
  async fails(method: string, path: string, code: number, opts: RequestOptions = {}, reason?: string): Promise<Json> {
    const r = await this.request(method, path, opts);
    assert.equal(r.status, code, `${method} ${path}: expected ${code}, got ${r.status}: ${r.text}`);
    assert.equal(r.body?.kind, 'Status', r.text);
    assert.equal(r.body.code, code);
    if (reason !== undefined) assert.equal(r.body.reason, reason, r.text);
    return r.body;
  }

  /** GET with ?watch=1 streamed as events. */
  watch(path: string, query: Record<string, string | number | boolean> = {}): Promise<WatchStream> {
    const qs = new URLSearchParams({ watch: '1', ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) });
    const full = `${path}${path.includes('?') ? '&' : '?'}${qs.toString()}`;
    return new Promise((resolve, reject) => {
      let stream: WatchStream | undefined;
      const req = httpsRequest(
        {
          host: this.server.host,
          port: this.server.port,
          path: full,
          method: 'GET',
          headers: this.token ? { Authorization: `Bearer ${this.token}` } : {},
          ca: this.server.pki.caCert,
          servername: 'localhost',
          agent: false,
        },
        (res) => {
          stream = new WatchStream(() => req.destroy());
          stream.status = res.statusCode ?? 0;
          if (stream.status !== 200) {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => reject(new Error(`watch ${full} answered ${stream!.status}: ${text}`)));
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i).trim();
              buf = buf.slice(i + 1);
              if (line) stream!.push(JSON.parse(line) as WatchEvent);
            }
          });
          res.on('end', () => stream!.end());
          res.on('close', () => stream!.end());
          res.on('error', () => stream!.end());
          resolve(stream);
        },
      );
      req.on('error', (err) => {
        if (stream) stream.end();
        else reject(err);
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Cluster {
  server: ApiServer;
  client: Client;
  store: TempStore;
  /** Creates a namespace with a unique name (upstream's per-test namespaces). */
  namespace(base: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts an API server on a free loopback port over a fresh store. */
export async function startCluster(): Promise<Cluster> {
  const store = await tempStore();
  const server = await startApiServer({ dataDir: store.dir, store: store.store, port: 0, host: '127.0.0.1' });
  const client = new Client(server);
  return {
    server,
    client,
    store,
    async namespace(base: string) {
      const name = `${base}-${randomSuffix()}`;
      await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    async close() {
      client.close();
      await server.close();
      await store.dispose();
    },
  };
}

export function randomSuffix(n = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Names of a list's items. */
export function names(list: Json): string[] {
  return (list.items as Json[]).map((i) => i.metadata.name as string);
}

/** Polls `f` until it returns a truthy value (or fails after `timeoutMs`). */
export async function eventually<T>(f: () => Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pod spec with one container (what upstream's e2e pods mostly are). */
export function podSpec(image = 'registry.k8s.io/pause:3.9', extra: Json = {}): Json {
  return { containers: [{ name: 'c', image, ...extra }] };
}

export const selector = (labels: Record<string, string>): string =>
  encodeURIComponent(
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );

/** Discovery as upstream's "... API operations" tests check it: the group, the version, the resources. */
export async function checkDiscovery(c: Client, group: string, version: string, resources: string[]): Promise<void> {
  const apis = await c.get('/apis');
  assert.ok((apis.groups as Json[]).some((g) => g.name === group), `${group} in /apis`);
  const doc = await c.get(`/apis/${group}`);
  assert.ok((doc.versions as Json[]).some((v) => v.version === version && v.groupVersion === `${group}/${version}`), `${group}/${version} in /apis/${group}`);
  const list = await c.get(`/apis/${group}/${version}`);
  for (const r of resources) assert.ok((list.resources as Json[]).some((x) => x.name === r), `${r} in /apis/${group}/${version}`);
}

/**
 * The body of upstream's "<Kind> API operations" tests: create three labeled objects, get,
 * list (in the namespace and across namespaces), watch, patch, update, delete one and
 * deletecollection the rest; every step observable through reads and the watch.
 */
export async function apiOperations(
  c: Client,
  opts: { base: string; allNamespaces?: string; make: (name: string, labels: Record<string, string>) => Json; label: Record<string, string> },
): Promise<void> {
  const { base, label } = opts;
  const sel = selector(label);
  const lsel = Object.entries(label)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const created: Json[] = [];
  for (const n of ['1', '2', '3']) created.push(await c.create(base, opts.make(`e2e-example-${n}`, label)));
  const got = await c.get(`${base}/e2e-example-1`);
  assert.equal(got.metadata.uid, created[0].metadata.uid);
  const list = await c.get(`${base}?labelSelector=${sel}`);
  assert.equal(list.items.length, 3);
  if (opts.allNamespaces) assert.equal((await c.get(`${opts.allNamespaces}?labelSelector=${sel}`)).items.length, 3);
  const w = await c.watch(base, { resourceVersion: list.metadata.resourceVersion, labelSelector: lsel });
  try {
    const patched = await c.patch(`${base}/e2e-example-1`, 'merge', { metadata: { annotations: { patched: 'true' } } });
    assert.equal(patched.metadata.annotations.patched, 'true');
    await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.patched === 'true');
    const cur = await c.get(`${base}/e2e-example-1`);
    cur.metadata.annotations = { ...cur.metadata.annotations, updated: 'true' };
    const updated = await c.update(`${base}/e2e-example-1`, cur);
    assert.equal(updated.metadata.annotations.updated, 'true');
    await w.until((ev) => ev.type === 'MODIFIED' && ev.object.metadata.annotations?.updated === 'true');
    await c.delete(`${base}/e2e-example-2`);
    await w.until((ev) => ev.type === 'DELETED' && ev.object.metadata.name === 'e2e-example-2');
    await c.fails('GET', `${base}/e2e-example-2`, 404, {}, 'NotFound');
    assert.equal((await c.get(`${base}?labelSelector=${sel}`)).items.length, 2);
    await c.delete(`${base}?labelSelector=${sel}`);
    assert.deepEqual((await c.get(`${base}?labelSelector=${sel}`)).items, []);
  } finally {
    w.close();
  }
}
