// networking.k8s.io/v1 NetworkPolicy: ports default to TCP, policyTypes to Ingress (plus Egress
// when egress rules are given).
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isValidPortName, isValidPortNum } from '../../validation/names.ts';
import { cidrContains, parseCidr, validateCidr } from '../group-helpers/cidr.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, meta, resource, specChanged } from '../group-helpers/descriptor.ts';
import { invalidRendered } from '../group-helpers/go-format.ts';
import { asArr, asObj, child, isObj } from '../group-helpers/object.ts';
import { formatLabelSelector, validateLabelSelector } from '../group-helpers/selectors.ts';

export function defaultNetworkPolicy(obj: KubeObject): void {
  const spec = child(obj as Record<string, unknown>, 'spec');
  child(spec, 'podSelector');
  for (const dir of ['ingress', 'egress']) {
    for (const rule of asArr(spec[dir])) {
      for (const port of asArr(asObj(rule).ports)) if (isObj(port) && !port.protocol) port.protocol = 'TCP';
    }
  }
  if (asArr(spec.policyTypes).length === 0) {
    spec.policyTypes = asArr(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

function validatePort(port: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const proto = port.protocol;
  if (proto !== undefined && proto !== null && proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP') {
    errs.push(fieldErrors.notSupported(`${path}.protocol`, proto, ['TCP', 'UDP', 'SCTP']));
  }
  const p = port.port;
  const end = port.endPort;
  const hasEnd = typeof end === 'number';
  if (typeof p === 'number') {
    for (const msg of isValidPortNum(p)) errs.push(fieldErrors.invalid(`${path}.port`, p, msg));
    if (hasEnd) {
      if (end < p) errs.push(fieldErrors.invalid(`${path}.endPort`, p, 'must be greater than or equal to `port`'));
      for (const msg of isValidPortNum(end)) errs.push(fieldErrors.invalid(`${path}.endPort`, end, msg));
    }
  } else if (typeof p === 'string') {
    if (hasEnd) errs.push(fieldErrors.invalid(`${path}.endPort`, end, 'may not be specified when `port` is non-numeric'));
    for (const msg of isValidPortName(p)) errs.push(fieldErrors.invalid(`${path}.port`, p, msg));
  } else if (hasEnd) {
    errs.push(fieldErrors.invalid(`${path}.endPort`, end, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

function validatePeer(peer: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (isObj(peer.podSelector)) {
    n++;
    errs.push(...validateLabelSelector(peer.podSelector, `${path}.podSelector`));
  }
  if (isObj(peer.namespaceSelector)) {
    n++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, `${path}.namespaceSelector`));
  }
  if (isObj(peer.ipBlock)) {
    n++;
    const ipb = peer.ipBlock;
    const cidrText = typeof ipb.cidr === 'string' ? ipb.cidr : '';
    if (cidrText === '') errs.push(fieldErrors.required(`${path}.ipBlock.cidr`));
    else {
      errs.push(...validateCidr(cidrText, `${path}.ipBlock.cidr`));
      const cidr = parseCidr(cidrText);
      if (cidr) {
        asArr(ipb.except).forEach((e, i) => {
          const ep = `${path}.ipBlock.except[${i}]`;
          const text = String(e);
          const errsFor = validateCidr(text, ep);
          errs.push(...errsFor);
          const except = parseCidr(text);
          if (!except) return;
          if (!cidrContains(cidr, except) || cidr.prefix >= except.prefix) errs.push(fieldErrors.invalid(ep, text, 'must be a strict subset of `cidr`'));
        });
      }
    }
  }
  if (n === 0) errs.push(fieldErrors.required(path, 'must specify a peer'));
  else if (n > 1 && isObj(peer.ipBlock)) errs.push(fieldErrors.forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

export function validateNetworkPolicySpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(spec.podSelector, 'spec.podSelector'));
  for (const [dir, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    asArr(spec[dir]).forEach((r, i) => {
      const rule = asObj(r);
      const rp = `spec.${dir}[${i}]`;
      asArr(rule.ports).forEach((p, j) => errs.push(...validatePort(asObj(p), `${rp}.ports[${j}]`)));
      asArr(rule[peers]).forEach((p, j) => errs.push(...validatePeer(asObj(p), `${rp}.${peers}[${j}]`)));
    });
  }
  const types = asArr(spec.policyTypes);
  if (types.length > 2) {
    errs.push(invalidRendered('spec.policyTypes', `&[]networking.PolicyType{${types.map((t) => JSON.stringify(String(t))).join(', ')}}`, 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(fieldErrors.notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}

export const networkPolicyStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicySpec,
  validateUpdate: (obj) => validateNetworkPolicySpec(obj),
  prepareForCreate: (obj) => {
    meta(obj).generation = 1;
  },
  prepareForUpdate: (obj, old) => bumpGenerationIf(obj, old, specChanged(obj, old)),
};

export const networkpolicies: ResourceDescriptor = resource({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  shortNames: ['netpol'],
  namespaced: true,
  model: 'V1NetworkPolicy',
  printerColumns: [
    {
      name: 'Pod-Selector',
      type: 'string',
      description:
        'Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
      priority: 0,
      cell: (obj) => formatLabelSelector(asObj(asObj(obj.spec).podSelector)),
    },
    ageColumn(),
  ],
  strategy: networkPolicyStrategy,
  storageResource: 'networkpolicies',
});
