// A k8ts store cluster as separate processes (`k8ts server`, each a member of the Raft
// group with its etcd gRPC API and a debug endpoint), for fault tests and benchmarks:
// start, kill -9, restart, add members, partition (through a TCP proxy per directed peer
// link), and observe every member's leadership claims (its `raft: X is the leader (term N)`
// lines and its /status), so that a test can check that no two members led in one term.
//
// Every process started here is SIGKILLed, and the temp dir removed, by destroy() or, failing
// that, when this Node process exits. Ports are free loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { etcdServices } from '../../storage/grpc/proto.ts';
import { freePorts } from '../../lib/free-ports.ts';
import { startTcpProxy, type ProxyMode, type TcpProxy } from './tcp-proxy.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
export const K8TS_BIN = join(repo, 'bin/k8ts.js');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- orphan protection ----

const live = new Set<ChildProcess>();
const roots = new Set<string>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        if (c.pid) process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
}

// ---- a small etcd client with deadlines (raw gRPC, no retries) ----

export type Msg = Record<string, unknown>;

export interface EtcdClient {
  endpoint: string;
  put(key: string, value: string, timeoutMs?: number): Promise<Msg>;
  get(key: string, options?: { prefix?: boolean; serializable?: boolean; keysOnly?: boolean; timeoutMs?: number }): Promise<Array<{ key: string; value: string; modRevision: number }>>;
  status(timeoutMs?: number): Promise<Msg>;
  memberList(timeoutMs?: number): Promise<Msg>;
  call(service: 'KV' | 'Cluster' | 'Maintenance' | 'Lease', method: string, req: Msg, timeoutMs?: number, metadata?: Metadata): Promise<Msg>;
  close(): void;
}

function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]!++;
      return out;
    }
  }
  return Buffer.from([0]);
}

export function etcdClient(endpoint: string): EtcdClient {
  const s = etcdServices();
  const clients = new Map<string, Client>();
  const client = (service: 'KV' | 'Cluster' | 'Maintenance' | 'Lease') => {
    let c = clients.get(service);
    if (!c) {
      c = new (makeGenericClientConstructor(s[service], service))(endpoint, credentials.createInsecure(), {
        'grpc.max_receive_message_length': -1,
        // Reconnect fast after a server restart.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 500,
      });
      clients.set(service, c);
    }
    return c;
  };
  const call = (service: 'KV' | 'Cluster' | 'Maintenance' | 'Lease', method: string, req: Msg, timeoutMs = 10_000, metadata = new Metadata()) =>
    new Promise<Msg>((resolve, reject) => {
      const c = client(service);
      (c as unknown as Record<string, (...a: unknown[]) => void>)[method]!.call(c, req, metadata, { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res: Msg) =>
        err ? reject(err) : resolve(res),
      );
    });
  return {
    endpoint,
    call,
    put: (key, value, timeoutMs) => call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from(value) }, timeoutMs),
    async get(key, o = {}) {
      const res = await call(
        'KV',
        'Range',
        { key: Buffer.from(key), ...(o.prefix ? { range_end: prefixEnd(key) } : {}), serializable: o.serializable ?? false, keys_only: o.keysOnly ?? false },
        o.timeoutMs ?? 20_000,
      );
      return ((res['kvs'] as Array<{ key: Buffer; value: Buffer; mod_revision: string }>) ?? []).map((kv) => ({
        key: kv.key.toString(),
        value: kv.value.toString(),
        modRevision: Number(kv.mod_revision),
      }));
    },
    status: (timeoutMs = 2000) => call('Maintenance', 'Status', {}, timeoutMs),
    memberList: (timeoutMs = 5000) => call('Cluster', 'MemberList', { linearizable: false }, timeoutMs),
    close() {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}

// ---- the cluster ----

export interface ReplicaStatusJson {
  name: string;
  raftState: string;
  leader: number;
  leaderName?: string;
  term: number;
  commit: number;
  applied: number;
  snapshotIndex: number;
  members: Array<{ name: string; addr: string; learner: boolean }>;
  stats: { snapshotsReceived: number; snapshotsSent: number; [k: string]: number };
  pid: number;
}

export interface ClusterOptions {
  /** Founding members s1..sN. */
  servers: number;
  /** Run the API server too (default: store only). */
  apiserver?: boolean;
  snapshotEntries?: number;
  snapshotCatchupEntries?: number;
  /** Put a controllable TCP proxy on every directed peer link (for partitions). */
  proxies?: boolean;
  /** Extra `k8ts server` flags for every member. */
  extraArgs?: string[];
  /** How long to wait for a member to start; default 60 s. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Node flags for the server processes, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  nodeArgs?: string[];
}

export interface LeaderClaim {
  name: string;
  term: number;
  at: number;
  source: 'log' | 'status';
}

export class ServerProcess {
  child: ChildProcess | undefined;
  output = '';
  exited: Promise<void> = Promise.resolve();
  /** Set once the process exited (code or signal). */
  exitInfo: string | undefined;

  constructor(
    readonly cluster: K8tsCluster,
    readonly name: string,
    /** Real peer listen address. */
    readonly peer: string,
    readonly storePort: number,
    readonly debugPort: number,
    readonly apiPort: number,
    /** The --peers value this member starts with. */
    public peers: string,
    public join: boolean,
  ) {}

  get endpoint(): string {
    return `127.0.0.1:${this.storePort}`;
  }
  get dataDir(): string {
    return join(this.cluster.root, this.name);
  }
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is running`);
    hookExit();
    const o = this.cluster.options;
    const others = [...this.cluster.servers.values()].filter((s) => s !== this).map((s) => `${s.name}=${s.endpoint}`);
    const args = [
      K8TS_BIN,
      'server',
      '--name', this.name,
      '--peers', this.peers,
      '--peer-listen', this.peer,
      '--data-dir', this.dataDir,
      '--store-listen', this.endpoint,
      '--debug-listen', `127.0.0.1:${this.debugPort}`,
      '--port', String(this.apiPort),
      '--cluster-token', this.cluster.token,
      ...(others.length > 0 ? ['--client-urls', others.join(',')] : []),
      ...(this.join ? ['--join'] : []),
      ...(o.apiserver ? [] : ['--no-apiserver']),
      ...(o.snapshotEntries ? ['--snapshot-entries', String(o.snapshotEntries)] : []),
      ...(o.snapshotCatchupEntries ? ['--snapshot-catchup-entries', String(o.snapshotCatchupEntries)] : []),
      ...(o.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
    this.child = child;
    this.exitInfo = undefined;
    this.output = '';
    live.add(child);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        live.delete(child);
        resolve();
      });
    });
    let partial = '';
    const onData = (d: string) => {
      this.output = (this.output + d).slice(-65536);
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.cluster.onLine(this.name, line);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    const ready = o.apiserver ? 'kubectl get ns' : 'store ready';
    const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
    while (!this.output.includes(ready)) {
      if (this.exitInfo !== undefined) throw new Error(`${this.name} exited during start (${this.exitInfo}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not start in time:\n${this.output}`);
      await sleep(25);
    }
  }

  /** kill -9. */
  async kill(): Promise<void> {
    if (!this.running || !this.child?.pid) return;
    process.kill(this.child.pid, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM, SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running || !this.child?.pid) return;
    const pid = this.child.pid;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** This member's Raft state from its debug endpoint. */
  async status(timeoutMs = 1000): Promise<ReplicaStatusJson> {
    const res = await fetch(`http://127.0.0.1:${this.debugPort}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    return (await res.json()) as ReplicaStatusJson;
  }
}

export class K8tsCluster {
  readonly servers = new Map<string, ServerProcess>();
  readonly claims: LeaderClaim[] = [];
  /** Proxies by directed link `from>to`. */
  readonly proxies = new Map<string, TcpProxy>();
  readonly token = `k8ts-test-${randomBytes(4).toString('hex')}`;
  private poller: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<K8tsCluster> {
    const root = mkdtempSync(join(tmpdir(), 'k8ts-cluster-'));
    roots.add(root);
    const c = new K8tsCluster(root, options);
    try {
      const names = Array.from({ length: options.servers }, (_, i) => `s${i + 1}`);
      const ports = await freePorts(names.length * 4);
      const real = new Map(names.map((n, i) => [n, `127.0.0.1:${ports[i * 4]!}`]));
      for (const [i, name] of names.entries()) {
        const peers: string[] = [];
        for (const other of names) {
          if (other === name || !options.proxies) {
            peers.push(`${other}=${real.get(other)}`);
            continue;
          }
          const target = real.get(other)!.split(':');
          const proxy = await startTcpProxy({ host: target[0]!, port: Number(target[1]) });
          c.proxies.set(`${name}>${other}`, proxy);
          peers.push(`${other}=${proxy.addr}`);
        }
        const s = new ServerProcess(c, name, real.get(name)!, ports[i * 4 + 1]!, ports[i * 4 + 2]!, ports[i * 4 + 3]!, peers.join(','), false);
        c.servers.set(name, s);
      }
      await Promise.all([...c.servers.values()].map((s) => s.start()));
      c.startPolling();
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  get names(): string[] {
    return [...this.servers.keys()];
  }

  server(name: string): ServerProcess {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  running(): ServerProcess[] {
    return [...this.servers.values()].filter((s) => s.running);
  }

  get endpoints(): string[] {
    return this.running().map((s) => s.endpoint);
  }

  /** Called for every line a member prints: collects its leadership claims. */
  onLine(name: string, line: string): void {
    const m = /^raft: (\S+) is the leader \(term (\d+)\)/.exec(line);
    if (m) this.claims.push({ name: m[1]!, term: Number(m[2]), at: Date.now(), source: 'log' });
    if (process.env['K8TS_CLUSTER_VERBOSE']) process.stderr.write(`[${name}] ${line}\n`);
  }

  private startPolling(): void {
    const poll = async () => {
      await Promise.all(
        this.running().map(async (s) => {
          try {
            const st = await s.status(500);
            if (st.raftState === 'leader') this.claims.push({ name: st.name, term: st.term, at: Date.now(), source: 'status' });
          } catch {
            // down or busy
          }
        }),
      );
      if (this.poller) this.poller = setTimeout(() => void poll(), 100);
    };
    this.poller = setTimeout(() => void poll(), 100);
  }

  /** Terms in which two different members claimed leadership (must be empty). */
  twoLeaderTerms(): Array<{ term: number; names: string[] }> {
    const byTerm = new Map<number, Set<string>>();
    for (const c of this.claims) {
      let s = byTerm.get(c.term);
      if (!s) byTerm.set(c.term, (s = new Set()));
      s.add(c.name);
    }
    return [...byTerm].filter(([, names]) => names.size > 1).map(([term, names]) => ({ term, names: [...names] }));
  }

  /** The member every running member (of `among`) agrees leads, and its status. */
  async leader(timeoutMs = 15_000, among: ServerProcess[] = this.running()): Promise<{ name: string; status: ReplicaStatusJson }> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const sts = await Promise.all(among.map((s) => s.status().catch(() => undefined)));
      const leaders = new Set(sts.map((st) => st?.leaderName));
      if (sts.every((st) => st && st.leader !== 0) && leaders.size === 1) {
        const name = [...leaders][0]!;
        const st = sts.find((x) => x?.name === name);
        if (st && st.raftState === 'leader') return { name, status: st };
      }
      last = sts.map((st, i) => `${among[i]!.name}:${st ? `${st.raftState}/${st.leaderName ?? '-'}/t${st.term}` : 'down'}`).join(' ');
      if (Date.now() > deadline) throw new Error(`no agreed leader after ${timeoutMs} ms: ${last}`);
      await sleep(50);
    }
  }

  /** Waits until `s` has applied at least `index`. */
  async waitApplied(s: ServerProcess, index: number, timeoutMs = 30_000): Promise<ReplicaStatusJson> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await s.status().catch(() => undefined);
      if (st && st.applied >= index) return st;
      if (Date.now() > deadline) throw new Error(`${s.name} did not apply ${index} in ${timeoutMs} ms (at ${st?.applied})`);
      await sleep(50);
    }
  }

  /**
   * A new server process for a member added with `k8ts member add` (free ports); start it
   * with its `start()`. `peers` is its --peers (the current members and itself).
   */
  async newMember(name: string): Promise<ServerProcess> {
    if (this.servers.has(name)) throw new Error(`${name} exists`);
    const ports = await freePorts(4);
    const peer = `127.0.0.1:${ports[0]!}`;
    const peers = this.running().map((s) => `${s.name}=${s.peer}`).concat(`${name}=${peer}`).join(',');
    const s = new ServerProcess(this, name, peer, ports[1]!, ports[2]!, ports[3]!, peers, true);
    this.servers.set(name, s);
    return s;
  }

  /** Cuts (or restores) every link to and from `name`. */
  isolate(name: string, mode: ProxyMode = 'blackhole'): void {
    if (this.proxies.size === 0) throw new Error('this cluster has no proxies (start it with proxies: true)');
    for (const [link, p] of this.proxies) {
      const [from, to] = link.split('>');
      if (from === name || to === name) p.setMode(mode);
    }
  }

  heal(): void {
    for (const p of this.proxies.values()) p.setMode('pass');
  }

  async destroy(): Promise<void> {
    clearTimeout(this.poller);
    this.poller = undefined;
    await Promise.all([...this.servers.values()].map((s) => s.kill().catch(() => undefined)));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    rmSync(this.root, { recursive: true, force: true });
    roots.delete(this.root);
  }
}

// ---- write load with acknowledgement tracking ----

export interface LoadOptions {
  /** Writers, spread over `endpoints` round robin. */
  writers: number;
  endpoints: () => string[];
  prefix: string;
  /** Stop after this many puts in total. */
  maxPuts: number;
  /** Stop after this long. */
  maxMs: number;
  /** Client deadline of one put; default 10 s. */
  putTimeoutMs?: number;
}

export interface LoadResult {
  /** key → value of every acknowledged put. */
  acked: Map<string, string>;
  /** Puts that failed (their outcome is unknown: they may or may not have been applied). */
  failed: number;
  errors: Map<string, number>;
}

/**
 * Writers putting fresh keys (`<prefix>w<i>/<seq>`) until stopped or bounded; each acked put
 * is remembered. A writer whose server fails moves on to the next endpoint.
 */
export class WriteLoad {
  readonly acked = new Map<string, string>();
  failed = 0;
  readonly errors = new Map<string, number>();
  /** Time of every ack (ms since epoch), in order. */
  readonly ackTimes: number[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly clients = new Map<string, EtcdClient>();

  constructor(readonly options: LoadOptions) {
    const started = Date.now();
    let issued = 0;
    const writer = async (w: number) => {
      let seq = 0;
      let pick = w;
      while (!this.stopped && issued < options.maxPuts && Date.now() - started < options.maxMs) {
        const eps = options.endpoints();
        if (eps.length === 0) {
          await sleep(50);
          continue;
        }
        const ep = eps[pick % eps.length]!;
        const key = `${options.prefix}w${w}/${String(seq++).padStart(6, '0')}`;
        const value = `v-${w}-${seq}-${Date.now()}`;
        issued++;
        try {
          await this.client(ep).put(key, value, options.putTimeoutMs ?? 10_000);
          this.acked.set(key, value);
          this.ackTimes.push(Date.now());
        } catch (e) {
          this.failed++;
          const msg = (e as Partial<ServiceError>).details || (e instanceof Error ? e.message : String(e));
          this.errors.set(msg, (this.errors.get(msg) ?? 0) + 1);
          pick++;
          await sleep(20);
        }
      }
    };
    this.done = Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w))).then(() => undefined);
  }

  private client(ep: string): EtcdClient {
    let c = this.clients.get(ep);
    if (!c) this.clients.set(ep, (c = etcdClient(ep)));
    return c;
  }

  async stop(): Promise<LoadResult> {
    this.stopped = true;
    await this.done;
    for (const c of this.clients.values()) c.close();
    return { acked: this.acked, failed: this.failed, errors: this.errors };
  }

  /** Waits until at least `n` more puts are acked (or the timeout). */
  async waitAcks(n: number, timeoutMs: number): Promise<void> {
    const target = this.acked.size + n;
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size < target) {
      if (Date.now() > deadline) throw new Error(`load: ${this.acked.size}/${target} acks after ${timeoutMs} ms; errors: ${JSON.stringify([...this.errors])}`);
      await sleep(20);
    }
  }
}

/** Acked keys missing (or with another value) in `kvs`. */
export function lostWrites(acked: Map<string, string>, kvs: Array<{ key: string; value: string }>): string[] {
  const have = new Map(kvs.map((kv) => [kv.key, kv.value]));
  const lost: string[] = [];
  for (const [k, v] of acked) if (have.get(k) !== v) lost.push(k);
  return lost;
}
