// The cells `kubectl get pods` shows, as upstream's printPod computes them.
import type { KubeObject } from '../../registry/descriptor.ts';
import { translateTimestampSince } from '../../printers/age.ts';
import { isObj, objs, str, type J } from './json.ts';

export interface PodRow {
  ready: string;
  status: string;
  restarts: string;
}

function isRestartableInit(c: J | undefined): boolean {
  return !!c && c.restartPolicy === 'Always';
}

function later(a: string, b: unknown): string {
  if (typeof b !== 'string' || !b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function hasCondition(status: J, type: string): boolean {
  return objs(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** READY, STATUS and RESTARTS of a pod. */
export function podRow(pod: KubeObject, now: Date): PodRow {
  const spec: J = isObj(pod.spec) ? pod.spec : {};
  const status: J = isObj(pod.status) ? pod.status : {};
  const phase = str(status.phase);
  let reason = status.reason ? str(status.reason) : phase;
  for (const c of objs(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map(objs(spec.initContainers).map((c) => [str(c.name), c]));
  let total = objs(spec.containers).length + objs(spec.initContainers).filter(isRestartableInit).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = '';
  let lastSidecarRestart = '';
  let initializing = false;
  const initStatuses = objs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const state: J = isObj(cs.state) ? cs.state : {};
    const lastTerminated = isObj(cs.lastState) && isObj(cs.lastState.terminated) ? cs.lastState.terminated : undefined;
    const count = typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    restarts += count;
    if (lastTerminated) lastRestart = later(lastRestart, lastTerminated.finishedAt);
    const sidecar = isRestartableInit(initSpecs.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += count;
      if (lastTerminated) lastSidecarRestart = later(lastSidecarRestart, lastTerminated.finishedAt);
    }
    const terminated = isObj(state.terminated) ? state.terminated : undefined;
    const waiting = isObj(state.waiting) ? state.waiting : undefined;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      else reason = `Init:${terminated.reason}`;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${objs(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing || hasCondition(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      const state: J = isObj(cs.state) ? cs.state : {};
      restarts += typeof cs.restartCount === 'number' ? cs.restartCount : 0;
      if (isObj(cs.lastState) && isObj(cs.lastState.terminated)) lastRestart = later(lastRestart, cs.lastState.terminated.finishedAt);
      const waiting = isObj(state.waiting) ? state.waiting : undefined;
      const terminated = isObj(state.terminated) ? state.terminated : undefined;
      if (waiting && waiting.reason) reason = str(waiting.reason);
      else if (terminated && terminated.reason) reason = str(terminated.reason);
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (cs.ready === true && isObj(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status, 'Ready') ? 'Running' : 'NotReady';
  }
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';
  total = Math.max(total, 0);
  const restartsText = restarts !== 0 && lastRestart ? `${restarts} (${translateTimestampSince(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

/** The wide READINESS GATES cell: true gates out of all, `<none>` without gates. */
export function readinessGatesCell(pod: KubeObject): string {
  const spec: J = isObj(pod.spec) ? pod.spec : {};
  const gates = objs(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = objs(isObj(pod.status) ? pod.status.conditions : undefined);
  let trueCount = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (c && c.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}
