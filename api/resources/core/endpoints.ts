// core/v1 Endpoints: upstream ValidateEndpoints and printEndpoints.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Label, isDNS1123Subdomain, isIP, isIPv6, isQualifiedName, isValidPortNum } from '../../validation/names.ts';
import { ageColumn, ALL_VERBS, column } from './common.ts';
import { DOCS } from './column-docs.ts';
import { at, idx, objs, str } from './json.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function defaults(obj: KubeObject): void {
  for (const ss of objs(obj.subsets)) for (const p of objs(ss.ports)) if (!p.protocol) p.protocol = 'TCP';
}

/** Upstream's ValidateNonSpecialIP, as 1.30 words it. */
function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  if (!isIP(ip)) return [fieldErrors.invalid(path, ip, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  if (ip === '0.0.0.0' || ip === '::') errs.push(fieldErrors.invalid(path, ip, `may not be unspecified (${ip})`));
  if (ip.startsWith('127.') || ip === '::1') errs.push(fieldErrors.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (ip.startsWith('169.254.') || (isIPv6(ip) && /^fe[89ab][0-9a-f]:/i.test(ip))) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) errs.push(fieldErrors.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

function validateAddress(a: Record<string, any>, path: string): FieldError[] {
  const ip = str(a.ip);
  const errs: FieldError[] = [];
  if (!isIP(ip)) errs.push(fieldErrors.invalid(at(path, 'ip'), ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  if (a.hostname) errs.push(...isDNS1123Label(str(a.hostname)).map((m) => fieldErrors.invalid(at(path, 'hostname'), a.hostname, m)));
  if (typeof a.nodeName === 'string') errs.push(...isDNS1123Subdomain(a.nodeName).map((m) => fieldErrors.invalid(at(path, 'nodeName'), a.nodeName, m)));
  errs.push(...validateNonSpecialIP(ip, at(path, 'ip')));
  return errs;
}

function validate(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  objs(obj.subsets).forEach((ss, i) => {
    const sp = idx('subsets', i);
    const addrs = objs(ss.addresses);
    const notReady = objs(ss.notReadyAddresses);
    if (addrs.length === 0 && notReady.length === 0) errs.push(fieldErrors.required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    addrs.forEach((a, j) => errs.push(...validateAddress(a, idx(at(sp, 'addresses'), j))));
    notReady.forEach((a, j) => errs.push(...validateAddress(a, idx(at(sp, 'notReadyAddresses'), j))));
    const ports = objs(ss.ports);
    ports.forEach((p, j) => {
      const pp = idx(at(sp, 'ports'), j);
      const name = str(p.name);
      if (ports.length > 1 && !name) errs.push(fieldErrors.required(at(pp, 'name')));
      else if (name) errs.push(...isDNS1123Label(name).map((m) => fieldErrors.invalid(at(pp, 'name'), name, m)));
      const port = typeof p.port === 'number' ? p.port : 0;
      errs.push(...isValidPortNum(port).map((m) => fieldErrors.invalid(at(pp, 'port'), port, m)));
      if (!p.protocol) errs.push(fieldErrors.required(at(pp, 'protocol')));
      else if (!PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(at(pp, 'protocol'), p.protocol, PROTOCOLS));
      if (typeof p.appProtocol === 'string') errs.push(...isQualifiedName(p.appProtocol).map((m) => fieldErrors.invalid(at(pp, 'appProtocol'), p.appProtocol, m)));
    });
  });
  return errs;
}

/** Upstream's formatEndpoints: up to three `ip:port`, then `+ N more...`; `<none>` without subsets. */
export function formatEndpoints(obj: KubeObject): string {
  const subsets = objs(obj.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = objs(ss.addresses);
    const ports = objs(ss.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        const ip = str(a.ip);
        list.push(`${ip.includes(':') ? `[${ip}]` : ip}:${p.port ?? 0}`);
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpoints: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  listKind: 'EndpointsList',
  plural: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'V1Endpoints',
  printerColumns: [column('Endpoints', 'string', DOCS['V1Endpoints.subsets'], formatEndpoints), ageColumn()],
  fieldSelectors: {},
  strategy: { defaults, validate, validateUpdate: (obj) => validate(obj), tracksGeneration: false },
  storageResource: 'services/endpoints',
};
