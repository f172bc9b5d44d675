// The `kube-dns` Service of kube-system, as kubeadm creates it with CoreDNS: every node agent
// answers cluster DNS on its ClusterIP (10.96.0.10, the address pods' resolv.conf names), and
// `kubectl get svc -n kube-system` shows it as on any cluster. Created once when missing;
// a Service already there (the user's own, or an earlier start's) is left as it is.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/registry/descriptor.ts';
import type { Registry } from '../api/registry/registry.ts';
import type { RegistryStore } from '../api/storage/registry-store.ts';

export const KUBE_DNS_SERVICE_IP = '10.96.0.10';

export function kubeDnsService(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      type: 'ClusterIP',
      selector: { 'k8s-app': 'kube-dns' },
      clusterIP: KUBE_DNS_SERVICE_IP,
      clusterIPs: [KUBE_DNS_SERVICE_IP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
      sessionAffinity: 'None',
    },
  };
}

/** Creates kube-system/kube-dns when missing (idempotent). */
export async function ensureKubeDnsService(storage: RegistryStore, registry: Registry): Promise<void> {
  const services = registry.get('', 'v1', 'services');
  if (!services) return;
  try {
    await storage.create(services, 'kube-system', kubeDnsService(), { fieldManager: 'kube-apiserver' });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}
