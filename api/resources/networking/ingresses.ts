// networking.k8s.io/v1 Ingress (pkg/apis/networking/validation, pkg/registry/networking/ingress).
// Stored under /registry/ingress (singular), as upstream.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import {
  isDNS1035Label,
  isDNS1123Subdomain,
  isIP,
  isValidIP,
  isValidPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
} from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, keepAllButStatus, keepOldStatus, resetStatusOnCreate, resource, specChanged } from '../group-helpers/descriptor.ts';
import { invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, isObj } from '../group-helpers/object.ts';

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/** validateIngressTypedLocalObjectReference (also IngressClass parameters). */
export function validateTypedLocalObjectReference(ref: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof ref.apiGroup === 'string') {
    for (const msg of isDNS1123Subdomain(ref.apiGroup)) errs.push(fieldErrors.invalid(`${path}.apiGroup`, ref.apiGroup, msg));
  }
  for (const f of ['kind', 'name']) {
    const v = typeof ref[f] === 'string' ? (ref[f] as string) : '';
    if (v === '') errs.push(fieldErrors.required(`${path}.${f}`, `${f} is required`));
    else for (const msg of isValidPathSegmentName(v)) errs.push(fieldErrors.invalid(`${path}.${f}`, v, msg));
  }
  return errs;
}

function validateBackend(backend: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = isObj(backend.resource);
  const hasService = isObj(backend.service);
  if (hasResource && hasService) return [fieldErrors.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) return validateTypedLocalObjectReference(backend.resource as Record<string, unknown>, `${path}.resource`);
  if (!hasService) return [fieldErrors.invalid(path, '', 'resource or service backend is required')];
  const svc = asObj(backend.service);
  const name = typeof svc.name === 'string' ? svc.name : '';
  if (name === '') errs.push(fieldErrors.required(`${path}.service.name`));
  else for (const msg of isDNS1035Label(name)) errs.push(fieldErrors.invalid(`${path}.service.name`, name, msg));
  const port = asObj(svc.port);
  const portName = typeof port.name === 'string' ? port.name : '';
  const portNumber = typeof port.number === 'number' ? port.number : 0;
  if (portName && portNumber) errs.push(fieldErrors.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) for (const msg of isValidPortName(portName)) errs.push(fieldErrors.invalid(`${path}.service.port.name`, portName, msg));
  else if (portNumber) for (const msg of isValidPortNum(portNumber)) errs.push(fieldErrors.invalid(`${path}.service.port.number`, portNumber, msg));
  else errs.push(fieldErrors.required(path, 'port name or number is required'));
  return errs;
}

function validateHTTPPath(p: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const pathType = p.pathType;
  if (pathType === undefined || pathType === null) return [fieldErrors.required(`${path}.pathType`, 'pathType must be specified')];
  const value = typeof p.path === 'string' ? p.path : '';
  switch (pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, value, 'must be an absolute path'));
      if (value.length > 0) {
        for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(fieldErrors.invalid(`${path}.path`, value, `must not contain '${seq}'`));
        for (const suf of INVALID_PATH_SUFFIXES) if (value.endsWith(suf)) errs.push(fieldErrors.invalid(`${path}.path`, value, `cannot end with '${suf}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/')) errs.push(fieldErrors.invalid(`${path}.path`, value, 'must be an absolute path'));
      break;
    default:
      errs.push(fieldErrors.notSupported(`${path}.pathType`, pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(asObj(p.backend), `${path}.backend`));
  return errs;
}

function validateHost(host: string, path: string): FieldError[] {
  if (host.includes('*')) return isWildcardDNS1123Subdomain(host).map((msg) => fieldErrors.invalid(path, host, msg));
  return isDNS1123Subdomain(host).map((msg) => fieldErrors.invalid(path, host, msg));
}

export function validateIngressSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  const rules = asArr(spec.rules).map(asObj);
  if (rules.length === 0 && !isObj(spec.defaultBackend)) {
    errs.push(invalidRendered('spec', Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'));
  }
  if (isObj(spec.defaultBackend)) errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((rule, i) => {
    const host = typeof rule.host === 'string' ? rule.host : '';
    const rp = `spec.rules[${i}]`;
    if (host.length > 0) {
      if (isIP(host)) errs.push(fieldErrors.invalid(`${rp}.host`, host, 'must be a DNS name, not an IP address'));
      errs.push(...validateHost(host, `${rp}.host`));
    }
    if (isObj(rule.http)) {
      const paths = asArr(rule.http.paths);
      if (paths.length === 0) errs.push(fieldErrors.required(`${rp}.http.paths`));
      paths.forEach((p, j) => errs.push(...validateHTTPPath(asObj(p), `${rp}.http.paths[${j}]`)));
    }
  });
  asArr(spec.tls).forEach((t, i) => {
    const tls = asObj(t);
    asArr(tls.hosts).forEach((h, j) => errs.push(...validateHost(String(h), `spec.tls[${i}].hosts[${j}]`)));
    const secretName = typeof tls.secretName === 'string' ? tls.secretName : '';
    if (secretName) for (const msg of isDNS1123Subdomain(secretName)) errs.push(fieldErrors.invalid(`spec.tls[${i}].secretName`, secretName, msg));
  });
  if (typeof spec.ingressClassName === 'string') {
    for (const msg of isDNS1123Subdomain(spec.ingressClassName)) errs.push(fieldErrors.invalid('spec.ingressClassName', spec.ingressClassName, msg));
  }
  return errs;
}

function validateIngressStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  asArr(asObj(asObj(obj.status).loadBalancer).ingress).forEach((e, i) => {
    const ing = asObj(e);
    const p = `status.loadBalancer.ingress[${i}]`;
    if (typeof ing.ip === 'string' && ing.ip) for (const msg of isValidIP(ing.ip)) errs.push(fieldErrors.invalid(`${p}.ip`, ing.ip, msg));
    if (typeof ing.hostname === 'string' && ing.hostname) {
      for (const msg of isDNS1123Subdomain(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, msg));
      if (isIP(ing.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

export const ingressStrategy: Strategy = {
  tracksGeneration: true,
  defaults: () => {},
  validate: (obj) => {
    const errs = validateIngressSpec(obj);
    const annotation = obj.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
    const className = asObj(obj.spec).ingressClassName;
    if (annotation !== undefined && typeof className === 'string' && annotation !== className) {
      errs.push(fieldErrors.invalid(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
    }
    return errs;
  },
  validateUpdate: (obj) => validateIngressSpec(obj),
  validateStatusUpdate: (obj) => validateIngressStatus(obj),
  prepareForCreate: (obj) => resetStatusOnCreate(obj, { loadBalancer: {} }),
  prepareForUpdate: (obj, old) => {
    keepOldStatus(obj, old);
    bumpGenerationIf(obj, old, specChanged(obj, old));
  },
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

/** formatHosts: up to three hosts, `*` when none. */
export function formatHosts(rules: unknown): string {
  const list: string[] = [];
  const all = asArr(rules).map(asObj);
  let more = false;
  for (const rule of all) {
    if (list.length === 3) more = true;
    const host = typeof rule.host === 'string' ? rule.host : '';
    if (!more && host) list.push(host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${all.length - 3} more...` : list.join(',');
}

/** ingressLoadBalancerStatusStringer (wide, as the server prints): sorted unique IPs or hostnames. */
export function formatLoadBalancer(status: unknown): string {
  const set = new Set<string>();
  for (const e of asArr(asObj(asObj(status).loadBalancer).ingress)) {
    const ing = asObj(e);
    if (typeof ing.ip === 'string' && ing.ip) set.add(ing.ip);
    else if (typeof ing.hostname === 'string' && ing.hostname) set.add(ing.hostname);
  }
  return [...set].sort().join(',');
}

export const ingresses: ResourceDescriptor = resource({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  shortNames: ['ing'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1Ingress',
  printerColumns: [
    {
      name: 'Class',
      type: 'string',
      description: 'The name of the IngressClass resource that should be used for additional configuration',
      priority: 0,
      cell: (obj) => {
        const c = asObj(obj.spec).ingressClassName;
        return typeof c === 'string' ? c : '<none>';
      },
    },
    {
      name: 'Hosts',
      type: 'string',
      description: 'Hosts that incoming requests are matched against before the ingress rule',
      priority: 0,
      cell: (obj) => formatHosts(asObj(obj.spec).rules),
    },
    {
      name: 'Address',
      type: 'string',
      description: 'Address is a list containing ingress points for the load-balancer',
      priority: 0,
      cell: (obj) => formatLoadBalancer(obj.status),
    },
    {
      name: 'Ports',
      type: 'string',
      description: 'Ports of TLS configurations that open',
      priority: 0,
      cell: (obj) => (asArr(asObj(obj.spec).tls).length > 0 ? '80, 443' : '80'),
    },
    ageColumn(),
  ],
  strategy: ingressStrategy,
  storageResource: 'ingress',
});
