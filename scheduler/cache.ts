// The scheduler's cache (upstream's internal/cache): nodes and the pods assigned to them, as
// NodeInfos the plugins read. A pod the scheduler has chosen a node for is *assumed* there at
// once, so the next cycles see its requests before the binding reaches the API and comes back
// through the informer; the informer's copy then confirms it, a failed binding forgets it.
import { NodeInfo, podKeyOf } from './framework.ts';
import type { Node, Pod } from './types.ts';

interface PodState {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly pods = new Map<string, PodState>();
  /** Pods assigned to nodes the cache does not know (yet). */
  private readonly orphans = new Map<string, Map<string, Pod>>();
  private list: NodeInfo[] | undefined;

  // --- nodes ------------------------------------------------------------------------------

  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    let ni = this.nodes.get(name);
    if (ni) {
      ni.setNode(node);
      return ni;
    }
    ni = new NodeInfo(node);
    this.nodes.set(name, ni);
    this.list = undefined;
    for (const pod of this.orphans.get(name)?.values() ?? []) ni.addPod(pod);
    this.orphans.delete(name);
    return ni;
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const ni = this.nodes.get(name);
    if (!ni) return;
    this.nodes.delete(name);
    this.list = undefined;
    if (ni.pods.size) this.orphans.set(name, new Map([...ni.pods].map(([k, p]) => [k, p.pod])));
  }

  getNode(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** The nodes in a stable order (the order they were added). */
  nodeList(): NodeInfo[] {
    this.list ??= [...this.nodes.values()];
    return this.list;
  }

  nodeCount(): number {
    return this.nodes.size;
  }

  // --- pods -------------------------------------------------------------------------------

  private place(pod: Pod, nodeName: string): void {
    const key = podKeyOf(pod);
    const ni = this.nodes.get(nodeName);
    if (ni) ni.addPod(pod);
    else {
      let m = this.orphans.get(nodeName);
      if (!m) this.orphans.set(nodeName, (m = new Map()));
      m.set(key, pod);
    }
  }

  private unplace(key: string, nodeName: string): void {
    const ni = this.nodes.get(nodeName);
    if (ni) ni.removePod(key);
    const m = this.orphans.get(nodeName);
    if (m) {
      m.delete(key);
      if (m.size === 0) this.orphans.delete(nodeName);
    }
  }

  /** An assigned pod from the informer (confirms an assumed one). */
  addPod(pod: Pod): void {
    const key = podKeyOf(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const cur = this.pods.get(key);
    if (cur) this.unplace(key, cur.nodeName);
    this.pods.set(key, { pod, nodeName, assumed: false });
    this.place(pod, nodeName);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKeyOf(pod);
    const cur = this.pods.get(key);
    if (!cur) return;
    this.unplace(key, cur.nodeName);
    this.pods.delete(key);
  }

  /** The scheduler chose `pod.spec.nodeName` for the pod: count it there until confirmed. */
  assumePod(pod: Pod): void {
    const key = podKeyOf(pod);
    if (this.pods.has(key)) throw new Error(`pod ${key} is in the cache, so can't be assumed`);
    this.pods.set(key, { pod, nodeName: pod.spec?.nodeName ?? '', assumed: true });
    this.place(pod, pod.spec?.nodeName ?? '');
  }

  /** The binding failed: the assumed pod leaves its node. */
  forgetPod(pod: Pod): void {
    const key = podKeyOf(pod);
    const cur = this.pods.get(key);
    if (!cur || !cur.assumed) return;
    this.unplace(key, cur.nodeName);
    this.pods.delete(key);
  }

  isAssumed(pod: Pod): boolean {
    return this.pods.get(podKeyOf(pod))?.assumed === true;
  }

  podCount(): number {
    return this.pods.size;
  }
}
