// The pods nominated to nodes (upstream's nominator in the scheduling queue): a pod that
// preempted others is nominated to the node where room is being made, and lower-priority pods
// are kept off that room while the victims terminate. Nominations come from the pods'
// status.nominatedNodeName and from the scheduler itself, which knows before the API does.
import { podKeyOf } from '../framework.ts';
import type { Pod } from '../types.ts';

const nominatedNodeName = (pod: Pod | undefined) => pod?.status?.nominatedNodeName ?? '';
const NONE: readonly Pod[] = [];

export class Nominator {
  private readonly byNode = new Map<string, Map<string, Pod>>();
  private readonly nodeOfPod = new Map<string, string>();

  /** Nominates the pod to `node` ('' : the pod's own status.nominatedNodeName). */
  add(pod: Pod, node = ''): void {
    this.delete(pod);
    const name = node || nominatedNodeName(pod);
    if (!name || pod.spec?.nodeName) return;
    const key = podKeyOf(pod);
    let pods = this.byNode.get(name);
    if (!pods) this.byNode.set(name, (pods = new Map()));
    pods.set(key, pod);
    this.nodeOfPod.set(key, name);
  }

  /**
   * An unscheduled pod changed. An update that carries no nomination either side keeps the one
   * the scheduler made (its status write may not have landed yet); otherwise the status rules.
   */
  update(oldPod: Pod | undefined, pod: Pod): void {
    const kept = !nominatedNodeName(oldPod) && !nominatedNodeName(pod) ? this.nodeOfPod.get(podKeyOf(pod)) : undefined;
    this.add(pod, kept);
  }

  delete(pod: Pod): void {
    const key = podKeyOf(pod);
    const node = this.nodeOfPod.get(key);
    if (node === undefined) return;
    this.nodeOfPod.delete(key);
    const pods = this.byNode.get(node)!;
    pods.delete(key);
    if (pods.size === 0) this.byNode.delete(node);
  }

  /** The node the pod is nominated to, if any. */
  nodeOf(pod: Pod): string | undefined {
    return this.nodeOfPod.get(podKeyOf(pod));
  }

  podsOn(node: string): readonly Pod[] {
    const pods = this.byNode.get(node);
    return pods ? [...pods.values()] : NONE;
  }
}
