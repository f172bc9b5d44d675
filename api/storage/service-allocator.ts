// Service cluster IPs and node ports, allocated by the API server when a Service is written
// (upstream pkg/registry/core/service/storage's beginCreate/beginUpdate with the IP and port
// allocators): `kubectl get svc` shows a CLUSTER-IP right after `kubectl create`, as on any
// cluster. The service CIDR and the node port range are the kubeadm defaults; the cluster is
// single-stack IPv4, so families default to [IPv4] with policy SingleStack.
//
// What is in use is read from the services the watch cache holds; the store is the judge:
// the write claims each value's key (service-allocations.ts), and a value taken meanwhile
// (a concurrent create here or on another API server) fails the write, which is retried.
import { randomInt } from 'node:crypto';
import { apiErrors, type FieldError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { fieldErrors } from '../validation/field-errors.ts';

export const SERVICE_CIDR = '10.96.0.0/12';
export const NODE_PORT_RANGE = { base: 30000, size: 2768 };
/** The first address of the range belongs to the `kubernetes` Service. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

const CIDR_BASE = (10 << 24) | (96 << 16);
const CIDR_SIZE = 1 << 20;

type J = Record<string, unknown>;

const isObj = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const ports = (s: J): J[] => (Array.isArray(s.ports) ? s.ports.filter(isObj) : []);

function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const needsClusterIP = (s: J): boolean => s.type !== 'ExternalName';
const needsNodePorts = (s: J): boolean => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: J): boolean => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';

export class ServiceAllocator {
  /** `services` lists every stored Service (all namespaces). */
  constructor(private readonly services: () => Iterable<KubeObject>) {}

  private inUse(self: { namespace?: string; name?: string }, isKubernetes: boolean): { ips: Set<string>; ports: Set<number> } {
    const ips = new Set<string>();
    if (!isKubernetes) ips.add(KUBERNETES_SERVICE_IP);
    const used = new Set<number>();
    for (const svc of this.services()) {
      if (svc.metadata?.namespace === self.namespace && svc.metadata?.name === self.name) continue;
      const s = isObj(svc.spec) ? svc.spec : {};
      for (const ip of strs(s.clusterIPs)) ips.add(ip);
      if (typeof s.clusterIP === 'string') ips.add(s.clusterIP);
      for (const p of ports(s)) if (typeof p.nodePort === 'number') used.add(p.nodePort);
      if (typeof s.healthCheckNodePort === 'number') used.add(s.healthCheckNodePort);
    }
    return { ips, ports: used };
  }

  private pickIP(used: Set<string>): string {
    // Dynamic allocations use the upper part of the range (upstream's static subrange is the first 256).
    for (let i = 0; i < 64; i++) {
      const ip = intToIp(CIDR_BASE + 256 + randomInt(CIDR_SIZE - 256 - 1));
      if (!used.has(ip)) return ip;
    }
    for (let n = CIDR_BASE + 2; n < CIDR_BASE + CIDR_SIZE - 1; n++) if (!used.has(intToIp(n))) return intToIp(n);
    throw apiErrors.internal('failed to allocate a serviceIP: range is full');
  }

  private pickPort(used: Set<number>): number {
    for (let i = 0; i < 64; i++) {
      const p = NODE_PORT_RANGE.base + randomInt(NODE_PORT_RANGE.size);
      if (!used.has(p)) return p;
    }
    for (let p = NODE_PORT_RANGE.base; p < NODE_PORT_RANGE.base + NODE_PORT_RANGE.size; p++) if (!used.has(p)) return p;
    throw apiErrors.internal('failed to allocate a nodePort: range is full');
  }

  /**
   * Fills what a Service needs and the user did not give: cluster IP (and families), node
   * ports, health check node port; refuses given ones that are taken or out of range (422).
   * `old` is the stored Service on update, whose allocations it keeps.
   */
  allocate(svc: KubeObject, old?: KubeObject): void {
    const s = isObj(svc.spec) ? svc.spec : (svc.spec = {});
    const o = old && isObj(old.spec) ? old.spec : undefined;
    const name = String(svc.metadata?.name ?? '');
    const isKubernetes = svc.metadata?.namespace === 'default' && name === 'kubernetes';
    const { ips, ports: usedPorts } = this.inUse({ namespace: svc.metadata?.namespace, name: old ? name : undefined }, isKubernetes);
    const errs: FieldError[] = [];

    if (needsClusterIP(s)) {
      if (s.ipFamilyPolicy === undefined || s.ipFamilyPolicy === null) s.ipFamilyPolicy = 'SingleStack';
      if (strs(s.ipFamilies).length === 0) s.ipFamilies = ['IPv4'];
      const given = typeof s.clusterIP === 'string' && s.clusterIP !== '' ? s.clusterIP : strs(s.clusterIPs)[0];
      if (!given) {
        const ip = this.pickIP(ips);
        s.clusterIP = ip;
        s.clusterIPs = [ip];
      } else if (given !== 'None' && !(o && strs(o.clusterIPs).includes(given))) {
        const n = ipToInt(given);
        if (n !== undefined && (n < CIDR_BASE || n >= CIDR_BASE + CIDR_SIZE || n === CIDR_BASE || n === CIDR_BASE + CIDR_SIZE - 1)) {
          errs.push(
            fieldErrors.invalid('spec.clusterIPs', strs(s.clusterIPs).length ? strs(s.clusterIPs) : [given], `failed to allocate IP ${given}: the provided IP (${given}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`),
          );
        } else if (n !== undefined && given === KUBERNETES_SERVICE_IP && !isKubernetes) {
          // Taken values are found by the write's claim (service-allocations.ts); this one is
          // refused here too, in case the kubernetes Service is not written yet.
          errs.push(fieldErrors.invalid('spec.clusterIPs', strs(s.clusterIPs).length ? strs(s.clusterIPs) : [given], `failed to allocate IP ${given}: provided IP is already allocated`));
        }
      }
    }

    const oldPorts = new Set<number>();
    if (o) {
      for (const p of ports(o)) if (typeof p.nodePort === 'number') oldPorts.add(p.nodePort);
      if (typeof o.healthCheckNodePort === 'number') oldPorts.add(o.healthCheckNodePort);
    }
    // Given ports are checked against each other here, against other Services by the write.
    const givenPorts = new Set<number>();
    const claim = (field: string, port: number): void => {
      if (oldPorts.has(port)) {
        usedPorts.add(port);
        givenPorts.add(port);
        return;
      }
      if (port < NODE_PORT_RANGE.base || port >= NODE_PORT_RANGE.base + NODE_PORT_RANGE.size) {
        errs.push(fieldErrors.invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.base}-${NODE_PORT_RANGE.base + NODE_PORT_RANGE.size - 1}`));
      } else if (givenPorts.has(port)) {
        errs.push(fieldErrors.invalid(field, port, 'provided port is already allocated'));
      } else {
        usedPorts.add(port);
        givenPorts.add(port);
      }
    };
    if (needsNodePorts(s)) {
      // The same port number on two protocols shares one node port, as upstream.
      const byPort = new Map<number, number>();
      ports(s).forEach((p, i) => {
        if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
          if (byPort.get(Number(p.port)) !== p.nodePort) claim(`spec.ports[${i}].nodePort`, p.nodePort);
          byPort.set(Number(p.port), p.nodePort);
        }
      });
      for (const p of ports(s)) {
        if (typeof p.nodePort === 'number' && p.nodePort !== 0) continue;
        const shared = byPort.get(Number(p.port));
        const port = shared ?? this.pickPort(usedPorts);
        if (shared === undefined) {
          usedPorts.add(port);
          byPort.set(Number(p.port), port);
        }
        p.nodePort = port;
      }
    }
    if (needsHealthCheck(s)) {
      if (typeof s.healthCheckNodePort === 'number' && s.healthCheckNodePort !== 0) claim('spec.healthCheckNodePort', s.healthCheckNodePort);
      else {
        s.healthCheckNodePort = this.pickPort(usedPorts);
      }
    }
    if (errs.length) throw apiErrors.invalid('Service', '', name, errs);
  }
}
