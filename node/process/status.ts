// The pod status the process runtime reports, pure: container statuses from the records
// (state, lastState, ready, started, restartCount, image, imageID, containerID), the phase
// as the kubelet's getPhase derives it from them, the kubelet's conditions, addresses and
// start time.
import { createHash } from 'node:crypto';
import { rfc3339 } from '../../controllers/runtime/types.ts';
import { imageID, normalizeImage, podConditions } from '../agent/pod-status.ts';
import type { ContainerRecord, PodState, Termination } from './pod-state.ts';

type J = Record<string, any>;

/** A container run's ID, as runtimes report them (`<runtime>://<64 hex>`). */
export function containerID(uid: string, container: string, run: number): string {
  return `k8ts://${createHash('sha256').update(`${uid}/${container}/${run}`).digest('hex')}`;
}

function terminatedState(t: Termination): J {
  const out: J = { exitCode: t.exitCode };
  if (t.signal) out.signal = t.signal;
  out.reason = t.reason;
  if (t.message) out.message = t.message;
  out.startedAt = rfc3339(new Date(t.startedAt));
  out.finishedAt = rfc3339(new Date(t.finishedAt));
  out.containerID = t.containerID;
  return { terminated: out };
}

export function containerStatus(c: J, rec: ContainerRecord): J {
  const image = String(c.image ?? '');
  const s = rec.state;
  const out: J = {
    name: rec.name,
    state: {},
    lastState: rec.last ? terminatedState(rec.last) : {},
    ready: s.kind === 'running' && rec.ready,
    restartCount: Math.max(0, rec.runs - 1),
    image: normalizeImage(image),
    imageID: rec.runs > 0 ? imageID(image) : '',
    started: s.kind === 'running' && rec.started,
  };
  if (s.kind === 'running') {
    out.state = { running: { startedAt: rfc3339(new Date(s.startedAt)) } };
    out.containerID = s.containerID;
  } else if (s.kind === 'terminated') {
    out.state = terminatedState(s.t);
    out.containerID = s.t.containerID;
  } else {
    out.state = { waiting: s.message ? { reason: s.reason, message: s.message } : { reason: s.reason } };
    if (rec.last) out.containerID = rec.last.containerID;
  }
  return out;
}

/** The kubelet's getPhase (without the ContainerRestartRules feature). */
export function podPhase(spec: J, inits: J[], mains: J[], podIsTerminal: boolean, podHasInitialized: boolean): string {
  const byName = new Map<string, J>([...inits, ...mains].map((s) => [s.name, s]));
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of (spec.initContainers ?? []) as J[]) {
    if (c.restartPolicy === 'Always') continue;
    const s = byName.get(c.name);
    if (!s || s.state.running) pendingRegularInit++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting && s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingRegularInit++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of (spec.initContainers ?? []) as J[]) {
    if (c.restartPolicy !== 'Always') continue;
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state.running) {
      if (!s.started) pendingSidecars++;
      running++;
    } else if (s.state.waiting && !s.lastState?.terminated) {
      pendingSidecars++;
      waiting++;
    } else if (!s.state.terminated && !s.state.waiting) {
      pendingSidecars++;
      unknown++;
    }
  }
  for (const c of (spec.containers ?? []) as J[]) {
    const s = byName.get(c.name);
    if (!s) unknown++;
    else if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** The status to report for the pod now. `hostIP`: the node's. */
export function renderPodStatus(pod: J, st: PodState, hostIP: string, now: number): J {
  const prev: J = pod.status ?? {};
  const spec: J = pod.spec ?? {};
  const initSpecs: J[] = spec.initContainers ?? [];
  const mainSpecs: J[] = [...(spec.containers ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const status = (c: J) => containerStatus(c, st.containers.get(String(c.name))!);
  const inits = initSpecs.map(status);
  const mains = mainSpecs.map(status);
  const stillRunning = [...st.containers.values()].some((r) => r.state.kind === 'running' || r.busy);
  const podIsTerminal = !!st.terminal || (!!pod.metadata?.deletionTimestamp && !stillRunning);
  let phase = st.terminal && !stillRunning ? st.terminal.phase : podPhase(spec, inits, mains, podIsTerminal, st.initialized);
  // A finished pod stays finished.
  if (prev.phase === 'Succeeded' || prev.phase === 'Failed') phase = prev.phase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const initIncomplete = initSpecs
    .filter((c) => {
      const r = st.containers.get(String(c.name))!;
      return r.role === 'sidecar' ? !(st.initialized || r.started) : !r.succeeded;
    })
    .map((c) => String(c.name));
  const sidecarStatuses = inits.filter((_s, i) => initSpecs[i]!.restartPolicy === 'Always');
  const unready = [...sidecarStatuses, ...(spec.containers ?? []).map((c: J) => mains.find((m) => m.name === c.name)!)].filter((s) => !s.ready).map((s) => s.name);

  const out: J = { ...prev };
  for (const k of ['reason', 'message']) delete out[k];
  out.phase = phase;
  out.conditions = podConditions(prev, spec, { phase, terminal, sandboxReady: st.sandboxReady && !terminal, initIncomplete: st.initialized ? [] : initIncomplete, unready }, now);
  out.hostIP = hostIP;
  out.hostIPs = [{ ip: hostIP }];
  const podIP = spec.hostNetwork ? hostIP : st.ip;
  if (podIP && st.sandboxReady) {
    out.podIP = podIP;
    out.podIPs = [{ ip: podIP }];
  } else if (!terminal) {
    delete out.podIP;
    delete out.podIPs;
  }
  out.startTime = rfc3339(new Date(st.admittedAt));
  if (inits.length) out.initContainerStatuses = inits;
  else delete out.initContainerStatuses;
  out.containerStatuses = mains;
  if (st.terminal?.reason) {
    out.reason = st.terminal.reason;
    if (st.terminal.message) out.message = st.terminal.message;
  }
  return out;
}
