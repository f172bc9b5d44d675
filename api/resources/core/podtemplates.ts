// core/v1 PodTemplate: a pod template stored on its own (upstream ValidatePodTemplate, printPodTemplate).
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { ALL_VERBS, column, formatLabels } from './common.ts';
import { isObj, objs, str } from './json.ts';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './pod-spec.ts';

function containers(obj: Record<string, unknown>): Record<string, any>[] {
  const t = obj.template;
  return isObj(t) && isObj(t.spec) ? objs(t.spec.containers) : [];
}

export const podtemplates: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'PodTemplate',
  listKind: 'PodTemplateList',
  plural: 'podtemplates',
  singular: 'podtemplate',
  shortNames: [],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  subresources: {},
  model: 'V1PodTemplate',
  printerColumns: [
    column('Containers', 'string', 'Names of each container in the template.', (obj) => containers(obj).map((c) => str(c.name)).join(',')),
    column('Images', 'string', 'Images referenced by each container in the template.', (obj) => containers(obj).map((c) => str(c.image)).join(',')),
    column('Pod Labels', 'string', 'The labels for the pod template.', (obj) => formatLabels(isObj(obj.template) && isObj(obj.template.metadata) ? obj.template.metadata.labels : undefined)),
  ],
  fieldSelectors: {},
  strategy: {
    defaults: (obj) => defaultPodTemplateSpec(obj.template),
    validate: (obj) => validatePodTemplateSpec(obj.template, 'template'),
    validateUpdate: (obj) => validatePodTemplateSpec(obj.template, 'template'),
    // PodTemplates bump metadata.generation on template changes (upstream's podTemplateStrategy).
    tracksGeneration: true,
  },
  storageResource: 'podtemplates',
};
