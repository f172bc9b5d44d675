// node.k8s.io/v1 RuntimeClass (pkg/apis/node/validation, pkg/registry/node/runtimeclass): the
// handler is a DNS label and cannot change; overhead.podFixed is validated as container limits,
// scheduling.nodeSelector as labels and scheduling.tolerations as a pod's, without duplicates.
import type { FieldError } from '../../errors.ts';
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { validateLabels } from '../../validation/meta.ts';
import { isDNS1123Label } from '../../validation/names.ts';
import { validateResourceRequirements } from '../core/container-validation.ts';
import { canonicalizeResourceList } from '../core/quantities.ts';
import { validateTolerations } from '../core/scheduling-validation.ts';
import { ageColumn } from '../group-helpers/columns.ts';
import { resource } from '../group-helpers/descriptor.ts';
import { goQuote } from '../group-helpers/go-format.ts';
import { asArr, asObj, isObj } from '../group-helpers/object.ts';
import { immutableField } from '../group-helpers/validation.ts';

function defaultRuntimeClass(obj: KubeObject): void {
  if (isObj(obj.overhead)) canonicalizeResourceList(obj.overhead.podFixed);
}

/** A core.Toleration as Go's `%#v` prints it in a Duplicate error. */
function goToleration(t: Record<string, unknown>): string {
  const s = (v: unknown) => goQuote(typeof v === 'string' ? v : '');
  const seconds = typeof t.tolerationSeconds === 'number' ? '(*int64)(0xc000000000)' : '(*int64)(nil)';
  return `core.Toleration{Key:${s(t.key)}, Operator:${s(t.operator)}, Value:${s(t.value)}, Effect:${s(t.effect)}, TolerationSeconds:${seconds}}`;
}

/** validateTolerations: a pod's toleration rules, and no two alike in key, operator, value and effect. */
function validateSchedulingTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs = validateTolerations(tolerations, path);
  const seen = new Set<string>();
  asArr(tolerations).forEach((item, i) => {
    const t = asObj(item);
    const listKey = JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);
    if (seen.has(listKey)) errs.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${goToleration(t)}` });
    seen.add(listKey);
  });
  return errs;
}

export function validateRuntimeClass(obj: KubeObject): FieldError[] {
  const handler = typeof obj.handler === 'string' ? obj.handler : '';
  const errs = isDNS1123Label(handler).map((msg) => fieldErrors.invalid('handler', handler, msg));
  if (isObj(obj.overhead)) errs.push(...validateResourceRequirements({ limits: obj.overhead.podFixed }, 'overhead', new Set()));
  if (isObj(obj.scheduling)) {
    const s = obj.scheduling;
    if (isObj(s.nodeSelector)) errs.push(...validateLabels(s.nodeSelector as Record<string, string>, 'scheduling.nodeSelector'));
    errs.push(...validateSchedulingTolerations(s.tolerations, 'scheduling.tolerations'));
  }
  return errs;
}

export const runtimeClassStrategy: Strategy = {
  // Upstream's strategy leaves metadata.generation alone.
  tracksGeneration: false,
  defaults: defaultRuntimeClass,
  validate: validateRuntimeClass,
  validateUpdate: (obj, old) => [...validateRuntimeClass(obj), ...immutableField(obj.handler, old.handler, 'handler')],
};

export const runtimeclasses: ResourceDescriptor = resource({
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  namespaced: false,
  model: 'V1RuntimeClass',
  printerColumns: [
    // Upstream reads the description from ObjectMeta's docs, which have no `handler`.
    { name: 'Handler', type: 'string', description: '', priority: 0, cell: (obj) => (typeof obj.handler === 'string' ? obj.handler : '') },
    ageColumn(),
  ],
  strategy: runtimeClassStrategy,
  storageResource: 'runtimeclasses',
});
