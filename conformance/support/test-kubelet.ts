// A node agent for stream tests, independent of any real runtime: a kubelet server whose
// ContainerStreams are host processes. A "container" is a child process started by the test
// (its output kept in a CRI log file, as a kubelet keeps it); exec runs the command as a child
// process (under `script` for a terminal), attach joins the container's process, and
// port-forward connects to the port on 127.0.0.1. The node is registered with its kubelet
// endpoint; pods are put on it by spec.nodeName and marked Running by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { CriLogWriter, readCriLog } from '../../node/kubelet-server/cri-log.ts';
import { startKubeletServer, type KubeletServer } from '../../node/kubelet-server/server.ts';
import { StreamError, type ContainerProcess, type ContainerStreams, type PodRef, type StreamOptions, type TerminalSize } from '../../node/kubelet-server/types.ts';
import type { Kubectl } from './kubectl.ts';
import type { K8tsProcess } from './k8ts-process.ts';

interface Container {
  proc: ChildProcess;
  log: string;
  running: boolean;
  /** Attached sessions get the live output too. */
  taps: Set<{ stdout?: PassThrough; stderr?: PassThrough }>;
}

/** A command line for `script -c` (POSIX shell quoting). */
const shellQuote = (args: string[]) => args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
}

export class TestStreams implements ContainerStreams {
  readonly containers = new Map<string, Container>();
  /** Terminal sizes the clients sent, in order. */
  readonly resizes: TerminalSize[] = [];

  constructor(readonly dir: string) {}

  private key(pod: PodRef, container: string): string {
    return `${pod.namespace}/${pod.name}/${container}`;
  }

  private get(pod: PodRef, container: string): Container {
    const c = this.containers.get(this.key(pod, container));
    if (!c) throw new StreamError(404, `container not found ("${container}")`);
    return c;
  }

  /** Starts a container's main process: `sh -c script`, its output logged. */
  run(pod: PodRef, container: string, script: string): Container {
    const log = join(this.dir, `${pod.namespace}_${pod.name}_${container}.log`);
    const writer = new CriLogWriter(log);
    const proc = spawn('sh', ['-c', script], { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    const c: Container = { proc, log, running: true, taps: new Set() };
    for (const name of ['stdout', 'stderr'] as const) {
      proc[name]!.on('data', (chunk: Buffer) => {
        writer.write(name, chunk);
        for (const t of c.taps) t[name]?.write(chunk);
      });
    }
    proc.once('close', () => {
      void writer.end().then(() => (c.running = false));
      for (const t of c.taps) {
        t.stdout?.end();
        t.stderr?.end();
      }
    });
    this.containers.set(this.key(pod, container), c);
    return c;
  }

  async logs(pod: PodRef, container: string, options: Parameters<ContainerStreams['logs']>[2]): Promise<Readable> {
    const c = this.get(pod, container);
    return readCriLog(c.log, options, { running: () => c.running, pollMs: 100 });
  }

  async exec(pod: PodRef, container: string, command: string[], o: StreamOptions): Promise<ContainerProcess> {
    this.get(pod, container);
    const [file, args] = o.tty ? ['script', ['-qfec', shellQuote(command), '/dev/null']] : [command[0]!, command.slice(1)];
    const child = spawn(file, args as string[], { cwd: this.dir, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return {
      stdin: child.stdin ?? undefined,
      stdout: child.stdout ?? undefined,
      stderr: o.tty ? undefined : (child.stderr ?? undefined),
      resize: (size) => this.resizes.push(size),
      exited: childExit(child),
      close: () => child.kill('SIGKILL'),
    };
  }

  async attach(pod: PodRef, container: string, o: StreamOptions): Promise<ContainerProcess> {
    const c = this.get(pod, container);
    if (!c.running) throw new StreamError(400, `container ${container} is not running`);
    const tap = { stdout: o.stdout ? new PassThrough() : undefined, stderr: o.stderr ? new PassThrough() : undefined };
    c.taps.add(tap);
    let detach!: () => void;
    const detached = new Promise<number>((resolve) => (detach = () => resolve(0)));
    const stdin = new PassThrough();
    stdin.on('data', (d: Buffer) => c.proc.stdin?.write(d));
    const done = () => {
      c.taps.delete(tap);
      detach();
    };
    c.proc.once('close', done);
    return {
      stdin: o.stdin ? stdin : undefined,
      stdout: tap.stdout,
      stderr: tap.stderr,
      exited: detached,
      close: done,
    };
  }

  portForward(_pod: PodRef, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => resolve(s));
      s.once('error', (err) => reject(new Error(`failed to connect to localhost:${port}: ${err.message}`)));
    });
  }

  stop(): void {
    for (const c of this.containers.values()) if (c.running) c.proc.kill('SIGKILL');
  }
}

export interface TestKubelet {
  nodeName: string;
  streams: TestStreams;
  server: KubeletServer;
  dir: string;
  /** Creates a pod on this node and starts its containers (`name: script`), then reports it Running. */
  runPod(name: string, containers: Record<string, string>, ports?: number[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestKubelet(k8ts: K8tsProcess, kubectl: Kubectl, nodeName = 'stream-node'): Promise<TestKubelet> {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-kubelet-'));
  const streams = new TestStreams(dir);
  const server = await startKubeletServer({ streams, host: '127.0.0.1', port: 0, clientCA: readFileSync(join(k8ts.dataDir, 'pki', 'ca.crt'), 'utf8') });
  await kubectl.create(JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } } }));
  const status = {
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: server.port } },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test kubelet', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
  };
  await kubectl.ok('patch', 'node', nodeName, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));

  const runPod = async (name: string, containers: Record<string, string>, ports: number[] = []) => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName,
        containers: Object.keys(containers).map((c, i) => ({ name: c, image: 'busybox', ports: i === 0 ? ports.map((p) => ({ containerPort: p })) : undefined })),
      },
    };
    await kubectl.create(JSON.stringify(pod));
    for (const [c, script] of Object.entries(containers)) streams.run({ namespace: 'default', name }, c, script);
    const now = new Date().toISOString();
    const podStatus = {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      startTime: now,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      containerStatuses: Object.keys(containers).map((c) => ({ name: c, image: 'busybox', imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
    };
    await kubectl.ok('patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: podStatus }));
  };

  return {
    nodeName,
    streams,
    server,
    dir,
    runPod,
    async stop() {
      streams.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A directory inside the test kubelet's dir (the "container filesystem" for kubectl cp). */
export function containerPath(k: TestKubelet, ...parts: string[]): string {
  const p = join(k.dir, ...parts);
  mkdirSync(join(p, '..'), { recursive: true });
  return p;
}
