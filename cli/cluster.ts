// `k8ts up --servers N`: a replicated control plane on one machine — N `k8ts server` child
// processes, each a member of one Raft-replicated store with its etcd API and an API server
// on it. Ports are free ones (the first server takes --port and 127.0.0.1:2379/2380 when
// free) and are remembered in <data-dir>/cluster.json, so a restart finds the same cluster;
// every server's data lives in <data-dir>/<name>. One kubeconfig names every server (a
// context per server); the children are stopped on SIGTERM/SIGINT. A server that dies is
// reported and not restarted: the others keep serving while a majority runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ensurePki } from '../server/certs.ts';
import { multiServerKubeconfigYaml } from './kubeconfig.ts';
import { canListen, freePort, preferredOrFree, splitHostPort } from './replica-store.ts';

const BIN = fileURLToPath(new URL('../bin/k8ts.js', import.meta.url));
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ClusterUpOptions {
  dataDir: string;
  port: number;
  host: string;
  servers: number;
  storeListen?: string;
  peerListen?: string;
  controllers?: boolean;
  scheduler?: boolean;
}

interface ServerPlan {
  name: string;
  /** host:port for peers. */
  peer: string;
  /** API server port. */
  port: number;
  /** host:port of the etcd API. */
  store: string;
}

interface ClusterFile {
  token: string;
  servers: ServerPlan[];
}

const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

async function plan(root: string, o: ClusterUpOptions): Promise<{ file: ClusterFile; notes: string[] }> {
  const path = join(root, 'cluster.json');
  const notes: string[] = [];
  if (existsSync(path)) {
    const file = JSON.parse(readFileSync(path, 'utf8')) as ClusterFile;
    if (file.servers.length !== o.servers) {
      throw new Error(`${root} holds a control plane of ${file.servers.length} servers, not ${o.servers} (use --servers ${file.servers.length}, or another --data-dir)`);
    }
    // Peer addresses are in the replicated address book: they must stay. Client-facing
    // ports may move when something else took them.
    for (const s of file.servers) {
      if (!(await canListen(s.peer))) throw new Error(`server ${s.name}'s peer address ${s.peer} is in use (is this control plane running already?)`);
      if (!(await canListen(`${o.host}:${s.port}`))) {
        const port = await freePort(o.host);
        notes.push(`${s.name}: port ${s.port} is in use; its API server moves to ${port}`);
        s.port = port;
      }
      if (!(await canListen(s.store))) {
        const { host } = splitHostPort(s.store);
        const port = await freePort(host);
        notes.push(`${s.name}: ${s.store} is in use; its etcd API moves to ${urlHost(host)}:${port}`);
        s.store = `${urlHost(host)}:${port}`;
      }
    }
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
    return { file, notes };
  }
  const servers: ServerPlan[] = [];
  for (let i = 0; i < o.servers; i++) {
    const name = `s${i + 1}`;
    let peer: string;
    let store: string;
    if (i === 0) {
      const p = o.peerListen ? { addr: o.peerListen, preferred: true } : await preferredOrFree('127.0.0.1:2380');
      const s = o.storeListen ? { addr: o.storeListen, preferred: true } : await preferredOrFree('127.0.0.1:2379');
      if (!s.preferred) notes.push(`127.0.0.1:2379 is in use; ${name}'s etcd API is at ${s.addr}`);
      peer = p.addr;
      store = s.addr;
    } else {
      peer = `127.0.0.1:${await freePort()}`;
      store = `127.0.0.1:${await freePort()}`;
    }
    const port = i === 0 && o.port !== 0 ? o.port : await freePort(o.host);
    servers.push({ name, peer, port, store });
  }
  const used = new Set<string>();
  for (const s of servers) {
    for (const a of [s.peer, s.store, `port:${s.port}`]) {
      if (used.has(a)) throw new Error(`address ${a} was picked twice; try again`);
      used.add(a);
    }
  }
  const file: ClusterFile = { token: `k8ts-${randomBytes(6).toString('hex')}`, servers };
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
  return { file, notes };
}

interface Running {
  plan: ServerPlan;
  child: ChildProcess;
  url: string;
  ready: boolean;
  exited: Promise<void>;
  exitInfo?: string;
  output: string;
}

export async function upCluster(o: ClusterUpOptions): Promise<void> {
  if (o.servers !== 3 && o.servers !== 5) process.stderr.write(`k8ts: ${o.servers} servers: a majority of them must run (3 or 5 is usual)\n`);
  const root = resolve(o.dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const { file, notes } = await plan(root, o);
  for (const n of notes) process.stderr.write(`k8ts: ${n}\n`);

  // One PKI for every server, so that one kubeconfig (one CA, one admin) works with each.
  const pki = ensurePki(join(root, 'pki'));
  for (const s of file.servers) {
    const dir = join(root, s.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!existsSync(join(dir, 'pki', 'ca.crt'))) cpSync(join(root, 'pki'), join(dir, 'pki'), { recursive: true });
  }

  const peers = file.servers.map((s) => `${s.name}=${s.peer}`).join(',');
  const running: Running[] = [];
  let stopping = false;
  for (const s of file.servers) {
    const args = [
      BIN, 'server',
      '--name', s.name,
      '--peers', peers,
      '--data-dir', join(root, s.name),
      '--port', String(s.port),
      '--host', o.host,
      '--store-listen', s.store,
      '--cluster-token', file.token,
      '--client-urls', file.servers.filter((x) => x !== s).map((x) => `${x.name}=${x.store}`).join(','),
      ...(o.controllers === false ? ['--no-controllers'] : []),
      ...(o.scheduler === false ? ['--no-scheduler'] : []),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, K8TS_EXIT_WITH_PARENT: String(process.pid) },
    });
    const r: Running = {
      plan: s,
      child,
      url: `https://${urlHost(o.host === '0.0.0.0' ? '127.0.0.1' : o.host === '::' ? '::1' : o.host)}:${s.port}`,
      ready: false,
      output: '',
      exited: new Promise<void>((res) => {
        child.once('exit', (code, signal) => {
          r.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
          if (r.ready && !stopping) {
            process.stderr.write(`k8ts: server ${s.name} (pid ${child.pid}) exited (${r.exitInfo}); the others keep serving while a majority runs\n`);
          }
          res();
        });
      }),
    };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (!r.ready) {
        r.output += d;
        if (r.output.includes('kubectl get ns')) r.ready = true;
      }
    });
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (!r.ready) r.output += d;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) process.stderr.write(`[${s.name}] ${line}\n`);
    });
    running.push(r);
  }

  const stopAll = async () => {
    stopping = true;
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(running.map((r) => r.exited));
    clearTimeout(timer);
  };

  let signalled: string | undefined;
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = signal;
    void stopAll().then(() => {
      process.stdout.write('k8ts stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // Wait for every server to come up.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!running.every((r) => r.ready)) {
    if (signalled) return;
    const dead = running.find((r) => r.exitInfo !== undefined);
    if (dead || Date.now() > deadline) {
      await stopAll();
      const who = dead ?? running.find((r) => !r.ready)!;
      throw new Error(`server ${who.plan.name} ${dead ? `exited during start (${dead.exitInfo})` : `did not come up in ${START_TIMEOUT_MS / 1000} s`}:\n${who.output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const kubeconfig = join(root, 'kubeconfig');
  writeFileSync(kubeconfig, multiServerKubeconfigYaml(running.map((r) => ({ name: r.plan.name, url: r.url })), pki), { mode: 0o600 });
  const width = Math.max(...running.map((r) => r.url.length));
  process.stdout.write(
    [
      `k8ts is running: ${running.length} servers, one Raft-replicated store (data in ${root})`,
      ...running.map((r) => `  ${r.plan.name}  ${r.url.padEnd(width)}  etcd API http://${r.plan.store}  peers ${r.plan.peer}  pid ${r.child.pid}`),
      '',
      'To use it:',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get ns',
      '',
      `kubectl talks to ${running[0]!.plan.name}; if it goes down, switch to another server:`,
      ...running.slice(1).map((r) => `  kubectl config use-context k8ts-${r.plan.name}     # ${r.url}`),
      `Store members: k8ts member list --endpoints ${running.map((r) => r.plan.store).join(',')}`,
      '',
    ].join('\n'),
  );
  await Promise.all(running.map((r) => r.exited));
  if (!signalled) {
    process.stderr.write('k8ts: every server has exited\n');
    process.exit(1);
  }
}
