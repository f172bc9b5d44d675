// What the process runtime knows about one pod's containers, and what to do next (the
// kubelet's computePodActions), pure: init containers one after another (sidecars, i.e.
// restartable init containers, only need to have started), then the containers; restarts as
// restartPolicy says (sidecars always), each after the crash-loop back-off; the pod done once
// no container will run again (Succeeded if all exited 0); activeDeadlineSeconds fails it;
// deletion or a finished pod stops whatever still runs. The worker (pod-worker.ts) carries the
// plan out and records what happened.
import { goDuration } from '../agent/pod-status.ts';
import type { CrashLoopBackoff } from './backoff.ts';

type J = Record<string, any>;

export interface Termination {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number; containerID: string }
  | { kind: 'terminated'; t: Termination };

export type Role = 'init' | 'sidecar' | 'main';

export interface ContainerRecord {
  name: string;
  role: Role;
  state: ContainerState;
  /** The run before the current state (lastState). */
  last?: Termination;
  /** How many times it was started (restartCount is one less). */
  runs: number;
  /** Running, and its startup probe (if any) succeeded. */
  started: boolean;
  /** Running, started, and its readiness probe (if any) succeeded. */
  ready: boolean;
  /** An init container that exited 0. */
  succeeded: boolean;
  /** A start or stop in progress (set by the worker). */
  busy?: 'starting' | 'stopping';
}

export interface PodState {
  uid: string;
  /** When the node took the pod on (status.startTime). */
  admittedAt: number;
  containers: Map<string, ContainerRecord>;
  /** Every init container completed (or, for sidecars, started) once. */
  initialized: boolean;
  /** The pod's containers will not run again. */
  terminal?: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string };
  /** The pod's network is set up. */
  sandboxReady: boolean;
  ip?: string;
}

export function roleOf(c: J, init: boolean): Role {
  return !init ? 'main' : c.restartPolicy === 'Always' ? 'sidecar' : 'init';
}

export function newPodState(pod: J, now: number): PodState {
  const containers = new Map<string, ContainerRecord>();
  const inits: J[] = pod.spec?.initContainers ?? [];
  const waitingFor = inits.some((c) => c.restartPolicy !== 'Always') ? 'PodInitializing' : 'ContainerCreating';
  const rec = (c: J, role: Role, reason: string): ContainerRecord => ({ name: String(c.name), role, state: { kind: 'waiting', reason }, runs: 0, started: false, ready: false, succeeded: false });
  for (const c of inits) containers.set(String(c.name), rec(c, roleOf(c, true), 'PodInitializing'));
  for (const c of pod.spec?.containers ?? []) containers.set(String(c.name), rec(c, 'main', waitingFor));
  return { uid: String(pod.metadata?.uid ?? ''), admittedAt: now, containers, initialized: inits.length === 0, sandboxReady: false };
}

export interface Plan {
  /** Containers to start now, in order. */
  start: string[];
  /** Running containers to stop. */
  stop: string[];
  /** Containers that just entered CrashLoopBackOff (for the BackOff event). */
  backingOff: string[];
  /** When to plan again at the latest. */
  wakeAt?: number;
}

/** The back-off key of a container. */
export function backoffKey(st: PodState, name: string): string {
  return `${st.uid}/${name}`;
}

/** The termination a restart would follow, if the container ran before. */
function lastFinish(rec: ContainerRecord): Termination | undefined {
  if (rec.state.kind === 'terminated') return rec.state.t;
  if (rec.state.kind === 'waiting' && rec.runs > 0) return rec.last;
  return undefined;
}

/** The worker is about to start `rec`: the back-off of the next crash doubles. */
export function noteRestart(st: PodState, rec: ContainerRecord, backoff: CrashLoopBackoff): void {
  const t = lastFinish(rec);
  if (t) backoff.restarted(backoffKey(st, rec.name), t.finishedAt);
}

export function planPod(pod: J, st: PodState, now: number, backoff: CrashLoopBackoff): Plan {
  const plan: Plan = { start: [], stop: [], backingOff: [] };
  const wake = (at: number) => {
    if (plan.wakeAt === undefined || at < plan.wakeAt) plan.wakeAt = at;
  };
  const recs = [...st.containers.values()];
  const stopAll = (which: (r: ContainerRecord) => boolean = () => true) => {
    for (const r of recs) if (which(r) && r.state.kind === 'running' && r.busy !== 'stopping') plan.stop.push(r.name);
  };
  if (pod.metadata?.deletionTimestamp || st.terminal) {
    stopAll();
    return plan;
  }
  const ads = pod.spec?.activeDeadlineSeconds;
  if (typeof ads === 'number' && ads > 0) {
    const deadline = st.admittedAt + ads * 1000;
    if (now >= deadline) {
      st.terminal = { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
      stopAll();
      return plan;
    }
    wake(deadline);
  }
  const policy: string = pod.spec?.restartPolicy ?? 'Always';
  const meta = pod.metadata ?? {};

  /** Starts the container now, or puts it in CrashLoopBackOff until its back-off is over. */
  const tryStart = (rec: ContainerRecord) => {
    const t = lastFinish(rec);
    if (t) {
      const key = backoffKey(st, rec.name);
      const at = backoff.restartAt(key, t.finishedAt);
      if (at > now) {
        if (rec.state.kind === 'terminated') {
          rec.last = rec.state.t;
          plan.backingOff.push(rec.name);
        }
        rec.state = {
          kind: 'waiting',
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(backoff.delayMs(key))} restarting failed container=${rec.name} pod=${meta.name}_${meta.namespace}(${st.uid})`,
        };
        wake(at);
        return;
      }
    }
    plan.start.push(rec.name);
  };
  const idle = (rec: ContainerRecord) => !rec.busy && rec.state.kind !== 'running';

  if (!st.initialized) {
    for (const c of (pod.spec?.initContainers ?? []) as J[]) {
      const rec = st.containers.get(String(c.name))!;
      if (rec.busy) return plan;
      if (rec.role === 'sidecar') {
        if (rec.state.kind === 'running') {
          if (rec.started) continue;
          return plan;
        }
        tryStart(rec);
        return plan;
      }
      if (rec.succeeded) continue;
      if (rec.state.kind === 'running') return plan;
      const t = lastFinish(rec);
      if (t && t.exitCode !== 0 && policy === 'Never') {
        st.terminal = { phase: 'Failed' };
        stopAll();
        return plan;
      }
      tryStart(rec);
      return plan;
    }
    st.initialized = true;
  }

  for (const rec of recs) {
    if (rec.role === 'sidecar' && idle(rec)) tryStart(rec);
  }
  const mains = recs.filter((r) => r.role === 'main');
  for (const rec of mains) {
    if (!idle(rec)) continue;
    const t = lastFinish(rec);
    if (!t) {
      if (rec.state.kind === 'waiting') plan.start.push(rec.name);
      continue;
    }
    if (policy === 'Always' || (policy === 'OnFailure' && t.exitCode !== 0)) tryStart(rec);
  }
  if (policy !== 'Always' && mains.every((r) => !r.busy && r.state.kind === 'terminated') && !plan.start.some((n) => st.containers.get(n)?.role === 'main')) {
    const failed = mains.some((r) => r.state.kind === 'terminated' && r.state.t.exitCode !== 0);
    if (policy === 'Never' || !failed) {
      st.terminal = { phase: failed ? 'Failed' : 'Succeeded' };
      plan.start = [];
      stopAll((r) => r.role === 'sidecar');
    }
  }
  return plan;
}

/** The container's process started: it runs, started unless it has a startup probe, ready unless it has a readiness probe. */
export function markRunning(rec: ContainerRecord, c: J, now: number, containerID: string): void {
  if (rec.state.kind === 'terminated') rec.last = rec.state.t;
  rec.state = { kind: 'running', startedAt: now, containerID };
  rec.runs++;
  rec.started = !c.startupProbe;
  rec.ready = rec.started && !c.readinessProbe && rec.role !== 'init';
  rec.busy = undefined;
}

/** The container's run ended (or never got going: a StartError still counts as a run). */
export function markExited(rec: ContainerRecord, t: Termination, countRun = false): void {
  if (countRun) {
    if (rec.state.kind === 'terminated') rec.last = rec.state.t;
    rec.runs++;
  }
  rec.state = { kind: 'terminated', t };
  rec.started = false;
  rec.ready = false;
  if (rec.role === 'init' && t.exitCode === 0) rec.succeeded = true;
  rec.busy = undefined;
}

/** The container could not be created (its config refers to something missing): it waits. */
export function markWaiting(rec: ContainerRecord, reason: string, message?: string): void {
  if (rec.state.kind === 'terminated') rec.last = rec.state.t;
  rec.state = { kind: 'waiting', reason, ...(message ? { message } : {}) };
  rec.busy = undefined;
}
