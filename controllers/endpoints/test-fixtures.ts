// Services and pods for the endpoints and endpointslice controller tests.
import { res, WORKLOAD_RESOURCES } from '../runtime/testing/fake-api.ts';
import type { EndpointPod, Service } from './service-pods.ts';

/** What the FakeApi serves for these controllers. */
export const ENDPOINT_RESOURCES = [
  ...WORKLOAD_RESOURCES,
  res('', 'v1', 'services', 'Service', true),
  res('', 'v1', 'endpoints', 'Endpoints', true),
  res('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
];

export const T0 = '2024-01-01T00:00:00Z';

export function svc(spec: Service['spec'] = {}, meta: Record<string, unknown> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', creationTimestamp: T0, ...meta },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
  };
}

export function pod(name: string, ip: string | undefined, opts: { ready?: boolean; node?: string; deleting?: boolean; phase?: string; ports?: { name: string; containerPort: number }[]; labels?: Record<string, string>; readyAt?: string } = {}): EndpointPod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: T0 } : {}),
    },
    spec: { nodeName: opts.node ?? 'n1', containers: [{ ports: opts.ports ?? [] }] },
    status: {
      phase: opts.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: opts.readyAt ?? T0 }],
    },
  };
}

