// The `kubernetes` Service of the default namespace and its Endpoints/EndpointSlice, pointing at
// this API server, as kube-apiserver's bootstrap controller keeps them (pkg/controlplane/
// controller/kubernetesservice): every cluster has them, and `kubectl get svc` shows them.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/registry/descriptor.ts';
import type { Registry } from '../api/registry/registry.ts';
import type { RegistryStore } from '../api/storage/registry-store.ts';
import { KUBERNETES_SERVICE_IP } from '../api/storage/service-allocator.ts';

const MANAGER = 'kube-apiserver';

/** Creates the Service if missing and points its endpoints at `ip:port` (idempotent; none for loopback). */
export async function ensureKubernetesService(storage: RegistryStore, registry: Registry, ip: string, port: number): Promise<void> {
  const services = registry.get('', 'v1', 'services');
  if (services) {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: KUBERNETES_SERVICE_IP,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
        sessionAffinity: 'None',
      },
    };
    let exists = true;
    try {
      await storage.get(services, 'default', 'kubernetes');
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
      exists = false;
    }
    if (!exists) await storage.create(services, 'default', svc, { fieldManager: MANAGER });
    else {
      // The API server's port may differ from the last start: keep targetPort current.
      await storage.updateWith(
        services,
        'default',
        'kubernetes',
        (cur) => {
          const next = structuredClone(cur!);
          const spec = (next.spec ?? {}) as { ports?: { name?: string; targetPort?: unknown }[] };
          for (const p of spec.ports ?? []) if (p.name === 'https') p.targetPort = port;
          return next;
        },
        { fieldManager: MANAGER },
      );
    }
  }
  // Endpoints may not be loopback addresses (upstream validation): an API server listening on
  // loopback only has no endpoints to publish.
  if (isLoopback(ip)) return;
  const endpoints = registry.get('', 'v1', 'endpoints');
  if (endpoints) {
    await storage.update(
      endpoints,
      'default',
      'kubernetes',
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
        subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
      },
      { fieldManager: MANAGER },
    );
  }
  const slices = registry.get('discovery.k8s.io', 'v1', 'endpointslices');
  if (slices) {
    await storage.update(
      slices,
      'default',
      'kubernetes',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
        addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
        endpoints: [{ addresses: [ip], conditions: { ready: true } }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      },
      { fieldManager: MANAGER },
    );
  }
}

function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1' || ip === 'localhost';
}
