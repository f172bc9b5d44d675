// The built-in store as the `k8ts` command runs it: one member of a Raft group (the
// replicated LevelDB store of storage/replica/), with etcd's v3 gRPC API in front of it, an
// optional debug endpoint, and a line on stderr whenever this member's view of the
// leadership changes. `k8ts up` runs a one-member group (members can be added later);
// `k8ts server` runs one member of a larger group.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { openReplicatedStore, type ReplicatedStore, type ReplicatedStoreOptions } from '../storage/replica/replicated-store.ts';
import { startGrpcServer, type GrpcServer } from '../storage/grpc/server.ts';
import { replicaClusterInfo } from '../storage/grpc/replica-cluster.ts';

export interface MemberStoreOptions {
  name: string;
  /** The member's own directory (raft log, MVCC data, snapshots). */
  dir: string;
  /** name → host:port of the members to start with (founding members, or whom to contact when joining). */
  peers: Record<string, string>;
  /** host:port to listen on for peers; default peers[name]. */
  peerListen?: string;
  join?: boolean;
  /** Peers of another cluster token are refused. Default 'k8ts'. */
  clusterToken?: string;
  /** host:port of the etcd v3 gRPC API; undefined: none. */
  storeListen?: string;
  /** host:port of a plain-HTTP debug endpoint (GET /status: Raft state as JSON); undefined: none. */
  debugListen?: string;
  /** Other members' etcd API addresses (name → host:port), for the member list. */
  clientUrls?: Record<string, string>;
  snapshotEntries?: number;
  snapshotCatchUpEntries?: number;
  /** Report leadership changes on stderr (default true). */
  reportLeadership?: boolean;
  /** Further replica options (timeouts, quotas). */
  replica?: Partial<Omit<ReplicatedStoreOptions, 'name' | 'dataDir' | 'peers' | 'listen' | 'join' | 'cluster'>>;
}

export interface MemberStore {
  store: ReplicatedStore;
  grpc: GrpcServer | undefined;
  /** `http://host:port` of the etcd API, if served. */
  clientUrl: string | undefined;
  debugUrl: string | undefined;
  /** Stops the gRPC server and the debug endpoint, then closes the store. */
  close(): Promise<void>;
}

/** `a=h:p,b=h:p` → { a: 'h:p', b: 'h:p' }. */
export function parsePeers(value: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`bad peer '${part}': expected name=host:port`);
    const name = part.slice(0, eq);
    const addr = part.slice(eq + 1).replace(/^https?:\/\//, '');
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(addr)) throw new Error(`bad peer address '${addr}' for ${name}: expected host:port`);
    if (peers[name] !== undefined) throw new Error(`peer ${name} is listed twice`);
    peers[name] = addr;
  }
  return peers;
}

export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`bad address '${addr}': expected host:port`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** Whether host:port can be listened on right now. */
export function canListen(addr: string): Promise<boolean> {
  const { host, port } = splitHostPort(addr);
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A free port on `host` (the OS's choice; released before returning). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `preferred` if it can be listened on, else the same host on a free port. */
export async function preferredOrFree(preferred: string): Promise<{ addr: string; preferred: boolean }> {
  if (await canListen(preferred)) return { addr: preferred, preferred: true };
  const { host } = splitHostPort(preferred);
  const port = await freePort(host);
  return { addr: `${host.includes(':') ? `[${host}]` : host}:${port}`, preferred: false };
}

export async function openMemberStore(o: MemberStoreOptions): Promise<MemberStore> {
  const clusterToken = o.clusterToken ?? 'k8ts';
  let grpcRef: GrpcServer | undefined;
  const report = o.reportLeadership ?? true;
  let last = '';
  const store = await openReplicatedStore({
    ...o.replica,
    name: o.name,
    dataDir: o.dir,
    peers: o.peers,
    ...(o.peerListen ? { listen: o.peerListen } : {}),
    join: o.join ?? false,
    cluster: clusterToken,
    ...(o.snapshotEntries !== undefined ? { snapshotEntries: o.snapshotEntries } : {}),
    ...(o.snapshotCatchUpEntries !== undefined ? { snapshotCatchUpEntries: o.snapshotCatchUpEntries } : {}),
    onStateChange: (s) => {
      if (!report) return;
      const line =
        s.raftState === 'leader'
          ? `raft: ${o.name} is the leader (term ${s.term})`
          : s.leader === 0
            ? `raft: ${o.name} has no leader (term ${s.term}, ${s.raftState})`
            : `raft: ${o.name} follows ${s.leaderName ?? s.leader} (term ${s.term}${s.raftState === 'follower' ? '' : `, ${s.raftState}`})`;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
  });
  // Bound now: callers may replace store.close with this member's close().
  const closeStore = store.close.bind(store);
  let debug: HttpServer | undefined;
  try {
    if (o.storeListen) {
      const { host, port } = splitHostPort(o.storeListen);
      if (!(await canListen(o.storeListen))) throw new Error(`cannot serve the etcd API on ${o.storeListen}: the address is in use`);
      const clientUrls: string[] = []; // filled in once bound (port 0 picks one)
      grpcRef = await startGrpcServer({
        store,
        host,
        port,
        clusterInfo: replicaClusterInfo(store, {
          clientUrls,
          cluster: clusterToken,
          clientUrlsOf: (name) => (o.clientUrls?.[name] ? [`http://${o.clientUrls[name]}`] : undefined),
        }),
      });
      clientUrls.push(`http://${grpcRef.endpoint}`);
    }
    if (o.debugListen) {
      const { host, port } = splitHostPort(o.debugListen);
      debug = createHttpServer((req, res) => {
        if (req.url === '/status') {
          const body = JSON.stringify({ ...store.replicaStatus(), pid: process.pid });
          res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        } else res.writeHead(404).end();
      });
      await new Promise<void>((resolve, reject) => {
        debug!.once('error', reject);
        debug!.listen(port, host, () => resolve());
      });
    }
  } catch (e) {
    await grpcRef?.close().catch(() => undefined);
    debug?.close();
    await closeStore().catch(() => undefined);
    throw e;
  }
  const grpc = grpcRef;
  let closing: Promise<void> | undefined;
  return {
    store,
    grpc,
    clientUrl: grpc ? `http://${grpc.endpoint}` : undefined,
    debugUrl: o.debugListen ? `http://${o.debugListen}` : undefined,
    close: () =>
      (closing ??= (async () => {
        await grpc?.close().catch(() => undefined);
        if (debug) {
          debug.closeAllConnections();
          await new Promise<void>((r) => debug!.close(() => r()));
        }
        await closeStore();
      })()),
  };
}

/** Waits until the member can serve linearizable reads (it has a leader and has caught up). */
export async function waitUsable(store: ReplicatedStore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.range('\0k8ts-ready-probe', { countOnly: true });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

interface EmbeddedMemberFile {
  name: string;
  peer: string;
}

/**
 * The store of the embedded default (`k8ts up`): a one-member group in `<dataDir>/store`
 * named `default`, peers at 127.0.0.1:2380 (another free port if that is taken; remembered
 * in `<dataDir>/store/member.json` for restarts). A store written by an older k8ts (a bare
 * MVCC database in `<dataDir>/store`) becomes this member's state machine as it is.
 */
export async function openEmbeddedStore(dataDir: string, options: { storeListen?: string; peerListen?: string }): Promise<MemberStore & { name: string; peer: string }> {
  const dir = join(dataDir, 'store');
  if (existsSync(join(dir, 'CURRENT')) && !existsSync(join(dir, 'mvcc'))) {
    // A bare MVCC store from before the store was replicated: it becomes the state machine.
    const tmp = `${dir}.migrating`;
    renameSync(dir, tmp);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    renameSync(tmp, join(dir, 'mvcc'));
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'member.json');
  let member: EmbeddedMemberFile;
  if (existsSync(file)) {
    member = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedMemberFile;
  } else {
    // An address given is used as it is (and fails if taken); the default moves if taken.
    const addr = options.peerListen ?? (await preferredOrFree('127.0.0.1:2380')).addr;
    member = { name: 'default', peer: addr };
    writeFileSync(file, JSON.stringify(member) + '\n');
  }
  const m = await openMemberStore({
    name: member.name,
    dir,
    peers: { [member.name]: member.peer },
    ...(options.storeListen ? { storeListen: options.storeListen } : {}),
    reportLeadership: false,
  });
  return Object.assign(m, { name: member.name, peer: member.peer });
}
