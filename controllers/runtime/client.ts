// A small Kubernetes API client over HTTPS with keep-alive: JSON requests, watch streams
// (newline-delimited events), discovery, and typed helpers keyed by a ResourceRef. The
// controllers talk to the API server only through this (or through the Api interface,
// which tests implement in memory).
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ApiStatusError } from './errors.ts';
import type { KubeList, KubeObject, StatusObject, WatchEvent } from './types.ts';

/** A resource as the API serves it (a group/version/resource and its scope). */
export interface ResourceRef {
  group: string;
  version: string;
  /** The plural, e.g. `configmaps`. */
  resource: string;
  namespaced: boolean;
  kind?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** Only PartialObjectMetadata (the metadata client). */
  metadataOnly?: boolean;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  metadataOnly?: boolean;
}

export interface WatchHandle {
  stop(): void;
}

export type PatchType = 'merge' | 'json' | 'strategic';

/** A resource from discovery. */
export interface ApiResource extends ResourceRef {
  kind: string;
  verbs: string[];
  /** The group's preferred version. */
  preferred: boolean;
  shortNames?: string[];
}

/** What controllers need from the API; ApiClient implements it over HTTPS, tests in memory. */
export interface Api {
  get<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, opts?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: T): Promise<T>;
  /** PUT; `subresource` e.g. `status` or `finalize`. */
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: T, subresource?: string): Promise<T>;
  patch<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type?: PatchType): Promise<T>;
  /** The object (still there, or as deleted) or a Success Status. */
  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KubeObject | StatusObject>;
  deleteCollection(ref: ResourceRef, namespace: string | undefined, opts?: DeleteOptions & ListOptions): Promise<void>;
  /** Every served resource (not subresources) of every group version. */
  discover(): Promise<ApiResource[]>;
}

export interface ClientConfig {
  /** https://host:port */
  server: string;
  /** PEM CA bundle to verify the server with. */
  ca?: string | Buffer;
  /** PEM client certificate and key. */
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
  insecureSkipTLSVerify?: boolean;
  userAgent?: string;
  /** Per-request timeout for everything but watches (default 30 s). */
  timeoutMs?: number;
  /** Requests in flight at most (more wait for a connection; default 64). Watches are not counted. */
  maxConnections?: number;
}

const JSON_TYPE = 'application/json';
const PARTIAL_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const PARTIAL_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const PATCH_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

function b64(v: unknown): Buffer | undefined {
  return typeof v === 'string' && v ? Buffer.from(v, 'base64') : undefined;
}

/** Reads a kubeconfig (path, or $KUBECONFIG, or ~/.kube/config) into a ClientConfig. */
export function loadKubeconfig(path?: string, context?: string): ClientConfig {
  const file = path ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  return parseKubeconfig(readFileSync(file, 'utf8'), context, file);
}

type Named<T> = { name: string } & T;

export function parseKubeconfig(text: string, contextName?: string, path = 'kubeconfig'): ClientConfig {
  const doc = (parseYaml(text) ?? {}) as {
    'current-context'?: string;
    contexts?: Named<{ context: { cluster: string; user: string } }>[];
    clusters?: Named<{ cluster: Record<string, unknown> }>[];
    users?: Named<{ user: Record<string, unknown> }>[];
  };
  const ctxName = contextName ?? doc['current-context'];
  const ctx = (doc.contexts ?? []).find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`${path}: context ${JSON.stringify(ctxName)} not found`);
  const cluster = (doc.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(`${path}: cluster ${JSON.stringify(ctx.cluster)} not found`);
  const user = (doc.users ?? []).find((u) => u.name === ctx.user)?.user ?? {};
  const file = (v: unknown) => (typeof v === 'string' && v ? readFileSync(v) : undefined);
  const token = typeof user.token === 'string' ? user.token : typeof user.tokenFile === 'string' ? readFileSync(user.tokenFile, 'utf8').trim() : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: b64(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    cert: b64(user['client-certificate-data']) ?? file(user['client-certificate']),
    key: b64(user['client-key-data']) ?? file(user['client-key']),
    token,
  };
}

/** The URL path of a resource (collection when name is undefined). */
export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export function apiVersionOf(ref: { group: string; version: string }): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function listQuery(opts: ListOptions = {}): string {
  return query({
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    limit: opts.limit,
    continue: opts.continue,
    resourceVersion: opts.resourceVersion,
    resourceVersionMatch: opts.resourceVersionMatch,
  });
}

interface RequestInit {
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  /** Resolve with the body as text (e.g. /metrics) instead of parsed JSON. */
  text?: boolean;
}

export class ApiClient implements Api {
  readonly config: ClientConfig;
  private readonly agent: Agent | HttpAgent;
  /** Watches hold their connection for minutes: their own pool, so they never starve requests. */
  private readonly watchAgent: Agent | HttpAgent;
  private readonly secure: boolean;
  private readonly base: URL;

  constructor(config: ClientConfig) {
    this.config = config;
    this.base = new URL(config.server);
    this.secure = this.base.protocol === 'https:';
    // One TLS context for every connection (parsing the key and certificates is not free).
    const tls = this.secure ? { secureContext: createSecureContext({ ca: config.ca, cert: config.cert, key: config.key }), rejectUnauthorized: !config.insecureSkipTLSVerify } : undefined;
    const maxSockets = config.maxConnections ?? 64;
    this.agent = tls ? new Agent({ keepAlive: true, maxSockets, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets });
    this.watchAgent = tls ? new Agent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
  }

  static fromKubeconfig(path?: string, context?: string): ApiClient {
    return new ApiClient(loadKubeconfig(path, context));
  }

  /** Closes idle keep-alive connections (watches are stopped by their handles). */
  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private options(method: string, path: string, headers: Record<string, string>, agent = this.agent): RequestOptions {
    const h: Record<string, string> = { 'User-Agent': this.config.userAgent ?? 'k8ts-controller-manager/v0.1.0', ...headers };
    if (this.config.token) h.Authorization = `Bearer ${this.config.token}`;
    return {
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || (this.secure ? 443 : 80),
      path: (this.base.pathname === '/' ? '' : this.base.pathname.replace(/\/$/, '')) + path,
      agent,
      headers: h,
    };
  }

  private send(opts: RequestOptions, cb: (res: IncomingMessage) => void): ClientRequest {
    return this.secure ? httpsRequest(opts, cb) : httpRequest(opts, cb);
  }

  /** One JSON request; non-2xx answers throw ApiStatusError with the server's Status. */
  request<T = unknown>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const payload = init.body === undefined ? undefined : Buffer.from(typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
    const headers: Record<string, string> = { Accept: init.accept ?? JSON_TYPE };
    if (payload) {
      headers['Content-Type'] = init.contentType ?? JSON_TYPE;
      headers['Content-Length'] = String(payload.length);
    }
    const timeoutMs = init.timeoutMs ?? this.config.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const req = this.send(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = text && !(init.text && code >= 200 && code < 300) ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          if (code >= 200 && code < 300) resolve((init.text ? text : body) as T);
          else {
            const status = body && typeof body === 'object' && (body as StatusObject).kind === 'Status' ? (body as StatusObject) : undefined;
            reject(new ApiStatusError(code, status, `${method} ${path}: HTTP ${code} ${text.slice(0, 200)}`));
          }
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * A watch stream: calls onEvent per event and onClose once when the stream ends (err set
   * when it failed: an HTTP error as ApiStatusError, a broken connection, or silence for
   * longer than idleMs).
   */
  watchPath(path: string, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void): WatchHandle {
    const timeoutSeconds = opts.timeoutSeconds ?? 300;
    const q = query({
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds,
    });
    const sep = path.includes('?') ? '&' : '';
    const fullPath = sep ? `${path}&${q.slice(1)}` : path + q;
    let closed = false;
    const close = (err?: Error) => {
      if (closed) return;
      closed = true;
      onClose(err);
    };
    const req = this.send(this.options('GET', fullPath, { Accept: opts.metadataOnly ? PARTIAL_ONE : JSON_TYPE }, this.watchAgent), (res) => {
      const code = res.statusCode ?? 0;
      if (code !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let status: StatusObject | undefined;
          try {
            status = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatusObject;
          } catch {
            status = undefined;
          }
          close(new ApiStatusError(code, status?.kind === 'Status' ? status : undefined, `watch ${path}: HTTP ${code}`));
        });
        res.on('error', (err) => close(err));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (closed) return;
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch (err) {
            req.destroy();
            close(new Error(`watch ${path}: undecodable event: ${(err as Error).message}`));
            return;
          }
          try {
            onEvent(ev);
          } catch (err) {
            req.destroy();
            close(err as Error);
            return;
          }
          if (closed) return;
        }
      });
      res.on('end', () => close());
      res.on('error', (err) => close(err));
      res.on('close', () => close());
    });
    // The server ends the watch after timeoutSeconds; silence well beyond that is a dead connection.
    req.setTimeout((timeoutSeconds + 30) * 1000, () => req.destroy(new Error(`watch ${path}: no data for ${timeoutSeconds + 30} s`)));
    req.on('error', (err) => close(err));
    req.end();
    return {
      stop() {
        closed = true;
        req.destroy();
      },
    };
  }

  // --- typed helpers ------------------------------------------------------------------------

  get<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(ref, namespace, name));
  }

  list<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(ref, namespace) + listQuery(opts), { accept: opts.metadataOnly ? PARTIAL_LIST : JSON_TYPE });
  }

  create<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: T): Promise<T> {
    return this.request<T>('POST', resourcePath(ref, namespace), { body: obj });
  }

  update<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: T, subresource?: string): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new Error('update: the object has no name');
    return this.request<T>('PUT', resourcePath(ref, namespace, name, subresource), { body: obj });
  }

  patch<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.request<T>('PATCH', resourcePath(ref, namespace, name), { body: patch, contentType: PATCH_TYPES[type] });
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | StatusObject> {
    return this.request('DELETE', resourcePath(ref, namespace, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } });
  }

  async deleteCollection(ref: ResourceRef, namespace: string | undefined, opts: DeleteOptions & ListOptions = {}): Promise<void> {
    const { propagationPolicy, gracePeriodSeconds, preconditions, ...listOpts } = opts;
    await this.request('DELETE', resourcePath(ref, namespace) + listQuery(listOpts), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy, gracePeriodSeconds, preconditions },
    });
  }

  watch(ref: ResourceRef, namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose: (err?: Error) => void): WatchHandle {
    return this.watchPath(resourcePath(ref, namespace), opts, onEvent, onClose);
  }

  /** Legacy discovery (/api, /apis and each group version): every resource of every served version. */
  async discover(): Promise<ApiResource[]> {
    const out: ApiResource[] = [];
    const versions: { group: string; version: string; preferred: boolean }[] = [];
    const core = await this.request<{ versions?: string[] }>('GET', '/api');
    for (const v of core.versions ?? []) versions.push({ group: '', version: v, preferred: v === 'v1' });
    const groups = await this.request<{ groups?: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[] }>('GET', '/apis');
    for (const g of groups.groups ?? []) {
      for (const v of g.versions) versions.push({ group: g.name, version: v.version, preferred: (g.preferredVersion?.version ?? g.versions[0]?.version) === v.version });
    }
    const lists = await Promise.all(
      versions.map(async (gv) => {
        try {
          const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
          const list = await this.request<{ resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[]; shortNames?: string[] }[] }>('GET', path);
          return { gv, resources: list.resources ?? [] };
        } catch (err) {
          // One broken group version (e.g. an aggregated API that is down) must not hide the others.
          return { gv, resources: [], err };
        }
      }),
    );
    const failed = lists.filter((l) => l.err);
    for (const { gv, resources } of lists) {
      for (const r of resources) {
        if (r.name.includes('/')) continue;
        out.push({
          group: gv.group,
          version: gv.version,
          resource: r.name,
          kind: r.kind,
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
          preferred: gv.preferred,
          shortNames: r.shortNames,
        });
      }
    }
    if (failed.length) throw new DiscoveryError(out, failed.map((f) => `${apiVersionOf(f.gv)}: ${(f.err as Error).message}`));
    return out;
  }
}

/** Discovery answered for some group versions only; `partial` holds what was found. */
export class DiscoveryError extends Error {
  constructor(
    readonly partial: ApiResource[],
    readonly failures: string[],
  ) {
    super(`unable to retrieve the complete list of server APIs: ${failures.join('; ')}`);
    this.name = 'DiscoveryError';
  }
}

/** The preferred version of each group's resources. */
export function preferredResources(all: ApiResource[]): ApiResource[] {
  return all.filter((r) => r.preferred);
}

/** Maps apiVersion + kind to a resource (a RESTMapper over discovery). */
export class RestMapper {
  private readonly byGvk = new Map<string, ApiResource>();
  private readonly byGk = new Map<string, ApiResource>();

  constructor(resources: ApiResource[]) {
    for (const r of resources) {
      this.byGvk.set(`${r.group}/${r.version}/${r.kind}`, r);
      const gk = `${r.group}/${r.kind}`;
      if (r.preferred || !this.byGk.has(gk)) this.byGk.set(gk, r);
    }
  }

  /** The resource for apiVersion/kind: exactly, or the group's preferred version of the kind. */
  map(apiVersion: string, kind: string): ApiResource | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    return this.byGvk.get(`${group}/${version}/${kind}`) ?? this.byGk.get(`${group}/${kind}`);
  }
}
