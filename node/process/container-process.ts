// One run of a container as host processes. Sandboxed (root), it is `unshare … sh -c <setup>`
// whose forked child becomes the container's PID 1: SIGTERM goes to that process only, as a
// runtime stops a container, and SIGKILL to `unshare`, which takes the child and with it the
// whole PID namespace down. Without a sandbox, the command runs in a process group of its
// own, which is what SIGTERM and SIGKILL go to. Output goes to the run's CRI log file; the
// PID (with its start time, so a recycled PID is never mistaken for it) is written to the
// run's directory, so that an agent that restarts can stop what a previous one left running.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { logger } from '../../lib/logger.ts';
import { pipeToLog } from './logs.ts';
import { enterArgv, hostFs, sandboxArgv, sandboxScript, SETUP_FAILED_EXIT, type Mount } from './sandbox.ts';

const log = logger.child({ component: 'process-runtime' });

export interface LaunchSpec {
  argv: string[];
  env: Map<string, string>;
  workingDir: string;
  mounts: Mount[];
  hostname: string;
  sandbox: boolean;
  /** This run's own directory (the sandbox's mount points, the PID file). */
  runDir: string;
  logPath: string;
}

export interface RunExit {
  exitCode: number;
  /** The signal that ended it, if one did. */
  signal?: number;
  /** The sandbox could not be set up: the command never ran. */
  setupFailed: boolean;
  /** The end of what it wrote to stderr (why a setup failed). */
  stderrTail: string;
  finishedAt: number;
}

/** The container could not be started at all (runc's start errors: no such executable, bad mounts). */
export class StartError extends Error {}

/** An executable on the agent's PATH (unshare, nsenter), found once. */
const hostTool = (() => {
  const cache = new Map<string, string>();
  return (name: string): string => {
    let p = cache.get(name);
    if (!p) {
      p = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).map((d) => join(d, name)).find((c) => existsSync(c)) ?? name;
      cache.set(name, p);
    }
    return p;
  };
})();

/** Where a path the container sees is on the host: in a volume it is mounted from, else the host's own. */
export function hostPathOf(mounts: Mount[], p: string): string {
  const m = mounts.filter((x) => p === x.containerPath || p.startsWith(`${x.containerPath}/`)).sort((a, b) => b.containerPath.length - a.containerPath.length)[0];
  return m ? posix.join(m.hostPath, posix.relative(m.containerPath, p)) : p;
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checks that argv[0] exists in the container's view, as runc does before it execs it. */
export function checkExecutable(argv: string[], env: Map<string, string>, mounts: Mount[]): void {
  const cmd = argv[0];
  if (!cmd) throw new StartError('failed to start container process: no command specified');
  if (cmd.includes('/')) {
    if (!executable(hostPathOf(mounts, cmd))) throw new StartError(`failed to start container process: exec: "${cmd}": stat ${cmd}: no such file or directory`);
    return;
  }
  const dirs = (env.get('PATH') ?? '').split(':').filter(Boolean);
  if (!dirs.some((d) => executable(hostPathOf(mounts, posix.join(d, cmd))))) throw new StartError(`failed to start container process: exec: "${cmd}": executable file not found in $PATH`);
}

/**
 * A live process's start time (field 22 of /proc/<pid>/stat), to tell it from a later one with
 * the same PID; undefined once it is gone (or a zombie).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

const signalNumber = (sig: NodeJS.Signals | null) => (sig ? ((osConstants.signals as Record<string, number>)[sig] ?? 0) : 0);

export class ContainerRun {
  readonly pid: number;
  readonly exited: Promise<RunExit>;
  /** Resolves once everything the container wrote is in its log file. */
  readonly logged: Promise<void>;
  private done = false;
  private stderrTail = '';

  constructor(
    readonly spec: LaunchSpec,
    child: ChildProcess,
  ) {
    this.pid = child.pid!;
    // In a sandbox the container's stderr is fd 3 of unshare, whose own complaints stay apart.
    const stderr = spec.sandbox ? (child.stdio[3] as Readable) : child.stderr;
    let runtimeErr = '';
    if (spec.sandbox) child.stderr?.on('data', (c: Buffer) => (runtimeErr = (runtimeErr + c.toString()).slice(-1024)));
    this.logged = pipeToLog(spec.logPath, { stdout: child.stdout, stderr });
    stderr?.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString()).slice(-2048);
    });
    const startTime = processStartTime(this.pid);
    writeFileSync(join(spec.runDir, 'pid'), `${this.pid} ${startTime ?? ''} ${spec.sandbox ? 'sandbox' : 'group'}\n`);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        // Whatever the main process left behind in its group goes too.
        if (!spec.sandbox) this.signalGroup('SIGKILL');
        // unshare cannot pass on a SIGKILL that ended its child (it says so and exits 1).
        if (spec.sandbox && code === 1 && runtimeErr.includes('sigprocmask unblock failed')) signal = 'SIGKILL';
        const exitCode = signal ? 128 + signalNumber(signal) : (code ?? 0);
        const setupFailed = spec.sandbox && exitCode === SETUP_FAILED_EXIT && !existsSync(join(spec.runDir, 'started'));
        if (runtimeErr && !signal) log.debug({ err: runtimeErr }, 'unshare reported an error');
        resolve({ exitCode, ...(signal ? { signal: signalNumber(signal) } : {}), setupFailed, stderrTail: this.stderrTail, finishedAt: Date.now() });
      });
    });
  }

  private signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // gone
    }
  }

  /** The container's main process (in a sandbox: its PID 1, the child of unshare). */
  mainPid(): number | undefined {
    if (!this.spec.sandbox) return this.pid;
    try {
      const children = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      return children.length ? Number(children[0]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Asks the container to stop (SIGTERM to its main process; without a sandbox, to its group). */
  terminate(): void {
    if (this.done) return;
    if (!this.spec.sandbox) return this.signalGroup('SIGTERM');
    const main = this.mainPid();
    try {
      if (main) process.kill(main, 'SIGTERM');
      else this.kill();
    } catch {
      // gone
    }
  }

  /**
   * Stops the container now. In a sandbox, killing its PID 1 ends the PID namespace, and
   * unshare, still there to reap it, exits with the signal (killing unshare first would leave
   * the container's PID 1 to the host's init).
   */
  kill(): void {
    if (this.done) return;
    if (!this.spec.sandbox) return this.signalGroup('SIGKILL');
    try {
      process.kill(this.mainPid() ?? this.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  /** Starts `command` inside the running container (its namespaces, root, environment and working directory). */
  spawnInside(command: string[], stdio: StdioOptions): ChildProcess {
    const env = Object.fromEntries(this.spec.env);
    if (this.spec.sandbox) {
      const main = this.mainPid();
      if (!main) throw new StartError('container is not running');
      const [bin, ...args] = enterArgv(main, this.spec.workingDir, command);
      return spawn(hostTool(bin!), args, { env, stdio, detached: true });
    }
    const [bin, ...args] = command;
    return spawn(bin!, args, { env, stdio, detached: true, cwd: runCwd(this.spec) });
  }

  /** Runs a command inside the container to its end (probes): exit code and output, or undefined on timeout. */
  exec(command: string[], timeoutMs: number): Promise<{ code: number; output: string } | undefined> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawnInside(command, ['ignore', 'pipe', 'pipe']);
      } catch (err) {
        return resolve({ code: 126, output: (err as Error).message });
      }
      let output = '';
      const add = (c: Buffer) => {
        if (output.length < 10_240) output += c.toString();
      };
      child.stdout?.on('data', add);
      child.stderr?.on('data', add);
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        resolve(undefined);
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ code: 126, output: err.message });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? 128 + signalNumber(signal), output });
      });
    });
  }
}

/** The working directory of an unsandboxed container: its host path when there is one, else the run's directory. */
function runCwd(spec: LaunchSpec): string {
  const p = hostPathOf(spec.mounts, spec.workingDir || '/');
  return existsSync(p) ? p : spec.runDir;
}

/** Starts a container run. Throws StartError when it cannot start. */
export function launchContainer(spec: LaunchSpec): ContainerRun {
  checkExecutable(spec.argv, spec.env, spec.mounts);
  const env = Object.fromEntries(spec.env);
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
  let child: ChildProcess;
  if (spec.sandbox) {
    let script: string;
    try {
      script = sandboxScript({
        root: join(spec.runDir, 'root'),
        scratch: join(spec.runDir, 'scratch'),
        startedMarker: join(spec.runDir, 'started'),
        hostname: spec.hostname,
        workingDir: spec.workingDir,
        mounts: spec.mounts,
        ...hostFs(),
      });
    } catch (err) {
      throw new StartError(`failed to create the container's mounts: ${(err as Error).message}`);
    }
    for (const d of ['root', 'scratch']) mkdirSync(join(spec.runDir, d), { recursive: true });
    const [bin, ...args] = sandboxArgv(script, spec.argv);
    child = spawn(hostTool(bin!), args, { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  } else {
    // Programs under a volume run from where the volume really is.
    const [cmd, ...args] = spec.argv;
    const bin = cmd!.includes('/') ? hostPathOf(spec.mounts, cmd!) : cmd!;
    child = spawn(bin, args, { env, stdio, detached: true, cwd: runCwd(spec) });
  }
  if (!child.pid) {
    child.on('error', () => undefined);
    throw new StartError(`failed to start container process: ${spec.argv[0]}`);
  }
  return new ContainerRun(spec, child);
}

/**
 * Stops every container run recorded under `podsDir` that is still alive (an agent that was
 * killed left them running): SIGKILL, after checking the PID's start time still matches.
 */
export function killLeftovers(podsDir: string): number {
  const ls = (dir: string) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  let killed = 0;
  // pods/<uid>/containers/<name>/<run>/pid
  for (const uid of ls(podsDir)) {
    for (const name of ls(join(podsDir, uid, 'containers'))) {
      for (const run of ls(join(podsDir, uid, 'containers', name))) {
        let text: string;
        try {
          text = readFileSync(join(podsDir, uid, 'containers', name, run, 'pid'), 'utf8');
        } catch {
          continue;
        }
        const [pidText, startTime, mode] = text.trim().split(' ');
        const pid = Number(pidText);
        if (!pid || !startTime || processStartTime(pid) !== startTime) continue;
        try {
          process.kill(mode === 'group' ? -pid : pid, 'SIGKILL');
          killed++;
        } catch (err) {
          log.debug({ pid, err }, 'stopping a leftover container failed');
        }
      }
    }
  }
  return killed;
}
