// core/v1 Service: upstream defaults (SetDefaults_Service), strategy (pkg/registry/core/service)
// and the REST layer's field patching; IP and node port allocation belong to the registry/controllers.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { ageColumn, ALL_VERBS, column, formatLabels, keepSpec, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { child, isObj, objs, semanticEqual, str, strs, type J } from './json.ts';
import { externallyAccessible, needsHealthCheck, validateLoadBalancerStatus, validateServiceSpec, validateServiceUpdateSpec } from './service-validation.ts';

function spec(obj: KubeObject): J {
  return isObj(obj.spec) ? obj.spec : {};
}

function defaults(svc: KubeObject): void {
  const s = child(svc, 'spec');
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP') {
    const cfg = s.sessionAffinityConfig;
    if (!isObj(cfg) || !isObj(cfg.clientIP) || typeof cfg.clientIP.timeoutSeconds !== 'number') s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!s.type) s.type = 'ClusterIP';
  for (const p of objs(s.ports)) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(s) && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
  if ((s.internalTrafficPolicy === undefined || s.internalTrafficPolicy === null) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(s.type)) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null) s.allocateLoadBalancerNodePorts = true;
    const lb = isObj(svc.status) && isObj(svc.status.loadBalancer) ? svc.status.loadBalancer : {};
    for (const ing of objs(lb.ingress)) if (ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
  }
}

const needsClusterIP = (s: J): boolean => s.type !== 'ExternalName';
const needsNodePort = (s: J): boolean => s.type === 'NodePort' || s.type === 'LoadBalancer';

/** Old clients send only clusterIP: mirror it into clusterIPs (upstream's NormalizeClusterIPs). */
function normalizeClusterIPs(s: J, old?: J): void {
  if (!old) {
    if (s.clusterIP && strs(s.clusterIPs).length === 0) s.clusterIPs = [s.clusterIP];
    return;
  }
  if (strs(old.clusterIPs).length > 0 && strs(s.clusterIPs).length === 0 && (old.clusterIP ?? '') === (s.clusterIP ?? '')) s.clusterIPs = old.clusterIPs;
  if ((old.clusterIP ?? '') !== (s.clusterIP ?? '')) {
    const same = semanticEqual(old.clusterIPs, s.clusterIPs);
    if (old.clusterIP && !s.clusterIP) {
      if (same) delete s.clusterIPs;
    } else if (same) {
      s.clusterIPs = [s.clusterIP];
    }
  }
}

/** Values the user could not know (allocated IPs and ports) are carried over (upstream's patchAllocatedValues). */
function patchAllocatedValues(s: J, old: J): void {
  if (needsClusterIP(old) && needsClusterIP(s)) {
    if (!s.clusterIP && old.clusterIP) s.clusterIP = old.clusterIP;
    if (strs(s.clusterIPs).length === 0 && strs(old.clusterIPs).length > 0) s.clusterIPs = structuredClone(old.clusterIPs);
    if (strs(s.ipFamilies).length === 0 && strs(old.ipFamilies).length > 0 && semanticEqual(s.clusterIPs, old.clusterIPs)) s.ipFamilies = structuredClone(old.ipFamilies);
    if (!s.ipFamilyPolicy && old.ipFamilyPolicy && semanticEqual(s.clusterIPs, old.clusterIPs)) s.ipFamilyPolicy = old.ipFamilyPolicy;
  }
  if (needsNodePort(old) && needsNodePort(s)) {
    const used = new Set(objs(s.ports).map((p) => p.nodePort).filter((n) => n));
    const byRef = new Map(objs(old.ports).map((p) => [`${str(p.name)}/${str(p.protocol)}`, p.nodePort]));
    for (const p of objs(s.ports)) {
      if (p.nodePort) continue;
      const prev = byRef.get(`${str(p.name)}/${str(p.protocol)}`);
      if (prev && !used.has(prev)) p.nodePort = prev;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(s) && !s.healthCheckNodePort) s.healthCheckNodePort = old.healthCheckNodePort;
}

/** Fields that no longer apply after a type change are dropped when the user left them as they were. */
function dropTypeDependentFields(svc: KubeObject, s: J, old: J): void {
  if (needsClusterIP(old) && !needsClusterIP(s)) {
    if (semanticEqual(s.clusterIPs, old.clusterIPs) && (s.clusterIP ?? '') === (old.clusterIP ?? '')) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (semanticEqual(s.ipFamilies, old.ipFamilies)) delete s.ipFamilies;
    if ((s.ipFamilyPolicy ?? null) === (old.ipFamilyPolicy ?? null)) delete s.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(s)) {
    const same = objs(s.ports).every((p, i) => (p.nodePort ?? 0) === (objs(old.ports)[i]?.nodePort ?? 0));
    if (same) for (const p of objs(s.ports)) delete p.nodePort;
  }
  if (needsHealthCheck(old) && !needsHealthCheck(s) && (s.healthCheckNodePort ?? 0) === (old.healthCheckNodePort ?? 0)) delete s.healthCheckNodePort;
  if (old.type === 'LoadBalancer' && s.type !== 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if ((s.loadBalancerClass ?? null) === (old.loadBalancerClass ?? null)) delete s.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(s) && (s.externalTrafficPolicy ?? '') === (old.externalTrafficPolicy ?? '')) delete s.externalTrafficPolicy;
  if (s.type !== 'LoadBalancer' && isObj(svc.status)) svc.status.loadBalancer = {};
}

function loadBalancerIPs(svc: KubeObject): string {
  const lb = isObj(svc.status) && isObj(svc.status.loadBalancer) ? svc.status.loadBalancer : {};
  const set = new Set<string>();
  for (const ing of objs(lb.ingress)) {
    if (ing.ip) set.add(str(ing.ip));
    else if (ing.hostname) set.add(str(ing.hostname));
  }
  // The API server renders tables wide, so the 16-character clipping never applies.
  return [...set].sort().join(',');
}

/** EXTERNAL-IP as upstream's getServiceExternalIP. */
function externalIP(svc: KubeObject): string {
  const s = spec(svc);
  const ext = strs(s.externalIPs);
  switch (s.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIPs(svc);
      if (ext.length) return [...(lb ? lb.split(',') : []), ...ext].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(s.externalName);
    default:
      return '<unknown>';
  }
}

function portsCell(svc: KubeObject): string {
  const text = objs(spec(svc).ports)
    .map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${str(p.protocol)}` : `${p.port}/${str(p.protocol)}`))
    .join(',');
  return text || '<none>';
}

export const services: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Service',
  listKind: 'ServiceList',
  plural: 'services',
  singular: 'service',
  shortNames: ['svc'],
  categories: ['all'],
  namespaced: true,
  nameFormat: 'dns1035Label',
  verbs: ALL_VERBS,
  subresources: { status: true, proxy: true },
  model: 'V1Service',
  printerColumns: [
    column('Type', 'string', DOCS['V1ServiceSpec.type'], (obj) => str(spec(obj).type)),
    column('Cluster-IP', 'string', DOCS['V1ServiceSpec.clusterIP'], (obj) => strs(spec(obj).clusterIPs)[0] ?? (str(spec(obj).clusterIP) || '<none>')),
    column('External-IP', 'string', DOCS['V1ServiceSpec.externalIPs'], externalIP),
    column('Port(s)', 'string', DOCS['V1ServiceSpec.ports'], portsCell),
    ageColumn(),
    column('Selector', 'string', DOCS['V1ServiceSpec.selector'], (obj) => formatLabels(spec(obj).selector), 1),
  ],
  fieldSelectors: {
    'spec.clusterIP': (obj) => str(spec(obj).clusterIP),
    'spec.type': (obj) => str(spec(obj).type),
  },
  strategy: {
    defaults,
    validate: (obj) => validateServiceSpec(obj),
    validateUpdate: (obj, old): FieldError[] => [...validateServiceUpdateSpec(spec(obj), spec(old)), ...validateServiceSpec(obj, spec(old))],
    validateStatusUpdate: (obj) => validateLoadBalancerStatus(section(obj, 'status'), spec(obj)),
    prepareForCreate(obj) {
      obj.status = { loadBalancer: {} };
      normalizeClusterIPs(child(obj, 'spec'));
    },
    prepareForUpdate(obj, old) {
      obj.status = structuredClone(old.status ?? { loadBalancer: {} });
      const s = child(obj, 'spec');
      patchAllocatedValues(s, spec(old));
      normalizeClusterIPs(s, spec(old));
      dropTypeDependentFields(obj, s, spec(old));
    },
    prepareForStatusUpdate: keepSpec,
    tracksGeneration: false,
  },
  storageResource: 'services/specs',
};
