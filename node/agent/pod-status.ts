// The parts of a pod status every node runtime reports the same way: images as a container
// runtime names them, Go-style durations in messages, and the kubelet's pod conditions
// (PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled), recomputed on
// each report with transition times kept while a status holds and other conditions left alone.
import { createHash } from 'node:crypto';
import { rfc3339 } from '../../controllers/runtime/types.ts';

type J = Record<string, any>;

/** `nginx` → `docker.io/library/nginx:latest`, as a container runtime reports images. */
export function normalizeImage(image: string): string {
  if (!image) return image;
  let [name, digest] = image.split('@') as [string, string | undefined];
  const first = name.split('/')[0]!;
  const hasDomain = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) name = `docker.io/${name.includes('/') ? '' : 'library/'}${name}`;
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!digest && !last.includes(':')) name += ':latest';
  return digest ? `${name}@${digest}` : name;
}

/** A stable `repo@sha256:…` for an image that was never pulled. */
export function imageID(image: string): string {
  const n = normalizeImage(image);
  if (n.includes('@')) return n;
  const repo = n.slice(0, n.lastIndexOf(':') > n.lastIndexOf('/') ? n.lastIndexOf(':') : n.length);
  return `${repo}@sha256:${createHash('sha256').update(n).digest('hex')}`;
}

/** Go's time.Duration.String() for whole seconds (10s, 5m0s), as back-off messages print it. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest ? `${m}m${rest}s` : `${m}m0s`;
}

export const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

export interface ConditionInputs {
  phase: string;
  /** The pod's containers are done for good (Succeeded or Failed). */
  terminal: boolean;
  /** The sandbox (network, IP) is up. */
  sandboxReady: boolean;
  /** Init containers not yet completed (sidecars: not yet started). */
  initIncomplete: string[];
  /** Containers (and sidecars) that are not ready. */
  unready: string[];
}

/** The pod's conditions: others from `prev` first, then the kubelet's in upstream order. */
export function podConditions(prev: J, spec: J, inputs: ConditionInputs, now: number): J[] {
  const t = rfc3339(new Date(now));
  const prevConds: J[] = Array.isArray(prev.conditions) ? prev.conditions : [];
  const cond = (type: string, status: string, reason?: string, message?: string): J => {
    const old = prevConds.find((c) => c.type === type);
    const c: J = { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : t };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  };
  const inits: J[] = spec.initContainers ?? [];
  const readyToStart = cond('PodReadyToStartContainers', inputs.sandboxReady ? 'True' : 'False');
  const initialized = inputs.terminal
    ? cond('Initialized', 'True', inits.length ? 'PodCompleted' : undefined)
    : inputs.initIncomplete.length
      ? cond('Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: [${inputs.initIncomplete.join(' ')}]`)
      : cond('Initialized', 'True');
  let containersReady: J;
  if (inputs.terminal && inputs.phase === 'Succeeded') containersReady = cond('ContainersReady', 'False', 'PodCompleted');
  else if (inputs.unready.length) containersReady = cond('ContainersReady', 'False', 'ContainersNotReady', `containers with unready status: [${inputs.unready.join(' ')}]`);
  else containersReady = cond('ContainersReady', 'True');
  let ready: J;
  if (containersReady.status !== 'True') ready = cond('Ready', containersReady.status, containersReady.reason, containersReady.message);
  else {
    const msgs: string[] = [];
    for (const g of spec.readinessGates ?? []) {
      const c = prevConds.find((x) => x.type === g.conditionType);
      if (!c) msgs.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
      else if (c.status !== 'True') msgs.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
    }
    ready = msgs.length ? cond('Ready', 'False', 'ReadinessGatesNotReady', msgs.join(', ')) : cond('Ready', 'True');
  }
  const scheduled = cond('PodScheduled', 'True');
  const others = prevConds.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  return [...others, readyToStart, initialized, ready, containersReady, scheduled];
}
