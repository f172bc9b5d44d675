// The HPA's view of the resource metrics API (upstream's resourceMetricsClient): the
// PodMetrics of the target's pods, from metrics.k8s.io, as each pod's usage of one resource
// (the sum over its containers, or one container) in milli-units.
import { milliValue } from '../../scheduler/quantity.ts';
import { parseDurationOrSeconds } from '../../lib/duration.ts';
import type { ApiClient } from '../runtime/client.ts';
import { errorMessage } from '../runtime/errors.ts';
import { parseTime } from '../runtime/pods.ts';
import type { KubeList, KubeObject } from '../runtime/types.ts';
import type { PodMetricsInfo } from './replica-calculator.ts';

export interface PodMetricsObject extends KubeObject {
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, string> }[];
}

/** The pods' metrics, or why there are none (already worded as upstream's metrics client words it). */
export type FetchedMetrics = { items: PodMetricsObject[] } | { error: string };

/** GET /apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods?labelSelector=<selector>. */
export async function fetchPodMetrics(api: Pick<ApiClient, 'request'>, namespace: string, selector: string): Promise<FetchedMetrics> {
  try {
    const list = await api.request<KubeList<PodMetricsObject>>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`);
    return { items: list.items ?? [] };
  } catch (err) {
    return { error: `unable to fetch metrics from resource metrics API: ${errorMessage(err)}` };
  }
}

export interface ResourceMetric {
  metrics: PodMetricsInfo;
  /** The first item's timestamp, as upstream reports it. */
  timestamp: number;
}

/** GetResourceMetric: each pod's usage (all its containers, or `container`); throws upstream's errors. */
export function resourceMetric(fetched: FetchedMetrics, resource: string, container: string): ResourceMetric {
  if ('error' in fetched) throw new Error(fetched.error);
  if (fetched.items.length === 0) throw new Error('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const m of fetched.items) {
    const sample = (value: number) => ({ timestamp: parseTime(m.timestamp), windowMs: parseDurationOrSeconds(m.window) ?? 0, value });
    const containers = m.containers ?? [];
    if (container) {
      const c = containers.find((x) => x.name === container);
      if (!c) throw new Error(`failed to get container metrics: container ${container} not present in metrics for pod ${m.metadata?.namespace}/${m.metadata?.name}`);
      const usage = c.usage?.[resource];
      if (usage !== undefined) metrics.set(m.metadata?.name ?? '', sample(milliValue(usage)));
      continue;
    }
    // A pod some of whose containers lack the resource has no metric (it counts as missing).
    if (containers.length === 0 || containers.some((c) => c.usage?.[resource] === undefined)) continue;
    metrics.set(m.metadata?.name ?? '', sample(containers.reduce((sum, c) => sum + milliValue(c.usage![resource]), 0)));
  }
  return { metrics, timestamp: parseTime(fetched.items[0]!.timestamp) };
}
