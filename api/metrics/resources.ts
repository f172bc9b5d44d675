// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server serves them: get and
// list only, never stored (server/metrics-api.ts computes them from the node agents' usage
// reports), and the table metrics-server prints (NAME, cpu, memory, Window).
import type { KubeObject, PrinterColumn, ResourceDescriptor } from '../registry/descriptor.ts';
import { resource } from '../resources/group-helpers/descriptor.ts';
import { addQuantity, formatQuantity, tryParseQuantity, type Quantity } from '../validation/quantity.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

type Usage = Record<string, string>;

/** The sum of usages of one resource, canonical as Quantity.String(). */
function sum(usages: Usage[], name: string): string {
  let total: Quantity | undefined;
  for (const u of usages) {
    const q = tryParseQuantity(u[name]);
    if (q) total = total ? addQuantity(total, q) : q;
  }
  return total ? formatQuantity(total) : '0';
}

function columns(usagesOf: (obj: KubeObject) => Usage[]): PrinterColumn[] {
  const usage = (name: string): PrinterColumn => ({ name, type: 'string', format: 'quantity', description: '', priority: 0, cell: (obj) => sum(usagesOf(obj), name) });
  return [usage('cpu'), usage('memory'), { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0, cell: (obj) => String(obj.window ?? '') }];
}

const computed = { tracksGeneration: false, defaults: () => {}, validate: () => [], validateUpdate: () => [] };

export const nodeMetricsResource: ResourceDescriptor = resource({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'NodeMetrics',
  plural: 'nodes',
  // metrics-server names no singular; clients derive `nodemetrics` from the kind.
  singular: '',
  namespaced: false,
  verbs: ['get', 'list'],
  model: 'V1beta1NodeMetrics',
  printerColumns: columns((obj) => [(obj.usage as Usage) ?? {}]),
  strategy: computed,
  storageResource: 'metrics.k8s.io/nodes',
});

export const podMetricsResource: ResourceDescriptor = resource({
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  kind: 'PodMetrics',
  plural: 'pods',
  singular: '',
  namespaced: true,
  verbs: ['get', 'list'],
  model: 'V1beta1PodMetrics',
  printerColumns: columns((obj) => ((obj.containers as { usage?: Usage }[]) ?? []).map((c) => c.usage ?? {})),
  strategy: computed,
  storageResource: 'metrics.k8s.io/pods',
});

export const metricsResources: ResourceDescriptor[] = [nodeMetricsResource, podMetricsResource];
