// Nodes and pods for the scheduler's unit tests.
import { NodeInfo } from '../framework.ts';
import type { Container, Node, Pod, PodSpec, Taint } from '../types.ts';

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function node(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.pods ?? 110), ...(o.extra ?? {}) } },
  };
}

export interface PodOpts {
  ns?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  spec?: Partial<PodSpec>;
  containers?: Container[];
  priority?: number;
}

let seq = 0;

export function pod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const containers = o.containers ?? [{ name: 'c', image: 'nginx', resources: Object.keys(requests).length ? { requests } : {} }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}-${seq++}`, labels: o.labels },
    spec: { containers, nodeName: o.nodeName, priority: o.priority, schedulerName: 'default-scheduler', ...(o.spec ?? {}) },
    status: { phase: 'Pending' },
  };
}

/** NodeInfos for nodes, with pods placed on them by spec.nodeName. */
export function nodeInfos(nodes: Node[], pods: Pod[] = []): NodeInfo[] {
  const infos = nodes.map((n) => new NodeInfo(n));
  for (const p of pods) infos.find((i) => i.name === p.spec.nodeName)?.addPod(p);
  return infos;
}
