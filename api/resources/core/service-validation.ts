// Service validation (upstream's ValidateService, ValidateServiceUpdate, ValidateServiceStatusUpdate).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabels } from '../../validation/meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isIP, isIPv4, isIPv6, isQualifiedName, isValidPortNum } from '../../validation/names.ts';
import { validatePortNumOrName } from './container-validation.ts';
import { at, idx, isObj, key, objs, str, strs, type J } from './json.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const INVALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function isHeadless(spec: J): boolean {
  const ips = strs(spec.clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
}

/** Upstream's ExternallyAccessible: LoadBalancer, NodePort, or ClusterIP with external IPs. */
export function externallyAccessible(spec: J): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && strs(spec.externalIPs).length > 0);
}

export function needsHealthCheck(spec: J): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

export function isValidCIDR(v: string): boolean {
  const [ip, prefix, ...rest] = v.split('/');
  if (rest.length || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
  if (isIPv4(ip!)) return Number(prefix) <= 32;
  return isIPv6(ip!) && Number(prefix) <= 128;
}

function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ip === '0.0.0.0' || ip === '::') errs.push(fieldErrors.invalid(path, ip, `may not be unspecified (${ip})`));
  if (ip.startsWith('127.') || ip === '::1') errs.push(fieldErrors.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (ip.startsWith('169.254.') || /^fe[89ab][0-9a-f]:/i.test(ip)) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

/** `core.ServicePort{...}` as Go's %#v prints the duplicate key upstream reports. */
function goServicePortKey(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validatePort(p: J, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(p.name);
  if (requireName && !name) errs.push(fieldErrors.required(at(path, 'name')));
  else if (name) {
    errs.push(...isDNS1123Label(name).map((m) => fieldErrors.invalid(at(path, 'name'), name, m)));
    if (names.has(name)) errs.push(fieldErrors.duplicate(at(path, 'name'), name));
    else names.add(name);
  }
  const port = typeof p.port === 'number' ? p.port : 0;
  errs.push(...isValidPortNum(port).map((m) => fieldErrors.invalid(at(path, 'port'), port, m)));
  if (!p.protocol) errs.push(fieldErrors.required(at(path, 'protocol')));
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(at(path, 'protocol'), p.protocol, PROTOCOLS));
  errs.push(...validatePortNumOrName(p.targetPort, at(path, 'targetPort')));
  if (typeof p.appProtocol === 'string') errs.push(...isQualifiedName(p.appProtocol).map((m) => fieldErrors.invalid(at(path, 'appProtocol'), p.appProtocol, m)));
  return errs;
}

function validateClusterIPFields(spec: J): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = strs(spec.clusterIPs);
  const families = strs(spec.ipFamilies);
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(fieldErrors.required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(fieldErrors.notSupported(idx('spec.ipFamilies', i), f, IP_FAMILIES));
    if (seen.has(f)) errs.push(fieldErrors.duplicate(idx('spec.ipFamilies', i), f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(fieldErrors.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  let invalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        invalid = true;
        errs.push(fieldErrors.invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (!isIP(ip)) {
      invalid = true;
      errs.push(fieldErrors.invalid(idx('spec.clusterIPs', i), ip, INVALID_IP));
    }
  });
  if (ips.length > 2) errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (invalid) return errs;
  if (ips.length > 1 && isIPv6(ips[0]!) === isIPv6(ips[1]!)) errs.push(fieldErrors.invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === 'IPv4' && isIPv6(ip)) errs.push(fieldErrors.invalid(idx('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !isIPv6(ip)) errs.push(fieldErrors.invalid(idx('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateLoadBalancerClass(spec: J, old: J | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const cls = spec.loadBalancerClass;
  if (old) {
    const oldCls = old.loadBalancerClass;
    if (old.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && (oldCls ?? null) !== (cls ?? null)) {
      errs.push(fieldErrors.immutable('spec.loadBalancerClass', cls ?? null));
    }
    if (old.type === 'LoadBalancer' && spec.type === 'LoadBalancer') return errs;
  }
  if (cls !== undefined && cls !== null) {
    if (spec.type !== 'LoadBalancer') errs.push(fieldErrors.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else errs.push(...isQualifiedName(str(cls)).map((m) => fieldErrors.invalid('spec.loadBalancerClass', cls, m)));
  }
  return errs;
}

/** Upstream's ValidateService without metadata. */
export function validateServiceSpec(svc: J, oldSpec?: J): FieldError[] {
  const spec: J = isObj(svc.spec) ? svc.spec : {};
  const errs: FieldError[] = [];
  const annotations: Record<string, string> = isObj(svc.metadata) && isObj(svc.metadata.annotations) ? svc.metadata.annotations : {};
  const hints = annotations['service.kubernetes.io/topology-aware-hints'];
  const mode = annotations['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(fieldErrors.invalid(key('metadata.annotations', 'service.kubernetes.io/topology-mode'), mode, 'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified'));
  }
  const ports = objs(spec.ports);
  const headless = isHeadless(spec);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(fieldErrors.required('spec.ports'));
  if (spec.type === 'LoadBalancer' && headless) errs.push(fieldErrors.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
  if (spec.type === 'NodePort' && headless) errs.push(fieldErrors.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  if (spec.type === 'ExternalName') {
    if (strs(spec.clusterIPs).length > 0) errs.push(fieldErrors.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (strs(spec.ipFamilies).length > 0) errs.push(fieldErrors.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(fieldErrors.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => fieldErrors.invalid('spec.externalName', cname, m)));
    else errs.push(fieldErrors.required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, ports.length > 1, names, idx('spec.ports', i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(isObj(spec.selector) ? spec.selector : undefined, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(fieldErrors.required('spec.sessionAffinity'));
  else if (!['ClientIP', 'None'].includes(spec.sessionAffinity)) errs.push(fieldErrors.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const when = 'when session affinity type is ClientIP';
    if (!isObj(cfg)) errs.push(fieldErrors.required('spec.sessionAffinityConfig', when));
    else if (!isObj(cfg.clientIP)) errs.push(fieldErrors.required('spec.sessionAffinityConfig.clientIP', when));
    else if (typeof cfg.clientIP.timeoutSeconds !== 'number') errs.push(fieldErrors.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', when));
    else if (cfg.clientIP.timeoutSeconds <= 0 || cfg.clientIP.timeoutSeconds > 86400) {
      errs.push(fieldErrors.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', cfg.clientIP.timeoutSeconds, 'must be greater than 0 and less than 86400'));
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldErrors.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPFields(spec));
  strs(spec.externalIPs).forEach((ip, i) => {
    const p = idx('spec.externalIPs', i);
    if (!isIP(ip)) errs.push(fieldErrors.invalid(p, ip, INVALID_IP));
    else errs.push(...validateNonSpecialIP(ip, p));
  });
  if (!spec.type) errs.push(fieldErrors.required('spec.type'));
  else if (!TYPES.includes(spec.type)) errs.push(fieldErrors.notSupported('spec.type', spec.type, TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(fieldErrors.forbidden(at(idx('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${str(p.protocol)}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(fieldErrors.duplicate(at(idx('spec.ports', i), 'nodePort'), p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${str(p.protocol)}/${p.port}`;
    if (portKeys.has(k)) {
      errs.push({ type: 'FieldValueDuplicate', field: idx('spec.ports', i), message: `Duplicate value: ${goServicePortKey(str(p.protocol), typeof p.port === 'number' ? p.port : 0)}` });
    }
    portKeys.add(k);
  });
  const ranges = strs(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    if (spec.type !== 'LoadBalancer') errs.push(fieldErrors.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = r.trim();
      if (!isValidCIDR(v)) errs.push(fieldErrors.invalid(idx('spec.LoadBalancerSourceRanges', i), v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && spec.type !== 'LoadBalancer') {
    errs.push(fieldErrors.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(fieldErrors.required('allocateLoadBalancerNodePorts'));
  }
  errs.push(...validateLoadBalancerClass(spec, oldSpec));
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) errs.push(fieldErrors.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    errs.push(fieldErrors.required('spec.externalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (!needsHealthCheck(spec)) {
    if (spec.healthCheckNodePort) errs.push(fieldErrors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (spec.healthCheckNodePort) {
    errs.push(...isValidPortNum(spec.healthCheckNodePort).map((m) => fieldErrors.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, m)));
  }
  // healthCheckNodePort for Local load balancers is allocated by the registry; only its range is checked here.
  if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) errs.push(fieldErrors.required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(spec.internalTrafficPolicy)) {
    errs.push(fieldErrors.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  return errs;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** ClusterIPs and IP families may only be added or dropped at the secondary position. */
export function validateServiceUpdateSpec(spec: J, old: J): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.type === 'ExternalName' || old.type === 'ExternalName') return errs;
  const newHeadless = isHeadless(spec);
  const oldHeadless = isHeadless(old);
  const ips = strs(spec.clusterIPs);
  const oldIPs = strs(old.clusterIPs);
  if (!(newHeadless && oldHeadless)) {
    if (oldIPs.length === ips.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== ips[i]) errs.push(fieldErrors.invalid(idx('spec.clusterIPs', i), ips, 'may not change once set'));
      });
    } else if (oldIPs.length > ips.length) {
      if (ips.length === 0) errs.push(fieldErrors.invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
      if (oldIPs.length > 0 && ips.length > 0 && ips[0] !== oldIPs[0]) errs.push(fieldErrors.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
      if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
        errs.push(fieldErrors.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(fieldErrors.invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
    }
  }
  const fam = strs(spec.ipFamilies);
  const oldFam = strs(old.ipFamilies);
  if (newHeadless === oldHeadless && !newHeadless && !sameList(fam, oldFam)) {
    if (oldFam.length === fam.length) {
      errs.push(fieldErrors.invalid('spec.ipFamilies[0]', fam, 'may not change once set'));
    } else if (oldFam.length > fam.length) {
      if (ips.length === 0) errs.push(fieldErrors.invalid('spec.ipFamilies[0]', fam, 'primary ipFamily can not be unset'));
      if (fam.length > 0 && fam[0] !== oldFam[0]) errs.push(fieldErrors.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
      if (fam.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
        errs.push(fieldErrors.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
      }
    } else if (oldFam.length > 0 && fam[0] !== oldFam[0]) {
      errs.push(fieldErrors.invalid('spec.ipFamilies[0]', ips, 'may not change once set'));
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(spec) && (spec.healthCheckNodePort ?? 0) !== (old.healthCheckNodePort ?? 0)) {
    errs.push(fieldErrors.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs;
}

/** Upstream's ValidateLoadBalancerStatus (1.30: ingress only for LoadBalancer services, ipMode required with an IP). */
export function validateLoadBalancerStatus(status: J, spec: J): FieldError[] {
  const lb = isObj(status.loadBalancer) ? status.loadBalancer : {};
  const ingress = objs(lb.ingress);
  const path = 'status.loadBalancer.ingress';
  if (spec.type !== 'LoadBalancer' && ingress.length) return [fieldErrors.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'")];
  const errs: FieldError[] = [];
  ingress.forEach((ing, i) => {
    const p = idx(path, i);
    const ip = str(ing.ip);
    if (ip && !isIP(ip)) errs.push(fieldErrors.invalid(at(p, 'ip'), ip, INVALID_IP));
    if (ing.ipMode === undefined || ing.ipMode === null) {
      if (ip) errs.push(fieldErrors.required(at(p, 'ipMode'), 'must be specified when `ip` is set'));
    } else if (!ip) {
      errs.push(fieldErrors.forbidden(at(p, 'ipMode'), 'may not be specified when `ip` is not set'));
    } else if (!['Proxy', 'VIP'].includes(ing.ipMode)) {
      errs.push(fieldErrors.notSupported(at(p, 'ipMode'), ing.ipMode, ['Proxy', 'VIP']));
    }
    const host = str(ing.hostname);
    if (host) {
      errs.push(...isDNS1123Subdomain(host).map((m) => fieldErrors.invalid(at(p, 'hostname'), host, m)));
      if (isIP(host)) errs.push(fieldErrors.invalid(at(p, 'hostname'), host, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}
