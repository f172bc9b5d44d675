// HorizontalPodAutoscalers, served as autoscaling/v2 (stored) and autoscaling/v1 (converted).
import type { KubeObject, ResourceDescriptor, Strategy } from '../../registry/descriptor.ts';
import { keepAllButStatus, keepOldStatus, resource } from '../group-helpers/descriptor.ts';
import { child, setDefault } from '../group-helpers/object.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './hpa-conversion.ts';
import { hpaColumns, hpaV2Strategy, validateHPAStatus, validateHPAv2Spec } from './hpa-v2.ts';

export const horizontalpodautoscalersV2: ResourceDescriptor = resource({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  model: 'V2HorizontalPodAutoscaler',
  printerColumns: hpaColumns((obj) => obj),
  strategy: hpaV2Strategy,
  storageResource: 'horizontalpodautoscalers',
});

/** v1's own defaults (SetDefaults_HorizontalPodAutoscaler); the CPU default comes with conversion. */
export function defaultHPAv1(obj: KubeObject): void {
  setDefault(child(obj as Record<string, unknown>, 'spec'), 'minReplicas', 1);
}

export const hpaV1Strategy: Strategy = {
  tracksGeneration: false,
  defaults: defaultHPAv1,
  // Upstream validates the internal object, so paths are v2's (spec.metrics[0]...).
  validate: (obj) => validateHPAv2Spec(hpaV1ToV2(obj)),
  validateUpdate: (obj, old) => validateHPAv2Spec(hpaV1ToV2(obj), hpaV1ToV2(old)),
  validateStatusUpdate: (obj) => validateHPAStatus(hpaV1ToV2(obj)),
  prepareForCreate: (obj) => {
    obj.status = { currentReplicas: 0, desiredReplicas: 0 };
  },
  prepareForUpdate: (obj, old) => keepOldStatus(obj, old),
  prepareForStatusUpdate: (obj, old) => keepAllButStatus(obj, old),
};

export const horizontalpodautoscalersV1: ResourceDescriptor = resource({
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  subresources: { status: true },
  model: 'V1HorizontalPodAutoscaler',
  printerColumns: hpaColumns(hpaV1ToV2),
  strategy: hpaV1Strategy,
  storageResource: 'horizontalpodautoscalers',
  conversion: { storageVersion: 'v2', toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
});
