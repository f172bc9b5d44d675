// networking.k8s.io/v1 IngressClass (cluster-scoped): the controller name is a domain-prefixed
// path and immutable; parameters default to scope Cluster.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../../validation/names.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { bumpGenerationIf, meta, resource, specChanged } from '../group-helpers/descriptor.ts';
import { asObj, isObj } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';
import { validateTypedLocalObjectReference } from './ingresses.ts';

const MAX_CONTROLLER_LENGTH = 250;
const HTTP_PATH_RE = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

/** validation.IsDomainPrefixedPath. */
export function validateDomainPrefixedPath(value: string, path: string): FieldError[] {
  if (value.length === 0) return [fieldErrors.required(path)];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [fieldErrors.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((msg) => fieldErrors.invalid(path, host, msg));
  if (!HTTP_PATH_RE.test(rest)) errs.push(fieldErrors.invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return errs;
}

export function defaultIngressClass(obj: KubeObject): void {
  const params = asObj(obj.spec).parameters;
  if (isObj(params) && !params.scope) params.scope = 'Cluster';
}

function validateIngressClassSpec(obj: KubeObject): FieldError[] {
  const spec = asObj(obj.spec);
  const errs: FieldError[] = [];
  const controller = typeof spec.controller === 'string' ? spec.controller : '';
  if (controller.length > MAX_CONTROLLER_LENGTH) errs.push(fieldErrors.tooLong('spec.controller', MAX_CONTROLLER_LENGTH));
  errs.push(...validateDomainPrefixedPath(controller, 'spec.controller'));
  if (isObj(spec.parameters)) {
    const p = spec.parameters;
    errs.push(...validateTypedLocalObjectReference(p, 'spec.parameters'));
    if (p.scope === undefined || p.scope === null) {
      errs.push(fieldErrors.required('spec.parameters.scope'));
    } else if (p.scope !== 'Cluster' && p.scope !== 'Namespace') {
      errs.push(fieldErrors.notSupported('spec.parameters.scope', p.scope, ['Cluster', 'Namespace']));
    } else if (p.scope === 'Namespace') {
      if (typeof p.namespace !== 'string') errs.push(fieldErrors.required('spec.parameters.namespace', "`parameters.scope` is set to 'Namespace'"));
      else for (const msg of isDNS1123Label(p.namespace)) errs.push(fieldErrors.invalid('spec.parameters.namespace', p.namespace, msg));
    } else if (p.namespace !== undefined && p.namespace !== null) {
      errs.push(fieldErrors.forbidden('spec.parameters.namespace', "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

export const ingressClassStrategy: Strategy = {
  tracksGeneration: true,
  defaults: defaultIngressClass,
  validate: validateIngressClassSpec,
  validateUpdate: (obj, old) => [
    ...validateIngressClassSpec(obj),
    ...immutableField(asObj(obj.spec).controller, asObj(old.spec).controller, 'spec.controller'),
  ],
  prepareForCreate: (obj) => {
    meta(obj).generation = 1;
  },
  prepareForUpdate: (obj, old) => bumpGenerationIf(obj, old, specChanged(obj, old)),
};

export const ingressclasses: ResourceDescriptor = resource({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  namespaced: false,
  model: 'V1IngressClass',
  printerColumns: [
    {
      name: 'Controller',
      type: 'string',
      description: 'Controller that is responsible for handling this class',
      priority: 0,
      cell: (obj) => String(asObj(obj.spec).controller ?? ''),
    },
    {
      name: 'Parameters',
      type: 'string',
      description: 'A reference to a resource with additional parameters',
      priority: 0,
      cell: (obj) => {
        const p = asObj(obj.spec).parameters;
        if (!isObj(p)) return '<none>';
        let s = String(p.kind ?? '');
        if (typeof p.apiGroup === 'string') s += `.${p.apiGroup}`;
        return `${s}/${String(p.name ?? '')}`;
      },
    },
    ageColumn(),
  ],
  strategy: ingressClassStrategy,
  storageResource: 'ingressclasses',
});
