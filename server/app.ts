// The API server's express app: authentication, health and version endpoints, discovery,
// OpenAPI, and the REST endpoints of every registered resource. HTTP only.
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, apiErrors } from '../api/errors.ts';
import type { Registry } from '../api/registry/registry.ts';
import type { RegistryStore } from '../api/storage/registry-store.ts';
import { logger } from '../lib/logger.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.ts';
import { negotiate } from '../api/content-negotiation.ts';
import { NOT_FOUND_STATUS, sendError, sendObject, sendStatus, writeBody, type Output } from './respond.ts';
import { serveResource, type RestExtensions, type RestContext, type SubresourceHandler } from './rest.ts';
import { RequestMetrics } from './request-metrics.ts';
import { versionInfo } from './version.ts';

const log = logger.child({ component: 'server' });

export interface User {
  name: string;
  groups: string[];
}

/** Who made a request: a user, undefined for no credentials, or 'invalid' for bad ones. */
export type Authenticator = (req: Request) => User | undefined | 'invalid';

/** Serves the OpenAPI documents (`/openapi/v2`, `/openapi/v3`, `/openapi/v3/<path>`). */
export type OpenApiHandler = (req: Request, res: Response, path: string) => void | Promise<void>;

export interface AppOptions {
  registry: Registry;
  storage: RegistryStore;
  /** Absent: every request is the admin (tests). */
  authenticate?: Authenticator;
  /** host:port clients reach the server at (for /api's serverAddressByClientCIDRs). */
  serverAddress?: string;
  extensions?: RestExtensions;
  subresources?: Map<string, SubresourceHandler>;
  openapi?: OpenApiHandler;
  /** Readiness checks beyond the process being up (e.g. the store answering). */
  readyChecks?: Record<string, () => Promise<void>>;
  minRequestTimeoutSeconds?: number;
}

const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;

declare module 'express-serve-static-core' {
  interface Request {
    k8tsUser?: User;
  }
}

export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const ctx: RestContext = {
    registry: options.registry,
    storage: options.storage,
    extensions: options.extensions ?? {},
    subresources: options.subresources ?? new Map(),
    minRequestTimeoutSeconds: options.minRequestTimeoutSeconds ?? 1800,
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Audit-Id', cryptoRandomId());
    res.setHeader('Cache-Control', 'no-cache, private');
    if (process.env.K8TS_LOG_LEVEL === 'debug' || process.env.K8TS_LOG_LEVEL === 'trace') {
      const started = Date.now();
      res.on('finish', () => log.debug({ method: req.method, url: req.originalUrl, code: res.statusCode, ms: Date.now() - started }, 'request'));
    }
    if (!options.authenticate) {
      req.k8tsUser = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
      return next();
    }
    const who = options.authenticate(req);
    if (who && who !== 'invalid') {
      req.k8tsUser = who;
      return next();
    }
    if (who === undefined && PUBLIC_PATHS.test(req.path)) {
      req.k8tsUser = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
      return next();
    }
    sendStatus(req, res, apiErrors.unauthorized().toStatus());
  });

  // --- request latency (kube-apiserver's apiserver_request_duration_seconds at /metrics) ---
  const requestMetrics = new RequestMetrics();
  app.use(requestMetrics.middleware());
  app.get('/metrics', (req, res) => writeBody(req, res, 200, 'text/plain; version=0.0.4; charset=utf-8', requestMetrics.text()));

  // --- health and version -------------------------------------------------------------
  const checks = options.readyChecks ?? {};
  const health = (kind: string) => async (req: Request, res: Response) => {
    const results: { name: string; ok: boolean; err?: string }[] = [{ name: 'ping', ok: true }, { name: 'log', ok: true }];
    for (const [name, check] of Object.entries(checks)) {
      try {
        await check();
        results.push({ name, ok: true });
      } catch (err) {
        results.push({ name, ok: false, err: (err as Error).message });
      }
    }
    const sub = req.path.split('/')[2];
    const selected = sub ? results.filter((r) => r.name === sub) : results;
    if (sub && selected.length === 0) {
      res.status(404).type('text/plain').send('404 page not found\n');
      return;
    }
    const ok = selected.every((r) => r.ok);
    const verbose = req.query.verbose !== undefined;
    res.status(ok ? 200 : 500).type('text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (verbose || !ok) {
      const lines = selected.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
      res.send(`${lines.join('\n')}\n${ok ? `${kind} check passed` : `${kind} check failed`}\n`);
    } else res.send('ok');
  };
  app.get(/^\/healthz(\/.*)?$/, health('healthz'));
  app.get(/^\/livez(\/.*)?$/, health('livez'));
  app.get(/^\/readyz(\/.*)?$/, health('readyz'));
  app.get('/version', (req, res) => {
    try {
      sendObject(req, res, 200, versionInfo(), plainOutput(req));
    } catch (err) {
      sendError(req, res, err);
    }
  });

  // --- OpenAPI ------------------------------------------------------------------------
  app.get(/^\/openapi\/(v2|v3)(\/.*)?$/, async (req, res) => {
    if (!options.openapi) return sendStatus(req, res, NOT_FOUND_STATUS);
    try {
      await options.openapi(req, res, req.path);
    } catch (err) {
      sendError(req, res, err);
    }
  });

  // --- discovery and resources ----------------------------------------------------------
  app.use(async (req: Request, res: Response) => {
    try {
      await route(ctx, options, req, res);
    } catch (err) {
      sendError(req, res, err);
    }
  });

  // Express-level errors (e.g. malformed URLs): never a crash, never HTML.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof URIError) return sendError(req, res, apiErrors.badRequest(err.message));
    sendError(req, res, err instanceof ApiError ? err : apiErrors.internal(String((err as Error)?.message ?? err)));
  });
  return app;
}

function cryptoRandomId(): string {
  return globalThis.crypto.randomUUID();
}

function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw apiErrors.badRequest(`invalid URL path segment ${JSON.stringify(s)}`);
      }
    });
}

async function route(ctx: RestContext, options: AppOptions, req: Request, res: Response): Promise<void> {
  const registry = options.registry;
  const parts = splitPath(req.path);
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) {
      if (!isRead) return sendStatus(req, res, methodNotAllowedStatus());
      const n = negotiate(req.headers.accept, { endpoint: 'discovery' });
      if (n.target.kind === 'APIGroupDiscoveryList') return sendAggregated(req, res, aggregatedDiscovery(registry, 'core', n.target.version), n.target.version);
      return sendObject(req, res, 200, apiVersions(registry, options.serverAddress ?? `${req.socket.localAddress}:${req.socket.localPort}`), { kind: n.format, pretty: n.pretty });
    }
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) {
      if (!isRead) return sendStatus(req, res, methodNotAllowedStatus());
      const n = negotiate(req.headers.accept, { endpoint: 'discovery' });
      if (n.target.kind === 'APIGroupDiscoveryList') return sendAggregated(req, res, aggregatedDiscovery(registry, 'named', n.target.version), n.target.version);
      return sendObject(req, res, 200, apiGroupList(registry), { kind: n.format, pretty: n.pretty });
    }
    if (parts.length === 2) {
      const doc = apiGroupDocument(registry, parts[1]!);
      if (!doc) return sendStatus(req, res, NOT_FOUND_STATUS);
      if (!isRead) return sendStatus(req, res, methodNotAllowedStatus());
      return sendObject(req, res, 200, doc, plainOutput(req));
    }
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    // Anything else: a NotFound Status (clients parse every error body as a Status).
    return sendStatus(req, res, NOT_FOUND_STATUS);
  }

  if (registry.inGroupVersion(group, version).length === 0) return sendStatus(req, res, NOT_FOUND_STATUS);
  if (rest.length === 0) {
    if (!isRead) return sendStatus(req, res, methodNotAllowedStatus());
    return sendObject(req, res, 200, apiResourceList(registry, group, version), plainOutput(req));
  }

  // Deprecated watch paths: /api/v1/watch/namespaces/x/pods -> ?watch=1
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
    if (rest.length === 0) return sendStatus(req, res, NOT_FOUND_STATUS);
  }

  let namespace: string | undefined;
  let plural: string;
  let tail: string[];
  if (rest[0] === 'namespaces' && rest.length >= 3 && registry.get(group, version, rest[2]!)?.namespaced) {
    namespace = rest[1]!;
    plural = rest[2]!;
    tail = rest.slice(3);
  } else {
    plural = rest[0]!;
    tail = rest.slice(1);
  }
  const d = registry.get(group, version, plural);
  if (!d) return sendStatus(req, res, NOT_FOUND_STATUS);
  const name = tail[0];
  const subresource = tail[1];
  if (name !== undefined && name === '') return sendStatus(req, res, NOT_FOUND_STATUS);
  // A namespaced resource by name needs its namespace: /api/v1/configmaps/x does not exist.
  if (d.namespaced && namespace === undefined && name !== undefined) return sendStatus(req, res, NOT_FOUND_STATUS);
  if (watchPath) {
    if (!isRead || subresource !== undefined) return sendStatus(req, res, NOT_FOUND_STATUS);
  }
  if (subresource !== undefined && !d.subresources[subresource]) return sendStatus(req, res, NOT_FOUND_STATUS);
  await serveResource(ctx, req, res, {
    d,
    namespace,
    name,
    subresource,
    rest: tail.slice(2),
    user: req.k8tsUser?.name ?? 'admin',
    watch: watchPath || undefined,
  });
}

function plainOutput(req: Request): Output {
  const n = negotiate(req.headers.accept, { endpoint: 'other' });
  return { kind: n.format, pretty: n.pretty };
}

function methodNotAllowedStatus() {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}).toStatus();
}

function sendAggregated(req: Request, res: Response, doc: object, as: 'v2' | 'v2beta1'): void {
  res.setHeader('Vary', 'Accept');
  writeBody(req, res, 200, aggregatedContentType(as), JSON.stringify(doc) + '\n');
}
