// Which container of which pod a log/exec/attach request means, and whether it can serve it,
// with upstream's messages: the API server's container checks (pod strategy's LogLocation and
// streamLocation) and the kubelet's log-status check (validateContainerLogStatus), the latter
// made here from the status the node reported.
import { apiErrors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/registry/descriptor.ts';

type J = Record<string, any>;
type Named = { name?: string };

const names = (list: unknown) => ((list ?? []) as Named[]).map((c) => c.name ?? '');

function hasContainer(pod: KubeObject, name: string): boolean {
  const spec = (pod.spec ?? {}) as J;
  return [...names(spec.initContainers), ...names(spec.containers), ...names(spec.ephemeralContainers)].includes(name);
}

/** The container of a pods/log request: the only one when none is named. */
export function logContainer(pod: KubeObject, container: string | undefined): string {
  const spec = (pod.spec ?? {}) as J;
  const podName = pod.metadata?.name ?? '';
  if (container) {
    if (!hasContainer(pod, container)) throw apiErrors.badRequest(`container ${container} is not valid for pod ${podName}`);
    return container;
  }
  const containers = names(spec.containers);
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw apiErrors.badRequest(`a container name must be specified for pod ${podName}`);
  const all = [...names(spec.initContainers), ...containers, ...names(spec.ephemeralContainers)];
  throw apiErrors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${all.join(' ')}]`);
}

/** The container of a pods/exec or pods/attach request, and the node the pod runs on. */
export function streamContainer(pod: KubeObject, container: string | undefined): { container: string; nodeName: string } {
  const spec = (pod.spec ?? {}) as J;
  const podName = pod.metadata?.name ?? '';
  if (!container) {
    const containers = names(spec.containers);
    if (containers.length === 1) container = containers[0]!;
    else if (containers.length === 0) throw apiErrors.badRequest(`a container name must be specified for pod ${podName}`);
    else {
      const init = names(spec.initContainers);
      let msg = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
      if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
      throw apiErrors.badRequest(msg);
    }
  } else if (!hasContainer(pod, container)) throw apiErrors.badRequest(`container ${container} is not valid for pod ${podName}`);
  const nodeName = spec.nodeName as string | undefined;
  if (!nodeName) throw apiErrors.badRequest(`pod ${podName} does not have a host assigned`);
  return { container, nodeName };
}

/** The kubelet's check that a container has logs to show (the current or the previous instance). */
export function checkLogStatus(pod: KubeObject, container: string, previous: boolean): void {
  const status = (pod.status ?? {}) as J;
  const podName = pod.metadata?.name ?? '';
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])] as J[];
  const cs = all.find((s) => s.name === container);
  if (!cs) throw apiErrors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`);
  const state = (cs.state ?? {}) as J;
  const last = (cs.lastState ?? {}) as J;
  if (previous) {
    if (!last.terminated) throw apiErrors.badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return;
  }
  if (state.running || state.terminated || last.terminated) return;
  const reason = state.waiting?.reason as string | undefined;
  if (reason === 'ErrImagePull') throw apiErrors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`);
  if (reason === 'ImagePullBackOff') throw apiErrors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`);
  if (reason) throw apiErrors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  throw apiErrors.badRequest(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}
