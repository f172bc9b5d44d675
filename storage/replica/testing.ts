// Helpers for in-process replicated clusters in tests and benchmarks: free loopback ports,
// temp dirs, start/stop/restart members, wait for a leader.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePorts } from '../../lib/free-ports.ts';
import { openReplicatedStore, type ReplicatedStore, type ReplicatedStoreOptions } from './replicated-store.ts';

export type ClusterOptions = Partial<Omit<ReplicatedStoreOptions, 'name' | 'dataDir' | 'peers' | 'listen' | 'join'>>;

export class TestCluster {
  readonly stores = new Map<string, ReplicatedStore>();
  readonly peers: Record<string, string> = {};
  readonly cluster = `test-${randomBytes(4).toString('hex')}`;

  private constructor(
    readonly root: string,
    readonly options: ClusterOptions,
  ) {}

  /** Starts `n` founding members r1..rn on free loopback ports in a temp dir. */
  static async start(n: number, options: ClusterOptions = {}): Promise<TestCluster> {
    const root = await mkdtemp(join(tmpdir(), 'k8ts-replica-'));
    const c = new TestCluster(root, { tickMs: 50, ...options });
    const ports = await freePorts(n);
    for (let i = 0; i < n; i++) c.peers[`r${i + 1}`] = `127.0.0.1:${ports[i]}`;
    try {
      await Promise.all(Object.keys(c.peers).map((name) => c.open(name)));
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  get names(): string[] {
    return Object.keys(this.peers);
  }

  dataDir(name: string): string {
    return join(this.root, name);
  }

  async open(name: string, extra: Partial<ReplicatedStoreOptions> = {}): Promise<ReplicatedStore> {
    if (this.stores.has(name)) throw new Error(`${name} is running`);
    const s = await openReplicatedStore({
      ...this.options,
      cluster: this.cluster,
      name,
      dataDir: this.dataDir(name),
      peers: this.peers,
      ...extra,
    });
    this.stores.set(name, s);
    return s;
  }

  /** Adds a new member through `via` and starts it empty (it catches up by snapshot). */
  async join(name: string, via: string, options: { learner?: boolean } = {}): Promise<ReplicatedStore> {
    const [port] = await freePorts(1);
    const addr = `127.0.0.1:${port}`;
    await this.store(via).addMember(name, addr, options);
    this.peers[name] = addr;
    return this.open(name, { join: true, listen: addr });
  }

  store(name: string): ReplicatedStore {
    const s = this.stores.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s;
  }

  running(): ReplicatedStore[] {
    return [...this.stores.values()];
  }

  async stop(name: string): Promise<void> {
    const s = this.stores.get(name);
    if (!s) return;
    this.stores.delete(name);
    await s.close();
  }

  async restart(name: string): Promise<ReplicatedStore> {
    await this.stop(name);
    return this.open(name);
  }

  /** The running member that leads, once all running members agree on one. */
  async leader(timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = new Set<string>();
      let agreed = true;
      for (const s of this.running()) {
        const st = s.replicaStatus();
        if (st.leader === 0 || !st.leaderName || !this.stores.has(st.leaderName)) agreed = false;
        else leaders.add(st.leaderName);
      }
      if (agreed && leaders.size === 1) {
        const name = [...leaders][0]!;
        if (this.store(name).replicaStatus().raftState === 'leader') return name;
      }
      if (Date.now() > deadline) throw new Error(`no agreed leader after ${timeoutMs} ms: ${this.running().map((s) => `${s.replicaStatus().name}→${s.replicaStatus().leaderName}`).join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async follower(): Promise<string> {
    const leader = await this.leader();
    return this.names.find((n) => n !== leader && this.stores.has(n))!;
  }

  /** Waits until every running member has applied at least `index`. */
  async waitApplied(index: number, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running().some((s) => s.replicaStatus().applied < index)) {
      if (Date.now() > deadline) throw new Error(`members did not apply ${index}: ${this.running().map((s) => s.replicaStatus().applied).join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.running().map((s) => s.close().catch(() => undefined)));
    this.stores.clear();
    await rm(this.root, { recursive: true, force: true });
  }
}
