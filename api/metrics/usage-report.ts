// How node agents report resource usage to the API server, which serves it as the
// metrics.k8s.io API. Upstream, metrics-server scrapes every kubelet's /metrics/resource; here
// each node agent writes its latest measurement into an annotation of its own Lease in
// kube-node-lease when it renews it, so the report lives in the replicated store and every
// API server process answers from the same data, at no extra write.
//
// The annotation holds JSON: when the usage was measured, over how long, the node's usage and
// each running pod's usage per container, as quantities (`250m`, `8388608`).

export const USAGE_ANNOTATION = 'k8ts.io/resource-usage';

export interface ResourceUsage {
  cpu: string;
  memory: string;
}

export interface UsageReport {
  /** When the usage was measured (RFC 3339). */
  timestamp: string;
  /** The window the usage is averaged over, in seconds. */
  windowSeconds: number;
  node: ResourceUsage;
  /** `namespace/name` → container name → usage; running pods only. */
  pods: Record<string, Record<string, ResourceUsage>>;
}

export function encodeUsageReport(report: UsageReport): string {
  return JSON.stringify(report);
}

function isUsage(v: unknown): v is ResourceUsage {
  const u = v as ResourceUsage;
  return !!u && typeof u === 'object' && typeof u.cpu === 'string' && typeof u.memory === 'string';
}

/** The report in an annotation value; undefined when it is not one (a report is never trusted blindly). */
export function parseUsageReport(text: string | undefined): UsageReport | undefined {
  if (!text) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = v as UsageReport;
  if (!r || typeof r !== 'object' || typeof r.timestamp !== 'string' || Number.isNaN(Date.parse(r.timestamp))) return undefined;
  if (typeof r.windowSeconds !== 'number' || !(r.windowSeconds > 0) || !isUsage(r.node)) return undefined;
  if (!r.pods || typeof r.pods !== 'object') return undefined;
  for (const containers of Object.values(r.pods)) {
    if (!containers || typeof containers !== 'object' || !Object.values(containers).every(isUsage)) return undefined;
  }
  return r;
}
