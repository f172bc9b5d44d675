// What a hollow node pretends its pods do, pure: a pod bound to the node starts after a
// delay (containers "running", an IP from the node's range), and with the annotations
// `k8ts.io/hollow-exit-after: 5s` and `k8ts.io/hollow-exit-code: 0` its containers exit
// after that long: restartPolicy Never ends the pod (Succeeded on 0, Failed otherwise),
// OnFailure ends it on 0 and restarts it otherwise, Always restarts it: the first restart at
// once, the next ones after a CrashLoopBackOff doubling from 10 s to 5 min. activeDeadlineSeconds fails the pod. The
// status is rendered as a kubelet reports it: phase, conditions (readiness gates honoured),
// container statuses with image, imageID and `hollow://` container IDs.
import { createHash } from 'node:crypto';
import { rfc3339 } from '../../controllers/runtime/types.ts';
import { parseDurationOrSeconds } from '../../lib/duration.ts';
import { goDuration, imageID, normalizeImage, podConditions } from '../agent/pod-status.ts';

export { imageID, normalizeImage } from '../agent/pod-status.ts';

export const EXIT_AFTER_ANNOTATION = 'k8ts.io/hollow-exit-after';
export const EXIT_CODE_ANNOTATION = 'k8ts.io/hollow-exit-code';

type J = Record<string, any>;

export interface HollowTiming {
  /** From the pod seen bound to its containers running (default 1 s). */
  startDelayMs: number;
  /** First CrashLoopBackOff (default 10 s), doubling up to maxRestartBackoffMs (default 5 min). */
  restartBackoffMs: number;
  maxRestartBackoffMs: number;
  /** From a pod's deletion to confirming it (default 0). */
  terminateDelayMs: number;
}

export const DEFAULT_TIMING: HollowTiming = { startDelayMs: 1000, restartBackoffMs: 10_000, maxRestartBackoffMs: 300_000, terminateDelayMs: 0 };

export interface Termination {
  exitCode: number;
  reason: string;
  startedAt: number;
  finishedAt: number;
  /** Container run number (container IDs derive from it). */
  run: number;
}

export interface PodRuntime {
  uid: string;
  /** When the node admitted the pod (status.startTime). */
  admittedAt: number;
  state: 'pending' | 'running' | 'backoff' | 'terminal';
  /** The current run (state running), or the last one. */
  run: number;
  runStartedAt?: number;
  firstStartedAt?: number;
  restarts: number;
  backoffUntil?: number;
  lastTermination?: Termination;
  terminal?: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string; termination?: Termination };
  ip?: string;
  deletingSince?: number;
  /** Adopted finished pod: its status stays as it is. */
  frozen?: boolean;
}

export function newRuntime(uid: string, now: number): PodRuntime {
  return { uid, admittedAt: now, state: 'pending', run: 0, restarts: 0 };
}

function time(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Picks up a pod this node reported on before (the agent restarted). */
export function adoptRuntime(pod: J, now: number): PodRuntime {
  const uid = String(pod.metadata?.uid ?? '');
  const st: J = pod.status ?? {};
  const rt = newRuntime(uid, time(st.startTime) ?? now);
  if (st.phase === 'Succeeded' || st.phase === 'Failed') {
    rt.state = 'terminal';
    rt.terminal = { phase: st.phase };
    rt.frozen = true;
    return rt;
  }
  const cs: J[] = Array.isArray(st.containerStatuses) ? st.containerStatuses : [];
  if (st.phase !== 'Running' || cs.length === 0) return rt;
  rt.restarts = Math.max(0, ...cs.map((c) => Number(c.restartCount) || 0));
  rt.run = rt.restarts + 1;
  if (typeof st.podIP === 'string' && st.podIP) rt.ip = st.podIP;
  const running = cs.find((c) => c.state?.running);
  rt.firstStartedAt = rt.admittedAt;
  if (running) {
    rt.state = 'running';
    rt.runStartedAt = time(running.state.running.startedAt) ?? now;
  } else {
    rt.state = 'backoff';
    rt.backoffUntil = now;
  }
  return rt;
}

function restartPolicy(pod: J): string {
  return pod.spec?.restartPolicy ?? 'Always';
}

function exitPlan(pod: J): { afterMs?: number; code: number } {
  const a: J = pod.metadata?.annotations ?? {};
  const afterMs = parseDurationOrSeconds(a[EXIT_AFTER_ANNOTATION]);
  const code = Number.parseInt(a[EXIT_CODE_ANNOTATION] ?? '0', 10);
  return { afterMs, code: Number.isFinite(code) ? code : 0 };
}

/** The wait before restart number `restarts + 1`: none for the first, then 10 s doubling (the kubelet's back-off). */
export function restartBackoff(timing: HollowTiming, restarts: number): number {
  if (restarts === 0) return 0;
  return Math.min(timing.maxRestartBackoffMs, timing.restartBackoffMs * 2 ** (restarts - 1));
}

export interface Advance {
  /** When something happens next (a timer to set). */
  nextAt?: number;
  /** The pod is being deleted and its containers are gone: confirm the deletion. */
  delete?: boolean;
}

/**
 * Moves the runtime forward to `now` through every transition due (start, exit, restart,
 * deadline), each at the time it was due. `allocateIP` gives the pod its address at first start.
 */
export function advance(pod: J, rt: PodRuntime, timing: HollowTiming, now: number, allocateIP: () => string | undefined): Advance {
  if (pod.metadata?.deletionTimestamp) {
    rt.deletingSince ??= now;
    const at = rt.deletingSince + timing.terminateDelayMs;
    return now >= at ? { delete: true } : { nextAt: at };
  }
  if (rt.state === 'terminal') return {};
  // A pod someone else ended (a controller, the node lifecycle, a test as a kubelet would)
  // stays ended: a kubelet never moves a pod out of Succeeded or Failed.
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    Object.assign(rt, adoptRuntime(pod, now));
    return {};
  }
  const ads = pod.spec?.activeDeadlineSeconds;
  const deadline = typeof ads === 'number' && ads > 0 ? rt.admittedAt + ads * 1000 : Infinity;
  const plan = exitPlan(pod);
  const start = (t: number) => {
    rt.state = 'running';
    rt.run++;
    rt.runStartedAt = t;
    rt.firstStartedAt ??= t;
    if (rt.ip === undefined && !pod.spec?.hostNetwork) rt.ip = allocateIP();
  };
  for (let guard = 0; guard < 10_000; guard++) {
    let due: number;
    if (rt.state === 'pending') due = rt.admittedAt + timing.startDelayMs;
    else if (rt.state === 'backoff') due = rt.backoffUntil ?? now;
    else if (rt.state === 'running' && plan.afterMs !== undefined) due = (rt.runStartedAt ?? now) + plan.afterMs;
    else due = Infinity;
    if (deadline <= due && deadline <= now) {
      const termination: Termination | undefined =
        rt.state === 'running' ? { exitCode: 137, reason: 'Error', startedAt: rt.runStartedAt!, finishedAt: deadline, run: rt.run } : undefined;
      rt.state = 'terminal';
      rt.terminal = { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', termination };
      return {};
    }
    if (due > now) {
      const next = Math.min(due, deadline);
      return next === Infinity ? {} : { nextAt: next };
    }
    if (rt.state === 'pending') start(due);
    else if (rt.state === 'backoff') {
      rt.restarts++;
      rt.backoffUntil = undefined;
      start(due);
    } else {
      // The containers exit.
      const code = plan.code;
      const t: Termination = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: rt.runStartedAt!, finishedAt: due, run: rt.run };
      rt.lastTermination = t;
      rt.runStartedAt = undefined;
      const policy = restartPolicy(pod);
      if (policy === 'Always' || (policy === 'OnFailure' && code !== 0)) {
        rt.state = 'backoff';
        rt.backoffUntil = due + restartBackoff(timing, rt.restarts);
      } else {
        rt.state = 'terminal';
        rt.terminal = { phase: code === 0 ? 'Succeeded' : 'Failed', termination: t };
      }
    }
  }
  return {};
}

// --- rendering ------------------------------------------------------------------------------

export function containerID(uid: string, container: string, run: number): string {
  return `hollow://${createHash('sha256').update(`${uid}/${container}/${run}`).digest('hex')}`;
}

function terminated(uid: string, name: string, t: Termination): J {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: rfc3339(new Date(t.startedAt)),
      finishedAt: rfc3339(new Date(t.finishedAt)),
      containerID: containerID(uid, name, t.run),
    },
  };
}

function containerStatus(pod: J, rt: PodRuntime, c: J, backoffMs: number): J {
  const uid = rt.uid;
  const name = String(c.name);
  const image = String(c.image ?? '');
  const out: J = { name, state: {}, lastState: {}, ready: false, restartCount: rt.restarts, image: normalizeImage(image), imageID: '', started: false };
  const started = rt.firstStartedAt !== undefined;
  if (started || rt.state === 'terminal') out.imageID = imageID(image);
  if (rt.lastTermination && !(rt.state === 'terminal' && rt.terminal?.termination === rt.lastTermination)) out.lastState = terminated(uid, name, rt.lastTermination);
  switch (rt.state) {
    case 'pending': {
      const init = (pod.spec?.initContainers ?? []).some((i: J) => i.restartPolicy !== 'Always');
      out.state = { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } };
      break;
    }
    case 'running':
      out.state = { running: { startedAt: rfc3339(new Date(rt.runStartedAt!)) } };
      out.ready = true;
      out.started = true;
      out.containerID = containerID(uid, name, rt.run);
      break;
    case 'backoff':
      out.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(backoffMs)} restarting failed container=${name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`,
        },
      };
      if (rt.lastTermination) out.containerID = containerID(uid, name, rt.lastTermination.run);
      break;
    case 'terminal': {
      const t = rt.terminal?.termination;
      if (t) {
        out.state = terminated(uid, name, t);
        out.containerID = containerID(uid, name, t.run);
      } else if (rt.firstStartedAt !== undefined) {
        out.state = terminated(uid, name, { exitCode: 137, reason: 'Error', startedAt: rt.firstStartedAt, finishedAt: rt.firstStartedAt, run: rt.run });
      } else out.state = { waiting: { reason: 'ContainerCreating' } };
      break;
    }
  }
  return out;
}

function initContainerStatus(rt: PodRuntime, c: J): J {
  const name = String(c.name);
  const image = String(c.image ?? '');
  const sidecar = c.restartPolicy === 'Always';
  const out: J = { name, state: {}, lastState: {}, ready: false, restartCount: 0, image: normalizeImage(image), imageID: '', started: false };
  if (rt.firstStartedAt === undefined) {
    out.state = { waiting: { reason: 'PodInitializing' } };
    return out;
  }
  out.imageID = imageID(image);
  const at = rfc3339(new Date(rt.firstStartedAt));
  if (sidecar && rt.state !== 'terminal') {
    out.state = { running: { startedAt: at } };
    out.ready = true;
    out.started = true;
    out.containerID = containerID(rt.uid, name, 1);
  } else {
    out.state = { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: containerID(rt.uid, name, 1) } };
    out.containerID = containerID(rt.uid, name, 1);
    out.ready = !sidecar;
  }
  return out;
}

/**
 * The status a kubelet would report for the pod now: phase, conditions (kubelet's own
 * recomputed, others kept), addresses, start time and container statuses.
 */
export function renderStatus(pod: J, rt: PodRuntime, hostIP: string, now: number): J {
  const prev: J = pod.status ?? {};
  const spec: J = pod.spec ?? {};
  const containers: J[] = [...(spec.containers ?? [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const inits: J[] = spec.initContainers ?? [];
  const backoffMs = rt.backoffUntil !== undefined && rt.lastTermination ? rt.backoffUntil - rt.lastTermination.finishedAt : 0;
  const statuses = containers.map((c) => containerStatus(pod, rt, c, backoffMs));
  const terminal = rt.state === 'terminal';
  const phase = terminal ? rt.terminal!.phase : rt.firstStartedAt !== undefined ? 'Running' : 'Pending';

  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const initIncomplete = rt.firstStartedAt === undefined ? inits.map((c) => String(c.name)) : [];
  const sandboxReady = !terminal && rt.firstStartedAt !== undefined;

  const status: J = { ...prev };
  for (const k of ['reason', 'message']) delete status[k];
  status.phase = phase;
  status.conditions = podConditions(prev, spec, { phase, terminal, sandboxReady, initIncomplete, unready }, now);
  status.hostIP = hostIP;
  status.hostIPs = [{ ip: hostIP }];
  const podIP = spec.hostNetwork ? hostIP : rt.ip;
  if (podIP && rt.firstStartedAt !== undefined) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  } else {
    delete status.podIP;
    delete status.podIPs;
  }
  status.startTime = rfc3339(new Date(rt.admittedAt));
  if (inits.length) status.initContainerStatuses = inits.map((c) => initContainerStatus(rt, c));
  status.containerStatuses = statuses;
  if (terminal && rt.terminal?.reason) {
    status.reason = rt.terminal.reason;
    if (rt.terminal.message) status.message = rt.terminal.message;
  }
  return status;
}
