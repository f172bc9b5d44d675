// Making ClusterIPs local addresses, so that the proxy (and the DNS server) can bind them.
// Pluggable: the `ip` implementation puts each address (as a /32 or /128) on a dummy
// interface the agent creates itself (`k8ts-svc0`, as kube-proxy's IPVS mode does with
// kube-ipvs0; a bridge without ports where the kernel has no dummy driver, as in some VMs),
// and touches no other interface, route or firewall rule; it is for an agent
// running as root that was told to. The no-op one is for tests and non-root agents, where the
// proxy binds addresses that are already local (loopback, through an address mapper).
import { execFile } from 'node:child_process';
import { logger } from '../../lib/logger.ts';

const log = logger.child({ component: 'address-plumber' });

export interface AddressPlumber {
  /** Makes `ip` a local address (idempotent). */
  ensure(ip: string): Promise<void>;
  /** Takes `ip` away again (idempotent). */
  remove(ip: string): Promise<void>;
  /** Addresses this plumber put in place, e.g. by an earlier run (to remove the stale ones). */
  list(): Promise<string[]>;
  /** Undoes everything (the interface goes away). */
  close(): Promise<void>;
}

export class NoopPlumber implements AddressPlumber {
  async ensure(_ip: string): Promise<void> {}
  async remove(_ip: string): Promise<void> {}
  async list(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

export const SERVICE_INTERFACE = 'k8ts-svc0';

export interface DummyInterfaceOptions {
  /** Default k8ts-svc0. */
  name?: string;
  /** Work inside this network namespace (`ip -n NS`): tests use one of their own. */
  netns?: string;
  /** Default `ip`. */
  ipCommand?: string;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`), { stderr: String(stderr) }));
      else resolve(stdout);
    });
  });
}

const prefixLen = (ip: string): number => (ip.includes(':') ? 128 : 32);

/** Addresses on a dummy interface, through `ip` commands (one at a time). */
export class DummyInterfacePlumber implements AddressPlumber {
  readonly name: string;
  private readonly netns: string | undefined;
  private readonly cmd: string;
  private created = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: DummyInterfaceOptions = {}) {
    this.name = opts.name ?? SERVICE_INTERFACE;
    this.netns = opts.netns;
    this.cmd = opts.ipCommand ?? 'ip';
  }

  private ip(...args: string[]): Promise<string> {
    return run(this.cmd, this.netns ? ['-n', this.netns, ...args] : args);
  }

  /** Runs `fn` after the commands before it (the interface is created once, addresses change in order). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async ensureInterface(): Promise<void> {
    if (this.created) return;
    for (const type of ['dummy', 'bridge']) {
      try {
        await this.ip('link', 'add', this.name, 'type', type);
        log.info({ interface: this.name, type }, 'created the service address interface');
        break;
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        if (/File exists/.test(stderr)) break;
        if (!(type === 'dummy' && /Unknown device type|not supported/i.test(stderr))) throw err;
      }
    }
    await this.ip('link', 'set', this.name, 'up');
    this.created = true;
  }

  ensure(ip: string): Promise<void> {
    return this.serial(async () => {
      await this.ensureInterface();
      try {
        await this.ip('addr', 'add', `${ip}/${prefixLen(ip)}`, 'dev', this.name);
      } catch (err) {
        if (!/File exists|already assigned/.test((err as { stderr?: string }).stderr ?? '')) throw err;
      }
    });
  }

  remove(ip: string): Promise<void> {
    return this.serial(async () => {
      try {
        await this.ip('addr', 'del', `${ip}/${prefixLen(ip)}`, 'dev', this.name);
      } catch (err) {
        if (!/Cannot assign requested address|Address not found|Cannot find device|does not exist/.test((err as { stderr?: string }).stderr ?? '')) throw err;
      }
    });
  }

  list(): Promise<string[]> {
    return this.serial(async () => {
      let out: string;
      try {
        out = await this.ip('-j', 'addr', 'show', 'dev', this.name);
      } catch (err) {
        if (/does not exist|Cannot find device/.test((err as { stderr?: string }).stderr ?? '')) return [];
        throw err;
      }
      const links = JSON.parse(out || '[]') as { addr_info?: { local?: string }[] }[];
      return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter((a) => a !== '' && !a.startsWith('fe80:'));
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.ip('link', 'del', this.name);
      } catch (err) {
        if (!/does not exist|Cannot find device/.test((err as { stderr?: string }).stderr ?? '')) throw err;
      }
      this.created = false;
    });
  }
}

export type PlumberMode = 'none' | 'dummy';

/** The plumber for a mode: `dummy` only for root, and only when asked for. */
export function createPlumber(mode: PlumberMode, opts: DummyInterfaceOptions = {}): AddressPlumber {
  if (mode === 'none') return new NoopPlumber();
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error(`service addresses on ${opts.name ?? SERVICE_INTERFACE} need root`);
  return new DummyInterfacePlumber(opts);
}
