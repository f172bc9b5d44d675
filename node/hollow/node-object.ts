// The Node a hollow node registers and the status it reports: realistic capacity and
// allocatable (what a kubelet reserves for eviction thresholds is held back), the labels a
// kubelet sets, the pressure and Ready conditions, addresses, daemon endpoints and nodeInfo.
// Process nodes (node/process/) register the same object with their own NodeFlavor.
import { createHash } from 'node:crypto';
import { release } from 'node:os';
import { rfc3339, type KubeObject } from '../../controllers/runtime/types.ts';
import { nodeInternalIP, nodePodCIDR } from './ipam.ts';

export interface HollowCapacity {
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
}

export const DEFAULT_CAPACITY: HollowCapacity = { cpu: '8', memory: '32Gi', pods: 110, ephemeralStorage: '100Gi' };

export interface HollowNodeSpec {
  name: string;
  index: number;
  /** gitVersion of the API server (the kubelet's version follows the control plane's). */
  kubeletVersion: string;
  capacity?: Partial<HollowCapacity>;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** Default amd64. */
  arch?: string;
  /** What kind of node this is (default HOLLOW_FLAVOR). */
  flavor?: NodeFlavor;
  /** Where the node's kubelet API listens (status.daemonEndpoints); default 10250. */
  kubeletPort?: number;
}

/** What tells node kinds apart in the Node object. */
export interface NodeFlavor {
  instanceType: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  osImage: string;
  containerRuntimeVersion: string;
  /** Default nodePodCIDR(index). */
  podCIDR?: string;
}

export const HOLLOW_FLAVOR: NodeFlavor = {
  instanceType: 'hollow',
  labels: { type: 'hollow' },
  annotations: { 'k8ts.io/hollow-node': 'true' },
  osImage: 'k8ts hollow node',
  containerRuntimeVersion: 'hollow://1.0.0',
};

export function nodeArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

/** Quantity of bytes a kubelet holds back for memory.available<100Mi. */
const MEMORY_EVICTION = 100 * 1024 * 1024;

function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) return NaN;
  const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * mult;
}

function ki(n: number): string {
  return `${Math.floor(n / 1024)}Ki`;
}

export function capacityOf(spec: HollowNodeSpec): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const c = { ...DEFAULT_CAPACITY, ...(spec.capacity ?? {}) };
  const mem = bytes(c.memory);
  const eph = bytes(c.ephemeralStorage);
  const capacity: Record<string, string> = {
    cpu: c.cpu,
    'ephemeral-storage': Number.isFinite(eph) ? ki(eph) : c.ephemeralStorage,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: Number.isFinite(mem) ? ki(mem) : c.memory,
    pods: String(c.pods),
  };
  const allocatable: Record<string, string> = {
    ...capacity,
    // nodefs.available<10% and memory.available<100Mi, as a default kubelet.
    'ephemeral-storage': Number.isFinite(eph) ? String(Math.floor(eph * 0.9)) : c.ephemeralStorage,
    memory: Number.isFinite(mem) ? ki(mem - MEMORY_EVICTION) : c.memory,
  };
  return { capacity, allocatable };
}

export function nodeLabels(spec: HollowNodeSpec): Record<string, string> {
  const arch = spec.arch ?? nodeArch();
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': (spec.flavor ?? HOLLOW_FLAVOR).instanceType,
    ...(spec.flavor ?? HOLLOW_FLAVOR).labels,
    ...(spec.labels ?? {}),
  };
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The conditions of a healthy node (heartbeat now; transition times kept from `previous`). */
export function nodeConditions(now: Date, previous: { type: string; status: string; lastTransitionTime?: string }[] = []): Record<string, unknown>[] {
  const t = rfc3339(now);
  const make = (type: string, status: string, reason: string, message: string) => {
    const old = previous.find((c) => c.type === type);
    return { type, status, lastHeartbeatTime: t, lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : t, reason, message };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The node's status as a kubelet reports it. */
export function nodeStatus(spec: HollowNodeSpec, now: Date, bootID: string, previous?: KubeObject): Record<string, unknown> {
  const { capacity, allocatable } = capacityOf(spec);
  const prevConditions = ((previous?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? []);
  return {
    capacity,
    allocatable,
    conditions: nodeConditions(now, prevConditions),
    addresses: [
      { type: 'InternalIP', address: nodeInternalIP(spec.index) },
      { type: 'Hostname', address: spec.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: spec.kubeletPort ?? 10250 } },
    nodeInfo: {
      machineID: createHash('md5').update(`machine/${spec.name}`).digest('hex'),
      systemUUID: uuidFrom(`system/${spec.name}`),
      bootID,
      kernelVersion: release(),
      osImage: (spec.flavor ?? HOLLOW_FLAVOR).osImage,
      containerRuntimeVersion: (spec.flavor ?? HOLLOW_FLAVOR).containerRuntimeVersion,
      kubeletVersion: spec.kubeletVersion,
      kubeProxyVersion: spec.kubeletVersion,
      operatingSystem: 'linux',
      architecture: spec.arch ?? nodeArch(),
    },
    images: [],
  };
}

/** The Node object to register. */
export function nodeObject(spec: HollowNodeSpec, now: Date, bootID: string): KubeObject {
  const cidr = spec.flavor?.podCIDR ?? nodePodCIDR(spec.index);
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: nodeLabels(spec),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(spec.flavor ?? HOLLOW_FLAVOR).annotations,
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr] },
    status: nodeStatus(spec, now, bootID),
  };
  if (spec.taints?.length) (node.spec as Record<string, unknown>).taints = spec.taints.map((t) => ({ ...t }));
  return node;
}
