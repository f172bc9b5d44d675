// `k8ts server`: one control-plane server — a member of the replicated store (Raft over
// LevelDB), etcd's v3 gRPC API in front of it, and (unless --no-apiserver) an API server and
// the controller manager on it, exactly as `k8ts up` runs them. `k8ts up --servers N` starts
// N of these; on several machines, run one per machine with the same --peers.
//
// Layout of --data-dir: store/ (the member: raft log, MVCC data, snapshots), pki/ (the
// cluster's CA and certificates: copy it from the first server to the others so that one
// kubeconfig works with every server), kubeconfig.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Store } from '../storage/store.ts';
import { openMemberStore, parsePeers, waitUsable } from './replica-store.ts';

export interface ServerOptions {
  name: string;
  peers: string;
  dataDir?: string;
  port: number;
  host: string;
  storeListen: string;
  peerListen?: string;
  join?: boolean;
  clusterToken: string;
  snapshotEntries: number;
  snapshotCatchupEntries: number;
  debugListen?: string;
  /** Other members' etcd API addresses, name=host:port,... */
  clientUrls?: string;
  quotaBackendBytes?: number;
  watchProgressNotifyInterval?: number;
  /** false with --no-apiserver. */
  apiserver?: boolean;
  /** false with --no-controllers. */
  controllers?: boolean;
  /** false with --no-scheduler. */
  scheduler?: boolean;
}

type Up = (
  options: { dataDir: string; port: number; host: string; member: string; controllers?: boolean; scheduler?: boolean },
  opened: { store: Store; describe: string },
) => Promise<void>;

export async function runServer(o: ServerOptions, up: Up): Promise<void> {
  // Started by `k8ts up --servers`: stop when that process is gone, even if it was killed hard.
  const parent = Number(process.env['K8TS_EXIT_WITH_PARENT']);
  if (parent > 0) {
    // Our parent's pid as the kernel sees it now (Node's process.ppid is read once): when the
    // parent dies, this process is reparented at once, even before the parent is reaped.
    const currentParent = (): number | undefined => {
      try {
        const stat = readFileSync('/proc/self/stat', 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        return undefined;
      }
    };
    const watch = setInterval(() => {
      const now = currentParent();
      if (now !== undefined ? now === parent : isAlive(parent)) return;
      clearInterval(watch);
      process.kill(process.pid, 'SIGTERM');
    }, 500);
    watch.unref();
  }
  const peers = parsePeers(o.peers);
  if (peers[o.name] === undefined) throw new Error(`--peers must list this member (${o.name})`);
  const dataDir = resolve(o.dataDir ?? join('.k8ts', o.name));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const member = await openMemberStore({
    name: o.name,
    dir: join(dataDir, 'store'),
    peers,
    ...(o.peerListen ? { peerListen: o.peerListen } : {}),
    join: o.join ?? false,
    clusterToken: o.clusterToken,
    storeListen: o.storeListen,
    ...(o.debugListen ? { debugListen: o.debugListen } : {}),
    ...(o.clientUrls ? { clientUrls: parsePeers(o.clientUrls) } : {}),
    snapshotEntries: o.snapshotEntries,
    snapshotCatchUpEntries: o.snapshotCatchupEntries,
    replica: {
      ...(o.quotaBackendBytes ? { quotaBytes: o.quotaBackendBytes } : {}),
      ...(o.watchProgressNotifyInterval ? { progressNotifyIntervalMs: o.watchProgressNotifyInterval } : {}),
    },
  });
  const describe = `member ${o.name} of the Raft group of ${member.store.members().map((m) => m.name).join(', ') || Object.keys(peers).join(', ')} in ${join(dataDir, 'store')}; etcd API at ${member.clientUrl}; peers at ${o.peerListen ?? peers[o.name]}`;
  process.stdout.write(`k8ts server ${o.name}: store ready (${describe})\n`);

  if (o.apiserver === false) {
    process.on('unhandledRejection', (err) => process.stderr.write(`k8ts server ${o.name}: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`));
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      member.close().then(
        () => {
          process.stdout.write(`k8ts server ${o.name} stopped (${signal})\n`);
          process.exit(0);
        },
        (err: unknown) => {
          process.stderr.write(`k8ts server ${o.name}: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    return;
  }

  // The API server lists and writes at start: wait until this member can serve (a leader
  // exists, and a joining member has caught up).
  try {
    await waitUsable(member.store, 120_000);
  } catch (e) {
    await member.close().catch(() => undefined);
    throw e;
  }
  const store = member.store;
  store.close = () => member.close();
  await up(
    { dataDir, port: o.port, host: o.host, member: o.name, ...(o.controllers === false ? { controllers: false } : {}), ...(o.scheduler === false ? { scheduler: false } : {}) },
    { store, describe },
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
