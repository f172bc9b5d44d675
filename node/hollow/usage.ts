// What a hollow node reports as its resource usage, pure: each running pod uses what its
// annotations say (`k8ts.io/hollow-cpu-usage: 250m`, `k8ts.io/hollow-memory-usage: 64Mi`,
// the pod's total, split evenly across its running containers) or a small idle default; the
// node uses its pods' total plus what a kubelet and runtime use themselves. The report goes
// into the node's Lease (api/metrics/usage-report.ts), where the API server's metrics.k8s.io
// API reads it.
import { milliValue, value } from '../../scheduler/quantity.ts';
import { rfc3339, type KubeObject } from '../../controllers/runtime/types.ts';
import type { ResourceUsage, UsageReport } from '../../api/metrics/usage-report.ts';

export const CPU_USAGE_ANNOTATION = 'k8ts.io/hollow-cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'k8ts.io/hollow-memory-usage';

interface Usage {
  milliCPU: number;
  memory: number;
}

/** An idle pod. */
export const DEFAULT_POD_USAGE: Usage = { milliCPU: 1, memory: 8 * 1024 * 1024 };
/** The node's own share (kubelet, runtime, system daemons). */
export const NODE_OVERHEAD: Usage = { milliCPU: 50, memory: 256 * 1024 * 1024 };

type J = Record<string, any>;

/** A non-negative quantity from an annotation, or the default when absent or malformed. */
function annotated(pod: J, key: string, parse: (q: string) => number, fallback: number): number {
  const v = pod.metadata?.annotations?.[key];
  if (typeof v !== 'string') return fallback;
  const n = parse(v);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** The containers that run for the pod's whole life: its containers and restartable (sidecar) init containers. */
function runningContainers(pod: J): string[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c: J) => c.restartPolicy === 'Always');
  return [...sidecars, ...(pod.spec?.containers ?? [])].map((c: J) => String(c.name));
}

/** `total` split into n integer shares, the remainder on the first. */
function split(total: number, n: number): number[] {
  const share = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => (i === 0 ? total - share * (n - 1) : share));
}

function usage(u: Usage): ResourceUsage {
  return { cpu: `${u.milliCPU}m`, memory: String(u.memory) };
}

/** The pod's usage per container. */
export function podUsage(pod: KubeObject): Record<string, ResourceUsage> {
  const names = runningContainers(pod as J);
  if (names.length === 0) return {};
  const cpu = split(annotated(pod as J, CPU_USAGE_ANNOTATION, milliValue, DEFAULT_POD_USAGE.milliCPU), names.length);
  const memory = split(annotated(pod as J, MEMORY_USAGE_ANNOTATION, value, DEFAULT_POD_USAGE.memory), names.length);
  return Object.fromEntries(names.map((name, i) => [name, usage({ milliCPU: cpu[i]!, memory: memory[i]! })]));
}

/** The node's report: its running pods (what it measured over the last `windowMs`), at `now`. */
export function usageReport(runningPods: readonly KubeObject[], now: number, windowMs: number): UsageReport {
  const node: Usage = { ...NODE_OVERHEAD };
  const pods: UsageReport['pods'] = {};
  for (const pod of runningPods) {
    const containers = podUsage(pod);
    pods[`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`] = containers;
    for (const u of Object.values(containers)) {
      node.milliCPU += milliValue(u.cpu);
      node.memory += value(u.memory);
    }
  }
  return { timestamp: rfc3339(new Date(now)), windowSeconds: windowMs / 1000, node: usage(node), pods };
}
