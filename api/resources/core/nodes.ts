// core/v1 Node: upstream ValidateNode / ValidateNodeUpdate, the node strategies and printNode.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabelName } from '../../validation/label-selector.ts';
import { isIPv6, isValidLabelValue } from '../../validation/names.ts';
import { ageColumn, ALL_VERBS, column, keepSpec, keepStatus, section } from './common.ts';
import { DOCS } from './column-docs.ts';
import { at, idx, isObj, objs, str, strs, type J } from './json.ts';
import { canonicalizeResourceList, parseQuantityAt, validateResourceQuantityValue } from './quantities.ts';
import { validateTaintEffect } from './scheduling-validation.ts';
import { isValidCIDR } from './service-validation.ts';

function defaults(node: KubeObject): void {
  if (!isObj(node.status)) return;
  const st = node.status as J;
  canonicalizeResourceList(st.capacity);
  canonicalizeResourceList(st.allocatable);
  if ((st.allocatable === undefined || st.allocatable === null) && isObj(st.capacity)) st.allocatable = { ...st.capacity };
}

function goTaint(t: J): string {
  return `core.Taint{Key:${JSON.stringify(str(t.key))}, Value:${JSON.stringify(str(t.value))}, Effect:${JSON.stringify(str(t.effect))}, TimeAdded:<nil>}`;
}

/** Upstream's validateNodeTaints; the path is `metadata.taints` as upstream builds it. */
export function validateNodeTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Map<string, Set<string>>();
  objs(taints).forEach((t, i) => {
    const tp = idx(path, i);
    errs.push(...validateLabelName(str(t.key), at(tp, 'key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length) errs.push(fieldErrors.invalid(at(tp, 'value'), str(t.value), msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, at(tp, 'effect')));
    const keys = unique.get(str(t.effect)) ?? new Set<string>();
    if (keys.has(str(t.key))) {
      errs.push({ type: 'FieldValueDuplicate', field: tp, message: `Duplicate value: ${goTaint(t)}: taints must be unique by key and effect pair` });
      return;
    }
    keys.add(str(t.key));
    unique.set(str(t.effect), keys);
  });
  return errs;
}

function validateNodeResources(node: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const st = section(node, 'status');
  for (const field of ['capacity', 'allocatable']) {
    for (const [name, v] of Object.entries(isObj(st[field]) ? st[field] : {})) {
      const p = `status.${field}.${name}`;
      const r = parseQuantityAt(v, p);
      errs.push(...r.errs);
      if (r.q) errs.push(...validateResourceQuantityValue(name, r.q, p));
    }
  }
  return errs;
}

function validatePodCIDRs(spec: J): FieldError[] {
  const cidrs = strs(spec.podCIDRs);
  const errs: FieldError[] = [];
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(fieldErrors.invalid(idx('spec.podCIDRs', i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  if (cidrs.length > 1 && errs.length === 0) {
    const v6 = cidrs.map((c) => isIPv6(c.split('/')[0]!));
    if (cidrs.length > 2 || v6[0] === v6[1]) errs.push(fieldErrors.invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErrors.duplicate(idx('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

function validate(node: KubeObject): FieldError[] {
  const spec = section(node, 'spec');
  return [...validateNodeTaints(spec.taints, 'metadata.taints'), ...validateNodeResources(node), ...validatePodCIDRs(spec)];
}

function validateUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const spec = section(node, 'spec');
  const oldSpec = section(old, 'spec');
  const errs = validateNodeResources(node);
  const seen: J[] = [];
  objs(section(node, 'status').addresses).forEach((a, i) => {
    if (seen.some((s) => s.type === a.type && s.address === a.address)) errs.push(fieldErrors.duplicate(idx('status.addresses', i), a));
    seen.push(a);
  });
  const oldCIDRs = strs(oldSpec.podCIDRs);
  if (oldCIDRs.length > 0) {
    const cur = strs(spec.podCIDRs);
    const msg = 'node updates may not change podCIDR except from "" to valid';
    if (oldCIDRs.length !== cur.length) errs.push(fieldErrors.forbidden('spec.podCIDRs', msg));
    else oldCIDRs.forEach((c, i) => c !== cur[i] && errs.push(fieldErrors.forbidden('spec.podCIDRs', msg)));
  }
  if (oldSpec.providerID && oldSpec.providerID !== spec.providerID) {
    errs.push(fieldErrors.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateNodeTaints(spec.taints, 'metadata.taints'));
  if ((spec.externalID ?? '') !== (oldSpec.externalID ?? '')) errs.push(fieldErrors.forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** STATUS: Ready/NotReady (or Unknown), plus SchedulingDisabled when cordoned. */
function nodeStatus(node: KubeObject): string {
  const ready = objs(section(node, 'status').conditions).filter((c) => c.type === 'Ready').at(-1);
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (section(node, 'spec').unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function address(node: KubeObject, type: string): string {
  return str(objs(section(node, 'status').addresses).find((a) => a.type === type)?.address) || '<none>';
}

function nodeInfo(node: KubeObject, field: string): string {
  const info = section(node, 'status').nodeInfo;
  return isObj(info) ? str(info[field]) : '';
}

export const nodes: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Node',
  listKind: 'NodeList',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  categories: [],
  namespaced: false,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: { status: true, proxy: true },
  model: 'V1Node',
  printerColumns: [
    column('Status', 'string', 'The status of the node', nodeStatus),
    column('Roles', 'string', 'The roles of the node', nodeRoles),
    ageColumn(),
    column('Version', 'string', DOCS['V1NodeSystemInfo.kubeletVersion'], (obj) => nodeInfo(obj, 'kubeletVersion')),
    column('Internal-IP', 'string', DOCS['V1NodeStatus.addresses'], (obj) => address(obj, 'InternalIP'), 1),
    column('External-IP', 'string', DOCS['V1NodeStatus.addresses'], (obj) => address(obj, 'ExternalIP'), 1),
    column('OS-Image', 'string', DOCS['V1NodeSystemInfo.osImage'], (obj) => nodeInfo(obj, 'osImage') || '<unknown>', 1),
    column('Kernel-Version', 'string', DOCS['V1NodeSystemInfo.kernelVersion'], (obj) => nodeInfo(obj, 'kernelVersion') || '<unknown>', 1),
    column('Container-Runtime', 'string', DOCS['V1NodeSystemInfo.containerRuntimeVersion'], (obj) => nodeInfo(obj, 'containerRuntimeVersion') || '<unknown>', 1),
  ],
  fieldSelectors: { 'spec.unschedulable': (obj) => String(section(obj, 'spec').unschedulable === true) },
  strategy: {
    defaults,
    validate,
    validateUpdate,
    // Status updates (kubelets) are validated like any node update upstream.
    validateStatusUpdate: validateUpdate,
    // Nodes register with their status, so create keeps it.
    prepareForUpdate: keepStatus,
    prepareForStatusUpdate: keepSpec,
    tracksGeneration: false,
  },
  storageResource: 'minions',
};

