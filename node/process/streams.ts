// The process runtime's side of the kubelet server (node/kubelet-server): container logs from
// the CRI files of each run, exec as a process inside the container (a pseudo-terminal from
// util-linux `script` when a TTY is asked for), and port-forward as a TCP connection to the
// pod's address. Attach is not supported: containers' stdin is not kept open.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { readCriLog } from '../kubelet-server/cri-log.ts';
import { StreamError, type ContainerProcess, type ContainerStreams, type LogOptions, type PodRef, type StreamOptions } from '../kubelet-server/types.ts';
import type { PodWorker } from './pod-worker.ts';
import { shq } from './sandbox.ts';

/** Finds the worker of a pod on this node. */
export type WorkerLookup = (pod: PodRef) => PodWorker | undefined;

function workerOf(find: WorkerLookup, pod: PodRef): PodWorker {
  const w = find(pod);
  if (!w) throw new StreamError(404, `pod "${pod.name}" cannot be found - no logs available`);
  return w;
}

/** The run whose log to read, as the kubelet's validateContainerLogStatus picks it. */
export function logRun(w: PodWorker, pod: PodRef, container: string, previous: boolean): number {
  const rec = w.st.containers.get(container);
  if (!rec) throw new StreamError(400, `container "${container}" in pod "${pod.name}" is not available`);
  if (previous) {
    if (!rec.last && !(rec.state.kind === 'terminated' && rec.runs > 1)) throw new StreamError(400, `previous terminated container "${container}" in pod "${pod.name}" not found`);
    // The run before the current one (or before the last, when it is not restarting).
    return rec.state.kind === 'waiting' ? rec.runs : rec.runs - 1;
  }
  if (rec.runs === 0) {
    const reason = rec.state.kind === 'waiting' ? rec.state.reason : 'ContainerCreating';
    throw new StreamError(400, `container "${container}" in pod "${pod.name}" is waiting to start: ${reason}`);
  }
  return rec.runs;
}

/** Sets the size of the pseudo-terminal below `root` (the first process of its tree whose stdin is one). */
function resizeTerminal(root: number, rows: number, cols: number): void {
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    try {
      if (/^\/dev\/pts\/\d+$/.test(readlinkSync(`/proc/${pid}/fd/0`))) {
        spawn('stty', ['-F', `/proc/${pid}/fd/0`, 'rows', String(rows), 'cols', String(cols)], { stdio: 'ignore' }).on('error', () => undefined);
        return;
      }
      queue.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone meanwhile
    }
  }
}

export function processStreams(find: WorkerLookup): ContainerStreams {
  return {
    async logs(pod: PodRef, container: string, options: LogOptions) {
      const w = workerOf(find, pod);
      const run = logRun(w, pod, container, options.previous);
      const rec = w.st.containers.get(container)!;
      const current = () => rec.state.kind === 'running' && rec.runs === run;
      return readCriLog(w.logPath(container, run), options, { running: current });
    },

    async exec(pod: PodRef, container: string, command: string[], options: StreamOptions): Promise<ContainerProcess> {
      const w = workerOf(find, pod);
      const run = w.running(container);
      if (!run) throw new StreamError(400, `container not found ("${container}")`);
      // With a TTY, `script` runs the command on a pseudo-terminal of the container's devpts.
      const argv = options.tty ? ['script', '-qefc', command.map(shq).join(' '), '/dev/null'] : command;
      const child = run.spawnInside(argv, [options.stdin ? 'pipe' : 'ignore', 'pipe', options.tty ? 'ignore' : 'pipe']);
      const exited = new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 0)));
      });
      return {
        stdin: options.stdin ? child.stdin! : undefined,
        stdout: options.stdout || options.tty ? child.stdout! : undefined,
        stderr: options.stderr && !options.tty ? child.stderr! : undefined,
        exited,
        resize: options.tty ? (size) => child.pid && resizeTerminal(child.pid, size.height, size.width) : undefined,
        close: () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
        },
      };
    },

    async attach(pod: PodRef, container: string): Promise<ContainerProcess> {
      workerOf(find, pod);
      throw new StreamError(400, `attach to container "${container}" is not supported by the process runtime`);
    },

    portForward(pod: PodRef, port: number): Promise<Duplex> {
      const w = workerOf(find, pod);
      return new Promise((resolve, reject) => {
        const sock = connect({ host: w.address(), port });
        sock.once('connect', () => resolve(sock));
        sock.once('error', (err) => reject(new StreamError(500, `error forwarding port ${port} to pod ${pod.name}: ${err.message}`)));
      });
    },
  };
}
