// The `k8ts` command.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Store } from '../storage/store.ts';
// Heavy modules (the API server, controllers, stores) are imported where they are used, so
// that light commands (`k8ts member list`, `--help`) start fast.
import type { ControllerManager } from '../controllers/manager.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { parseDurationOrSeconds } from '../lib/duration.ts';
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

function hostPort(value: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('not a positive integer');
  return n;
}

/** A positive Go duration (`15s`, `1m30s`) or seconds, in ms. */
function positiveDuration(value: string): number {
  const ms = parseDurationOrSeconds(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('not a positive duration (e.g. 15s)');
  return ms;
}

/** A store opened for `up`, with what the banner says about it. */
interface OpenedStore {
  store: Store;
  describe: string;
}

/**
 * The store `up` runs on: an existing etcd (`--store etcd://...`), or the embedded default:
 * a one-member Raft group in `<dataDir>/store` (so members can be added later, see
 * `k8ts member add`) with etcd's v3 gRPC API on --store-listen (127.0.0.1:2379 if free).
 */
async function openStore(dataDir: string, options: UpOptions): Promise<OpenedStore> {
  if (options.store) {
    const endpoints = options.store.split(',').map((e) => (/^[a-z]+:\/\//.test(e) ? e : `http://${e}`).replace(/^etcd:\/\//, 'http://'));
    const { openEtcdStore } = await import('../storage/etcd/etcd-store.ts');
    return { store: await openEtcdStore({ endpoints }), describe: options.store };
  }
  const { openEmbeddedStore, preferredOrFree } = await import('./replica-store.ts');
  const wanted = options.storeListen ?? '127.0.0.1:2379';
  const listen = options.storeListen ? { addr: wanted, preferred: true } : await preferredOrFree(wanted);
  const member = await openEmbeddedStore(dataDir, { storeListen: listen.addr, ...(options.peerListen ? { peerListen: options.peerListen } : {}) });
  const store = member.store;
  // Closing the store closes the gRPC server in front of it first.
  store.close = () => member.close();
  const note = listen.preferred ? '' : ` (${wanted} is in use)`;
  return {
    store,
    describe: `${join(dataDir, 'store')}, a one-member Raft group; etcd API at ${member.clientUrl}${note}; peers at ${member.peer}`,
  };
}

interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  store?: string;
  /** false with --no-controllers. */
  controllers?: boolean;
  /** host:port of the embedded store's etcd gRPC API (default 127.0.0.1:2379 if free). */
  storeListen?: string;
  /** host:port the embedded store listens on for peers (default 127.0.0.1:2380 if free). */
  peerListen?: string;
  /** `--servers N`: a replicated control plane of N server processes. */
  servers?: number;
  /** false with --no-scheduler. */
  scheduler?: boolean;
  /** The store member this process is (`k8ts server --name`): part of its leader-election identity. */
  member?: string;
  /** `--hollow-nodes N`: register N simulated nodes (hollow-0 … hollow-N-1) in this process. */
  hollowNodes?: number;
  /** `--nodes N`: run N node agents (node-0 … node-N-1) whose pods run as processes on this machine. */
  nodes?: number;
  /** `--hollow-start-delay MS`: how long a hollow node takes to "start" a pod bound to it (default 1000). */
  hollowStartDelay?: number;
  /** `--horizontal-pod-autoscaler-sync-period`: how often each HPA is synced, ms (default 15 s). */
  horizontalPodAutoscalerSyncPeriod?: number;
  /** `--node-monitor-grace-period`: how long a node may go unheard before it is NotReady, ms (default 40 s). */
  nodeMonitorGracePeriod?: number;
}

/** Where in-process clients reach a server listening on `host` (a wildcard address means loopback). */
function loopbackUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '') return `https://127.0.0.1:${port}`;
  if (host === '::') return `https://[::1]:${port}`;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `opened`: a store opened by the caller (`k8ts server`), instead of the one options name. */
export async function up(options: UpOptions, opened?: OpenedStore): Promise<void> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { store, describe: storeDescription } = opened ?? (await openStore(dataDir, options));
  const { startApiServer } = await import('../server/server.ts');
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
  // One identity for this process in both leader elections, naming the member, so that
  // `kubectl get lease -n kube-system` tells which server runs the controllers and the scheduler.
  // Leases shorter than upstream's 15 s and retries every second: a standby observes the
  // leader's last renewal within one retry period and waits out the lease from then, so it
  // takes over within 1 + 10 + 1 s of the leader's death, inside the 15 s k8ts promises.
  const election = {
    identity: `${hostname()}_${options.member ? `${options.member}_` : ''}${randomUUID()}`,
    leaseDurationSeconds: 10,
    renewDeadlineMs: 7_000,
    retryPeriodMs: 1_000,
  };
  let controllers: ControllerManager | undefined;
  if (options.controllers !== false) {
    const { startControllerManager } = await import('../controllers/manager.ts');
    controllers = startControllerManager({
      client: { server: loopbackUrl(server.host, server.port), ca: server.pki.caCert, cert: server.pki.adminCert, key: server.pki.adminKey },
      rootCA: server.pki.caCert,
      ...election,
      horizontalPodAutoscalerSyncPeriodMs: options.horizontalPodAutoscalerSyncPeriod,
      nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriod,
    });
  }
  // The scheduler and hollow nodes are API clients too (leader-elected through kube-system/kube-scheduler).
  const adminClient = { server: loopbackUrl(server.host, server.port), ca: server.pki.caCert, cert: server.pki.adminCert, key: server.pki.adminKey };
  let scheduler: { stop(): Promise<void> } | undefined;
  if (options.scheduler !== false) {
    const { startScheduler } = await import('../scheduler/scheduler.ts');
    scheduler = startScheduler({ client: adminClient, ...election });
  }
  let hollow: { stop(): Promise<void> } | undefined;
  if (options.hollowNodes) {
    const { startHollowNodes, hollowNodeNames } = await import('../node/hollow/agent.ts');
    const timing = options.hollowStartDelay === undefined ? undefined : { startDelayMs: options.hollowStartDelay };
    hollow = startHollowNodes({ client: adminClient, names: hollowNodeNames(options.hollowNodes), timing });
  }
  let nodes: { stop(): Promise<void> } | undefined;
  if (options.nodes) {
    const { startProcessNodes, processNodeNames } = await import('../node/process/agent.ts');
    // Indexes (addresses, pod ranges) after the hollow nodes'.
    nodes = startProcessNodes({ client: adminClient, names: processNodeNames(options.nodes), firstIndex: options.hollowNodes ?? 0, dataDir: join(dataDir, 'nodes'), kubeletClientCA: server.pki.caCert });
  }
  process.stdout.write(
    [
      `k8ts is running at ${server.url} (store: ${storeDescription})`,
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
      const clients = [controllers?.stop(), scheduler?.stop(), hollow?.stop(), nodes?.stop()];
      await Promise.race([Promise.all(clients), new Promise((r) => setTimeout(r, 5000).unref())]);
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
    .option('--store <url>', 'use an existing etcd (etcd://host:port[,host:port...]) instead of the built-in store', storeUrl)
    .option('--store-listen <host:port>', "where the built-in store serves etcd's v3 gRPC API (default: 127.0.0.1:2379, another port if that is taken)", hostPort)
    .option('--peer-listen <host:port>', 'where the built-in store listens for Raft peers (default: 127.0.0.1:2380, another port if that is taken)', hostPort)
    .option('--servers <n>', 'run a replicated control plane of n server processes (3 or 5) on this machine', positiveInt)
    .option('--no-controllers', 'do not run the controller manager (namespace deletion, service accounts, garbage collection)')
    .option('--no-scheduler', 'do not run the scheduler')
    .option('--hollow-nodes <n>', 'register n simulated nodes (hollow-0 … hollow-<n-1>) that report their pods Running without running them', nonNegativeInt)
    .option('--hollow-start-delay <ms>', 'how long hollow nodes take to start a pod bound to them (default 1000)', nonNegativeInt)
    .option('--nodes <n>', 'run n node agents (node-0 … node-<n-1>) whose pods run as processes on this machine (default 0)', nonNegativeInt)
    .option('--horizontal-pod-autoscaler-sync-period <duration>', 'how often the controller manager syncs each HorizontalPodAutoscaler (default 15s)', positiveDuration)
    .option('--node-monitor-grace-period <duration>', 'how long a node may stop posting status before it is marked NotReady and tainted (default 40s)', positiveDuration)
    .action(async (opts: UpOptions) => {
      if (opts.servers !== undefined && opts.servers > 1) {
        if (opts.store) throw new InvalidArgumentError('--servers runs the built-in store; it cannot be combined with --store');
        if (opts.hollowNodes) throw new InvalidArgumentError('--hollow-nodes runs in the one process of `k8ts up`; with --servers, run `k8ts agent --hollow` against the cluster');
        if (opts.nodes) throw new InvalidArgumentError('--nodes runs in the one process of `k8ts up`; with --servers, run `k8ts agent` against the cluster');
        const { upCluster } = await import('./cluster.ts');
        await upCluster({ ...opts, servers: opts.servers });
        return;
      }
      await up(opts);
    });

  cmd
    .command('server')
    .description('run one control-plane server: a member of the replicated store, its etcd API and an API server on it')
    .requiredOption('--name <name>', "this member's name")
    .requiredOption('--peers <list>', 'the members, name=host:port of their peer listeners, comma-separated, this one included (with --join: the current members and this one)')
    .option('--data-dir <dir>', 'where the store, certificates and kubeconfig live (default: ./.k8ts/<name>)')
    .option('--port <port>', 'HTTPS port of the API server', portNumber, 6443)
    .option('--host <address>', 'address the API server listens on', '127.0.0.1')
    .option('--store-listen <host:port>', "where the store serves etcd's v3 gRPC API", hostPort, '127.0.0.1:2379')
    .option('--peer-listen <host:port>', 'where to listen for peers (default: this member\'s address in --peers)', hostPort)
    .option('--join', 'join an existing cluster (after `k8ts member add`) instead of founding one')
    .option('--cluster-token <token>', 'members of one cluster share it; peers with another are refused', 'k8ts')
    .option('--snapshot-entries <n>', 'snapshot the state and compact the Raft log every n applied entries', positiveInt, 10000)
    .option('--snapshot-catchup-entries <n>', 'entries kept below a snapshot for slow followers', positiveInt, 5000)
    .option('--debug-listen <host:port>', 'serve GET /status (this member\'s Raft state as JSON) over plain HTTP', hostPort)
    .option('--client-urls <list>', "the other members' etcd API addresses, name=host:port, comma-separated (reported by the member list)")
    .option('--quota-backend-bytes <n>', 'refuse puts once the data would exceed this (etcd\'s flag; default 2 GiB)', positiveInt)
    .option('--watch-progress-notify-interval <ms>', 'period of progress notifications to watchers that ask for them', positiveInt)
    .option('--no-apiserver', 'run only the store (a member of the store cluster, like an etcd member)')
    .option('--no-controllers', 'do not run the controller manager')
    .option('--no-scheduler', 'do not run the scheduler')
    .action(async (opts: import('./server.ts').ServerOptions) => {
      const { runServer } = await import('./server.ts');
      await runServer(opts, (o, opened) => up(o, opened));
    });

  cmd
    .command('agent')
    .description('run node agents against an API server: pods run as processes on this machine (--runtime process, the default), or are simulated (--hollow, as KWOK)')
    .option('--runtime <runtime>', 'process (pods run as processes here) or hollow (simulated)', (v: string) => {
      if (v !== 'process' && v !== 'hollow') throw new InvalidArgumentError('expected process or hollow');
      return v;
    })
    .option('--hollow', 'simulated nodes that report their pods Running without running anything (--runtime hollow)')
    .option('--data-dir <dir>', 'process runtime: where pods\' files and logs live', './.k8ts/agent')
    .option('--kubeconfig <path>', 'credentials to reach the API server (default: $KUBECONFIG, ~/.kube/config)')
    .option('--server <url>', 'the API server, overriding the kubeconfig\'s')
    .option('--name <name>', 'the node name (with --nodes: the prefix of <name>-0 … <name>-<n-1>; default: hollow, or this host\'s name)')
    .option('--nodes <n>', 'how many nodes to run', positiveInt)
    .option('--first-index <n>', "the first node's index: its InternalIP is 127.0.0.<index+2>, its pod range 10.244.<index>.0/24 (hollow) or 127.244.<index>.0/24 (process) (agents sharing a cluster need distinct ones; default: the number ending the name)", nonNegativeInt)
    .option('--hollow-start-delay <ms>', 'how long a hollow node takes to start a pod bound to it (default 1000)', nonNegativeInt)
    .action(async (opts: { runtime?: string; hollow?: boolean; dataDir: string; kubeconfig?: string; server?: string; name?: string; nodes?: number; firstIndex?: number; hollowStartDelay?: number }) => {
      const hollow = opts.hollow || opts.runtime === 'hollow';
      if (opts.hollow && opts.runtime === 'process') throw new InvalidArgumentError('--hollow and --runtime process contradict each other');
      const { loadKubeconfig } = await import('../controllers/runtime/client.ts');
      const config = loadKubeconfig(opts.kubeconfig);
      if (opts.server) config.server = opts.server.replace(/\/+$/, '');
      const name = opts.name ?? (hollow ? 'hollow' : hostname().toLowerCase());
      const names = opts.nodes ? Array.from({ length: opts.nodes }, (_, i) => `${name}-${i}`) : [name];
      let agents: { stop(): Promise<void> };
      if (hollow) {
        const { startHollowNodes } = await import('../node/hollow/agent.ts');
        const timing = opts.hollowStartDelay === undefined ? undefined : { startDelayMs: opts.hollowStartDelay };
        agents = startHollowNodes({ client: config, names, firstIndex: opts.firstIndex, timing });
      } else {
        const { startProcessNodes } = await import('../node/process/agent.ts');
        agents = startProcessNodes({ client: config, names, firstIndex: opts.firstIndex, dataDir: opts.dataDir, kubeletClientCA: config.ca?.toString() });
      }
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const kind = hollow ? 'hollow' : 'process';
      process.stdout.write(`k8ts agent: ${names.length === 1 ? `${kind} node ${names[0]}` : `${names.length} ${kind} nodes (${names[0]} … ${names[names.length - 1]})`} against ${config.server}\n`);
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        clearInterval(keepAlive);
        await Promise.race([agents.stop(), new Promise((r) => setTimeout(r, 5000).unref())]);
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop());
      process.on('SIGINT', () => void stop());
    });

  const member = cmd.command('member').description("list and change the members of a running store cluster (through etcd's Cluster API)");
  const endpointsOption = ['--endpoints <list>', "etcd API endpoints of the cluster's servers, host:port, comma-separated", '127.0.0.1:2379'] as const;
  member
    .command('list')
    .description('list the members, their roles and addresses')
    .option(...endpointsOption)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: { endpoints: string; output: string }) => {
      const m = await import('./member.ts');
      await m.memberList(opts);
    });
  member
    .command('add')
    .description('add a member (start it afterwards with `k8ts server --join`)')
    .argument('<name>', "the new member's name")
    .argument('<address>', 'host:port where the new member will listen for peers')
    .option('--learner', 'add it as a learner: it receives the log without voting until promoted')
    .option(...endpointsOption)
    .action(async (name: string, address: string, opts: { endpoints: string; learner?: boolean }) => {
      const m = await import('./member.ts');
      await m.memberAdd(name, address, opts);
    });
  member
    .command('promote')
    .description('make a learner a voter (waits until it has caught up)')
    .argument('<name>')
    .option('--timeout <seconds>', 'how long to wait for the learner to catch up', positiveInt, 60)
    .option(...endpointsOption)
    .action(async (name: string, opts: { endpoints: string; timeout: number }) => {
      const m = await import('./member.ts');
      await m.memberPromote(name, opts);
    });
  member
    .command('remove')
    .description('remove a member (stop its server afterwards)')
    .argument('<name>')
    .option(...endpointsOption)
    .action(async (name: string, opts: { endpoints: string }) => {
      const m = await import('./member.ts');
      await m.memberRemove(name, opts);
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
