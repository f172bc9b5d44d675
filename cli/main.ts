// The `k8ts` command.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Store } from '../storage/store.ts';
import { openMvccStore } from '../storage/mvcc/mvcc-store.ts';
import { startApiServer } from '../server/server.ts';
import { startControllerManager, type ControllerManager } from '../controllers/manager.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { logger } from '../lib/logger.ts';

const log = logger.child({ component: 'cli' });

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

function storeUrl(value: string): string {
  if (!/^etcd:\/\/[^/]+$/.test(value) && !/^https?:\/\/[^/]+$/.test(value)) {
    throw new InvalidArgumentError('expected etcd://host:port');
  }
  return value;
}

async function openStore(dataDir: string, store: string | undefined): Promise<Store> {
  if (!store) return openMvccStore({ dir: join(dataDir, 'store') });
  const endpoints = store.split(',').map((e) => e.replace(/^etcd:\/\//, 'http://'));
  const { openEtcdStore } = await import('../storage/etcd/etcd-store.ts');
  return openEtcdStore({ endpoints });
}

interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  store?: string;
  /** false with --no-controllers. */
  controllers?: boolean;
}

/** Where in-process clients reach a server listening on `host` (a wildcard address means loopback). */
function loopbackUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `https://127.0.0.1:${port}`;
  if (host === '::') return `https://[::1]:${port}`;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function up(options: UpOptions): Promise<void> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(dataDir, options.store);
  let server;
  try {
    server = await startApiServer({ dataDir, store, port: options.port, host: options.host });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const kubeconfig = join(dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, server.url, server.pki);
  // The controller manager is an API client like any other: HTTPS to the server, with the
  // admin credential for now, leader-elected through the kube-system/kube-controller-manager Lease.
  let controllers: ControllerManager | undefined;
  if (options.controllers !== false) {
    controllers = startControllerManager({
      client: { server: loopbackUrl(server.host, server.port), ca: server.pki.caCert, cert: server.pki.adminCert, key: server.pki.adminKey },
      rootCA: server.pki.caCert,
    });
  }
  process.stdout.write(
    [
      `k8ts is running at ${server.url} (store: ${options.store ?? join(dataDir, 'store')})`,
      '',
      'To use it:',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get ns',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      // Controllers first (they give the lease up while the server still answers), bounded.
      if (controllers) await Promise.race([controllers.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await server.close();
      await store.close();
      process.stdout.write('k8ts stopped\n');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  // A bug in one request must not take the control plane down.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export function program(): Command {
  const cmd = new Command();
  cmd.name('k8ts').description('A Kubernetes-compatible control plane in TypeScript').showHelpAfterError();
  cmd
    .command('up')
    .description('start the store and the API server on this machine and write a kubeconfig')
    .option('--data-dir <dir>', 'where the store, certificates and kubeconfig live', './.k8ts')
    .option('--port <port>', 'HTTPS port of the API server', portNumber, 6443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--store <url>', 'use an existing etcd (etcd://host:port) instead of the built-in store', storeUrl)
    .option('--no-controllers', 'do not run the controller manager (namespace deletion, service accounts, garbage collection)')
    .action(async (opts: UpOptions) => {
      await up(opts);
    });
  return cmd;
}

const isMain = process.argv[1] && /cli[\\/]main\.ts$|bin[\\/]k8ts(\.js)?$/.test(process.argv[1]);
if (isMain || process.env.K8TS_CLI_MAIN === '1') {
  program()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`k8ts: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
