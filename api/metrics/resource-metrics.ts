// NodeMetrics and PodMetrics from the node agents' usage reports, as metrics-server builds
// them from its last scrape: a node or pod without a fresh report has no metrics, pods that
// are not Running are left out (pkg/api/pod.go), labels are the node's or pod's own.
import type { KubeObject } from '../registry/descriptor.ts';
import { goDuration } from '../protobuf/codec.ts';
import { formatQuantity, tryParseQuantity } from '../validation/quantity.ts';
import { METRICS_GROUP, METRICS_VERSION } from './resources.ts';
import { parseUsageReport, USAGE_ANNOTATION, type ResourceUsage, type UsageReport } from './usage-report.ts';

const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/**
 * A report older than this many windows (and at least a minute) is from a node that stopped
 * reporting: metrics-server likewise drops a node whose scrapes fail.
 */
const STALE_WINDOWS = 3;
const MIN_STALE_MS = 60_000;

export function isFresh(report: UsageReport, now: number): boolean {
  return now - Date.parse(report.timestamp) <= Math.max(STALE_WINDOWS * report.windowSeconds * 1000, MIN_STALE_MS);
}

/** Fresh reports by node name, from the node Leases (kube-node-lease/<node>). */
export function usageReports(leases: readonly KubeObject[], now: number, parse: (lease: KubeObject) => UsageReport | undefined = reportOf): Map<string, UsageReport> {
  const out = new Map<string, UsageReport>();
  for (const lease of leases) {
    const report = parse(lease);
    if (report && isFresh(report, now)) out.set(lease.metadata?.name ?? '', report);
  }
  return out;
}

export function reportOf(lease: KubeObject): UsageReport | undefined {
  return parseUsageReport(lease.metadata?.annotations?.[USAGE_ANNOTATION]);
}

function creationTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function window(report: UsageReport): string {
  return goDuration(Math.round(report.windowSeconds * 1e9));
}

/**
 * Quantities as metrics-server writes them: Quantity.String() of CPU in decimal SI and of
 * memory bytes in binary SI (`268435456` → `256Mi`), whatever form the agent used.
 */
function canonical(usage: ResourceUsage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(usage)) {
    const q = tryParseQuantity(text);
    out[name] = q ? formatQuantity(name === 'memory' ? { ...q, format: 'BinarySI' } : q) : text;
  }
  return out;
}

function meta(obj: KubeObject, now: Date): Record<string, unknown> {
  const m: Record<string, unknown> = { name: obj.metadata?.name };
  if (obj.metadata?.namespace) m.namespace = obj.metadata.namespace;
  m.creationTimestamp = creationTimestamp(now);
  if (obj.metadata?.labels && Object.keys(obj.metadata.labels).length) m.labels = { ...obj.metadata.labels };
  return m;
}

export function nodeMetrics(node: KubeObject, report: UsageReport, now: Date): KubeObject {
  return { kind: 'NodeMetrics', apiVersion: API_VERSION, metadata: meta(node, now), timestamp: report.timestamp, window: window(report), usage: canonical(report.node) };
}

/** The pod's metrics from its node's report; undefined when it is not Running or not in the report. */
export function podMetrics(pod: KubeObject, report: UsageReport | undefined, now: Date): KubeObject | undefined {
  if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running' || !report) return undefined;
  const containers = report.pods[`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`];
  if (!containers) return undefined;
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: meta(pod, now),
    timestamp: report.timestamp,
    window: window(report),
    containers: Object.entries(containers).map(([name, usage]) => ({ name, usage: canonical(usage) })),
  };
}

/** A list; its items carry no kind and apiVersion, as Go's typed lists are encoded. */
export function metricsList(kind: 'NodeMetricsList' | 'PodMetricsList', items: KubeObject[]): KubeObject {
  return { kind, apiVersion: API_VERSION, metadata: {}, items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest) };
}
