// The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
// a new claim that names no class (no storageClassName, no beta annotation) gets the default
// StorageClass; with several defaults, the newest (then the first by name). An explicit
// `storageClassName: ""` asks for no class and is left alone.
import type { KubeObject } from '../registry/descriptor.ts';
import { isDefaultClass } from '../resources/storage/storageclasses.ts';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** util.GetDefaultClass. */
export function defaultClassName(classes: KubeObject[]): string | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    if (ta !== tb) return tb - ta;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0]?.metadata?.name;
}

export function admitClaimStorageClass(pvc: KubeObject, classes: KubeObject[]): void {
  const spec = (pvc.spec ??= {}) as { storageClassName?: string | null };
  if (typeof spec.storageClassName === 'string') return;
  if (pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
  const name = defaultClassName(classes);
  if (name) spec.storageClassName = name;
}
