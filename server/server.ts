// Starts the API server over a Store: TLS with the cluster PKI from the data dir,
// authentication, the registry store with its watch caches, and the default namespaces.
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Store } from '../storage/store.ts';
import { ApiError } from '../api/errors.ts';
import { systemPriorityClasses } from '../api/admission/priority.ts';
import type { KubeObject, ResourceDescriptor } from '../api/registry/descriptor.ts';
import { builtinRegistry } from '../api/resources/index.ts';
import { metricsResources } from '../api/metrics/resources.ts';
import { Registry } from '../api/registry/registry.ts';
import { RegistryStore } from '../api/storage/registry-store.ts';
import type { WatchCacheOptions } from '../api/storage/watch-cache.ts';
import { logger } from '../lib/logger.ts';
import { createApp, type AppOptions } from './app.ts';
import { authenticator } from './auth.ts';
import { ensurePki, type Pki } from './certs.ts';
import { defaultExtensions } from './extensions.ts';
import { ensureKubernetesService } from './kubernetes-service.ts';
import { ensureKubeDnsService } from './kube-dns-service.ts';
import { serveUpgrades } from './streams/index.ts';

const log = logger.child({ component: 'apiserver' });

export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface ApiServerOptions {
  dataDir: string;
  store: Store;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  registry?: Registry;
  /** Overrides of the app's pluggable parts (tables, patches, OpenAPI, subresources). */
  app?: Partial<Pick<AppOptions, 'extensions' | 'subresources' | 'openapi' | 'minRequestTimeoutSeconds'>>;
  /** Watch cache sizing (tests shrink the event window to provoke 410 Gone). */
  watchCache?: WatchCacheOptions;
}

export interface ApiServer {
  port: number;
  host: string;
  url: string;
  pki: Pki;
  storage: RegistryStore;
  registry: Registry;
  close(): Promise<void>;
}

async function createIfMissing(storage: RegistryStore, d: ResourceDescriptor, obj: KubeObject): Promise<void> {
  try {
    await storage.create(d, undefined, obj);
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

/** Creates the namespaces every cluster has (idempotent). */
export async function ensureDefaultNamespaces(storage: RegistryStore, registry: Registry): Promise<void> {
  const d = registry.get('', 'v1', 'namespaces');
  if (!d) return;
  for (const name of DEFAULT_NAMESPACES) await createIfMissing(storage, d, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Creates system-node-critical and system-cluster-critical when missing (upstream's scheduling post-start hook). */
export async function ensureSystemPriorityClasses(storage: RegistryStore, registry: Registry): Promise<void> {
  const d = registry.get('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (!d) return;
  for (const pc of systemPriorityClasses()) await createIfMissing(storage, d, pc);
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const pki = ensurePki(join(options.dataDir, 'pki'));
  // The built-in resources, and the resource metrics API that a cluster serves through
  // metrics-server behind the aggregator (listed after the built-in groups, as there). The
  // OpenAPI documents describe the built-in ones: the metrics kinds have no schemas here.
  const builtin = options.registry ?? builtinRegistry();
  const registry = options.registry ?? new Registry([...builtin.descriptors, ...metricsResources]);
  const storage = new RegistryStore({ store: options.store, registry, watchCache: options.watchCache });
  await storage.start();
  await ensureDefaultNamespaces(storage, registry);
  await ensureSystemPriorityClasses(storage, registry);
  await storage.backfillServiceAllocations();

  const defaults = await defaultExtensions(builtin, pki);
  const serverAddressRef = { value: `${host}:${options.port}` };
  const app = createApp({
    registry,
    storage,
    authenticate: authenticator({ tokens: new Map([[pki.adminToken, { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }]]) }),
    get serverAddress() {
      return serverAddressRef.value;
    },
    extensions: options.app?.extensions ?? defaults.extensions,
    subresources: options.app?.subresources ?? defaults.subresources,
    openapi: options.app?.openapi ?? defaults.openapi,
    minRequestTimeoutSeconds: options.app?.minRequestTimeoutSeconds,
    readyChecks: {
      etcd: async () => {
        await options.store.status();
      },
    },
  });

  const server: Server = createServer(
    {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    app,
  );
  // WebSocket and SPDY upgrades (exec, attach, port-forward) run through the same app.
  serveUpgrades(server, app);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', (err) => log.debug({ err }, 'TLS handshake failed'));
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    log.debug({ err }, 'client error');
    if (!socket.writable) return;
    // Even a request that cannot be parsed gets a Status, as every other error does.
    const [code, reason, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request took too long to arrive']
          : [400, 'Bad Request', `the request could not be parsed: ${err.message}`];
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: code === 408 ? 'Timeout' : 'BadRequest', code }) + '\n';
    socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  serverAddressRef.value = `${host}:${port}`;
  try {
    await ensureKubernetesService(storage, registry, host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host, port);
  } catch (err) {
    // Serving matters more than the bootstrap Service: report it and go on.
    log.error({ err }, 'could not create the kubernetes Service');
  }
  try {
    await ensureKubeDnsService(storage, registry);
  } catch (err) {
    log.error({ err }, 'could not create the kube-dns Service');
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log.info({ port, host }, 'API server listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    url: `https://${urlHost}:${port}`,
    pki,
    storage,
    registry,
    close() {
      closing ??= (async () => {
        await storage.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
      })();
      return closing;
    },
  };
}
