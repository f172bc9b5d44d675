// discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation, pkg/registry/discovery/endpointslice).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabels } from '../../validation/meta.ts';
import { isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isQualifiedName, isValidLabelValue } from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { meta, resource } from '../group-helpers/descriptor.ts';
import { asArr, asObj, deepEqual, isObj } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_ENDPOINTS = 1000;
const MAX_ZONE_HINTS = 8;

export function defaultEndpointSlice(obj: KubeObject): void {
  for (const p of asArr(obj.ports)) {
    if (!isObj(p)) continue;
    if (p.name === undefined || p.name === null) p.name = '';
    if (p.protocol === undefined || p.protocol === null) p.protocol = 'TCP';
  }
}

/** ValidateNonSpecialIP: endpoints may not point at unspecified, loopback or link-local addresses. */
function nonSpecialIP(ip: string, path: string): FieldError[] {
  const v4 = isIPv4(ip);
  const first = v4 ? Number(ip.split('.')[0]) : -1;
  const lower = ip.toLowerCase();
  if ((v4 && /^0+\.0+\.0+\.0+$/.test(ip)) || (!v4 && /^[0:]+$/.test(lower))) return [fieldErrors.invalid(path, ip, 'may not be unspecified (0.0.0.0, ::)')];
  if ((v4 && first === 127) || lower === '::1') return [fieldErrors.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if ((v4 && ip.startsWith('169.254.')) || /^fe[89ab][0-9a-f]?:/.test(lower)) {
    return [fieldErrors.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  }
  if ((v4 && ip.startsWith('224.0.0.')) || lower.startsWith('ff02:')) {
    return [fieldErrors.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  }
  return [];
}

/** validation.IsFullyQualifiedDomainName. */
function fqdn(name: string, path: string): FieldError[] {
  if (name.length === 0) return [fieldErrors.required(path)];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length > 0) return [fieldErrors.invalid(path, n, sub.join(','))];
  const labels = n.split('.');
  if (labels.length < 2) return [fieldErrors.invalid(path, n, 'should be a domain with at least two segments separated by dots')];
  for (const l of labels) {
    const e = isDNS1123Label(l);
    if (e.length > 0) return [fieldErrors.invalid(path, l, e.join(','))];
  }
  return [];
}

function validateEndpoints(obj: KubeObject): FieldError[] {
  const endpoints = asArr(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) return [fieldErrors.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const errs: FieldError[] = [];
  endpoints.forEach((e, i) => {
    const ep = asObj(e);
    const p = `endpoints[${i}]`;
    const addresses = asArr(ep.addresses).map(String);
    if (addresses.length === 0) errs.push(fieldErrors.required(`${p}.addresses`, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(fieldErrors.tooMany(`${p}.addresses`, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const ap = `${p}.addresses[${j}]`;
      switch (obj.addressType) {
        case 'IPv4':
          if (!isIPv4(a)) errs.push(fieldErrors.invalid(ap, a, 'must be a valid IPv4 address'));
          else errs.push(...nonSpecialIP(a, ap));
          break;
        case 'IPv6':
          if (!isIPv6(a)) errs.push(fieldErrors.invalid(ap, a, 'must be a valid IPv6 address'));
          else errs.push(...nonSpecialIP(a, ap));
          break;
        case 'FQDN':
          errs.push(...fqdn(a, ap));
          break;
      }
    });
    if (typeof ep.nodeName === 'string') {
      for (const msg of isDNS1123Subdomain(ep.nodeName)) errs.push(fieldErrors.invalid(`${p}.nodeName`, ep.nodeName, msg));
    }
    const topology = asObj(ep.deprecatedTopology);
    if (Object.keys(topology).length > MAX_TOPOLOGY_LABELS) errs.push(fieldErrors.tooMany(`${p}.deprecatedTopology`, Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
    errs.push(...validateLabels(topology as Record<string, string>, `${p}.deprecatedTopology`));
    if (typeof ep.hostname === 'string') for (const msg of isDNS1123Label(ep.hostname)) errs.push(fieldErrors.invalid(`${p}.hostname`, ep.hostname, msg));
    if (isObj(ep.hints)) {
      const zones = asArr(ep.hints.forZones);
      if (zones.length > MAX_ZONE_HINTS) errs.push(fieldErrors.tooMany(`${p}.hints.forZones`, zones.length, MAX_ZONE_HINTS));
      else {
        const seen = new Set<string>();
        zones.forEach((z, k) => {
          const name = String(asObj(z).name ?? '');
          const zp = `${p}.hints.forZones[${k}].name`;
          if (seen.has(name)) errs.push(fieldErrors.duplicate(zp, name));
          else seen.add(name);
          for (const msg of isValidLabelValue(name)) errs.push(fieldErrors.invalid(zp, name, msg));
        });
      }
    }
  });
  return errs;
}

function validatePorts(obj: KubeObject): FieldError[] {
  const ports = asArr(obj.ports);
  if (ports.length > MAX_PORTS) return [fieldErrors.tooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((pt, i) => {
    const port = asObj(pt);
    const p = `ports[${i}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    if (name.length > 0) for (const msg of isDNS1123Label(name)) errs.push(fieldErrors.invalid(`${p}.name`, name, msg));
    if (names.has(name)) errs.push(fieldErrors.duplicate(`${p}.name`, name));
    else names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(fieldErrors.required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(String(port.protocol))) errs.push(fieldErrors.notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
    if (typeof port.appProtocol === 'string') {
      for (const msg of isQualifiedName(port.appProtocol)) errs.push(fieldErrors.invalid(`${p}.appProtocol`, port.appProtocol, msg));
    }
  });
  return errs;
}

export function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const at = obj.addressType;
  if (at === undefined || at === null || at === '') errs.push(fieldErrors.required('addressType'));
  else if (!ADDRESS_TYPES.includes(String(at))) errs.push(fieldErrors.notSupported('addressType', at, ADDRESS_TYPES));
  errs.push(...validateEndpoints(obj), ...validatePorts(obj));
  return errs;
}

function contentChanged(obj: KubeObject, old: KubeObject): boolean {
  return ['addressType', 'endpoints', 'ports'].some((k) => !deepEqual(obj[k], old[k]));
}

export const endpointSliceStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate: (obj, old) => [...validateEndpointSlice(obj), ...immutableField(obj.addressType, old.addressType, 'addressType')],
  prepareForCreate: (obj) => {
    meta(obj).generation = 1;
  },
  prepareForUpdate: (obj, old) => {
    // Anything but metadata bumps the generation.
    if (contentChanged(obj, old)) meta(obj).generation = (old.metadata?.generation ?? 0) + 1;
  },
};

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const s = list.join(',');
  if (more) return `${s} + ${count - max} more...`;
  return s === '' ? '<unset>' : s;
}

/** formatDiscoveryPorts. */
export function formatSlicePorts(ports: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const pt of asArr(ports)) {
    const p = asObj(pt);
    if (list.length < 3) list.push(typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*');
    else if (list.length === 3) more = true;
    count++;
  }
  return listWithMore(list, more, count, 3);
}

/** formatDiscoveryEndpoints. */
export function formatSliceEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const e of asArr(endpoints)) {
    for (const a of asArr(asObj(e).addresses)) {
      if (list.length < 3) list.push(String(a));
      else if (list.length === 3) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, 3);
}

export const endpointslices: ResourceDescriptor = resource({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  model: 'V1EndpointSlice',
  printerColumns: [
    {
      name: 'AddressType',
      type: 'string',
      description:
        'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
      priority: 0,
      cell: (obj) => String(obj.addressType ?? ''),
    },
    {
      name: 'Ports',
      type: 'string',
      description:
        'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
      priority: 0,
      cell: (obj) => formatSlicePorts(obj.ports),
    },
    {
      name: 'Endpoints',
      type: 'string',
      description: 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
      priority: 0,
      cell: (obj) => formatSliceEndpoints(obj.endpoints),
    },
    ageColumn(),
  ],
  strategy: endpointSliceStrategy,
  storageResource: 'endpointslices',
});
