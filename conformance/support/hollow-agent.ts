// Starts `k8ts agent --hollow` as a child process against a cluster's kubeconfig: simulated
// nodes in a process of their own, as kubemark runs its hollow nodes beside the control
// plane. stop() ends it by PID (SIGTERM, then SIGKILL); one left running when this Node
// process exits is SIGKILLed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/k8ts.js', import.meta.url));

export interface HollowAgentProcess {
  pid: number;
  /** What the agent printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (SIGKILL after `timeoutMs`); resolves once it exited. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface HollowAgentOptions {
  kubeconfig: string;
  /** Nodes `<name>-0` … `<name>-<nodes-1>`. */
  nodes: number;
  name?: string;
  /** Extra `k8ts agent` flags, e.g. `['--hollow-start-delay', '0']`. */
  args?: string[];
  /** Node flags, e.g. `['--cpu-prof']`. */
  nodeArgs?: string[];
}

export function startHollowAgent(o: HollowAgentOptions): HollowAgentProcess {
  const args = [...(o.nodeArgs ?? []), BIN, 'agent', '--hollow', '--kubeconfig', o.kubeconfig, '--nodes', String(o.nodes), '--name', o.name ?? 'hollow', ...(o.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  };
  process.once('exit', kill);
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    output: () => out,
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        if (child.pid && child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGTERM');
          const timer = setTimeout(kill, timeoutMs);
          await exited;
          clearTimeout(timer);
        }
        process.removeListener('exit', kill);
      })();
      return stopping;
    },
  };
}
